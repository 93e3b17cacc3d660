"""examples/ml's training job resumes exactly: stopped after an epoch and
resumed from its checkpoint, it ends with the same model as a run that never
stopped (the handle is used here outside an activity, as in a notebook)."""

from __future__ import annotations

import numpy as np
import pytest

from baton.checkpoints import Cadence, CheckpointStore, SyncCheckpoint
from baton.checkpoints.session import Session
from examples.ml import training


class Killed(Exception):
    pass


class DiesAfter(SyncCheckpoint):
    def __init__(self, session: Session, epoch: int) -> None:
        super().__init__(session)
        self.epoch = epoch

    def advance(self, step, **kwargs):  # type: ignore[no-untyped-def]
        saved = super().advance(step, **kwargs)
        if step == self.epoch:
            raise Killed
        return saved


def handle(tmp_path, cls=SyncCheckpoint, **extra):  # type: ignore[no-untyped-def]
    session = Session(CheckpointStore.open(str(tmp_path / "store")), "run/train", Cadence(4))
    session.resume()
    return cls(session, **extra)


def test_resumed_training_ends_with_the_same_model(tmp_path):
    straight = training.train(artifacts=str(tmp_path / "a"), epochs=15)
    with pytest.raises(Killed):
        training.train(
            artifacts=str(tmp_path / "b"),
            epochs=15,
            checkpoint=handle(tmp_path, DiesAfter, epoch=10),
        )
    resumed = training.train(artifacts=str(tmp_path / "b"), epochs=15, checkpoint=handle(tmp_path))
    assert resumed["resumed_from"] == 8 and resumed["epochs_run"] == 7  # checkpoints at 4, 8
    a = np.load(straight["model_path"])
    b = np.load(resumed["model_path"])
    assert np.array_equal(a["coef"], b["coef"]) and np.array_equal(a["intercept"], b["intercept"])
    assert resumed["final_loss"] == straight["final_loss"]
    assert training.evaluate(model_path=resumed["model_path"])["accuracy"] >= 0.9
    with pytest.raises(ValueError, match="below the required 0.999"):
        training.evaluate(model_path=resumed["model_path"], min_accuracy=0.999)
