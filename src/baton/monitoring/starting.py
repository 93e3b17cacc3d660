"""Starting recovery runs (baton.engine.operations), by hand or for a
policy, and reading them back. The recovery's workflow id numbers its
attempt, so a policy's attempts are counted by the server itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from temporalio.client import WorkflowExecutionStatus
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from ..engine.operations import (
    RECOVERY_PREFIX,
    RECOVERY_WORKFLOW_NAME,
    RecoveryRequest,
    recovery_id,
)
from ..engine.search_attributes import BATON_KIND, BATON_NAME, BATON_STATUS
from .policies import RecoveryAction, RecoveryPolicy

if TYPE_CHECKING:
    from temporalio.client import WorkflowHandle

    from ..runtime.client import TemporalWorkflowClient

MANUAL_ATTEMPTS_LIMIT = 1000
TARGET_RUN = "target_run_id"  # memo: the execution a recovery acted on


async def start_recovery(
    client: TemporalWorkflowClient,
    workflow_id: str,
    actions: list[RecoveryAction],
    reason: str,
    *,
    policy: RecoveryPolicy | None = None,
    target_run_id: str | None = None,
    target_closed: bool = False,
    issues: list[str] | None = None,
    channels: list[str] | None = None,
    escalate_to: list[str] | None = None,
    origin: str = "api",
) -> tuple[WorkflowHandle[Any, Any] | None, str]:
    """Start the next recovery of ``workflow_id``: the handle, or None and why
    not. For a policy: at most ``max_recovery_attempts``, none while its
    previous one runs, and one per ended execution of the run."""
    temporal = await client.connect()
    limit = policy.max_recovery_attempts if policy else MANUAL_ATTEMPTS_LIMIT
    policy_id = policy.policy_id if policy else None
    for attempt in range(1, limit + 1):
        rid = recovery_id(policy_id, workflow_id, attempt)
        request = RecoveryRequest(
            recovery_id=rid,
            workflow_id=workflow_id,
            actions=[a.value for a in actions],
            reason=reason,
            policy_id=policy_id,
            attempt=attempt,
            notification_channels=list(
                channels
                if channels is not None
                else (policy.notification_channels if policy else [])
            ),
            escalate_to=list(
                escalate_to if escalate_to is not None else (policy.escalate_to if policy else [])
            ),
            issues=list(issues or []),
            origin=origin,
        )
        try:
            handle = await temporal.start_workflow(
                RECOVERY_WORKFLOW_NAME,
                request,
                id=rid,
                task_queue=client.settings.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                memo={TARGET_RUN: target_run_id or "", "workflow_id": workflow_id},
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(BATON_KIND, "recovery"),
                        SearchAttributePair(BATON_NAME, policy_id or "manual"),
                        SearchAttributePair(BATON_STATUS, "RUNNING"),
                    ]
                ),
            )
            return handle, rid
        except WorkflowAlreadyStartedError:
            if policy is None:
                continue
            earlier = temporal.get_workflow_handle(rid)
            desc = await earlier.describe()
            if desc.status == WorkflowExecutionStatus.RUNNING:
                return None, f"recovery {rid} is still under way"
            if (
                target_closed
                and target_run_id
                and (await desc.memo_value(TARGET_RUN, default="")) == target_run_id
            ):
                return None, f"recovery {rid} acted on this run already"
    return None, (
        f"policy {policy_id} used its {limit} recovery attempts on {workflow_id}"
        if policy
        else "too many recoveries"
    )


async def recoveries(
    client: TemporalWorkflowClient, workflow_id: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Recoveries, newest first (of one run, or all): their records when
    ended, else that they are under way."""
    temporal = await client.connect()
    query = f"WorkflowType = '{RECOVERY_WORKFLOW_NAME}'"
    rows = []
    async for wf in temporal.list_workflows(query, limit=limit if workflow_id is None else 5000):
        target = wf.id.removeprefix(RECOVERY_PREFIX).split(":", 1)[-1].rsplit(":", 1)[0]
        if workflow_id is not None and target != workflow_id:
            continue
        row: dict[str, Any] = {
            "recovery_id": wf.id,
            "workflow_id": target,
            "policy_id": wf.typed_search_attributes.get(BATON_NAME),
            "started_at": wf.start_time.isoformat() if wf.start_time else None,
            "closed_at": wf.close_time.isoformat() if wf.close_time else None,
            "state": wf.status.name if wf.status else None,
        }
        if wf.status == WorkflowExecutionStatus.COMPLETED:
            record: dict[str, Any] = await temporal.get_workflow_handle(wf.id).result()
            row.update(record)
        rows.append(row)
        if len(rows) >= limit:
            break
    return rows
