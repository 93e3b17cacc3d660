"""Waits for events and timers on a real Temporal server: events sent with
`client.send_event` (the path `baton send` and MCP use), correlation, events
that arrive before their wait, broadcasts to every waiting run, several
events at once, duplicates, and what is refused."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from baton.errors import EventNotDeliveredError, EventRefusedError, RunNotRunningError
from baton.plan.model import Catch, EventFilter, NodeKind, WaitSpec
from baton.testing import until
from tests.support.cli import baton_cli
from tests.support.plans import control, e, plan

pytestmark = pytest.mark.asyncio(loop_scope="session")


def wait_for(*filters: EventFilter, node_id: str = "wait", **spec: Any) -> Any:
    return control(node_id, NodeKind.WAIT, wait=WaitSpec(events=list(filters), **spec))


async def waiting(client: Any, workflow_id: str, *types: str) -> None:
    async def open_wait() -> bool:
        return (await client.status(workflow_id)).get("waiting_for") == sorted(types)

    await until(open_wait, timeout=30)


async def test_a_wait_takes_the_event_that_correlates_and_keeps_the_others(baton):
    the_plan = plan(
        wait_for(
            EventFilter(type="order.paid", correlate={"data.order": e("workflow.input.order")})
        ),
        control("paid", NodeKind.SET, after=["wait"], value=e("input[0].data.amount")),
        output="output",
    )
    run = await baton.client.start_plan(the_plan, input={"order": "A-1"})
    await waiting(baton.client, run.workflow_id, "order.paid")
    other = await baton.client.send_event(
        "order.paid", {"order": "B-2", "amount": 5}, workflow_id=run.workflow_id
    )
    assert other.runs == {run.workflow_id: []}  # kept: no open wait wants it
    mine = await baton.client.send_event(
        "order.paid", {"order": "A-1", "amount": 42}, workflow_id=run.workflow_id, source="shop"
    )
    assert mine.runs == {run.workflow_id: ["wait"]}
    result = await asyncio.wait_for(run.result(), 30)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == 42
    assert result["waiting_for"] == []
    received = [a["detail"] for a in result["audit"] if a["event"] == "event_received"]
    assert received[0].endswith(": kept for a later wait")
    assert received[1].startswith("order.paid from shop (")


async def test_an_event_sent_before_its_wait_starts_is_kept_for_it(baton):
    the_plan = plan(
        control("pause", NodeKind.WAIT, wait=WaitSpec(seconds=2)),
        wait_for(EventFilter(type="go"), node_id="wait"),
        output="output",
    )
    the_plan.steps[1].after = ["pause"]
    run = await baton.client.start_plan(the_plan)
    sent = await baton.client.send_event("go", {"n": 1}, workflow_id=run.workflow_id)
    assert sent.runs == {run.workflow_id: []}
    result = await asyncio.wait_for(run.result(), 30)
    assert result["status"] == "COMPLETED", result
    assert [event["data"] for event in result["output"]] == [{"n": 1}]


async def test_an_event_without_a_run_goes_to_every_run_waiting_for_its_type(baton):
    the_plan = plan(wait_for(EventFilter(type="release.approved")), output="output")
    runs = [await baton.client.start_plan(the_plan) for _ in range(2)]
    for run in runs:
        await waiting(baton.client, run.workflow_id, "release.approved")

    async def both_listed() -> bool:
        found = await baton.client.events.waiting_runs("release.approved")
        return {r.workflow_id for r in runs} <= set(found)

    await until(both_listed, timeout=30)
    delivery = await baton.client.send_event("release.approved", {"by": "ops"})
    assert {r.workflow_id for r in runs} <= set(delivery.runs)
    for run in runs:
        assert (await asyncio.wait_for(run.result(), 30))["status"] == "COMPLETED"
    with pytest.raises(EventNotDeliveredError, match="no running run waits for events of type"):
        await baton.client.send_event("nobody.waits.for.this", {})


async def test_a_wait_for_all_takes_one_event_of_each_filter_in_any_order(baton):
    the_plan = plan(
        wait_for(EventFilter(type="a"), EventFilter(type="b"), mode="all"), output="output"
    )
    run = await baton.client.start_plan(the_plan)
    await waiting(baton.client, run.workflow_id, "a", "b")
    await baton.client.send_event("b", 2, workflow_id=run.workflow_id)
    await waiting(baton.client, run.workflow_id, "a")
    await baton.client.send_event("b", 3, workflow_id=run.workflow_id)  # kept: b is satisfied
    await baton.client.send_event("a", 1, workflow_id=run.workflow_id)
    result = await asyncio.wait_for(run.result(), 30)
    assert [event["data"] for event in result["output"]] == [2, 1]


async def test_a_wait_with_until_takes_events_until_its_condition_holds(baton):
    the_plan = plan(
        wait_for(
            EventFilter(type="reading", where=e("event.data > 0")),
            until=e("sum([x.data for x in []]) == 0 and len(events) >= 3"),
        ),
        output="output",
    )
    # comprehensions are refused before anything starts
    with pytest.raises(Exception, match="comprehension"):
        await baton.client.start_plan(the_plan)
    the_plan.steps[0].wait.until = e("len(events) >= 3")
    run = await baton.client.start_plan(the_plan)
    await waiting(baton.client, run.workflow_id, "reading")
    for value in (5, -1, 7, 9):
        await baton.client.send_event("reading", value, workflow_id=run.workflow_id)
    result = await asyncio.wait_for(run.result(), 30)
    assert [event["data"] for event in result["output"]] == [5, 7, 9]


async def test_a_repeated_event_id_is_taken_once(baton):
    the_plan = plan(wait_for(EventFilter(type="t"), until=e("len(events) >= 2")), output="output")
    run = await baton.client.start_plan(the_plan)
    await waiting(baton.client, run.workflow_id, "t")
    first = await baton.client.send_event("t", 1, workflow_id=run.workflow_id, event_id="e-1")
    again = await baton.client.send_event("t", 1, workflow_id=run.workflow_id, event_id="e-1")
    assert first.runs == {run.workflow_id: ["wait"]}
    assert again.duplicates == [run.workflow_id] and again.runs == {}
    await baton.client.send_event("t", 2, workflow_id=run.workflow_id, event_id="e-2")
    result = await asyncio.wait_for(run.result(), 30)
    assert [event["id"] for event in result["output"]] == ["e-1", "e-2"]


async def test_a_wait_past_its_deadline_fails_with_a_timeout_a_catch_can_take(baton):
    the_plan = plan(
        control(
            "wait",
            NodeKind.WAIT,
            wait=WaitSpec(events=[EventFilter(type="never")]),
            deadline_seconds=1,
            catch=[Catch(type="timeout", to="gave_up")],
        ),
        control("gave_up", NodeKind.SET, after=["wait"], value=e("'no event in time'")),
        output="output",
    )
    run = await baton.client.start_plan(the_plan)
    result = await asyncio.wait_for(run.result(), 30)
    assert result["output"] == "no event in time"
    assert result["waiting_for"] == []


async def test_events_a_run_cannot_take_are_refused_with_the_reason(baton):
    with pytest.raises(EventRefusedError, match="CloudEvents 1.0 needs id, type and source"):
        await baton.client.events.send({"id": "x", "type": "t"}, "any-run")
    the_plan = plan(control("done", NodeKind.SET, value=e("1")))
    run = await baton.client.start_plan(the_plan)
    await asyncio.wait_for(run.result(), 30)
    with pytest.raises((RunNotRunningError, EventRefusedError)):
        await baton.client.send_event("t", 1, workflow_id=run.workflow_id)


async def test_baton_send_delivers_and_says_where_the_event_went(baton, tmp_path):
    the_plan = plan(wait_for(EventFilter(type="deploy.done")), output="output")
    run = await baton.client.start_plan(the_plan)
    await waiting(baton.client, run.workflow_id, "deploy.done")
    data = tmp_path / "data.json"
    data.write_text('{"version": "1.2.3"}')
    code, out, err = await baton_cli(
        baton.settings, "send", run.workflow_id, "--type", "deploy.done", "--data", f"@{data}"
    )
    assert code == 0, err
    assert f"{run.workflow_id}: taken by wait" in out
    result = await asyncio.wait_for(run.result(), 30)
    assert result["output"][0]["data"] == {"version": "1.2.3"}
    assert result["output"][0]["batonorigin"] == "cli"
    code, out, err = await baton_cli(
        baton.settings, "send", "--type", "nobody.waits", "--data", "{"
    )
    assert code == 2 and "is not valid JSON" in err and "Traceback" not in err
    code, out, err = await baton_cli(baton.settings, "send", "--type", "nobody.waits")
    assert code == 1 and "no running run waits for events of type 'nobody.waits'" in err


async def test_timers_of_days_and_moments_run_on_the_time_skipping_server(skipping):
    from datetime import datetime, timedelta, timezone

    the_plan = plan(
        control("days", NodeKind.WAIT, wait=WaitSpec(seconds=3 * 86400)),
        control("until", NodeKind.WAIT, after=["days"], wait=WaitSpec(at=e("workflow.input.at"))),
        control("done", NodeKind.SET, after=["until"], value=e("'woke up'")),
        output="output",
    )
    # the test server's clock, which earlier tests have moved on
    now = await skipping.env.get_current_time()
    at = (now + timedelta(days=10)).astimezone(timezone.utc).isoformat()
    run = await skipping.start_plan(the_plan, input={"at": at})
    result = await run.result()
    assert result["status"] == "COMPLETED", result
    assert result["output"] == "woke up"
    waited = datetime.fromisoformat(result["closed_at"]) - datetime.fromisoformat(
        result["started_at"]
    )
    assert waited >= timedelta(days=10) - timedelta(minutes=1)  # from its start, a moment later
