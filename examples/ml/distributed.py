"""A stand-in for distributed training, as Baton ``python`` steps
(examples/ml/distributed_training.yaml, docs/pools.md).

``train`` simulates ``nodes`` data-parallel workers in one process: every
step each node updates its shard's weights and writes its live state to
``<nodes_dir>/node-<i>.json`` (what a real node holds in memory). The step is
checkpointed as any ``python`` step is (docs/checkpoints.md). With
``fail_at_step`` node ``failing_node`` is lost at that step: its file says so
and the step fails.

``emergency_checkpoint`` is the saga's compensation: it gathers the live
state of the nodes that are still healthy and saves it in the checkpoint
store (``baton.checkpoints``, key ``emergency/<run>``) — the last good
state, more recent than the periodic checkpoint.
"""

from __future__ import annotations

import json
import os
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from baton.checkpoints import CheckpointStore
from baton.checkpoints.format import encode


def _write_atomically(path: Path, data: dict[str, Any]) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data))
    os.replace(partial, path)


def _journal(nodes_dir: Path, line: str) -> None:
    with (nodes_dir / "journal.log").open("a") as journal:
        journal.write(f"{datetime.now(timezone.utc).isoformat()} {line}\n")


def train(
    *,
    nodes_dir: str,
    nodes: int = 2,
    steps: int = 20,
    step_seconds: float = 0.05,
    fail_at_step: int | None = None,
    failing_node: int = 1,
    checkpoint: Any = None,
) -> dict[str, Any]:
    folder = Path(nodes_dir)
    folder.mkdir(parents=True, exist_ok=True)
    weights = [[0.0] * 4 for _ in range(nodes)]
    first = 0
    if checkpoint is not None and checkpoint.state is not None:
        weights = [list(map(float, w)) for w in checkpoint.state["weights"]]
        first = checkpoint.step
    _journal(folder, f"train start step={first}")
    for step in range(first, steps):
        time.sleep(step_seconds)
        for node in range(nodes):
            weights[node] = [w + 0.1 * (node + 1) for w in weights[node]]
            lost = fail_at_step is not None and step + 1 == fail_at_step and node == failing_node
            _write_atomically(
                folder / f"node-{node}.json",
                {"node": node, "step": step + 1, "weights": weights[node], "healthy": not lost},
            )
            if lost:
                _journal(folder, f"train node {node} lost at step {step + 1}")
                raise RuntimeError(f"node {node} lost at step {step + 1}")
        if checkpoint is not None:
            checkpoint.advance(
                step + 1, state=lambda: {"weights": [list(w) for w in weights]}, total=steps
            )
    _journal(folder, f"train done step={steps}")
    return {"steps": steps, "nodes": nodes}


def emergency_checkpoint(*, nodes_dir: str, store: str, run: str) -> dict[str, Any]:
    """Save what the healthy nodes hold; the lost ones are left out."""
    folder = Path(nodes_dir)
    healthy: dict[str, Any] = {}
    for path in sorted(folder.glob("node-*.json")):
        node = json.loads(path.read_text())
        if node.get("healthy"):
            healthy[str(node["node"])] = {"step": node["step"], "weights": node["weights"]}
    if not healthy:
        _journal(folder, "emergency_checkpoint nothing healthy")
        return {"saved": False, "healthy_nodes": []}
    step = min(node["step"] for node in healthy.values())
    saved_at = datetime.now(timezone.utc).isoformat()
    key = "emergency/" + re.sub(r"[^A-Za-z0-9_.-]", "_", run)
    opened = CheckpointStore.open(store)
    opened.write(key, step, encode(step, {"nodes": healthy}, {"healthy": len(healthy)}, saved_at))
    _journal(folder, f"emergency_checkpoint step={step} nodes={','.join(healthy)}")
    return {
        "saved": True,
        "step": step,
        "healthy_nodes": sorted(healthy),
        "key": key,
        "where": opened.where(key, step),
    }


def mark_started(*, nodes_dir: str) -> dict[str, Any]:
    """The step whose compensation is the emergency checkpoint: it only
    notes that training is about to start (so a failure of ``train`` —
    which is never compensated itself, as it did not complete — still
    saves the healthy nodes)."""
    folder = Path(nodes_dir)
    folder.mkdir(parents=True, exist_ok=True)
    _journal(folder, "nodes ready")
    # not "nodes_dir": a later step's {nodes_dir} would read this output
    # before the context (docs/sagas.md, Placeholders)
    return {"ready": nodes_dir}
