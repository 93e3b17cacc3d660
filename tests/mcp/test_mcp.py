"""The MCP server with the real MCP client from the `mcp` SDK, against the
session's real Temporal server: in process, over stdio (`baton mcp`) and over
streamable HTTP (`baton mcp --http`)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from baton.config import BatonFile, IdentityConfig, Settings
from baton.mcp.server import build_server
from baton.policy import ExecutionPolicy
from baton.runtime import TemporalWorkflowClient
from baton.testing import free_port, until
from tests.support.sagas import seed_onboarding
from tests.support.servers import answering

pytestmark = pytest.mark.asyncio(loop_scope="session")


def data(result: Any) -> Any:
    assert not result.is_error, result.content[0].text
    return json.loads(result.content[0].text)


def error(result: Any) -> str:
    assert result.is_error, result.content[0].text
    return str(result.content[0].text)


def env_for(baton, config: Path | None = None) -> dict[str, str]:
    """The environment of a `baton mcp` subprocess; ``config`` a baton.yaml."""
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": baton.settings.address,
        "TEMPORAL_TASK_QUEUE": baton.settings.task_queue,
        "BATON_HOME": str(baton.settings.home),
    }
    if config is not None:
        env["BATON_CONFIG"] = str(config)
    return env


def trusting(tmp_path: Path) -> Path:
    """A baton.yaml in trusted mode that lets MCP callers name the approver
    (off by default: docs/mcp.md, Deciding) and reach the local stand-in
    services (loopback is closed to MCP definitions by default)."""
    path = tmp_path / "baton.yaml"
    path.write_text("mcp: {allow_decisions: true}\npolicy: {allow_hosts: ['127.0.0.1']}\n")
    return path


# what trusting() writes, for in-process servers and their worker
MCP_LOCAL = BatonFile(
    identity=IdentityConfig(mcp_allow_decisions=True),
    policy=ExecutionPolicy(allow_hosts=("127.0.0.1",)),
)


@pytest_asyncio.fixture(loop_scope="session")
async def mcp_baton(worker_factory):
    async with worker_factory(MCP_LOCAL) as env:
        yield env


async def drive_saga_and_approval(client: Client, services_url: str) -> None:
    """The acceptance path: saga through the seed's tool, polled to completion;
    an approval requested and approved; listed; a run cancelled."""
    started = data(
        await client.call_tool(
            "workflow_orchestrator",
            {
                "operation": "start_workflow",
                "workflow_type": "saga",
                "workflow_spec": seed_onboarding(services_url),
            },
        )
    )
    workflow_id = started["workflow_id"]

    async def finished() -> Any:
        status = data(
            await client.call_tool(
                "workflow_orchestrator", {"operation": "status", "workflow_id": workflow_id}
            )
        )
        return status if status["status"] == "COMPLETED" else None

    status = await until(finished, timeout=60)
    assert status["progress"] == {"completed": 2, "total": 2} and "audit" not in status

    requested = data(
        await client.call_tool(
            "workflow_orchestrator",
            {
                "operation": "approval",
                "action": "request",
                "workflow_id": workflow_id,
                "stage": "deployment",
                "description": "Approve production deployment",
                "context": {"environment": "production"},
                "approvers": ["user@company.com"],
            },
        )
    )
    approval_id = requested["approval_id"]

    async def listed() -> bool:
        # the inbox is a visibility query: eventually consistent, so poll
        pending = data(
            await client.call_tool(
                "workflow_orchestrator",
                {
                    "operation": "approval",
                    "action": "list_pending",
                    "approver_id": "user@company.com",
                },
            )
        )
        return approval_id in [a["approval_id"] for a in pending["approvals"]]

    await until(listed, timeout=30)
    refused = error(
        await client.call_tool(
            "workflow_orchestrator",
            {
                "operation": "approval",
                "action": "approve",
                "approval_id": approval_id,
                "approver_id": "intruder@x",
            },
        )
    )
    assert (
        "decision refused: intruder@x may not decide stage 'deployment'; may decide: user@company.com"
        in refused
    )
    approved = data(
        await client.call_tool(
            "workflow_orchestrator",
            {
                "operation": "approval",
                "action": "approve",
                "approval_id": approval_id,
                "approver_id": "user@company.com",
                "feedback": "Ready for deployment",
            },
        )
    )
    assert approved["accepted"] and approved["status"] == "APPROVED"

    listed = data(await client.call_tool("workflow_orchestrator", {"operation": "list_workflows"}))
    assert workflow_id in [w["workflow_id"] for w in listed["workflows"]]

    second = data(
        await client.call_tool(
            "workflow_orchestrator",
            {
                "operation": "approval",
                "action": "request",
                "stage": "rollback",
                "description": "Roll back?",
                "approvers": ["user@company.com"],
            },
        )
    )["approval_id"]
    cancelled = data(
        await client.call_tool(
            "workflow_orchestrator", {"operation": "cancel_workflow", "workflow_id": second}
        )
    )
    assert cancelled["cancel_requested"]

    async def is_cancelled() -> bool:
        status = data(
            await client.call_tool(
                "workflow_orchestrator", {"operation": "status", "workflow_id": second}
            )
        )
        return status["status"] == "CANCELLED"

    await until(is_cancelled, timeout=30)


async def test_in_process_full_path_and_typed_tools(mcp_baton, services):
    baton = mcp_baton  # a worker whose policy lets MCP runs reach 127.0.0.1
    server = build_server(lambda: _client_for(baton))
    async with Client(server) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert {
            "workflow_orchestrator",
            "start_saga",
            "get_status",
            "wait_for_workflow",
            "list_pending_approvals",
            "decide_approval",
            "cancel_workflow",
            "list_workflows",
            "get_history",
            "start_project",
            "health_check",
            "trigger_recovery",
            "recovery_history",
        } <= names
        await drive_saga_and_approval(client, services.url)


async def test_health_and_recovery_tools(mcp_baton, services):
    """The same monitor as `baton health` and `baton recover`, recorded alike."""
    server = build_server(lambda: _client_for(mcp_baton))
    async with Client(server) as client:
        started = data(
            await client.call_tool("start_saga", {"definition": seed_onboarding(services.url)})
        )
        workflow_id = started["workflow_id"]
        await client.call_tool("wait_for_workflow", {"workflow_id": workflow_id})
        health = data(await client.call_tool("health_check", {"workflow_id": workflow_id}))
        assert (
            health["health"]["status"] == "healthy" and health["metrics"]["status"] == "COMPLETED"
        )
        summary = data(await client.call_tool("health_check", {}))
        assert summary["summary"]["total_workflows"] >= 1
        recovery = data(
            await client.call_tool(
                "trigger_recovery",
                {
                    "workflow_id": workflow_id,
                    "recovery_action": "retry",
                    "recovery_reason": "asked by an agent",
                },
            )
        )
        assert recovery["outcome"] == "refused"
        assert "completed: nothing failed" in recovery["actions"][0]["detail"]
        analytics = data(
            await client.call_tool(
                "process_analytics", {"name": "User Onboarding Process", "since_hours": 1}
            )
        )
        stats = analytics["definitions"]["User Onboarding Process"]
        assert stats["runs"] >= 1 and stats["success_rate"] > 0
        assert ("▶", "create_account") in {
            (e["from"], e["to"]) for e in stats["process_map"]["edges"]
        }
        exported = data(
            await client.call_tool(
                "export_event_log",
                {"format": "ocel", "name": "User Onboarding Process", "since_hours": 1},
            )
        )
        ocel = json.loads(exported["log"])
        assert workflow_id in {o["id"] for o in ocel["objects"]}
        xes = data(await client.call_tool("export_event_log", {"name": "User Onboarding Process"}))
        assert xes["format"] == "xes" and workflow_id in xes["log"]
        narrow = error(await client.call_tool("export_event_log", {"limit": 0}))
        assert "limit" in narrow
        history = data(await client.call_tool("recovery_history", {"workflow_id": workflow_id}))
        assert [r["recovery_reason"] for r in history["recoveries"]] == ["asked by an agent"]
        refused = error(
            await client.call_tool(
                "trigger_recovery",
                {"workflow_id": "no-such-run", "recovery_action": "cancel", "recovery_reason": "x"},
            )
        )
        assert "no workflow with id 'no-such-run'" in refused

        started = data(
            await client.call_tool("start_saga", {"definition": seed_onboarding(services.url)})
        )
        waited = data(
            await client.call_tool(
                "wait_for_workflow", {"workflow_id": started["workflow_id"], "timeout_seconds": 60}
            )
        )
        assert waited["finished"] and waited["status"] == "COMPLETED"
        resource = await client.read_resource(f"baton://workflows/{started['workflow_id']}")
        assert json.loads(resource.contents[0].text)["status"] == "COMPLETED"
        monitor = data(
            await client.call_tool(
                "workflow_orchestrator",
                {"operation": "monitor", "workflow_id": started["workflow_id"]},
            )
        )
        assert monitor["healthy"] and monitor["metrics"]["progress"] == {"completed": 2, "total": 2}
        assert (
            monitor["health"]["status"] == "healthy" and monitor["metrics"]["completion_rate"] == 1
        )
        history = data(
            await client.call_tool("get_history", {"workflow_id": started["workflow_id"]})
        )
        assert history["audit"][0]["event"] == "run_started"

        services.state.delays["/accounts"] = 30
        definition = seed_onboarding(services.url)
        definition["config"] = {"heartbeat_timeout_seconds": 3}
        slow = data(await client.call_tool("start_saga", {"definition": definition}))
        await until(lambda: _count(services, "/accounts"), timeout=30)
        data(
            await client.call_tool(
                "workflow_orchestrator",
                {"operation": "cancel_workflow", "workflow_id": slow["workflow_id"]},
            )
        )
        done = data(
            await client.call_tool(
                "wait_for_workflow", {"workflow_id": slow["workflow_id"], "timeout_seconds": 60}
            )
        )
        assert done["status"] == "CANCELLED"


async def _count(services, path: str) -> bool:
    return services.state.count("POST", path) >= 1


def _client_for(baton, baton_file: BatonFile | None = None) -> TemporalWorkflowClient:
    return TemporalWorkflowClient(baton.settings, baton_file=baton_file or MCP_LOCAL)


MALFORMED = [
    ({"operation": "status"}, "operation 'status' needs workflow_id"),
    ({"operation": "launch"}, "Input should be 'start_workflow'"),
    (
        {"operation": "start_workflow", "workflow_type": "saga"},
        "operation 'start_workflow' needs workflow_spec",
    ),
    (
        {"operation": "start_workflow", "workflow_type": "cron", "workflow_spec": {}},
        "Input should be 'saga'",
    ),
    (
        {
            "operation": "start_workflow",
            "workflow_type": "saga",
            "workflow_spec": {
                "saga_id": "x",
                "steps": [
                    {"step_id": "a", "forward_action": {"type": "api_call", "method": "POST"}}
                ],
            },
        },
        "workflow_spec: steps[0].forward_action.url: required field is missing",
    ),
    ({"operation": "approval"}, "operation 'approval' needs action"),
    (
        {"operation": "approval", "action": "approve"},
        "approval action 'approve' needs approval_id",
    ),
    (
        {"operation": "approval", "action": "approve", "approval_id": "a"},
        "approver_id is needed: this MCP caller has no credential",
    ),
    (
        {"operation": "approval", "action": "approve", "approval_id": "nope", "approver_id": "u"},
        "no workflow with id 'nope'",
    ),
    ({"operation": "cancel_workflow", "workflow_id": "nope"}, "no workflow with id 'nope'"),
    ({"operation": "status", "workflow_id": "nope"}, "no workflow with id 'nope'"),
]


@pytest.mark.parametrize(
    ("arguments", "message"), MALFORMED, ids=[str(i) for i in range(len(MALFORMED))]
)
async def test_malformed_calls_are_clear_tool_errors(baton, arguments, message):
    async with Client(build_server(lambda: _client_for(baton))) as client:
        assert message in error(await client.call_tool("workflow_orchestrator", arguments))
        # the server is still there
        assert (await client.list_tools()).tools


async def test_schema_is_precise(baton):
    async with Client(build_server(lambda: _client_for(baton))) as client:
        tool = next(
            t for t in (await client.list_tools()).tools if t.name == "workflow_orchestrator"
        )
    schema = tool.input_schema
    assert schema["required"] == ["operation"]
    assert schema["properties"]["operation"]["enum"] == [
        "start_workflow",
        "approval",
        "status",
        "monitor",
        "list_workflows",
        "cancel_workflow",
    ]
    rules = {json.dumps(r["if"], sort_keys=True): r["then"]["required"] for r in schema["allOf"]}
    assert rules[
        json.dumps(
            {"properties": {"operation": {"const": "status"}}, "required": ["operation"]},
            sort_keys=True,
        )
    ] == ["workflow_id"]


async def test_server_unreachable_is_a_tool_error():
    from dataclasses import replace

    from baton.config import Settings

    settings = replace(Settings.from_env({}), temporal_address=f"127.0.0.1:{free_port()}")
    async with Client(build_server(lambda: TemporalWorkflowClient(settings))) as client:
        message = error(await client.call_tool("get_status", {"workflow_id": "x"}))
    assert "cannot reach Temporal at" in message


async def test_over_stdio(mcp_baton, services, tmp_path):
    baton = mcp_baton  # a worker whose policy lets MCP runs reach 127.0.0.1
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "baton.cli.main", "mcp"],
        env=env_for(baton, trusting(tmp_path)),
    )
    async with Client(params) as client:
        await drive_saga_and_approval(client, services.url)


async def test_over_http_with_a_token(mcp_baton, services, tmp_path):
    baton = mcp_baton  # a worker whose policy lets MCP runs reach 127.0.0.1
    port = free_port()
    env = {**env_for(baton, trusting(tmp_path)), "BATON_MCP_TOKEN": "t0ken"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "baton.cli.main",
        "mcp",
        "--http",
        str(port),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        await answering(url)
        async with httpx.AsyncClient() as http:
            denied = await http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert denied.status_code == 401
        transport = streamable_http_client(
            url, http_client=create_mcp_http_client(headers={"Authorization": "Bearer t0ken"})
        )
        async with Client(transport) as client:
            await drive_saga_and_approval(client, services.url)
    finally:
        proc.terminate()
        await proc.wait()


async def test_non_loopback_without_token_is_refused(baton):
    env = {k: v for k, v in env_for(baton).items() if k != "BATON_MCP_TOKEN"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "baton.cli.main",
        "mcp",
        "--http",
        f"0.0.0.0:{free_port()}",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert b"refusing to serve MCP on 0.0.0.0 without a token: set BATON_MCP_TOKEN" in err


async def test_multi_agent_project_through_the_seed_tool(worker_factory, tmp_path):
    """The seed's start_workflow for a project; a stand-in agent program
    replaces a real LLM agent CLI, which cannot run here."""
    from dataclasses import replace

    from tests.e2e.test_projects import agents

    baton_file = agents()
    async with worker_factory(baton_file) as env:

        def factory() -> TemporalWorkflowClient:
            return TemporalWorkflowClient(
                replace(env.settings, home=tmp_path), baton_file=baton_file
            )

        async with Client(build_server(factory)) as client:
            started = data(
                await client.call_tool(
                    "workflow_orchestrator",
                    {
                        "operation": "start_workflow",
                        "workflow_type": "multi_agent_project",
                        "workflow_spec": {
                            "project_id": "test-project",
                            "name": "Test Project",
                            "description": "Test project workflow",
                            "requirements": ["Feature A", "Feature B"],
                            "constraints": {"timeline": "1 week"},
                            "success_criteria": ["All features working"],
                            "estimated_duration_hours": 20,
                            "agents_required": ["CLAUDE"],
                        },
                        "config": {"automatic_testing": False},
                    },
                )
            )
            done = data(
                await client.call_tool(
                    "wait_for_workflow",
                    {"workflow_id": started["workflow_id"], "timeout_seconds": 60},
                )
            )
            assert done["status"] == "COMPLETED" and done["kind"] == "project"
            assert done["progress"] == {"completed": 2, "total": 2}
            bad = error(
                await client.call_tool(
                    "workflow_orchestrator",
                    {
                        "operation": "start_workflow",
                        "workflow_type": "multi_agent_project",
                        "workflow_spec": {"project_id": "p", "name": "n", "requirements": ["a"]},
                        "config": {"parallel": True},
                    },
                )
            )
            assert "workflow_spec: config: unknown key 'parallel'; allowed: approval_timeout" in bad


async def _pending_approval(client: TemporalWorkflowClient, approvers: list[str]) -> str:
    from baton.plan.approval import compile_approval

    spec = compile_approval(
        {"stage": "deploy", "stages": [{"name": "deploy", "approvers": approvers}]}
    )
    return (await client.request_approval(spec)).approval_id


async def test_mcp_callers_may_not_decide_by_default(baton):
    approval_id = await _pending_approval(baton.client, ["user@company.com"])
    server = build_server(lambda: TemporalWorkflowClient(baton.settings, baton_file=BatonFile()))
    async with Client(server) as client:
        refused = error(
            await client.call_tool(
                "decide_approval",
                {
                    "approval_id": approval_id,
                    "approver_id": "user@company.com",
                    "decision": "approve",
                },
            )
        )
    assert "MCP callers may not decide approvals by default" in refused
    assert (await baton.client.status(approval_id))["stages"][0]["votes"] == []


async def test_signed_mode_mcp_decides_only_as_its_principal_with_the_scope(
    worker_factory, tmp_path
):
    """The MCP server's credential (stdio: BATON_CREDENTIAL) is its principal:
    without 'mcp:decide' it may not decide; with it, only as itself, and the
    worker records the vote as signed via mcp."""
    from baton.identity.issuing import issue_credential
    from baton.identity.keys import create_key

    settings_home = tmp_path
    baton_file = BatonFile(
        identity=IdentityConfig(mode="signed", identities={"release-bot": {}, "lead": {}})
    )
    create_key(Settings.from_env({"BATON_HOME": str(settings_home)}), baton_file.identity)
    async with worker_factory(baton_file, home=settings_home) as env:
        reader = issue_credential(env.settings, baton_file, "release-bot", scopes=("mcp",))
        decider = issue_credential(
            env.settings, baton_file, "release-bot", scopes=("mcp", "mcp:decide")
        )
        approval_id = await _pending_approval(env.client, ["release-bot", "lead"])

        def factory(credential):
            return lambda: TemporalWorkflowClient(
                env.settings, credential=credential, baton_file=baton_file
            )

        async with Client(build_server(factory(reader))) as client:
            refused = error(
                await client.call_tool(
                    "decide_approval", {"approval_id": approval_id, "decision": "approve"}
                )
            )
            assert "lacks the 'mcp:decide' scope" in refused
        async with Client(build_server(factory(decider))) as client:
            impersonating = error(
                await client.call_tool(
                    "decide_approval",
                    {"approval_id": approval_id, "approver_id": "lead", "decision": "approve"},
                )
            )
            assert "is release-bot and cannot decide as lead" in impersonating
            approved = data(
                await client.call_tool(
                    "workflow_orchestrator",
                    {"operation": "approval", "action": "approve", "approval_id": approval_id},
                )
            )
            assert approved["accepted"] and approved["status"] == "APPROVED"
        vote = (await env.client.result(approval_id))["stages"][0]["votes"][0]
        assert (vote["approver"], vote["via"]) == ("release-bot", "mcp")


async def test_http_bearer_credential_is_the_callers_principal(worker_factory, tmp_path):
    """Over HTTP a Baton credential with the 'mcp' scope is a bearer token;
    the caller decides as its principal. A credential without 'mcp', a
    revoked one and a made-up one are turned away at the door."""
    from baton.identity.issuing import issue_credential, revoke
    from baton.identity.keys import create_key

    baton_file = BatonFile(
        identity=IdentityConfig(mode="signed", identities={"release-bot": {}, "lead": {}})
    )
    config = tmp_path / "baton.yaml"
    config.write_text("identities: [release-bot, lead]\n")
    create_key(Settings.from_env({"BATON_HOME": str(tmp_path)}), baton_file.identity)
    async with worker_factory(baton_file, home=tmp_path) as env:
        token = issue_credential(
            env.settings, baton_file, "release-bot", scopes=("mcp", "mcp:decide")
        )
        human = issue_credential(env.settings, baton_file, "lead")
        gone = issue_credential(env.settings, baton_file, "release-bot", scopes=("mcp",))
        revoke(env.settings, baton_file, credential_id=gone.claims.jti)
        approval_id = await _pending_approval(env.client, ["release-bot", "lead"])
        port = free_port()
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "baton.cli.main",
            "mcp",
            "--http",
            str(port),
            env=env_for(env, config),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        url = f"http://127.0.0.1:{port}/mcp"
        try:

            async def answers() -> int:
                try:
                    async with httpx.AsyncClient() as http:
                        return (await http.get(url)).status_code
                except httpx.HTTPError:
                    return 0

            await until(answers, timeout=30)
            async with httpx.AsyncClient() as http:
                for bad, why in (
                    (human.token(), "lacks the 'mcp' scope"),
                    (gone.token(), "was revoked"),
                    ("baton-cred.e30.AAAA", "credential refused"),
                ):
                    denied = await http.post(
                        url,
                        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                        headers={"Authorization": f"Bearer {bad}"},
                    )
                    assert denied.status_code == 401 and why in denied.text, denied.text
            transport = streamable_http_client(
                url,
                http_client=create_mcp_http_client(
                    headers={"Authorization": f"Bearer {token.token()}"}
                ),
            )
            async with Client(transport) as client:
                approved = data(
                    await client.call_tool(
                        "decide_approval", {"approval_id": approval_id, "decision": "approve"}
                    )
                )
            assert approved["accepted"]
        finally:
            proc.terminate()
            await proc.wait()
        vote = (await env.client.result(approval_id))["stages"][0]["votes"][0]
        assert (vote["approver"], vote["via"], vote["credential"]) == (
            "release-bot",
            "mcp",
            token.claims.jti,
        )


async def test_start_returns_warnings(baton):
    async with Client(build_server(lambda: _client_for(baton))) as client:
        started = data(
            await client.call_tool(
                "workflow_orchestrator",
                {
                    "operation": "start_workflow",
                    "workflow_type": "approval",
                    "workflow_spec": {
                        "stage": "release",
                        "callback_url": "https://hooks.example.com/approvals",
                        "stages": [{"name": "review", "approvers": ["alice"]}],
                    },
                },
            )
        )
    assert "BATON_CALLBACK_SECRET is not" in started["warnings"][0]
    await baton.client.cancel(started["workflow_id"])


async def test_loopback_http_needs_a_token_unless_told_otherwise(baton):
    env = {k: v for k, v in env_for(baton).items() if k != "BATON_MCP_TOKEN"}
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "baton.cli.main",
        "mcp",
        "--http",
        str(port),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    assert b"refusing to serve MCP over HTTP without a token" in err and b"--no-token" in err
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "baton.cli.main",
        "mcp",
        "--http",
        str(port),
        "--no-token",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:

        async def answers() -> bool:
            try:
                async with httpx.AsyncClient() as http:
                    await http.get(url)
                return True
            except httpx.HTTPError:
                return False

        await until(answers, timeout=30)
        async with Client(streamable_http_client(url)) as client:
            assert (await client.list_tools()).tools
    finally:
        proc.terminate()
        await proc.wait()


def test_every_definition_kind_can_be_started_through_mcp() -> None:
    from typing import get_args

    from baton.mcp.tools import KIND_OF, WorkflowType
    from baton.plan.frontends import FRONTENDS

    assert set(KIND_OF) == set(get_args(WorkflowType))
    assert set(KIND_OF.values()) == set(FRONTENDS)


async def test_an_agent_sends_an_event_to_a_waiting_run(baton):
    from baton.plan.model import EventFilter, NodeKind, WaitSpec
    from tests.support.plans import control, plan

    run = await baton.client.start_plan(
        plan(
            control("wait", NodeKind.WAIT, wait=WaitSpec(events=[EventFilter(type="review.done")])),
            output="output",
        )
    )

    async def open_wait() -> bool:
        return (await baton.client.status(run.workflow_id)).get("waiting_for") == ["review.done"]

    await until(open_wait, timeout=30)
    server = build_server(lambda: _client_for(baton))
    async with Client(server) as client:
        sent = data(
            await client.call_tool(
                "send_event",
                {"event_type": "review.done", "data": {"ok": True}, "workflow_id": run.workflow_id},
            )
        )
        assert sent["runs"] == [
            {"workflow_id": run.workflow_id, "taken_by": ["wait"], "kept": False}
        ]
        refused = error(await client.call_tool("send_event", {"event_type": "nobody.waits"}))
        assert "no running run waits for events of type 'nobody.waits'" in refused
    result = await run.result()
    assert result["output"][0]["data"] == {"ok": True}
    assert result["output"][0]["batonorigin"] == "mcp" and result["output"][0]["source"] == "mcp"


async def test_an_agent_runs_a_bpmn_model(baton):
    xml = (
        Path(__file__).resolve().parents[2] / "examples" / "bpmn" / "order_routing.bpmn"
    ).read_text()
    async with Client(build_server(lambda: _client_for(baton))) as client:
        started = data(
            await client.call_tool(
                "workflow_orchestrator",
                {
                    "operation": "start_workflow",
                    "workflow_type": "bpmn",
                    "workflow_spec": {"xml": xml},
                    "workflow_input": {"amount": 10},
                },
            )
        )
    result = await asyncio.wait_for(baton.client.result(started["workflow_id"]), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"]["route"] == "automatic"
