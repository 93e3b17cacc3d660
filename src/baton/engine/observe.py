"""What the interpreter tells :mod:`baton.monitoring.metrics` about a run:
its start and end, each step that ended, each compensation, its SLA
warnings and breaches. Labels come from
the plan (its kind and name, a node's action type or kind) and from the
closed vocabulary of statuses — never from a workflow or step id.

Called from workflow code: the metric functions record nothing while a
workflow replays and issue no command, so these calls change no history."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from ..monitoring import metrics
    from ..plan.model import NodeKind, PlanStep
    from . import state as st
    from .run import Run

# nodes whose duration means something (the others are instant)
TIMED_KINDS = (NodeKind.ACTION, NodeKind.WAIT, NodeKind.SCOPE, NodeKind.LOOP, NodeKind.SUBPROCESS)
# a status (as its plain word) -> the metric's outcome label
STEP_OUTCOMES = {
    str(st.STEP_COMPLETED): "completed",
    str(st.FAILED): "failed",
    str(st.STEP_CANCELLED): "cancelled",
}
COMPENSATION_OUTCOMES = {str(st.COMP_COMPENSATED): "compensated", str(st.COMP_FAILED): "failed"}


def run_started(run: Run) -> None:
    metrics.record_run_started(run.plan.kind, run.plan.name)


def run_ended(run: Run) -> None:
    state = run.state
    seconds = metrics.seconds_since(state.started_at, workflow.now())
    metrics.record_run_ended(run.plan.kind, run.plan.name, state.status, seconds)


def step_ended(run: Run, node: PlanStep, entry: st.StepState) -> None:
    """A node instance ended: its duration (and, for an action, its attempts)
    by the action type (``api_call``, ``script``, ``approval``, ...) or the
    node's kind (``wait``, ``scope``, ``loop``, ``subprocess``)."""
    outcome = STEP_OUTCOMES.get(str(entry.status))
    if node.kind not in TIMED_KINDS or outcome is None:
        return
    action = node.kind == NodeKind.ACTION
    metrics.record_step(
        run.plan.kind,
        run.plan.name,
        (entry.action_type or node.kind) if action else node.kind,
        outcome,
        metrics.seconds_since(entry.started_at, workflow.now()),
        entry.attempts if action else None,
    )


def compensation_ended(run: Run, compensation: st.CompensationState) -> None:
    outcome = COMPENSATION_OUTCOMES.get(str(compensation.status))
    if outcome is not None:
        metrics.record_compensation(run.plan.kind, run.plan.name, outcome)


def sla_warning(run: Run) -> None:
    """The run passed its SLA's warning threshold."""
    metrics.record_sla_warning(run.plan.kind, run.plan.name, "run")


def sla_breached(run: Run, scope: str) -> None:
    """The run (``scope`` run) or one of its steps (``step``) broke its SLA."""
    metrics.record_sla_breach(run.plan.kind, run.plan.name, scope)
