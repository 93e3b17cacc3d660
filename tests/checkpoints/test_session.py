"""When checkpoints are due, what is kept, and what heartbeats carry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from baton.checkpoints import Cadence, CheckpointStore
from baton.checkpoints.running import checkpoint_key
from baton.checkpoints.session import Session, clean_metrics
from baton.errors import CheckpointError


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def session(tmp_path, clock: Clock, **cadence) -> Session:
    return Session(
        CheckpointStore.open(str(tmp_path)), "run/train", Cadence(**cadence), clock=clock
    )


def test_due_by_steps_and_by_seconds(tmp_path):
    clock = Clock()
    by_steps = session(tmp_path / "a", clock, every_steps=5)
    assert [s for s in range(1, 12) if by_steps.due(s)][0] == 5
    by_steps.save(5, {"n": 5}, None)
    assert not by_steps.due(9) and by_steps.due(10)
    by_time = session(tmp_path / "b", clock, every_seconds=30)
    assert not by_time.due(1)
    clock.now += 30
    assert by_time.due(1)
    by_time.save(1, {"n": 1}, None)
    assert not by_time.due(2)
    default = session(tmp_path / "c", clock)  # neither: every 60 s
    clock.now += 59
    assert not default.due(1)
    clock.now += 1
    assert default.due(1)


def test_keeps_the_newest_and_resumes_from_the_newest_whole_one(tmp_path):
    clock = Clock()
    first = session(tmp_path, clock, every_steps=1, keep=2)
    for step in (1, 2, 3, 4):
        first.save(step, {"n": step, "w": np.full(3, step)}, {"loss": 1.0 / step})
    assert first.store.steps(first.key) == [3, 4]
    # a damaged newest file (never written by Baton's atomic write, but a disk
    # may break) is skipped for the one before it
    (tmp_path / "run" / "train" / "step-000000000005.ckpt").write_bytes(b"garbage")
    again = session(tmp_path, clock, every_steps=1, keep=2)
    saved = again.resume()
    assert saved is not None and saved.step == 4 and list(saved.state["w"]) == [4, 4, 4]
    assert again.details()["resumed_from"] == 4 and again.details()["metrics"] == {"loss": 0.25}
    again.finish()
    assert again.store.steps(again.key) == []


def test_keep_after_success_leaves_them(tmp_path):
    kept = session(tmp_path, Clock(), every_steps=1, keep_after_success=True)
    kept.save(1, {"n": 1}, None)
    kept.finish()
    assert kept.store.steps(kept.key) == [1]


def test_heartbeat_details_progress_rate_and_eta(tmp_path):
    clock = Clock()
    run = session(tmp_path, clock, every_steps=10)
    assert run.details()["percent"] is None and run.details()["eta_at"] is None
    clock.now += 20
    run.report(10, 100, {"loss": np.float32(0.5), "note": "x" * 500, "bad": float("nan")})
    run.save(10, {"n": 10}, None)
    details = run.details()
    assert details["step"] == 10 and details["total"] == 100 and details["percent"] == 10.0
    assert details["rate"] == 0.5  # 10 steps in 20 s
    assert details["eta_at"].startswith("1970-01-01T00:20:00")  # 90 steps at 0.5/s from t=1020
    assert details["metrics"]["loss"] == 0.5 and details["metrics"]["bad"] is None
    assert len(details["metrics"]["note"]) == 200
    assert details["checkpoint"]["step"] == 10 and details["checkpoint"]["bytes"] > 0
    assert "store" not in str(details) and str(tmp_path) not in str(details)


def test_metrics_are_bounded():
    many = clean_metrics({f"m{i}": i for i in range(100)})
    assert len(many) == 32
    assert clean_metrics({"x": math.inf}) == {"x": None}


@pytest.mark.parametrize(
    ("cadence", "message"),
    [
        ({"every_steps": 0}, "every_steps must be at least 1"),
        ({"every_seconds": -1.0}, "every_seconds must be above 0"),
        ({"keep": 0}, "keep must be at least 1"),
    ],
)
def test_bad_cadence_is_named(cadence, message):
    with pytest.raises(CheckpointError, match=message):
        Cadence(**cadence)


def test_keys_are_by_run_and_step_never_by_attempt():
    assert checkpoint_key("train-1a2b", "loop[2]/fit") == "train-1a2b/loop_2__fit"
    assert checkpoint_key("w", "s", "compensation") == "w/s.compensation"
