"""``command`` steps (choreography): publish the step's command event on the
worker's command bus. The engine then waits for the service's reply
(:mod:`baton.engine.steps`); this activity only publishes.

The subject is checked here, on the worker, against ``commands.subjects``
in its baton.yaml — whatever entry point the definition came through."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from ..integrations.commands import CommandBus
from ..redact import redact
from ._support import heartbeating, non_retryable
from .types import ActionRequest


class CommandAction:
    def __init__(self, bus: CommandBus | None) -> None:
        self.bus = bus

    @activity.defn(name="baton.command")
    async def publish(self, request: ActionRequest) -> dict[str, Any]:
        """Publish the command; its receipt (id, subject, bus) is recorded
        with the attempt, not as the step's output (the reply is that)."""
        action = request.action
        subject = str(action.get("subject", ""))
        if self.bus is None:
            raise non_retryable(
                f"this worker has no command bus, so the command on {subject!r} cannot be "
                "sent: configure commands: (transport, url, replies, subjects) in the "
                "worker's baton.yaml (docs/integrations.md, Choreography)",
                "NoCommandBus",
            )
        refusal = self.bus.spec.refusal(subject)
        if refusal:
            raise non_retryable(f"refused by the worker: {refusal}", "PolicyDenied")
        correlation = str(action["correlationid"])
        command = {
            "specversion": "1.0",
            "id": f"{correlation}/{request.attempt}",
            "type": subject,
            "source": f"baton/{request.workflow_id}",
            "subject": request.step_id,
            "time": datetime.now(timezone.utc).isoformat(),
            "datacontenttype": "application/json",
            "correlationid": correlation,
            # the same for every attempt and for a settle: a service acts once per key
            "idempotencykey": request.idempotency_key,
            "replyto": self.bus.spec.replies,
            "batonphase": request.phase,
            "data": action.get("payload"),
        }
        async with heartbeating():
            try:
                await self.bus.publish(subject, command, request.workflow_id)
            except Exception as exc:  # noqa: BLE001 - the broker did not take it: retried
                raise ApplicationError(
                    redact(f"{self.bus.name} did not take the command on {subject}: {exc}"),
                    type="CommandNotSent",
                ) from None
        return {"command_id": command["id"], "subject": subject, "bus": self.bus.name}
