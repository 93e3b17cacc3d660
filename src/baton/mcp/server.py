"""Baton's MCP server, built on the official ``mcp`` SDK: the seed's
``workflow_orchestrator`` tool, small typed tools beside it, and workflow
status as resources. Served over stdio (``baton mcp``) or streamable HTTP
(``baton mcp --http [HOST:]PORT``)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from ..errors import ConfigError
from ..identity.credentials import Credential, CredentialError
from ..identity.verifying import CredentialVerifier
from ..runtime.client import TemporalWorkflowClient
from ..web.listen import is_loopback
from .tools import (
    APPROVAL_REQUIRED,
    REQUIRED,
    ApprovalAction,
    BatonTools,
    Operation,
    Overlap,
    WorkflowType,
)

INSTRUCTIONS = """Baton runs durable workflows on Temporal: sagas (steps with compensation),
human approvals (stages, quorum, delegation) and multi-agent coding projects.
Start one, poll its status (or wait for it), decide approvals as a named approver,
cancel it; schedule a definition to run at cron times or intervals (create_schedule,
describe_schedule, trigger_schedule, pause_schedule). Statuses: sagas end COMPLETED, COMPENSATED, COMPENSATION_FAILED or CANCELLED;
approvals end APPROVED, REJECTED, EXPIRED or CANCELLED."""

TOKEN_ENV = "BATON_MCP_TOKEN"


def build_server(client_factory: Callable[[], TemporalWorkflowClient] | None = None) -> MCPServer:
    tools = BatonTools(client_factory or TemporalWorkflowClient)
    server: MCPServer = MCPServer(
        name="baton", instructions=INSTRUCTIONS, version="0.1.0", log_level="WARNING"
    )

    @server.tool(
        name="workflow_orchestrator",
        description=(
            "The unified workflow tool. operation: start_workflow (workflow_type + workflow_spec [+ config, "
            "workflow_id, workflow_input (a process's input)]); status (workflow_id [+ include_details]); monitor ([workflow_id]); list_workflows "
            "([limit]); cancel_workflow (workflow_id); approval with action request (stage, description "
            "[+ workflow_id, context, approvers, timeout_seconds, callback_url]), approve/reject (approval_id, "
            "approver_id [+ feedback]), delegate (approval_id, approver_id, delegate_to), list_pending "
            "([approver_id])."
        ),
    )
    async def workflow_orchestrator(
        ctx: Context,
        operation: Operation,
        workflow_type: WorkflowType | None = None,
        workflow_spec: dict[str, Any] | None = None,
        workflow_input: Any = None,
        config: dict[str, Any] | None = None,
        workflow_id: str | None = None,
        approval_id: str | None = None,
        action: ApprovalAction | None = None,
        approver_id: str | None = None,
        feedback: str | None = None,
        include_details: bool = False,
        stage: str | None = None,
        description: str | None = None,
        context: dict[str, Any] | None = None,
        approvers: list[str] | None = None,
        timeout_seconds: Annotated[float | None, Field(gt=0)] = None,
        callback_url: str | None = None,
        delegate_to: str | None = None,
        limit: Annotated[int | None, Field(ge=1, le=1000)] = None,
    ) -> dict[str, Any]:
        arguments = {k: v for k, v in locals().items() if k not in ("tools", "ctx")}
        return await tools.workflow_orchestrator(arguments, caller_credential(ctx))

    @server.tool(
        description="Validate and start a saga from its definition (the seed's saga JSON)."
    )
    async def start_saga(
        definition: dict[str, Any],
        config: dict[str, Any] | None = None,
        workflow_id: str | None = None,
    ) -> dict[str, Any]:
        return await tools.start("saga", definition, config, workflow_id)

    @server.tool(
        description="Start a parameter sweep (a kind: sweep definition): python trials over "
        "a grid or random space, bounded parallelism, early stopping; the best trial is the "
        "result (get_status / wait_for_workflow)."
    )
    async def start_sweep(
        definition: dict[str, Any], workflow_id: str | None = None
    ) -> dict[str, Any]:
        return await tools.start_sweep(definition, workflow_id)

    @server.tool(
        description="Plan and start a multi-agent project from a ProjectSpec and its config."
    )
    async def start_project(
        project_spec: dict[str, Any],
        config: dict[str, Any] | None = None,
        workflow_id: str | None = None,
    ) -> dict[str, Any]:
        return await tools.start("multi_agent_project", project_spec, config, workflow_id)

    @server.tool(
        description="A workflow's status: steps or stages, progress, failure, compensations."
    )
    async def get_status(workflow_id: str) -> dict[str, Any]:
        status = await tools.status(workflow_id)
        return {k: v for k, v in status.items() if k != "audit"}

    @server.tool(
        description="Wait until a workflow finishes or timeout_seconds pass; returns its status."
    )
    async def wait_for_workflow(
        workflow_id: str, timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 60
    ) -> dict[str, Any]:
        return await tools.wait(workflow_id, timeout_seconds)

    @server.tool(
        description="The audit trail of a workflow: what ran when, attempts, errors, decisions."
    )
    async def get_history(workflow_id: str) -> dict[str, Any]:
        return {"workflow_id": workflow_id, "audit": await tools.history(workflow_id)}

    @server.tool(
        description="Health check: a run's issues (no worker, a failing or slow step, a "
        "failed compensation, an approval past its escalation), each with a recommendation, "
        "and its metrics; without workflow_id, a summary of recent runs."
    )
    async def health_check(workflow_id: str | None = None) -> dict[str, Any]:
        return await tools.monitor(workflow_id)

    @server.tool(
        description="Recover a run: retry (an ended failed run's failed step runs again), "
        "restart (same definition and input, a new run), compensate or cancel (a running run "
        "stops and undoes what completed), escalate (an approval to escalate_to), notify "
        "(configured notification channels). Recorded; returns what was done."
    )
    async def trigger_recovery(
        workflow_id: str,
        recovery_action: Literal["retry", "restart", "compensate", "cancel", "escalate", "notify"],
        recovery_reason: str,
        notification_channels: list[str] | None = None,
        escalate_to: list[str] | None = None,
    ) -> dict[str, Any]:
        return await tools.recover(
            workflow_id, recovery_action, recovery_reason, notification_channels, escalate_to
        )

    @server.tool(
        description="Process analytics of ended runs, per definition and step: success rate, "
        "p50/p95 durations, throughput, retries, error kinds, working vs waiting time, the "
        "slowest steps and the process map (directly-follows graph)."
    )
    async def process_analytics(
        name: str | None = None,
        since_hours: Annotated[float | None, Field(gt=0)] = None,
    ) -> dict[str, Any]:
        return await tools.analytics(name, since_hours)

    @server.tool(
        description="Ended runs as an event log for process-mining tools: format xes (XES "
        "1.0 XML) or ocel (OCEL 2.0 JSON), of the definition `name` (all without), ended "
        "within since_hours, the newest `limit` runs; at most 2,000,000 characters."
    )
    async def export_event_log(
        format: Literal["xes", "ocel"] = "xes",
        name: str | None = None,
        since_hours: Annotated[float | None, Field(gt=0)] = None,
        limit: Annotated[int, Field(ge=1, le=10_000)] = 1000,
    ) -> dict[str, Any]:
        return await tools.event_log(format, name, since_hours, limit)

    @server.tool(description="Recoveries taken (by policies and by hand), newest first.")
    async def recovery_history(workflow_id: str | None = None) -> dict[str, Any]:
        return {"recoveries": await tools.recoveries(workflow_id)}

    @server.tool(description="List workflows, newest first.")
    async def list_workflows(limit: Annotated[int, Field(ge=1, le=1000)] = 50) -> dict[str, Any]:
        return {"workflows": await tools.list_workflows(limit)}

    @server.tool(
        description="Cancel a running workflow: running steps stop, then what it did is undone."
    )
    async def cancel_workflow(workflow_id: str) -> dict[str, Any]:
        return await tools.cancel(workflow_id)

    @server.tool(
        description="Send an event (a CloudEvent: type, data) to a run that waits for it, or, "
        "without workflow_id, to every run waiting for events of that type. Says which waits "
        "took it; an event no run waits for is an error."
    )
    async def send_event(
        event_type: str,
        data: Any = None,
        workflow_id: str | None = None,
        source: str = "mcp",
        event_id: str | None = None,
    ) -> dict[str, Any]:
        return await tools.send_event(event_type, data, workflow_id, source, event_id)

    @server.tool(description="Pending approvals, optionally only those approver_id may decide now.")
    async def list_pending_approvals(approver_id: str | None = None) -> dict[str, Any]:
        return {"approvals": await tools.pending(approver_id)}

    @server.tool(
        description=(
            "Approve or reject an approval as this MCP caller's principal (its credential needs "
            "the 'mcp:decide' scope; the same rules as every other path). data: the "
            "request's form filled in (a BPMN user task's fields), when it has one."
        )
    )
    async def decide_approval(
        ctx: Context,
        approval_id: str,
        decision: Literal["approve", "reject"],
        approver_id: str | None = None,
        feedback: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        return await tools.decide(
            approval_id, approver_id, decision, feedback, caller_credential(ctx), data=data
        )

    @server.tool(
        description="Schedule runs of a definition (workflow_type + workflow_spec, as "
        "start_workflow) on Temporal Schedules: cron (5-field expressions, several allowed) "
        "and/or every (90s, 30m, 1h, 1d) with offset, read in timezone (IANA, default UTC); "
        "overlap when a run is due while the last still runs (skip, buffer, buffer-all, "
        "allow); catchup (e.g. 4h); workflow_input for every run. The plan is compiled and "
        "checked now and every run starts with it (docs/schedules.md)."
    )
    async def create_schedule(
        name: str,
        workflow_type: WorkflowType,
        workflow_spec: dict[str, Any],
        cron: list[str] | None = None,
        every: str | None = None,
        offset: str | None = None,
        timezone: str | None = None,
        overlap: Overlap = "skip",
        catchup: str | None = None,
        workflow_input: Any = None,
        start_at: str | None = None,
        end_at: str | None = None,
        paused: bool = False,
        note: str | None = None,
    ) -> dict[str, Any]:
        return await tools.create_schedule(
            name,
            workflow_type,
            workflow_spec,
            cron=cron,
            every=every,
            offset=offset,
            timezone_name=timezone,
            overlap=overlap,
            catchup=catchup,
            workflow_input=workflow_input,
            start_at=start_at,
            end_at=end_at,
            paused=paused,
            note=note,
        )

    @server.tool(description="Baton's schedules: what each starts, when, paused or not, next run.")
    async def list_schedules() -> dict[str, Any]:
        return {"schedules": await tools.list_schedules()}

    @server.tool(
        description="A schedule: its definition, times, overlap policy, paused and why, the "
        "next run times (in its time zone) and recent runs with their ids and statuses."
    )
    async def describe_schedule(name: str) -> dict[str, Any]:
        return await tools.describe_schedule(name)

    @server.tool(
        description="Start a schedule's run now, as if one were due (overlap: instead of the "
        "schedule's policy). outcome: started (with workflow_id), skipped or buffered (a run "
        "of it still runs), or requested."
    )
    async def trigger_schedule(name: str, overlap: Overlap | None = None) -> dict[str, Any]:
        return await tools.trigger_schedule(name, overlap)

    @server.tool(
        description="Pause a schedule (no run starts; runs already started go on), with a "
        "note saying why."
    )
    async def pause_schedule(name: str, note: str | None = None) -> dict[str, Any]:
        return await tools.pause_schedule(name, True, note)

    @server.tool(description="Unpause a schedule: runs start at its times again.")
    async def unpause_schedule(name: str, note: str | None = None) -> dict[str, Any]:
        return await tools.pause_schedule(name, False, note)

    @server.tool(description="Delete a schedule: no run starts any more; runs it started go on.")
    async def delete_schedule(name: str) -> dict[str, Any]:
        return await tools.delete_schedule(name)

    @server.tool(
        description="Resource pools (such as GPUs) that acquire/release steps lease from: "
        "capacity, in use, free, leases (holder, run, count, since) and the queue waiting for "
        "them. Without name: every pool runs have used (docs/pools.md)."
    )
    async def get_pools(name: str | None = None) -> dict[str, Any]:
        return await tools.pools(name)

    @server.resource(
        "baton://workflows/{workflow_id}",
        mime_type="application/json",
        description="A workflow's status document",
    )
    async def workflow_resource(workflow_id: str) -> str:
        return json.dumps(await tools.status(workflow_id), default=str)

    _publish_required_fields(server)
    return server


def _publish_required_fields(server: MCPServer) -> None:
    """Add 'required per operation' to workflow_orchestrator's input schema
    (JSON Schema if/then), so agents see it before they call."""
    tool = server._tool_manager.get_tool("workflow_orchestrator")
    if tool is None:  # registered just above; a missing tool is a bug here
        raise RuntimeError("workflow_orchestrator is not registered")
    rules: list[dict[str, Any]] = [
        {
            "if": {"properties": {"operation": {"const": op}}, "required": ["operation"]},
            "then": {"required": fields},
        }
        for op, fields in REQUIRED.items()
        if fields
    ]
    rules += [
        {
            "if": {
                "properties": {"operation": {"const": "approval"}, "action": {"const": act}},
                "required": ["operation", "action"],
            },
            "then": {"required": fields},
        }
        for act, fields in APPROVAL_REQUIRED.items()
        if fields
    ]
    tool.parameters["allOf"] = rules


CREDENTIAL_STATE = "baton_credential"


def caller_credential(ctx: Context) -> Credential | None:
    """The credential an HTTP caller authenticated with (its bearer token),
    if it used one; None on stdio (the server's own BATON_CREDENTIAL applies)."""
    try:
        request = ctx.request_context.request
    except ValueError:
        return None
    state = getattr(request, "scope", {}).get("state") or {}
    credential = state.get(CREDENTIAL_STATE)
    return credential if isinstance(credential, Credential) else None


class BearerTokenMiddleware:
    """Refuses HTTP requests without ``Authorization: Bearer <token>``: the
    shared ``BATON_MCP_TOKEN`` (a caller with no principal), or a Baton
    credential with the 'mcp' scope (the caller is its principal)."""

    def __init__(
        self, app: Any, token: str | None, verifier: CredentialVerifier | None = None
    ) -> None:
        self.app = app
        self.token = token.encode() if token else None
        self.verifier = verifier

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            given = headers.get(b"authorization", b"")
            problem = "missing or wrong bearer token (BATON_MCP_TOKEN or a Baton credential)"
            accepted = self.token is not None and hmac.compare_digest(
                given, b"Bearer " + self.token
            )
            if (
                not accepted
                and self.verifier is not None
                and given.startswith(b"Bearer baton-cred.")
            ):
                try:
                    credential = self.verifier(given[len(b"Bearer ") :].decode())
                except (CredentialError, UnicodeDecodeError) as exc:
                    problem = f"credential refused: {exc}"
                else:
                    scope.setdefault("state", {})[CREDENTIAL_STATE] = credential
                    accepted = True
            if not accepted:
                body = json.dumps({"error": problem}).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"www-authenticate", b"Bearer"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


async def serve_http(
    server: MCPServer,
    host: str,
    port: int,
    token: str | None,
    verifier: CredentialVerifier | None = None,
    *,
    anonymous_loopback: bool = False,
) -> None:
    """Serve streamable HTTP. Every request needs a bearer token (the shared
    ``BATON_MCP_TOKEN`` or a credential), also on 127.0.0.1: other users and
    programs on the machine can reach loopback. ``anonymous_loopback`` (``baton
    mcp --http PORT --no-token``) drops that on loopback only, for a machine
    where every local user and process may act through Baton."""
    import uvicorn
    from mcp.server.transport_security import TransportSecuritySettings

    if not token and verifier is None:
        if not is_loopback(host):
            raise ConfigError(
                f"refusing to serve MCP on {host} without a token: set {TOKEN_ENV}, "
                "or bind to 127.0.0.1"
            )
        if not anonymous_loopback:
            raise ConfigError(
                f"refusing to serve MCP over HTTP without a token: set {TOKEN_ENV} (or create "
                "the identity key and use credentials as tokens); for local development only, "
                "--no-token serves 127.0.0.1 to anyone on this machine"
            )
    security = (
        None
        if not is_loopback(host)
        else TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=[f"127.0.0.1:{port}", f"localhost:{port}", "127.0.0.1", "localhost"],
            allowed_origins=[f"http://127.0.0.1:{port}", f"http://localhost:{port}"],
        )
    )
    app: Any = server.streamable_http_app(host=host, transport_security=security)
    if token or verifier is not None:
        app = BearerTokenMiddleware(app, token, verifier)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    await uvicorn.Server(config).serve()
