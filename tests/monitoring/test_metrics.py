"""Prometheus metrics on the real dev server: runs, steps, retries,
compensations and approvals move Baton's metrics with bounded labels; the
Temporal SDK's metrics are on the same endpoint; ``/metrics`` is scraped over
HTTP and read with prometheus-client's own parser; ``baton worker`` and a
taken port behave as docs/metrics.md says; replaying histories records
nothing."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from baton.config import DEFAULT_METRICS_LISTEN, BatonFile, Settings
from baton.monitoring import metrics
from baton.monitoring.exporter import MetricsExporter, metrics_listen
from baton.plan.approval import compile_approval
from baton.runtime import TemporalWorkflowClient, running_worker
from baton.testing import free_port, until
from tests.support.metrics import Scrape, scrape
from tests.support.sagas import api, saga, script, step

HISTORIES = sorted((Path(__file__).resolve().parents[1] / "histories").glob("*.json"))
DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "baton-dashboard.json"


@dataclass
class Metered:
    """A worker whose client's runtime feeds an exporter serving ``url``."""

    client: TemporalWorkflowClient
    settings: Settings
    url: str

    async def scrape(self) -> Scrape:
        return await scrape(self.url)


@pytest_asyncio.fixture(loop_scope="session")
async def metered(server_env: Any) -> AsyncIterator[Metered]:
    # the whole suite runs in one process: start each test's label values
    # afresh, as a worker process would (its own 200 definition names)
    metrics.reset_label_bounds()
    settings = replace(
        server_env.settings,
        task_queue=f"metrics-{uuid.uuid4().hex[:10]}",
        metrics_listen=str(free_port()),
    )
    listen = metrics_listen(settings, BatonFile())
    assert listen is not None and listen.host == "127.0.0.1"
    exporter = MetricsExporter.open(listen)
    client = TemporalWorkflowClient(settings, baton_file=BatonFile(), telemetry=exporter.telemetry)
    await client.connect()
    serving = asyncio.create_task(exporter.serve(client.temporal, settings.task_queue))
    try:
        async with running_worker(
            client.temporal, settings.task_queue, BatonFile(), settings=settings
        ):
            yield Metered(client, settings, exporter.url)
    finally:
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving
        await client.close()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def test_runs_steps_retries_and_compensations_are_counted(metered, services):
    u = services.url
    services.state.failures["/accounts"] = 1  # the first attempt fails, the retry succeeds
    retried, undone = unique("metrics-retry"), unique("metrics-undo")
    retrying = saga(
        step("billing", api(f"{u}/accounts", payload={"plan": "pro"}), retry_count=2),
        saga_id=retried,
    )
    compensating = saga(
        step("account", api(f"{u}/users"), api(f"{u}/users/{{user_id}}", "DELETE")),
        step("broken", api(f"{u}/nowhere"), dependencies=["account"]),
        saga_id=undone,
    )
    runs = [
        await metered.client.start_saga(retrying),
        await metered.client.start_saga(compensating),
    ]
    results = await asyncio.wait_for(asyncio.gather(*(r.result() for r in runs)), 120)
    assert [r["status"] for r in results] == ["COMPLETED", "COMPENSATED"]
    assert results[0]["steps"][0]["attempts"] == 2

    got = await metered.scrape()
    saga_of = {"kind": "saga"}
    # runs, by kind, name and status
    assert got.value("baton_runs_started_total", **saga_of, name=retried) == 1
    assert got.value("baton_runs_ended_total", **saga_of, name=retried, status="COMPLETED") == 1
    assert got.value("baton_runs_ended_total", **saga_of, name=undone, status="COMPENSATED") == 1
    assert got.value("baton_run_duration_seconds_count", name=retried, status="COMPLETED") == 1
    # the retried step: one step, two attempts, its backoff (~1 s) in its duration
    billing = {**saga_of, "name": retried, "step_type": "api_call", "outcome": "completed"}
    assert got.value("baton_step_attempts_count", **billing) == 1
    assert got.value("baton_step_attempts_sum", **billing) == 2
    assert got.value("baton_step_attempts_bucket", **billing, le="1.0") == 0
    assert got.value("baton_step_attempts_bucket", **billing, le="2.0") == 1
    assert got.value("baton_step_duration_seconds_count", **billing) == 1
    assert got.value("baton_step_duration_seconds_sum", **billing) >= 0.9
    # the compensating saga: a step failed, the one before it was undone
    failed = {**saga_of, "name": undone, "step_type": "api_call"}
    assert got.value("baton_step_duration_seconds_count", **failed, outcome="failed") == 1
    assert got.value("baton_step_duration_seconds_count", **failed, outcome="completed") == 1
    assert (
        got.value("baton_compensations_total", **saga_of, name=undone, outcome="compensated") == 1
    )
    assert not got.has("baton_compensations_total", name=retried)
    # the Temporal SDK's metrics of this worker, on the same endpoint
    queue = metered.settings.task_queue
    assert got.value("temporal_workflow_completed_total", task_queue=queue) >= 2
    assert got.value("temporal_activity_execution_latency_seconds_count", task_queue=queue) >= 4
    assert any(f.name.startswith("temporal_") for f in got.families)
    # bounded labels: no workflow id, activity id or step id among them
    ids = {run.workflow_id for run in runs}
    assert not {v for v in got.label_values() if any(i in v for i in ids)}
    assert not got.has("baton_step_duration_seconds_count", step_type="billing")
    # counters and histograms without a `_created` series each
    assert not [x.name for x in got.samples if x.name.endswith("_created")]


async def test_approvals_pending_and_the_time_to_decide(metered):
    name = unique("metrics-approval")
    spec = compile_approval(
        {
            "stage": name,
            "description": "ship it",
            "stages": [{"name": "review", "approvers": ["ann"]}],
        }
    )
    run = await metered.client.request_approval(spec)
    queue = metered.settings.task_queue

    async def pending(count: int) -> bool:
        got = await metered.scrape()
        return got.has("baton_approvals_pending", task_queue=queue) and (
            got.value("baton_approvals_pending", task_queue=queue) == count
        )

    await until(lambda: pending(1), timeout=30)
    outcome = await metered.client.submit_decision(run.approval_id, "ann", "approve", "ok")
    assert outcome["accepted"]
    assert (await asyncio.wait_for(run.result(), 30))["status"] == "APPROVED"
    await until(lambda: pending(0), timeout=30)

    got = await metered.scrape()
    of_approval = {"kind": "approval", "name": name}
    assert got.value("baton_runs_started_total", **of_approval) == 1
    assert got.value("baton_runs_ended_total", **of_approval, status="APPROVED") == 1
    decided = {"name": name, "outcome": "approved"}
    assert got.value("baton_approval_decision_seconds_count", **decided) == 1
    assert 0 < got.value("baton_approval_decision_seconds_sum", **decided) < 30
    assert not {v for v in got.label_values() if run.approval_id in v}


async def test_a_run_past_its_sla_counts_its_warning_and_breaches(metered):
    name = unique("metrics-sla-run")
    definition = saga(
        step("slow", script("sleep 4"), sla={"duration_minutes": 0.02}),  # 1.2 s
        saga_id=name,
        sla={"duration_minutes": 0.05, "warning_minutes": 0.02},  # 3 s, warned at 1.2 s
    )
    run = await metered.client.start_saga(definition)
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED" and result["sla"]["status"] == "BREACHED"
    got = await metered.scrape()
    of_saga = {"kind": "saga", "name": name}
    assert got.value("baton_sla_warnings_total", **of_saga, scope="run") == 1
    assert got.value("baton_sla_breaches_total", **of_saga, scope="run") == 1
    assert got.value("baton_sla_breaches_total", **of_saga, scope="step") == 1


async def test_recovery_actions_are_counted_by_action_and_outcome(metered):
    from baton.monitoring.monitor import WorkflowMonitor

    run = await metered.client.start_saga(saga(step("one", script("true")), saga_id=unique("rec")))
    assert (await asyncio.wait_for(run.result(), 60))["status"] == "COMPLETED"
    refused = {"action": "retry", "outcome": "refused"}
    before = (await metered.scrape()).value("baton_recoveries_total", **refused)
    result = await WorkflowMonitor(metered.client).trigger_recovery(
        run.workflow_id, "nothing failed", "retry"
    )
    assert [a.outcome for a in result.actions] == ["refused"]
    got = await metered.scrape()
    assert got.value("baton_recoveries_total", **refused) == before + 1


class RecoveryAction(Enum):  # as the monitor's enum will name them
    RETRY = "RETRY"


async def test_sla_breaches_and_recoveries_recorded_elsewhere_are_served(metered):
    name = unique("metrics-sla")
    metrics.record_sla_breach("saga", name, "run")
    metrics.record_sla_breach("saga", name, "step")
    metrics.record_sla_warning("saga", name, "run")
    before = (await metered.scrape()).value(
        "baton_recoveries_total", action="retry", outcome="succeeded"
    )
    metrics.record_recovery(RecoveryAction.RETRY, "SUCCEEDED")

    got = await metered.scrape()
    assert got.value("baton_sla_breaches_total", kind="saga", name=name, scope="run") == 1
    assert got.value("baton_sla_breaches_total", kind="saga", name=name, scope="step") == 1
    assert got.value("baton_sla_warnings_total", kind="saga", name=name, scope="run") == 1
    assert got.value("baton_recoveries_total", action="retry", outcome="succeeded") == before + 1
    # the process's own, from prometheus_client's default registry
    assert got.has("process_resident_memory_bytes") or got.has("python_info")


async def test_openmetrics_is_served_to_a_scraper_that_asks_for_it(metered):
    async with httpx.AsyncClient() as http:
        answer = await http.get(
            metered.url, headers={"Accept": "application/openmetrics-text; version=1.0.0"}
        )
    assert answer.headers["content-type"].startswith("application/openmetrics-text")
    assert answer.text.rstrip().endswith("# EOF")
    assert "# TYPE baton_runs_started counter" in answer.text


def dashboard_metrics() -> set[str]:
    """The metric families the Grafana dashboard's queries and variables name."""
    board = json.loads(DASHBOARD.read_text())
    queries = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    queries += [v.get("definition", "") for v in board["templating"]["list"]]
    named = set(re.findall(r"\b((?:baton|temporal)_[a-z_]+)", " ".join(queries)))
    return {re.sub(r"_(bucket|sum|count|total)$", "", name) for name in named}


async def test_the_grafana_dashboard_graphs_what_the_endpoint_serves(metered, services):
    services.state.failures["/accounts"] = 1  # an activity fails once: its metrics appear
    definition = saga(step("billing", api(f"{services.url}/accounts"), retry_count=1))
    run = await metered.client.start_saga(definition)
    assert (await asyncio.wait_for(run.result(), 60))["status"] == "COMPLETED"
    got = await metered.scrape()
    assert not dashboard_metrics() - {f.name for f in got.families}
    board = json.loads(DASHBOARD.read_text())
    for panel in board["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            assert panel["targets"] and all(t["expr"] for t in panel["targets"])


def test_label_values_are_bounded():
    names = metrics._Bounded("name", limit=2)
    assert [names("a"), names("b"), names("c"), names("a")] == ["a", "b", metrics.OTHER, "a"]
    assert len(names("x" * 500)) <= metrics.MAX_LABEL_LENGTH


async def test_replaying_histories_records_nothing():
    """Workers replay a run's history after a restart or a cache eviction: the
    run was counted when the history was made, and is not counted again."""
    before = Scrape(_baton_text())
    from baton.runtime.worker import BATON_WORKFLOWS

    replayer = Replayer(workflows=list(BATON_WORKFLOWS))
    for path in HISTORIES:
        history = WorkflowHistory.from_json(f"replay-{path.stem}", path.read_text())
        await replayer.replay_workflow(history)
    after = Scrape(_baton_text())
    assert after.samples == before.samples


def _baton_text() -> str:
    from prometheus_client import generate_latest

    return generate_latest(metrics.REGISTRY).decode()


# ---- `baton worker`, as an operator runs it -------------------------------------


def worker_env(server_env: Any, tmp_path: Path, **extra: str) -> dict[str, str]:
    settings = server_env.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEMPORAL_", "BATON_"))}
    env.update(
        {
            "TEMPORAL_ADDRESS": settings.address,
            "TEMPORAL_NAMESPACE": settings.namespace,
            "TEMPORAL_TASK_QUEUE": f"metrics-cli-{uuid.uuid4().hex[:8]}",
            "BATON_HOME": str(tmp_path),
            **extra,
        }
    )
    return env


async def start_worker(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "baton.cli.main",
        "worker",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def read_until(stream: asyncio.StreamReader, text: bytes, timeout: float = 60) -> bytes:
    said = b""
    while text not in said:
        line = await asyncio.wait_for(stream.readline(), timeout)
        if not line:
            raise AssertionError(f"the stream ended before {text!r}: {said.decode()}")
        said += line
    return said


async def test_baton_worker_serves_its_metrics(server_env, services, tmp_path):
    port = free_port()
    env = worker_env(server_env, tmp_path, BATON_METRICS_LISTEN=f"127.0.0.1:{port}")
    proc = await start_worker(env)
    try:
        assert proc.stdout is not None
        said = await read_until(proc.stdout, b"metrics on")
        url = f"http://127.0.0.1:{port}/metrics"
        assert url.encode() in said
        settings = replace(server_env.settings, task_queue=env["TEMPORAL_TASK_QUEUE"])
        client = TemporalWorkflowClient(settings, temporal=server_env.client.temporal)
        name = unique("metrics-cli")
        run = await client.start_saga(saga(step("one", api(f"{services.url}/users")), saga_id=name))
        assert (await asyncio.wait_for(run.result(), 60))["status"] == "COMPLETED"
        got = await scrape(url)
        assert got.value("baton_runs_ended_total", kind="saga", name=name, status="COMPLETED") == 1
        queue = env["TEMPORAL_TASK_QUEUE"]
        assert got.value("temporal_workflow_completed_total", task_queue=queue) >= 1
        assert got.has("baton_approvals_pending", task_queue=queue)
    finally:
        proc.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(proc.wait(), 60)
    assert code == 0


async def test_a_configured_port_that_is_taken_is_a_clear_error(server_env, tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        proc = await start_worker(
            worker_env(server_env, tmp_path, BATON_METRICS_LISTEN=f"127.0.0.1:{port}")
        )
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 2
    text = err.decode()
    assert (
        f"cannot serve metrics on 127.0.0.1:{port} (BATON_METRICS_LISTEN): the port is taken"
        in text
    )
    assert "set BATON_METRICS_LISTEN to another [HOST:]PORT, or to off" in text
    assert "Traceback" not in text


async def test_the_default_port_taken_leaves_the_worker_running_without_metrics(
    server_env, tmp_path
):
    """Several workers on one machine: the first serves the default port, the
    others say they do not and poll all the same."""
    host, port = DEFAULT_METRICS_LISTEN.split(":")
    with socket.socket() as holder:
        try:
            holder.bind((host, int(port)))
            holder.listen()
        except OSError:
            pass  # something holds it already: the same situation
        proc = await start_worker(worker_env(server_env, tmp_path))
        try:
            assert proc.stdout is not None and proc.stderr is not None
            await read_until(proc.stdout, b"worker polling")
            note = await read_until(proc.stderr, b"metrics are not served")
            assert f"{DEFAULT_METRICS_LISTEN}: the port is taken".encode() in note
        finally:
            proc.send_signal(signal.SIGINT)
            code = await asyncio.wait_for(proc.wait(), 60)
    assert code == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http", "BATON_METRICS_LISTEN takes PORT or HOST:PORT, got 'http'"),
        ("70000", "BATON_METRICS_LISTEN: port 70000 is out of range"),
    ],
)
def test_a_bad_metrics_address_is_a_configuration_error(value, message):
    from baton.errors import ConfigError

    settings = Settings.from_env({"BATON_METRICS_LISTEN": value})
    with pytest.raises(ConfigError, match=message):
        metrics_listen(settings, BatonFile())


def test_where_metrics_are_served():
    from baton.config import MetricsConfig

    default = metrics_listen(Settings.from_env({}), BatonFile())
    assert default is not None and (default.host, default.port, default.explicit) == (
        "127.0.0.1",
        9233,
        False,
    )
    in_file = BatonFile(path=Path("baton.yaml"), metrics=MetricsConfig(listen="0.0.0.0:9300"))
    chosen = metrics_listen(Settings.from_env({}), in_file)
    assert chosen is not None and (chosen.host, chosen.port) == ("0.0.0.0", 9300)
    assert chosen.source == "metrics.listen in baton.yaml"
    env_first = metrics_listen(Settings.from_env({"BATON_METRICS_LISTEN": "9400"}), in_file)
    assert env_first is not None and env_first.port == 9400
    assert metrics_listen(Settings.from_env({"BATON_METRICS_LISTEN": "off"}), in_file) is None
    off = BatonFile(metrics=MetricsConfig(listen="off"))
    assert metrics_listen(Settings.from_env({}), off) is None


def test_baton_yaml_says_where_metrics_are_served(tmp_path):
    from baton.config import load_baton_file
    from baton.errors import ConfigError

    config = tmp_path / "baton.yaml"
    config.write_text("metrics:\n  listen: off\n")  # YAML reads a bare off as false
    assert load_baton_file(config).metrics.listen == "off"
    config.write_text("metrics:\n  listen: 9300\n")
    assert load_baton_file(config).metrics.listen == "9300"
    config.write_text("metrics:\n  port: 9300\n")
    with pytest.raises(ConfigError, match="metrics: unknown key"):
        load_baton_file(config)
