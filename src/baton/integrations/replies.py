"""The reply listener of choreography (docs/integrations.md,
"Choreography"): services answer ``command`` steps on the worker's replies
subject (NATS JetStream) or topic (Kafka); each reply goes to the run its
``correlationid`` names, as an event the waiting step takes. A reply is
acknowledged only once the run has it; one for a run that has ended (a
late reply after the step gave up) or that the run refuses is kept as a
dead letter — the service did something nobody is waiting for.

Every worker with ``commands:`` listens, as one consumer group
(``baton-replies``): each reply is handled by one of them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal

from ..config import BatonFile, Settings
from ..engine.commands import workflow_of
from ..errors import EventRefusedError, RunNotRunningError, WorkflowNotFoundError
from .commands import CommandsSpec, parse_commands
from .deadletters import open_dead_letters
from .triggers import KafkaSource, Message, NatsSource, Trigger, TriggerSpec

log = logging.getLogger("baton.replies")
CONSUMER = "baton-replies"
READY_SECONDS = 10.0


def listener_spec(spec: CommandsSpec) -> TriggerSpec:
    source: NatsSource | KafkaSource
    if spec.transport == "nats":
        source = NatsSource(
            type="nats", url=str(spec.url), subject=spec.replies, stream=spec.stream
        )
    else:
        source = KafkaSource(
            type="kafka", bootstrap_servers=str(spec.bootstrap_servers), topic=spec.replies
        )
    # a consumer made for the first time reads what the replies subject
    # already holds, so a reply sent while it was being made is not skipped
    begin: Literal["new", "all"] = "all"
    return TriggerSpec(name=CONSUMER, source=source, event_type="baton.command.reply", begin=begin)


class ReplyListener(Trigger):
    """A trigger whose messages are replies, each for the run it names."""

    async def handle(self, message: Message) -> None:
        try:
            reply = json.loads(message.body)
        except ValueError:
            reply = None
        correlation = reply.get("correlationid") if isinstance(reply, dict) else None
        workflow_id = workflow_of(correlation) if isinstance(correlation, str) else None
        if not isinstance(reply, dict) or workflow_id is None:
            self._dead(
                "event",
                "not a reply: a CloudEvent with the correlationid of a command is expected",
                {"event": {"id": message.id, "body": message.body.decode(errors="replace")}},
                message.id,
            )
            return
        event = {
            "specversion": "1.0",
            "source": f"baton-trigger:{CONSUMER}",
            **reply,
            "id": str(reply.get("id") or message.id),
            "type": str(reply.get("type") or ""),
            "batonorigin": "trigger",
        }
        try:
            await self.client.events.send(event, workflow_id)
        except (RunNotRunningError, WorkflowNotFoundError, EventRefusedError) as exc:
            self._dead(
                "event",
                f"the reply reached no waiting step: {exc}",
                {"event": event, "workflow_id": workflow_id},
                event["id"],
            )


@contextlib.asynccontextmanager
async def replying(
    settings: Settings, baton_file: BatonFile, client: Any, home: Path | None = None
) -> AsyncIterator[ReplyListener | None]:
    """While the block runs, replies are read and delivered (no
    ``commands:`` in baton.yaml: nothing runs)."""
    spec = parse_commands(baton_file, settings)
    if spec is None:
        yield None
        return
    from ..runtime.client import TemporalWorkflowClient

    delivering = TemporalWorkflowClient(
        settings, temporal=client, via="trigger", baton_file=baton_file, find_credential=False
    )
    letters = open_dead_letters(settings, baton_file, home, settings.task_queue)
    listener = ReplyListener(listener_spec(spec), delivering, Path.cwd(), letters)
    task = asyncio.create_task(listener.consume())
    try:
        try:
            # the worker takes no task before replies can be heard
            await asyncio.wait_for(listener.ready.wait(), READY_SECONDS)
        except asyncio.TimeoutError:
            log.warning(
                "the replies on %s are not read yet (%s cannot be reached); command steps "
                "wait for their replies until it can",
                spec.replies,
                spec.address,
            )
        yield listener
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        letters.close()
