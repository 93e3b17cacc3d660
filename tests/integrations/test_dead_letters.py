"""Dead letters (docs/integrations.md, "Dead letters"): a trigger's message
no run takes and a run that ended failed are kept, and redriven — once,
however often asked."""

from __future__ import annotations

import asyncio
import json
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
