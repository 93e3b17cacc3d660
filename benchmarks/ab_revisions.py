"""Baton at two git revisions, side by side in one run: the saga throughput
benchmark alternates between them, so both see the same noisy machine.

    .venv/bin/python benchmarks/ab_revisions.py df67b41 --rounds 2

The other revision is checked out in a temporary worktree and imported first
(PYTHONPATH) by a run of *its own* benchmarks/saga_throughput.py; both use this
checkout's virtual environment (the same dependencies). Each run measures the
hand-written temporalio workflow too, so a round's ratio is robust to a busy
moment. Prints one table row per run and the means.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# each revision's own name for the server configuration Baton uses by default
DEFAULT_CONFIG = re.compile(r'"([^"]*\(Baton\'s default\))"')
# a history both revisions can replay: a saga with retries and compensation
REPLAYED = ROOT / "tests" / "histories" / "compensated_after_retries.json"


def replay_ms(tree: Path, runs: int = 300) -> float:
    """The interpreter's CPU per replay, at ``tree``'s code (this script's
    replay_cost.py; only the engine is imported from the tree)."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "replay_cost.py"),
            str(REPLAYED),
            "--runs",
            str(runs),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    return float(out.split()[0])


def default_config(tree: Path) -> str:
    found = DEFAULT_CONFIG.search((tree / "benchmarks" / "saga_throughput.py").read_text())
    assert found, f"no default configuration in {tree}"
    return found.group(1)


def run_bench(tree: Path, sagas: int, steps: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    out = subprocess.run(
        [
            sys.executable,
            str(tree / "benchmarks" / "saga_throughput.py"),
            "--sagas",
            str(sagas),
            "--steps",
            str(steps),
            "--configs",
            default_config(tree),
            "--no-dbos",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    ).stdout
    report = json.loads(out[out.index("{") : out.rindex("}") + 1])
    return report["temporal"][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("revision", help="the revision to compare with this checkout")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sagas", type=int, default=100)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="baton-ab-") as scratch:
        other = Path(scratch) / "other"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(other), args.revision],
            check=True,
            capture_output=True,
        )
        try:
            rows: dict[str, list[dict]] = {args.revision: [], "this checkout": []}
            replays: dict[str, list[float]] = {args.revision: [], "this checkout": []}
            print(
                "| round | Baton at | steps/s | p50 10-step saga (ms) | hand-written steps/s "
                "| ratio | replay (ms) |"
            )
            print("|---|---|---|---|---|---|---|")
            for round_ in range(1, args.rounds + 1):
                for name, tree in ((args.revision, other), ("this checkout", ROOT)):
                    row = run_bench(tree, args.sagas, args.steps)
                    rows[name].append(row)
                    replays[name].append(replay_ms(tree))
                    b, h = row["baton"], row["hand_written"]
                    print(
                        f"| {round_} | {name} | {b['steps_per_s']:.0f} | "
                        f"{b['p50_10_step_ms']:.0f} | {h['steps_per_s']:.0f} | "
                        f"{b['steps_per_s'] / h['steps_per_s']:.2f} | {replays[name][-1]:.1f} |",
                        flush=True,
                    )
            for name, runs in rows.items():
                steps = statistics.mean(r["baton"]["steps_per_s"] for r in runs)
                p50 = statistics.mean(r["baton"]["p50_10_step_ms"] for r in runs)
                ratio = statistics.mean(
                    r["baton"]["steps_per_s"] / r["hand_written"]["steps_per_s"] for r in runs
                )
                replay = statistics.mean(replays[name])
                print(f"| mean | {name} | {steps:.0f} | {p50:.0f} | | {ratio:.2f} | {replay:.1f} |")
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)],
                capture_output=True,
            )


if __name__ == "__main__":
    main()
