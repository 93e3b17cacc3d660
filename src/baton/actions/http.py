"""``api_call``: an HTTP request through one shared httpx client per worker."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from ..integrations import emitting
from ..monitoring.metrics import record_breaker
from ..policy import ExecutionPolicy
from ..redact import redact, redact_value
from ._support import heartbeating, non_retryable, tail
from .breakers import BreakerConfig, MemoryBreakers, RedisBreakers
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
        breakers: BreakerConfig | None = None,
    ) -> None:
        self._policy = policy or ExecutionPolicy()
        self._secrets = secrets or SecretStore(None)
        # circuit breakers per target host (actions.breakers); None: none
        self._breaker_config = breakers
        self._breakers: MemoryBreakers | RedisBreakers | None = None
        if breakers is not None:
            self._breakers = RedisBreakers(breakers.redis) if breakers.redis else MemoryBreakers()
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
        if self._breakers is not None:
            await self._breakers.close()

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
        host = (urlsplit(url).hostname or "").lower()
        async with heartbeating():
            probe = await self._pass_breaker(host)
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
                await self._tell_breaker(host, False, probe)
                raise ApplicationError(
                    redact(f"{method} {shown_url} failed: {type(exc).__name__}: {exc}", used),
                    type="HttpError",
                ) from None
        # the host is unwell when it errs (5xx) or asks to be left alone (429)
        await self._tell_breaker(
            host, response.status_code < 500 and response.status_code != 429, probe
        )
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

    async def _pass_breaker(self, host: str) -> bool:
        """Through the host's breaker: at once when closed; when open, wait
        for it to half-open (``on_open: wait``) or fail (``fail``). True
        when this call is a half-open probe."""
        if self._breakers is None or self._breaker_config is None or not host:
            return False
        rules = self._breaker_config.for_host(host)
        while True:
            verdict = await self._breakers.ask(host, rules)
            record_breaker(host, verdict.state)
            if verdict.go:
                return verdict.probe
            if rules.on_open == "fail":
                raise non_retryable(
                    f"circuit open for {host} ({verdict.failures} failed calls in a row); "
                    f"it half-opens in {verdict.wait_seconds:.0f}s",
                    "CircuitOpen",
                )
            await asyncio.sleep(min(max(verdict.wait_seconds, 0.05), 5.0))

    async def _tell_breaker(self, host: str, ok: bool, probe: bool) -> None:
        if self._breakers is None or self._breaker_config is None or not host:
            return
        rules = self._breaker_config.for_host(host)
        before_probe = probe
        state = await self._breakers.tell(host, rules, ok, probe)
        opened = state == "open" and not ok
        record_breaker(host, state, opened=opened)
        closed_by_probe = before_probe and ok and state == "closed"
        if opened or closed_by_probe:
            info = activity.info()
            emitting.breaker_changed(
                info.task_queue,
                host,
                state,
                0 if ok else rules.failure_threshold,
                datetime.now(timezone.utc).isoformat(),
            )


def _response_output(response: httpx.Response) -> Any:
    if not response.content:
        return {"status_code": response.status_code}
    try:
        return response.json()
    except ValueError:
        return {"status_code": response.status_code, "body": tail(response.text, 4_000)}
