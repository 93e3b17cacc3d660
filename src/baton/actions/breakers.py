"""Circuit breakers per target host (docs/integrations.md, "Circuit
breakers"): after ``failure_threshold`` failed calls in a row a host's
breaker opens, and calls to it stop for ``reset_seconds``; then it is
half-open — ``half_open_calls`` calls go through as probes — and a probe
that succeeds closes it, one that fails opens it again. A step that meets
an open breaker waits for the half-open (``on_open: wait``, the default;
the attempt heartbeats as it waits, so its timeout still counts) or fails
at once (``on_open: fail``, not retried).

Kept in this worker's memory, or shared by every worker in Redis
(``circuit_breakers.redis``, or the seed's ``REDIS_HOST``): the hash
``breakers:<host>`` with ``state``, ``failures`` and ``opened_at`` —
changed atomically by one Lua script per call, so workers never race a
breaker open or closed.

``circuit_breakers:`` in the worker's baton.yaml::

    circuit_breakers:
      failure_threshold: 5      # failed calls in a row that open a breaker
      reset_seconds: 30         # how long it stays open
      half_open_calls: 1        # probes let through when half-open
      on_open: wait             # or fail
      hosts:                    # per host, over the above
        payments.company.com: {failure_threshold: 3, reset_seconds: 60}
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import ConfigError

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"
STATES = (CLOSED, OPEN, HALF_OPEN)


@dataclass(frozen=True)
class BreakerRules:
    failure_threshold: int = 5
    reset_seconds: float = 30.0
    half_open_calls: int = 1
    on_open: str = "wait"


@dataclass(frozen=True)
class BreakerConfig:
    rules: BreakerRules = field(default_factory=BreakerRules)
    hosts: dict[str, BreakerRules] = field(default_factory=dict)
    redis: str | None = None

    def for_host(self, host: str) -> BreakerRules:
        return self.hosts.get(host, self.rules)


def parse_breakers(section: Any, where: str, redis_url: str | None) -> BreakerConfig | None:
    """``circuit_breakers:`` (None: no breakers)."""
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: circuit_breakers: expected a mapping")
    base = _rules(section, BreakerRules(), f"{where}: circuit_breakers", ("hosts", "redis"))
    hosts: dict[str, BreakerRules] = {}
    for host, value in (section.get("hosts") or {}).items():
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: circuit_breakers.hosts.{host}: expected a mapping")
        hosts[str(host).lower()] = _rules(value, base, f"{where}: circuit_breakers.hosts.{host}")
    redis = section.get("redis") or redis_url
    return BreakerConfig(base, hosts, str(redis) if redis else None)


RULE_KEYS = ("failure_threshold", "reset_seconds", "half_open_calls", "on_open")


def _rules(
    section: dict[str, Any], over: BreakerRules, at: str, extra: tuple[str, ...] = ()
) -> BreakerRules:
    unknown = sorted(set(section) - set(RULE_KEYS) - set(extra))
    if unknown:
        raise ConfigError(
            f"{at}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(RULE_KEYS + extra)}"
        )
    rules = over
    for key, kind, low in (
        ("failure_threshold", int, 1),
        ("reset_seconds", float, 0.01),
        ("half_open_calls", int, 1),
    ):
        if key in section:
            value = section[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
                raise ConfigError(f"{at}.{key}: expected a number of at least {low}")
            changes: dict[str, Any] = {key: kind(value)}
            rules = replace(rules, **changes)
    if "on_open" in section:
        if section["on_open"] not in ("wait", "fail"):
            raise ConfigError(f"{at}.on_open: wait or fail, got {section['on_open']!r}")
        rules = replace(rules, on_open=section["on_open"])
    return rules


@dataclass
class Verdict:
    """What a breaker says to one call: go (``probe``: as a half-open
    probe), or wait ``wait_seconds`` before asking again."""

    go: bool
    state: str
    wait_seconds: float = 0.0
    probe: bool = False
    failures: int = 0


class MemoryBreakers:
    """This worker's breakers (no Redis configured)."""

    def __init__(self) -> None:
        self._state: dict[str, dict[str, Any]] = {}
        self._lock = asyncio.Lock()

    async def ask(self, host: str, rules: BreakerRules) -> Verdict:
        async with self._lock:
            b = self._state.setdefault(
                host, {"state": CLOSED, "failures": 0, "opened_at": 0.0, "probes": 0}
            )
            now = time.time()
            if b["state"] == OPEN:
                left = b["opened_at"] + rules.reset_seconds - now
                if left > 0:
                    return Verdict(False, OPEN, left, failures=b["failures"])
                b["state"], b["probes"] = HALF_OPEN, 0
            if b["state"] == HALF_OPEN:
                if b["probes"] >= rules.half_open_calls:
                    return Verdict(False, HALF_OPEN, min(1.0, rules.reset_seconds))
                b["probes"] += 1
                return Verdict(True, HALF_OPEN, probe=True)
            return Verdict(True, CLOSED, failures=b["failures"])

    async def tell(self, host: str, rules: BreakerRules, ok: bool, probe: bool) -> str:
        """The call's outcome; the breaker's state after it."""
        async with self._lock:
            b = self._state.setdefault(
                host, {"state": CLOSED, "failures": 0, "opened_at": 0.0, "probes": 0}
            )
            if ok:
                if b["state"] != OPEN:
                    b.update(state=CLOSED, failures=0, probes=0)
                return str(b["state"])
            b["failures"] += 1
            if (probe and b["state"] == HALF_OPEN) or (
                b["state"] == CLOSED and b["failures"] >= rules.failure_threshold
            ):
                b.update(state=OPEN, opened_at=time.time(), probes=0)
            return str(b["state"])

    async def close(self) -> None:
        return None


# KEYS[1] the breaker's hash; ARGV: now, threshold, reset, half_open_calls
_ASK = """
local b = redis.call('HGETALL', KEYS[1])
local s = {}
for i = 1, #b, 2 do s[b[i]] = b[i + 1] end
local state = s['state'] or 'closed'
local failures = tonumber(s['failures'] or '0')
local now = tonumber(ARGV[1])
if state == 'open' then
  local left = tonumber(s['opened_at'] or '0') + tonumber(ARGV[3]) - now
  if left > 0 then return {0, 'open', tostring(left), 0, failures} end
  state = 'half_open'
  redis.call('HSET', KEYS[1], 'state', 'half_open', 'probes', '0')
  s['probes'] = '0'
end
if state == 'half_open' then
  local probes = tonumber(s['probes'] or '0')
  if probes >= tonumber(ARGV[4]) then return {0, 'half_open', '1', 0, failures} end
  redis.call('HINCRBY', KEYS[1], 'probes', 1)
  return {1, 'half_open', '0', 1, failures}
end
return {1, 'closed', '0', 0, failures}
"""
# KEYS[1]; ARGV: now, threshold, ok (1/0), probe (1/0)
_TELL = """
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if ARGV[3] == '1' then
  if state ~= 'open' then
    redis.call('HSET', KEYS[1], 'state', 'closed', 'failures', '0', 'probes', '0')
    return 'closed'
  end
  return state
end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if (ARGV[4] == '1' and state == 'half_open') or
   (state == 'closed' and failures >= tonumber(ARGV[2])) then
  redis.call('HSET', KEYS[1], 'state', 'open', 'opened_at', ARGV[1], 'probes', '0')
  return 'open'
end
return state
"""


class RedisBreakers:
    """Breakers every worker shares (Redis hashes ``breakers:<host>``)."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as aioredis

        self._redis: Any = aioredis.from_url(url)
        self._ask = self._redis.register_script(_ASK)
        self._tell = self._redis.register_script(_TELL)

    async def ask(self, host: str, rules: BreakerRules) -> Verdict:
        go, state, wait, probe, failures = await self._ask(
            keys=[f"breakers:{host}"],
            args=[time.time(), rules.failure_threshold, rules.reset_seconds, rules.half_open_calls],
        )
        return Verdict(bool(go), _text(state), float(_text(wait)), bool(probe), int(failures or 0))

    async def tell(self, host: str, rules: BreakerRules, ok: bool, probe: bool) -> str:
        return _text(
            await self._tell(
                keys=[f"breakers:{host}"],
                args=[
                    time.time(),
                    rules.failure_threshold,
                    "1" if ok else "0",
                    "1" if probe else "0",
                ],
            )
        )

    async def close(self) -> None:
        await self._redis.aclose()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
