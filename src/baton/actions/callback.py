"""``callback``: POST an approval's final decision to its ``callback_url``,
signed so the receiver can trust it (format and verification:
:mod:`baton.callbacks`)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from ..callbacks import sign
from ..policy import ExecutionPolicy
from ._support import non_retryable, tail
from .http import RETRYABLE_STATUS
from .network import guarded_request
from .types import Callback

SECRET_ENV = "BATON_CALLBACK_SECRET"


class CallbackAction:
    def __init__(
        self, client: httpx.AsyncClient, secret: str | None, policy: ExecutionPolicy
    ) -> None:
        self._client = client
        self._secret = secret
        self._policy = policy

    @activity.defn(name="baton.callback")
    async def callback(self, callback: Callback) -> dict[str, Any]:
        if not self._secret:
            raise non_retryable(
                f"{SECRET_ENV} is not set on the worker; callbacks are signed with it",
                "CallbackNotSigned",
            )
        info = activity.info()
        # Sign only what the calling approval workflow decided about itself.
        if callback.payload.get("approval_id") != info.workflow_id or not (
            callback.delivery_id.startswith(f"{info.workflow_id}/")
        ):
            raise non_retryable(
                f"refusing to sign a callback about {callback.payload.get('approval_id')!r} "
                f"for workflow {info.workflow_id!r}",
                "CallbackRefused",
            )
        body = json.dumps(callback.payload, sort_keys=True, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Baton-Timestamp": timestamp,
            "X-Baton-Delivery": callback.delivery_id,
            "X-Baton-Signature": sign(
                self._secret, timestamp, callback.delivery_id, callback.url, body
            ),
            "Idempotency-Key": callback.delivery_id,
        }
        try:
            response = await guarded_request(
                self._client,
                self._policy,
                callback.origin,
                "POST",
                callback.url,
                content=body,
                headers=headers,
                timeout=30,
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
        return {"status_code": response.status_code, "attempts": info.attempt}
