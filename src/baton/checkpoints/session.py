"""One step's checkpoints and progress: which checkpoint to resume from,
when the next is due, saving and pruning, and what each heartbeat carries.
Blocking I/O; the handles (:mod:`.handles`) run it off the event loop."""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..errors import CheckpointError
from .format import Saved, decode, encode
from .store import CheckpointStore

logger = logging.getLogger("baton.checkpoints")

# what heartbeat details may carry of a step's metrics
MAX_METRICS = 32
MAX_METRIC_TEXT = 200
DEFAULT_EVERY_SECONDS = 60.0
DEFAULT_KEEP = 3


@dataclass(frozen=True)
class Cadence:
    """When checkpoints are saved and how many are kept.

    ``every_steps``: a checkpoint is due once the step has advanced this much
    since the last one; ``every_seconds``: once this long has passed (either
    makes one due; with neither, every 60 s). ``keep``: the newest this many
    stay, older ones are deleted after each save. ``keep_after_success``:
    whether they stay once the step completed (by default they are deleted,
    so a later run with the same workflow id starts afresh)."""

    every_steps: int | None = None
    every_seconds: float | None = None
    keep: int = DEFAULT_KEEP
    keep_after_success: bool = False

    def __post_init__(self) -> None:
        if self.every_steps is not None and self.every_steps < 1:
            raise CheckpointError(f"every_steps must be at least 1, got {self.every_steps}")
        if self.every_seconds is not None and not (
            math.isfinite(self.every_seconds) and self.every_seconds > 0
        ):
            raise CheckpointError(f"every_seconds must be above 0, got {self.every_seconds}")
        if self.keep < 1:
            raise CheckpointError(f"keep must be at least 1, got {self.keep}")

    @property
    def seconds(self) -> float | None:
        if self.every_steps is None and self.every_seconds is None:
            return DEFAULT_EVERY_SECONDS
        return self.every_seconds


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).isoformat(timespec="milliseconds")


def clean_metrics(metrics: dict[str, Any] | None) -> dict[str, Any]:
    """Metrics as heartbeat details may carry them: numbers (non-finite ones
    as null), booleans and short texts, at most MAX_METRICS of them."""
    if not metrics:
        return {}
    cleaned: dict[str, Any] = {}
    for name, value in list(metrics.items())[:MAX_METRICS]:
        if hasattr(value, "item") and callable(value.item):  # a NumPy scalar
            try:
                value = value.item()
            except (TypeError, ValueError):
                pass
        if isinstance(value, bool) or value is None:
            cleaned[str(name)] = value
        elif isinstance(value, (int, float)):
            cleaned[str(name)] = value if math.isfinite(value) else None
        else:
            cleaned[str(name)] = str(value)[:MAX_METRIC_TEXT]
    return cleaned


class Session:
    """The checkpoints of one step (``key`` under ``store``) as it runs."""

    def __init__(
        self,
        store: CheckpointStore,
        key: str,
        cadence: Cadence,
        *,
        clock: Any = time.time,
    ) -> None:
        self.store = store
        self.key = key
        self.cadence = cadence
        self.clock = clock
        self.lock = threading.Lock()
        self.resumed: Saved | None = None
        # progress as last reported
        self.step = 0
        self.total: int | None = None
        self.metrics: dict[str, Any] = {}
        self.reported_at: float | None = None
        # the last checkpoint written (or resumed from)
        self.saved_step: int | None = None
        self.saved_at: float | None = None
        self.saved_bytes: int | None = None
        # where this attempt began, for the rate and the ETA
        self.started_at = clock()
        self.first_step = 0

    # ---- resuming ------------------------------------------------------------

    def resume(self) -> Saved | None:
        """Load the newest readable checkpoint (a damaged one — which the
        atomic write should make impossible — is skipped with a warning)."""
        for step in reversed(self.store.steps(self.key)):
            try:
                saved = decode(self.store.read(self.key, step), self.store.where(self.key, step))
            except CheckpointError as exc:
                logger.warning("skipping checkpoint: %s", exc)
                continue
            self.resumed = saved
            self.step = self.first_step = self.saved_step = saved.step
            self.metrics = dict(saved.metrics)
            self.saved_at = self.started_at
            return saved
        return None

    # ---- progress ------------------------------------------------------------

    def report(self, step: int, total: int | None, metrics: dict[str, Any] | None) -> None:
        with self.lock:
            self.step = int(step)
            if total is not None:
                self.total = int(total)
            if metrics:
                self.metrics = clean_metrics(metrics)
            self.reported_at = self.clock()

    def due(self, step: int) -> bool:
        """Whether a checkpoint at ``step`` is due by the cadence."""
        if self.saved_step is not None and step <= self.saved_step:
            return False
        done_since = step - (self.saved_step or 0)
        if self.cadence.every_steps is not None and done_since >= self.cadence.every_steps:
            return True
        seconds = self.cadence.seconds
        since = self.saved_at if self.saved_at is not None else self.started_at
        return seconds is not None and self.clock() - since >= seconds

    # ---- saving --------------------------------------------------------------

    def save(self, step: int, state: dict[str, Any], metrics: dict[str, Any] | None) -> int:
        """Write a checkpoint at ``step`` and prune old ones; its size in bytes."""
        now = self.clock()
        data = encode(step, state, clean_metrics(metrics) or self.metrics, _iso(now))
        self.store.write(self.key, step, data)
        with self.lock:
            self.saved_step, self.saved_at, self.saved_bytes = step, now, len(data)
        self.prune()
        logger.info(
            "checkpoint saved", extra={"checkpoint_key": self.key, "step": step, "bytes": len(data)}
        )
        return len(data)

    def prune(self) -> None:
        steps = self.store.steps(self.key)
        for step in steps[: max(0, len(steps) - self.cadence.keep)]:
            self.store.delete(self.key, step)
        self.store.sweep(self.key)

    def finish(self) -> None:
        """The step completed: its checkpoints go, unless asked to stay."""
        if self.cadence.keep_after_success:
            return
        for step in self.store.steps(self.key):
            self.store.delete(self.key, step)
        self.store.sweep(self.key)

    # ---- what heartbeats carry -------------------------------------------------

    def details(self) -> dict[str, Any]:
        """Progress for heartbeats (and so for ``baton status``): ``step``,
        ``total``, ``percent``, ``metrics``, the last ``checkpoint`` (its
        step, time and size), ``resumed_from``, ``at``, ``started_at`` of this
        attempt, the ``rate`` in steps per second and ``eta_at``. Never the
        store's URL or the state."""
        with self.lock:
            now = self.reported_at or self.clock()
            percent = round(100.0 * self.step / self.total, 1) if self.total else None
            rate = eta_at = None
            elapsed = now - self.started_at
            if self.step > self.first_step and elapsed > 0:
                rate = (self.step - self.first_step) / elapsed
                if self.total:
                    eta_at = _iso(now + max(0, self.total - self.step) / rate)
            return {
                "step": self.step,
                "total": self.total,
                "percent": percent,
                "metrics": dict(self.metrics),
                "checkpoint": (
                    {
                        "step": self.saved_step,
                        "saved_at": _iso(self.saved_at) if self.saved_at else None,
                        "bytes": self.saved_bytes,
                    }
                    if self.saved_step is not None
                    else None
                ),
                "resumed_from": self.resumed.step if self.resumed else None,
                "at": _iso(now),
                "started_at": _iso(self.started_at),
                "rate": round(rate, 6) if rate is not None else None,
                "eta_at": eta_at,
            }
