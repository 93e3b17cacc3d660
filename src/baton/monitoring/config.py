"""The ``monitoring:`` section of baton.yaml: thresholds of the health
checks and the recovery policies the monitor applies (docs/operations.md)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from .health import Thresholds
from .policies import RecoveryPolicy, parse_policy

if TYPE_CHECKING:
    from ..config import Settings

# an idle worker polls the embedded server again every 10 s (devserver's
# matching.longPollExpirationInterval), a stock server every 60 s
EMBEDDED_WORKER_SILENCE_SECONDS = 20.0


@dataclass(frozen=True)
class MonitoringConfig:
    thresholds_set: dict[str, float] = field(default_factory=dict)
    policies: tuple[RecoveryPolicy, ...] = ()
    # how many runs a sweep looks at, newest first (open runs and runs that
    # ended since the previous sweep)
    sweep_limit: int = 1000

    def thresholds(self, settings: Settings | None = None) -> Thresholds:
        """The thresholds, with the worker-silence default of the server in use."""
        chosen = Thresholds(**self.thresholds_set)  # type: ignore[arg-type]
        if (
            settings is not None
            and settings.embedded
            and "worker_silence_seconds" not in self.thresholds_set
        ):
            chosen = replace(chosen, worker_silence_seconds=EMBEDDED_WORKER_SILENCE_SECONDS)
        return chosen


def parse_monitoring(path: Path, section: Any) -> MonitoringConfig:
    if section is None:
        return MonitoringConfig()
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: monitoring: expected a mapping (thresholds, policies)")
    allowed = {"thresholds", "policies", "sweep_limit"}
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise ConfigError(
            f"{path}: monitoring: unknown key(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )
    names = {f.name for f in fields(Thresholds)}
    thresholds: dict[str, float] = {}
    for key, value in (section.get("thresholds") or {}).items():
        if key not in names:
            raise ConfigError(
                f"{path}: monitoring.thresholds.{key}: unknown; known: {', '.join(sorted(names))}"
            )
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(
                f"{path}: monitoring.thresholds.{key}: expected a number ≥ 0, got {value!r}"
            )
        thresholds[key] = value
    raw_policies = section.get("policies") or []
    if not isinstance(raw_policies, list):
        raise ConfigError(f"{path}: monitoring.policies: expected a list of policies")
    policies = []
    for index, raw in enumerate(raw_policies):
        try:
            policies.append(parse_policy(raw))
        except ValueError as exc:
            raise ConfigError(f"{path}: monitoring.policies[{index}]: {exc}") from None
    ids = [p.policy_id for p in policies]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ConfigError(
            f"{path}: monitoring.policies: policy_id {', '.join(duplicated)} is used twice"
        )
    limit = section.get("sweep_limit", 1000)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ConfigError(f"{path}: monitoring.sweep_limit: expected a whole number ≥ 1")
    return MonitoringConfig(thresholds, tuple(policies), limit)
