"""The seed's "wait until the GPU window, then train" (Pattern 3,
ScheduledTrainingWorkflow) as the process examples/gpu_training_window.yaml,
on Temporal's time-skipping test server: started outside the window it
sleeps (a durable timer) until the window opens, hours later, then trains;
started inside it, it trains at once."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="session")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gpu_training_window.yaml"


async def train(skipping: Any, window: dict[str, int]) -> tuple[datetime, dict[str, Any]]:
    now = await skipping.env.get_current_time()
    run = await skipping.start_file(EXAMPLE, input={"window": window, "model": "vit", "epochs": 4})
    result = await skipping.result(run.workflow_id)
    assert result["status"] == "COMPLETED", result
    return now, result


def step(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in result["steps"] if s["step_id"].endswith(f"/{name}"))


async def test_outside_the_window_it_waits_until_the_window_opens(skipping):
    now = await skipping.env.get_current_time()
    opens = (now.hour + 3) % 24  # two to three hours from now (UTC)
    started, result = await train(skipping, {"start_hour": opens, "end_hour": (opens + 4) % 24})
    trained = datetime.fromisoformat(step(result, "train")["started_at"])
    assert trained.hour == opens and trained.minute == 0
    assert timedelta(hours=2) < trained - started <= timedelta(hours=3, seconds=5)
    assert result["output"]["model"] == "vit" and result["output"]["epochs"] == 4
    assert result["output"]["trained_at"].startswith(trained.strftime("%Y-%m-%dT%H:00:0"))


async def test_inside_the_window_it_trains_at_once(skipping):
    now = await skipping.env.get_current_time()
    # a window around now, in local time at UTC+12
    local_hour = (now.hour + 12) % 24
    window = {"start_hour": (local_hour - 1) % 24, "end_hour": (local_hour + 2) % 24}
    started, result = await train(skipping, {**window, "utc_offset_hours": 12})
    trained = datetime.fromisoformat(step(result, "train")["started_at"])
    assert trained - started < timedelta(seconds=30)


async def test_a_window_spanning_midnight_in_local_time_waits_for_its_start(skipping):
    now = await skipping.env.get_current_time()
    offset = 12 - now.hour  # local time (UTC+offset) is 12:xx now
    window = {"start_hour": 22, "end_hour": 4, "utc_offset_hours": offset}
    started, result = await train(skipping, window)
    trained = datetime.fromisoformat(step(result, "train")["started_at"])
    assert (trained + timedelta(hours=offset)).hour == 22 and trained.minute == 0
    assert timedelta(hours=9) < trained - started <= timedelta(hours=10, seconds=5)
