"""Secrets stay out of status, history, MCP answers and logs: credentials in
URLs and errors are masked, secret references are resolved only inside
activities, and with a codec key the whole history is encrypted."""

from __future__ import annotations

import asyncio
import base64
import os
from dataclasses import replace

import pytest

from baton.config import BatonFile, Settings
from baton.errors import ConfigError
from baton.monitoring.analytics import load_runs
from baton.runtime import TemporalWorkflowClient, running_worker
from tests.support.cli import baton_cli
from tests.support.sagas import api, saga, script, step

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def history_bytes(client: TemporalWorkflowClient, workflow_id: str) -> bytes:
    """Every byte the server keeps of a run's history (payloads as stored)."""
    history = await client.temporal.get_workflow_handle(workflow_id).fetch_history()
    return b"".join(event.SerializeToString() for event in history.events)


async def test_credentials_in_urls_and_channels_are_masked(baton, services, caplog):
    port = services.url.rsplit(":", 1)[1]
    definition = saga(
        step("call", api(f"http://ops:hunter2@127.0.0.1:{port}/nowhere?api_key=s3cr3t-k3y&x=1")),
    )
    definition["config"] = {
        "alert_on_failure": True,
        "notification_channels": [f"json://bot:pw-12345@127.0.0.1:{port}/hooks/alerts"],
    }
    result = await baton.run_saga(definition)
    error = result["steps"][0]["error"]
    assert "hunter2" not in error and "s3cr3t-k3y" not in error
    assert "ops:***@" in error and "api_key=***" in error
    alert = next(e for e in result["audit"] if e["event"] == "alert_sent")
    assert "pw-12345" not in alert["detail"] and "bot:***@" in alert["detail"]
    audit = await baton.client.history(result["workflow_id"])
    assert "hunter2" not in str(audit) and "s3cr3t-k3y" not in str(audit)
    assert "hunter2" not in caplog.text and "s3cr3t-k3y" not in caplog.text


async def test_secret_references_resolve_only_inside_activities(baton, services, monkeypatch):
    monkeypatch.setenv("BATON_SECRET_API_TOKEN", "tok-9f8e7d6c")
    definition = saga(
        step(
            "send",
            {
                **api(f"{services.url}/hooks/secret", payload={"token": "{{secrets.API_TOKEN}}"}),
                "headers": {"Authorization": "Bearer {{secrets.API_TOKEN}}"},
            },
        ),
        step(
            "echo",
            {**script('printf \'{"seen": "%s"}\' "$T"'), "env": {"T": "{{secrets.API_TOKEN}}"}},
        ),
        step("missing", {**script("true"), "env": {"X": "{{secrets.NOT_SET}}"}}, critical=False),
    )
    result = await baton.run_saga(definition)
    call = next(c for c in services.state.calls if c.path == "/hooks/secret")
    assert call.body == {"token": "tok-9f8e7d6c"}  # the service got the value
    steps = {s["step_id"]: s for s in result["steps"]}
    assert steps["echo"]["output"] == {"seen": "***"}  # a step cannot leak it in its output
    assert (
        "secret 'NOT_SET' is not set on the worker: set BATON_SECRET_NOT_SET"
        in steps["missing"]["error"]
    )
    stored = await history_bytes(baton.client, result["workflow_id"])
    assert b"tok-9f8e7d6c" not in stored and b"{{secrets.API_TOKEN}}" in stored


async def test_a_codec_key_encrypts_the_history(server_env, services):
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    settings = replace(
        server_env.settings, task_queue=f"codec-{os.urandom(4).hex()}", codec_key=key
    )
    client = TemporalWorkflowClient(settings, baton_file=BatonFile())
    await client.connect()
    try:
        async with running_worker(
            client.temporal, settings.task_queue, BatonFile(), settings=settings
        ):
            definition = saga(
                step(
                    "send",
                    {
                        **api(f"{services.url}/hooks/codec", payload={"card": "4111-1111-literal"}),
                        "headers": {"X-Token": "literal-token-xyz"},
                    },
                ),
            )
            run = await client.start_saga(definition)
            result = await asyncio.wait_for(run.result(), 60)
            assert result["status"] == "COMPLETED"
            assert (await client.status(run.workflow_id))["status"] == "COMPLETED"
        stored = await history_bytes(server_env.client, run.workflow_id)
        assert b"literal-token-xyz" not in stored and b"4111-1111-literal" not in stored
        assert b"binary/encrypted" in stored
        # a client without the key is told what is missing, not a traceback
        keyless = TemporalWorkflowClient(
            replace(settings, codec_key=None), temporal=server_env.client.temporal
        )
        with pytest.raises(ConfigError, match="its data is encrypted; set BATON_CODEC_KEY"):
            await keyless.status(run.workflow_id)
        with pytest.raises(ConfigError, match="its data is encrypted"):
            await keyless.result(run.workflow_id)
        code, _, err = await baton_cli(settings, "status", run.workflow_id)
        assert code == 2 and "set BATON_CODEC_KEY" in err and "Traceback" not in err
        # analytics and the event log leave it out, and say so
        skipped: list[str] = []
        await load_runs(keyless, name=result["name"], limit=5000, skipped=skipped)
        assert run.workflow_id in skipped
        # without a key the same values are stored in the clear
        clear = replace(settings, codec_key=None)
        async with running_worker(
            server_env.client.temporal, settings.task_queue, BatonFile(), settings=clear
        ):
            plain_client = TemporalWorkflowClient(
                clear, temporal=server_env.client.temporal, baton_file=BatonFile()
            )
            plain_run = await plain_client.start_saga(definition)
            await asyncio.wait_for(plain_run.result(), 60)
        assert b"literal-token-xyz" in await history_bytes(server_env.client, plain_run.workflow_id)
    finally:
        await client.close()
    bad = replace(settings, codec_key="short")
    with pytest.raises(ConfigError, match="BATON_CODEC_KEY must be base64url of 32 random bytes"):
        await TemporalWorkflowClient(bad).connect()
    assert Settings.from_env({"BATON_CODEC_KEY": key}).codec_key == key


def process(*tasks: dict, use: dict | None = None) -> dict:
    document = {"dsl": "1.0.0", "namespace": "test", "name": "secrets", "version": "1.0.0"}
    return {"document": document, **({"use": use} if use else {}), "do": list(tasks)}


async def test_a_process_uses_secrets_in_calls_and_runs_resolved_on_the_worker(
    baton, services, monkeypatch
):
    monkeypatch.setenv("BATON_SECRET_api_token", "tok-proc-5a4b3c")
    call = {
        "call": "http",
        "with": {
            "method": "post",
            "endpoint": f"{services.url}/hooks/process-secret",
            "headers": {"Authorization": '${ "Bearer " + $secrets.api_token }'},
            "body": {"token": '${ $secrets["api_token"] }', "order": "${ .order }"},
        },
    }
    shell = {
        "run": {
            "shell": {
                "command": 'echo "seen $T"',
                "environment": {"T": "${ $secrets.api_token }"},
            }
        }
    }
    definition = process({"send": call}, {"echo": shell}, use={"secrets": ["api_token"]})
    run = await baton.client.start_process(definition, {"order": 7})
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    sent = next(c for c in services.state.calls if c.path == "/hooks/process-secret")
    assert sent.body == {"token": "tok-proc-5a4b3c", "order": 7}
    assert sent.headers["authorization"] == "Bearer tok-proc-5a4b3c"
    assert result["output"] == "seen ***"  # masked in what the task gives back
    stored = await history_bytes(baton.client, run.workflow_id)
    assert b"tok-proc-5a4b3c" not in stored and b"{{secrets.api_token}}" in stored
