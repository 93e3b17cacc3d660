"""The process language's calls: ``http`` (``call: http``), ``openapi``
(``call: openapi``) and ``emit`` (an event out). Their fields are computed in
the workflow (the compiler's jq templates) and arrive here ready to send.

Every request goes through the execution policy's guarded request (the
destination is checked after name resolution, and again for each redirect
when ``redirect`` is set); ``{{secrets.NAME}}`` references resolve here, on
the worker, and are masked in errors and outputs. A response of status 400
or more fails the attempt with its status (``HttpStatusError``: retryable for
5xx, 408, 425 and 429); a request that gets no answer fails as ``HttpError``.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from ..policy import ExecutionPolicy
from ..redact import redact, redact_value
from ._support import heartbeating, non_retryable, tail
from .http import RETRYABLE_STATUS
from .network import guarded_request
from .secrets import SecretStore
from .types import ActionRequest

MAX_REDIRECTS = 5
OUTPUTS = ("content", "response", "raw")


class ProcessCalls:
    def __init__(
        self, policy: ExecutionPolicy, client: httpx.AsyncClient, secrets: SecretStore
    ) -> None:
        self._policy = policy
        self._client = client
        self._secrets = secrets
        self._documents: dict[str, Any] = {}  # OpenAPI documents, by URL

    # ---- call: http -----------------------------------------------------------

    @activity.defn(name="baton.http")
    async def http_call(self, request: ActionRequest) -> Any:
        action = request.action
        used: list[str] = []
        method = str(action.get("method", "get")).upper()
        url = str(self._secrets.resolve(action.get("endpoint", ""), used))
        headers = {
            str(k): str(v)
            for k, v in self._secrets.resolve(action.get("headers") or {}, used).items()
        }
        query = self._secrets.resolve(action.get("query") or {}, used)
        body = self._secrets.resolve(action.get("body"), used)
        auth = self._auth(self._secrets.resolve(action.get("auth"), used), headers)
        response = await self._send(
            request, method, url, headers, query, body, auth, bool(action.get("redirect")), used
        )
        return redact_value(_output(response, str(action.get("output", "content")), url), used)

    def _auth(self, auth: Any, headers: dict[str, str]) -> httpx.Auth | None:
        if not auth:
            return None
        if "basic" in auth:
            basic = auth["basic"]
            return httpx.BasicAuth(str(basic.get("username", "")), str(basic.get("password", "")))
        if "bearer" in auth:
            headers["Authorization"] = f"Bearer {auth['bearer'].get('token', '')}"
            return None
        raise non_retryable(
            f"authentication {', '.join(auth)} is not supported (basic and bearer are)",
            "Unsupported",
        )

    async def _send(
        self,
        request: ActionRequest,
        method: str,
        url: str,
        headers: dict[str, str],
        query: Any,
        body: Any,
        auth: httpx.Auth | None,
        redirect: bool,
        used: list[str],
    ) -> httpx.Response:
        for name, value in headers.items():
            if any(c in value for c in "\r\n\0"):
                raise non_retryable(f"header {name!r} holds a line break or NUL", "InvalidHeader")
        headers = {"Idempotency-Key": request.idempotency_key, **headers}
        kwargs: dict[str, Any] = {"headers": headers, "timeout": request.timeout_seconds}
        if query:
            kwargs["params"] = {str(k): _text(v) for k, v in query.items()}
        if body is not None:
            if isinstance(body, (dict, list)):
                kwargs["json"] = body
            else:
                kwargs["content"] = _text(body)
        if auth is not None:
            kwargs["auth"] = auth
        shown = redact(url, used)
        async with heartbeating():
            for _ in range(MAX_REDIRECTS + 1):
                try:
                    response = await guarded_request(
                        self._client, self._policy, request.origin, method, url, **kwargs
                    )
                except httpx.InvalidURL as exc:
                    raise non_retryable(redact(f"invalid URL {shown!r}: {exc}", used)) from None
                except httpx.HTTPError as exc:
                    raise ApplicationError(
                        redact(f"{method} {shown} failed: {type(exc).__name__}: {exc}", used),
                        {"status": None},
                        type="HttpError",
                    ) from None
                if not (redirect and response.is_redirect and "location" in response.headers):
                    break
                url = urljoin(url, response.headers["location"])
                shown = redact(url, used)
                if response.status_code == 303:
                    method, kwargs = (
                        "GET",
                        {k: v for k, v in kwargs.items() if k not in ("json", "content")},
                    )
            else:
                raise non_retryable(
                    f"{method} {shown}: more than {MAX_REDIRECTS} redirects", "HttpError"
                )
        if response.status_code >= 400 or (response.is_redirect and not redirect):
            status = response.status_code
            message = redact(
                f"{method} {shown} returned {status}: {tail(response.text, 500)}", used
            )
            raise ApplicationError(
                message,
                {
                    "status": status,
                    "title": response.reason_phrase,
                    "detail": tail(response.text, 500),
                },
                type="HttpStatusError",
                non_retryable=not (status >= 500 or status in RETRYABLE_STATUS),
            )
        return response

    # ---- call: openapi --------------------------------------------------------

    @activity.defn(name="baton.openapi")
    async def openapi_call(self, request: ActionRequest) -> Any:
        """An operation of an OpenAPI (2 or 3) document, by ``operationId``,
        with ``parameters`` filled into its path, query and headers (and
        ``body`` for its request body)."""
        action = request.action
        used: list[str] = []
        document_url = str(self._secrets.resolve(action.get("document", ""), used))
        document = await self._document(request, document_url, used)
        operation_id = str(action.get("operationId", ""))
        found = _operation(document, operation_id)
        if found is None:
            raise non_retryable(
                f"{document_url} has no operation {operation_id!r}", "OperationNotFound"
            )
        path, method, operation = found
        parameters = dict(self._secrets.resolve(action.get("parameters") or {}, used))
        query: dict[str, Any] = {}
        headers: dict[str, str] = {}
        body = parameters.pop("body", None)
        for spec in operation.get("parameters", []):
            name, where = spec.get("name"), spec.get("in")
            if name not in parameters:
                if spec.get("required") and where != "body":
                    raise non_retryable(
                        f"operation {operation_id!r} needs parameter {name!r}", "MissingParameter"
                    )
                continue
            value = parameters.pop(name)
            if where == "path":
                path = path.replace("{" + name + "}", httpx.URL(path="/" + _text(value)).path[1:])
            elif where == "query":
                query[name] = value
            elif where == "header":
                headers[name] = _text(value)
            elif where == "body":
                body = value
        url = _base_url(document, document_url) + path
        auth = self._auth(self._secrets.resolve(action.get("auth"), used), headers)
        response = await self._send(
            request,
            method.upper(),
            url,
            headers,
            query,
            body,
            auth,
            bool(action.get("redirect")),
            used,
        )
        return redact_value(_output(response, str(action.get("output", "content")), url), used)

    async def _document(self, request: ActionRequest, url: str, used: list[str]) -> Any:
        if url not in self._documents:
            response = await self._send(request, "GET", url, {}, {}, None, None, True, used)
            try:
                self._documents[url] = response.json()
            except ValueError:
                import yaml

                self._documents[url] = yaml.safe_load(response.text)
        return self._documents[url]

    # ---- emit -----------------------------------------------------------------

    @activity.defn(name="baton.emit")
    async def emit(self, request: ActionRequest) -> Any:
        """An event out: made a CloudEvent (id and time given when missing),
        handed to every run that waits for its type, and returned."""
        from ..runtime.events import deliver_to_waiting_runs

        event = dict(request.action.get("event") or {})
        event.setdefault("specversion", "1.0")
        event.setdefault("id", uuid.uuid4().hex)
        event.setdefault("time", datetime.now(timezone.utc).isoformat())
        event.setdefault("datacontenttype", "application/json")
        if not event.get("type") or not event.get("source"):
            raise non_retryable("an event needs a type and a source", "InvalidEvent")
        await deliver_to_waiting_runs(activity.client(), event)
        return event


def _operation(document: Any, operation_id: str) -> tuple[str, str, dict[str, Any]] | None:
    for path, item in (document.get("paths") or {}).items():
        for method, operation in (item or {}).items():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return path, method, operation
    return None


def _base_url(document: Any, document_url: str) -> str:
    if "servers" in document:  # OpenAPI 3
        servers = document.get("servers") or [{"url": "/"}]
        return urljoin(document_url, str(servers[0].get("url", "/"))).rstrip("/")
    base = document_url.split("://", 1)
    scheme = (document.get("schemes") or [base[0]])[0]
    host = document.get("host") or base[1].split("/", 1)[0]
    return f"{scheme}://{host}{document.get('basePath', '')}".rstrip("/")


def _output(response: httpx.Response, output: str, url: str) -> Any:
    if output == "raw":
        return base64.b64encode(response.content).decode()
    content = _content(response)
    if output == "response":
        return {
            "request": {
                "method": response.request.method,
                "uri": url,  # as the definition wrote it (the request went to its resolved address)
                "headers": {
                    k: v
                    for k, v in response.request.headers.items()
                    if k.lower() != "authorization"
                },
            },
            "statusCode": response.status_code,
            "headers": dict(response.headers.items()),
            "content": content,
        }
    return content


def _content(response: httpx.Response) -> Any:
    if not response.content:
        return None
    kind = response.headers.get("content-type", "")
    if "json" in kind:
        try:
            return response.json()
        except ValueError:
            pass
    try:
        return json.loads(response.text) if kind == "" else response.text
    except ValueError:
        return response.text


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return (
        json.dumps(value)
        if isinstance(value, (dict, list))
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
    )
