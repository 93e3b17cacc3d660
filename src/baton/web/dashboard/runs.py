"""The runs the dashboard shows: list filters as a visibility query, and one
run as the page draws it (status document, laid-out graph, BPMN diagram, the
actions it takes now). Everything comes from the client's methods."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from ...engine.state import FINAL_STATUSES
from ...errors import InvalidRequestError
from ...monitoring.policies import RecoveryAction
from ...runtime.client import TemporalWorkflowClient
from .layout import layout

KINDS = ("saga", "approval", "project", "process", "bpmn")
# statuses only Temporal knows (a run ended from outside Baton)
EXECUTION_STATUSES = {
    "TERMINATED": "Terminated",
    "TIMED_OUT": "TimedOut",
    "CONTINUED_AS_NEW": "ContinuedAsNew",
}
OPEN_STATUSES = ("RUNNING", "PENDING", "COMPENSATING", "WAITING")
MAX_PAGE = 200
PLANS_CACHED = 256


class BadRequest(InvalidRequestError):
    """A request the dashboard cannot serve as asked; the message says why."""


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _time(value: str, what: str) -> str:
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError):
        raise BadRequest(
            f"{what}: expected an ISO time such as 2026-12-07T10:00, got {value!r}"
        ) from None


def runs_query(params: Mapping[str, str]) -> str | None:
    """The visibility query for the list's filters: ``kind``, ``name``,
    ``status``, ``since``/``until`` (start time) and ``q`` (an id's start)."""
    parts = []
    kind = (params.get("kind") or "").strip()
    if kind:
        if kind not in KINDS:
            raise BadRequest(f"kind: one of {', '.join(KINDS)}, got {kind!r}")
        parts.append(f"BatonKind = '{kind}'")
    name = (params.get("name") or "").strip()
    if name:
        parts.append(f"BatonName = '{_quote(name)}'")
    status = (params.get("status") or "").strip().upper()
    if status:
        if status in EXECUTION_STATUSES:
            parts.append(f"ExecutionStatus = '{EXECUTION_STATUSES[status]}'")
        elif status.replace("_", "").isalpha():
            parts.append(f"BatonStatus = '{status}'")
            if status in OPEN_STATUSES:  # not one ended from outside with its last word kept
                parts.append("ExecutionStatus = 'Running'")
        else:
            raise BadRequest(f"status: a status word such as RUNNING, got {status!r}")
    for key, op in (("since", ">="), ("until", "<")):
        value = (params.get(key) or "").strip()
        if value:
            parts.append(f"StartTime {op} '{_time(value, key)}'")
    search = (params.get("q") or "").strip()
    if search:
        parts.append(f"WorkflowId STARTS_WITH '{_quote(search)}'")
    return " AND ".join(parts) or None


def page_size(params: Mapping[str, str]) -> int:
    try:
        size = int(params.get("page_size") or 50)
    except ValueError:
        raise BadRequest("page_size: a whole number") from None
    if not 1 <= size <= MAX_PAGE:
        raise BadRequest(f"page_size: between 1 and {MAX_PAGE}")
    return size


# page tokens this process hands out carry its MAC: the server is only
# ever given tokens it made itself (another one is said, not sent on)
_TOKEN_KEY = secrets.token_bytes(32)
_MAC_BYTES = 12


def encode_token(token: bytes | None) -> str | None:
    if not token:
        return None
    mac = hmac.new(_TOKEN_KEY, token, "sha256").digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(mac + token).decode()


def decode_token(text: str | None) -> bytes | None:
    if not text:
        return None
    try:
        raw = base64.urlsafe_b64decode(text.encode())
    except (binascii.Error, ValueError):
        raw = b""
    mac, token = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
    if not token or not hmac.compare_digest(
        mac, hmac.new(_TOKEN_KEY, token, "sha256").digest()[:_MAC_BYTES]
    ):
        raise BadRequest(
            "page_token: not a token this dashboard gave (or it restarted): start from page 1"
        )
    return token


async def list_page(client: TemporalWorkflowClient, params: Mapping[str, str]) -> dict[str, Any]:
    rows, token = await client.list_runs_page(
        runs_query(params),
        page_size=page_size(params),
        page_token=decode_token(params.get("page_token")),
    )
    return {"runs": rows, "next_page_token": encode_token(token)}


class Plans:
    """Plans of runs, by id: a run's plan never changes, so it is read from
    its history once."""

    def __init__(self, client: TemporalWorkflowClient) -> None:
        self.client = client
        self._plans: OrderedDict[str, Any] = OrderedDict()

    async def get(self, workflow_id: str) -> Any:
        if workflow_id in self._plans:
            self._plans.move_to_end(workflow_id)
            return self._plans[workflow_id]
        plan = await self.client.plan_of(workflow_id)
        self._plans[workflow_id] = plan
        if len(self._plans) > PLANS_CACHED:
            self._plans.popitem(last=False)
        return plan


def ended(view: dict[str, Any]) -> bool:
    """A run view that will not change again (the run has closed)."""
    return bool((view.get("status") or {}).get("closed_at"))


def actions(state: dict[str, Any]) -> dict[str, Any]:
    """What the page may offer for a run in this state (the server refuses
    anything else with its reason)."""
    open_ = not state.get("closed_at") and state.get("status") not in FINAL_STATUSES
    approval = state.get("kind") == "approval"
    return {
        "cancel": open_,
        "recover": [a.value for a in RecoveryAction],
        "send_event": list(state.get("waiting_for") or []) if open_ and not approval else [],
    }


async def run_view(
    client: TemporalWorkflowClient, plans: Plans, workflow_id: str, *, drawing: bool = True
) -> dict[str, Any]:
    state = await client.status(workflow_id)
    view: dict[str, Any] = {"status": state, "actions": actions(state)}
    if drawing:
        plan = None if state.get("kind") == "approval" else await plans.get(workflow_id)
        view["graph"] = layout(plan) if plan is not None else None
        view["diagram"] = getattr(plan.options, "diagram", None) if plan is not None else None
    return view
