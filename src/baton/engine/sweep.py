"""``SweepWorkflow`` ("BatonSweep"): a parameter sweep (docs/sweeps.md).

Trials are ``python`` actions run as Baton's ``baton.python`` activity, so the
worker's execution policy applies to each one. At most ``parallelism`` trials
are in flight. After ``trials_per_run`` trials a run drains (waits for its
trials in flight) and continues as new, carrying only the next index, the
counts, the best result and a bounded top list — never the list of trials —
so every run's history stays small however large the space is. Early
stopping launches nothing more; trials in flight finish and count.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from ..actions.types import ActionRequest
from ..plan.sweep import (
    MAX_KEPT_ERROR,
    MAXIMIZE,
    RECENT_FAILURES,
    SweepInput,
    SweepProgress,
    SweepSpec,
    better,
    kept_output,
    metric_of,
    reaches,
    trial_params,
)
from .names import SWEEP_WORKFLOW_NAME
from .search_attributes import BATON_KIND, BATON_NAME, BATON_STATUS

TRIAL_HEARTBEAT_TIMEOUT = timedelta(seconds=30)


@workflow.defn(name=SWEEP_WORKFLOW_NAME, sandboxed=False)
class SweepWorkflow:
    def __init__(self) -> None:
        self._spec: SweepSpec | None = None
        self._progress = SweepProgress()
        self._in_flight: dict[int, dict[str, Any]] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._finished: list[tuple[int, dict[str, Any], Any, str | None]] = []
        self._status = "RUNNING"
        self._stop_reason: str | None = None

    @workflow.query(name="status")
    def status(self) -> dict[str, Any]:
        return self._document()

    @workflow.run
    async def run(self, sweep: SweepInput) -> dict[str, Any]:
        spec, progress = sweep.spec, sweep.progress
        self._spec, self._progress = spec, progress
        if progress.started_at is None:
            progress.started_at = workflow.now().isoformat()
        workflow.upsert_search_attributes(
            [
                BATON_KIND.value_set("sweep"),
                BATON_NAME.value_set(spec.name),
                BATON_STATUS.value_set("RUNNING"),
            ]
        )
        launched = 0
        while True:
            while (
                self._stop_reason is None
                and len(self._in_flight) < spec.parallelism
                and progress.next_index < spec.total
                and launched < spec.trials_per_run
                and not workflow.info().is_continue_as_new_suggested()
            ):
                self._launch(progress.next_index)
                progress.next_index += 1
                launched += 1
            if not self._in_flight:
                break
            try:
                await workflow.wait_condition(lambda: bool(self._finished))
            except asyncio.CancelledError:
                # the sweep is cancelled: so are the trials it runs
                for task in self._tasks.values():
                    task.cancel()
                raise
            finished, self._finished = self._finished, []
            for index, params, output, error in finished:
                self._record(index, params, output, error)
        if self._stop_reason is None and progress.next_index < spec.total:
            # drained: nothing in flight, so nothing is lost by starting anew
            workflow.continue_as_new(SweepInput(spec, _next_generation(progress)))
        self._status = "COMPLETED" if progress.completed else "FAILED"
        workflow.upsert_search_attributes([BATON_STATUS.value_set(self._status)])
        return self._document()

    def _launch(self, index: int) -> None:
        assert self._spec is not None
        spec = self._spec
        params = trial_params(spec, index)
        self._in_flight[index] = params
        request = ActionRequest(
            workflow_id=workflow.info().workflow_id,
            step_id=f"trial-{index}",
            phase="forward",
            attempt=1,
            action={
                "type": "python",
                "function": spec.function,
                "kwargs": {**spec.kwargs, **params},
            },
            timeout_seconds=spec.timeout_seconds,
            origin=spec.origin,
        )

        async def trial() -> None:
            try:
                output = await workflow.execute_activity(
                    "baton.python",
                    request,
                    start_to_close_timeout=timedelta(seconds=spec.timeout_seconds),
                    # the activity heartbeats in the background: a dead
                    # worker's trial fails (or is retried) after this long,
                    # not after the whole timeout
                    heartbeat_timeout=TRIAL_HEARTBEAT_TIMEOUT,
                    retry_policy=RetryPolicy(maximum_attempts=spec.retries + 1),
                    activity_id=f"trial-{index}",
                )
                self._finished.append((index, params, output, None))
            except ActivityError as exc:
                cause = exc.cause
                message = cause.message if isinstance(cause, ApplicationError) else str(cause)
                self._finished.append((index, params, None, message or str(exc)))

        # kept until it ends: the event loop holds tasks only weakly
        self._tasks[index] = asyncio.create_task(trial(), name=f"trial-{index}")

    def _record(self, index: int, params: dict[str, Any], output: Any, error: str | None) -> None:
        assert self._spec is not None
        spec, progress = self._spec, self._progress
        del self._in_flight[index]
        self._tasks.pop(index, None)
        value: float | None = None
        if error is None:
            try:
                value = metric_of(output, spec.metric)
            except ValueError as exc:
                error = str(exc)
        if error is not None or value is None:
            progress.failed += 1
            failure = {"index": index, "params": params, "error": str(error)[:MAX_KEPT_ERROR]}
            progress.failures = [*progress.failures, failure][-RECENT_FAILURES:]
            return
        progress.completed += 1
        kept, omitted = kept_output(output)
        entry = {"index": index, "params": params, "metric": value, "output": kept}
        if omitted is not None:
            entry["output_omitted_bytes"] = omitted
        best = progress.best
        improved = best is None or better(spec, value, best["metric"])
        if improved:
            progress.since_improvement = 0
        else:
            progress.since_improvement += 1
        # a tie goes to the lower index: the best does not depend on which of
        # two equal trials finished first
        if improved or (best is not None and value == best["metric"] and index < best["index"]):
            progress.best = entry
        ranked = sorted(
            [*progress.top, entry],
            key=lambda e: (-e["metric"] if spec.goal == MAXIMIZE else e["metric"], e["index"]),
        )
        progress.top = ranked[: spec.top_k]
        if self._stop_reason is None and reaches(spec, value):
            self._stop_reason = (
                f"trial {index} reached {spec.metric} {value:g} (threshold {spec.threshold:g})"
            )
        elif (
            self._stop_reason is None
            and spec.patience is not None
            and progress.since_improvement >= spec.patience
        ):
            self._stop_reason = (
                f"no better {spec.metric} in the last {spec.patience} trials (patience)"
            )

    def _document(self) -> dict[str, Any]:
        spec, progress = self._spec, self._progress
        if spec is None:
            return {"kind": "sweep", "status": "PENDING"}
        total = spec.total
        return {
            "kind": "sweep",
            "name": spec.name,
            "workflow_id": workflow.info().workflow_id,
            "status": self._status,
            "metric": spec.metric,
            "goal": spec.goal,
            "trials": {
                "total": total,
                "completed": progress.completed,
                "failed": progress.failed,
                "in_flight": len(self._in_flight),
                "not_started": total - progress.next_index,
            },
            "progress": {"completed": progress.completed + progress.failed, "total": total},
            "generation": progress.generation,
            "stopped_early": self._stop_reason is not None,
            "stop_reason": self._stop_reason,
            "best": progress.best,
            "top": progress.top,
            "failures": progress.failures,
            "started_at": progress.started_at,
            "closed_at": workflow.now().isoformat() if self._status != "RUNNING" else None,
        }


def _next_generation(progress: SweepProgress) -> SweepProgress:
    carried = SweepProgress(**asdict(progress))
    carried.generation += 1
    return carried
