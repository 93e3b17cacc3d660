"""HumanApprovalWorkflow: one workflow per approval request; its workflow id
is the approval id.

Stages run in order. Decisions and delegations arrive as workflow *updates*,
so the caller learns at once whether its decision was accepted, and refusals
(not an approver, a repeated vote, a decision after the end) are recorded in
the audit trail like every accepted vote. Timers drive escalation, reminders
and the final timeout. The eligible approvers are kept in the
``BatonApprovers`` search attribute, which is what the inbox lists by.
"""

from __future__ import annotations

import asyncio
import base64
import json
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from ..actions.types import (
        CALLBACK_ACTIVITY,
        NOTIFY_ACTIVITY,
        Callback,
        DecisionLinks,
        Notification,
    )
    from ..integrations import emitting
    from ..monitoring import metrics
    from ..plan.forms import form_problem
    from ..plan.model import ApprovalSpec, StageSpec
    from ..redact import redact
    from .inbox import (
        INBOX_PATCH,
        INBOX_REPORT_ACTIVITY,
        INBOX_REPORT_SIGNAL,
        InboxRow,
        inbox_shard,
        inbox_workflow_id,
    )
    from .names import APPROVAL_WORKFLOW_NAME
    from .search_attributes import BATON_APPROVERS, BATON_KIND, BATON_NAME, BATON_STATUS
    from .vocabulary import ApprovalStatus, EventKind


PENDING = ApprovalStatus.PENDING
APPROVED = ApprovalStatus.APPROVED
REJECTED = ApprovalStatus.REJECTED
EXPIRED = ApprovalStatus.EXPIRED
CANCELLED = ApprovalStatus.CANCELLED
WAITING = ApprovalStatus.WAITING  # a later stage, not open yet
DECISIONS = ("approve", "reject")
# The ApplicationError type of a refused decision or delegation (validators
# raise it; the worker's decision guard records every one in the refusal log).
REFUSED_ERROR_TYPE = "DecisionRefused"
# How each outcome is announced (Apprise notification types).
# The outcomes that end a wait for a decision (baton_approval_decision_seconds);
# a cancelled request was not decided.
DECIDED_OUTCOMES = (APPROVED, REJECTED, EXPIRED)
OUTCOME_KIND: dict[str, str] = {
    APPROVED: "success",
    REJECTED: "warning",
    EXPIRED: "failure",
    CANCELLED: "warning",
}


@dataclass
class ApprovalInput:
    spec: ApprovalSpec


@dataclass
class Decision:
    approver_id: str
    decision: str
    feedback: str | None = None
    # A signed proof (credential or decision link) made by the client; checked
    # by the worker's decision guard in signed identity mode. Holds no secret.
    proof: dict[str, Any] | None = None
    # the request's form filled in (plan.forms): only fields it declares
    data: dict[str, Any] | None = None


@dataclass
class Delegation:
    approver_id: str
    to: str
    note: str | None = None
    proof: dict[str, Any] | None = None


@dataclass
class Vote:
    approver: str  # whose vote it is
    decision: str
    at: str
    feedback: str | None = None
    cast_by: str | None = None  # the delegate who cast it, if not the approver
    credential: str | None = None  # the credential (or decision link) it was signed with
    via: str | None = None  # cli | api | mcp | link, for signed decisions
    data: dict[str, Any] | None = None  # the form's values given with the vote


@dataclass
class StageState:
    name: str
    quorum: int
    quorum_label: str
    approvers: list[str]
    reject_threshold: int
    status: str = WAITING
    started_at: str | None = None
    decided_at: str | None = None
    escalated_at: str | None = None
    reason: str | None = None
    votes: list[Vote] = field(default_factory=list)
    delegations: dict[str, str] = field(default_factory=dict)  # approver -> delegate

    def approvals(self) -> int:
        return sum(1 for v in self.votes if v.decision == "approve")

    def rejections(self) -> int:
        return sum(1 for v in self.votes if v.decision == "reject")


@workflow.defn(name=APPROVAL_WORKFLOW_NAME, sandboxed=False)
class HumanApprovalWorkflow:
    """See the module docstring. Not sandboxed, like the interpreter."""

    @workflow.init
    def __init__(self, input: ApprovalInput) -> None:
        spec = input.spec
        self._spec = spec
        self._status: str = PENDING
        self._reason: str | None = None
        self._started_at = _iso(workflow.now())
        self._closed_at: str | None = None
        self._stages = [
            StageState(
                name=s.name,
                quorum=s.quorum,
                quorum_label=s.quorum_label,
                approvers=list(s.approvers),
                reject_threshold=s.reject_threshold,
            )
            for s in spec.stages
        ]
        # The first stage is open from the start: a decision may arrive (as an
        # update) before the run method has begun.
        self._stages[0].status = PENDING
        self._stages[0].started_at = self._started_at
        self._current = 0
        self._audit: list[dict[str, Any]] = []
        self._notifications: list[dict[str, Any]] = []
        self._callback: dict[str, Any] | None = None
        self._used_nonces: set[str] = set()
        self._inbox: asyncio.Task[None] | None = None
        self._inbox_reported: InboxRow | None = None  # the row the index last got

    # ---- read side --------------------------------------------------------

    @workflow.query(name="status")
    def status(self) -> dict[str, Any]:
        return self._document()

    def _document(self) -> dict[str, Any]:
        current = self._stages[self._current] if self._status == PENDING else None
        return {
            "workflow_id": self._spec.approval_id,
            "approval_id": self._spec.approval_id,
            "kind": "approval",
            "name": self._spec.stage,
            "stage": self._spec.stage,
            "description": self._spec.description,
            "context": self._spec.context,
            "for_workflow": self._spec.workflow_id,
            "status": self._status,
            "reason": self._reason,
            "started_at": self._started_at,
            "closed_at": self._closed_at,
            "current_stage": current.name if current else None,
            "eligible": self._eligible(current) if current else [],
            "progress": {
                "completed": sum(1 for s in self._stages if s.status == APPROVED),
                "total": len(self._stages),
            },
            "stages": [
                {**asdict(s), "approvals": s.approvals(), "rejections": s.rejections()}
                for s in self._stages
            ],
            "notifications": self._notifications,
            "callback": self._callback,
            "audit": self._audit,
        }

    # ---- decisions ----------------------------------------------------------

    @workflow.update(name="decide")
    def decide(self, decision: Decision) -> dict[str, Any]:
        # The validator refused what it could before the update was accepted;
        # this second check catches a decision that was valid when validated
        # but raced another one that decided the stage first.
        refusal = self._check_decision(decision)
        if refusal:
            self._record(EventKind.DECISION_REFUSED, actor=decision.approver_id, detail=refusal)
            return {"accepted": False, "reason": refusal, "status": self._status}
        stage = self._stages[self._current]
        approver = self._on_behalf_of(stage, decision.approver_id) or decision.approver_id
        credential, via, nonce = _proof_facts(decision.proof)
        if nonce:
            self._used_nonces.add(nonce)
        stage.votes.append(
            Vote(
                approver=approver,
                decision=decision.decision,
                at=_iso(workflow.now()),
                feedback=decision.feedback,
                cast_by=decision.approver_id if approver != decision.approver_id else None,
                credential=credential,
                via=via,
                data=decision.data,
            )
        )
        self._record(
            EventKind(f"vote_{decision.decision}"),
            actor=decision.approver_id,
            detail=(f"on behalf of {approver}; " if approver != decision.approver_id else "")
            + (f"signed ({credential} via {via}); " if credential else "")
            + (decision.feedback or ""),
        )
        self._evaluate(stage)
        if stage.status == PENDING:
            self._publish_approvers()
        return {
            "accepted": True,
            "reason": None,
            "status": self._outcome(stage),
            "stage": stage.name,
            "stage_status": stage.status,
        }

    @decide.validator
    def _validate_decision(self, decision: Decision) -> None:
        refusal = self._check_decision(decision)
        if refusal:
            raise ApplicationError(
                refusal, self._status, type=REFUSED_ERROR_TYPE, non_retryable=True
            )

    @workflow.update(name="delegate")
    def delegate(self, delegation: Delegation) -> dict[str, Any]:
        refusal = self._check_delegation(delegation)
        if refusal:
            self._record(EventKind.DELEGATION_REFUSED, actor=delegation.approver_id, detail=refusal)
            return {"accepted": False, "reason": refusal, "status": self._status}
        stage = self._stages[self._current]
        _, _, nonce = _proof_facts(delegation.proof)
        if nonce:
            self._used_nonces.add(nonce)
        # A delegate handing on a vote passes it along the chain.
        original = self._on_behalf_of(stage, delegation.approver_id) or delegation.approver_id
        stage.delegations[original] = delegation.to
        self._record(
            EventKind.DELEGATED,
            actor=delegation.approver_id,
            detail=f"{original}'s vote on stage {stage.name!r} to {delegation.to}"
            + (f": {delegation.note}" if delegation.note else ""),
        )
        self._publish_approvers()
        return {"accepted": True, "reason": None, "status": self._status}

    @delegate.validator
    def _validate_delegation(self, delegation: Delegation) -> None:
        refusal = self._check_delegation(delegation)
        if refusal:
            raise ApplicationError(
                refusal, self._status, type=REFUSED_ERROR_TYPE, non_retryable=True
            )

    def _check_decision(self, decision: Decision) -> str | None:
        if self._status != PENDING:
            return f"approval {self._spec.approval_id!r} already ended: {self._status}"
        if decision.decision not in DECISIONS:
            return f"decision must be 'approve' or 'reject', got {decision.decision!r}"
        stage = self._stages[self._current]
        if stage.status != PENDING:
            return f"stage {stage.name!r} was already decided: {stage.status} ({stage.reason})"
        refusal = self._check_proof(decision.proof, stage)
        if refusal:
            return refusal
        if decision.data is not None:
            problem = form_problem(self._spec.context.get("form"), decision.data)
            if problem:
                return problem
        who = decision.approver_id
        approver = self._on_behalf_of(stage, who)
        if approver is None:
            if who in stage.delegations:
                return f"{who} delegated their vote on stage {stage.name!r} to {stage.delegations[who]}"
            if who not in stage.approvers:
                return (
                    f"{who} may not decide stage {stage.name!r}; "
                    f"may decide: {', '.join(self._eligible(stage))}"
                )
            approver = who
        earlier = next((v for v in stage.votes if v.approver == approver), None)
        if earlier is not None:
            return f"{approver} already voted {earlier.decision} on stage {stage.name!r} at {earlier.at}; a vote counts once"
        return None

    def _check_proof(self, proof: dict[str, Any] | None, stage: StageState) -> str | None:
        """What the workflow itself can check of a proof (its signature is the
        worker's decision guard's job): used once, and a link's stage still open."""
        if not proof:
            return None
        _, _, nonce = _proof_facts(proof)
        if nonce and nonce in self._used_nonces:
            return "this signed decision was already used once (a replay); decide again"
        if proof.get("kind") == "link":
            link_stage = _link_claims(proof).get("stage")
            if link_stage != stage.name:
                return f"the decision link was for stage {link_stage!r}, which is no longer open"
        return None

    def _outcome(self, stage: StageState) -> str:
        """The approval's status as this decision leaves it (the run method
        records the end a moment later)."""
        if stage.status in (REJECTED, EXPIRED):
            return stage.status
        if stage.status == APPROVED and stage is self._stages[-1]:
            return APPROVED
        return PENDING

    def _check_delegation(self, delegation: Delegation) -> str | None:
        if self._status != PENDING:
            return f"approval {self._spec.approval_id!r} already ended: {self._status}"
        stage = self._stages[self._current]
        if stage.status != PENDING:
            return f"stage {stage.name!r} was already decided: {stage.status} ({stage.reason})"
        refusal = self._check_proof(delegation.proof, stage)
        if refusal:
            return refusal
        who, to = delegation.approver_id, delegation.to.strip()
        if not to or to == who:
            return "delegate to another person"
        original = self._on_behalf_of(stage, who)
        if original is None:
            if who not in stage.approvers or who in stage.delegations:
                return (
                    f"{who} may not delegate on stage {stage.name!r}; "
                    f"may decide: {', '.join(self._eligible(stage))}"
                )
            original = who
        if any(v.approver == original for v in stage.votes):
            return f"{original} already voted on stage {stage.name!r}"
        if to == original:
            return f"{to} is the approver; the vote goes back by not delegating"
        return None

    def _on_behalf_of(self, stage: StageState, who: str) -> str | None:
        """The approver whose vote ``who`` holds as a delegate, if any."""
        for approver, delegate in stage.delegations.items():
            if delegate == who:
                return approver
        return None

    def _eligible(self, stage: StageState) -> list[str]:
        voted = {v.approver for v in stage.votes}
        return [stage.delegations.get(a, a) for a in stage.approvers if a not in voted]

    def _evaluate(self, stage: StageState) -> None:
        if stage.approvals() >= stage.quorum:
            self._close_stage(
                stage, APPROVED, f"{stage.approvals()} approval(s), quorum {stage.quorum_label}"
            )
        elif stage.rejections() >= stage.reject_threshold:
            self._close_stage(
                stage,
                REJECTED,
                f"rejected by {', '.join(v.approver for v in stage.votes if v.decision == 'reject')}",
            )
        elif stage.approvals() + len(self._eligible(stage)) < stage.quorum:
            self._close_stage(
                stage, REJECTED, f"quorum {stage.quorum_label} can no longer be reached"
            )

    def _close_stage(self, stage: StageState, status: str, reason: str) -> None:
        if stage.status != PENDING:
            return  # a decided stage is never decided again
        stage.status = status
        stage.reason = reason
        stage.decided_at = _iso(workflow.now())
        self._record(EventKind(f"stage_{status.lower()}"), detail=f"{stage.name}: {reason}")

    # ---- the run ----------------------------------------------------------

    @workflow.run
    async def run(self, input: ApprovalInput) -> dict[str, Any]:
        if workflow.info().typed_search_attributes.get(BATON_STATUS) != PENDING:
            workflow.upsert_search_attributes(
                [
                    BATON_KIND.value_set("approval"),
                    BATON_NAME.value_set(self._spec.stage),
                    BATON_STATUS.value_set(str(PENDING)),
                ]
            )
        self._record(EventKind.REQUESTED, detail=self._spec.description)
        metrics.record_run_started("approval", self._spec.stage)
        if self._spec.inbox_index and workflow.patched(INBOX_PATCH):
            self._inbox = asyncio.create_task(self._keep_inbox())
        try:
            for index, (stage, spec) in enumerate(
                zip(self._stages, self._spec.stages, strict=True)
            ):
                self._current = index
                await self._run_stage(stage, spec, first=index == 0)
                if stage.status != APPROVED:
                    self._finish(stage.status, f"stage {stage.name!r}: {stage.reason}")
                    break
            else:
                self._finish(APPROVED, "every stage approved")
        except asyncio.CancelledError:
            self._finish(CANCELLED, "the request was cancelled")
        await self._announce_outcome()
        if self._inbox is not None:
            await self._inbox  # the last report (no longer pending) is in
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._document()

    async def _run_stage(self, stage: StageState, spec: StageSpec, first: bool) -> None:
        if stage.status == WAITING:
            stage.status = PENDING
            stage.started_at = _iso(workflow.now())
        self._publish_approvers()
        self._record(
            EventKind.STAGE_OPENED,
            detail=f"{stage.name}: {', '.join(stage.approvers)} ({stage.quorum_label})",
        )
        await self._notify(
            self._spec.notify,
            f"Approval requested: {self._spec.stage}" + ("" if first else f" (stage {stage.name})"),
            self._request_text(stage),
            "requested",
            stage=stage,
        )
        opened = workflow.time()
        escalation_due = opened + spec.escalation.after_seconds if spec.escalation else None
        reminder_due = opened + spec.remind_every_seconds if spec.remind_every_seconds else None
        expires = opened + spec.timeout_seconds if spec.timeout_seconds else None
        while stage.status == PENDING:
            now = workflow.time()
            due = [t for t in (escalation_due, reminder_due, expires) if t is not None]
            timeout = max(0.0, min(due) - now) if due else None
            try:
                await workflow.wait_condition(lambda: stage.status != PENDING, timeout=timeout)
                return
            except asyncio.TimeoutError:
                pass
            now = workflow.time()
            if expires is not None and now >= expires:
                await self._expire(stage, spec)
                return
            if escalation_due is not None and now >= escalation_due:
                escalation_due = None
                await self._escalate(stage, spec)
            if reminder_due is not None and now >= reminder_due:
                reminder_due = now + (spec.remind_every_seconds or 0)
                await self._notify(
                    self._spec.notify,
                    f"Reminder: approval pending: {self._spec.stage}",
                    self._request_text(stage),
                    "reminder",
                    stage=stage,
                )

    async def _escalate(self, stage: StageState, spec: StageSpec) -> None:
        assert spec.escalation is not None
        stage.escalated_at = _iso(workflow.now())
        added = [a for a in spec.escalation.add_approvers if a not in stage.approvers]
        stage.approvers.extend(added)
        self._record(
            EventKind.ESCALATED, detail=f"{stage.name}: added {', '.join(added) or 'no approvers'}"
        )
        self._publish_approvers()
        await self._notify(
            list(spec.escalation.notify) + list(self._spec.notify),
            f"Escalated: approval still pending: {self._spec.stage}",
            self._request_text(stage),
            "escalation",
            kind="warning",
            stage=stage,
        )

    async def _expire(self, stage: StageState, spec: StageSpec) -> None:
        waited = f"no decision within {spec.timeout_seconds:g}s"
        if spec.on_timeout == "approve":
            self._close_stage(stage, APPROVED, f"{waited}; approved by its on_timeout rule")
        elif spec.on_timeout == "reject":
            self._close_stage(stage, REJECTED, f"{waited}; rejected by its on_timeout rule")
        else:
            self._close_stage(stage, EXPIRED, waited)

    def _finish(self, status: str, reason: str) -> None:
        self._status = status
        self._reason = reason
        self._closed_at = _iso(workflow.now())
        self._record(EventKind.DECIDED, detail=f"{status}: {reason}")
        waited = metrics.seconds_since(self._started_at, workflow.now())
        metrics.record_run_ended("approval", self._spec.stage, status, waited)
        if status in DECIDED_OUTCOMES:
            metrics.record_approval_decided(self._spec.stage, status.lower(), waited)
        workflow.upsert_search_attributes(
            [BATON_STATUS.value_set(str(status)), BATON_APPROVERS.value_set([])]
        )

    async def _announce_outcome(self) -> None:
        await self._notify(
            self._spec.notify,
            f"Approval {self._status.lower()}: {self._spec.stage}",
            f"{self._spec.approval_id}: {self._status} ({self._reason})",
            "decision",
            kind=OUTCOME_KIND.get(self._status, "info"),
        )
        if self._spec.callback_url:
            info = workflow.info()
            try:
                result = await workflow.execute_activity(
                    CALLBACK_ACTIVITY,
                    Callback(
                        url=self._spec.callback_url,
                        payload=self._callback_payload(),
                        delivery_id=f"{info.workflow_id}/{info.run_id}",
                        origin=self._spec.origin,
                    ),
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=RetryPolicy(
                        maximum_attempts=8,
                        initial_interval=timedelta(seconds=1),
                        maximum_interval=timedelta(minutes=1),
                    ),
                )
                self._callback = {"url": self._spec.callback_url, "status": "DELIVERED", **result}
                self._record(EventKind.CALLBACK_DELIVERED, detail=redact(self._spec.callback_url))
            except ActivityError as exc:
                message = (
                    exc.cause.message
                    if isinstance(exc.cause, ApplicationError)
                    else str(exc.cause or exc)
                )
                self._callback = {
                    "url": self._spec.callback_url,
                    "status": "FAILED",
                    "error": message,
                }
                self._record(EventKind.CALLBACK_FAILED, detail=message)

    def _callback_payload(self) -> dict[str, Any]:
        """What the receiver of ``callback_url`` gets. ``decided`` is what this
        workflow itself decided (who voted, with which credential); ``request``
        is what the requester wrote, taken as given. ``parent_workflow_id`` is
        the workflow that started this approval as a child (a saga or project
        gate) — a fact — unlike ``request.for_workflow``, a claim."""
        parent = workflow.info().parent
        return {
            "approval_id": self._spec.approval_id,
            "status": self._status,
            "reason": self._reason,
            "decided": {
                "status": self._status,
                "reason": self._reason,
                "closed_at": self._closed_at,
                "run_id": workflow.info().run_id,
                "parent_workflow_id": parent.workflow_id if parent else None,
                "stages": [
                    {
                        "name": s.name,
                        "status": s.status,
                        "reason": s.reason,
                        "quorum": s.quorum_label,
                        "votes": [asdict(v) for v in s.votes],
                    }
                    for s in self._stages
                ],
            },
            "request": {
                "stage": self._spec.stage,
                "description": self._spec.description,
                "context": self._spec.context,
                "for_workflow": self._spec.workflow_id,
            },
        }

    async def _notify(
        self,
        channels: list[str],
        title: str,
        body: str,
        event: str,
        *,
        kind: str = "info",
        stage: StageState | None = None,
    ) -> None:
        links = (
            DecisionLinks(
                approval_id=self._spec.approval_id,
                stage=stage.name,
                approvers=self._eligible(stage),
            )
            if stage is not None and self._spec.notify_approvers
            else None
        )
        if not channels and links is None:
            return
        try:
            await workflow.execute_activity(
                NOTIFY_ACTIVITY,
                Notification(
                    channels=list(dict.fromkeys(channels)),
                    title=title,
                    body=body,
                    kind=kind,
                    decision_links=links,
                    origin=self._spec.origin,
                ),
                start_to_close_timeout=timedelta(seconds=60),
                retry_policy=RetryPolicy(maximum_attempts=3),
            )
            self._notifications.append({"event": event, "at": _iso(workflow.now()), "sent": True})
        except ActivityError as exc:
            message = (
                exc.cause.message
                if isinstance(exc.cause, ApplicationError)
                else str(exc.cause or exc)
            )
            self._notifications.append(
                {"event": event, "at": _iso(workflow.now()), "sent": False, "error": message}
            )
            self._record(EventKind.NOTIFICATION_FAILED, detail=f"{event}: {message}")

    def _request_text(self, stage: StageState) -> str:
        lines = [
            self._spec.description,
            f"Approval id: {self._spec.approval_id}",
            f"Stage: {stage.name} (quorum {stage.quorum_label})",
            f"May decide: {', '.join(self._eligible(stage))}",
        ]
        if self._spec.workflow_id:
            lines.append(f"For workflow: {self._spec.workflow_id}")
        lines += [f"{key}: {value}" for key, value in self._spec.context.items()]
        lines.append(f"Decide with: baton approve {self._spec.approval_id} --as YOU")
        return "\n".join(lines)

    def _inbox_row(self) -> InboxRow:
        pending = self._status == PENDING
        return InboxRow(
            approval_id=self._spec.approval_id,
            stage=self._spec.stage,
            status=str(self._status),
            may_decide=self._eligible(self._stages[self._current]) if pending else [],
            requested_at=workflow.info().workflow_start_time.isoformat(),
            run_id=workflow.info().run_id,
        )

    async def _keep_inbox(self) -> None:
        """Report this approval's row to the inbox index (engine/inbox.py)
        whenever it changes, until a report says it is no longer pending.

        A report is a signal to the shard, sent with the workflow task that
        made the change (the task is not held up: a decision is answered as
        fast as before); one at a time, so the shard gets them in order. A
        shard that is not running (never started, or terminated) is started
        by an activity that signals it with start."""
        shard = inbox_workflow_id(workflow.info().task_queue, inbox_shard(self._spec.approval_id))
        while True:
            await workflow.wait_condition(lambda: self._inbox_row() != self._inbox_reported)
            row = self._inbox_row()
            try:
                await workflow.get_external_workflow_handle(shard).signal(INBOX_REPORT_SIGNAL, row)
            except FailureError:
                try:
                    # local: no activity task is left on the queue for a
                    # worker (on the time-skipping test server one left
                    # behind by a stopped worker stops time skipping)
                    await workflow.execute_local_activity(
                        INBOX_REPORT_ACTIVITY,
                        row,
                        start_to_close_timeout=timedelta(seconds=30),
                        schedule_to_close_timeout=timedelta(minutes=5),
                        retry_policy=RetryPolicy(maximum_interval=timedelta(seconds=10)),
                    )
                except ActivityError as exc:
                    # the inbox index lags; the approval itself is unaffected
                    workflow.logger.warning("inbox index not updated: %s", exc.cause or exc)
            self._inbox_reported = row
            if row.status != PENDING:
                return

    def _publish_approvers(self) -> None:
        stage = self._stages[self._current]
        workflow.upsert_search_attributes([BATON_APPROVERS.value_set(self._eligible(stage))])

    def _record(
        self, event: EventKind, *, actor: str | None = None, detail: str | None = None
    ) -> None:
        stage = self._stages[self._current].name if self._stages else None
        at = _iso(workflow.now())
        self._audit.append(
            {
                "at": at,
                "event": event,
                "step_id": stage,
                "actor": actor,
                "attempt": None,
                "detail": detail or None,
            }
        )
        # lifecycle events out (integrations.emitting: nothing while replaying)
        emitting.audit_recorded(
            seq=len(self._audit),
            kind="approval",
            name=self._spec.stage,
            audit_event=str(event),
            at=at,
            status=self._status,
            step_id=stage,
            detail=detail or None,
            actor=actor,
        )


def _iso(moment: Any) -> str:
    return str(moment.isoformat())


def _proof_facts(proof: dict[str, Any] | None) -> tuple[str | None, str | None, str | None]:
    """(credential or link id, via, nonce) of a proof; Nones without one."""
    if not proof:
        return None, None, None
    if proof.get("kind") == "link":
        claims = _link_claims(proof)
        nonce = str(claims.get("nonce") or "") or None
        return nonce, "link", nonce
    credential = None
    try:
        credential = str(json.loads(_unb64(str(proof.get("cred", "")))).get("jti")) or None
    except (ValueError, AttributeError):
        credential = None
    return credential, str(proof.get("via") or "") or None, str(proof.get("nonce") or "") or None


def _link_claims(proof: dict[str, Any]) -> dict[str, Any]:
    parts = str(proof.get("token", "")).split(".")
    try:
        claims = json.loads(_unb64(parts[1])) if len(parts) == 3 else {}
    except ValueError:
        claims = {}
    return claims if isinstance(claims, dict) else {}


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
