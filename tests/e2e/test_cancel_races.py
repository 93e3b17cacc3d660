"""Cancels at random moments while a step's POST is in flight: every
resource a saga created is deleted exactly once — whether the POST completed
just before the cancel, was cut off mid-flight (settled with its idempotency
key, then compensated), or never started."""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest

from tests.support.sagas import api, saga, step

pytestmark = pytest.mark.asyncio(loop_scope="session")

RUNS = 120
WAVE = 40


async def test_every_created_resource_is_deleted_exactly_once(baton, services):
    services.state.delays["POST /users"] = 0.4
    rng = random.Random(7)
    definition = saga(
        step(
            "create",
            api(f"{services.url}/users", payload={"name": "ada"}),
            api(f"{services.url}/users/{{user_id}}", "DELETE"),
            compensate_if_unknown=True,
        ),
        step("after", api(f"{services.url}/hooks/after")),
    )

    async def one() -> dict:
        run = await baton.client.start_saga(definition)
        await asyncio.sleep(rng.uniform(0.0, 0.8))
        try:
            await run.cancel()
        except Exception:  # it may have finished already
            pass
        return await asyncio.wait_for(run.result(), 120)

    results = []
    for _ in range(RUNS // WAVE):
        results += await asyncio.gather(*(one() for _ in range(WAVE)))

    created = {
        answer[1]["user_id"]
        for key, answer in services.state.answered.items()
        if key.startswith("POST /users ")
    }
    deletes = Counter(
        c.path.rsplit("/", 1)[1]
        for c in services.state.calls
        if c.method == "DELETE" and c.path.startswith("/users/")
    )
    cancelled = [r for r in results if r["status"] == "CANCELLED"]
    completed = [r for r in results if r["status"] == "COMPLETED"]
    assert len(cancelled) + len(completed) == RUNS, Counter(r["status"] for r in results)
    kept = {r["steps"][0]["output"]["user_id"] for r in completed}
    # a completed saga keeps its user; every other user created was deleted, once
    assert set(services.state.users) == kept
    assert set(deletes) == created - kept
    assert all(count == 1 for count in deletes.values()), deletes.most_common(3)
    # the interesting cases happened: cut off mid-flight, and completed just before
    states = Counter(r["steps"][0]["status"] for r in cancelled)
    assert states["CANCELLED"] and states["COMPLETED"], states
    settled = [
        r for r in cancelled if r["steps"][0]["status"] == "CANCELLED" and r["compensations"]
    ]
    assert settled, "no step was cut off mid-flight and settled"


async def test_a_step_that_completed_as_the_cancel_arrived_is_compensated(baton, services):
    """Without compensate_if_unknown: whenever Temporal's history shows the
    step's activity completed, the step counts as completed and is undone —
    the cancel arriving in the same moment must not make Baton forget it."""
    services.state.delays["POST /users"] = 0.3
    rng = random.Random(11)
    definition = saga(
        step(
            "create",
            api(f"{services.url}/users", payload={"name": "ada"}),
            api(f"{services.url}/users/{{user_id}}", "DELETE"),
        ),
        step("after", api(f"{services.url}/hooks/after")),
    )

    async def one() -> tuple[dict, bool]:
        run = await baton.client.start_saga(definition)
        await asyncio.sleep(rng.uniform(0.2, 0.5))
        try:
            await run.cancel()
        except Exception:
            pass
        result = await asyncio.wait_for(run.result(), 120)
        history = await baton.client.temporal.get_workflow_handle(run.workflow_id).fetch_history()
        completed = any(
            e.HasField("activity_task_completed_event_attributes")
            and e.activity_task_completed_event_attributes.scheduled_event_id
            == next(
                s.event_id
                for s in history.events
                if s.HasField("activity_task_scheduled_event_attributes")
                and s.activity_task_scheduled_event_attributes.activity_id == "create.forward.1"
            )
            for e in history.events
        )
        return result, completed

    outcomes = []
    for _ in range(2):
        outcomes += await asyncio.gather(*(one() for _ in range(40)))
    for result, completed in outcomes:
        if result["status"] != "CANCELLED" or not completed:
            continue
        first = result["steps"][0]
        assert first["status"] == "COMPLETED", first
        assert [c["step_id"] for c in result["compensations"]] == ["create"]
    assert any(completed for result, completed in outcomes if result["status"] == "CANCELLED")
