"""A small real training job as Baton ``python`` steps: softmax regression
(scikit-learn's ``SGDClassifier``, ``partial_fit`` one epoch at a time) on
the handwritten digits that ship with scikit-learn (``load_digits``).

- ``train`` is the checkpointed step: it resumes from its last checkpoint,
  reports each epoch (loss, accuracy on the training split) and saves the
  model's arrays every few epochs. Its checkpoints hold only arrays and
  numbers (no pickle). It appends one line per epoch to ``metrics.csv``
  (epoch, loss, accuracy, worker pid), as a training log does.
- ``evaluate`` scores the trained model on the held-out split and fails
  the step below ``min_accuracy``.
- ``register`` copies the model into a registry directory; ``unregister``
  undoes it (the saga's compensation).

Resuming is exact: SGDClassifier's ``partial_fit`` with a fixed
``random_state`` continues from restored ``coef_``, ``intercept_`` and
``t_`` as if it had never stopped (``tests/examples/test_ml_training.py``).
``epoch_seconds`` pads each epoch to at least that long, so that on a fast
machine the job runs long enough to watch (and to kill).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

TEST_SIZE = 0.25


def digits(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training and test splits of load_digits, pixels scaled to [0, 1]."""
    features, labels = load_digits(return_X_y=True)
    return train_test_split(
        features / 16.0, labels, test_size=TEST_SIZE, random_state=seed, stratify=labels
    )


def new_model(learning_rate: float, seed: int) -> SGDClassifier:
    return SGDClassifier(
        loss="log_loss",
        alpha=1e-4,
        learning_rate="constant",
        eta0=learning_rate,
        random_state=seed,
    )


def model_state(model: SGDClassifier) -> dict[str, Any]:
    """What a checkpoint (and the final model file) keeps of the model."""
    return {
        "coef": model.coef_.copy(),
        "intercept": model.intercept_.copy(),
        "classes": model.classes_.copy(),
        "t": float(model.t_),
    }


def restore(model: SGDClassifier, state: dict[str, Any]) -> SGDClassifier:
    model.coef_ = np.asarray(state["coef"])
    model.intercept_ = np.asarray(state["intercept"])
    model.classes_ = np.asarray(state["classes"])
    model.t_ = float(state["t"])
    model.n_features_in_ = model.coef_.shape[1]
    return model


def train(
    *,
    artifacts: str,
    epochs: int = 40,
    learning_rate: float = 0.01,
    epoch_seconds: float = 0.0,
    seed: int = 0,
    checkpoint: Any = None,
) -> dict[str, Any]:
    """Train for ``epochs`` epochs; the model goes to ``<artifacts>/model.npz``."""
    out = Path(artifacts)
    out.mkdir(parents=True, exist_ok=True)
    x_train, _, y_train, _ = digits(seed)
    classes = np.unique(y_train)
    model = new_model(learning_rate, seed)
    start = 0
    if checkpoint is not None and checkpoint.state is not None:
        restore(model, checkpoint.state)
        start = checkpoint.step
    loss = accuracy = float("nan")
    for epoch in range(start, epochs):
        began = time.monotonic()
        model.partial_fit(x_train, y_train, classes=classes)
        loss = float(log_loss(y_train, model.predict_proba(x_train), labels=classes))
        accuracy = float(model.score(x_train, y_train))
        with open(out / "metrics.csv", "a") as log:
            log.write(f"{epoch + 1},{loss:.6f},{accuracy:.6f},{os.getpid()}\n")
        time.sleep(max(0.0, epoch_seconds - (time.monotonic() - began)))
        if checkpoint is not None:
            checkpoint.advance(
                epoch + 1,
                state=lambda: model_state(model),
                total=epochs,
                metrics={"loss": round(loss, 4), "accuracy": round(accuracy, 4)},
            )
    model_path = out / "model.npz"
    np.savez(model_path, **model_state(model))
    return {
        "model_path": str(model_path),
        "epochs": epochs,
        "resumed_from": start,
        "epochs_run": epochs - start,
        "final_loss": round(loss, 4),
        "train_accuracy": round(accuracy, 4),
    }


def load_model(model_path: str, seed: int = 0) -> SGDClassifier:
    with np.load(model_path, allow_pickle=False) as saved:
        return restore(new_model(0.01, seed), dict(saved))


def evaluate(*, model_path: str, min_accuracy: float = 0.9, seed: int = 0) -> dict[str, Any]:
    """Accuracy on the held-out split; below ``min_accuracy`` the step fails."""
    _, x_test, _, y_test = digits(seed)
    accuracy = float(load_model(model_path, seed).score(x_test, y_test))
    if accuracy < min_accuracy:
        raise ValueError(f"test accuracy {accuracy:.3f} is below the required {min_accuracy}")
    return {"accuracy": round(accuracy, 4), "test_samples": int(len(y_test))}


def register(*, model_path: str, registry: str, name: str) -> dict[str, Any]:
    """Put the approved model into the registry as ``<registry>/<name>.npz``."""
    target = Path(registry) / f"{name}.npz"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model_path, target)
    return {"registered": str(target)}


def unregister(*, registered: str) -> dict[str, Any]:
    Path(registered).unlink(missing_ok=True)
    return {"removed": registered}


def sweep_trial(
    *, learning_rate: float, alpha: float, epochs: int = 5, seed: int = 0
) -> dict[str, Any]:
    """One trial of examples/ml/sweep.yaml: train ``epochs`` epochs with this
    learning rate and L2 penalty (``alpha``) and score on a validation fifth
    of the training split (the test quarter stays unseen)."""
    x_train, _, y_train, _ = digits(seed)
    x_fit, x_val, y_fit, y_val = train_test_split(
        x_train, y_train, test_size=0.2, random_state=seed, stratify=y_train
    )
    classes = np.unique(y_fit)
    model = SGDClassifier(
        loss="log_loss",
        alpha=alpha,
        learning_rate="constant",
        eta0=learning_rate,
        random_state=seed,
    )
    for _ in range(epochs):
        model.partial_fit(x_fit, y_fit, classes=classes)
    return {
        "accuracy": round(float(model.score(x_val, y_val)), 4),
        "train_accuracy": round(float(model.score(x_fit, y_fit)), 4),
        "epochs": epochs,
    }
