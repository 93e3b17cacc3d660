"""What every part of the interpreter shares about one run: its plan, its
status document, the outputs and context steps read, and the undo list.

The parts (:mod:`.steps` runs actions, :mod:`.undo` compensates, :mod:`.flow`
schedules nodes) each hold this one object instead of reaching into the
workflow class. Plain data and temporalio's workflow API only.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from ..integrations import emitting
    from ..plan.model import Plan, PlanStep
    from . import state as st
    from .events import EventBox
    from .vocabulary import EventKind

# At most this many step entries are kept in the status document; past it, the
# oldest ended entries of nested nodes (loop iterations) are dropped and
# counted, so a long loop cannot outgrow Temporal's 2 MB result payload.
MAX_STEP_ENTRIES = 2_000
# The audit trail likewise: past this, the oldest entries about nested node
# instances go (a batch at a time), counted in `audit_omitted`.
MAX_AUDIT_ENTRIES = 5_000
AUDIT_BATCH = 500


class Run:
    def __init__(self, plan: Plan, run_input: Any, started_as: int) -> None:
        self.plan = plan
        self.input = run_input
        self.records = 0  # audit records made (a lifecycle event's place in the run)
        self.state = st.RunState(
            workflow_id=workflow.info().workflow_id,
            kind=plan.kind,
            name=plan.name,
            plan_id=plan.id,
            status=st.RUNNING,
            started_at=st.iso(workflow.now()),
            plan_format_version=started_as,
            estimated_duration_hours=plan.options.estimated_duration_hours,
            notes=list(plan.options.notes),
            steps=[_entry(step, step.id) for step in plan.steps],
        )
        # instance key -> its status entry and its node. A node's first
        # instance is keyed by the node id; later ones (loops) say which.
        self.step_states: dict[str, st.StepState] = {s.step_id: s for s in self.state.steps}
        self._top_level = set(self.step_states)
        self.nodes: dict[str, PlanStep] = {step.id: step for step in plan.steps}
        # the newest output of each node (placeholders, expressions), and
        # each instance's own (its compensation reads it)
        self.outputs: dict[str, Any] = {}
        self.instance_outputs: dict[str, Any] = {}
        # the names an instance's placeholders saw besides the run's (loop
        # items, its scope's outputs): its compensation sees them too
        self.instance_names: dict[str, dict[str, Any]] = {}
        # a completed instance's compensation fields (`compensation_from`),
        # or why they could not be made
        self.compensation_fields: dict[str, dict[str, Any] | str] = {}
        # node ids in the order they last completed (oldest first)
        self.completion_order: dict[str, None] = {}
        # the context: the plan's, changed by nodes that export into it
        self.context: dict[str, Any] = dict(plan.context)
        # bumped whenever the context changes (conditional triggers look again)
        self.context_version = 0
        # instances cancelled while an attempt's activity was running
        self.unknown: set[str] = set()
        # a local step ran since the run last handed its workflow task back:
        # its result is recorded only when that task completes (see
        # ProcessWorkflow._record_local_results)
        self.local_results_pending = False
        # what completed inside a scope instance that a scope undoes (its
        # undo_with), by the instance's key
        self.kept_undo: dict[str, list[str]] = {}
        self.events = EventBox()
        self.stop_scheduling = False
        # bumped whenever the run or a scope fails: nested scopes wake and stop
        self.stop_epoch = 0
        self.cancel_requested = False
        # the run's own undo is under way (not a scope's)
        self.undoing_run = False
        # set by an `@end` route: the run ends now, successfully
        self.ended_early = False

    @property
    def workflow_id(self) -> str:
        return self.state.workflow_id

    def entry(self, node: PlanStep, key: str, iteration: int | None) -> st.StepState:
        """The status entry of a node instance (made when a nested or
        repeated node starts)."""
        found = self.step_states.get(key)
        if found is not None:
            return found
        made = _entry(node, key)
        made.node_id, made.iteration = node.id, iteration
        self.step_states[key] = made
        self.nodes[key] = node
        self.state.steps.append(made)
        self._bound_entries()
        return made

    def _bound_entries(self) -> None:
        steps = self.state.steps
        if len(steps) <= MAX_STEP_ENTRIES:
            return
        for index, entry in enumerate(steps):
            ended = entry.status not in (st.PENDING, st.STEP_RUNNING)
            if ended and entry.step_id not in self._top_level:
                del steps[index]
                self.state.steps_omitted += 1
                return

    def completed(self, node: PlanStep, key: str, output: Any) -> None:
        self.outputs[node.id] = output
        self.instance_outputs[key] = output
        self.completion_order.pop(node.id, None)
        self.completion_order[node.id] = None

    def record(
        self,
        event: EventKind,
        step_id: str | None = None,
        *,
        attempt: int | None = None,
        detail: str | None = None,
    ) -> None:
        audit = self.state.audit
        at = st.iso(workflow.now()) or ""
        audit.append(
            st.AuditEvent(at=at, event=event, step_id=step_id, attempt=attempt, detail=detail)
        )
        # lifecycle events out (integrations.emitting: nothing while replaying)
        self.records += 1
        emitting.audit_recorded(
            seq=self.records,
            kind=self.plan.kind,
            name=self.plan.name,
            audit_event=str(event),
            at=at,
            status=str(self.state.status),
            step_id=step_id,
            attempt=attempt,
            detail=detail,
            started_at=self.state.started_at,
        )
        if len(audit) > MAX_AUDIT_ENTRIES:
            self._drop_audit()

    def _drop_audit(self) -> None:
        audit, dropped = self.state.audit, 0
        kept = []
        for entry in audit:
            nested = entry.step_id is not None and entry.step_id not in self._top_level
            if nested and dropped < AUDIT_BATCH:
                dropped += 1
                continue
            kept.append(entry)
        if dropped == 0:  # nothing nested to drop: the oldest entries go
            dropped, kept = AUDIT_BATCH, audit[AUDIT_BATCH:]
        self.state.audit = kept
        self.state.audit_omitted += dropped

    def set_context(self, context: dict[str, Any]) -> None:
        """The context becomes ``context`` (a node exported into it)."""
        self.context.clear()
        self.context.update(context)
        self.context_version += 1

    def fail(self, reason: str) -> None:
        """The run fails: no new step starts; what completed is compensated."""
        self.stop_scheduling = True
        self.stop_epoch += 1
        if self.state.failure is None:
            self.state.failure = reason
            self.record(EventKind.RUN_FAILED, detail=reason)

    def stopping_forward(self, phase: str) -> bool:
        return phase == "forward" and (self.stop_scheduling or self.cancel_requested)


def _entry(step: PlanStep, key: str) -> st.StepState:
    return st.StepState(
        step_id=key,
        name=step.name,
        critical=step.critical,
        depends_on=list(step.after),
        parallel_group=step.parallel_group,
        agent_type=step.agent_type,
        action_type=str(step.action.get("type", "")),
        node_id=step.id,
        kind=step.kind,
        sla=(
            None
            if step.sla is None
            else {
                "duration_seconds": step.sla.duration_seconds,
                "warning_seconds": step.sla.warning_seconds,
                "status": None,
            }
        ),
    )
