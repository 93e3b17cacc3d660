"""CLI responsiveness (issue 13, item 6): `baton status ID` and `baton
approve ID` end to end — a new process each time, import included, against
a running embedded server with a worker — and where the import time goes.

    .venv/bin/python benchmarks/cli_latency.py [--runs 15] [--against REV] [--out FILE]

One run on a fresh embedded server: a saga is run to its end (for
`status`) and `--runs` approvals are requested (one `approve` each). Each
command runs as `python -m baton.cli.main ...` in a fresh interpreter, as a
user's shell runs `baton`; the wall time from spawn to exit is measured.
This process plays `baton up`: the worker and the local API the CLI asks
first (baton.web.local_api). Two columns, alternating: "through baton up"
(the caller's BATON_HOME holds the socket) and "asking the server" (a home
without one: the CLI loads the SDK and connects, as with no `baton up`).
`python -X importtime -c 'import baton.cli.main'` is run too, and its
largest imports listed. With ``--against REV``, the same commands run at
that git revision too (checked out in a temporary worktree and put first
on PYTHONPATH, with this checkout's virtual environment), alternating with
this one, against the same server: the two columns are side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from baton.config import BatonFile, Settings
from baton.plan.approval import compile_approval
from baton.runtime import EmbeddedServer, TemporalWorkflowClient, running_worker
from baton.web.local_api import bind_socket, serve_local_api

sys.path.insert(0, str(Path(__file__).resolve().parent))
from saga_throughput import _free_port, machine  # noqa: E402

HERE = Path(__file__).resolve().parent


def timed(env: dict[str, str], *args: str) -> float:
    """Seconds from spawning `baton ARGS` to its exit (it must succeed)."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "baton.cli.main", *args], env=env, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"baton {' '.join(args)} failed: {done.stdout}{done.stderr}")
    return elapsed


def import_profile(env: dict[str, str], top: int = 12) -> list[tuple[str, float]]:
    """The largest imports of `baton.cli.main` (cumulative ms), by -X importtime."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import baton.cli.main"],
        env=env,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in done.stderr.splitlines()[1:]:
        parts = line.split("|")
        if len(parts) == 3 and parts[2].strip().startswith("baton"):
            rows.append((parts[2].strip(), int(parts[1]) / 1000))
    return sorted(rows, key=lambda r: -r[1])[:top]


def other_tree(revision: str) -> Path:
    """A worktree of ``revision`` (removed at exit by the caller)."""
    tree = Path(tempfile.mkdtemp(prefix="baton-cli-ab-")) / "tree"
    subprocess.run(
        ["git", "-C", str(HERE.parent), "worktree", "add", "--detach", str(tree), revision],
        check=True,
        capture_output=True,
    )
    return tree


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000, 1),
        "min_ms": round(ordered[0] * 1000, 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--against", help="a git revision to measure side by side")
    args = parser.parse_args()
    tree = other_tree(args.against) if args.against else None
    home = Path(tempfile.mkdtemp(prefix="baton-cli-bench-"))
    port = _free_port()
    settings = Settings.from_env(
        {"BATON_HOME": str(home), "BATON_TEMPORAL_PORT": str(port), "TEMPORAL_TASK_QUEUE": "bench"}
    )
    env = {
        **os.environ,
        "BATON_HOME": str(home),
        "BATON_TEMPORAL_PORT": str(port),
        "TEMPORAL_TASK_QUEUE": "bench",
        "NO_COLOR": "1",
    }
    server = EmbeddedServer(settings)
    await server.ensure_running()
    try:
        client = TemporalWorkflowClient(settings)
        await client.connect()
        await client.ensure_search_attributes()
        async with running_worker(client.temporal, settings.task_queue, BatonFile()):
            saga = {
                "saga_id": "cli-bench",
                "name": "cli bench",
                "steps": [
                    {
                        "step_id": "one",
                        "name": "one",
                        "forward_action": {"type": "script", "script": "true"},
                    }
                ],
            }
            path = settings.local_api_socket
            sock = bind_socket(path)
            assert not isinstance(sock, str), sock
            up_client = TemporalWorkflowClient(settings, temporal=client.temporal, via="cli")
            local_api = asyncio.create_task(serve_local_api(up_client, sock, path))
            run = await client.start_saga(saga, workflow_id="cli-bench-saga")
            await run.result()
            approvals = []
            for index in range(args.runs * (3 if tree else 2)):
                spec = compile_approval(
                    {
                        "approval_id": f"cli-bench-{index}",
                        "stage": "release",
                        "stages": [{"name": "review", "approvers": ["alice"]}],
                    }
                )
                approvals.append((await client.request_approval(spec)).approval_id)
            await asyncio.sleep(1)  # visible to list queries
            loop = asyncio.get_running_loop()
            no_up = {**env, "BATON_HOME": tempfile.mkdtemp(prefix="baton-cli-no-up-")}
            envs = {"through baton up": env, "asking the server": no_up}
            if tree is not None:
                envs[f"at {args.against}"] = {**no_up, "PYTHONPATH": str(tree / "src")}
            samples: dict[str, dict[str, list[float]]] = {
                name: {"--help": [], "status": [], "approve": []} for name in envs
            }
            pending = iter(approvals)
            for _ in range(args.runs):  # alternating, so both see the same machine
                for name, each in envs.items():
                    times = samples[name]
                    times["status"].append(
                        await loop.run_in_executor(None, timed, each, "status", run.workflow_id)
                    )
                    times["approve"].append(
                        await loop.run_in_executor(
                            None, timed, each, "approve", next(pending), "--as", "alice"
                        )
                    )
                    times["--help"].append(await loop.run_in_executor(None, timed, each, "--help"))
            local_api.cancel()
        profile = import_profile(env)
    finally:
        server.stop()
        if tree is not None:
            subprocess.run(
                ["git", "-C", str(HERE.parent), "worktree", "remove", "--force", str(tree)],
                capture_output=True,
            )
    result: dict[str, Any] = {"machine": machine(), "runs": args.runs}
    for name, times in samples.items():
        result[name] = {
            "baton --help": summary(times["--help"]),
            "baton status ID": summary(times["status"]),
            "baton approve ID --as alice": summary(times["approve"]),
        }
    result["import baton.cli.main (ms, cumulative)"] = profile
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
