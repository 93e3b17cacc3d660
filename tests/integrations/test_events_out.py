"""Lifecycle events out (docs/integrations.md): every event of a run, in
order, as CloudEvents with stable ids, to a webhook and to a real
redis-server (its stream and the seed's keys); a sink that is down loses
nothing and catches up; a replay makes no event."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from temporalio.worker import Replayer

from baton.config import BatonFile
from baton.engine.approval import HumanApprovalWorkflow
from baton.engine.interpreter import ProcessWorkflow
from baton.integrations import emitting
from baton.integrations.outbox import Outbox
from baton.testing import StandInServices, assert_eventually, free_port, until
from tests.support.brokers import redis_server
from tests.support.sagas import api, saga, step

pytestmark = pytest.mark.asyncio(loop_scope="session")
HISTORIES = Path(__file__).resolve().parents[1] / "histories"


def failing_saga(url: str) -> dict[str, Any]:
    return saga(
        step("user", api(f"{url}/users"), api(f"{url}/users/{{user.user_id}}", "DELETE")),
        step("pay", api(f"{url}/nowhere"), dependencies=["user"]),
        saga_id="events-out",
    )


def received(services: StandInServices, path: str) -> list[dict[str, Any]]:
    return [c.body for c in services.state.calls if c.path == path]


async def test_a_runs_events_reach_a_webhook_and_redis_in_order(worker_factory, services):
    with redis_server() as url:
        sinks = [
            {"type": "webhook", "url": f"{services.url}/hooks/events"},
            {"type": "redis", "url": url},
        ]
        redis = aioredis.from_url(url)
        failures = redis.pubsub()
        await failures.subscribe("events:errors:workflow_failures")
        try:
            async with worker_factory(BatonFile(events={"sinks": sinks})) as env:
                result = await env.run_saga(failing_saga(services.url))
                workflow_id = result["workflow_id"]
                await assert_eventually(
                    lambda: any(
                        e["type"] == "dev.baton.run.compensated"
                        for e in received(services, "/hooks/events")
                    )
                )
                stream = await redis.xrange("baton:events")
                state = await redis.hgetall(f"workflows:{workflow_id}:state")
                ttl = await redis.ttl(f"workflows:{workflow_id}:state")
                times = await redis.lrange("metrics:workflows:execution_time", 0, -1)
                failure = None
                for _ in range(50):
                    message = await failures.get_message(
                        ignore_subscribe_messages=True, timeout=0.1
                    )
                    if message:
                        failure = json.loads(message["data"])
                        break
        finally:
            await failures.aclose()
            await redis.aclose()
    events = [e for e in received(services, "/hooks/events") if e["subject"] == workflow_id]
    assert [(e["type"].removeprefix("dev.baton."), e["data"].get("step_id")) for e in events] == [
        ("run.started", None),
        ("step.started", "user"),
        ("step.completed", "user"),
        ("step.started", "pay"),
        ("step.failed", "pay"),
        ("step.compensated", "user"),
        ("run.compensated", None),
    ]
    assert all(e["specversion"] == "1.0" and e["source"] == "baton://default/saga" for e in events)
    ids = [e["id"] for e in events]
    assert len(set(ids)) == len(ids) and all(i.startswith(f"{workflow_id}/") for i in ids)
    assert [
        json.loads(fields[b"event"])["id"]
        for _, fields in stream
        if json.loads(fields[b"event"])["subject"] == workflow_id
    ] == ids
    assert state[b"status"] == b"COMPENSATED" and 0 < ttl <= 7 * 86400
    assert any(json.loads(t)["workflow_id"] == workflow_id for t in times)
    assert failure is not None and failure["workflow_id"] == workflow_id


async def test_a_sink_that_is_down_loses_nothing_and_catches_up(worker_factory, services):
    port = free_port()
    sinks = [{"type": "webhook", "url": f"http://127.0.0.1:{port}/hooks/late"}]
    async with worker_factory(BatonFile(events={"sinks": sinks})) as env:
        first = await env.run_saga(failing_saga(services.url))
        second = await env.run_saga(failing_saga(services.url))
        outbox = Outbox(env.settings.home / "events-outbox.db")
        assert outbox.pending(f"webhook:http://127.0.0.1:{port}/hooks/late") >= 14
        with StandInServices(port=port) as late:
            await assert_eventually(lambda: len(received(late, "/hooks/late")) >= 14, timeout=60)
            got = received(late, "/hooks/late")
        outbox.close()
    for run in (first, second):
        mine = [e["type"] for e in got if e["subject"] == run["workflow_id"]]
        assert mine[0] == "dev.baton.run.started" and mine[-1] == "dev.baton.run.compensated"
        assert len(mine) == 7


async def test_approvals_tell_requested_voted_and_decided(worker_factory, services):
    sinks = [{"type": "webhook", "url": f"{services.url}/hooks/approvals"}]
    async with worker_factory(BatonFile(events={"sinks": sinks})) as env:
        run = await env.client.request_human_approval(None, "ship", "Ship?", approvers=["ada"])
        await assert_eventually(
            lambda: [
                e for e in received(services, "/hooks/approvals") if e["subject"] == run.workflow_id
            ]
        )
        outcome = await env.client.submit_decision(run.workflow_id, "ada", "approve")
        assert outcome["accepted"]
        await run.result()
        await assert_eventually(
            lambda: (
                "dev.baton.approval.decided"
                in [
                    e["type"]
                    for e in received(services, "/hooks/approvals")
                    if e["subject"] == run.workflow_id
                ]
            )
        )
    kinds = [
        e["type"] for e in received(services, "/hooks/approvals") if e["subject"] == run.workflow_id
    ]
    assert kinds == [
        "dev.baton.approval.requested",
        "dev.baton.approval.voted",
        "dev.baton.approval.decided",
    ]


async def test_a_replay_makes_no_event(tmp_path):
    from temporalio.client import WorkflowHistory

    path = HISTORIES / "onboarding_completed.json"
    history = WorkflowHistory.from_json("replay-onboarding", path.read_text())
    queue = json.loads(path.read_text())["events"][0]["workflowExecutionStartedEventAttributes"][
        "taskQueue"
    ]["name"]
    outbox = Outbox(tmp_path / "outbox.db")
    emitting.install(outbox, queue, "default")
    try:
        await Replayer(workflows=[ProcessWorkflow, HumanApprovalWorkflow]).replay_workflow(history)
    finally:
        emitting.uninstall(queue)
    assert outbox.pending("any") == 0
    outbox.close()
    await asyncio.sleep(0)


async def test_a_runs_events_reach_nats_jetstream_and_kafka_in_order(worker_factory, services):
    import nats
    import nats.js.errors
    from aiokafka import AIOKafkaConsumer

    from tests.support.brokers import kafka_broker, nats_server

    with nats_server() as nats_url, kafka_broker() as kafka:
        sinks = [
            {"type": "nats", "url": nats_url},
            {"type": "kafka", "bootstrap_servers": kafka, "topic": "baton-events"},
        ]
        async with worker_factory(BatonFile(events={"sinks": sinks})) as env:
            result = await env.run_saga(failing_saga(services.url))
            workflow_id = result["workflow_id"]
            connection = await nats.connect(nats_url)
            try:
                js = connection.jetstream()

                async def all_in_nats() -> bool:
                    try:
                        return (await js.stream_info("BATON_EVENTS")).state.messages >= 7
                    except nats.js.errors.NotFoundError:
                        return False  # the sink makes the stream as it first sends

                await until(all_in_nats, timeout=30)
                subscription = await js.pull_subscribe(
                    "baton.events.>", "reader", stream="BATON_EVENTS"
                )
                from_nats = [json.loads(m.data) for m in await subscription.fetch(20, timeout=5)]
            finally:
                await connection.close()
            consumer = AIOKafkaConsumer(
                "baton-events",
                bootstrap_servers=kafka,
                auto_offset_reset="earliest",
                group_id="reader",
            )
            await consumer.start()
            try:
                from_kafka: list[Any] = []
                for _ in range(40):
                    batch = await consumer.getmany(timeout_ms=500)
                    from_kafka += [json.loads(r.value) for rs in batch.values() for r in rs]
                    if len(from_kafka) >= 7:
                        break
            finally:
                await consumer.stop()
    expected = [
        "run.started",
        "step.started",
        "step.completed",
        "step.started",
        "step.failed",
        "step.compensated",
        "run.compensated",
    ]
    for got in (from_nats, from_kafka):
        mine = [e for e in got if e["subject"] == workflow_id]
        assert [e["type"].removeprefix("dev.baton.") for e in mine] == expected
    assert {e["id"] for e in from_nats} == {e["id"] for e in from_kafka}
