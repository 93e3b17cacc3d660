"""Events in (docs/integrations.md, "Triggers"), on real brokers: a message
on a NATS subject, a Kafka topic or a Redis stream starts one run — a
message that comes again starts none — or reaches the run waiting for it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from baton.config import BatonFile
from baton.errors import ConfigError
from baton.integrations.triggers import parse_triggers
from baton.testing import until
from tests.support.brokers import kafka_broker, nats_server, redis_server

GREET = """\
document: {dsl: "1.0.0", namespace: test, name: greet, version: "1.0.0"}
do:
  - hello:
      set:
        greeting: ${ "hello " + .name }
"""


def cloud(event_id: str, data: Any, type_: str = "order.created") -> bytes:
    return json.dumps(
        {"specversion": "1.0", "id": event_id, "type": type_, "source": "test", "data": data}
    ).encode()


def trigger_file(tmp_path: Path, source: dict[str, Any], **what: Any) -> BatonFile:
    """A trigger that reads its source from the beginning (the test may send
    before the worker's consumer has joined)."""
    (tmp_path / "greet.yaml").write_text(GREET)
    trigger = {"name": "orders", "source": source, "begin": "all", **what}
    return BatonFile(path=tmp_path / "baton.yaml", triggers=[trigger])


async def completed(env: Any, workflow_id: str) -> dict[str, Any]:
    async def ended() -> Any:
        try:
            state = await env.client.status(workflow_id)
        except Exception:  # noqa: BLE001 - not started yet
            return None
        return state if state.get("closed_at") else None

    return await until(ended, timeout=30)


async def runs_named(env: Any, prefix: str) -> list[str]:
    rows = await env.client.list_runs(query=f"WorkflowId STARTS_WITH '{prefix}'")
    return sorted(r["workflow_id"] for r in rows)


async def test_a_nats_message_starts_one_run_and_again_none(worker_factory, tmp_path):
    import nats

    with nats_server() as url:
        baton_file = trigger_file(
            tmp_path, {"type": "nats", "url": url, "subject": "orders.created"}, start="greet.yaml"
        )
        async with worker_factory(baton_file) as env:
            connection = await nats.connect(url)
            js = connection.jetstream()

            async def stream_made() -> bool:
                try:
                    await js.find_stream_name_by_subject("orders.created")
                    return True
                except nats.js.errors.NotFoundError:
                    return False

            await until(stream_made, timeout=20)
            await js.publish("orders.created", cloud("o-1", {"name": "ada"}))
            await js.publish("orders.created", cloud("o-2", {"name": "bob"}))
            await js.publish("orders.created", cloud("o-1", {"name": "ada"}))  # again (a new entry)
            first = await completed(env, "orders-o-1")
            second = await completed(env, "orders-o-2")
            await asyncio.sleep(1.5)  # the repeat had its time
            started = await runs_named(env, "orders-")
            await connection.close()
    assert first["output"] == {"greeting": "hello ada"}
    assert second["output"] == {"greeting": "hello bob"}
    assert started == ["orders-o-1", "orders-o-2"]


async def test_a_kafka_message_reaches_the_run_waiting_for_it(worker_factory, tmp_path):
    from aiokafka import AIOKafkaProducer

    with kafka_broker() as servers:
        baton_file = trigger_file(
            tmp_path,
            {"type": "kafka", "bootstrap_servers": servers, "topic": "payments"},
            event_type="payment.received",
        )
        async with worker_factory(baton_file) as env:
            waiting = await env.client.start(
                {
                    "document": {
                        "dsl": "1.0.0",
                        "namespace": "t",
                        "name": "pay",
                        "version": "1.0.0",
                    },
                    "do": [
                        {
                            "paid": {
                                "listen": {"to": {"one": {"with": {"type": "payment.received"}}}}
                            }
                        }
                    ],
                }
            )

            async def listening() -> bool:
                state = await env.client.status(waiting.workflow_id)
                return state.get("waiting_for") == ["payment.received"]

            await until(listening, timeout=30)
            producer = AIOKafkaProducer(bootstrap_servers=servers)
            await producer.start()
            await producer.send_and_wait("payments", json.dumps({"amount": 12}).encode())
            await producer.stop()
            result = await asyncio.wait_for(waiting.result(), 60)
    assert result["status"] == "COMPLETED"
    received = [a for a in result["audit"] if a["event"] == "event_received"]
    assert (
        len(received) == 1 and "payment.received from baton-trigger:orders" in received[0]["detail"]
    )


async def test_redis_stream_entries_with_one_id_start_one_run(worker_factory, tmp_path):
    import redis.asyncio as aioredis

    with redis_server() as url:
        baton_file = trigger_file(
            tmp_path, {"type": "redis", "url": url, "stream": "orders"}, start="greet.yaml"
        )
        redis = aioredis.from_url(url)
        await redis.xadd("orders", {"event": cloud("r-1", {"name": "cy"})})
        await redis.xadd("orders", {"event": cloud("r-1", {"name": "cy"})})
        async with worker_factory(baton_file) as env:
            run = await completed(env, "orders-r-1")
            await asyncio.sleep(1.5)
            started = await runs_named(env, "orders-r-")

            async def acknowledged() -> bool:
                pending = await redis.xpending("orders", "orders")
                return pending["pending"] == 0

            await until(acknowledged, timeout=10)
        await redis.aclose()
    assert run["output"] == {"greeting": "hello cy"}
    assert started == ["orders-r-1"]


def test_a_trigger_says_what_is_wrong_with_it(tmp_path):
    for triggers, message in (
        ([{"name": "x", "source": {"type": "nats", "url": "nats://h"}}], "subject"),
        (
            [{"name": "x", "source": {"type": "redis", "url": "redis://h", "stream": "s"}}],
            "either start",
        ),
        ([{"name": "x y", "source": {"type": "kafka"}}], r"triggers\[0\]\.name"),
    ):
        with pytest.raises(ConfigError, match=message):
            parse_triggers(BatonFile(path=tmp_path / "baton.yaml", triggers=triggers))
