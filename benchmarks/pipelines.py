"""What a pipeline's child runs cost (docs/sagas.md, "Pipelines: child runs"):

    python benchmarks/pipelines.py [--trials 20]

Three shapes of the same six no-op `script` steps (each with a no-op
compensation), on Baton's embedded server and one worker:

- ``flat``: one saga — two branches of two steps at once, then two more;
- ``pipeline``: a saga of three ``run`` steps — two children at once, then
  one — each child a saga of two steps;
- ``pipeline_undone``: the pipeline and then a failing step: the three
  completed children are undone by three undo runs, newest first.

Timed from the start call to the result (medians and p90 over ``--trials``,
after 2 warm-up runs). Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from baton.config import BatonFile, Settings
from baton.runtime import connected_client, running_worker
from baton.testing import free_port

NOOP = {"type": "script", "script": "true"}


def step(step_id: str, **extra: Any) -> dict[str, Any]:
    return {"step_id": step_id, "forward_action": NOOP, "compensation_action": NOOP, **extra}


def child_step(step_id: str, **extra: Any) -> dict[str, Any]:
    return {"step_id": step_id, "forward_action": {"type": "run", "definition": "c.yaml"}, **extra}


def write(home: Path) -> dict[str, Path]:
    (home / "c.yaml").write_text(yaml.safe_dump({"saga_id": "c", "steps": [step("p"), step("t")]}))
    flat = []
    for i in range(3):
        first = {"dependencies": []} if i < 2 else {"dependencies": ["t0", "t1"]}
        flat += [step(f"p{i}", **first), step(f"t{i}", dependencies=[f"p{i}"])]
    pipeline = [
        child_step("r0", parallel_group="g"),
        child_step("r1", parallel_group="g"),
        child_step("r2"),
    ]
    failing = {"step_id": "f", "forward_action": {"type": "script", "script": "exit 3"}}
    shapes = {
        "flat": {"saga_id": "flat", "steps": flat},
        "pipeline": {"saga_id": "pipeline", "steps": pipeline},
        "pipeline_undone": {"saga_id": "undone", "steps": [*pipeline, failing]},
    }
    paths = {}
    for name, definition in shapes.items():
        paths[name] = home / f"{name}.yaml"
        paths[name].write_text(yaml.safe_dump(definition))
    return paths


async def main(trials: int) -> dict[str, Any]:
    logging.getLogger("temporalio").setLevel(logging.CRITICAL)  # the failing step's traceback
    home = Path(tempfile.mkdtemp())
    settings = Settings.from_env({"BATON_HOME": str(home), "BATON_TEMPORAL_PORT": str(free_port())})
    paths = write(home)
    results: dict[str, Any] = {"python": platform.python_version(), "trials": trials}
    async with connected_client(settings, start_embedded=True) as (client, _):
        async with running_worker(client.temporal, settings.task_queue, BatonFile()):
            for name, path in paths.items():
                times = []
                for trial in range(trials + 2):
                    began = time.perf_counter()
                    result = await (await client.start_file(path)).result()
                    took = (time.perf_counter() - began) * 1000
                    if trial >= 2:
                        times.append(took)
                status = result["status"]
                assert status == ("COMPENSATED" if name == "pipeline_undone" else "COMPLETED")
                times.sort()
                results[name] = {
                    "status": status,
                    "median_ms": round(statistics.median(times), 1),
                    "p90_ms": round(times[int(0.9 * (len(times) - 1))], 1),
                    "child_runs": len(result.get("children") or []),
                }
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    print(json.dumps(asyncio.run(main(parser.parse_args().trials)), indent=1))
