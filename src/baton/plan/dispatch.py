"""Which steps run as local activities: in the workflow's own task, on the
worker that runs the workflow, with no task-queue round trip per attempt.

A step qualifies when every action it runs (its action and its
compensation) is of a kind that needs no heartbeat to be seen alive and
starts nothing that outlives it (``ActionKind.local``: api calls, HTTP and
OpenAPI calls, scripts, Python functions, emits, MCP calls over HTTP), and
it is not detached. Qualifying steps run locally

- when the definition asks (``local: true`` on a saga step), whatever their
  timeout, or
- by themselves when they are declared short: a timeout per attempt or for
  the whole node of at most ``LOCAL_STEP_SECONDS``.

``local: false`` keeps a step on the task queue. What changes for the user
is in docs/sagas.md ("Local steps"). The choice is written into the plan
when the run starts (``settle``), so a later change of these rules never
changes what a run in flight does.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..actions.registry import ACTION_KINDS, DEFINITION_TYPES
from .model import NodeKind, Plan, PlanStep

# a step declared to take at most this long runs locally unless it says not
# to: it fits in one workflow task (Temporal's default timeout is 10 s)
LOCAL_STEP_SECONDS = 10.0


def _kinds(step: PlanStep) -> list[str]:
    actions = [step.action, step.compensation or {}]
    return [str(a.get("type")) for a in actions if a]


def why_not_local(step: PlanStep) -> str | None:
    """Why ``step`` cannot run as a local activity (None: it can)."""
    if step.kind != NodeKind.ACTION:
        return f"it is a {step.kind} node, not an action"
    if step.detached:
        return "it is detached (started and left running)"
    if any(action.get("checkpoint") for action in (step.action, step.compensation or {})):
        return (
            "it is checkpointed (it heartbeats its progress and resumes on another worker "
            "from its checkpoints)"
        )
    for kind in _kinds(step):
        found = ACTION_KINDS.get(kind)
        if found is None or not found.local:
            return (
                f"a {kind} action cannot run locally (it needs heartbeats or outlives "
                "the step); local steps run "
                + ", ".join(sorted(k for k in DEFINITION_TYPES if ACTION_KINDS[k].local))
                + " actions"
            )
    return None


def declared_short(step: PlanStep) -> bool:
    limits = [step.timeout_seconds, step.deadline_seconds]
    return min(v for v in limits if v is not None) <= LOCAL_STEP_SECONDS


def _every(steps: list[PlanStep]) -> Iterator[PlanStep]:
    for step in steps:
        yield step
        if step.undo_with is not None:
            yield from _every([step.undo_with])
        yield from _every(step.body)
        if step.subprocess is not None:
            yield from _every(step.subprocess.steps)


def settle(plan: Plan) -> Plan:
    """Decide, for every step the definition left open, whether it runs
    locally (in place; the plan is returned)."""
    for step in _every(plan.steps):
        if step.local is None:
            step.local = why_not_local(step) is None and declared_short(step)
        elif step.local and why_not_local(step) is not None:
            step.local = False  # check_plan reports it first; never run it locally
    return plan
