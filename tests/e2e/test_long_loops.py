"""A long loop stays within Temporal's history limits: past a history length
it runs the rest of its iterations in child runs, one batch after another,
and the result is the one a single run gives — every iteration once, in
order, with the loop's data and ``$context`` carried from batch to batch.
(The thresholds are lowered here so a short loop batches; by default they
are 10,000 events.)"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from baton.plan.frontends import CompileContext, compile_document

pytestmark = pytest.mark.asyncio(loop_scope="session")


def long_loop(url: str) -> dict[str, Any]:
    body = [
        {
            "call-out": {
                "call": "http",
                "with": {
                    "method": "post",
                    "endpoint": f"{url}/hooks/loop",
                    "body": {"n": "${ $n }", "at": "${ $i }"},
                },
                "output": {"as": "${ $input }"},
            }
        },
        {
            "add": {
                "set": "${ {total: (.total + $n), last: $i} }",
                "export": {"as": "$context + {seen: (($context.seen // 0) + 1)}"},
            }
        },
    ]
    loop: dict[str, Any] = {"for": {"in": ".numbers", "each": "n", "at": "i"}, "do": body}
    return {
        "document": {"dsl": "1.0.3", "namespace": "test", "name": "long", "version": "1.0.0"},
        "do": [
            {"start": {"set": "${ . + {total: 0} }"}},
            {"each": loop},
            {"report": {"set": "${ {total: .total, last: .last, seen: $context.seen} }"}},
        ],
    }


async def run_plan(baton: Any, definition: dict[str, Any], input: Any, **options: Any) -> Any:
    plan = compile_document(definition, CompileContext(source="<dict>"))
    for name, value in options.items():
        setattr(plan.options, name, value)
    run = await baton.client.start_plan(plan, input=input)
    return run, await asyncio.wait_for(run.result(), 180)


async def history_length(baton: Any, workflow_id: str) -> int:
    history = await baton.client.temporal.get_workflow_handle(workflow_id).fetch_history()
    return len(history.events)


async def test_a_long_loop_runs_in_batches_with_the_result_of_one_run(baton, services):
    numbers = list(range(1, 41))
    definition = long_loop(services.url)
    run, result = await run_plan(
        baton, definition, {"numbers": numbers}, batch_after_events=40, batch_events=60
    )
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {"total": sum(numbers), "last": 39, "seen": 40}
    calls = [c.body for c in services.state.calls if c.path == "/hooks/loop"]
    assert calls == [{"n": n, "at": i} for i, n in enumerate(numbers)]  # each once, in order
    batches = [a["detail"] for a in result["audit"] if a["event"] == "subprocess_started"]
    assert len(batches) >= 3
    assert batches[0].startswith(f"{run.workflow_id}./do/1/each.batch-")
    # the parent's history grows by a few events per batch, not per iteration
    parent = await history_length(baton, run.workflow_id)
    services.state.calls.clear()
    single, whole = await run_plan(baton, definition, {"numbers": numbers})
    assert whole["output"] == result["output"]
    assert not [a for a in whole["audit"] if a["event"] == "subprocess_started"]
    assert parent < await history_length(baton, single.workflow_id) / 2


async def test_a_loop_that_compensates_or_waits_for_events_is_not_batched(baton, services):
    definition = long_loop(services.url)
    call = definition["do"][1]["each"]["do"][0]["call-out"]
    call["metadata"] = {
        "baton": {
            "compensate": {
                "call": "http",
                "with": {"method": "post", "endpoint": f"{services.url}/hooks/undo"},
            }
        }
    }
    numbers = list(range(10))
    run, result = await run_plan(
        baton, definition, {"numbers": numbers}, batch_after_events=20, batch_events=30
    )
    assert result["status"] == "COMPLETED", result
    assert not [a for a in result["audit"] if a["event"] == "subprocess_started"]
