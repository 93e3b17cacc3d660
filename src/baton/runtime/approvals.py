"""Approval operations: request, decide, delegate, the inbox, refusals. One
:class:`ApprovalInbox` per client (``client.approvals``), so every interface
(Python, CLI, MCP, the decision-link page) decides through the same code."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from ..actions.inbox import APPROVALS_QUERY, pending_query, quoted, visibility_row
from ..engine.approval import (
    APPROVAL_WORKFLOW_NAME,
    PENDING,
    REFUSED_ERROR_TYPE,
    ApprovalInput,
    Decision,
    Delegation,
    HumanApprovalWorkflow,
)
from ..engine.refusals import REFUSAL_SIGNAL, RefusalRecord, refusal_log_id
from ..engine.search_attributes import BATON_APPROVERS, BATON_KIND, BATON_NAME, BATON_STATUS
from ..errors import (
    DefinitionError,
    Issue,
    NotAnApprovalError,
    RunAlreadyExistsError,
    ServerError,
    WorkflowNotFoundError,
)
from ..identity.credentials import Credential, DecisionSubject
from ..identity.deciding import decider, proof
from ..plan.model import ApprovalSpec
from .inbox import read_inbox_index
from .refusal_recorder import now_iso, write_refusals
from .results import DecisionOutcome

if TYPE_CHECKING:
    from .client import BatonRun, TemporalWorkflowClient

UPDATE_ATTEMPTS = 8


class ApprovalInbox:
    """Approval operations over one client, held as ``client.approvals``; the
    client's seed-named methods delegate here."""

    def __init__(self, client: TemporalWorkflowClient) -> None:
        self.client = client

    async def request_approval(self, spec: ApprovalSpec) -> BatonRun:
        from .client import BatonRun

        spec.origin = self.client.origin
        # this deployment's inbox index (baton.yaml), whoever compiled the spec
        spec.inbox_index = spec.inbox_index or self.client.baton_file.inbox_index
        self.client.check_policy(spec, spec.approval_id)
        client = await self.client.connect()
        try:
            handle = await client.start_workflow(
                HumanApprovalWorkflow.run,
                ApprovalInput(spec=spec),
                id=spec.approval_id,
                task_queue=self.client.settings.task_queue,
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(BATON_KIND, "approval"),
                        SearchAttributePair(BATON_NAME, spec.stage),
                        SearchAttributePair(BATON_STATUS, PENDING),
                        SearchAttributePair(BATON_APPROVERS, list(spec.stages[0].approvers)),
                    ]
                ),
            )
        except RPCError as exc:
            if exc.status == RPCStatusCode.ALREADY_EXISTS:
                raise RunAlreadyExistsError(
                    f"an approval with id {spec.approval_id!r} is already pending"
                ) from exc
            raise ServerError(
                f"cannot request approval {spec.approval_id!r}: {exc.message}"
            ) from exc
        return BatonRun(
            spec.approval_id,
            handle.first_execution_run_id,
            self.client,
            _warnings(spec, self.client.settings),
        )

    async def request_human_approval(
        self,
        workflow_id: str | None,
        stage: str,
        description: str,
        context: dict[str, Any] | None = None,
        timeout_seconds: float | None = None,
        callback_url: str | None = None,
        *,
        approvers: list[str] | None = None,
        quorum: int | str = "any",
        on_timeout: str = "reject",
        notify: list[str] | None = None,
        approval_id: str | None = None,
    ) -> BatonRun:
        """The seed's call: one stage named ``stage``. Approvers come from the
        argument, else from ``approvers:`` in baton.yaml (by stage name, then
        ``default``)."""
        approvers = (
            approvers
            or self.client.baton_file.approvers.get(stage)
            or self.client.baton_file.approvers.get("default")
        )
        if not approvers:
            raise DefinitionError(
                "request_human_approval",
                [
                    Issue(
                        "approvers",
                        f"no approvers for stage {stage!r}: pass approvers=[...] or list "
                        f"them under 'approvers: {{{stage}: [...]}}' in baton.yaml",
                    )
                ],
            )
        definition: dict[str, Any] = {
            "stage": stage,
            "description": description,
            "context": context or {},
            "workflow_id": workflow_id,
            "callback_url": callback_url,
            "notify": notify or [],
            "stages": [
                {
                    "name": stage,
                    "approvers": approvers,
                    "quorum": quorum,
                    "timeout_seconds": timeout_seconds,
                    "on_timeout": on_timeout,
                }
            ],
        }
        if approval_id:
            definition["approval_id"] = approval_id
        from ..plan.approval import compile_approval

        spec = compile_approval(
            definition, source="request_human_approval", baton_file=self.client.baton_file
        )
        return await self.request_approval(spec)

    async def submit_decision(
        self,
        approval_id: str,
        approver_id: str | None,
        decision: str,
        feedback: str | None = None,
        *,
        credential: Credential | None = None,
        data: dict[str, Any] | None = None,
    ) -> DecisionOutcome:
        """Apply a decision. Returns ``{"accepted": bool, "reason": ..., "status": ...}``;
        a refusal says why (not an approver, already voted, already ended, a
        credential that does not verify). With a credential (``BATON_CREDENTIAL``
        or ``baton identity login``, or ``credential=``) the decision is signed,
        and ``approver_id`` defaults to the credential's principal. ``data``:
        the request's form filled in (a BPMN user task's fields), checked by
        the approval against the form."""
        approver_id = self._decider(approver_id, credential)
        signed = self._sign(
            approval_id,
            "decide",
            approver_id,
            credential,
            decision=decision,
            feedback=feedback,
            data=data,
        )
        return await self.apply_decision(
            approval_id, approver_id, decision, feedback, signed, data=data
        )

    async def apply_decision(
        self,
        approval_id: str,
        approver_id: str,
        decision: str,
        feedback: str | None,
        signed: dict[str, Any] | None,
        *,
        data: dict[str, Any] | None = None,
    ) -> DecisionOutcome:
        """Apply a decision already signed by whoever makes it (the CLI's
        path through ``baton up``: the caller signs, this process relays; the
        worker verifies the proof, as for any decision)."""
        return await _update(
            self.client,
            approval_id,
            "decide",
            Decision(approver_id, decision, feedback, signed, data),
            approver_id,
        )

    async def submit_link_decision(
        self, token: str, decision: str | None = None
    ) -> DecisionOutcome:
        """Apply a one-click decision link (the worker verifies it)."""
        from ..identity.credentials import CredentialError, read_link

        try:
            claims = read_link(token)
        except CredentialError as exc:
            return DecisionOutcome(False, str(exc), None)
        approval_id = str(claims.get("approval_id", ""))
        return await _update(
            self.client,
            approval_id,
            "decide",
            Decision(
                str(claims.get("approver", "")),
                decision or str(claims.get("decision", "")),
                None,
                {"kind": "link", "token": token},
            ),
            str(claims.get("approver", "")),
        )

    async def delegate_approval(
        self,
        approval_id: str,
        approver_id: str | None,
        to: str,
        note: str | None = None,
        *,
        credential: Credential | None = None,
    ) -> DecisionOutcome:
        approver_id = self._decider(approver_id, credential)
        signed = self._sign(approval_id, "delegate", approver_id, credential, feedback=note, to=to)
        return await _update(
            self.client,
            approval_id,
            "delegate",
            Delegation(approver_id, to, note, signed),
            approver_id,
        )

    def _decider(self, approver_id: str | None, credential: Credential | None) -> str:
        return decider(approver_id, credential or self.client.credential)

    def _sign(
        self,
        approval_id: str,
        action: str,
        approver_id: str,
        credential: Credential | None,
        *,
        decision: str | None = None,
        feedback: str | None = None,
        to: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        subject = DecisionSubject(approval_id, action, approver_id, decision, feedback, to, data)
        return proof(credential or self.client.credential, subject, self.client.via)

    async def refusals(self, approval_id: str) -> list[dict[str, Any]]:
        """Refused decisions and delegations of an approval, oldest first, read
        from its refusal log's history (no worker needed)."""
        return await read_refusals(await self.client.connect(), approval_id)

    async def list_approvals(
        self,
        *,
        pending: bool = False,
        as_user: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """The inbox: approvals, newest first; ``pending`` only those waiting;
        ``as_user`` only those that user (or a delegate) may decide now.
        Pending approvals are those of this client's task queue, read from
        its inbox index (engine/inbox.py) when baton.yaml turns it on and it
        can answer, else from the visibility store."""
        client = await self.client.connect()
        if pending and self.client.baton_file.inbox_index:
            task_queue = self.client.settings.task_queue
            indexed = await read_inbox_index(client, task_queue, as_user, limit)
            if indexed is not None:
                return indexed
        query = pending_query(self.client.settings.task_queue) if pending else APPROVALS_QUERY
        if as_user:
            query += f" AND BatonApprovers = '{quoted(as_user)}'"
        return [visibility_row(wf) async for wf in client.list_workflows(query, limit=limit)]


async def _update(
    client_: TemporalWorkflowClient,
    approval_id: str,
    name: str,
    argument: Decision | Delegation,
    actor: str,
) -> DecisionOutcome:
    client = await client_.connect()
    handle = client.get_workflow_handle(approval_id)
    for attempt in range(UPDATE_ATTEMPTS):
        try:
            update = (
                HumanApprovalWorkflow.decide if name == "decide" else HumanApprovalWorkflow.delegate
            )
            answer: dict[str, Any] = await handle.execute_update(update, argument)  # type: ignore[arg-type]
            return DecisionOutcome.from_answer(answer)
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError) and cause.type == REFUSED_ERROR_TYPE:
                # the workflow's own refusals carry its status; the guard's do not
                status = cause.details[0] if cause.details else await _approval_status(handle)
                return DecisionOutcome(False, cause.message, status)
            raise ServerError(f"{name} on {approval_id!r} failed: {cause or exc}") from exc
        except RPCError as exc:
            # Temporal admits a few updates per workflow at once: a burst of
            # (refused) decisions must not turn the real approver away.
            if exc.status == RPCStatusCode.RESOURCE_EXHAUSTED and attempt + 1 < UPDATE_ATTEMPTS:
                await asyncio.sleep(min(0.05 * 2**attempt, 1.0))
                continue
            return await _refused_outside(client_, handle, approval_id, name, argument, actor, exc)
    raise AssertionError("unreachable")


async def _refused_outside(
    client_: TemporalWorkflowClient,
    handle: Any,
    approval_id: str,
    name: str,
    argument: Decision | Delegation,
    actor: str,
    exc: RPCError,
) -> DecisionOutcome:
    """The update did not reach the workflow: no such approval, not an
    approval, or it already ended (then the refusal is recorded here, by the
    client, in the approval's refusal log)."""
    try:
        desc = await handle.describe()
    except RPCError as missing:
        if missing.status == RPCStatusCode.NOT_FOUND:
            raise WorkflowNotFoundError(approval_id) from None
        raise ServerError(f"cannot reach approval {approval_id!r}: {missing.message}") from exc
    if desc.workflow_type != APPROVAL_WORKFLOW_NAME:
        raise NotAnApprovalError(
            f"{approval_id!r} is a {desc.workflow_type} run, not an approval"
        ) from None
    if desc.status == WorkflowExecutionStatus.RUNNING:
        raise ServerError(f"{name} on {approval_id!r} failed: {exc.message}") from exc
    status = desc.typed_search_attributes.get(BATON_STATUS) or (
        desc.status.name if desc.status else "CLOSED"
    )
    reason = f"approval {approval_id!r} already ended: {status}"
    proof = argument.proof or {}
    await write_refusals(
        client_.temporal,
        client_.settings.task_queue,
        approval_id,
        [
            RefusalRecord(
                at=now_iso(),
                approval_id=approval_id,
                event="decision_refused" if name == "decide" else "delegation_refused",
                actor=actor,
                detail=reason,
                source="client",
                via=str(proof.get("via") or "")
                or ("link" if proof.get("kind") == "link" else None),
            )
        ],
    )
    return DecisionOutcome(False, reason, status)


async def _approval_status(handle: Any) -> str | None:
    try:
        desc = await handle.describe()
    except RPCError:
        return None
    status: str | None = desc.typed_search_attributes.get(BATON_STATUS)
    return status


async def read_refusals(client: Client, approval_id: str) -> list[dict[str, Any]]:
    log_id = refusal_log_id(approval_id)
    run_ids: set[str] = set()
    try:  # the latest run, strongly consistent (the list below may lag)
        run_ids.add((await client.get_workflow_handle(log_id).describe()).run_id)
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise ServerError(
                f"cannot read the refusal log of {approval_id!r}: {exc.message}"
            ) from exc
        return []
    async for wf in client.list_workflows(f"WorkflowId = '{quoted(log_id)}'"):
        run_ids.add(wf.run_id)
    records: list[dict[str, Any]] = []
    for run_id in run_ids:
        history = await client.get_workflow_handle(log_id, run_id=run_id).fetch_history()
        for event in history.events:
            if not event.HasField("workflow_execution_signaled_event_attributes"):
                continue
            attrs = event.workflow_execution_signaled_event_attributes
            if attrs.signal_name != REFUSAL_SIGNAL:
                continue
            (batch,) = await client.data_converter.decode(
                attrs.input.payloads, [list[RefusalRecord]]
            )
            records += [asdict(r) for r in batch]
    records.sort(key=lambda r: r["at"])
    return records


def _warnings(spec: ApprovalSpec, settings: Any) -> list[str]:
    # the preflight's checks: imported when an approval is requested, not decided
    from .preflight import definition_warnings

    return definition_warnings(spec, settings)
