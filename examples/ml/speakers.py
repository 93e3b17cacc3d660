"""The functions of the speaker pipeline (examples/ml/pipeline_speakers.yaml):
a small, dependency-free stand-in for speaker models. Each speaker's
"recordings" are 8-number voice feature vectors drawn around a centre of
their own (seeded by the speaker's name, so every run sees the same data);
a speaker model is the mean of its training vectors, kept as a JSON file;
evaluation labels held-out vectors by the nearest model. Every function
that writes a file has one that removes it (the compensations)."""

from __future__ import annotations

import hashlib
import json
import math
import random
import shutil
from pathlib import Path
from typing import Any

FEATURES = 8


def _voice(speaker: str, count: int, salt: str) -> list[list[float]]:
    seed = int.from_bytes(hashlib.sha256(speaker.encode()).digest()[:8], "big")
    centre = random.Random(seed).uniform  # the speaker's own voice
    middle = [centre(-3.0, 3.0) for _ in range(FEATURES)]
    noise = random.Random(f"{seed}-{salt}")
    return [[m + noise.gauss(0.0, 1.0) for m in middle] for _ in range(count)]


def prepare(*, speaker: str, data_dir: str, samples: int = 200) -> dict[str, Any]:
    """Write the speaker's training recordings; the output names the file."""
    path = Path(data_dir) / f"{speaker}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_voice(speaker, samples, "train")))
    return {"data": str(path), "samples": samples}


def remove(*, path: str) -> dict[str, Any]:
    """Undo ``prepare``, ``train`` or ``register``: remove the file it wrote."""
    Path(path).unlink(missing_ok=True)
    return {"removed": path}


def train(*, speaker: str, data: str, model_dir: str) -> dict[str, Any]:
    """The speaker's model: the mean of its recordings."""
    vectors = json.loads(Path(data).read_text())
    mean = [sum(column) / len(vectors) for column in zip(*vectors, strict=True)]
    path = Path(model_dir) / f"{speaker}.model.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"speaker": speaker, "mean": mean}))
    return {"model": str(path), "speaker": speaker}


def evaluate(*, models: list[str], samples: int = 50, min_accuracy: float = 0.9) -> dict[str, Any]:
    """Accuracy of telling the speakers apart on held-out recordings (each
    labelled by the nearest model); below ``min_accuracy`` the step fails."""
    means = {}
    for model in models:
        data = json.loads(Path(model).read_text())
        means[data["speaker"]] = data["mean"]
    right = total = 0
    for speaker in means:
        for vector in _voice(speaker, samples, "test"):
            nearest = min(means, key=lambda s: math.dist(means[s], vector))
            right += nearest == speaker
            total += 1
    accuracy = right / total
    if accuracy < min_accuracy:
        raise ValueError(f"accuracy {accuracy:.3f} is below {min_accuracy}")
    return {"accuracy": accuracy, "models": models}


def register(*, model: str, registry: str) -> dict[str, Any]:
    """Copy an evaluated model into the registry directory."""
    target = Path(registry) / Path(model).name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model, target)
    return {"registered": str(target)}
