"""Control-flow edge cases found in review, each once a bug: a second cancel
during cleanup, pools across scopes, failures that must stop waits, races
that must have one winner, deadlines on retried actions, catch routing,
routes' view of their input, cycles that never end, and long runs' status
documents."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from baton.engine import flow
from baton.plan.model import (
    Catch,
    EventFilter,
    Join,
    LoopSpec,
    NodeKind,
    RetrySpec,
    Route,
    WaitSpec,
)
from baton.testing import until
from tests.support.plans import call, control, e, lines, node, plan

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def baton(python_baton: Any) -> Any:
    return python_baton


async def finish(
    baton: Any, the_plan: Any, input: Any = None, timeout: float = 90
) -> dict[str, Any]:
    run = await baton.client.start_plan(the_plan, input=input)
    return await asyncio.wait_for(run.result(), timeout)


def statuses(result: dict[str, Any]) -> dict[str, str]:
    return {s["step_id"]: s["status"] for s in result["steps"]}


async def test_a_slow_cancel_in_a_race_loop_is_waited_for_and_undone(baton, tmp_path):
    """Iteration 2 ignores SIGTERM for 3 s: it is cancelled once, waited
    for, and undone when the run later fails; nothing is left RUNNING."""
    log = tmp_path / "log"
    work = {
        "type": "script",
        "script": (
            f"if [ {{index}} = 2 ]; then trap '' TERM; sleep 3; fi; "
            f"sleep $(( {{index}} * 2 )); echo {{index}} >> {log}; echo {{index}}"
        ),
    }
    race = control(
        "race",
        NodeKind.LOOP,
        loop=LoopSpec(times=e("3"), parallel=True, complete_when=e("output == 0")),
        body=[
            node(
                "work",
                work,
                compensate_attempted=True,
                compensation={"type": "script", "script": f"echo undo-{{index}} >> {log}"},
            )
        ],
    )
    result = await finish(baton, plan(race, node("boom", call("fail", "Late"), after=["race"])))
    assert result["status"] == "COMPENSATED", result
    assert "RUNNING" not in statuses(result).values(), statuses(result)
    undone = sorted(line for line in lines(log) if line.startswith("undo"))
    assert undone == ["undo-0", "undo-1", "undo-2"]


async def test_a_pool_limit_holds_nodes_of_every_scope_until_the_pool_frees(baton):
    fan = control(
        "fan",
        NodeKind.LOOP,
        loop=LoopSpec(times=e("3"), parallel=True),
        body=[node("work", {"type": "script", "script": "sleep 0.3; echo {index}"}, pool="p")],
    )
    the_plan = plan(fan, output="output", pool_limits={"p": 1})
    result = await finish(baton, the_plan)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == [0, 1, 2]
    spans = sorted(
        (s["started_at"], s["completed_at"]) for s in result["steps"] if s["node_id"] == "work"
    )
    assert all(spans[i][1] <= spans[i + 1][0] for i in range(2)), spans


async def test_a_critical_failure_stops_waits_so_the_run_compensates(baton, tmp_path):
    log = tmp_path / "log"
    the_plan = plan(
        node("a", call("note", str(log), "a"), compensation=call("note", str(log), "undo-a")),
        control("wait", NodeKind.WAIT, wait=WaitSpec(events=[EventFilter(type="never")])),
        control(
            "inner",
            NodeKind.SCOPE,
            body=[control("sleep", NodeKind.WAIT, wait=WaitSpec(seconds=3600))],
        ),
        node("boom", call("fail", "Boom"), after=["a"]),
    )
    result = await finish(baton, the_plan, timeout=60)
    assert result["status"] == "COMPENSATED", result
    assert statuses(result)["wait"] == "CANCELLED"
    assert statuses(result)["sleep"] == "CANCELLED"
    assert lines(log) == ["a", "undo-a"]


async def test_a_failing_scope_stops_its_waits_so_its_catch_handles_it(baton):
    scope = control(
        "s",
        NodeKind.SCOPE,
        body=[
            control("wait", NodeKind.WAIT, wait=WaitSpec(events=[EventFilter(type="never")])),
            node("boom", call("fail", "Boom")),
        ],
        catch=[Catch(type="Boom", to="handled")],
    )
    the_plan = plan(
        scope, control("handled", NodeKind.SET, after=["s"], value=e("input.type")), output="output"
    )
    result = await finish(baton, the_plan, timeout=60)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == "Boom"


async def test_a_race_has_one_winner_even_when_every_branch_ends_at_once(baton):
    race = control(
        "race",
        NodeKind.SCOPE,
        complete_on="first",
        body=[
            control("x", NodeKind.SET, value=e("'x'")),
            control("y", NodeKind.SET, value=e("'y'")),
        ],
    )
    result = await finish(baton, plan(race, output="output"))
    assert result["output"] == "x"


async def test_an_event_race_takes_one_event_and_keeps_the_other(baton):
    """BPMN's event-based gateway: both events were sent before the race began."""
    race = control(
        "race",
        NodeKind.SCOPE,
        after=["pause"],
        complete_on="first",
        body=[
            control("a", NodeKind.WAIT, wait=WaitSpec(events=[EventFilter(type="a")])),
            control("b", NodeKind.WAIT, wait=WaitSpec(events=[EventFilter(type="b")])),
        ],
    )
    the_plan = plan(
        control("pause", NodeKind.WAIT, wait=WaitSpec(seconds=2)), race, output="output"
    )
    run = await baton.client.start_plan(the_plan)
    await baton.client.send_event("a", 1, workflow_id=run.workflow_id)
    await baton.client.send_event("b", 2, workflow_id=run.workflow_id)
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert [event["type"] for event in result["output"]] == ["a"]
    assert statuses(result)["b"] == "CANCELLED"


async def test_a_deadline_cuts_an_action_off_between_its_retries(baton):
    slow = node(
        "flaky",
        {"type": "script", "script": "sleep 1; exit 1"},
        retry=RetrySpec(max_attempts=4, initial_interval_seconds=0.5),
        deadline_seconds=3,
        catch=[Catch(type="timeout", to="late")],
    )
    the_plan = plan(
        slow,
        control("late", NodeKind.SET, after=["flaky"], value=e("input.title")),
        output="output",
    )
    run = await baton.client.start_plan(the_plan)
    result = await asyncio.wait_for(run.result(), 30)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == "timed out after 3s"
    assert next(s for s in result["steps"] if s["step_id"] == "flaky")["attempts"] < 4


async def test_a_caught_failure_without_a_handler_takes_the_routes_that_hold(baton):
    the_plan = plan(
        node(
            "check",
            call("fail", "X"),
            catch=[Catch(type="X")],
            routes=[Route("a", e("input == 1")), Route("b", e("input == 2"))],
        ),
        control("a", NodeKind.SET, after=["check"], value=e("'a'")),
        control("b", NodeKind.SET, after=["check"], value=e("'b'")),
        output="output",
    )
    result = await finish(baton, the_plan, input=2)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == "b"
    assert statuses(result)["a"] == "SKIPPED"
    skipped = next(s for s in result["steps"] if s["step_id"] == "a")
    assert skipped["error"] == "skipped: not on the route taken at check"


async def test_a_route_sees_the_nodes_input_and_its_output(baton):
    the_plan = plan(
        control(
            "s",
            NodeKind.SET,
            value=e("'out'"),
            routes=[Route("a", e("input == 'in' and output == 'out'")), Route("b")],
        ),
        control("a", NodeKind.SET, after=["s"], value=e("'a'")),
        control("b", NodeKind.SET, after=["s"], value=e("'b'")),
        output="output",
    )
    result = await finish(baton, the_plan, input="in")
    assert result["output"] == "a"


async def test_a_cycle_that_never_ends_fails_its_node_instead_of_hanging(baton, monkeypatch):
    monkeypatch.setattr(flow, "MAX_NODE_INSTANCES", 40)
    monkeypatch.setattr(flow, "BURST", 25)
    the_plan = plan(
        control("init", NodeKind.SET, value=e("0")),
        control("again", NodeKind.NOOP, after=["init", "check"], join=Join.EACH),
        control("inc", NodeKind.SET, after=["again"], value=e("input + 1")),
        control("check", NodeKind.NOOP, after=["inc"], routes=[Route("again", e("true"))]),
    )
    result = await finish(baton, the_plan, timeout=60)
    assert result["status"] == "FAILED" or result["status"] == "COMPENSATED", result
    assert "started 40 times in this scope: a cycle that does not end?" in result["failure"]


async def test_a_long_loop_keeps_its_status_document_bounded(baton, monkeypatch):
    from baton.engine import run as run_state

    monkeypatch.setattr(run_state, "MAX_AUDIT_ENTRIES", 1_000)
    loop = control(
        "many",
        NodeKind.LOOP,
        loop=LoopSpec(times=e("2600")),
        body=[control("tick", NodeKind.SET, value=e("index"))],
    )
    result = await finish(baton, plan(loop, output="output"), timeout=120)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == 2599
    assert len(result["steps"]) <= 2_000 and result["steps_omitted"] > 0
    assert len(result["audit"]) <= 1_000 + 1 and result["audit_omitted"] >= 1_500


async def test_a_run_that_fails_starts_no_more_loop_iterations(baton, tmp_path):
    log = tmp_path / "log"
    loop = control(
        "each",
        NodeKind.LOOP,
        loop=LoopSpec(times=e("100")),
        body=[node("tick", {"type": "script", "script": f"echo {{index}} >> {log}; sleep 0.2"})],
    )
    the_plan = plan(loop, node("boom", {"type": "script", "script": "sleep 1; exit 3"}))
    result = await finish(baton, the_plan, timeout=60)
    assert result["status"] == "COMPENSATED", result
    assert statuses(result)["each"] == "CANCELLED"
    assert len(lines(log)) < 20

    async def quiet() -> bool:
        before = len(lines(log))
        await asyncio.sleep(0.5)
        return len(lines(log)) == before

    await until(quiet, timeout=10)
