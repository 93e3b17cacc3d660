"""Runs stay within what Temporal honours: outsized definitions are refused
before they start; outsized outputs fail their step (and the saga
compensates); a history that nears Temporal's limit stops the run in time to
compensate instead of being terminated by the server."""

from __future__ import annotations

import pytest

from baton.engine import interpreter
from baton.errors import DefinitionError
from tests.support.sagas import api, saga, script, step

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_large_context_is_refused_before_it_starts(baton):
    definition = saga(*[step(f"s{i}", script("true")) for i in range(45)])
    definition["context"] = {"blob": "x" * 1_500_000}
    with pytest.raises(
        DefinitionError, match="context is 1,500,011 bytes as JSON; at most 262,144"
    ):
        await baton.client.start_saga(definition)


async def test_an_outsized_output_fails_its_step_and_the_saga_compensates(baton, services):
    big = 'python3 -c \'import json; print(json.dumps({"x": "a" * 300000}))\''
    definition = saga(
        step(
            "create",
            api(f"{services.url}/users"),
            api(f"{services.url}/users/{{user_id}}", "DELETE"),
        ),
        step("big", script(big)),
    )
    result = await baton.run_saga(definition)
    assert result["status"] == "COMPENSATED"
    assert "the step's output is 300,009 bytes; at most 262,144" in result["steps"][1]["error"]
    assert [c["step_id"] for c in result["compensations"]] == ["create"]


async def test_a_history_near_the_limit_stops_the_run_and_compensates(baton, services, monkeypatch):
    # The real threshold is 40,000 events; lowered here so the run reaches it
    # in seconds (the worker runs in this process).
    monkeypatch.setattr(interpreter, "HISTORY_EVENTS_LIMIT", 40)
    steps = [
        step(
            f"c{i}",
            api(f"{services.url}/users"),
            api(f"{services.url}/users/{{c{i}.user_id}}", "DELETE"),
        )
        for i in range(30)
    ]
    result = await baton.run_saga(saga(*steps))
    assert result["status"] == "COMPENSATED"
    assert "near Temporal's limit" in result["failure"]
    done = [s["step_id"] for s in result["steps"] if s["status"] == "COMPLETED"]
    assert 0 < len(done) < 30
    assert sorted(c["step_id"] for c in result["compensations"]) == sorted(done)
    assert all(c["status"] == "COMPENSATED" for c in result["compensations"])
