"""A parameter sweep as plain data: its spec, the progress one run carries to
the next, and the pure rules (a trial's parameters, its metric, what is
better). Imported by workflow code (:mod:`baton.engine.sweep`), so only
dataclasses and the standard library here. docs/sweeps.md.

The parameter set of trial ``i`` is a pure function of the spec and ``i``
(a grid decoded as a mixed-radix number, last parameter fastest; a random
draw from ``random.Random(f"{seed}:{i}")``), so a run carries only ``i``.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from typing import Any

MAXIMIZE, MINIMIZE = "maximize", "minimize"
RECENT_FAILURES = 5  # failures the status keeps (the newest)
# what a run carries to the next must stay far below Temporal's 2 MB payload
# limit: a trial's output is kept (in best and top) only up to this size,
# an error message up to MAX_KEPT_ERROR characters
MAX_KEPT_OUTPUT_BYTES = 8 * 1024
MAX_KEPT_ERROR = 1_000


@dataclass
class SweepSpec:
    """What to sweep. Exactly one of ``grid`` and ``ranges`` is set."""

    name: str
    function: str  # the trial: ``package.module:function``, called with kwargs
    metric: str  # a key of the trial's output (or the output itself, a number)
    goal: str = MAXIMIZE  # maximize | minimize
    # grid: parameter -> values; every combination, last parameter fastest
    grid: dict[str, list[Any]] = field(default_factory=dict)
    # random: parameter -> {low, high[, log][, integer]} or {choices: [...]}
    ranges: dict[str, dict[str, Any]] = field(default_factory=dict)
    samples: int = 0  # random: how many draws
    seed: int = 0  # random: draws are a function of (seed, trial index)
    kwargs: dict[str, Any] = field(default_factory=dict)  # fixed kwargs of every trial
    timeout_seconds: float = 300.0  # one trial
    retries: int = 0  # attempts after a trial's first failure
    parallelism: int = 4
    trials_per_run: int = 50  # trials per run before continuing as new
    threshold: float | None = None  # early stop when a trial reaches it
    patience: int | None = None  # early stop after this many trials without improvement
    top_k: int = 5
    origin: str = "api"  # the entry point the sweep came from (execution policy)
    # the parameters in the document's order: Temporal's JSON converter sorts
    # a dict's keys, so the order of ``grid``/``ranges`` does not survive
    order: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return self.order or list(self.grid or self.ranges)

    @property
    def total(self) -> int:
        if self.grid:
            return math.prod(len(values) for values in self.grid.values())
        return self.samples


@dataclass
class SweepProgress:
    """What one run hands the next when it continues as new (bounded)."""

    next_index: int = 0
    completed: int = 0
    failed: int = 0
    generation: int = 1  # this run's place in the chain, 1-based
    best: dict[str, Any] | None = None
    top: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)  # the newest few
    since_improvement: int = 0  # completed trials since the best last improved
    started_at: str | None = None


@dataclass
class SweepInput:
    spec: SweepSpec
    progress: SweepProgress = field(default_factory=SweepProgress)


def trial_params(spec: SweepSpec, index: int) -> dict[str, Any]:
    """The parameters of trial ``index`` (pure: the same on every replay and run)."""
    if spec.grid:
        params: dict[str, Any] = {}
        rest = index
        for name in reversed(spec.names):
            rest, position = divmod(rest, len(spec.grid[name]))
            params[name] = spec.grid[name][position]
        return {name: params[name] for name in spec.names}
    draw = random.Random(f"{spec.seed}:{index}")
    return {name: _draw(draw, spec.ranges[name]) for name in spec.names}


def _draw(draw: random.Random, rule: dict[str, Any]) -> Any:
    if "choices" in rule:
        return draw.choice(rule["choices"])
    low, high = float(rule["low"]), float(rule["high"])
    if rule.get("log"):
        value = math.exp(draw.uniform(math.log(low), math.log(high)))
    else:
        value = draw.uniform(low, high)
    return round(value) if rule.get("integer") else value


def metric_of(output: Any, metric: str) -> float:
    """The trial's metric: ``output[metric]``, or the output when it is a number."""
    value = output.get(metric) if isinstance(output, dict) else output
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValueError(f"the trial's output has no numeric {metric!r}: {str(output)[:200]}")
    return float(value)


def better(spec: SweepSpec, value: float, than: float) -> bool:
    return value > than if spec.goal == MAXIMIZE else value < than


def reaches(spec: SweepSpec, value: float) -> bool:
    if spec.threshold is None:
        return False
    return value >= spec.threshold if spec.goal == MAXIMIZE else value <= spec.threshold


def kept_output(output: Any) -> tuple[Any, int | None]:
    """The output as best and top keep it, and its size when it was left
    out for being larger than MAX_KEPT_OUTPUT_BYTES."""
    size = len(json.dumps(output, default=str, sort_keys=True).encode())
    return (output, None) if size <= MAX_KEPT_OUTPUT_BYTES else (None, size)
