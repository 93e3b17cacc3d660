"""The `baton` command, run as a user runs it (a subprocess) against the
session's real Temporal server."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
import yaml

from baton.testing import assert_eventually
from tests.support.cli import baton_cli
from tests.support.sagas import api, saga, script, seed_onboarding, step

pytestmark = pytest.mark.asyncio(loop_scope="session")
INVALID = Path(__file__).resolve().parents[1] / "definitions" / "invalid"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


async def test_validate_accepts_the_seed_examples(server_env):
    for name in ("user_onboarding_saga.json", "microservice_deployment_saga.yaml"):
        code, out, _ = await baton_cli(server_env.settings, "validate", str(EXAMPLES / name))
        assert code == 0
        assert "valid" in out


async def test_validate_rejects_with_file_and_field_path(server_env):
    path = INVALID / "unknown_dependency.yaml"
    code, out, err = await baton_cli(server_env.settings, "validate", str(path))
    assert code == 2
    assert f"{path}: steps[1].dependencies[0]: unknown step 'create_acount'" in err
    assert "Traceback" not in err + out


async def test_run_status_list_history(baton, services, tmp_path):
    definition_file = tmp_path / "onboarding.yaml"
    definition_file.write_text(yaml.safe_dump(seed_onboarding(services.url)))
    code, out, err = await baton_cli(
        baton.settings, "run", str(definition_file), "--id", "cli-onboarding-1"
    )
    assert code == 0, err
    assert "cli-onboarding-1" in out and "COMPLETED" in out
    assert "create_account" in out  # live progress lines

    code, out, _ = await baton_cli(baton.settings, "status", "cli-onboarding-1", "--json")
    assert code == 0
    status = json.loads(out)
    for key in (
        "workflow_id",
        "kind",
        "name",
        "status",
        "started_at",
        "closed_at",
        "progress",
        "steps",
        "compensations",
    ):
        assert key in status
    assert status["status"] == "COMPLETED" and status["kind"] == "saga"
    for key in (
        "step_id",
        "name",
        "status",
        "attempts",
        "started_at",
        "completed_at",
        "output",
        "error",
    ):
        assert key in status["steps"][0]

    code, out, _ = await baton_cli(baton.settings, "status", "cli-onboarding-1")
    assert code == 0 and "User Onboarding Process" in out

    code, out, _ = await baton_cli(baton.settings, "list", "--json")
    assert code == 0
    assert any(r["workflow_id"] == "cli-onboarding-1" for r in json.loads(out))

    code, out, _ = await baton_cli(baton.settings, "history", "cli-onboarding-1")
    assert code == 0
    assert "run started" in out and "completed" in out and "run finished" in out


async def test_run_exit_code_is_1_when_compensated(baton, services, tmp_path):
    definition_file = tmp_path / "failing.json"
    definition_file.write_text(json.dumps(saga(step("a", api(f"{services.url}/nowhere")))))
    code, out, _ = await baton_cli(baton.settings, "run", str(definition_file), "--json")
    assert code == 1
    assert json.loads(out)["status"] == "COMPENSATED"


async def test_run_without_a_worker_runs_one_in_process(server_env, services, tmp_path):
    from dataclasses import replace

    settings = replace(server_env.settings, task_queue=f"no-worker-{os.urandom(3).hex()}")
    definition_file = tmp_path / "onboarding.json"
    definition_file.write_text(json.dumps(seed_onboarding(services.url)))
    code, out, err = await baton_cli(settings, "run", str(definition_file))
    assert code == 0, err
    assert "running one in this process" in out


async def test_cancel_from_the_cli(baton, services, tmp_path):
    services.state.delays["/accounts"] = 30
    definition = seed_onboarding(services.url)
    definition["config"] = {"heartbeat_timeout_seconds": 3}
    definition_file = tmp_path / "onboarding.json"
    definition_file.write_text(json.dumps(definition))
    code, out, _ = await baton_cli(
        baton.settings, "run", str(definition_file), "--no-wait", "--json", "--id", "cli-cancel-1"
    )
    assert code == 0 and json.loads(out)["workflow_id"] == "cli-cancel-1"
    await assert_eventually(lambda: services.state.count("POST", "/accounts") == 1)
    code, out, _ = await baton_cli(baton.settings, "cancel", "cli-cancel-1")
    assert code == 0 and "cancel requested" in out
    result = await asyncio.wait_for(baton.client.result("cli-cancel-1"), 60)
    assert result["status"] == "CANCELLED"
    assert services.state.count("DELETE", "/users/u-1") == 1


async def test_unknown_workflow_id_is_a_clear_error(server_env):
    code, out, err = await baton_cli(server_env.settings, "status", "no-such-run")
    assert code == 1
    assert "no workflow with id 'no-such-run'" in err
    assert "Traceback" not in err


async def test_server_down_is_a_clear_error(server_env):
    from dataclasses import replace

    from baton.testing import free_port

    settings = replace(server_env.settings, temporal_address=f"127.0.0.1:{free_port()}")
    code, out, err = await baton_cli(settings, "list")
    assert code == 3
    assert "cannot reach Temporal at" in err
    assert "Traceback" not in err


async def test_a_run_started_while_the_server_is_down_is_queued(server_env, tmp_path):
    from dataclasses import replace

    from baton.testing import free_port

    settings = replace(
        server_env.settings, temporal_address=f"127.0.0.1:{free_port()}", home=tmp_path
    )
    definition = tmp_path / "q.json"
    definition.write_text(json.dumps(saga(step("a", script("true")), saga_id="q")))
    code, out, err = await baton_cli(settings, "run", str(definition), "--id", "q-7")
    status = await baton_cli(settings, "status", "q-7", "--json")
    assert code == 0, err
    assert "QUEUED q-7" in out and "cannot reach Temporal" in err
    assert status[0] == 0 and json.loads(status[1])["status"] == "QUEUED"


async def test_validate_reads_the_integration_sections_as_a_worker_would(server_env, tmp_path):
    (tmp_path / "greet.yaml").write_text(
        'document: {dsl: "1.0.0", namespace: t, name: greet, version: "1.0.0"}\n'
        "do: [{hi: {set: {greeting: hello}}}]\n"
    )
    (tmp_path / "baton.yaml").write_text(
        "triggers:\n"
        "  - {name: orders, source: {type: nats, url: 'nats://127.0.0.1:1', subject: o},"
        " start: greet.yaml}\n"
        "commands: {transport: kafka, bootstrap_servers: '127.0.0.1:1', subjects: [shop.*]}\n"
    )
    code, out, err = await baton_cli(server_env.settings, "validate", cwd=tmp_path)
    assert code == 0, err
    assert "trigger orders: nats starts greet.yaml" in out
    assert "commands over kafka, replies on baton.replies (shop.*)" in out
    (tmp_path / "baton.yaml").write_text(
        "triggers:\n  - {name: orders, source: {type: nats, url: 'nats://x', subject: o},"
        " start: missing.yaml}\n"
    )
    code, out, err = await baton_cli(server_env.settings, "validate", cwd=tmp_path)
    assert code == 2
    assert "triggers[0].start:" in err and "missing.yaml" in err
    assert "Traceback" not in err + out
    (tmp_path / "baton.yaml").write_text(
        "commands: {transport: nats, url: 'nats://x'}\nevents: 3\n"
    )
    code, out, err = await baton_cli(
        server_env.settings, "validate", str(EXAMPLES / "user_onboarding_saga.json"), cwd=tmp_path
    )
    assert code == 2 and "events: expected a mapping" in err
