"""`baton sweep FILE` and `baton status ID` run as a user runs them (a
subprocess) against the session's server, a worker on the test's queue."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from baton.config import BatonFile
from baton.policy import ExecutionPolicy
from tests.support.cli import baton_cli

pytestmark = pytest.mark.asyncio(loop_scope="session")
SUPPORT = BatonFile(policy=ExecutionPolicy(python_modules=("tests.support",)))


def write_sweep(tmp_path: Path, **changes: Any) -> Path:
    document: dict[str, Any] = {
        "kind": "sweep",
        "name": "cli-sweep",
        "trial": {"function": "tests.support.sweeps:score"},
        "space": {"grid": {"x": [0.1, 0.3, 0.5], "y": [0.5, 0.7]}},
        "metric": "score",
        "parallelism": 2,
        "trials_per_run": 4,
        "top_k": 2,
    }
    document.update(changes)
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    config = tmp_path / "baton.yaml"
    config.write_text("policy: {python_modules: [tests.support]}\n")
    return path


async def test_sweep_runs_to_the_best_trial_and_status_reads_it(
    worker_factory, tmp_path, monkeypatch
):
    path = write_sweep(tmp_path)
    monkeypatch.setenv("BATON_CONFIG", str(tmp_path / "baton.yaml"))
    async with worker_factory(SUPPORT) as env:
        code, out, err = await baton_cli(env.settings, "sweep", str(path), "--id", "cli-sweep-1")
        assert code == 0, err
        assert "started cli-sweep-1" in out
        assert "#1: score 1  (x=0.3, y=0.7)" in out
        assert "6 completed, 0 failed, 0 running of 6" in out
        code, out, err = await baton_cli(env.settings, "status", "cli-sweep-1", "--json")
        assert code == 0, err
        state = json.loads(out)
        assert (state["kind"], state["status"], state["generation"]) == ("sweep", "COMPLETED", 2)
        assert state["best"]["params"] == {"x": 0.3, "y": 0.7}
        code, out, err = await baton_cli(env.settings, "status", "cli-sweep-1")
        assert "progress: 6/6 trials completed" in out


async def test_a_bad_sweep_is_refused_with_its_field(worker_factory, tmp_path, monkeypatch):
    path = write_sweep(tmp_path, goal="best", parallelism=0)
    monkeypatch.setenv("BATON_CONFIG", str(tmp_path / "baton.yaml"))
    async with worker_factory(SUPPORT) as env:
        code, out, err = await baton_cli(env.settings, "sweep", str(path))
    assert code == 2
    assert f"{path}: parallelism: input should be greater than or equal to 1, got 0" in err
    assert "Traceback" not in err


async def test_without_a_worker_sweep_runs_one_until_the_sweep_ends(
    server_env, tmp_path, monkeypatch
):
    path = write_sweep(tmp_path)
    monkeypatch.setenv("BATON_CONFIG", str(tmp_path / "baton.yaml"))
    alone = replace(server_env.settings, task_queue=f"test-{uuid.uuid4().hex[:10]}")
    code, out, err = await baton_cli(alone, "sweep", str(path), "--json")
    assert code == 0, err
    final = json.loads(out)
    assert (final["status"], final["trials"]["completed"]) == ("COMPLETED", 6)


async def test_validate_checks_a_sweep_and_its_policy(server_env, tmp_path, monkeypatch):
    path = write_sweep(tmp_path)
    monkeypatch.setenv("BATON_CONFIG", str(tmp_path / "baton.yaml"))
    code, out, err = await baton_cli(server_env.settings, "validate", str(path))
    assert code == 0, err
    assert f"valid: {path}: sweep 'cli-sweep', 6 trials, 2 at once, 4 per run" in out
    (tmp_path / "baton.yaml").write_text("policy: {python_modules: [examples.ml]}\n")
    code, out, err = await baton_cli(server_env.settings, "validate", str(path))
    assert code == 2
    assert f"{path}: trial.function: python function tests.support.sweeps:score is not" in err
