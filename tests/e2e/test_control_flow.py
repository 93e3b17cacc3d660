"""Plan format 3's control nodes on a real Temporal server, in plans built by
hand as the process-language and BPMN front ends build them: conditions,
exclusive and inclusive routes with their merges, loops (for-each, counted,
while, parallel with a limit, a cycle of edges), scopes with catch handlers,
retries and their own undo, raise, sub-processes, and routes that end a
scope or the whole run."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from baton.plan.model import (
    END,
    EXIT,
    Catch,
    ErrorSpec,
    Join,
    LoopSpec,
    NodeKind,
    RetrySpec,
    Route,
)
from baton.testing import until
from tests.support.plans import call, control, e, lines, node, note, plan

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def baton(python_baton: Any) -> Any:
    return python_baton


async def finish(baton: Any, the_plan: Any, input: Any = None) -> dict[str, Any]:
    run = await baton.client.start_plan(the_plan, input=input)
    return await asyncio.wait_for(run.result(), 90)


def statuses(result: dict[str, Any]) -> dict[str, str]:
    return {s["step_id"]: s["status"] for s in result["steps"]}


async def test_a_false_condition_passes_over_a_node_and_the_nodes_after_it_still_run(
    baton, tmp_path
):
    log = tmp_path / "log"
    result = await finish(
        baton,
        plan(
            node("always", note(log, "always")),
            node(
                "only_big",
                note(log, "big"),
                after=["always"],
                when=e("workflow.input.amount > 1000"),
            ),
            node("after", note(log, "after"), after=["only_big"]),
        ),
        input={"amount": 10},
    )
    assert result["status"] == "COMPLETED", result
    assert statuses(result) == {"always": "COMPLETED", "only_big": "SKIPPED", "after": "COMPLETED"}
    skipped = next(s for s in result["steps"] if s["step_id"] == "only_big")
    assert skipped["error"] == "its condition is false"
    assert lines(log) == ["always", "after"]


async def test_a_condition_that_fails_fails_its_node_naming_the_problem(baton, tmp_path):
    result = await finish(
        baton, plan(node("n", note(tmp_path / "log", "x"), when=e("context.missing > 1")))
    )
    assert result["status"] == "COMPENSATED"
    assert "its condition failed: no key 'missing' in context" in result["failure"]


async def test_an_exclusive_choice_takes_one_route_and_the_merge_runs_once(baton, tmp_path):
    log = tmp_path / "log"
    choice = control(
        "choose",
        NodeKind.NOOP,
        routes=[
            Route("small", e("input.amount < 100")),
            Route("medium", e("input.amount < 1000")),
            Route("large"),
        ],
    )
    the_plan = plan(
        choice,
        node("small", note(log, "small"), after=["choose"]),
        node("medium", note(log, "medium"), after=["choose"]),
        node("large", note(log, "large"), after=["choose"]),
        node("merge", note(log, "merge"), after=["small", "medium", "large"], join=Join.ANY),
        output="output",
    )
    result = await finish(baton, the_plan, input={"amount": 500})
    assert result["status"] == "COMPLETED", result
    assert statuses(result) == {
        "choose": "COMPLETED",
        "small": "SKIPPED",
        "medium": "COMPLETED",
        "large": "SKIPPED",
        "merge": "COMPLETED",
    }
    assert lines(log) == ["medium", "merge"]
    assert result["output"] == {"text": "merge"}
    # the default route, when no other holds
    result = await finish(baton, the_plan, input={"amount": 5000})
    assert statuses(result)["large"] == "COMPLETED"


async def test_an_inclusive_choice_takes_every_route_that_holds_and_joins_them(baton, tmp_path):
    log = tmp_path / "log"
    the_plan = plan(
        control(
            "split",
            NodeKind.NOOP,
            route_mode="all",
            routes=[
                Route("email", e("'email' in input.channels")),
                Route("sms", e("'sms' in input.channels")),
                Route("post", e("'post' in input.channels")),
            ],
        ),
        node("email", note(log, "email"), after=["split"]),
        node("sms", note(log, "sms"), after=["split"]),
        node("post", note(log, "post"), after=["split"]),
        control("join", NodeKind.NOOP, after=["email", "sms", "post"], join=Join.ANY),
        output="output",
    )
    result = await finish(baton, the_plan, input={"channels": ["email", "post"]})
    assert result["status"] == "COMPLETED", result
    assert statuses(result)["sms"] == "SKIPPED"
    assert sorted(lines(log)) == ["email", "post"]
    # the join's input is the list of what reached it, in edge order
    assert result["output"] == [{"text": "email"}, {"text": "post"}]


async def test_no_route_holding_and_no_default_fails_the_node(baton):
    result = await finish(
        baton,
        plan(
            control("choose", NodeKind.NOOP, routes=[Route("a", e("false"))]),
            control("a", NodeKind.NOOP, after=["choose"]),
        ),
    )
    assert result["status"] == "COMPENSATED"
    assert "no route holds and there is no default route" in result["failure"]


async def test_set_nodes_and_data_mappings_hand_data_on(baton):
    the_plan = plan(
        control("start", NodeKind.SET, value=e("{'n': workflow.input.n, 'unit': 'kg'}")),
        node(
            "double",
            call("echo", "{n}"),
            after=["start"],
            output=e("{'n': output * 2}"),
            export=e("{'doubled': output.n}"),
        ),
        control("end", NodeKind.SET, after=["double"], value=e("[input.n, context.doubled]")),
        output="output",
    )
    result = await finish(baton, the_plan, input={"n": 21})
    assert result["status"] == "COMPLETED", result
    assert result["output"] == [42, 42]


async def test_a_for_each_loop_hands_each_iteration_its_item_and_collects(baton, tmp_path):
    log = tmp_path / "log"
    loop = control(
        "each",
        NodeKind.LOOP,
        loop=LoopSpec(each=e("workflow.input.names"), item="name", collect=True),
        body=[node("greet", call("note", str(log), "{name}"))],
    )
    result = await finish(baton, plan(loop, output="output"), input={"names": ["ada", "bo", "cy"]})
    assert result["status"] == "COMPLETED", result
    assert lines(log) == ["ada", "bo", "cy"]
    assert result["output"] == [{"text": "ada"}, {"text": "bo"}, {"text": "cy"}]
    # every iteration is its own entry, keyed by loop and index
    greets = [s for s in result["steps"] if s["node_id"] == "greet"]
    assert [(s["step_id"], s["iteration"]) for s in greets] == [
        ("each[0]/greet", 0),
        ("each[1]/greet", 1),
        ("each[2]/greet", 2),
    ]


async def test_a_while_loop_threads_its_data_until_the_condition_fails(baton):
    loop = control(
        "count",
        NodeKind.LOOP,
        loop=LoopSpec(condition=e("input < 5")),
        body=[control("inc", NodeKind.SET, value=e("input + 1"))],
    )
    result = await finish(baton, plan(loop, output="output"), input=0)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == 5


async def test_a_do_while_loop_runs_its_body_at_least_once(baton):
    loop = control(
        "once",
        NodeKind.LOOP,
        loop=LoopSpec(condition=e("input < 0"), test_before=False),
        body=[control("inc", NodeKind.SET, value=e("input + 1"))],
    )
    result = await finish(baton, plan(loop, output="output"), input=10)
    assert result["output"] == 11


async def test_a_parallel_loop_keeps_its_concurrency_limit_and_the_order_of_results(
    baton, tmp_path
):
    loop = control(
        "fan",
        NodeKind.LOOP,
        loop=LoopSpec(times=e("6"), parallel=True, max_concurrency=2),
        body=[node("work", {"type": "script", "script": "sleep 0.3; echo {index}"})],
    )
    result = await finish(baton, plan(loop, output="output"))
    assert result["status"] == "COMPLETED", result
    assert result["output"] == [0, 1, 2, 3, 4, 5]  # a script's JSON stdout is its output
    spans = sorted(
        (s["started_at"], s["completed_at"]) for s in result["steps"] if s["node_id"] == "work"
    )
    most = max(sum(1 for a, b in spans if a <= start < b) for start, _ in spans)
    assert most <= 2


async def test_a_completion_condition_ends_a_parallel_loop_early(baton):
    loop = control(
        "race",
        NodeKind.LOOP,
        loop=LoopSpec(
            times=e("4"),
            parallel=True,
            complete_when=e("output == 0"),
        ),
        body=[node("work", {"type": "script", "script": "sleep $(( {index} * 3 )); echo {index}"})],
    )
    result = await finish(baton, plan(loop, output="output"))
    assert result["status"] == "COMPLETED", result
    work = {s["step_id"]: s["status"] for s in result["steps"] if s["node_id"] == "work"}
    assert work["race[0]/work"] == "COMPLETED"
    assert list(work.values()).count("CANCELLED") == 3
    assert result["output"] == [0, None, None, None]


async def test_a_cycle_of_edges_loops_until_its_route_leaves(baton):
    """The BPMN and process-language shape of a loop: a merge with join
    "each", work, and a choice that routes back or on."""
    the_plan = plan(
        control("init", NodeKind.SET, value=e("0")),
        control("again", NodeKind.NOOP, after=["init", "check"], join=Join.EACH),
        control("inc", NodeKind.SET, after=["again"], value=e("input + 1")),
        control(
            "check",
            NodeKind.NOOP,
            after=["inc"],
            routes=[Route("again", e("input < 3")), Route("done")],
        ),
        control("done", NodeKind.SET, after=["check"], value=e("input * 10")),
        output="output",
    )
    result = await finish(baton, the_plan)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == 30
    inc = [s["step_id"] for s in result["steps"] if s["node_id"] == "inc"]
    assert inc == ["inc", "inc#2", "inc#3"]


async def test_a_catch_routes_a_failure_to_its_handler_and_the_run_goes_on(baton, tmp_path):
    log = tmp_path / "log"
    the_plan = plan(
        node(
            "charge",
            call("fail", "PaymentDeclined", 402),
            catch=[Catch(type="PaymentDeclined", status=402, to="apologise")],
            routes=[Route("ship")],
        ),
        node("ship", note(log, "ship"), after=["charge"]),
        control("apologise", NodeKind.SET, after=["charge"], value=e("input.type")),
        output="output",
    )
    result = await finish(baton, the_plan)
    assert result["status"] == "COMPLETED", result
    assert statuses(result) == {"charge": "FAILED", "ship": "SKIPPED", "apologise": "COMPLETED"}
    assert result["output"] == "PaymentDeclined"
    assert "error_caught" in [a["event"] for a in result["audit"]]


async def test_a_catch_filter_that_does_not_match_leaves_the_failure_to_the_run(baton):
    result = await finish(
        baton,
        plan(
            node(
                "charge",
                call("fail", "PaymentDeclined", 402),
                catch=[Catch(status=503), Catch(when=e("error.type == 'Other'"))],
            )
        ),
    )
    assert result["status"] == "COMPENSATED"
    assert "PaymentDeclined on purpose" in result["failure"]


async def test_a_catch_with_a_retry_policy_runs_a_scope_again(baton, tmp_path):
    log = tmp_path / "log"
    scope = control(
        "try",
        NodeKind.SCOPE,
        body=[node("call", call("flaky", str(log), "ok", 2))],
        catch=[
            Catch(
                type="Flaky",
                retry=RetrySpec(max_attempts=3, initial_interval_seconds=0.1),
            )
        ],
    )
    result = await finish(baton, plan(scope, output="output"))
    assert result["status"] == "COMPLETED", result
    assert lines(log) == ["try-ok", "try-ok", "try-ok", "ok"]
    assert [a["event"] for a in result["audit"]].count("step_retried") == 2
    # each try of the scope has its own instances (activity ids, idempotency keys)
    calls = [(s["step_id"], s["status"]) for s in result["steps"] if s["node_id"] == "call"]
    assert calls == [("call", "FAILED"), ("try~2/call", "FAILED"), ("try~3/call", "COMPLETED")]


async def test_a_failed_transaction_scope_undoes_its_own_work_before_its_handler(baton, tmp_path):
    log = tmp_path / "log"
    scope = control(
        "booking",
        NodeKind.SCOPE,
        after=["before"],
        compensate_on_error=True,
        body=[
            node("hotel", note(log, "hotel"), compensation=note(log, "undo-hotel")),
            node("car", note(log, "car"), compensation=note(log, "undo-car"), after=["hotel"]),
            node("flight", call("fail", "NoSeats"), after=["car"]),
        ],
        catch=[Catch(type="NoSeats", to="fallback")],
    )
    the_plan = plan(
        node("before", note(log, "before"), compensation=note(log, "undo-before")),
        scope,
        node("fallback", note(log, "fallback"), after=["booking"]),
    )
    result = await finish(baton, the_plan)
    assert result["status"] == "COMPLETED", result
    assert lines(log) == ["before", "hotel", "car", "undo-car", "undo-hotel", "fallback"]
    assert [c["step_id"] for c in result["compensations"]] == ["car", "hotel"]


async def test_a_later_failure_undoes_a_completed_scope_inside_out_in_reverse(baton, tmp_path):
    log = tmp_path / "log"
    the_plan = plan(
        node("a", note(log, "a"), compensation=note(log, "undo-a")),
        control(
            "group",
            NodeKind.SCOPE,
            after=["a"],
            body=[
                node("b", note(log, "b"), compensation=note(log, "undo-b")),
                node("c", note(log, "c"), compensation=note(log, "undo-c"), after=["b"]),
            ],
        ),
        node("boom", call("fail", "Late"), after=["group"]),
    )
    result = await finish(baton, the_plan)
    assert result["status"] == "COMPENSATED", result
    assert [line for line in lines(log) if line.startswith("undo")] == [
        "undo-c",
        "undo-b",
        "undo-a",
    ]


async def test_raise_fails_with_a_problem_object_that_a_catch_sees(baton):
    the_plan = plan(
        control(
            "check",
            NodeKind.RAISE,
            error=ErrorSpec(
                type="https://example.com/errors/out-of-stock",
                status=409,
                title="Out of stock",
                detail=e("'sku ' + workflow.input.sku"),
            ),
            catch=[Catch(status=409, to="handle")],
        ),
        control("handle", NodeKind.SET, after=["check"], value=e("[input.title, input.detail]")),
        output="output",
    )
    result = await finish(baton, the_plan, input={"sku": "A-1"})
    assert result["status"] == "COMPLETED", result
    assert result["output"] == ["Out of stock", "sku A-1"]
    # uncaught, the failure names it
    the_plan.steps[0].catch = []
    result = await finish(baton, the_plan, input={"sku": "A-1"})
    assert result["status"] == "COMPENSATED"
    assert "Out of stock: sku A-1" in result["failure"]


async def test_a_sub_process_runs_as_a_child_run_and_hands_back_its_output(baton, tmp_path):
    log = tmp_path / "log"
    child = plan(
        control("double", NodeKind.SET, value=e("input * 2")),
        node("noted", note(log, "child"), after=["double"], output=e("input")),
        plan_id="child",
        output="output",
    )
    the_plan = plan(
        control("sub", NodeKind.SUBPROCESS, subprocess=child),
        control("plus", NodeKind.SET, after=["sub"], value=e("input + 1")),
        output="output",
    )
    run = await baton.client.start_plan(the_plan, input=20)
    result = await asyncio.wait_for(run.result(), 90)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == 41
    assert lines(log) == ["child"]
    child_run = await baton.client.status(f"{run.workflow_id}.sub")
    assert child_run["status"] == "COMPLETED" and child_run["output"] == 40


async def test_a_failing_sub_process_fails_its_node(baton):
    child = plan(node("boom", call("fail", "ChildBroke")), plan_id="child")
    result = await finish(baton, plan(control("sub", NodeKind.SUBPROCESS, subprocess=child)))
    assert result["status"] == "COMPENSATED"
    assert "ended COMPENSATED" in result["failure"] and "ChildBroke" in result["failure"]


async def test_a_route_to_end_completes_the_run_and_cancels_what_still_runs(baton):
    the_plan = plan(
        node("slow", {"type": "script", "script": "sleep 30"}),
        control("quick", NodeKind.SET, value=e("'done early'"), routes=[Route(END)]),
        output="output",
    )
    result = await finish(baton, the_plan)
    assert result["status"] == "COMPLETED", result
    assert statuses(result) == {"slow": "CANCELLED", "quick": "COMPLETED"}
    assert result["output"] == "done early"
    assert "run_ended_early" in [a["event"] for a in result["audit"]]


async def test_a_race_scope_ends_with_its_first_branch_and_a_route_to_exit_ends_a_scope(baton):
    race = control(
        "race",
        NodeKind.SCOPE,
        complete_on="first",
        body=[
            node("slow", {"type": "script", "script": "sleep 30; echo slow"}),
            node("fast", {"type": "script", "script": "echo fast"}),
        ],
    )
    leave = control(
        "leave",
        NodeKind.SCOPE,
        after=["race"],
        body=[
            control("out", NodeKind.SET, value=e("input.stdout.strip()"), routes=[Route(EXIT)]),
            control("never", NodeKind.SET, after=["out"], value=e("'never'")),
        ],
    )
    result = await finish(baton, plan(race, leave, output="output"))
    assert result["status"] == "COMPLETED", result
    assert statuses(result)["slow"] == "CANCELLED"
    assert result["output"] == "fast"
    assert "never" not in statuses(result)  # its scope had ended


async def test_a_node_deadline_fails_it_with_a_timeout_error_a_catch_can_take(baton):
    the_plan = plan(
        control(
            "slow",
            NodeKind.SCOPE,
            deadline_seconds=1,
            body=[node("sleep", {"type": "script", "script": "sleep 30"})],
            catch=[Catch(type="timeout", to="late")],
        ),
        control("late", NodeKind.SET, after=["slow"], value=e("input.title")),
        output="output",
    )
    result = await finish(baton, the_plan)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == "timed out after 1s"
    assert statuses(result)["sleep"] == "CANCELLED"


async def test_cancelling_a_run_inside_a_loop_undoes_the_iterations_that_completed(baton, tmp_path):
    log = tmp_path / "log"
    loop = control(
        "each",
        NodeKind.LOOP,
        loop=LoopSpec(times=e("50")),
        body=[
            node(
                "step",
                {"type": "script", "script": f"echo {{index}} >> {log}; sleep 0.5"},
                compensation={"type": "script", "script": f"echo undo-{{index}} >> {log}"},
            )
        ],
    )
    run = await baton.client.start_plan(plan(loop))

    async def some_done() -> bool:
        return len(lines(log)) >= 3

    await until(some_done, timeout=30)
    await run.cancel()
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "CANCELLED"
    done = [line for line in lines(log) if not line.startswith("undo")]
    undone = [line for line in lines(log) if line.startswith("undo")]
    completed = [
        s["step_id"]
        for s in result["steps"]
        if s["node_id"] == "step" and s["status"] == "COMPLETED"
    ]
    # every completed iteration undone, newest first; the one cut off is not (no compensate_if_unknown)
    assert undone == [f"undo-{k.split('[')[1].split(']')[0]}" for k in reversed(completed)]
    assert len(completed) >= 2
    assert len(completed) <= len(done) <= len(completed) + 1


async def test_jq_expressions_run_in_the_worker_like_baton_ones(baton):
    from baton.plan.model import Expr

    def jq(source: str) -> Expr:
        return Expr(source, "jq")

    the_plan = plan(
        control("start", NodeKind.SET, value=jq("{total: (.items | map(.price) | add)}")),
        control(
            "choose",
            NodeKind.NOOP,
            after=["start"],
            routes=[Route("big", jq(".total > 100")), Route("small")],
        ),
        control("big", NodeKind.SET, after=["choose"], value=jq('"big: \\(.total)"')),
        control("small", NodeKind.SET, after=["choose"], value=jq('"small: \\(.total)"')),
        control("merge", NodeKind.NOOP, after=["big", "small"], join=Join.ANY),
        output="output",
    )
    the_plan.options.output = jq("{result: ., by: $workflow.id}")
    run = await baton.client.start_plan(the_plan, input={"items": [{"price": 70}, {"price": 50}]})
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {"result": "big: 120", "by": run.workflow_id}
    # refused before anything starts
    the_plan.steps[0].value = jq("now")
    with pytest.raises(Exception, match="uses now, which reads the clock"):
        await baton.client.start_plan(the_plan)
