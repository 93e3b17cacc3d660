"""Approval operations of the client: request, decide, delegate, the inbox.
Mixed into :class:`~baton.runtime.client.TemporalWorkflowClient` so every
interface (Python, CLI, MCP, dashboard) decides through the same code."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from temporalio.client import WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

from ..engine.approval import (
    APPROVAL_WORKFLOW_NAME,
    PENDING,
    ApprovalInput,
    Decision,
    Delegation,
    HumanApprovalWorkflow,
)
from ..engine.search_attributes import BATON_APPROVERS, BATON_KIND, BATON_NAME, BATON_STATUS
from ..errors import BatonError, DefinitionError, Issue, ServerError, WorkflowNotFound
from ..plan.approval import ApprovalSpec, compile_approval

if TYPE_CHECKING:
    from .client import BatonRun, TemporalWorkflowClient


class ApprovalOperations:
    """Approval methods; ``self`` is a TemporalWorkflowClient."""

    async def request_approval(self: TemporalWorkflowClient, spec: ApprovalSpec) -> BatonRun:
        from .client import BatonRun

        client = await self.connect()
        try:
            handle = await client.start_workflow(
                HumanApprovalWorkflow.run,
                ApprovalInput(spec=spec),
                id=spec.approval_id,
                task_queue=self.settings.task_queue,
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
                raise BatonError(
                    f"an approval with id {spec.approval_id!r} is already pending"
                ) from exc
            raise ServerError(
                f"cannot request approval {spec.approval_id!r}: {exc.message}"
            ) from exc
        return BatonRun(spec.approval_id, handle.first_execution_run_id, self)

    async def request_human_approval(
        self: TemporalWorkflowClient,
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
            or self.baton_file.approvers.get(stage)
            or self.baton_file.approvers.get("default")
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
        spec = compile_approval(
            definition, source="request_human_approval", baton_file=self.baton_file
        )
        return await self.request_approval(spec)

    async def submit_decision(
        self: TemporalWorkflowClient,
        approval_id: str,
        approver_id: str,
        decision: str,
        feedback: str | None = None,
    ) -> dict[str, Any]:
        """Apply a decision. Returns ``{"accepted": bool, "reason": ..., "status": ...}``;
        a refusal says why (not an approver, already voted, already ended)."""
        return await _update(self, approval_id, "decide", Decision(approver_id, decision, feedback))

    async def delegate_approval(
        self: TemporalWorkflowClient,
        approval_id: str,
        approver_id: str,
        to: str,
        note: str | None = None,
    ) -> dict[str, Any]:
        return await _update(self, approval_id, "delegate", Delegation(approver_id, to, note))

    async def list_approvals(
        self: TemporalWorkflowClient,
        *,
        pending: bool = False,
        as_user: str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """The inbox: approvals, newest first; ``pending`` only those waiting;
        ``as_user`` only those that user (or a delegate) may decide now."""
        client = await self.connect()
        query = f"WorkflowType = '{APPROVAL_WORKFLOW_NAME}'"
        if pending:
            query += f" AND BatonStatus = '{PENDING}' AND ExecutionStatus = 'Running'"
        if as_user:
            query += f" AND BatonApprovers = '{_quote(as_user)}'"
        rows = []
        async for wf in client.list_workflows(query, limit=limit):
            sa = wf.typed_search_attributes
            status = sa.get(BATON_STATUS)
            if wf.status != WorkflowExecutionStatus.RUNNING and status == PENDING:
                status = wf.status.name if wf.status else None
            rows.append(
                {
                    "approval_id": wf.id,
                    "stage": sa.get(BATON_NAME),
                    "status": status,
                    "may_decide": list(sa.get(BATON_APPROVERS) or []),
                    "requested_at": wf.start_time.isoformat() if wf.start_time else None,
                    "closed_at": wf.close_time.isoformat() if wf.close_time else None,
                }
            )
        return rows


async def _update(
    client_: TemporalWorkflowClient, approval_id: str, name: str, argument: Any
) -> dict[str, Any]:
    client = await client_.connect()
    handle = client.get_workflow_handle(approval_id)
    try:
        result: dict[str, Any] = await handle.execute_update(name, argument)
        return result
    except (RPCError, WorkflowUpdateFailedError) as exc:
        try:
            desc = await handle.describe()
        except RPCError as missing:
            if missing.status == RPCStatusCode.NOT_FOUND:
                raise WorkflowNotFound(approval_id) from None
            raise ServerError(f"cannot reach approval {approval_id!r}: {missing.message}") from exc
        if desc.workflow_type != APPROVAL_WORKFLOW_NAME:
            raise BatonError(
                f"{approval_id!r} is a {desc.workflow_type} run, not an approval"
            ) from None
        if desc.status != WorkflowExecutionStatus.RUNNING:
            status = desc.typed_search_attributes.get(BATON_STATUS) or desc.status.name
            return {
                "accepted": False,
                "reason": f"approval {approval_id!r} already ended: {status}",
                "status": status,
            }
        raise ServerError(f"{name} on {approval_id!r} failed: {exc}") from exc


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")
