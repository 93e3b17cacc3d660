"""What each recovery action does to a run (docs/operations.md, "Recovery
actions"). Run by the worker — in the ``baton.recover`` activity of a
recovery run — with the worker's own connection and baton.yaml: the caller
names the run, the action and the reason, never how it is carried out.

- RETRY: a run that ended FAILED (or was terminated, or timed out) is reset
  to the workflow task that started its failed step, which then runs again;
  what the run did before it is kept. A saga that failed was undone
  (COMPENSATED): retrying one step of it would run it against undone
  predecessors, so that is refused — RESTART it.
- RESTART: a new run of the same workflow type with the same input (read
  from the first event of the old run's history), id
  ``<old id>-restart-<policy id or manual>-<n>``, memo ``restart_of``; only
  once the old run ended.
- COMPENSATE and CANCEL: a running run is cancelled; sagas and processes
  undo what completed, in reverse order (docs/sagas.md). COMPENSATE of an
  ended run (COMPLETED, or its compensation failed) starts an undo run
  (:mod:`.undoing`) for what is left to undo; CANCEL of one is refused.
- ESCALATE: an approval request to ``escalate_to`` about the run, with the
  reason and the health issues as its context.
- NOTIFY: an alert through the channels (Apprise), with the reason and issues.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import WorkflowExecutionStatus
from temporalio.common import (
    RawValue,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from ..engine.operations import RECOVERY_PREFIX, RecoveryRequest
from ..engine.search_attributes import BATON_KIND, BATON_NAME, BATON_STATUS
from ..errors import BatonError, RunAlreadyExistsError, WorkflowNotFoundError
from . import metrics
from .facts import step_of
from .policies import RecoveryAction

if TYPE_CHECKING:
    from ..config import BatonFile
    from ..runtime.client import TemporalWorkflowClient

DONE, REFUSED, FAILED = "done", "refused", "failed"
RESTARTABLE = ("saga", "process", "project", "bpmn")
LOCAL_ACTIVITY_MARKER = "core_local_activity"


@dataclass
class ActionOutcome:
    action: str
    outcome: str  # done, refused, failed
    detail: str
    new_workflow_id: str | None = None
    approval_id: str | None = None


@dataclass
class RecoveryResult:
    """The seed's ``trigger_recovery`` result, also what a recovery run
    records: which run, why, under which policy, and what each action did."""

    recovery_id: str
    workflow_id: str
    recovery_reason: str
    policy_id: str | None
    attempt: int
    actions: list[ActionOutcome] = field(default_factory=list)
    at: str = ""

    @property
    def outcome(self) -> str:
        """done when every action was, failed when one failed, else refused."""
        outcomes = {a.outcome for a in self.actions}
        if FAILED in outcomes:
            return FAILED
        return DONE if outcomes == {DONE} else REFUSED

    @property
    def success(self) -> bool:
        return self.outcome == DONE

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = self.outcome
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RecoveryResult:
        return cls(
            recovery_id=data["recovery_id"],
            workflow_id=data["workflow_id"],
            recovery_reason=data["recovery_reason"],
            policy_id=data.get("policy_id"),
            attempt=data.get("attempt", 1),
            actions=[ActionOutcome(**a) for a in data.get("actions") or []],
            at=data.get("at", ""),
        )


class Recoverer:
    """Carries out recovery actions with one client (the worker's)."""

    def __init__(self, client: TemporalWorkflowClient, baton_file: BatonFile) -> None:
        self.client = client
        self.baton_file = baton_file

    async def run(self, request: RecoveryRequest) -> RecoveryResult:
        """Every action of ``request``, in order (a refused or failed action
        does not stop the next: an escalation still goes out)."""
        result = RecoveryResult(
            recovery_id=request.recovery_id,
            workflow_id=request.workflow_id,
            recovery_reason=request.reason,
            policy_id=request.policy_id,
            attempt=request.attempt,
            at=now_iso(),
        )
        for name in request.actions:
            done = await self.perform(request, RecoveryAction(name))
            result.actions.append(done)
            metrics.record_recovery(done.action, done.outcome)  # baton_recoveries_total
        return result

    async def perform(self, request: RecoveryRequest, action: RecoveryAction) -> ActionOutcome:
        workflow_id = request.workflow_id
        try:
            if action is RecoveryAction.RETRY:
                return await self.retry(request.recovery_id, workflow_id, request.reason)
            if action is RecoveryAction.RESTART:
                restart_id = (
                    f"{workflow_id}-restart-{request.policy_id or 'manual'}-{request.attempt}"
                )
                return await self.restart(workflow_id, restart_id)
            if action is RecoveryAction.COMPENSATE:
                return await self.compensate(workflow_id, request.recovery_id)
            if action is RecoveryAction.CANCEL:
                return await self.cancel(workflow_id, action)
            if action is RecoveryAction.ESCALATE:
                return await self.escalate(request)
            return await self.notify(request)
        except WorkflowNotFoundError as exc:
            return ActionOutcome(action.value, REFUSED, str(exc))
        except BatonError as exc:
            return ActionOutcome(action.value, FAILED, str(exc))
        except RPCError as exc:
            return ActionOutcome(action.value, FAILED, f"the Temporal server said: {exc.message}")

    # ---- the actions --------------------------------------------------------

    async def cancel(self, workflow_id: str, action: RecoveryAction) -> ActionOutcome:
        desc = await self.client.describe(workflow_id)
        if desc.status != WorkflowExecutionStatus.RUNNING:
            status = (await self.client.status(workflow_id)).get("status")
            return ActionOutcome(
                action.value,
                REFUSED,
                f"{workflow_id} has ended ({status}): nothing is running to "
                + ("undo" if action is RecoveryAction.COMPENSATE else "cancel")
                + " (a run that failed has undone what it could already)",
            )
        await self.client.cancel(workflow_id)
        return ActionOutcome(
            action.value,
            DONE,
            f"cancel requested for {workflow_id}: running steps are stopped and "
            "completed steps with an undo are compensated, newest first",
        )

    async def compensate(self, workflow_id: str, recovery_id: str) -> ActionOutcome:
        """A running run is cancelled (it undoes what it did); an ended run
        whose completed steps were not all undone gets an undo run, id
        ``<id>-undo`` (then ``-undo-2``, …): the ids are looked up directly,
        so what earlier undo runs did is known for sure, never twice."""
        from ..runtime.client import TemporalWorkflowClient
        from .undoing import UndoRefused, undo_plan, undone_by

        desc = await self.client.describe(workflow_id)
        if desc.status == WorkflowExecutionStatus.RUNNING:
            return await self.cancel(workflow_id, RecoveryAction.COMPENSATE)
        state = await self.client.status(workflow_id)
        plan = await self.client.plan_of(workflow_id)
        if plan is None:
            return ActionOutcome(
                "compensate", REFUSED, f"{workflow_id} is not a run of a plan: nothing to undo"
            )
        done: set[str] = set()
        number = 1
        while True:
            undo_id = f"{workflow_id}-undo" + (f"-{number}" if number > 1 else "")
            try:
                earlier = await self.client.describe(undo_id)
            except WorkflowNotFoundError:
                break
            earlier_plan = await self.client.plan_of(undo_id)
            if earlier_plan is not None and recovery_id in earlier_plan.options.notes:
                return ActionOutcome(  # this recovery's own (its activity ran again)
                    "compensate",
                    DONE,
                    f"undo run {undo_id} undoes {workflow_id}",
                    new_workflow_id=undo_id,
                )
            if earlier.status == WorkflowExecutionStatus.RUNNING:
                return ActionOutcome("compensate", REFUSED, f"{undo_id} undoes {workflow_id} now")
            done |= undone_by(await self.client.status(undo_id))
            number += 1
        try:
            undo = undo_plan(plan, state, workflow_id, done)
        except UndoRefused as exc:
            return ActionOutcome("compensate", REFUSED, str(exc))
        undo.options.notes.append(recovery_id)
        # the ended run's own entry point: its execution policy holds for the undo
        starter = TemporalWorkflowClient(
            self.client.settings,
            temporal=self.client.temporal,
            via=plan.options.origin,
            baton_file=self.client.baton_file,
            find_credential=False,
        )
        try:  # never two undo runs of one id (two recoveries at once)
            await starter.start_plan(undo, undo_id, once=True)
        except RunAlreadyExistsError:
            return ActionOutcome(
                "compensate", REFUSED, f"{undo_id} was started meanwhile: it undoes {workflow_id}"
            )
        return ActionOutcome(
            "compensate",
            DONE,
            f"{workflow_id} ended {state.get('status')}: undo run {undo_id} compensates "
            f"{len(undo.steps)} step(s), newest first ({undo.options.notes[0]})",
            new_workflow_id=undo_id,
        )

    async def retry(self, recovery_id: str, workflow_id: str, reason: str) -> ActionOutcome:
        desc = await self.client.describe(workflow_id)
        status = await self.client.status(workflow_id)
        run_status = status.get("status")
        if desc.status == WorkflowExecutionStatus.RUNNING:
            return ActionOutcome(
                "retry",
                REFUSED,
                f"{workflow_id} is running ({run_status}): its steps retry by themselves "
                "(`baton health` shows the attempts and the last error)",
            )
        if run_status in ("COMPENSATED", "COMPENSATION_FAILED"):
            return ActionOutcome(
                "retry",
                REFUSED,
                f"{workflow_id} ended {run_status}: what it did was undone, so its failed "
                "step cannot simply run again — RESTART starts it anew",
            )
        if run_status == "COMPLETED" or run_status == "APPROVED":
            return ActionOutcome("retry", REFUSED, f"{workflow_id} completed: nothing failed")
        if status.get("kind") == "approval":
            return ActionOutcome(
                "retry", REFUSED, f"{workflow_id} is an approval: request it again instead"
            )
        failed = next(
            (s["step_id"] for s in status.get("steps") or [] if s.get("status") == "FAILED"),
            None,
        )
        temporal = await self.client.connect()
        handle = temporal.get_workflow_handle(workflow_id, run_id=desc.run_id)
        history = await handle.fetch_history()
        point = _reset_point(history.events, failed)
        if point is None:
            return ActionOutcome(
                "retry",
                REFUSED,
                f"{workflow_id}: no step to run again was found in its history"
                + (f" (failed step {failed})" if failed else "")
                + " — RESTART starts it anew",
            )
        response = await temporal.workflow_service.reset_workflow_execution(
            ResetWorkflowExecutionRequest(
                namespace=self.client.settings.namespace,
                workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=desc.run_id),
                reason=f"baton recover retry: {reason}"[:1000],
                workflow_task_finish_event_id=point,
                request_id=recovery_id,  # an activity retried resets once
            )
        )
        return ActionOutcome(
            "retry",
            DONE,
            f"{workflow_id} reset to before step {failed or '?'} (event {point}); "
            f"it runs again as run {response.run_id}",
        )

    async def restart(self, workflow_id: str, new_id: str) -> ActionOutcome:
        desc = await self.client.describe(workflow_id)
        kind = desc.typed_search_attributes.get(BATON_KIND)
        if kind not in RESTARTABLE:
            return ActionOutcome(
                "restart",
                REFUSED,
                f"{workflow_id} is {'an approval' if kind == 'approval' else 'not a Baton run'}: "
                "only sagas, processes, projects and BPMN runs restart",
            )
        if desc.status == WorkflowExecutionStatus.RUNNING:
            return ActionOutcome(
                "restart",
                REFUSED,
                f"{workflow_id} is still running: cancel it first (two runs would do the work twice)",
            )
        temporal = await self.client.connect()
        history = await temporal.get_workflow_handle(
            workflow_id, run_id=desc.run_id
        ).fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        payloads = list(started.input.payloads)
        codec = temporal.data_converter.payload_codec
        if codec is not None:
            payloads = await codec.decode(payloads)
        try:
            await temporal.start_workflow(
                started.workflow_type.name,
                args=[RawValue(p) for p in payloads],
                id=new_id,
                task_queue=started.task_queue.name,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                memo={"restart_of": workflow_id},
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(BATON_KIND, str(kind)),
                        SearchAttributePair(
                            BATON_NAME, str(desc.typed_search_attributes.get(BATON_NAME) or "")
                        ),
                        SearchAttributePair(BATON_STATUS, "RUNNING"),
                    ]
                ),
            )
        except WorkflowAlreadyStartedError:
            pass  # this recovery started it already (its activity ran again)
        return ActionOutcome(
            "restart",
            DONE,
            f"{workflow_id} restarted as {new_id} (same definition and input)",
            new_workflow_id=new_id,
        )

    async def escalate(self, request: RecoveryRequest) -> ActionOutcome:

        workflow_id, people = request.workflow_id, request.escalate_to
        if not people:
            return ActionOutcome("escalate", REFUSED, "nobody to escalate to (escalate_to)")
        approval_id = request.recovery_id.replace(RECOVERY_PREFIX, "baton-escalation:", 1)
        try:
            await self.client.request_human_approval(
                workflow_id,
                "escalation",
                f"{workflow_id} needs attention: {request.reason}",
                {"workflow_id": workflow_id, "reason": request.reason, "issues": request.issues},
                approvers=people,
                notify=request.notification_channels,
                approval_id=approval_id,
            )
        except RunAlreadyExistsError:
            pass  # this recovery raised it already (its activity ran again)
        return ActionOutcome(
            "escalate",
            DONE,
            f"approval {approval_id} asks {', '.join(people)} to act on {workflow_id}",
            approval_id=approval_id,
        )

    async def notify(self, request: RecoveryRequest) -> ActionOutcome:
        channels = request.notification_channels
        if not channels:
            return ActionOutcome("notify", REFUSED, "no notification_channels to alert")
        from ..actions.notify import NotifyAction

        notifier = NotifyAction(self.baton_file)
        body = f"{request.reason}\n" + "".join(f"- {issue}\n" for issue in request.issues)
        body += f"\nbaton health {request.workflow_id}"
        try:
            for channel in channels:
                await notifier.check_channel(channel, request.origin)
            await notifier.send(
                channels, f"Baton: {request.workflow_id} needs attention", body, "warning"
            )
        except Exception as exc:  # noqa: BLE001 - an alert that failed is an outcome to record
            return ActionOutcome("notify", FAILED, f"alert not sent: {_message(exc)}")
        return ActionOutcome("notify", DONE, f"alert sent to {len(channels)} channel(s)")


def _message(exc: BaseException) -> str:
    return getattr(exc, "message", None) or str(exc)


def _reset_point(events: Any, failed_step: str | None) -> int | None:
    """The workflow task that started the failed step's first attempt (the
    last attempt's, if the first is not found); None when there is none."""
    if failed_step is None:
        return None
    first: int | None = None
    for event in events:
        if event.HasField("activity_task_scheduled_event_attributes"):
            attrs = event.activity_task_scheduled_event_attributes
            activity_id = attrs.activity_id
        elif event.HasField("marker_recorded_event_attributes"):
            attrs = event.marker_recorded_event_attributes
            if attrs.marker_name != LOCAL_ACTIVITY_MARKER:
                continue
            activity_id = _marker_activity_id(attrs)
        else:
            continue
        if activity_id and ".forward." in activity_id and step_of(activity_id) == failed_step:
            first = int(attrs.workflow_task_completed_event_id)
            break
    return first


def _marker_activity_id(attrs: Any) -> str | None:
    """A local activity's id, from the marker the SDK's core wrote (JSON)."""
    data = attrs.details.get("data")
    if data is None or not data.payloads:
        return None
    try:
        value = json.loads(data.payloads[0].data)
    except ValueError:
        return None
    found = value.get("activity_id") if isinstance(value, dict) else None
    return str(found) if found else None


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()
