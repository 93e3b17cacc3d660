"""``kind: sweep`` definitions: a parameter space, a trial (a ``python``
action), bounded parallelism, a metric and a goal, early stopping
(docs/sweeps.md). Validated into :class:`~baton.plan.sweep.SweepSpec`."""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import DefinitionError, Issue
from ..plan.sweep import SweepSpec
from .loader import parse_model

# a sweep's trials are counted, listed and kept in one workflow's input: a
# bigger space is a sign of a mistake (or of a job for a dedicated tuner)
MAX_SWEEP_TRIALS = 10_000
MAX_PARALLELISM = 100  # below the worker's 200 concurrent activities
MAX_TRIALS_PER_RUN = 500  # ~4.2 history events a trial (measured): ~2,100 events a run
MAX_TOP_K = 20
_CALLABLE_PATH = re.compile(
    r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$"
)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SweepTrial(_Model):
    """The function each trial calls, with the trial's parameters (and
    ``kwargs``) as keyword arguments. It returns a dict holding ``metric``
    (or the metric itself, a number)."""

    type: Literal["python"] = "python"
    function: str
    kwargs: dict[str, Any] = Field(default_factory=dict)
    timeout_seconds: float = Field(300.0, gt=0, le=86_400)
    retries: int = Field(0, ge=0, le=10)

    @field_validator("function")
    @classmethod
    def _import_path(cls, value: str) -> str:
        if not _CALLABLE_PATH.match(value):
            raise ValueError(f"function {value!r} must look like 'package.module:function'")
        return value


class RangeRule(_Model):
    """One parameter of a random space: ``choices``, or ``low``..``high``
    (``log: true`` draws log-uniformly, ``integer: true`` rounds)."""

    choices: list[Any] | None = Field(None, min_length=1)
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False

    @model_validator(mode="after")
    def _one_form(self) -> RangeRule:
        if self.choices is not None:
            if self.low is not None or self.high is not None:
                raise ValueError("give either choices or low and high, not both")
            return self
        if self.low is None or self.high is None:
            raise ValueError("give choices, or both low and high")
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.low >= self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        if self.log and self.low <= 0:
            raise ValueError(f"log: true needs low > 0, got {self.low:g}")
        return self


class RandomSpace(_Model):
    samples: int = Field(ge=1)
    seed: int = 0
    ranges: dict[str, RangeRule] = Field(min_length=1)


class SweepSpace(_Model):
    """Exactly one of ``grid`` (every combination) and ``random`` (draws)."""

    grid: dict[str, list[Any]] | None = None
    random: RandomSpace | None = None


class EarlyStop(_Model):
    threshold: float | None = None  # stop when a trial's metric reaches it
    patience: int | None = Field(None, ge=1)  # ... or after this many without improvement


class SweepDefinition(_Model):
    kind: Literal["sweep"] = "sweep"
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    trial: SweepTrial
    space: SweepSpace
    metric: str = Field(min_length=1)
    goal: str = "maximize"
    parallelism: int = Field(4, ge=1, le=MAX_PARALLELISM)
    trials_per_run: int = Field(50, ge=1, le=MAX_TRIALS_PER_RUN)
    early_stop: EarlyStop | None = None
    top_k: int = Field(5, ge=1, le=MAX_TOP_K)


def parse_sweep(data: dict[str, Any], source: str = "<dict>", origin: str = "api") -> SweepSpec:
    """Validate a ``kind: sweep`` document; every problem is an Issue with its path."""
    definition = parse_model(SweepDefinition, data, source)
    issues = _cross_field_issues(definition)
    if issues:
        raise DefinitionError(source, issues)
    space = definition.space
    stop = definition.early_stop or EarlyStop(threshold=None, patience=None)
    return SweepSpec(
        name=definition.name,
        function=definition.trial.function,
        metric=definition.metric,
        goal=definition.goal,
        grid=dict(space.grid or {}),
        ranges=(
            {
                name: rule.model_dump(exclude_none=True, exclude_defaults=True)
                for name, rule in space.random.ranges.items()
            }
            if space.random
            else {}
        ),
        samples=space.random.samples if space.random else 0,
        seed=space.random.seed if space.random else 0,
        kwargs=definition.trial.kwargs,
        timeout_seconds=definition.trial.timeout_seconds,
        retries=definition.trial.retries,
        parallelism=definition.parallelism,
        trials_per_run=definition.trials_per_run,
        threshold=stop.threshold,
        patience=stop.patience,
        top_k=definition.top_k,
        origin=origin,
        order=list(space.grid or {}) or list(space.random.ranges if space.random else {}),
    )


def _cross_field_issues(definition: SweepDefinition) -> list[Issue]:
    issues: list[Issue] = []
    if definition.goal not in ("maximize", "minimize"):
        issues.append(Issue("goal", f"unknown goal {definition.goal!r}; use maximize or minimize"))
    space = definition.space
    names: list[str] = []
    if (space.grid is None) == (space.random is None):
        issues.append(Issue("space", "give exactly one of space.grid and space.random"))
    elif space.grid is not None:
        if not space.grid:
            issues.append(Issue("space.grid", "must name at least one parameter"))
        for name, values in space.grid.items():
            if not values:
                issues.append(Issue(f"space.grid.{name}", "must list at least one value"))
        names = list(space.grid)
        total = math.prod(len(values) for values in space.grid.values())
        if total > MAX_SWEEP_TRIALS:
            sizes = " x ".join(str(len(v)) for v in space.grid.values())
            issues.append(
                Issue(
                    "space.grid",
                    f"has {total:,} combinations ({sizes}); at most {MAX_SWEEP_TRIALS:,}: "
                    "use fewer values, or space.random with samples",
                )
            )
    elif space.random is not None:
        names = list(space.random.ranges)
        if space.random.samples > MAX_SWEEP_TRIALS:
            issues.append(
                Issue(
                    "space.random.samples",
                    f"is {space.random.samples:,}; at most {MAX_SWEEP_TRIALS:,}",
                )
            )
    for name in names:
        if not _NAME.match(name):
            issues.append(Issue(f"space.{name}", f"{name!r} is not a Python keyword argument name"))
        if name in definition.trial.kwargs:
            issues.append(
                Issue(f"trial.kwargs.{name}", f"{name!r} is also a swept parameter; remove one")
            )
    if definition.trials_per_run < definition.parallelism:
        issues.append(
            Issue(
                "trials_per_run",
                f"({definition.trials_per_run}) is below parallelism "
                f"({definition.parallelism}): a run could never fill its slots",
            )
        )
    stop = definition.early_stop
    if stop is not None and stop.threshold is None and stop.patience is None:
        issues.append(Issue("early_stop", "give threshold, patience or both"))
    return issues
