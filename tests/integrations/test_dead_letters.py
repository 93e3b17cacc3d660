"""Dead letters (docs/integrations.md, "Dead letters"): a trigger's message
no run takes and a run that ended failed are kept, and redriven — once,
however often asked."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

import pytest

from baton.config import BatonFile
from baton.integrations.deadletters import DeadLetters, redrive
from baton.testing import until
from tests.support.brokers import redis_server
from tests.support.cli import baton_cli
from tests.support.sagas import api, saga, step

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_an_event_no_run_took_is_kept_and_redriven_once(worker_factory, tmp_path):
    import redis.asyncio as aioredis

    with redis_server() as url:
        baton_file = BatonFile(
            path=tmp_path / "baton.yaml",
            triggers=[
                {
                    "name": "payments",
                    "source": {"type": "redis", "url": url, "stream": "payments"},
                    "event_type": "paid",
                    "begin": "all",
                }
            ],
        )
        redis = aioredis.from_url(url)
        async with worker_factory(baton_file, home=tmp_path) as env:
            await redis.xadd("payments", {"data": json.dumps({"amount": 3})})
            store = DeadLetters(tmp_path)

            async def kept() -> Any:
                return [x for x in store.list() if x["kind"] == "event"]

            [letter] = await until(kept, timeout=20)
            assert "no running run waits for events of type 'paid'" in letter["reason"]
            waiting = await env.client.start(
                {
                    "document": {"dsl": "1.0.0", "namespace": "t", "name": "w", "version": "1.0.0"},
                    "do": [{"paid": {"listen": {"to": {"one": {"with": {"type": "paid"}}}}}}],
                }
            )

            async def listening() -> bool:  # as the visibility store says (what redrive asks)
                return waiting.workflow_id in await env.client.events.waiting_runs("paid")

            await until(listening, timeout=30)
            first = await redrive(env.settings, env.client, store, letter["id"])
            second = await redrive(env.settings, env.client, store, letter["id"])
            result = await asyncio.wait_for(waiting.result(), 30)
            store.close()
        await redis.aclose()
    assert first == second  # the event's own id, both times
    assert result["status"] == "COMPLETED"
    taken = [a for a in result["audit"] if a["event"] == "event_received"]
    assert len(taken) == 1  # redriven twice, taken once


async def test_a_failed_run_is_kept_and_redriven_as_one_new_run(worker_factory, services, tmp_path):
    baton_file = BatonFile(dead_letters={"runs": True})
    services.state.failures["/accounts"] = 1
    definition = saga(step("pay", api(f"{services.url}/accounts")), saga_id="dead")
    async with worker_factory(baton_file, home=tmp_path) as env:
        failed = await env.run_saga(definition)
        assert failed["status"] == "COMPENSATED"
        store = DeadLetters(tmp_path)
        [letter] = [x for x in store.list() if x["kind"] == "run"]
        assert letter["reason"].startswith("ended COMPENSATED")
        made = await redrive(env.settings, env.client, store, letter["id"])
        again = await redrive(env.settings, env.client, store, letter["id"])
        rerun = await env.client.wait(made)
        listed = await baton_cli(env.settings, "dlq", "list", "--json")
        store.close()
    assert made == again == f"{failed['workflow_id']}-redrive"
    assert rerun["status"] == "COMPLETED"
    assert services.state.count("POST", "/accounts") == 2  # the failure, then the redrive: once
    assert json.loads(listed[1])[0]["redriven_as"] == made


async def test_a_failed_non_critical_step_is_kept_and_redriven_once(
    worker_factory, services, tmp_path
):
    """The run goes on without the step; its letter redrives the step alone,
    filled in from the run's outputs, as ``<id>-<step>-redrive``."""
    baton_file = BatonFile(dead_letters={"steps": True})
    services.state.failures["/hooks/notify"] = 2  # both attempts of the run fail
    definition = saga(
        step("user", api(f"{services.url}/users")),
        step(
            "notify",
            api(f"{services.url}/hooks/notify", payload={"user": "{user_id}"}),
            critical=False,
            retry_count=1,
        ),
        saga_id="welcome",
    )
    async with worker_factory(baton_file, home=tmp_path) as env:
        done = await env.run_saga(definition)
        store = DeadLetters(tmp_path)
        [letter] = [x for x in store.list() if x["kind"] == "step"]
        made = await redrive(env.settings, env.client, store, letter["id"])
        again = await redrive(env.settings, env.client, store, letter["id"])
        rerun = await env.client.wait(made)
        store.close()
    assert done["status"] == "COMPLETED"
    assert letter["reason"].startswith("failed after 2 attempts:")
    assert letter["source"] == f"run {done['workflow_id']}, step notify"
    assert made == again == f"{done['workflow_id']}-notify-redrive"
    assert rerun["status"] == "COMPLETED"
    calls = [c for c in services.state.calls if c.path == "/hooks/notify"]
    assert len(calls) == 3  # two failed attempts, then the redrive: once
    assert calls[-1].body == {"user": "u-1"}  # the run's output, filled in


async def test_a_new_dead_letter_is_an_event_to_the_sinks(worker_factory, services, tmp_path):
    import redis.asyncio as aioredis

    services.state.failures["/accounts"] = 1
    with redis_server() as url:
        baton_file = BatonFile(
            dead_letters={"runs": True},
            events={"sinks": [{"type": "redis", "url": url, "stream": "baton:events"}]},
        )
        async with worker_factory(baton_file, home=tmp_path) as env:
            failed = await env.run_saga(
                saga(step("pay", api(f"{services.url}/accounts")), saga_id="dead")
            )
            redis = aioredis.from_url(url)

            async def published() -> Any:
                entries = await redis.xrange("baton:events")
                found = [
                    json.loads(fields[b"event"])
                    for _, fields in entries
                    if fields.get(b"type") == b"dev.baton.dead_letter"
                ]
                return found or None

            [event] = await until(published, timeout=20)
            await redis.aclose()
    assert event["type"] == "dev.baton.dead_letter"
    assert event["data"]["kind"] == "run"
    assert event["data"]["id"].startswith(f"dl-run-{failed['workflow_id']}-")
    assert event["subject"] == event["data"]["id"]


async def test_letters_in_redis_are_seen_by_any_dlq_and_redriven_once(
    worker_factory, services, tmp_path
):
    """dead_letters.store: redis — the worker's letter is an entry of the
    stream, and `baton dlq` on another home (another machine) lists,
    redrives and drops it."""
    import redis.asyncio as aioredis
    import yaml

    services.state.failures["/accounts"] = 1
    with redis_server() as url:
        section = {"runs": True, "store": "redis", "redis": url}
        worker_home, cli_home = tmp_path / "worker", tmp_path / "elsewhere"
        worker_home.mkdir()
        cli_home.mkdir()
        (cli_home / "baton.yaml").write_text(yaml.safe_dump({"dead_letters": section}))
        async with worker_factory(BatonFile(dead_letters=section), home=worker_home) as env:
            failed = await env.run_saga(
                saga(step("pay", api(f"{services.url}/accounts")), saga_id="dead")
            )
            redis = aioredis.from_url(url)
            entries = await redis.xrange("baton:dead-letters")
            await redis.aclose()
            elsewhere = replace(env.settings, home=cli_home)
            code, listed, err = await baton_cli(elsewhere, "dlq", "list", "--json", cwd=cli_home)
            assert code == 0, err
            [letter] = json.loads(listed)
            code, first, err = await baton_cli(
                elsewhere, "dlq", "redrive", letter["id"], cwd=cli_home
            )
            assert code == 0, err
            code, second, _ = await baton_cli(
                elsewhere, "dlq", "redrive", letter["id"], cwd=cli_home
            )
            rerun = await env.client.wait(f"{failed['workflow_id']}-redrive")
            code, shown, _ = await baton_cli(elsewhere, "dlq", "show", letter["id"], cwd=cli_home)
            redriven_as = json.loads(shown)["redriven_as"]
            code, _, _ = await baton_cli(elsewhere, "dlq", "drop", letter["id"], cwd=cli_home)
            code, after, _ = await baton_cli(elsewhere, "dlq", "list", "--json", cwd=cli_home)
    assert len(entries) == 1 and entries[0][1][b"kind"] == b"run"
    assert letter["kind"] == "run" and letter["source"] == f"run {failed['workflow_id']}"
    assert f"-> {failed['workflow_id']}-redrive" in first and first.strip() == second.strip()
    assert rerun["status"] == "COMPLETED"
    assert services.state.count("POST", "/accounts") == 2
    assert redriven_as == f"{failed['workflow_id']}-redrive"
    assert json.loads(after) == []
    assert not (worker_home / "dead-letters.db").exists() or not DeadLetters(worker_home).list()


def test_a_letter_redis_does_not_take_is_kept_on_this_machine(tmp_path):
    from baton.config import Settings
    from baton.integrations.deadletters import open_dead_letters
    from baton.testing import free_port

    settings = Settings.from_env({"BATON_HOME": str(tmp_path)})
    down = f"redis://127.0.0.1:{free_port()}/0"
    store = open_dead_letters(
        settings, BatonFile(dead_letters={"runs": True, "store": "redis", "redis": down})
    )
    letter_id = store.add("run", "run x", "ended FAILED", {"workflow_id": "x"})
    kept = DeadLetters(tmp_path).show(letter_id)
    store.close()
    assert kept["reason"] == "ended FAILED"
