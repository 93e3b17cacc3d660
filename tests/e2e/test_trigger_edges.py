"""Edge cases of triggers, throws, shared waits and token counts that a
review of the engine found, each now a regression test on a real server:
a cancelled run whose child escalated, a cancel racing an action's
completion, an interrupted compensation, counted tokens on boundary paths
and dead paths, a node with triggers ending its scope or a race, shared and
unshared waits for one event, a run's own message, a watcher whose
expression cannot finish, batching a loop with undo handlers, escalations
through two levels of child runs, and a signal to a catch a node away."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from baton.plan.model import (
    ErrorSpec,
    EventFilter,
    Expr,
    Join,
    LoopSpec,
    NodeKind,
    Route,
    ThrowSpec,
    Trigger,
    WaitSpec,
)
from baton.testing import until
from tests.support.plans import audit, control, e, finish, mark, node, plan, sleep, statuses

pytestmark = pytest.mark.asyncio(loop_scope="session")


def script(text: str) -> dict[str, Any]:
    return {"type": "script", "script": text}


def guard(seconds: float = 6) -> Trigger:
    return Trigger(to="timeout", wait=WaitSpec(seconds=seconds))


async def test_a_cancelled_run_whose_child_escalated_ends(baton):
    child = plan(
        control("shout", NodeKind.THROW, throw=ThrowSpec(kind="escalation", name="x")),
        sleep("more", 300, after=["shout"]),
        plan_id="child",
    )
    the_plan = plan(
        control(
            "call",
            NodeKind.SUBPROCESS,
            subprocess=child,
            triggers=[Trigger(to="handled", escalation="x")],
        ),
        mark("handled", ["call"], join=Join.ANY),
    )
    run = await baton.client.start_plan(the_plan)
    child_id = f"{run.workflow_id}.call"

    async def thrown() -> bool:
        status = await baton.client.status(child_id)
        return any(a["event"] == "thrown" for a in status["audit"])

    await until(thrown, timeout=30)
    await run.cancel()
    result = await asyncio.wait_for(run.result(), 30)
    assert result["status"] == "CANCELLED", result


async def test_an_action_that_completes_as_its_node_is_cancelled_is_undone(baton):
    import random

    rng = random.Random(5)

    async def one() -> tuple[bool, str, list[str]]:
        run = await baton.client.start_plan(
            plan(
                node(
                    "work",
                    script("sleep 0.5; echo done"),
                    compensation=script("echo undo"),
                    triggers=[Trigger(to="late", wait=WaitSpec(seconds=300))],
                ),
                mark("late", ["work"], join=Join.ANY),
            )
        )
        await asyncio.sleep(rng.uniform(0.2, 1.6))
        try:
            await run.cancel()
        except Exception:
            pass  # it ended first
        result = await asyncio.wait_for(run.result(), 60)
        history = await baton.client.temporal.get_workflow_handle(run.workflow_id).fetch_history()
        completed = any(
            event.HasField("activity_task_completed_event_attributes") for event in history.events
        )
        work = next(s for s in result["steps"] if s["step_id"] == "work")
        return completed, work["status"], [c["step_id"] for c in result["compensations"]]

    outcomes = await asyncio.gather(*(one() for _ in range(10)))
    lost = [o for o in outcomes if o[0] and not o[2] and o[1] != "COMPLETED"]
    assert not lost, outcomes


async def test_interrupting_a_compensation_throw_does_not_cancel_the_run(baton):
    body = [
        node("do", script("echo did"), compensation=script("sleep 3; echo undone")),
        control(
            "undo-it", NodeKind.THROW, after=["do"], throw=ThrowSpec(kind="compensate", name="")
        ),
    ]
    result = await finish(
        baton,
        plan(
            control(
                "work",
                NodeKind.SCOPE,
                body=body,
                triggers=[Trigger(to="late", wait=WaitSpec(seconds=1.5))],
            ),
            mark("done", ["work"]),
            mark("late", ["work"], join=Join.ANY),
        ),
    )
    assert result["status"] == "COMPLETED", result
    assert statuses(result)["late"] == "COMPLETED"
    assert not audit(result, "cancel_requested")
    assert [(c["step_id"], c["status"]) for c in result["compensations"]] == [("do", "COMPENSATED")]


async def test_tokens_out_counts_only_the_nodes_own_way_on(baton):
    result = await finish(
        baton,
        plan(
            sleep(
                "long", 300, tokens_out=2, triggers=[Trigger(to="late", wait=WaitSpec(seconds=0.5))]
            ),
            mark("normal", ["long"]),
            mark("late", ["long"], join=Join.ANY),
        ),
    )
    lates = [s for s in result["steps"] if s["node_id"] == "late" and s["status"] == "COMPLETED"]
    assert len(lates) == 1


async def test_a_node_whose_only_successors_are_its_triggers_ends_its_scope(baton):
    result = await finish(
        baton,
        plan(
            control(
                "work",
                NodeKind.SET,
                value=e("'result'"),
                triggers=[Trigger(to="late", wait=WaitSpec(seconds=300))],
            ),
            mark("late", ["work"], join=Join.ANY),
            output="output",
        ),
    )
    assert result["output"] == "result"
    body = [
        sleep("a", 0.5, triggers=[Trigger(to="t", wait=WaitSpec(seconds=100))]),
        mark("t", ["a"], join=Join.ANY),
        sleep("b", 30),
    ]
    raced = await finish(
        baton, plan(control("race", NodeKind.SCOPE, body=body, complete_on="first"))
    )
    assert statuses(raced)["b"] == "CANCELLED", raced  # a won the race


async def test_an_event_goes_to_the_first_unshared_wait_and_every_shared_one(baton):
    the_plan = plan(
        control("plain", NodeKind.WAIT, wait=WaitSpec(events=[EventFilter(type="go")])),
        control(
            "sig",
            NodeKind.WAIT,
            wait=WaitSpec(events=[EventFilter(type="go")], shared=True),
            triggers=[guard(20)],
        ),
        mark("timeout", ["sig"], join=Join.ANY),
    )
    run = await baton.client.start_plan(the_plan)

    async def open_wait() -> bool:
        return (await baton.client.status(run.workflow_id)).get("waiting_for") == ["go"]

    await until(open_wait, timeout=30)
    sent = await baton.client.send_event("go", {}, workflow_id=run.workflow_id)
    assert sorted(sent.runs[run.workflow_id]) == ["plain", "sig"]
    result = await asyncio.wait_for(run.result(), 30)
    assert statuses(result)["sig"] == statuses(result)["plain"] == "COMPLETED"


async def test_a_shared_wait_does_not_consume_a_kept_event(baton):
    the_plan = plan(
        sleep("pause", 2),
        control(
            "sig",
            NodeKind.WAIT,
            after=["pause"],
            wait=WaitSpec(events=[EventFilter(type="go")], shared=True),
        ),
        control(
            "plain",
            NodeKind.WAIT,
            after=["sig"],
            wait=WaitSpec(events=[EventFilter(type="go")]),
            triggers=[guard(20)],
        ),
        mark("timeout", ["plain"], join=Join.ANY),
    )
    run = await baton.client.start_plan(the_plan)
    await baton.client.send_event("go", {}, workflow_id=run.workflow_id)  # kept: nobody waits yet
    result = await asyncio.wait_for(run.result(), 30)
    assert statuses(result)["sig"] == statuses(result)["plain"] == "COMPLETED", result


async def test_a_message_never_reaches_its_own_run(baton):
    result = await finish(
        baton,
        plan(
            control(
                "catch",
                NodeKind.WAIT,
                wait=WaitSpec(events=[EventFilter(type="ping-own")]),
                triggers=[guard(6)],
            ),
            mark("timeout", ["catch"], join=Join.ANY),
            sleep("pause", 2),
            control(
                "msg",
                NodeKind.THROW,
                after=["pause"],
                throw=ThrowSpec(kind="message", name="ping-own"),
            ),
        ),
    )
    assert statuses(result)["catch"] == "CANCELLED" and statuses(result)["timeout"] == "COMPLETED"


async def test_a_trigger_whose_condition_cannot_finish_holds_the_run(baton):
    # a jq evaluation past its time must fail the workflow task (never a
    # result that depends on how busy the worker is), not be ignored
    slow = Expr("last(range(0; 300000000)) > 0", "jq")
    run = await baton.client.start_plan(
        plan(
            sleep("long", 2, triggers=[Trigger(to="flag", condition=slow)]),
            mark("flag", ["long"], join=Join.ANY),
        )
    )
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(run.result(), 8)
    await baton.client.temporal.get_workflow_handle(run.workflow_id).terminate("test done")


async def test_a_loop_with_undo_handlers_is_not_batched(baton):
    def the_plan(batch: bool) -> Any:
        return plan(
            control(
                "loop",
                NodeKind.LOOP,
                loop=LoopSpec(times=Expr("3")),
                body=[
                    control(
                        "x",
                        NodeKind.SET,
                        value=e("'x'"),
                        undo_with=control("undo-x", NodeKind.NOOP),
                    )
                ],
            ),
            control("boom", NodeKind.RAISE, after=["loop"], error=ErrorSpec(type="boom")),
            batch_after_events=1 if batch else None,
        )

    undone = []
    for batch in (False, True):
        result = await finish(baton, the_plan(batch))
        undone.append(len(result["compensations"]))
        assert not audit(result, "subprocess_started")
    assert undone == [3, 3]


async def test_an_escalation_nothing_catches_goes_up_through_child_runs(baton):
    grandchild = plan(
        control("shout", NodeKind.THROW, throw=ThrowSpec(kind="escalation", name="x")),
        plan_id="grandchild",
    )
    child = plan(control("inner", NodeKind.SUBPROCESS, subprocess=grandchild), plan_id="child")
    result = await finish(
        baton,
        plan(
            control(
                "call",
                NodeKind.SUBPROCESS,
                subprocess=child,
                triggers=[Trigger(to="handled", escalation="x", interrupting=False)],
            ),
            mark("handled", ["call"], join=Join.EACH),
        ),
    )
    assert statuses(result)["handled"] == "COMPLETED", result


async def test_a_signal_reaches_a_catch_a_node_away_on_a_parallel_branch(baton):
    result = await finish(
        baton,
        plan(
            sleep("pause", 1),
            control(
                "signal",
                NodeKind.THROW,
                after=["pause"],
                throw=ThrowSpec(kind="signal", name="go-near", broadcast=False),
            ),
            control("gw", NodeKind.NOOP, after=["pause"]),
            control(
                "catch",
                NodeKind.WAIT,
                after=["gw"],
                wait=WaitSpec(events=[EventFilter(type="go-near")], shared=True),
                triggers=[guard(6)],
            ),
            mark("timeout", ["catch"], join=Join.ANY),
        ),
    )
    assert statuses(result)["catch"] == "COMPLETED", result


async def test_counted_tokens_pass_a_dead_path_on(baton):
    result = await finish(
        baton,
        plan(
            control(
                "split",
                NodeKind.NOOP,
                tokens_out=2,
                routes=[Route("a", when=e("False")), Route("b")],
            ),
            control("a", NodeKind.NOOP, after=["split"], join=Join.EACH, tokens_in=2),
            control("b", NodeKind.NOOP, after=["split"], join=Join.EACH, tokens_in=2),
            mark("merge", ["a", "b"], join=Join.ANY),
        ),
    )
    assert statuses(result)["a"] == "SKIPPED" and statuses(result)["merge"] == "COMPLETED", result
