"""The execution policy from every entry point, on a real worker: refused at
validation where the rule can be checked early, and refused again by the
worker when a client skips validation (a run started straight on Temporal
with whatever origin it claims)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from mcp import Client

from baton.config import AgentConfig, BatonFile
from baton.engine.interpreter import ProcessWorkflow
from baton.errors import DefinitionError
from baton.mcp.server import build_server
from baton.plan import RunInput, compile_definition
from baton.policy import EntryPointRules, ExecutionPolicy
from baton.runtime import TemporalWorkflowClient
from tests.support.cli import baton_cli
from tests.support.sagas import api, saga, script, step

pytestmark = pytest.mark.asyncio(loop_scope="session")
SUPPORT = Path(__file__).resolve().parents[1] / "support"


def client_as(env: Any, via: str, baton_file: BatonFile | None = None) -> TemporalWorkflowClient:
    return TemporalWorkflowClient(
        env.settings, via=via, temporal=env.client.temporal, baton_file=baton_file or BatonFile()
    )


async def forced(env: Any, definition: dict[str, Any], origin: str) -> dict[str, Any]:
    """Start a run the way a client that skips validation would: straight on
    Temporal, claiming ``origin``. Only the worker stands in the way."""
    plan = compile_definition(definition)
    plan.options.origin = origin
    handle = await env.client.temporal.start_workflow(
        ProcessWorkflow.run,
        RunInput(plan=plan),
        id=f"forced-{uuid.uuid4().hex[:8]}",
        task_queue=env.settings.task_queue,
    )
    result: dict[str, Any] = await asyncio.wait_for(handle.result(), 60)
    return result


async def test_code_steps_from_mcp_and_triggers_are_refused(baton, tmp_path):
    marker = tmp_path / "ran"
    definition = saga(step("s", script(f"touch {marker}")))
    for via in ("mcp", "trigger"):
        with pytest.raises(DefinitionError, match=f"script steps may not come from {via}"):
            await client_as(baton, via).start_saga(definition)
        result = await forced(baton, definition, via)
        assert result["status"] == "COMPENSATED"
        assert (
            "refused by the execution policy: script steps may not come from"
            in (result["steps"][0]["error"])
        )
    assert not marker.exists()
    # the CLI and the Python API may run scripts
    assert (await baton.run_saga(definition))["status"] == "COMPLETED"
    assert marker.exists()


async def test_mcp_tool_refuses_a_script_saga(baton):
    server = build_server(lambda: TemporalWorkflowClient(baton.settings, baton_file=BatonFile()))
    async with Client(server) as client:
        result = await client.call_tool("start_saga", {"definition": saga(step("s", script("id")))})
    assert result.is_error
    assert "script steps may not come from mcp (they run code on the worker)" in (
        result.content[0].text
    )


async def test_python_steps_need_an_allowed_module_and_never_reach_os(worker_factory):
    allowed = BatonFile(policy=ExecutionPolicy(python_modules=("tests.support",)))
    evil = saga(step("s", {"type": "python", "function": "os:system", "args": ["id"]}))
    sneaky = saga(step("s", {"type": "python", "function": "builtins:eval", "args": ["1"]}))
    unlisted = saga(step("s", {"type": "python", "function": "json:dumps", "args": [1]}))
    async with worker_factory(allowed) as env:
        api_client = client_as(env, "api", allowed)
        with pytest.raises(DefinitionError, match="python steps may never call into 'os'"):
            await api_client.start_saga(evil)
        with pytest.raises(DefinitionError, match="may never call into 'builtins'"):
            await api_client.start_saga(sneaky)
        with pytest.raises(DefinitionError, match="json:dumps is not in an allowed module"):
            await api_client.start_saga(unlisted)
        for definition, why in ((evil, "'os'"), (sneaky, "'builtins'")):
            result = await forced(env, definition, "api")
            assert result["status"] == "COMPENSATED" and why in result["steps"][0]["error"]


@pytest.mark.parametrize(
    ("url", "origin", "message"),
    [
        ("http://169.254.169.254/latest/meta-data/", "api", "link-local or cloud-metadata"),
        ("http://[fd00:ec2::254]/latest/", "cli", "link-local or cloud-metadata"),
        ("http://10.1.2.3/internal", "mcp", "is a private address, which definitions from mcp"),
        (
            "http://127.0.0.1:9/x",
            "trigger",
            "is a loopback address, which definitions from trigger",
        ),
    ],
)
async def test_outbound_addresses(baton, url, origin, message):
    definition = saga(step("call", api(url)))
    with pytest.raises(DefinitionError, match=message):
        await client_as(baton, origin).start_saga(definition)
    result = await forced(baton, definition, origin)
    assert result["status"] == "COMPENSATED"
    assert "refused by the execution policy" in result["steps"][0]["error"]
    assert message.split(",")[0] in result["steps"][0]["error"]


async def test_names_are_resolved_and_checked_by_the_worker(baton, services):
    """Validation cannot see what a name resolves to; the worker can. A
    trigger's definition naming `localhost` is refused when it runs, while
    the same request from the CLI goes through (to the checked address)."""
    port = services.url.rsplit(":", 1)[1]
    definition = saga(step("call", api(f"http://localhost:{port}/users")))
    result = await forced(baton, definition, "trigger")
    assert result["status"] == "COMPENSATED"
    assert "localhost (127.0.0.1) is a loopback address" in result["steps"][0]["error"]
    assert (await forced(baton, definition, "cli"))["status"] == "COMPLETED"


async def test_every_resolved_address_must_be_allowed(monkeypatch):
    """One bad answer among several refuses the host (what DNS rebinding or a
    split answer would try). The resolver is replaced here: a DNS server that
    answers both a public and a metadata address cannot run in this sandbox."""
    from baton.actions.network import PolicyDenied, resolve_checked

    async def getaddrinfo(host: str, port: int, **_: Any) -> list[Any]:
        return [(2, 1, 6, "", ("93.184.216.34", port)), (2, 1, 6, "", ("169.254.169.254", port))]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", getaddrinfo)
    with pytest.raises(PolicyDenied, match="169.254.169.254"):
        await resolve_checked(ExecutionPolicy(), "two-faced.example", 80, "api")


async def test_allow_hosts_opens_a_host_for_an_entry_point(worker_factory, services):
    open_local = BatonFile(
        policy=ExecutionPolicy(
            entry_points={"mcp": EntryPointRules(actions=None, networks=("public",))},
            allow_hosts=("127.0.0.1",),
        )
    )
    async with worker_factory(open_local) as env:
        run = await client_as(env, "mcp", open_local).start_saga(
            saga(step("call", api(f"{services.url}/users")))
        )
        assert (await asyncio.wait_for(run.result(), 60))["status"] == "COMPLETED"


async def test_channels_and_callbacks_from_untrusted_entry_points(baton):
    from baton.plan.approval import compile_approval

    definition = {
        "stage": "s",
        "notify": ["json://attacker.example/collect"],
        "callback_url": "http://169.254.169.254/hook",
        "stages": [{"name": "s", "approvers": ["a"]}],
    }
    with pytest.raises(DefinitionError) as info:
        await client_as(baton, "mcp").request_approval(compile_approval(definition))
    message = str(info.value)
    assert "notify[0]: channel 'json://attacker.example/collect' is not configured" in message
    assert "callback_url: 169.254.169.254 is a link-local or cloud-metadata address" in message


async def test_scripts_get_no_secrets_a_scratch_directory_and_bounded_output(
    baton, tmp_path, monkeypatch
):
    monkeypatch.setenv("BATON_CALLBACK_SECRET", "s3cret")
    monkeypatch.setenv("BATON_IDENTITY_KEY", "a2V5")
    monkeypatch.setenv("SOME_WORKER_SETTING", "worker-only")
    text = (
        'printf \'{"secret": "%s", "key": "%s", "other": "%s", "cwd": "%s"}\' '
        '"${BATON_CALLBACK_SECRET:-none}" "${BATON_IDENTITY_KEY:-none}" '
        '"${SOME_WORKER_SETTING:-none}" "$PWD"'
    )
    result = await baton.run_saga(
        saga(
            step("env", script(text)), step("big", script("head -c 3000000 /dev/zero | tr '\\0' x"))
        )
    )
    assert result["status"] == "COMPLETED"
    env_output, big = (s["output"] for s in result["steps"])
    assert (env_output["secret"], env_output["key"], env_output["other"]) == (
        "none",
        "none",
        "none",
    )
    assert "/baton-env-" in env_output["cwd"] and not Path(env_output["cwd"]).exists()
    assert "output past 1,048,576 bytes per stream was dropped" in big["truncated"]
    assert len(big["stdout"]) <= 8_001


async def test_agents_keep_their_settings_but_not_batons_secrets(worker_factory, monkeypatch):
    monkeypatch.setenv("BATON_CALLBACK_SECRET", "s3cret")
    monkeypatch.setenv("AGENT_API_KEY", "the-agents-own")
    # a stand-in program replaces a real LLM agent CLI, which cannot run here
    probe = (
        "import json, os; print(json.dumps({k: os.environ.get(k, 'none') "
        "for k in ('BATON_CALLBACK_SECRET', 'AGENT_API_KEY')}))"
    )
    agent = AgentConfig(name="probe", command=[sys.executable, "-c", probe])
    baton_file = BatonFile(agents={"probe": agent})
    definition = saga(step("t", {"type": "task", "description": "probe"}, agent_type="probe"))
    async with worker_factory(baton_file) as env:
        result = await env.run_saga(definition)
    assert result["steps"][0]["output"] == {
        "BATON_CALLBACK_SECRET": "none",
        "AGENT_API_KEY": "the-agents-own",
    }


async def test_cli_entry_point_follows_the_policy_in_baton_yaml(baton, tmp_path):
    (tmp_path / "baton.yaml").write_text(
        yaml.safe_dump({"policy": {"entry_points": {"cli": {"actions": ["api_call"]}}}})
    )
    (tmp_path / "saga.json").write_text(json.dumps(saga(step("s", script("true")))))
    code, _, err = await baton_cli(baton.settings, "run", "saga.json", "--no-wait", cwd=tmp_path)
    assert code == 2
    assert (
        "script steps may not come from cli: policy.entry_points.cli.actions allows api_call" in err
    )
    assert os.environ.get("BATON_CONFIG") is None
