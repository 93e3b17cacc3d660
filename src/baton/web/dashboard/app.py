"""The dashboard's HTTP server: the page app's files and a JSON API over the
client (docs/dashboard.md). Every route calls the same client and monitor
methods as the CLI and the MCP server; nothing here decides anything itself."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Collection
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from temporalio.service import RPCError

from ...errors import (
    BatonError,
    DefinitionError,
    InvalidRequestError,
    ServerError,
    WorkflowNotFoundError,
)
from ...monitoring.monitor import WorkflowMonitor
from ...runtime.client import TemporalWorkflowClient
from . import definitions, live, runs
from .sessions import COOKIE, CSRF_HEADER, Session, Sessions, SignInRefused

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("baton.dashboard")
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
MAX_BODY = 3 * 1024 * 1024
MAX_ANALYTICS_HOURS = 24 * 3660  # ten years

Handler = Callable[[Request, Session | None], Awaitable[Any]]


class Refused(BatonError):
    """An HTTP-level refusal: ``status`` and ``kind`` go to the page."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind = status, kind


def describe_error(exc: BaseException) -> dict[str, Any]:
    """An error as the page shows it (never a traceback)."""
    problems: list[str] = []
    if isinstance(exc, Refused):
        kind = exc.kind
    elif isinstance(exc, RPCError):
        kind, exc = "ServerUnavailable", ServerError(f"the Temporal server: {exc.message}")
    elif isinstance(exc, ServerError):
        kind = "ServerUnavailable"
    elif isinstance(exc, (InvalidRequestError, DefinitionError)):
        kind = "BadRequest"
        problems = [str(i) for i in getattr(exc, "issues", [])]
    elif isinstance(exc, BatonError):
        kind = type(exc).__name__
    else:  # a bug of the dashboard's: said, and logged with its traceback
        log.error("the dashboard failed", exc_info=exc)
        kind = "InternalError"
        exc = BatonError(f"the dashboard failed ({type(exc).__name__}: {exc}); see its log")
    error: dict[str, Any] = {"type": kind, "message": str(exc)}
    if problems:
        error["problems"] = problems
    return {"error": error}


def _status_of(exc: BaseException) -> int:
    if isinstance(exc, Refused):
        return exc.status
    if isinstance(exc, WorkflowNotFoundError):
        return 404
    if isinstance(exc, (InvalidRequestError, DefinitionError)):
        return 400
    if isinstance(exc, (ServerError, RPCError)):
        return 502
    if not isinstance(exc, BatonError):
        return 500
    return 409  # refused as the run stands (not running, a bad action, ...)


class AllowedHosts:
    """Answers only requests whose ``Host`` names this dashboard: a page
    elsewhere that points its own name at 127.0.0.1 (DNS rebinding) gets
    nothing, not even a session."""

    def __init__(self, app: Any, hosts: Collection[str]) -> None:
        self.app, self.hosts = app, {h.lower() for h in hosts}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            host = Headers(scope=scope).get("host", "")
            if host_name(host) not in self.hosts:
                refused = PlainTextResponse(
                    f"this dashboard does not answer to {host!r}; open it as "
                    f"{' or '.join(sorted(self.hosts))}",
                    status_code=421,
                )
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)


def host_name(host: str) -> str:
    """``Host`` without its port: ``[::1]:8780`` -> ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def build_dashboard_app(
    client: TemporalWorkflowClient,
    sessions: Sessions,
    *,
    definitions_folder: Path | None = None,
    live_interval: float = live.INTERVAL,
    hosts: Collection[str] | None = None,
) -> Any:
    """``client`` must be made with ``via="dashboard"`` and
    ``find_credential=False``: it decides only with a signed-in person's
    credential. ``hosts``: the names it answers to (None: any)."""
    plans = runs.Plans(client)
    monitor = WorkflowMonitor(client)
    hub = live.Hub(describe_error, interval=live_interval)

    def session_of(request: Request) -> Session | None:
        return sessions.find(request.cookies.get(COOKIE))

    def api(handler: Handler, *, change: bool = False, open_: bool = False) -> Callable[..., Any]:
        """A JSON route: signed in when the mode needs it, the CSRF token and
        a same-origin request for a change, errors as JSON."""

        async def endpoint(request: Request) -> Response:
            session = session_of(request)
            try:
                if not open_ and sessions.describe(session)["sign_in_required"]:
                    raise Refused(401, "SignInRequired", "sign in first")
                if change:
                    _check_change(request, session)
                    if session is not None and session.principal is not None:
                        try:
                            sessions.still_valid(session)
                        except SignInRefused as exc:
                            raise Refused(401, "SignInRequired", str(exc)) from None
                answer = await handler(request, session)
            except Exception as exc:  # noqa: BLE001 - every failure reaches the page as JSON
                return JSONResponse(describe_error(exc), _status_of(exc), headers=HEADERS)
            if isinstance(answer, Response):
                return answer
            return JSONResponse(answer, headers=HEADERS)

        return endpoint

    # ---- session ---------------------------------------------------------------

    def with_cookie(request: Request, response: Response, session: Session) -> Response:
        response.set_cookie(
            COOKIE,
            session.id,
            httponly=True,
            samesite="strict",
            path="/",
            # behind a TLS proxy (uvicorn takes its X-Forwarded-Proto from 127.0.0.1)
            secure=request.url.scheme == "https",
        )
        return response

    async def get_session(request: Request, session: Session | None) -> Response:
        if session is None:
            session = sessions.new()
        return with_cookie(request, JSONResponse(_session_doc(session), headers=HEADERS), session)

    async def sign_in(request: Request, session: Session | None) -> Response:
        assert session is not None  # _check_change
        try:
            signed_in = sessions.sign_in(session, await _body(request))
        except SignInRefused as exc:
            raise Refused(401, "SignInRefused", str(exc)) from None
        response = JSONResponse(_session_doc(signed_in), headers=HEADERS)
        return with_cookie(request, response, signed_in)

    async def sign_out(request: Request, session: Session | None) -> Response:
        assert session is not None
        sessions.sign_out(session)
        fresh = sessions.new()
        return with_cookie(request, JSONResponse(_session_doc(fresh), headers=HEADERS), fresh)

    def _session_doc(session: Session) -> dict[str, Any]:
        return {
            **sessions.describe(session),
            "server": client.settings.address,
            "namespace": client.settings.namespace,
            "task_queue": client.settings.task_queue,
        }

    # ---- runs ------------------------------------------------------------------

    async def list_runs(request: Request, _: Session | None) -> Any:
        return await runs.list_page(client, request.query_params)

    async def get_run(request: Request, _: Session | None) -> Any:
        return await runs.run_view(client, plans, request.path_params["workflow_id"])

    async def get_history(request: Request, _: Session | None) -> Any:
        return {"events": await client.history(request.path_params["workflow_id"])}

    async def get_inputs(request: Request, _: Session | None) -> Any:
        step_id = request.query_params.get("step")
        if not step_id:
            raise runs.BadRequest("step: the step whose inputs to show")
        workflow_id = request.path_params["workflow_id"]
        return {"step_id": step_id, "attempts": await client.step_inputs(workflow_id, step_id)}

    async def get_output(request: Request, _: Session | None) -> Any:
        return {"steps": await client.running_output(request.path_params["workflow_id"])}

    async def get_analysis(request: Request, _: Session | None) -> Any:
        return await client.health(request.path_params["workflow_id"])

    async def cancel(request: Request, _: Session | None) -> Any:
        await client.cancel(request.path_params["workflow_id"])
        return {"ok": True}

    async def recover(request: Request, session: Session | None) -> Any:
        body = await _body(request)
        who = session.principal if session and session.principal else "not signed in"
        reason = str(body.get("reason") or "").strip() or "by hand"
        result = await monitor.trigger_recovery(
            request.path_params["workflow_id"],
            f"{reason} (from the dashboard, {who})",
            str(body.get("action") or ""),
        )
        return result.to_dict()

    async def send_event(request: Request, _: Session | None) -> Any:
        body = await _body(request)
        kind = body.get("type")
        if not isinstance(kind, str) or not kind.strip():
            raise runs.BadRequest("type: the event's type, such as order.paid")
        delivery = await client.send_event(
            kind.strip(), body.get("data"), workflow_id=request.path_params["workflow_id"]
        )
        return delivery.to_dict()

    async def start_run(request: Request, _: Session | None) -> Any:
        return await definitions.start(client, await _body(request), definitions_folder)

    # ---- definitions -------------------------------------------------------------

    async def list_definitions(request: Request, _: Session | None) -> Any:
        return definitions.listing(definitions_folder)

    async def check_definition(request: Request, _: Session | None) -> Any:
        return definitions.check(client, await _body(request), definitions_folder)

    # ---- approvals ---------------------------------------------------------------

    async def list_approvals(request: Request, session: Session | None) -> Any:
        mine = request.query_params.get("scope", "mine") == "mine"
        if mine and (session is None or session.principal is None):
            return {"approvals": [], "note": "sign in to see what you may decide"}
        rows = await client.list_approvals(
            pending=request.query_params.get("pending") == "1",
            as_user=session.principal if mine and session else None,
        )
        return {"approvals": rows}

    async def get_approval(request: Request, _: Session | None) -> Any:
        approval_id = request.path_params["approval_id"]
        return {
            "status": await client.status(approval_id),
            "refusals": await client.refusals(approval_id),
        }

    def decider(session: Session | None) -> Session:
        if session is None or session.principal is None:
            raise Refused(401, "SignInRequired", "sign in to decide")
        return session

    async def decide(request: Request, session: Session | None) -> Any:
        who = decider(session)
        body = await _body(request)
        decision = body.get("decision")
        if decision not in ("approve", "reject"):
            raise runs.BadRequest("decision: approve or reject")
        feedback = str(body.get("feedback") or "").strip() or None
        data = body.get("data")
        if data is not None and not isinstance(data, dict):
            raise runs.BadRequest("data: the form's values, an object of field: value")
        outcome = await client.submit_decision(
            request.path_params["approval_id"],
            who.principal,
            str(decision),
            feedback,
            credential=who.credential,
            data=data or None,
        )
        return outcome.to_dict()

    async def delegate(request: Request, session: Session | None) -> Any:
        who = decider(session)
        body = await _body(request)
        to = body.get("to")
        if not isinstance(to, str) or not to.strip():
            raise runs.BadRequest("to: whom to delegate to")
        outcome = await client.delegate_approval(
            request.path_params["approval_id"],
            who.principal,
            to.strip(),
            str(body.get("note") or "").strip() or None,
            credential=who.credential,
        )
        return outcome.to_dict()

    # ---- operations --------------------------------------------------------------

    async def operations(request: Request, _: Session | None) -> Any:
        health = await client.health()
        return {
            "health": health,
            "sla_breaches": health.get("sla_breaches") or [],
            "recoveries": await monitor.get_recovery_history(),
        }

    async def analytics(request: Request, _: Session | None) -> Any:
        from datetime import datetime, timedelta, timezone

        name = request.query_params.get("name") or None
        try:
            hours = float(request.query_params.get("since_hours") or 168)
        except ValueError:
            hours = -1.0
        if not 0 < hours <= MAX_ANALYTICS_HOURS:  # (nan too)
            raise runs.BadRequest(f"since_hours: a number of hours, at most {MAX_ANALYTICS_HOURS}")
        since = datetime.now(timezone.utc) - timedelta(hours=hours)
        return await monitor.get_process_analytics(name, since=since)

    # ---- live ----------------------------------------------------------------

    async def live_updates(request: Request, _: Session | None) -> Response:
        wants: list[live.Want] = []
        runs_params = request.query_params.get("runs")
        if runs_params is not None:
            from urllib.parse import parse_qsl

            params = dict(parse_qsl(runs_params))
            params.pop("page_token", None)
            query = runs.runs_query(params)  # a bad filter is said now, not in the stream
            size = runs.page_size(params)

            async def first_page() -> Any:
                return await runs.list_page(client, params)

            wants.append(live.Want("runs", f"runs:{size}:{query}", first_page))
        workflow_id = request.query_params.get("run")
        if workflow_id:

            async def one_run() -> Any:
                return await runs.run_view(client, plans, workflow_id, drawing=False)

            wants.append(live.Want("run", f"run:{workflow_id}", one_run, final=runs.ended))
        if not wants:
            raise runs.BadRequest("live: give runs=<the list's query> and/or run=<id>")
        if hub.full:
            raise Refused(
                503, "TooManyStreams", f"{hub.max_streams} pages follow live updates already"
            )
        return StreamingResponse(
            hub.stream(wants, request.is_disconnected),
            media_type="text/event-stream",
            headers={**HEADERS, "Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    # ---- the page --------------------------------------------------------------

    async def index(request: Request) -> Response:
        page = STATIC / "index.html"
        if not page.exists():  # a broken install: say so rather than fail
            return PlainTextResponse(
                f"the dashboard's page is missing from the package ({page}); reinstall Baton",
                status_code=500,
            )
        return FileResponse(page, headers={**HEADERS, "Cache-Control": "no-store"})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    id_ = "{workflow_id:path}"
    routes = [
        Route("/", index),
        Route("/healthz", healthz),
        Route("/api/session", api(get_session, open_=True), methods=["GET"]),
        Route("/api/session", api(sign_in, change=True, open_=True), methods=["POST"]),
        Route("/api/session", api(sign_out, change=True, open_=True), methods=["DELETE"]),
        Route("/api/runs", api(list_runs), methods=["GET"]),
        Route("/api/runs", api(start_run, change=True), methods=["POST"]),
        Route("/api/live", api(live_updates), methods=["GET"]),
        Route("/api/definitions", api(list_definitions), methods=["GET"]),
        Route("/api/definitions/check", api(check_definition, change=True), methods=["POST"]),
        Route("/api/approvals", api(list_approvals), methods=["GET"]),
        Route("/api/approvals/{approval_id}", api(get_approval), methods=["GET"]),
        Route("/api/approvals/{approval_id}/decide", api(decide, change=True), methods=["POST"]),
        Route(
            "/api/approvals/{approval_id}/delegate", api(delegate, change=True), methods=["POST"]
        ),
        Route("/api/operations", api(operations), methods=["GET"]),
        Route("/api/analytics", api(analytics), methods=["GET"]),
        Route(f"/api/runs/{id_}/history", api(get_history), methods=["GET"]),
        Route(f"/api/runs/{id_}/output", api(get_output), methods=["GET"]),
        Route(f"/api/runs/{id_}/inputs", api(get_inputs), methods=["GET"]),
        Route(f"/api/runs/{id_}/analysis", api(get_analysis), methods=["GET"]),
        Route(f"/api/runs/{id_}/cancel", api(cancel, change=True), methods=["POST"]),
        Route(f"/api/runs/{id_}/recover", api(recover, change=True), methods=["POST"]),
        Route(f"/api/runs/{id_}/events", api(send_event, change=True), methods=["POST"]),
        Route(f"/api/runs/{id_}", api(get_run), methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static"),
    ]
    app = Starlette(routes=routes)
    return app if hosts is None else AllowedHosts(app, hosts)


def _check_change(request: Request, session: Session | None) -> None:
    """A change must come from this dashboard's own page: the session's CSRF
    token in its header, and (when the browser says) the same origin."""
    if session is None or not session.csrf_ok(request.headers.get(CSRF_HEADER)):
        raise Refused(403, "CsrfRefused", "this request lacks the page's token; reload the page")
    origin = request.headers.get("origin")
    if origin is not None and origin.rstrip("/") != f"{request.url.scheme}://{request.url.netloc}":
        raise Refused(403, "CsrfRefused", f"a request from another site ({origin}) is refused")


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise runs.BadRequest(f"the request is larger than {MAX_BODY:,} bytes")
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise runs.BadRequest("the request body is not JSON") from None
    if not isinstance(body, dict):
        raise runs.BadRequest("the request body must be a JSON object")
    return body
