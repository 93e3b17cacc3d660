"""The MCP tools: the seed's ``workflow_orchestrator`` and small typed tools.

Every tool is a thin translation onto :class:`TemporalWorkflowClient`; no
orchestration logic lives here. Every failure becomes a tool error whose
message says what to do (``ToolError``); the server never dies on bad input.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from temporalio.service import RPCError

from ..errors import BatonError
from ..identity.credentials import Credential
from ..runtime.client import TemporalWorkflowClient

Operation = Literal[
    "start_workflow", "approval", "status", "monitor", "list_workflows", "cancel_workflow"
]
WorkflowType = Literal["saga", "approval", "multi_agent_project", "process", "bpmn"]
# the seed's workflow_type -> Baton's definition kind (tests/mcp checks it
# covers every registered front end)
KIND_OF = {
    "saga": "saga",
    "approval": "approval",
    "multi_agent_project": "project",
    "process": "process",
    "bpmn": "bpmn",  # workflow_spec: {"xml": "<definitions …>"}
}
ApprovalAction = Literal["request", "approve", "reject", "delegate", "list_pending"]
# a schedule's overlap policy (baton.runtime.schedule_times.OVERLAP_POLICIES)
Overlap = Literal["skip", "buffer", "buffer-all", "allow"]
DECISIONS_PER_MINUTE = 30

# Which arguments each operation (and approval action) needs: enforced here
# and published in the tool's input schema.
REQUIRED: dict[str, list[str]] = {
    "start_workflow": ["workflow_type", "workflow_spec"],
    "approval": ["action"],
    "status": ["workflow_id"],
    "monitor": [],
    "list_workflows": [],
    "cancel_workflow": ["workflow_id"],
}
APPROVAL_REQUIRED: dict[str, list[str]] = {
    "request": ["stage", "description"],
    "approve": ["approval_id"],
    "reject": ["approval_id"],
    "delegate": ["approval_id", "delegate_to"],
    "list_pending": [],
}


def _require(arguments: dict[str, Any], names: list[str], what: str) -> None:
    missing = [n for n in names if arguments.get(n) in (None, "", {})]
    if missing:
        raise ToolError(f"{what} needs {', '.join(missing)}")


async def _guarded(call: Awaitable[Any]) -> Any:
    """Baton's errors become tool errors with their message."""
    try:
        return await call
    except BatonError as exc:
        raise ToolError(f"{exc.mcp_prefix}{exc}") from None
    except RPCError as exc:
        raise ToolError(f"the Temporal server answered: {exc.message}") from None


class DecisionRateLimit:
    """At most ``per_minute`` decisions and delegations per caller (a token
    bucket), so an agent stuck in a loop cannot flood an approval."""

    def __init__(self, per_minute: int = DECISIONS_PER_MINUTE) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(per_minute)
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, caller: str) -> None:
        now = time.monotonic()
        tokens, last = self._buckets.get(caller, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1:
            raise ToolError(
                f"too many decisions from {caller}: at most {int(self.burst)} a minute; try later"
            )
        self._buckets[caller] = (tokens - 1, now)


# an event log handed back over MCP (a file's worth: `baton export-log` writes more)
MAX_EVENT_LOG_CHARS = 2_000_000


class BatonTools:
    """The tool implementations over one client (connected lazily)."""

    def __init__(self, client_factory: Callable[[], TemporalWorkflowClient]) -> None:
        self._factory = client_factory
        self._client: TemporalWorkflowClient | None = None
        self.limit = DecisionRateLimit()

    async def client(self) -> TemporalWorkflowClient:
        if self._client is None:
            client = self._factory()
            client.via = "mcp"
            await _guarded(client.connect())
            self._client = client
        return self._client

    async def _decider(
        self, approver_id: str | None, caller: Credential | None
    ) -> tuple[TemporalWorkflowClient, str, Credential | None]:
        """Who an MCP caller decides as: its credential's principal (signed with
        it), or — only in trusted mode with ``mcp.allow_decisions`` — the
        approver it names. Everything else is refused here."""
        client = await self.client()
        credential = caller or client.credential
        if credential is not None:
            principal = credential.principal
            if "mcp:decide" not in credential.claims.scopes:
                raise ToolError(
                    f"decision refused: this MCP caller ({principal}) may not decide approvals; "
                    "its credential lacks the 'mcp:decide' scope (docs/mcp.md, Deciding)"
                )
            if approver_id and approver_id != principal:
                raise ToolError(
                    f"decision refused: this MCP caller is {principal} and cannot decide as "
                    f"{approver_id}"
                )
            self.limit.take(principal)
            return client, principal, credential
        identity = client.baton_file.identity
        if identity.signed or not identity.mcp_allow_decisions:
            raise ToolError(
                "decision refused: MCP callers may not decide approvals by default. Give this "
                "MCP server a credential with the 'mcp:decide' scope (BATON_CREDENTIAL, or an "
                "HTTP bearer token from `baton identity issue NAME --scope mcp --scope "
                "mcp:decide`), or in trusted mode set 'mcp: {allow_decisions: true}' in "
                "baton.yaml (docs/mcp.md, Deciding)"
            )
        if not approver_id:
            raise ToolError("approver_id is needed: this MCP caller has no credential")
        self.limit.take(f"anonymous:{approver_id}")
        return client, approver_id, None

    # ---- the seed's tool ----------------------------------------------------

    async def workflow_orchestrator(
        self, arguments: dict[str, Any], caller: Credential | None = None
    ) -> dict[str, Any]:
        operation = arguments["operation"]
        _require(arguments, REQUIRED[operation], f"operation {operation!r}")
        if operation == "start_workflow":
            return await self.start(
                arguments["workflow_type"],
                arguments["workflow_spec"],
                arguments.get("config"),
                arguments.get("workflow_id"),
                arguments.get("workflow_input"),
            )
        if operation == "status":
            status = await self.status(arguments["workflow_id"])
            if not arguments.get("include_details"):
                status = {k: v for k, v in status.items() if k not in ("audit", "context")}
            return status
        if operation == "monitor":
            return await self.monitor(arguments.get("workflow_id"))
        if operation == "list_workflows":
            return {"workflows": await self.list_workflows(arguments.get("limit") or 50)}
        if operation == "cancel_workflow":
            return await self.cancel(arguments["workflow_id"])
        action = arguments["action"]
        _require(arguments, APPROVAL_REQUIRED[action], f"approval action {action!r}")
        if action == "request":
            return await self.request_approval(arguments)
        if action in ("approve", "reject"):
            return await self.decide(
                arguments["approval_id"],
                arguments.get("approver_id"),
                action,
                arguments.get("feedback"),
                caller,
            )
        if action == "delegate":
            return await self.delegate(
                arguments["approval_id"],
                arguments.get("approver_id"),
                arguments["delegate_to"],
                caller,
            )
        return {"approvals": await self.pending(arguments.get("approver_id"))}

    # ---- operations ---------------------------------------------------------

    async def start(
        self,
        workflow_type: str,
        spec: dict[str, Any],
        config: dict[str, Any] | None,
        workflow_id: str | None,
        workflow_input: Any = None,
    ) -> dict[str, Any]:
        client = await self.client()
        run = await _guarded(
            client.start(
                spec,
                kind=KIND_OF[workflow_type],
                config=config,
                workflow_id=workflow_id,
                source="workflow_spec",
                input=workflow_input,
            )
        )
        answer: dict[str, Any] = {
            "workflow_id": run.workflow_id,
            "workflow_type": workflow_type,
            # QUEUED: the server was down; it starts when a worker submits it
            "status": "queued" if run.queued else "started",
            "next": f"poll with operation 'status' and workflow_id {run.workflow_id!r}",
        }
        if run.warnings:
            answer["warnings"] = run.warnings
        return answer

    async def start_sweep(
        self, definition: dict[str, Any], workflow_id: str | None
    ) -> dict[str, Any]:
        """A ``kind: sweep`` definition started (docs/sweeps.md); the
        execution policy for MCP applies to its trial."""
        client = await self.client()
        run = await _guarded(client.start_sweep(definition, workflow_id, source="workflow_spec"))
        return {
            "workflow_id": run.workflow_id,
            "workflow_type": "sweep",
            "status": "started",
            "next": f"poll with get_status and workflow_id {run.workflow_id!r}",
        }

    async def status(self, workflow_id: str) -> dict[str, Any]:
        client = await self.client()
        result: dict[str, Any] = await _guarded(client.status(workflow_id))
        return result

    async def history(self, workflow_id: str) -> list[dict[str, Any]]:
        client = await self.client()
        audit: list[dict[str, Any]] = await _guarded(client.history(workflow_id))
        return audit

    async def wait(self, workflow_id: str, timeout_seconds: float) -> dict[str, Any]:
        client = await self.client()
        try:
            final = await asyncio.wait_for(
                _guarded(client.wait(workflow_id, poll_seconds=0.5)), timeout_seconds
            )
        except asyncio.TimeoutError:
            status = await self.status(workflow_id)
            return {
                "finished": False,
                "status": status.get("status"),
                "progress": status.get("progress"),
                "note": f"still running after {timeout_seconds:g}s; call again to keep waiting",
            }
        return {"finished": True, **{k: v for k, v in final.items() if k != "audit"}}

    async def monitor(self, workflow_id: str | None) -> dict[str, Any]:
        """A run's metrics and health check, or the summary of recent runs
        (WorkflowMonitor.get_workflow_dashboard_data, as ``baton health``)."""
        client = await self.client()
        summary: dict[str, Any] = await _guarded(client.health(workflow_id))
        return summary

    async def recover(
        self,
        workflow_id: str,
        action: str,
        reason: str,
        channels: list[str] | None,
        escalate_to: list[str] | None,
    ) -> dict[str, Any]:
        """A recovery by hand (WorkflowMonitor.trigger_recovery): recorded,
        carried out on a worker, which checks the channels for MCP."""
        from ..monitoring.monitor import WorkflowMonitor

        monitor = WorkflowMonitor(await self.client())
        result = await _guarded(
            monitor.trigger_recovery(
                workflow_id,
                reason,
                action,
                notification_channels=channels,
                escalate_to=escalate_to,
            )
        )
        data: dict[str, Any] = result.to_dict()
        return data

    async def analytics(self, name: str | None, since_hours: float | None) -> dict[str, Any]:
        """Process analytics of ended runs (WorkflowMonitor.get_process_analytics)."""
        from datetime import datetime, timedelta, timezone

        from ..monitoring.monitor import WorkflowMonitor

        since = (
            datetime.now(timezone.utc) - timedelta(hours=since_hours)
            if since_hours is not None
            else None
        )
        monitor = WorkflowMonitor(await self.client())
        data: dict[str, Any] = await _guarded(monitor.get_process_analytics(name, since=since))
        return data

    async def event_log(
        self, log_format: str, name: str | None, since_hours: float | None, limit: int
    ) -> dict[str, Any]:
        """Ended runs as an event log (WorkflowMonitor.export_event_log), as
        text, at most MAX_EVENT_LOG_CHARS of it."""
        from datetime import datetime, timedelta, timezone

        from ..monitoring.monitor import WorkflowMonitor

        since = (
            datetime.now(timezone.utc) - timedelta(hours=since_hours)
            if since_hours is not None
            else None
        )
        skipped: list[str] = []
        monitor = WorkflowMonitor(await self.client())
        data = await _guarded(
            monitor.export_event_log(log_format, name, since=since, limit=limit, skipped=skipped)
        )
        text = data.decode() if isinstance(data, bytes) else str(data)
        if len(text) > MAX_EVENT_LOG_CHARS:
            raise ToolError(
                f"the event log is {len(text):,} characters, more than the "
                f"{MAX_EVENT_LOG_CHARS:,} a tool answer carries: narrow it (name, since_hours, "
                "limit) or write it with `baton export-log`"
            )
        return {"format": log_format, "log": text, "unreadable_runs": skipped}

    async def recoveries(self, workflow_id: str | None) -> list[dict[str, Any]]:
        from ..monitoring.monitor import WorkflowMonitor

        monitor = WorkflowMonitor(await self.client())
        rows: list[dict[str, Any]] = await _guarded(monitor.get_recovery_history(workflow_id))
        return rows

    async def list_workflows(self, limit: int) -> list[dict[str, Any]]:
        client = await self.client()
        runs: list[dict[str, Any]] = await _guarded(client.list_runs(limit=limit))
        return runs

    async def cancel(self, workflow_id: str) -> dict[str, Any]:
        client = await self.client()
        effect = await _guarded(client.cancel(workflow_id))
        return {
            "workflow_id": workflow_id,
            "cancel_requested": True,
            "note": f"{effect}; poll status to follow",
        }

    async def send_event(
        self,
        event_type: str,
        data: Any,
        workflow_id: str | None,
        source: str,
        event_id: str | None,
    ) -> dict[str, Any]:
        client = await self.client()
        delivery = await _guarded(
            client.send_event(
                event_type, data, workflow_id=workflow_id, source=source, event_id=event_id
            )
        )
        result: dict[str, Any] = delivery.to_dict()
        return result

    async def request_approval(self, arguments: dict[str, Any]) -> dict[str, Any]:
        client = await self.client()
        run = await _guarded(
            client.request_human_approval(
                arguments.get("workflow_id"),
                arguments["stage"],
                arguments["description"],
                arguments.get("context"),
                arguments.get("timeout_seconds"),
                arguments.get("callback_url"),
                approvers=arguments.get("approvers"),
            )
        )
        return {"approval_id": run.approval_id, "status": "PENDING"}

    async def decide(
        self,
        approval_id: str,
        approver_id: str | None,
        action: str,
        feedback: str | None,
        caller: Credential | None = None,
        *,
        data: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        client, approver, credential = await self._decider(approver_id, caller)
        outcome: dict[str, Any] = await _guarded(
            client.submit_decision(
                approval_id, approver, action, feedback, credential=credential, data=data
            )
        )
        if not outcome["accepted"]:
            raise ToolError(f"decision refused: {outcome['reason']}")
        return {"approval_id": approval_id, **outcome}

    async def delegate(
        self,
        approval_id: str,
        approver_id: str | None,
        to: str,
        caller: Credential | None = None,
    ) -> dict[str, Any]:
        client, approver, credential = await self._decider(approver_id, caller)
        outcome: dict[str, Any] = await _guarded(
            client.delegate_approval(approval_id, approver, to, credential=credential)
        )
        if not outcome["accepted"]:
            raise ToolError(f"delegation refused: {outcome['reason']}")
        return {"approval_id": approval_id, **outcome}

    async def pending(self, approver_id: str | None) -> list[dict[str, Any]]:
        client = await self.client()
        rows: list[dict[str, Any]] = await _guarded(
            client.list_approvals(pending=True, as_user=approver_id)
        )
        return rows

    # ---- schedules (docs/schedules.md) ----------------------------------------

    async def create_schedule(
        self,
        name: str,
        workflow_type: str,
        spec: dict[str, Any],
        *,
        cron: list[str] | None,
        every: str | None,
        offset: str | None,
        timezone_name: str | None,
        overlap: str,
        catchup: str | None,
        workflow_input: Any,
        start_at: str | None,
        end_at: str | None,
        paused: bool,
        note: str | None,
    ) -> dict[str, Any]:
        """Schedule runs of a definition, compiled and checked for the
        ``mcp`` entry point (its execution policy)."""
        client = await self.client()

        async def create() -> dict[str, Any]:
            from ..runtime.schedule_times import (
                ScheduleTimes,
                parse_duration,
                parse_moment,
                zone,
            )

            tz = zone(timezone_name)
            times = ScheduleTimes(
                cron=list(cron or []),
                every=parse_duration(every, "every") if every else None,
                offset=parse_duration(offset, "offset") if offset else None,
                timezone=timezone_name,
                start_at=parse_moment(start_at, "start_at", tz) if start_at else None,
                end_at=parse_moment(end_at, "end_at", tz) if end_at else None,
            )
            made: dict[str, Any] = await client.schedules.create(
                name,
                spec,
                times,
                source="workflow_spec",
                kind=KIND_OF[workflow_type],
                input=workflow_input,
                overlap=overlap,
                catchup=parse_duration(catchup, "catchup") if catchup else None,
                paused=paused,
                note=note,
            )
            described = await client.schedules.describe(name)
            made["next_runs"] = described["next_runs"][:3]
            return made

        result: dict[str, Any] = await _guarded(create())
        return result

    async def list_schedules(self) -> list[dict[str, Any]]:
        client = await self.client()
        rows: list[dict[str, Any]] = await _guarded(client.schedules.list())
        return rows

    async def describe_schedule(self, name: str) -> dict[str, Any]:
        client = await self.client()
        described: dict[str, Any] = await _guarded(client.schedules.describe(name))
        return described

    async def trigger_schedule(self, name: str, overlap: str | None) -> dict[str, Any]:
        client = await self.client()
        done: dict[str, Any] = await _guarded(client.schedules.trigger(name, overlap))
        return done

    async def pause_schedule(self, name: str, paused: bool, note: str | None) -> dict[str, Any]:
        client = await self.client()
        act = client.schedules.pause if paused else client.schedules.unpause
        done: dict[str, Any] = await _guarded(act(name, note))
        return done

    async def pools(self, name: str | None) -> dict[str, Any]:
        """Resource pools (docs/pools.md): every one runs have used, or one."""
        client = await self.client()
        if name is not None:
            found: dict[str, Any] = await _guarded(client.pool(name))
            return found
        return {"pools": await _guarded(client.pools())}

    async def delete_schedule(self, name: str) -> dict[str, Any]:
        client = await self.client()
        done: dict[str, Any] = await _guarded(client.schedules.delete(name))
        return done
