"""Process analytics and the event-log export (docs/operations.md,
"Analytics"): statistics per definition and step from ended runs, the
discovered process map, and XES / OCEL 2.0 files that pm4py — the process
mining library — reads back (pm4py is AGPL: a test tool here, never a
dependency of Baton)."""

from __future__ import annotations

import importlib
import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from baton.monitoring.analytics import analyze, error_type, process_map
from baton.monitoring.eventlog import to_xes
from baton.plan.approval import compile_approval
from tests.support.cli import baton_cli
from tests.support.sagas import api, saga, script, step

pytestmark = pytest.mark.asyncio(loop_scope="session")
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def run(
    run_id: str, status: str, steps: list[tuple[str, float, float, str, int]], **extra: Any
) -> dict[str, Any]:
    return {
        "workflow_id": run_id,
        "kind": "saga",
        "name": "deploy",
        "status": status,
        "started_at": at(0),
        "closed_at": at(max(s[2] for s in steps) + 1),
        "steps": [
            {
                "step_id": name,
                "node_id": name,
                "status": step_status,
                "attempts": attempts,
                "started_at": at(begin),
                "completed_at": at(end),
                "action_type": "approval" if name == "review" else "api_call",
                "kind": "action",
            }
            for name, begin, end, step_status, attempts in steps
        ],
        "audit": extra.get("audit", []),
    }


async def test_statistics_bottlenecks_and_the_process_map():
    runs = [
        run(
            "r1",
            "COMPLETED",
            [
                ("build", 0, 10, "COMPLETED", 1),
                ("review", 10, 70, "COMPLETED", 1),
                ("ship", 71, 75, "COMPLETED", 1),
            ],
        ),
        run(
            "r2",
            "COMPLETED",
            [
                ("build", 0, 20, "COMPLETED", 3),
                ("review", 20, 50, "COMPLETED", 1),
                ("ship", 50, 52, "COMPLETED", 1),
            ],
            audit=[
                {
                    "event": "forward_attempt_failed",
                    "detail": "POST http://x/build returned 503: busy",
                }
            ]
            * 2,
        ),
        run(
            "r3", "COMPENSATED", [("build", 0, 12, "COMPLETED", 1), ("review", 12, 20, "FAILED", 1)]
        ),
    ]
    stats = analyze(runs)["definitions"]["deploy"]
    assert stats["runs"] == 3 and stats["success_rate"] == pytest.approx(2 / 3, abs=1e-3)
    assert stats["by_status"] == {"COMPLETED": 2, "COMPENSATED": 1}
    assert stats["retries"] == 2
    assert stats["errors"] == {"POST <url> returned <n>": 2}
    build = stats["steps"]["build"]
    assert build["duration_seconds"]["p50"] == 12 and build["retries"] == 2
    assert stats["steps"]["review"]["success_rate"] == pytest.approx(2 / 3, abs=1e-3)
    assert stats["steps"]["review"]["waiting"] is True
    assert stats["time"]["waiting_seconds"] == 98  # 60 + 30 + 8 waiting for review
    assert [s["step"] for s in stats["slowest_steps"]][0] == "review"
    graph = process_map(runs)
    edges = {(e["from"], e["to"]): e for e in graph["edges"]}
    assert edges[("build", "review")]["count"] == 3
    assert edges[("review", "ship")]["count"] == 2
    assert edges[("review", "ship")]["mean_gap_seconds"] == 0.5
    assert edges[("▶", "build")]["count"] == 3 and edges[("ship", "■")]["count"] == 2
    assert {n["step"]: n["count"] for n in graph["nodes"]} == {"build": 3, "review": 3, "ship": 2}


async def test_error_types_group_like_errors():
    assert error_type("POST http://127.0.0.1:9/x returned 500: boom") == "POST <url> returned <n>"
    assert error_type("script exited with 2: oops") == "script exited with <n>"
    assert error_type("step 'a' timed out") == "step '…' timed out"


async def test_analytics_and_event_logs_of_real_runs(baton, services, tmp_path: Path):
    # `make test` installs it (the eventlog-check extra); CI must not skip
    pm4py = (
        importlib.import_module("pm4py")
        if os.environ.get("CI")
        else pytest.importorskip("pm4py", reason="pip install -e '.[eventlog-check]'")
    )
    services.state.failures["/accounts"] = 1
    flaky = saga(
        step("user", api(f"{services.url}/users")),
        step("account", api(f"{services.url}/accounts"), retry_count=2),
        saga_id="analytics-demo",
        name="analytics demo",
    )
    for _ in range(3):
        assert (await baton.run_saga(flaky))["status"] == "COMPLETED"
    broken = saga(
        step(
            "user", api(f"{services.url}/users"), api(f"{services.url}/users/{{user_id}}", "DELETE")
        ),
        step("account", script("exit 3")),
        saga_id="analytics-demo",
        name="analytics demo",
    )
    assert (await baton.run_saga(broken))["status"] == "COMPENSATED"
    spec = compile_approval(
        {"stage": "analytics-release", "stages": [{"name": "review", "approvers": ["alice"]}]}
    )
    approval = await baton.client.request_approval(spec)
    await baton.client.submit_decision(approval.approval_id, "alice", "approve")
    await approval.result()

    code, out, err = await baton_cli(baton.settings, "analytics", "analytics demo", "--json")
    assert code == 0, err
    stats = json.loads(out)["definitions"]["analytics demo"]
    assert stats["runs"] == 4 and stats["success_rate"] == 0.75
    assert stats["retries"] == 1 and stats["steps"]["account"]["retries"] == 1
    assert "script exited with <n>" in stats["errors"]
    assert {(e["from"], e["to"]) for e in stats["process_map"]["edges"]} >= {
        ("▶", "user"),
        ("user", "account"),
        ("account", "■"),
    }
    code, out, _ = await baton_cli(baton.settings, "analytics", "analytics demo")
    assert "4 runs, 75% succeeded" in out and "user → account" in out

    xes = tmp_path / "runs.xes"
    code, out, err = await baton_cli(
        baton.settings, "export-log", str(xes), "--name", "analytics demo"
    )
    assert code == 0 and "wrote" in out, err
    log = pm4py.read_xes(str(xes))
    assert log["case:concept:name"].nunique() == 4
    assert set(log["concept:name"]) == {"user", "account"}
    assert set(log["lifecycle:transition"]) == {"start", "complete", "ate_abort"}
    ocel_path = tmp_path / "runs.jsonocel"
    code, _, err = await baton_cli(baton.settings, "export-log", str(ocel_path), "--since", "1h")
    assert code == 0, err
    ocel = pm4py.read_ocel2_json(str(ocel_path))
    assert "person:alice" in set(ocel.objects["ocel:oid"])
    assert "review: approve" in set(ocel.events["ocel:activity"])
    code, _, err = await baton_cli(baton.settings, "analytics", "--since", "soon")
    assert code == 2 and "a duration such as 7d" in err
    services.state.failures.clear()


async def test_xes_is_well_formed_without_runs():
    assert b"<log" in to_xes([]) and b"xes.version" in to_xes([])
