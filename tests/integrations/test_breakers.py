"""Circuit breakers per target host (docs/integrations.md, "Circuit
breakers"), on the api_call executor itself and a real local HTTP service:
they open after failures in a row, fail fast or wait while open, half-open
after their reset, close on a probe that succeeds — in one worker, or
shared by workers through a real redis-server."""

from __future__ import annotations

import asyncio
import time

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from baton.actions.breakers import BreakerRules, MemoryBreakers, parse_breakers
from baton.actions.http import HttpAction
from baton.actions.types import ActionRequest
from baton.errors import ConfigError
from baton.integrations import emitting
from baton.integrations.outbox import Outbox
from tests.support.brokers import redis_server


def call(url: str) -> ActionRequest:
    return ActionRequest(
        workflow_id="w",
        step_id="s",
        phase="forward",
        attempt=1,
        action={"type": "api_call", "url": url, "method": "POST"},
        timeout_seconds=30,
    )


async def attempt(http: HttpAction, url: str) -> str:
    try:
        await ActivityEnvironment().run(http.api_call, call(url))
    except ApplicationError as exc:
        return str(exc.type)
    return "ok"


async def test_a_breaker_opens_fails_fast_half_opens_and_closes(services, tmp_path):
    config = parse_breakers(
        {"failure_threshold": 2, "reset_seconds": 0.5, "on_open": "fail"}, "baton.yaml", None
    )
    http = HttpAction(breakers=config)
    services.state.failures["/accounts"] = 2
    outbox = Outbox(tmp_path / "outbox.db")
    emitting.install(outbox, "test", "default")  # ActivityEnvironment's task queue
    try:
        outcomes = [await attempt(http, f"{services.url}/accounts") for _ in range(3)]
        assert outcomes == ["HttpStatusError", "HttpStatusError", "CircuitOpen"]
        assert services.state.count("POST", "/accounts") == 2  # the third never left
        await asyncio.sleep(0.6)  # half-open: one probe goes, succeeds, closes it
        assert await attempt(http, f"{services.url}/accounts") == "ok"
        assert await attempt(http, f"{services.url}/accounts") == "ok"
        other = f"{services.url.replace('127.0.0.1', 'localhost')}/users"
        assert await attempt(http, other) == "ok"  # another host has its own breaker
        told = [e["type"] for _, e in outbox.after("reader")]
        assert told == ["dev.baton.breaker.opened", "dev.baton.breaker.closed"]
    finally:
        emitting.uninstall("test")
        outbox.close()
        await http.aclose()


async def test_while_open_a_call_waits_for_the_half_open(services):
    config = parse_breakers({"failure_threshold": 1, "reset_seconds": 0.8}, "baton.yaml", None)
    http = HttpAction(breakers=config)
    services.state.failures["/accounts"] = 1
    try:
        assert await attempt(http, f"{services.url}/accounts") == "HttpStatusError"
        started = time.monotonic()
        assert await attempt(http, f"{services.url}/accounts") == "ok"  # waited, then probed
        assert time.monotonic() - started >= 0.6
    finally:
        await http.aclose()


async def test_workers_share_breakers_through_redis(services):
    with redis_server() as url:
        config = parse_breakers(
            {"failure_threshold": 2, "reset_seconds": 30, "on_open": "fail", "redis": url},
            "baton.yaml",
            None,
        )
        one, two = HttpAction(breakers=config), HttpAction(breakers=config)
        services.state.failures["/accounts"] = 5
        try:
            assert await attempt(one, f"{services.url}/accounts") == "HttpStatusError"
            assert await attempt(two, f"{services.url}/accounts") == "HttpStatusError"
            # opened by the two of them together: both see it open
            assert await attempt(one, f"{services.url}/accounts") == "CircuitOpen"
            assert await attempt(two, f"{services.url}/accounts") == "CircuitOpen"
            assert services.state.count("POST", "/accounts") == 2
        finally:
            await one.aclose()
            await two.aclose()


async def test_the_state_machine_in_memory():
    breakers, rules = MemoryBreakers(), BreakerRules(failure_threshold=2, reset_seconds=0.05)
    assert (await breakers.ask("h", rules)).go
    assert await breakers.tell("h", rules, False, False) == "closed"
    assert await breakers.tell("h", rules, True, False) == "closed"  # a success resets the count
    assert await breakers.tell("h", rules, False, False) == "closed"
    assert await breakers.tell("h", rules, False, False) == "open"
    closed = await breakers.ask("h", rules)
    assert not closed.go and closed.state == "open"
    await asyncio.sleep(0.06)
    probe = await breakers.ask("h", rules)
    assert probe.go and probe.probe and probe.state == "half_open"
    assert not (await breakers.ask("h", rules)).go  # one probe at a time
    assert await breakers.tell("h", rules, False, True) == "open"  # the probe failed


def test_a_bad_breaker_setting_is_said():
    for section, message in (
        ({"failure_threshold": 0}, "failure_threshold: expected a number of at least 1"),
        ({"on_open": "panic"}, "on_open: wait or fail"),
        ({"hosts": {"h": {"redis": "x"}}}, "hosts.h: unknown key"),
        ({"bogus": 1}, "unknown key"),
    ):
        with pytest.raises(ConfigError, match=message):
            parse_breakers(section, "baton.yaml", None)
    assert parse_breakers(None, "baton.yaml", None) is None
