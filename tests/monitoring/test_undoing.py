"""The plan of an undo run (monitoring.undoing): what is left to undo of an
ended run, filled in from what it kept, newest first — or why not."""

from __future__ import annotations

import pytest

from baton.monitoring.undoing import UndoRefused, undo_plan, undone_by
from baton.plan.model import Expr, Plan, PlanStep

URL = "http://svc"


def step(step_id: str, **fields) -> PlanStep:
    return PlanStep(
        id=step_id,
        name=step_id,
        action={"type": "api_call", "url": f"{URL}/{step_id}", "method": "POST"},
        compensation={
            "type": "api_call",
            "url": f"{URL}/{step_id}/{{{step_id}.id}}",
            "method": "DELETE",
            "payload": {"who": "{context.owner}", "literal": "{{braces}}"},
        },
        **fields,
    )


def ended(*entries, compensations=(), status="COMPLETED") -> dict:
    return {
        "status": status,
        "steps": [
            {"step_id": k, "status": s, "completed_at": f"2026-12-07T00:00:0{i}Z", "output": o}
            for i, (k, s, o) in enumerate(entries)
        ],
        "compensations": [{"step_id": k, "status": s} for k, s in compensations],
    }


PLAN = Plan(
    kind="saga",
    id="p",
    name="P",
    steps=[step("a"), step("b", after=["a"]), step("c", after=["b"])],
    context={"owner": "ada"},
)


def test_what_is_left_is_undone_newest_first_filled_in_from_what_the_run_kept():
    state = ended(
        ("a", "COMPLETED", {"id": 1}),
        ("b", "COMPLETED", {"id": 2}),
        ("c", "FAILED", None),
        compensations=[("b", "COMPENSATED"), ("a", "FAILED")],
        status="COMPENSATION_FAILED",
    )
    undo = undo_plan(PLAN, state, "run-1")
    assert [s.id for s in undo.steps] == ["undo_a"]
    action = undo.steps[0].action
    assert action["url"] == f"{URL}/a/1" and action["payload"] == {
        "who": "ada",
        "literal": "{braces}",
    }
    assert undo.steps[0].literal and undo.options.origin == PLAN.options.origin

    whole = undo_plan(
        PLAN, ended(("a", "COMPLETED", {"id": 1}), ("b", "COMPLETED", {"id": 2})), "r"
    )
    assert [s.id for s in whole.steps] == ["undo_b", "undo_a"]
    assert whole.steps[1].after == ["undo_b"]
    assert undone_by({"steps": [{"step_id": "undo_b", "status": "COMPLETED"}]}) == {"b"}
    with pytest.raises(UndoRefused, match="nothing left to undo"):
        undo_plan(
            PLAN,
            ended(("a", "COMPLETED", {"id": 1}), ("b", "COMPLETED", {"id": 2})),
            "r",
            {"a", "b"},
        )


@pytest.mark.parametrize(
    ("plan", "state", "why"),
    [
        (PLAN, {"status": "RUNNING"}, "only an ended run"),
        (
            Plan(
                kind="saga", id="p", name="P", steps=[step("a", compensation_from=Expr(".", "jq"))]
            ),
            ended(("a", "COMPLETED", {"id": 1})),
            "computed from what the run held",
        ),
        (
            Plan(
                kind="process",
                id="p",
                name="P",
                steps=[PlanStep("s", "s", {}, kind="scope", body=[step("x")])],
            ),
            ended(("s/x", "COMPLETED", {"id": 1})),
            "inside a scope or loop",
        ),
        (PLAN, ended(("a", "COMPLETED", {"other": 1})), "cannot be filled in"),
    ],
)
def test_an_undo_an_ended_run_cannot_do_is_refused_with_the_reason(plan, state, why):
    with pytest.raises(UndoRefused, match=why):
        undo_plan(plan, state, "run-1")
