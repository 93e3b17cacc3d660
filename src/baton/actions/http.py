"""``api_call``: an HTTP request through one shared httpx client per worker."""

from __future__ import annotations

from typing import Any

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from ..policy import ExecutionPolicy
from ..redact import redact, redact_value
from ._support import heartbeating, non_retryable, tail
from .network import guarded_request
from .secrets import SecretStore
from .types import ActionRequest

# Client errors that a retry can fix; every other 4xx is final.
RETRYABLE_STATUS = {408, 409, 425, 429}


class HttpAction:
    def __init__(
        self,
        policy: ExecutionPolicy | None = None,
        client: httpx.AsyncClient | None = None,
        secrets: SecretStore | None = None,
    ) -> None:
        self._policy = policy or ExecutionPolicy()
        self._secrets = secrets or SecretStore(None)
        # redirects are not followed: a 3xx to an internal address would
        # bypass the execution policy
        self._client = client or httpx.AsyncClient(
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
            follow_redirects=False,
        )

    @property
    def client(self) -> httpx.AsyncClient:
        return self._client

    async def aclose(self) -> None:
        await self._client.aclose()

    @activity.defn(name="baton.api_call")
    async def api_call(self, request: ActionRequest) -> Any:
        action = request.action
        used: list[str] = []  # secret values resolved here: masked in errors and output
        method = action.get("method", "GET")
        url = self._secrets.resolve(action["url"], used)
        shown_url = redact(url, used)
        headers = {
            "Idempotency-Key": request.idempotency_key,
            **self._secrets.resolve(action.get("headers", {}), used),
        }
        for name, value in headers.items():
            if any(c in str(value) for c in "\r\n\0"):
                raise non_retryable(
                    f"header {name!r} holds a line break or NUL (from a placeholder value?); "
                    "refusing to send it",
                    "InvalidHeader",
                )
        payload = self._secrets.resolve(action.get("payload"), used)
        async with heartbeating():
            try:
                response = await guarded_request(
                    self._client,
                    self._policy,
                    request.origin,
                    method,
                    url,
                    json=payload if payload is not None else None,
                    headers=headers,
                    timeout=request.timeout_seconds,
                )
            except httpx.InvalidURL as exc:
                raise non_retryable(redact(f"invalid URL {shown_url!r}: {exc}", used)) from None
            except httpx.HTTPError as exc:
                raise ApplicationError(
                    redact(f"{method} {shown_url} failed: {type(exc).__name__}: {exc}", used),
                    type="HttpError",
                ) from None
        if response.status_code >= 400:
            message = redact(
                f"{method} {shown_url} returned {response.status_code}: {tail(response.text, 500)}",
                used,
            )
            retryable = response.status_code >= 500 or response.status_code in RETRYABLE_STATUS
            # the status travels as the error's detail: catch handlers match on it
            raise ApplicationError(
                message,
                {"status": response.status_code},
                type="HttpStatusError",
                non_retryable=not retryable,
            )
        return redact_value(_response_output(response), used)


def _response_output(response: httpx.Response) -> Any:
    if not response.content:
        return {"status_code": response.status_code}
    try:
        return response.json()
    except ValueError:
        return {"status_code": response.status_code, "body": tail(response.text, 4_000)}
