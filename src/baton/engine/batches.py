"""Long loops within Temporal's history limits: once a run's history passes
``BATCH_AFTER_EVENTS``, a sequential loop over a known number of iterations
runs the rest of them in child runs of about ``BATCH_EVENTS`` events each
(``<run id>.<loop>.batch-<first index>``), one after another, each handing
its output and ``$context`` to the next; the parent's history grows by a few
events per batch. A child that grows heavy batches its own rest the same way.

Only loops that a child can run exactly as the parent would are batched: no
``while``/``complete_when`` (the parent would not know where a batch
stopped), nothing in the body to compensate (the parent's undo could not
reach it), no event wait (events are sent to the parent's id) and no names
from enclosing loops. Others run on in the parent, up to the run's limit."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from ..plan.model import Expr, NodeKind, PlanStep, RunInput, walk
    from ..plan.wire import to_wire
    from .frames import Frame
    from .vocabulary import EventKind

if TYPE_CHECKING:
    from .nodes import ControlNodes

BATCH_AFTER_EVENTS = 10_000  # a run's history length past which loops batch
BATCH_EVENTS = 10_000  # about how many events one batch's run gets
GUESS_EVENTS_PER_ITERATION = 10  # before an iteration has been measured
PATCH = "loop-batches"  # runs recorded before batching existed replay unchanged


def batchable(node: PlanStep, frame: Frame) -> bool:
    spec = node.loop
    if spec is None or spec.parallel or spec.condition is not None:
        return False
    if spec.complete_when is not None or (spec.each is None and spec.times is None):
        return False
    if frame.names:
        return False
    for _, inner in walk(node.body):
        if inner.compensation is not None or inner.compensate_on_error:
            return False
        if inner.undo_with is not None or inner.triggers or inner.kind == NodeKind.THROW:
            return False  # undo, events and throws the parent must see
        if inner.kind == NodeKind.WAIT and inner.wait is not None:
            if inner.wait.events or inner.wait.condition is not None:
                return False
    return True


def heavy(after_events: int | None) -> bool:
    """The run's history is long enough to batch (``after_events``: the
    plan's own threshold, else ``BATCH_AFTER_EVENTS``)."""
    limit = after_events or BATCH_AFTER_EVENTS
    return workflow.info().get_current_history_length() > limit and workflow.patched(PATCH)


async def run_rest(
    nodes: ControlNodes,
    frame: Frame,
    node: PlanStep,
    key: str,
    items: list[Any] | None,
    index: int,
    total: int,
    carry: Any,
    outputs: list[Any],
    started_at_length: int,
) -> tuple[Any, list[Any]]:
    """Iterations ``index`` to ``total`` in batches of child runs; the
    loop's carried data and collected outputs when they are done."""
    spec = node.loop
    assert spec is not None
    flow = nodes.flow
    run = flow.run
    options = run.plan.options
    grown = workflow.info().get_current_history_length() - started_at_length
    per_iteration = grown / index if index and grown > 0 else GUESS_EVENTS_PER_ITERATION
    size = max(1, int((options.batch_events or BATCH_EVENTS) / max(per_iteration, 1.0)))
    while index < total:
        if flow.stopping(frame):
            raise asyncio.CancelledError()  # the run or its scope stopped: no more batches
        end = min(total, index + size)
        first = spec.first_index + index
        child_loop = replace(spec, first_index=first, batched=True, each=None, times=None)
        child_node = replace(
            node,
            after=[],
            routes=[],
            when=None,
            input=None,
            output=None,
            export=None,
            deadline_seconds=None,
            sla=None,  # the loop's SLA is the parent run's to keep
            catch=[],
            input_schema=None,
            output_schema=None,
            loop=child_loop,
        )
        batch = {
            "carry": carry,
            "items": items[index:end] if items is not None else None,
            "count": end - index,
        }
        child_plan = replace(
            run.plan,
            steps=[child_node],
            context=dict(run.context),
            options=replace(
                options,
                deadline_seconds=None,
                sla=None,
                input=None,
                output=Expr("{data: ., context: $context}", "jq"),
                input_schema=None,
                output_schema=None,
                cleanup=None,
                alert_on_failure=False,
                result=None,
                batch=batch,
                # the model's drawing is the parent run's (a batch runs one loop)
                diagram=None,
                diagram_ids={},
            ),
        )
        child_id = f"{run.workflow_id}.{key}.batch-{first}"
        run.record(EventKind.SUBPROCESS_STARTED, key, detail=child_id)
        result = await nodes.run_child(
            child_id, to_wire(RunInput(plan=child_plan, input=run.input))
        )
        data = result.get("data") if isinstance(result, dict) else None
        if spec.collect:
            outputs.extend(data or [])
        else:
            carry = data
        if isinstance(result, dict) and isinstance(result.get("context"), dict):
            run.set_context(result["context"])
        index = end
    return carry, outputs
