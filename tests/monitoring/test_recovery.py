"""Health checks, recovery actions and policies on the real dev server
(docs/operations.md): a stopped worker is noticed; RETRY runs a failed step
again, RESTART starts the same definition anew, COMPENSATE undoes what a
running saga completed; a policy's recoveries run, are recorded, and stop at
max_recovery_attempts across a worker restart; the CLI says the same."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from baton.config import BatonFile
from baton.engine.operations import MONITOR_WORKFLOW_NAME, SweepRequest, monitor_schedule_id
from baton.monitoring.config import MonitoringConfig
from baton.monitoring.monitor import WorkflowMonitor
from baton.monitoring.policies import RecoveryAction, parse_policy
from baton.runtime import TemporalWorkflowClient, running_worker
from baton.testing import until
from tests.support.cli import baton_cli
from tests.support.sagas import api, saga, script, step

pytestmark = pytest.mark.asyncio(loop_scope="session")


def flaky(marker: Path, name: str) -> dict[str, Any]:
    """A process whose second task fails until ``marker`` exists; the first
    appends a line to ``<marker>.log`` each time it runs."""
    return {
        "document": {"dsl": "1.0.3", "namespace": "test", "name": name, "version": "1.0.0"},
        "do": [
            {"first": {"run": {"shell": {"command": f"echo ran >> {marker}.log"}}}},
            {"check": {"run": {"shell": {"command": f"test -f {marker}"}}}},
            {"after": {"set": {"done": True}}},
        ],
    }


async def sweep(
    client: TemporalWorkflowClient, policies: list[dict[str, Any]] | None = None
) -> Any:
    """One health sweep of the monitor, as its schedule starts it."""
    return await client.temporal.execute_workflow(
        MONITOR_WORKFLOW_NAME,
        SweepRequest(60.0, policies or []),
        id=f"sweep-{uuid.uuid4().hex[:8]}",
        task_queue=client.settings.task_queue,
    )


async def failed_run(client: TemporalWorkflowClient, marker: Path, name: str) -> str:
    run = await client.start_process(
        flaky(marker, name), None, workflow_id=f"{name}-{uuid.uuid4().hex[:6]}"
    )
    assert (await asyncio.wait_for(run.result(), 60))["status"] == "FAILED"
    return run.workflow_id


async def test_retry_runs_the_failed_step_again_and_restart_starts_anew(baton, tmp_path):
    marker = tmp_path / "ready"
    log = Path(f"{marker}.log")
    monitor = WorkflowMonitor(baton.client)
    workflow_id = await failed_run(baton.client, marker, "flaky-retry")
    health = await monitor.perform_health_check(workflow_id)
    assert health.status == "warning" and [i.code for i in health.issues_detected] == ["run_failed"]
    before = (await baton.client.status(workflow_id))["steps"][0]

    marker.touch()
    retried = await monitor.trigger_recovery(workflow_id, "marker created", "retry")
    assert retried.success and retried.actions[0].outcome == "done", retried
    assert "reset to before step /do/1/check" in retried.actions[0].detail
    done = await asyncio.wait_for(baton.client.result(workflow_id), 60)
    assert done["status"] == "COMPLETED"
    # what ran before the failed step is kept, not done again
    assert done["steps"][0]["started_at"] == before["started_at"]
    assert log.read_text() == "ran\n"
    again = await monitor.trigger_recovery(workflow_id, "nothing failed", "retry")
    assert not again.success and "completed: nothing failed" in again.actions[0].detail

    restarted = await monitor.trigger_recovery(workflow_id, "once more", RecoveryAction.RESTART)
    assert restarted.success, restarted
    (new_id,) = [a.new_workflow_id for a in restarted.actions]
    assert new_id == f"{workflow_id}-restart-manual-3"
    result = await asyncio.wait_for(baton.client.result(new_id), 60)
    assert result["status"] == "COMPLETED"
    assert log.read_text() == "ran\nran\n"  # the new run did everything again
    desc = await baton.client.describe(new_id)
    assert await desc.memo_value("restart_of") == workflow_id
    history = await monitor.get_recovery_history(workflow_id)
    assert [r["recovery_id"].rsplit(":", 1)[-1] for r in history] == ["3", "2", "1"]
    assert [r["recovery_reason"] for r in history] == [
        "once more",
        "nothing failed",
        "marker created",
    ]


async def test_compensate_stops_a_running_saga_and_undoes_what_completed(baton, services):
    definition = saga(
        step(
            "create",
            api(f"{services.url}/users"),
            api(f"{services.url}/users/{{create.user_id}}", "DELETE"),
        ),
        step("wait", script("sleep 60"), dependencies=["create"]),
        saga_id="compensate-me",
    )
    run = await baton.client.start_saga(definition)

    async def waiting() -> bool:
        steps = (await baton.client.status(run.workflow_id))["steps"]
        return steps[1]["status"] == "RUNNING"

    await until(waiting)
    result = await WorkflowMonitor(baton.client).trigger_recovery(
        run.workflow_id, "stop it", RecoveryAction.COMPENSATE
    )
    assert result.success, result
    final = await asyncio.wait_for(run.result(), 60)
    assert final["status"] == "CANCELLED"  # a cancelled saga: what completed is undone
    assert [(c["step_id"], c["status"]) for c in final["compensations"]] == [
        ("create", "COMPENSATED")
    ]
    assert services.state.count_prefix("DELETE", "/users/") == 1
    ended = await WorkflowMonitor(baton.client).trigger_recovery(run.workflow_id, "again", "cancel")
    assert not ended.success and "has ended (CANCELLED)" in ended.actions[0].detail


async def test_compensate_undoes_a_completed_saga_and_finishes_a_failed_compensation(
    baton, services
):
    """An ended run cannot undo itself: an undo run does, with the outputs
    the run kept, newest first, and never twice."""
    definition = saga(
        step(
            "user",
            api(f"{services.url}/users"),
            api(f"{services.url}/users/{{user.user_id}}", "DELETE"),
        ),
        step(
            "account",
            api(f"{services.url}/accounts"),
            api(f"{services.url}/accounts/{{account_id}}", "DELETE"),
            dependencies=["user"],
        ),
        step("note", api(f"{services.url}/hooks/done"), dependencies=["account"]),
        saga_id="undo-me",
    )
    done = await baton.run_saga(definition)
    assert done["status"] == "COMPLETED"
    monitor = WorkflowMonitor(baton.client)
    result = await monitor.trigger_recovery(done["workflow_id"], "undo it", "compensate")
    assert result.success, result
    undo_id = result.actions[0].new_workflow_id
    assert undo_id == f"{done['workflow_id']}-undo"
    undone = await baton.client.wait(undo_id)
    assert undone["status"] == "COMPLETED", undone
    assert [s["step_id"] for s in undone["steps"]] == ["undo_account", "undo_user"]
    deletes = [c.path for c in services.state.calls if c.method == "DELETE"]
    assert deletes == ["/accounts/a-2", "/users/u-1"]  # newest first, the run's own ids
    assert services.state.users == {} and services.state.accounts == {}
    again = await monitor.trigger_recovery(done["workflow_id"], "once more", "compensate")
    assert not again.success and "nothing left to undo" in again.actions[0].detail

    # a compensation that failed (each of its 5 attempts): the undo run does what is left
    services.state.failures["/users/"] = 100
    definition = saga(
        step(
            "user",
            api(f"{services.url}/users"),
            api(f"{services.url}/users/{{user.user_id}}", "DELETE"),
        ),
        step("boom", api(f"{services.url}/nowhere"), dependencies=["user"]),
        saga_id="undo-later",
    )
    failed = await baton.run_saga(definition)
    assert failed["status"] == "COMPENSATION_FAILED", failed
    services.state.failures.clear()
    result = await monitor.trigger_recovery(failed["workflow_id"], "finish it", "compensate")
    assert result.success, result
    finished = await baton.client.wait(result.actions[0].new_workflow_id)
    assert finished["status"] == "COMPLETED"
    assert "u-3" not in services.state.users


async def test_a_policy_retries_and_escalates_a_failed_run_and_records_it(worker_factory, tmp_path):
    policy = {
        "policy_id": "flaky-fix",
        "name": "Failed flaky runs",
        "workflow_types": ["flaky-policy"],
        "conditions": {"status": "FAILED"},
        "recovery_actions": ["retry", "escalate"],
        "max_recovery_attempts": 2,
        "escalate_to": ["oncall"],
    }
    baton_file = BatonFile(monitoring=MonitoringConfig(policies=(parse_policy(policy),)))
    marker = tmp_path / "ready"
    async with worker_factory(baton_file) as env:
        workflow_id = await failed_run(env.client, marker, "flaky-policy")
        marker.touch()
        summary = await sweep(env.client)
        assert summary["recoveries"] == [f"baton-recovery:flaky-fix:{workflow_id}:1"], summary
        recovery = env.client.temporal.get_workflow_handle(summary["recoveries"][0])
        record = await asyncio.wait_for(recovery.result(), 60)
        assert [(a["action"], a["outcome"]) for a in record["actions"]] == [
            ("retry", "done"),
            ("escalate", "done"),
        ]
        assert record["policy_id"] == "flaky-fix"
        assert (
            record["recovery_reason"]
            == "policy flaky-fix (Failed flaky runs): status FAILED == FAILED"
        )
        done = await asyncio.wait_for(env.client.result(workflow_id), 60)
        assert done["status"] == "COMPLETED"
        escalation = await env.client.status(record["actions"][1]["approval_id"])
        assert escalation["stages"][0]["approvers"] == ["oncall"]
        assert escalation["status"] == "PENDING"
        # the run is fine now: the next sweep leaves it alone
        later = await sweep(env.client)
        assert later["recoveries"] == [] and later["checked"] >= 1
        history = await WorkflowMonitor(env.client).get_recovery_history(workflow_id)
        assert [h["policy_id"] for h in history] == ["flaky-fix"]


async def test_max_recovery_attempts_hold_across_a_worker_restart(server_env, services):
    hook = services.url.replace("http://", "json://") + "/hooks/recoveries"
    policy = parse_policy(
        {
            "policy_id": "pager",
            "name": "Failing steps",
            "conditions": {"issue": "step_failing"},
            "recovery_actions": ["notify"],
            "max_recovery_attempts": 2,
            "notification_channels": [hook],
        }
    )
    baton_file = BatonFile(monitoring=MonitoringConfig(policies=(policy,)))
    settings = replace(server_env.settings, task_queue=f"test-{uuid.uuid4().hex[:10]}")
    client = TemporalWorkflowClient(
        settings, temporal=server_env.client.temporal, baton_file=baton_file
    )
    services.state.failures["/accounts"] = 10_000
    definition = saga(step("pay", api(f"{services.url}/accounts"), retry_count=40), saga_id="pager")
    async with running_worker(client.temporal, settings.task_queue, baton_file, settings=settings):
        run = await client.start_saga(definition)

        async def failing() -> bool:
            steps = (await client.status(run.workflow_id))["steps"]
            return steps[0]["attempts"] >= 3

        await until(failing, timeout=60)
        for _ in range(2):
            summary = await sweep(client)
            (started,) = summary["recoveries"]
            await asyncio.wait_for(client.temporal.get_workflow_handle(started).result(), 60)
    # another worker (this one stopped): the attempts are counted by the server
    async with running_worker(client.temporal, settings.task_queue, baton_file, settings=settings):
        summary = await sweep(client)
        assert summary["recoveries"] == []
        assert summary["skipped"] == [
            {
                "workflow_id": run.workflow_id,
                "why": f"policy pager used its 2 recovery attempts on {run.workflow_id}",
            }
        ]
        await client.cancel(run.workflow_id)
        await asyncio.wait_for(run.result(), 60)
    alerts = [c for c in services.state.calls if c.path == "/hooks/recoveries"]
    assert len(alerts) == 2
    assert "step pay is failing" in json.dumps(alerts[0].body)
    services.state.failures.clear()


async def test_a_stopped_worker_is_noticed_within_the_check_interval(server_env):
    settings = replace(server_env.settings, task_queue=f"test-{uuid.uuid4().hex[:10]}")
    client = TemporalWorkflowClient(
        settings, temporal=server_env.client.temporal, baton_file=BatonFile()
    )
    monitor = WorkflowMonitor(client)
    definition = saga(step("wait", script("sleep 120")), saga_id="orphan")
    async with running_worker(client.temporal, settings.task_queue, BatonFile(), settings=settings):
        run = await client.start_saga(definition)

        async def started() -> bool:
            return (await client.status(run.workflow_id))["steps"][0]["status"] == "RUNNING"

        await until(started)
        assert (await monitor.perform_health_check(run.workflow_id)).healthy
    stopped = time.monotonic()

    async def noticed() -> Any:
        report = await monitor.perform_health_check(run.workflow_id)
        return report if not report.healthy else None

    report = await until(noticed, timeout=60)
    took = time.monotonic() - stopped
    assert [i.code for i in report.issues_detected] == ["no_worker"]
    assert report.status == "critical"
    # the embedded server hears from an idle worker every 10 s; gone after 20
    assert took <= 35, took
    await client.temporal.get_workflow_handle(run.workflow_id).terminate("test over")


async def test_the_cli_shows_health_recovers_and_manages_policies(baton, tmp_path):
    marker = tmp_path / "ready"
    workflow_id = await failed_run(baton.client, marker, "flaky-cli")
    code, out, err = await baton_cli(baton.settings, "health", workflow_id)
    assert code == 0, err
    assert "warning, run FAILED" in out and f"baton recover {workflow_id} --action retry" in out
    code, out, _ = await baton_cli(baton.settings, "health", workflow_id, "--json")
    data = json.loads(out)
    assert data["metrics"]["status"] == "FAILED" and data["metrics"][
        "completion_rate"
    ] == pytest.approx(1 / 3, abs=0.01)
    marker.touch()
    code, out, err = await baton_cli(
        baton.settings, "recover", workflow_id, "--action", "retry", "--reason", "fixed"
    )
    assert code == 0, err + out
    assert "retry done" in out and f"baton-recovery:manual:{workflow_id}:1" in out
    code, out, err = await baton_cli(baton.settings, "recover", workflow_id, "--action", "reboot")
    assert code == 1 and "unknown recovery action 'reboot'" in err and "Traceback" not in err
    code, out, _ = await baton_cli(baton.settings, "recoveries", workflow_id)
    assert "retry done — fixed" in out

    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "policy_id: stuck\nname: Stuck runs\nconditions: {issue: no_worker}\n"
        "recovery_actions: [escalate]\nescalate_to: [oncall]\n"
    )
    code, out, err = await baton_cli(baton.settings, "policies", "add", f"@{policy}")
    assert code == 0, err
    code, out, _ = await baton_cli(baton.settings, "policies", "list", "--json")
    assert [(p["policy_id"], p["source"]) for p in json.loads(out)] == [("stuck", "api")]
    code, out, _ = await baton_cli(baton.settings, "policies", "remove", "stuck")
    assert code == 0 and "removed" in out
    policy.write_text("policy_id: broken\nrecovery_actions: [retry]\n")
    code, out, err = await baton_cli(baton.settings, "policies", "add", f"@{policy}")
    assert code == 2 and "recovery policy: conditions: required" in err
    await baton.client.temporal.get_schedule_handle(
        monitor_schedule_id(baton.settings.task_queue)
    ).delete()
