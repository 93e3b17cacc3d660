"""Sending events to runs: one :class:`EventSender` per client
(``client.events``), used by ``baton send``, the Python API and MCP (and,
later, the NATS, Kafka and Redis triggers).

An event is a CloudEvent 1.0 (``id``, ``type``, ``source``, ``data``, ...).
Sent to one run, it is handed to the first of the run's open waits that wants
it, or kept for a wait that starts later. Sent without a run id, it goes to
every running run whose open waits want its type (the ``BatonWaiting`` search
attribute) — a broadcast, like a BPMN signal; an event no run waits for is
reported as :class:`EventNotDeliveredError`, never dropped in silence.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError, RPCStatusCode

from ..engine.events import problem_with
from ..engine.interpreter import ProcessWorkflow
from ..engine.search_attributes import BATON_WAITING
from ..errors import (
    EventNotDeliveredError,
    EventRefusedError,
    RunNotRunningError,
    ServerError,
    WorkflowNotFoundError,
)

if TYPE_CHECKING:
    from .client import TemporalWorkflowClient

MAX_BROADCAST = 1_000
UPDATE_OUTCOME_SECONDS = 30.0  # reading an event's outcome again, after a lost answer
logger = logging.getLogger(__name__)


@dataclass
class EventDelivery:
    """Where an event went: for each run, the waits that took it (empty:
    the run keeps it for a later wait) — and the event as sent."""

    event: dict[str, Any]
    runs: dict[str, list[str]] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return any(self.runs.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event["id"],
            "type": self.event["type"],
            "runs": [
                {"workflow_id": run, "taken_by": waits, "kept": not waits}
                for run, waits in self.runs.items()
            ],
            "duplicates": self.duplicates,
        }


async def deliver_to_waiting_runs(temporal: Client, event: dict[str, Any]) -> list[str]:
    """Hand ``event`` to every running run whose open waits want its type,
    through the Temporal client ``temporal`` (a worker's own, for ``emit``);
    the runs that took or kept it."""
    sender = EventSender(_Connected(temporal))
    reached = []
    try:
        waiting = await sender.waiting_runs(str(event["type"]))
    except RPCError as exc:
        if exc.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        # a server without visibility (Temporal's time-skipping test server)
        # cannot find other runs: there are none to reach
        logger.warning("cannot broadcast %s: the server cannot list runs", event["type"])
        return []
    for run in waiting:
        if await sender.deliver(run, event, broadcast=True) is not None:
            reached.append(run)
    return reached


class _Connected:
    """What an EventSender needs of a client: a connected Temporal client."""

    def __init__(self, temporal: Client) -> None:
        self.temporal = temporal

    async def connect(self) -> Client:
        return self.temporal


def cloud_event(
    type: str,
    data: Any = None,
    *,
    source: str = "baton",
    subject: str | None = None,
    event_id: str | None = None,
    extensions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A CloudEvent 1.0 in its JSON form."""
    event: dict[str, Any] = {
        **(extensions or {}),
        "specversion": "1.0",
        "id": event_id or uuid.uuid4().hex,
        "type": type,
        "source": source,
        "time": datetime.now(timezone.utc).isoformat(),
        "datacontenttype": "application/json",
        "data": data,
    }
    if subject is not None:
        event["subject"] = subject
    return event


class EventSender:
    def __init__(self, client: TemporalWorkflowClient | _Connected) -> None:
        self.client = client

    async def send(self, event: dict[str, Any], workflow_id: str | None = None) -> EventDelivery:
        """Deliver ``event`` to ``workflow_id``, or to every run waiting for its type."""
        problem = problem_with(event)
        if problem is not None:
            raise EventRefusedError(problem)
        delivery = EventDelivery(event)
        targets = [workflow_id] if workflow_id else await self.waiting_runs(event["type"])
        if not targets:
            raise EventNotDeliveredError(
                f"no running run waits for events of type {event['type']!r}; "
                "name a run to keep the event for it (baton send ID ...)"
            )
        for target in targets:
            answer = await self.deliver(target, event, broadcast=workflow_id is None)
            if answer is None:
                continue
            if answer.get("duplicate"):
                delivery.duplicates.append(target)
            else:
                delivery.runs[target] = list(answer.get("matched") or [])
        if workflow_id is None and not delivery.runs and not delivery.duplicates:
            raise EventNotDeliveredError(
                f"the runs waiting for {event['type']!r} ended before the event reached them"
            )
        return delivery

    async def waiting_runs(self, event_type: str) -> list[str]:
        """Running runs with an open wait for ``event_type`` (a visibility
        query: a wait that opened within the last second may not show yet)."""
        client = await self.client.connect()
        quoted = event_type.replace("\\", "\\\\").replace("'", "\\'")
        query = f"{BATON_WAITING.name} = '{quoted}' AND ExecutionStatus = 'Running'"
        found = []
        async for run in client.list_workflows(query, limit=MAX_BROADCAST):
            found.append(run.id)
        return found

    async def deliver(
        self, workflow_id: str, event: dict[str, Any], *, broadcast: bool
    ) -> dict[str, Any] | None:
        """The run's answer to ``event`` (None, when broadcasting, for a run
        that stopped taking events meanwhile)."""
        client = await self.client.connect()
        handle = client.get_workflow_handle(workflow_id)
        # the server keeps an update's outcome by its id: an answer that was
        # lost is read again instead of guessed (a send that comes again is
        # a new update, which the run reports as a duplicate)
        update_id = f"event:{uuid.uuid4().hex}:{event['id']}"[:1000]
        try:
            try:
                answer: dict[str, Any] = await handle.execute_update(
                    ProcessWorkflow.deliver_event, event, id=update_id
                )
            except WorkflowUpdateRPCTimeoutOrCancelledError:
                # seen when the run ends in the workflow task that takes the
                # event (a command's last reply): its outcome is kept
                answer = await asyncio.wait_for(
                    handle.get_update_handle(update_id).result(), UPDATE_OUTCOME_SECONDS
                )
            return answer
        except (WorkflowUpdateRPCTimeoutOrCancelledError, asyncio.TimeoutError):
            raise ServerError(
                f"{workflow_id} did not answer the event {event['id']} in time; it is sent again"
            ) from None
        except WorkflowUpdateFailedError as exc:
            if broadcast:
                return None  # it stopped taking events meanwhile
            message = getattr(exc.cause, "message", None) or str(exc.cause or exc)
            raise EventRefusedError(f"{workflow_id} refused the event: {message}") from None
        except RPCError as exc:
            if broadcast:
                return None
            if exc.status == RPCStatusCode.NOT_FOUND:
                if "completed" in exc.message or "closed" in exc.message:
                    raise RunNotRunningError(
                        f"{workflow_id} has ended; it takes no more events"
                    ) from None
                raise WorkflowNotFoundError(workflow_id) from None
            raise ServerError(f"cannot send the event to {workflow_id!r}: {exc.message}") from exc
