"""Triggers (events while a node runs: timers, timer cycles, events sent to
the run, conditions over the context, escalations thrown inside) and throw
nodes (signals, escalations), on hand-built plans and a real Temporal
server. BPMN's boundary events and event sub-processes compile to these."""

from __future__ import annotations

import asyncio

import pytest

from baton.plan.checks import plan_issues
from baton.plan.model import (
    EventFilter,
    Expr,
    Join,
    NodeKind,
    PlanStep,
    ThrowSpec,
    Trigger,
    WaitSpec,
)
from tests.e2e.test_event_waits import waiting
from tests.support.plans import control, e, finish, mark, plan, sleep, statuses

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_an_interrupting_timer_stops_the_node_and_takes_its_own_way(baton):
    result = await finish(
        baton,
        plan(
            sleep(
                "long",
                300,
                triggers=[Trigger(to="late", wait=WaitSpec(seconds=0.5))],
            ),
            mark("normal", ["long"]),
            mark("late", ["long"], join=Join.ANY),
        ),
    )
    assert result["status"] == "COMPLETED", result
    seen = statuses(result)
    assert seen["long"] == "CANCELLED" and seen["late"] == "COMPLETED"
    assert seen["normal"] == "SKIPPED"
    fired = [a for a in result["audit"] if a["event"] == "triggered"]
    assert fired and "interrupting, to late" in fired[0]["detail"]


async def test_a_non_interrupting_timer_cycle_fires_while_the_node_runs(baton):
    result = await finish(
        baton,
        plan(
            sleep(
                "long",
                4.5,
                triggers=[
                    Trigger(to="tick", interrupting=False, wait=WaitSpec(seconds=1), repeat=3)
                ],
            ),
            mark("after", ["long"]),
            mark("tick", ["long"], join=Join.EACH),
        ),
    )
    assert result["status"] == "COMPLETED", result
    ticks = [s for s in result["steps"] if s["node_id"] == "tick" and s["status"] == "COMPLETED"]
    assert len(ticks) == 3
    assert statuses(result)["long"] == "COMPLETED" and statuses(result)["after"] == "COMPLETED"


async def test_events_fire_a_non_interrupting_trigger_once_each(baton):
    the_plan = plan(
        sleep(
            "long",
            300,
            triggers=[
                Trigger(
                    to="note",
                    interrupting=False,
                    wait=WaitSpec(events=[EventFilter(type="remark")]),
                ),
                Trigger(to="stop", wait=WaitSpec(events=[EventFilter(type="stop")])),
            ],
        ),
        control("note", NodeKind.SET, after=["long"], join=Join.EACH, value=e("input.data.text")),
        mark("stop", ["long"], join=Join.ANY),
    )
    assert not plan_issues(the_plan)
    run = await baton.client.start_plan(the_plan)
    await waiting(baton.client, run.workflow_id, "remark", "stop")
    for text in ("one", "two"):
        sent = await baton.client.send_event("remark", {"text": text}, workflow_id=run.workflow_id)
        assert sent.runs[run.workflow_id]
        await waiting(baton.client, run.workflow_id, "remark", "stop")
    await baton.client.send_event("stop", {}, workflow_id=run.workflow_id)
    result = await asyncio.wait_for(run.result(), 30)
    assert result["status"] == "COMPLETED", result
    notes = [s["output"] for s in result["steps"] if s["node_id"] == "note"]
    assert notes == ["one", "two"]
    assert statuses(result)["long"] == "CANCELLED"


async def test_a_condition_over_the_context_fires_when_it_turns_true(baton):
    body = [
        sleep("pause", 0.3),
        control(
            "raise-flag",
            NodeKind.SET,
            after=["pause"],
            value=e("{'flag': True}"),
            export=e("output"),
        ),
        sleep("more", 300, after=["raise-flag"]),
    ]
    result = await finish(
        baton,
        plan(
            control(
                "work",
                NodeKind.SCOPE,
                body=body,
                triggers=[Trigger(to="flagged", condition=e("context.get('flag') == True"))],
            ),
            mark("flagged", ["work"], join=Join.ANY),
        ),
    )
    assert result["status"] == "COMPLETED", result
    seen = statuses(result)
    assert seen["flagged"] == "COMPLETED" and seen["work"] == "CANCELLED"
    assert seen.get("more") in (None, "CANCELLED")  # never started, or stopped


def escalate(node_id: str, after: list[str], code: str) -> PlanStep:
    return control(
        node_id, NodeKind.THROW, after=after, throw=ThrowSpec(kind="escalation", name=code)
    )


async def test_an_interrupting_escalation_stops_the_scope_and_its_thrower(baton):
    body = [
        escalate("shout", [], "late"),
        mark("after-shout", ["shout"]),
    ]
    result = await finish(
        baton,
        plan(
            control(
                "work",
                NodeKind.SCOPE,
                body=body,
                triggers=[Trigger(to="handled", escalation="late")],
            ),
            mark("done", ["work"]),
            mark("handled", ["work"], join=Join.ANY),
        ),
    )
    assert result["status"] == "COMPLETED", result
    seen = statuses(result)
    assert seen["handled"] == "COMPLETED" and seen["work"] == "CANCELLED"
    assert seen["done"] == "SKIPPED"
    assert seen.get("after-shout") in (None, "PENDING", "SKIPPED")


async def test_a_non_interrupting_escalation_goes_on_both_ways(baton):
    body = [escalate("shout", [], "late"), mark("after-shout", ["shout"])]
    result = await finish(
        baton,
        plan(
            control(
                "work",
                NodeKind.SCOPE,
                body=body,
                triggers=[
                    Trigger(to="wrong", escalation="other"),
                    Trigger(to="handled", escalation="late", interrupting=False),
                ],
            ),
            mark("done", ["work"]),
            mark("handled", ["work"], join=Join.EACH),
            mark("wrong", ["work"], join=Join.ANY),
        ),
    )
    assert result["status"] == "COMPLETED", result
    seen = statuses(result)
    for name in ("handled", "done", "after-shout", "work"):
        assert seen[name] == "COMPLETED", (name, seen)
    assert seen["wrong"] == "SKIPPED"


async def test_an_escalation_nobody_listens_for_is_recorded_and_the_token_goes_on(baton):
    result = await finish(baton, plan(escalate("shout", [], "late"), mark("next", ["shout"])))
    assert result["status"] == "COMPLETED", result
    thrown = [a["detail"] for a in result["audit"] if a["event"] == "thrown"]
    assert thrown == ["escalation 'late': nothing listens for it"]


async def test_a_signal_reaches_every_wait_of_the_run_that_wants_it(baton):
    def catch(node_id: str) -> PlanStep:
        return control(
            node_id,
            NodeKind.WAIT,
            wait=WaitSpec(events=[EventFilter(type="go")], shared=True),
        )

    result = await finish(
        baton,
        plan(
            catch("first"),
            catch("second"),
            sleep("pause", 1.0),
            control(
                "signal",
                NodeKind.THROW,
                after=["pause"],
                throw=ThrowSpec(kind="signal", name="go", data=Expr("{'n': 1}")),
            ),
        ),
    )
    assert result["status"] == "COMPLETED", result
    seen = statuses(result)
    assert seen["first"] == seen["second"] == seen["signal"] == "COMPLETED"
    thrown = [a["detail"] for a in result["audit"] if a["event"] == "thrown"]
    assert thrown == ["signal 'go': taken by first, second"]
    outputs = {s["step_id"]: s["output"] for s in result["steps"]}
    assert outputs["first"][0]["data"] == {"n": 1}


async def test_plan_checks_name_what_a_trigger_lacks():
    bad = plan(
        sleep(
            "long",
            1,
            triggers=[
                Trigger(to="nowhere", wait=WaitSpec(seconds=1)),
                Trigger(to="x", escalation="a", condition=e("True")),
                Trigger(to="x", wait=WaitSpec(seconds=1), repeat=3),
            ],
        ),
        mark("x", ["long"]),
        control("t", NodeKind.THROW, after=["x"]),
    )
    messages = {i.path: i.message for i in plan_issues(bad)}
    assert messages["steps[0].triggers[0].to"] == "'nowhere' is not a node with 'long' in its after"
    assert messages["steps[0].triggers[1]"] == (
        "a trigger needs exactly one of wait, escalation or condition"
    )
    assert messages["steps[0].triggers[2].repeat"] == "an interrupting trigger fires once"
    assert messages["steps[2].throw"] == "a throw node needs a throw"
