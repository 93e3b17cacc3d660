"""examples/ml end to end: the digits classifier trains as a checkpointed
step on a `baton worker` process, which is killed with SIGKILL mid-training;
a second worker resumes from the last checkpoint; the model is evaluated,
approved and registered. From the step's heartbeats (``baton status``
progress), its checkpoints and the job's own per-epoch log, the test checks
that at most one checkpoint interval was trained twice."""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from baton.checkpoints import CheckpointStore
from baton.checkpoints.running import checkpoint_key
from baton.config import BatonFile
from baton.policy import ExecutionPolicy
from baton.runtime import TemporalWorkflowClient
from baton.testing import assert_eventually, until
from tests.support.workers import WorkerProcess

pytestmark = pytest.mark.asyncio(loop_scope="session")
ROOT = Path(__file__).resolve().parents[2]
EVERY_EPOCHS = 5  # examples/ml/pipeline.yaml: checkpoint every_steps
EPOCHS = 40
MIN_ACCURACY = 0.9


def worker(settings: Any, config: Path) -> WorkerProcess:
    process = WorkerProcess(settings)
    process.env["BATON_CONFIG"] = str(config)
    process.env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    return process


def epochs_log(artifacts: Path) -> list[tuple[int, float, int]]:
    """(epoch, loss, worker pid) per line of the job's metrics.csv."""
    rows = []
    for line in (artifacts / "metrics.csv").read_text().splitlines():
        epoch, loss, _, pid = line.split(",")
        rows.append((int(epoch), float(loss), int(pid)))
    return rows


async def test_training_killed_mid_run_resumes_from_its_last_checkpoint(server_env, tmp_path):
    settings = replace(
        server_env.settings, task_queue=f"ml-{uuid.uuid4().hex[:8]}", home=tmp_path / "home"
    )
    config = tmp_path / "baton.yaml"
    config.write_text((ROOT / "examples/ml/baton.yaml").read_text())
    policy = ExecutionPolicy(python_modules=("examples.ml",))
    client = TemporalWorkflowClient(
        settings, temporal=server_env.client.temporal, baton_file=BatonFile(policy=policy)
    )
    definition = yaml.safe_load((ROOT / "examples/ml/pipeline.yaml").read_text())
    artifacts, registry = tmp_path / "artifacts", tmp_path / "registry"
    definition["context"].update(
        artifacts=str(artifacts), registry=str(registry), epochs=EPOCHS, epoch_seconds=0.25
    )

    first = worker(settings, config)
    await first.start()
    second = worker(settings, config)
    run = await client.start_saga(definition)
    store = CheckpointStore.open(str(settings.home / "checkpoints"))
    key = checkpoint_key(run.workflow_id, "train")
    seen: list[dict[str, Any]] = []  # every progress report of `train` status showed

    async def watch() -> None:
        while True:
            try:
                state = await client.status(run.workflow_id)
                progress = state["steps"][0].get("progress")
                if progress and (not seen or seen[-1]["at"] != progress["at"]):
                    seen.append(progress)
            except Exception:  # noqa: BLE001 - a status read racing the kill
                pass
            await asyncio.sleep(0.2)

    watcher = asyncio.create_task(watch())
    try:
        # a few epochs past the second checkpoint, the first worker dies
        await assert_eventually(lambda: _at_least(seen, 2 * EVERY_EPOCHS + 2), timeout=120)
        before_kill = store.steps(key)
        await first.kill9()
        assert before_kill and max(before_kill) >= 2 * EVERY_EPOCHS
        await second.start()

        async def waiting_for_approval() -> bool:
            state = await client.status(run.workflow_id)
            return state["steps"][2]["status"] == "RUNNING"

        await until(waiting_for_approval, timeout=180)
        decided = await client.submit_decision(
            f"{run.workflow_id}.approve_model", "ml-lead@example.com", "approve", "ship it"
        )
        assert decided["accepted"], decided
        result = await asyncio.wait_for(run.result(), 120)
    finally:
        watcher.cancel()
        await second.stop()
        await first.stop()

    assert result["status"] == "COMPLETED", result.get("failure")
    train, evaluate, _, register = result["steps"]
    lost = [e for e in result["audit"] if e["event"] == "forward_attempt_lost"]
    assert [e["step_id"] for e in lost] == ["train"]

    # the second attempt resumed from the newest checkpoint the first one wrote
    resumed = train["output"]["resumed_from"]
    assert resumed >= max(before_kill) and resumed % EVERY_EPOCHS == 0
    assert train["output"]["epochs_run"] == EPOCHS - resumed

    # the job's own log: which worker trained which epoch
    rows = epochs_log(artifacts)
    pids = list(dict.fromkeys(pid for _, _, pid in rows))
    assert len(pids) == 2, "trained on exactly two workers"
    by_first = [epoch for epoch, _, pid in rows if pid == pids[0]]
    by_second = [epoch for epoch, _, pid in rows if pid == pids[1]]
    assert by_first == list(range(1, len(by_first) + 1))
    assert by_second == list(range(resumed + 1, EPOCHS + 1))
    redone = [epoch for epoch in by_first if epoch > resumed]
    assert len(redone) <= EVERY_EPOCHS, f"epochs trained twice: {redone}"

    # what the heartbeats showed: progress and metrics on the first worker,
    # then the second attempt reporting where it resumed from
    first_reports = [p for p in seen if p["resumed_from"] is None]
    assert first_reports and first_reports[-1]["step"] >= 2 * EVERY_EPOCHS + 2
    assert first_reports[-1]["checkpoint"]["step"] >= 2 * EVERY_EPOCHS
    assert {"loss", "accuracy"} <= set(first_reports[-1]["metrics"])
    assert any(p["eta_seconds"] is not None and p["total"] == EPOCHS for p in first_reports)
    assert any(p["resumed_from"] == resumed for p in seen)
    assert max(p["step"] for p in first_reports) <= max(by_first)  # reports never ran ahead

    assert evaluate["output"]["accuracy"] >= MIN_ACCURACY
    assert Path(register["output"]["registered"]).is_file()
    assert store.steps(key) == []  # the step completed: its checkpoints are gone


def _at_least(seen: list[dict[str, Any]], step: int) -> bool:
    return bool(seen) and seen[-1]["resumed_from"] is None and seen[-1]["step"] >= step
