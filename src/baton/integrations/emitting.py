"""Where workflow code hands its lifecycle events to the worker's outbox.

Called from workflow code (the interpreter's and the approval workflow's
audit records): it records nothing while a workflow replays — what a replay
sees was handed over when it first ran — and issues no command, so it
changes no history. Without an outbox installed (no sink configured) it
returns at once. An event written twice, by a workflow task that ran
again, is kept once (its id is stable)."""

from __future__ import annotations

import logging
from typing import Any

from temporalio import workflow

from .lifecycle import cloud_event, event_type
from .outbox import Outbox

log = logging.getLogger("baton.events")
# by task queue: each worker of the process hands over its own runs' events
_outboxes: dict[str, tuple[Outbox, str]] = {}


def install(outbox: Outbox, task_queue: str, namespace: str) -> None:
    _outboxes[task_queue] = (outbox, namespace)


def uninstall(task_queue: str) -> None:
    _outboxes.pop(task_queue, None)


def audit_recorded(
    *,
    seq: int,
    kind: str,
    name: str,
    audit_event: str,
    at: str,
    status: str | None,
    step_id: str | None = None,
    attempt: int | None = None,
    detail: str | None = None,
    actor: str | None = None,
    started_at: str | None = None,
) -> None:
    if not _outboxes or event_type(audit_event, detail) is None:
        return
    if workflow.unsafe.is_replaying():
        return
    info = workflow.info()
    found = _outboxes.get(info.task_queue)
    if found is None:
        return
    outbox, namespace = found
    event: dict[str, Any] | None = cloud_event(
        workflow_id=info.workflow_id,
        run_id=info.run_id,
        seq=seq,
        kind=kind,
        name=name,
        audit_event=audit_event,
        at=at,
        step_id=step_id,
        attempt=attempt,
        detail=detail,
        actor=actor,
        status=status,
        started_at=started_at,
        namespace=namespace,
    )
    if event is None:
        return
    try:
        outbox.append(event)
    except Exception:  # noqa: BLE001 - a full disk must not fail the run's workflow task
        log.exception("cannot write event %s to the outbox %s", event["id"], outbox.path)


def breaker_changed(task_queue: str, host: str, state: str, failures: int, at: str) -> None:
    """A circuit breaker opened or closed (from an activity, not workflow
    code): ``dev.baton.breaker.opened`` / ``breaker.closed``."""
    found = _outboxes.get(task_queue)
    if found is None:
        return
    outbox, namespace = found
    event = {
        "specversion": "1.0",
        "id": f"breaker/{host}/{state}/{at}",
        "source": f"baton://{namespace}/breaker",
        "type": f"dev.baton.breaker.{'opened' if state == 'open' else 'closed'}",
        "subject": host,
        "time": at,
        "datacontenttype": "application/json",
        "data": {"host": host, "state": state, "failures": failures},
    }
    try:
        outbox.append(event)
    except Exception:  # noqa: BLE001 - an event is not worth failing the call
        log.exception("cannot write event %s to the outbox %s", event["id"], outbox.path)


def dead_letter_kept(task_queue: str, letter: dict[str, Any], at: str) -> None:
    """A new dead letter (from a trigger, a reply, a run or a step):
    ``dev.baton.dead_letter`` to the worker's sinks — a Kafka topic, a NATS
    subject, a Redis stream — so other tools learn of it. Its body stays in
    the store (``baton dlq show``)."""
    found = _outboxes.get(task_queue)
    if found is None:
        return
    outbox, namespace = found
    event = {
        "specversion": "1.0",
        "id": f"dead-letter/{letter['id']}",
        "source": f"baton://{namespace}/dead-letters",
        "type": "dev.baton.dead_letter",
        "subject": str(letter["id"]),
        "time": at,
        "datacontenttype": "application/json",
        "data": letter,
    }
    try:
        outbox.append(event)
    except Exception:  # noqa: BLE001 - an event is not worth losing the letter
        log.exception("cannot write event %s to the outbox %s", event["id"], outbox.path)
