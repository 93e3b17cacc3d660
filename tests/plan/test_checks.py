"""The last check before a plan runs, whoever built it: each problem named by
its plan path."""

from __future__ import annotations

import pytest

from baton.errors import DefinitionError
from baton.plan.checks import check_plan, plan_issues
from baton.plan.model import (
    Catch,
    EventFilter,
    Expr,
    Join,
    LoopSpec,
    NodeKind,
    Route,
    WaitSpec,
)
from tests.support.plans import call, control, e, node, plan


def messages(the_plan) -> list[str]:
    return [f"{i.path}: {i.message}" for i in plan_issues(the_plan)]


def test_a_well_formed_plan_passes() -> None:
    check_plan(
        plan(
            node("a", call("echo", 1)),
            control(
                "choose",
                NodeKind.NOOP,
                after=["a"],
                routes=[Route("b", e("input > 0")), Route("c")],
            ),
            node("b", call("echo", 2), after=["choose"]),
            node("c", call("echo", 3), after=["choose"]),
            control("merge", NodeKind.NOOP, after=["b", "c"], join=Join.ANY),
            control(
                "loop",
                NodeKind.LOOP,
                after=["merge"],
                loop=LoopSpec(each=e("[1, 2]")),
                body=[control("inner", NodeKind.SET, value=e("item"))],
            ),
            control(
                "wait", NodeKind.WAIT, after=["loop"], wait=WaitSpec(events=[EventFilter(type="t")])
            ),
        )
    )


@pytest.mark.parametrize(
    ("nodes", "expected"),
    [
        (
            [node("a", call("echo", 1)), node("a", call("echo", 2))],
            "steps[1].id: 'a' is also the id of steps[0]",
        ),
        (
            [control("s", NodeKind.SCOPE, body=[node("s", call("echo", 1))])],
            "steps[0].body[0].id: 's' is also the id of steps[0]",
        ),
        (
            [node("a", call("echo", 1), after=["ghost"])],
            "steps[0].after: 'ghost' is not a node of this scope",
        ),
        ([node("a", call("echo", 1), after=["a"])], "steps[0].after: 'a' cannot come after itself"),
        ([control("a", "teleport")], "steps[0].kind: unknown kind 'teleport'"),
        ([node("a", {"type": "fax"})], "steps[0].action.type: unknown action type 'fax'"),
        ([control("a", NodeKind.SET)], "steps[0].value: a set node needs a value"),
        ([control("a", NodeKind.RAISE)], "steps[0].error: a raise node needs an error"),
        ([control("a", NodeKind.SCOPE)], "steps[0].body: a scope node needs a body"),
        ([control("a", NodeKind.WAIT)], "steps[0].wait: a wait node needs a wait"),
        (
            [control("a", NodeKind.WAIT, wait=WaitSpec(seconds=5, events=[EventFilter(type="t")]))],
            "steps[0].wait: a wait needs exactly one of seconds, at, duration, condition or events",
        ),
        (
            [control("a", NodeKind.LOOP, loop=LoopSpec(), body=[control("b", NodeKind.NOOP)])],
            "steps[0].loop: a loop needs each, times or condition",
        ),
        (
            [
                control(
                    "a",
                    NodeKind.LOOP,
                    loop=LoopSpec(condition=e("true"), parallel=True),
                    body=[control("b", NodeKind.NOOP)],
                )
            ],
            "steps[0].loop.parallel: a parallel loop needs each or times",
        ),
        (
            [node("a", call("echo", 1), when=e("2 ** 8"))],
            "steps[0].when: the expression '2 ** 8' uses the ** operator",
        ),
        (
            [node("a", call("echo", 1), when=Expr("1", "cobol"))],
            "steps[0].when: the expression '1' is in an unknown language 'cobol'",
        ),
        (
            [node("a", call("echo", 1), routes=[Route("nowhere")])],
            "steps[0].routes[0].to: 'nowhere' is not @exit, @end or a node with 'a' in its after",
        ),
        (
            [node("a", call("echo", 1), routes=[Route("@end"), Route("@exit")])],
            "steps[0].routes: has more than one default route (without when)",
        ),
        (
            [node("a", call("echo", 1), catch=[Catch(to="b")]), node("b", call("echo", 2))],
            "steps[0].catch[0].to: 'b' is not a node with 'a' in its after",
        ),
        (
            [control("a", NodeKind.NOOP, deadline_seconds=-1)],
            "steps[0].deadline_seconds: must be between 0.001 and",
        ),
        (
            [
                control("a", NodeKind.NOOP, after=["b"]),
                control("b", NodeKind.NOOP, after=["a"]),
            ],
            "steps: nodes a, b form a cycle with no node of join 'each'",
        ),
    ],
)
def test_each_problem_is_named_by_its_path(nodes, expected) -> None:
    found = messages(plan(*nodes))
    assert any(m.startswith(expected) for m in found), found


def test_a_cycle_through_a_node_of_join_each_is_allowed() -> None:
    check_plan(
        plan(
            control("start", NodeKind.NOOP),
            control("again", NodeKind.NOOP, after=["start", "check"], join=Join.EACH),
            control(
                "check",
                NodeKind.NOOP,
                after=["again"],
                routes=[Route("again", e("false")), Route("@exit")],
            ),
        )
    )


def test_a_sub_process_plan_is_checked_too() -> None:
    child = plan(control("x", NodeKind.SET))
    with pytest.raises(DefinitionError) as raised:
        check_plan(plan(control("sub", NodeKind.SUBPROCESS, subprocess=child)))
    assert raised.value.issues[0].path == "steps[0].subprocess.steps[0].value"
