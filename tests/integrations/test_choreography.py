"""Choreography sagas (docs/integrations.md, "Choreography"): each step is a
command event published on the worker's command bus and completes on the
service's reply; compensations are commands too, in reverse order. The
services here are real NATS subscribers and Kafka consumers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from baton.config import BatonFile, Settings
from baton.errors import ConfigError, DefinitionError
from baton.integrations.commands import parse_commands
from baton.integrations.deadletters import DeadLetters
from baton.plan.compile import compile_definition
from baton.testing import until
from tests.support.brokers import kafka_broker, nats_server
from tests.support.services import kafka_services, nats_services


def command(subject: str, payload: Any = None) -> dict[str, Any]:
    return {"type": "command", "subject": subject, "payload": payload}


def order_saga(amount: int, *, timeout_minutes: float = 0.5, retries: int = 0) -> dict[str, Any]:
    def step(step_id: str, forward: dict[str, Any], undo: dict[str, Any] | None = None) -> Any:
        found: dict[str, Any] = {
            "step_id": step_id,
            "forward_action": forward,
            "timeout_minutes": timeout_minutes,
            "retry_count": retries,
        }
        if undo:
            found["compensation_action"] = undo
        return found

    return {
        "saga_id": "order",
        "coordination_mode": "choreography",
        "context": {"sku": "book-7", "amount": amount},
        "steps": [
            step(
                "reserve",
                command("inventory.reserve", {"sku": "{sku}"}),
                command("inventory.release", {"reservation": "{reservation_id}"}),
            ),
            step(
                "charge",
                command("payments.charge", {"amount": "{amount}"}),
                command("payments.refund", {"charge": "{charge_id}"}),
            ),
            step("ship", command("shipping.ship", {"sku": "{sku}"})),
        ],
    }


def shop(ship_fails: bool = False, drop_first_charge: bool = False) -> dict[str, Any]:
    charges = {"n": 0}

    def charge(cmd: dict[str, Any]) -> Any:
        charges["n"] += 1
        if drop_first_charge and charges["n"] == 1:
            return None  # the service lost it: the step times out and asks again
        return ("completed", {"charge_id": "c-1", "charged": cmd["data"]["amount"]})

    return {
        "inventory.reserve": lambda cmd: ("completed", {"reservation_id": "r-1"}),
        "inventory.release": lambda cmd: ("completed", {"released": cmd["data"]["reservation"]}),
        "payments.charge": charge,
        "payments.refund": lambda cmd: ("completed", {"refunded": cmd["data"]["charge"]}),
        "shipping.ship": lambda cmd: (
            ("failed", "no courier for book-7") if ship_fails else ("completed", {"tracking": "t"})
        ),
    }


def bus(transport: str, address: str, subjects: list[str] | None = None) -> BatonFile:
    where = {"url": address} if transport == "nats" else {"bootstrap_servers": address}
    return BatonFile(
        commands={
            "transport": transport,
            **where,
            "replies": "shop.replies",
            "subjects": subjects or ["inventory.*", "payments.*", "shipping.*"],
        }
    )


async def test_a_nats_choreography_saga_completes_on_the_services_replies(worker_factory):
    received: list[tuple[str, dict[str, Any]]] = []
    with nats_server() as url:
        async with worker_factory(bus("nats", url)) as env, nats_services(url, shop(), received):
            result = await env.run_saga(order_saga(40))
    assert result["status"] == "COMPLETED", result.get("error")
    steps = {s["step_id"]: s for s in result["steps"]}
    assert steps["reserve"]["output"] == {"reservation_id": "r-1"}
    assert steps["charge"]["output"] == {"charge_id": "c-1", "charged": 40}
    assert [subject for subject, _ in received] == [
        "inventory.reserve",
        "payments.charge",
        "shipping.ship",
    ]
    first = received[0][1]
    workflow_id = result["workflow_id"]
    assert first["type"] == "inventory.reserve" and first["data"] == {"sku": "book-7"}
    assert first["replyto"] == "shop.replies" and first["source"] == f"baton/{workflow_id}"
    assert first["correlationid"].startswith(f"{workflow_id}/")
    assert first["correlationid"].endswith("/reserve.forward")
    assert first["idempotencykey"] == f"{workflow_id}:reserve:forward"
    # the audit shows each reply arriving, from its service
    replies = [a["detail"] for a in result["audit"] if a["event"] == "event_received"]
    assert len(replies) == 3 and "from service/payments.charge" in replies[1]


async def test_a_failed_reply_compensates_with_commands_in_reverse_order(worker_factory):
    received: list[tuple[str, dict[str, Any]]] = []
    with nats_server() as url:
        async with (
            worker_factory(bus("nats", url)) as env,
            nats_services(url, shop(ship_fails=True), received),
        ):
            result = await env.run_saga(order_saga(40))
    assert result["status"] == "COMPENSATED"
    ship = next(s for s in result["steps"] if s["step_id"] == "ship")
    assert ship["status"] == "FAILED"
    assert "service/shipping.ship failed the command on shipping.ship" in ship["error"]
    assert "no courier for book-7" in ship["error"]
    assert [c["step_id"] for c in result["compensations"]] == ["charge", "reserve"]
    assert [subject for subject, _ in received][3:] == ["payments.refund", "inventory.release"]
    # each compensation got its step's output through placeholders
    assert received[3][1]["data"] == {"charge": "c-1"}
    assert received[4][1]["data"] == {"reservation": "r-1"}
    assert received[3][1]["batonphase"] == "compensation"


async def test_a_lost_command_times_out_and_is_sent_again(worker_factory):
    received: list[tuple[str, dict[str, Any]]] = []
    with nats_server() as url:
        async with (
            worker_factory(bus("nats", url)) as env,
            nats_services(url, shop(drop_first_charge=True), received),
        ):
            result = await env.run_saga(order_saga(40, timeout_minutes=0.05, retries=1))
    assert result["status"] == "COMPLETED", result.get("error")
    charges = [cmd for subject, cmd in received if subject == "payments.charge"]
    assert len(charges) == 2
    assert charges[0]["id"] != charges[1]["id"]
    assert charges[0]["correlationid"] == charges[1]["correlationid"]
    assert charges[0]["idempotencykey"] == charges[1]["idempotencykey"]
    failed = [
        a["detail"]
        for a in result["audit"]
        if a["event"] == "forward_attempt_failed" and a.get("step_id") == "charge"
    ]
    assert failed == ["no reply to the command on payments.charge within 3 s"]


async def test_a_subject_the_worker_does_not_list_is_refused_there(worker_factory):
    received: list[tuple[str, dict[str, Any]]] = []
    with nats_server() as url:
        only = bus("nats", url, subjects=["inventory.*", "payments.*"])
        async with worker_factory(only) as env, nats_services(url, shop(), received):
            result = await env.run_saga(order_saga(40, retries=2))
    assert result["status"] == "COMPENSATED"
    ship = next(s for s in result["steps"] if s["step_id"] == "ship")
    assert "commands to 'shipping.ship' are not allowed on this worker" in ship["error"]
    assert ship["attempts"] == 1  # refused for good: not retried
    assert "shipping.ship" not in [subject for subject, _ in received]


async def test_a_late_reply_for_an_ended_run_is_a_dead_letter(worker_factory, tmp_path):
    import json

    import nats

    with nats_server() as url:
        async with worker_factory(bus("nats", url), home=tmp_path):
            connection = await nats.connect(url)
            late = {
                "specversion": "1.0",
                "id": "late-1",
                "type": "baton.command.completed",
                "source": "service/late",
                "correlationid": "no-such-run/abcdef12/reserve.forward",
                "data": {"reservation_id": "r-9"},
            }

            async def listening() -> bool:
                try:
                    await connection.jetstream().find_stream_name_by_subject("shop.replies")
                    return True
                except nats.js.errors.NotFoundError:
                    return False

            await until(listening, timeout=20)
            await connection.publish("shop.replies", json.dumps(late).encode())
            await connection.flush()
            letters = DeadLetters(tmp_path)

            async def kept() -> list[dict[str, Any]] | None:
                found = [row for row in letters.list() if "late-1" in row["id"]]
                return found or None

            found = await until(kept, timeout=20)
            await connection.close()
            shown = letters.show(found[0]["id"])
            letters.close()
    assert "reached no waiting step" in shown["reason"]
    assert shown["body"]["workflow_id"] == "no-such-run"
    assert shown["body"]["event"]["correlationid"] == late["correlationid"]


async def test_a_kafka_choreography_saga_completes_and_compensates(worker_factory):
    received: list[tuple[str, dict[str, Any]]] = []
    with kafka_broker() as servers:
        async with (
            worker_factory(bus("kafka", servers)) as env,
            kafka_services(servers, shop(ship_fails=True), received),
        ):
            failing = await env.run_saga(order_saga(40))
    assert failing["status"] == "COMPENSATED", failing.get("error")
    assert [c["step_id"] for c in failing["compensations"]] == ["charge", "reserve"]
    assert [subject for subject, _ in received] == [
        "inventory.reserve",
        "payments.charge",
        "shipping.ship",
        "payments.refund",
        "inventory.release",
    ]
    steps = {s["step_id"]: s for s in failing["steps"]}
    assert steps["charge"]["output"] == {"charge_id": "c-1", "charged": 40}


def test_a_choreography_saga_has_only_commands():
    definition = order_saga(40)
    definition["steps"][2]["forward_action"] = {"type": "api_call", "url": "https://x.test/"}
    with pytest.raises(DefinitionError) as caught:
        compile_definition(definition)
    text = str(caught.value)
    assert "steps[2].forward_action" in text and "a choreography saga's steps are commands" in text
    definition["coordination_mode"] = "orchestration"  # commands and calls may mix there
    assert compile_definition(definition).steps[0].action["type"] == "command"


def test_a_command_subject_must_be_a_plain_name():
    definition = order_saga(40)
    definition["steps"][0]["forward_action"]["subject"] = "inventory.>"
    with pytest.raises(DefinitionError) as caught:
        compile_definition(definition)
    assert "must be a NATS subject / Kafka topic name" in str(caught.value)


def test_the_command_bus_says_what_is_missing(tmp_path):
    settings = Settings.from_env({"BATON_HOME": str(tmp_path)})
    with pytest.raises(ConfigError, match="commands.url: give the NATS URL here or in NATS_URL"):
        parse_commands(BatonFile(commands={"transport": "nats"}), settings)
    with pytest.raises(ConfigError, match="commands.transport"):
        parse_commands(BatonFile(commands={"transport": "amqp"}), settings)
    env = Settings.from_env({"BATON_HOME": str(tmp_path), "NATS_URL": "nats://10.0.0.5:4222"})
    spec = parse_commands(BatonFile(commands={"transport": "nats", "subjects": ["a.*"]}), env)
    assert spec is not None and spec.url == "nats://10.0.0.5:4222"
    assert spec.refusal("a.b") is None
    assert "list the subject" in str(spec.refusal("b.c"))


async def test_a_worker_without_a_bus_fails_the_step_clearly(worker_factory):
    async with worker_factory() as env:
        result = await env.run_saga(order_saga(40))
    assert result["status"] in ("FAILED", "COMPENSATED")
    reserve = result["steps"][0]
    assert "this worker has no command bus" in reserve["error"]


async def test_a_reply_sent_while_no_worker_listens_reaches_the_run_later(server_env):
    """JetStream keeps the reply; the durable consumer of the next worker
    hands it to the run, which completes."""
    import json
    import uuid
    from dataclasses import replace

    import nats

    from baton.runtime import TemporalWorkflowClient, running_worker

    settings = replace(server_env.settings, task_queue=f"test-{uuid.uuid4().hex[:10]}")
    received: list[tuple[str, dict[str, Any]]] = []
    with nats_server() as url:
        baton_file = bus("nats", url)
        client = TemporalWorkflowClient(
            settings, temporal=server_env.client.temporal, baton_file=baton_file
        )
        handlers = {"inventory.reserve": lambda cmd: None}  # answered below, by hand
        async with nats_services(url, handlers, received):
            definition = order_saga(40)
            definition["steps"] = definition["steps"][:1]
            async with running_worker(client.temporal, settings.task_queue, baton_file):
                run = await client.start_saga(definition)

                async def sent() -> bool:
                    return bool(received)

                await until(sent, timeout=30)
            # no worker now: the reply waits in the stream
            command_sent = received[0][1]
            connection = await nats.connect(url)
            reply = {
                "specversion": "1.0",
                "id": "reply-while-away",
                "type": "baton.command.completed",
                "source": "service/inventory",
                "correlationid": command_sent["correlationid"],
                "data": {"reservation_id": "r-late"},
            }
            await connection.jetstream().publish("shop.replies", json.dumps(reply).encode())
            await connection.close()
            async with running_worker(client.temporal, settings.task_queue, baton_file):
                result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result.get("error")
    assert result["steps"][0]["output"] == {"reservation_id": "r-late"}


async def test_validate_warns_of_commands_this_machine_would_not_send(server_env, tmp_path):
    import yaml

    from tests.support.cli import baton_cli

    (tmp_path / "order.yaml").write_text(yaml.safe_dump(order_saga(40)))
    code, out, err = await baton_cli(server_env.settings, "validate", "order.yaml", cwd=tmp_path)
    assert code == 0, err
    assert "steps charge, reserve, ship send commands, but this machine's baton.yaml has no" in (
        " ".join((out + err).split())
    )
    (tmp_path / "baton.yaml").write_text(
        "commands: {transport: nats, url: 'nats://127.0.0.1:1', subjects: [inventory.*]}\n"
    )
    code, out, err = await baton_cli(server_env.settings, "validate", "order.yaml", cwd=tmp_path)
    said = " ".join((out + err).split())
    assert code == 0, err
    assert "step charge: commands to 'payments.charge' are not allowed on this worker" in said
    assert "step reserve:" not in said


async def test_a_cancel_while_a_command_waits_settles_and_compensates_it(worker_factory):
    """The command was published, so its effect is unknown when the run is
    cancelled during the wait: with compensate_if_unknown the step is settled
    (the command again, same idempotency key) and then compensated."""
    received: list[tuple[str, dict[str, Any]]] = []
    asked = {"n": 0}

    def reserve(cmd: dict[str, Any]) -> Any:
        asked["n"] += 1
        if asked["n"] == 1:
            return None  # busy: no answer yet (the run is cancelled meanwhile)
        return ("completed", {"reservation_id": "r-1"})

    handlers = {**shop(), "inventory.reserve": reserve}
    definition = order_saga(40, timeout_minutes=1)
    definition["steps"] = definition["steps"][:1]
    definition["steps"][0]["compensate_if_unknown"] = True
    with nats_server() as url:
        async with worker_factory(bus("nats", url)) as env, nats_services(url, handlers, received):
            run = await env.client.start_saga(definition)

            async def asked_once() -> bool:
                return asked["n"] == 1

            await until(asked_once, timeout=30)
            await env.client.cancel(run.workflow_id)
            result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "CANCELLED", result.get("error")
    subjects = [subject for subject, _ in received]
    assert subjects == ["inventory.reserve", "inventory.reserve", "inventory.release"]
    first, settle = received[0][1], received[1][1]
    assert first["idempotencykey"] == settle["idempotencykey"]
    assert settle["correlationid"].endswith("/reserve.settle")
    assert received[2][1]["data"] == {"reservation": "r-1"}
