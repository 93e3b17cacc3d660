"""``callback``: POST an approval's final decision to its ``callback_url``,
signed so the receiver can trust it.

Signature: ``X-Baton-Signature: sha256=<hex>``, the HMAC-SHA256 with the
worker's ``BATON_CALLBACK_SECRET`` of ``<X-Baton-Timestamp>.<raw body>``.
Receivers recompute it and reject old timestamps (replays)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from typing import Any

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from ._support import non_retryable, tail
from .http import RETRYABLE_STATUS
from .types import Callback

SECRET_ENV = "BATON_CALLBACK_SECRET"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class CallbackAction:
    def __init__(self, client: httpx.AsyncClient, secret: str | None = None) -> None:
        self._client = client
        self._secret = secret if secret is not None else os.environ.get(SECRET_ENV)

    @activity.defn(name="baton.callback")
    async def callback(self, callback: Callback) -> dict[str, Any]:
        if not self._secret:
            raise non_retryable(
                f"{SECRET_ENV} is not set on the worker; callbacks are signed with it",
                "CallbackNotSigned",
            )
        body = json.dumps(callback.payload, sort_keys=True, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Baton-Timestamp": timestamp,
            "X-Baton-Signature": sign(self._secret, timestamp, body),
            "Idempotency-Key": f"{callback.payload.get('approval_id', '')}:callback",
        }
        try:
            response = await self._client.post(
                callback.url, content=body, headers=headers, timeout=30
            )
        except httpx.HTTPError as exc:
            raise ApplicationError(
                f"POST {callback.url} failed: {type(exc).__name__}: {exc}"
            ) from exc
        if response.status_code >= 400:
            retryable = response.status_code >= 500 or response.status_code in RETRYABLE_STATUS
            raise ApplicationError(
                f"POST {callback.url} returned {response.status_code}: {tail(response.text, 300)}",
                non_retryable=not retryable,
            )
        return {"status_code": response.status_code, "attempts": activity.info().attempt}
