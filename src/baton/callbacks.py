"""Approval callbacks: how Baton signs them and how a receiver verifies them.

A callback is a JSON POST to an approval's ``callback_url`` when it ends::

    X-Baton-Timestamp: 1795312345                    (seconds since the epoch)
    X-Baton-Delivery:  <approval id>/<run id>        (unique per approval run)
    X-Baton-Signature: sha256=<hex HMAC-SHA256>
    Idempotency-Key:   <the delivery id>

The HMAC, keyed with the workers' ``BATON_CALLBACK_SECRET``, covers
``<timestamp>.<delivery id>.<callback URL>.<raw body>``: a signed callback
cannot be replayed to another URL, altered, or passed off as another delivery.
Use :func:`verify_callback` in the receiver::

    from baton.callbacks import verify_callback
    payload = verify_callback(secret, url=MY_URL, headers=request.headers,
                              body=raw_body, seen=delivery_ids)

What a valid signature proves: a Baton worker holding the secret sent this
body to this URL. ``payload["decided"]`` is what the approval workflow itself
decided (stages, votes, credentials); ``payload["request"]`` is what whoever
requested the approval wrote (``for_workflow``, ``context``) — check it against
what you expect, and prefer ``decided.parent_workflow_id``, which is set only
when the approval really is a gate of that workflow.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping, MutableSet
from typing import Any

MAX_AGE_SECONDS = 300


class CallbackVerificationError(ValueError):
    """The callback must be dropped; the message says why."""


class DuplicateDelivery(CallbackVerificationError):
    """A genuine callback whose delivery id was seen before: answer 2xx (so
    Baton stops retrying) and do not process it again."""


def signing_input(timestamp: str, delivery_id: str, url: str, body: bytes) -> bytes:
    return f"{timestamp}.{delivery_id}.{url}.".encode() + body


def sign(secret: str, timestamp: str, delivery_id: str, url: str, body: bytes) -> str:
    digest = hmac.new(
        secret.encode(), signing_input(timestamp, delivery_id, url, body), hashlib.sha256
    ).hexdigest()
    return f"sha256={digest}"


def verify_callback(
    secret: str,
    *,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    max_age_seconds: float = MAX_AGE_SECONDS,
    seen: MutableSet[str] | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """The verified payload, or :class:`CallbackVerificationError`.

    ``url`` is this receiver's own URL as configured in the approval;
    ``seen`` (any set-like store) remembers delivery ids: a repeat raises
    :class:`DuplicateDelivery` — answer it 2xx without processing it again."""
    lowered = {k.lower(): v for k, v in headers.items()}
    timestamp = lowered.get("x-baton-timestamp", "")
    delivery_id = lowered.get("x-baton-delivery", "")
    signature = lowered.get("x-baton-signature", "")
    if not (timestamp and delivery_id and signature):
        raise CallbackVerificationError(
            "missing X-Baton-Timestamp, X-Baton-Delivery or X-Baton-Signature"
        )
    expected = sign(secret, timestamp, delivery_id, url, body)
    if not hmac.compare_digest(expected, signature):
        raise CallbackVerificationError(
            "signature does not verify (another secret, another URL, or an altered body)"
        )
    try:
        age = (time.time() if now is None else now) - int(timestamp)
    except ValueError:
        raise CallbackVerificationError("X-Baton-Timestamp is not a number") from None
    if abs(age) > max_age_seconds:
        raise CallbackVerificationError(
            f"timestamp is {age:.0f}s old (more than {max_age_seconds:g}s): a replay or a stale retry"
        )
    if seen is not None:
        if delivery_id in seen:
            raise DuplicateDelivery(f"delivery {delivery_id} was already received")
        seen.add(delivery_id)
    try:
        payload: dict[str, Any] = json.loads(body)
    except ValueError:
        raise CallbackVerificationError("body is not JSON") from None
    if not delivery_id.startswith(f"{payload.get('approval_id')}/"):
        raise CallbackVerificationError("the delivery id does not name this approval")
    return payload
