"""The ``baton`` command: thin commands over :class:`TemporalWorkflowClient`.

Exit codes: 0 success (for ``run``: the run COMPLETED); 1 the run ended
otherwise, or a request was refused; 2 an invalid definition or
configuration; 3 the Temporal server cannot be started or reached.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ..config import BatonFile, Settings
from ..errors import ServerError
from ..runtime import connected_client
from . import local, render
from .agent_output import agent_logs
from .common import (
    EXIT_RUN_NOT_COMPLETED,
    PROCESS_HELP,
    client_only,
    console,
    err_console,
    json_argument,
    print_json,
    process_config,
    run_command,
)
from .decide import decide
from .dlq import dlq_app
from .events import send_event
from .graph import graph
from .identity import identity_app
from .logs import configure_cli_logging
from .operations import analytics, export_log, health, list_recoveries, policies_app, recover
from .pools import pools
from .schedules import schedule_app
from .sweeps import sweep
from .upgrades import export_histories, replay

if TYPE_CHECKING:
    from ..monitoring.exporter import MetricsExporter

app = typer.Typer(
    name="baton",
    help="Durable workflow orchestration on Temporal: sagas, approvals, multi-agent projects.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(identity_app, name="identity")
app.add_typer(dlq_app, name="dlq")
app.add_typer(schedule_app, name="schedule")
app.command("logs")(agent_logs)
app.command("send")(send_event)
app.command("graph")(graph)
app.command("sweep")(sweep)
app.command("decide")(decide)
app.command("health")(health)
app.command("recover")(recover)
app.command("recoveries")(list_recoveries)
app.command("analytics")(analytics)
app.command("export-log")(export_log)
app.add_typer(policies_app, name="policies")
app.command("replay")(replay)
app.command("pools")(pools)
app.command("export-histories")(export_histories)
SUCCESS_STATUSES = ("COMPLETED", "APPROVED")
_run = run_command
_client_only = client_only


async def _until_signal(body: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await body(stop)


def _link_client(settings: Settings, client: Any) -> Any:
    """The client the decision-link page relays through: no credential of its
    own (the link is the proof), the connection of `baton up`."""
    from ..runtime.client import TemporalWorkflowClient

    return TemporalWorkflowClient(settings, temporal=client.temporal, via="link")


def _serve_local_api(client: Any, settings: Settings) -> asyncio.Task[None] | None:
    """``baton up``'s answers for the CLI (baton.web.local_api), as a task."""
    from ..web.local_api import bind_socket, serve_local_api

    path = settings.local_api_socket
    sock = bind_socket(path)
    if isinstance(sock, str):
        err_console.print(f"[yellow]note:[/] the CLI asks the server directly: {sock}")
        return None
    console.print(f"CLI answers on {path}")
    task = asyncio.create_task(serve_local_api(client, sock, path))

    def ended(done: asyncio.Task[None]) -> None:
        if not done.cancelled() and done.exception() is not None:
            err_console.print(f"[yellow]note:[/] the CLI's local API stopped: {done.exception()}")

    task.add_done_callback(ended)
    return task


async def _schedule_monitor(client: Any) -> None:
    """The monitor's health sweeps (a Temporal Schedule, one however many
    workers run), unless WORKFLOW_MONITORING_ENABLED is false."""
    from ..errors import BatonError
    from ..monitoring.monitor import WorkflowMonitor

    try:
        state = await WorkflowMonitor(client).start_monitoring(resume=False)
    except Exception as exc:  # noqa: BLE001 - the worker runs on without its monitor
        message = exc if isinstance(exc, BatonError) else getattr(exc, "message", exc)
        err_console.print(f"[yellow]note:[/] the monitor is not scheduled: {message}")
        return
    if state["enabled"]:
        console.print(
            f"monitor: a health sweep every {state['interval_seconds']:g}s "
            "(`baton health`; WORKFLOW_MONITORING_ENABLED=false turns it off)"
        )


def _open_metrics(settings: Settings, baton_file: BatonFile) -> MetricsExporter | None:
    """The metrics endpoint of ``baton up``/``baton worker``, listening
    before anything starts (docs/metrics.md): None when turned off, or when
    the default port is taken (a note says so; several workers on one
    machine serve one). A configured address that cannot be used is a
    ConfigError (exit code 2)."""
    from ..errors import ConfigError
    from ..monitoring.exporter import MetricsExporter, metrics_listen

    listen = metrics_listen(settings, baton_file)
    if listen is None:
        return None
    try:
        return MetricsExporter.open(listen)
    except ConfigError as exc:
        if listen.explicit:
            raise
        err_console.print(f"[yellow]note:[/] metrics are not served: {exc}")
        return None


def _serve_metrics(
    exporter: MetricsExporter | None, client: Any, settings: Settings
) -> asyncio.Task[None] | None:
    """Serve ``exporter`` beside the worker, as a task."""
    if exporter is None:
        return None
    console.print(f"metrics on {exporter.url}")
    task = asyncio.create_task(exporter.serve(client.temporal, settings.task_queue))

    def ended(done: asyncio.Task[None]) -> None:
        if not done.cancelled() and done.exception() is not None:
            err_console.print(f"[yellow]note:[/] the metrics endpoint stopped: {done.exception()}")

    task.add_done_callback(ended)
    return task


def _open_dashboard(
    settings: Settings, baton_file: BatonFile, given: str | None = None
) -> tuple[Any, Any] | None:
    """The dashboard's address and listening socket, opened before anything
    starts (docs/dashboard.md): None when turned off, or when the default
    port is taken (a note says so). A configured address that cannot be
    used is a ConfigError (exit code 2)."""
    from ..errors import ConfigError
    from ..web.dashboard import dashboard_listen, open_dashboard

    listen = dashboard_listen(settings, baton_file, given)
    if listen is None:
        return None
    try:
        return listen, open_dashboard(listen, baton_file)
    except ConfigError as exc:
        if listen.explicit or "identity mode" in str(exc):
            raise
        err_console.print(f"[yellow]note:[/] the dashboard is not served: {exc}")
        return None


def _serve_dashboard(
    opened: tuple[Any, Any] | None, settings: Settings, baton_file: BatonFile, client: Any
) -> asyncio.Task[None] | None:
    """Serve the opened dashboard beside the worker, as a task."""
    if opened is None:
        return None
    from ..web.dashboard import dashboard_client, serve_dashboard

    listen, sock = opened
    console.print(f"dashboard on {listen.url}")
    task = asyncio.create_task(
        serve_dashboard(
            dashboard_client(settings, baton_file, client.temporal), sock, host=listen.host
        )
    )

    def ended(done: asyncio.Task[None]) -> None:
        if not done.cancelled() and done.exception() is not None:
            err_console.print(f"[yellow]note:[/] the dashboard stopped: {done.exception()}")

    task.add_done_callback(ended)
    return task


def _print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/] {warning}")


# ---- runtime --------------------------------------------------------------


WORKFLOWS_HELP = (
    "your own @workflow.defn class, as module:Class (imported from the current "
    "directory), run beside Baton's; repeatable (docs/upgrades.md)"
)


def _user_workflows(specs: list[str]) -> list[type]:
    """The classes ``--workflows`` names (a bad name: ConfigError, exit 2)."""
    if not specs:
        return []
    from ..runtime.replay import load_workflow_classes

    return load_workflow_classes(specs, search_path=[Path.cwd()])


@app.command()
def up(
    workflows: list[str] = typer.Option([], "--workflows", help=WORKFLOWS_HELP),
) -> None:
    """Run the embedded Temporal server and a worker in the foreground
    (Ctrl-C stops both). With TEMPORAL_ADDRESS set, only the worker runs.
    Prometheus metrics: http://127.0.0.1:9233/metrics (BATON_METRICS_LISTEN)."""

    async def main() -> None:
        from ..runtime.worker import running_worker

        settings = Settings.from_env()
        baton_file = settings.load_file()
        user_workflows = _user_workflows(workflows)
        exporter = _open_metrics(settings, baton_file)
        opened_dashboard = _open_dashboard(settings, baton_file)
        async with connected_client(
            settings,
            start_embedded=True,
            via="cli",
            telemetry=exporter.telemetry if exporter else None,
        ) as (client, server):
            console.print(render.server_line(server, settings.address))
            console.print(render.identity_line(baton_file.identity))

            async def serve(stop: asyncio.Event) -> None:
                async with running_worker(
                    client.temporal,
                    settings.task_queue,
                    baton_file,
                    user_workflows,
                    settings=settings,
                ):
                    console.print(
                        f"worker polling task queue [bold]{settings.task_queue}[/] "
                        f"in namespace {settings.namespace}; Ctrl-C to stop"
                    )
                    _print_worker_extras(settings, user_workflows)
                    links = baton_file.identity.links
                    served = None
                    if links is not None and links.listen:
                        from ..web.links import serve_links
                        from ..web.listen import parse_listen

                        host, port = parse_listen(links.listen, "identity.links.listen")
                        served = asyncio.create_task(
                            serve_links(lambda: _link_client(settings, client), host, port)
                        )
                        console.print(f"decision links served on http://{host}:{port}/decide/…")
                    local_api = _serve_local_api(client, settings)
                    metrics = _serve_metrics(exporter, client, settings)
                    dashboard = _serve_dashboard(opened_dashboard, settings, baton_file, client)
                    await _schedule_monitor(client)
                    watchdog = None
                    if server is not None and server.owned:
                        watchdog = asyncio.create_task(
                            server.supervise(lambda text: err_console.print(f"[yellow]{text}[/]"))
                        )
                        watchdog.add_done_callback(lambda _: stop.set())
                    await stop.wait()
                    console.print("stopping…")
                    for task in (served, local_api, metrics, dashboard):
                        if task is not None:
                            task.cancel()
                    if watchdog is not None:
                        failure = watchdog.exception() if watchdog.done() else None
                        watchdog.cancel()
                        if failure is not None:
                            raise failure

            await _until_signal(serve)

    _run(main())


def _print_worker_extras(settings: Settings, user_workflows: list[type]) -> None:
    """What a worker runs besides Baton's own: the user's workflows, its build."""
    if user_workflows:
        names = ", ".join(f"{cls.__module__}:{cls.__qualname__}" for cls in user_workflows)
        console.print(f"your workflows: {names}")
    if settings.build_id:
        routing = (
            "the build id is recorded, runs are not routed by it"
            if settings.worker_versioning == "off"
            else f"runs are routed by build ({settings.worker_versioning}); make it current with "
            "`temporal worker deployment set-current-version`"
        )
        console.print(
            f"build {settings.build_id} of deployment "
            f"{settings.deployment_name or settings.task_queue}: {routing}"
        )


@app.command()
def worker(
    workflows: list[str] = typer.Option([], "--workflows", help=WORKFLOWS_HELP),
) -> None:
    """Run only a worker against the configured server (scale out by
    starting more, on as many machines as needed). Prometheus metrics:
    http://127.0.0.1:9233/metrics (BATON_METRICS_LISTEN)."""

    async def main() -> None:
        from ..runtime.worker import running_worker

        settings = Settings.from_env()
        baton_file = settings.load_file()
        user_workflows = _user_workflows(workflows)
        exporter = _open_metrics(settings, baton_file)
        async with connected_client(
            settings,
            start_embedded=False,
            via="cli",
            telemetry=exporter.telemetry if exporter else None,
        ) as (client, _):

            async def serve(stop: asyncio.Event) -> None:
                async with running_worker(
                    client.temporal,
                    settings.task_queue,
                    baton_file,
                    user_workflows,
                    settings=settings,
                ):
                    console.print(
                        f"worker polling task queue [bold]{settings.task_queue}[/] at {settings.address}"
                    )
                    _print_worker_extras(settings, user_workflows)
                    console.print(render.identity_line(baton_file.identity))
                    metrics = _serve_metrics(exporter, client, settings)
                    await _schedule_monitor(client)
                    await stop.wait()
                    if metrics is not None:
                        metrics.cancel()

            await _until_signal(serve)

    _run(main())


# ---- definitions and runs -------------------------------------------------


@app.command()
def validate(
    file: Path = typer.Argument(
        None, help="definition file (YAML or JSON, or a .bpmn model); none: only baton.yaml"
    ),
    process: str = typer.Option(None, "--process", help=PROCESS_HELP),
) -> None:
    """Check a definition without running it, and the integration sections of
    baton.yaml (events, triggers, commands, circuit_breakers) as a worker
    would read them."""

    async def main() -> None:
        from ..definitions.loader import read_document
        from ..integrations.checks import check_integrations
        from ..runtime.documents import compile_for_run
        from ..runtime.preflight import definition_warnings

        settings = Settings.from_env()
        baton_file = settings.load_file()
        configured = await check_integrations(settings, baton_file)
        if file is None:
            shown = baton_file.path or "baton.yaml (none found: defaults)"
            console.print(f"[green]valid[/]: {shown}" + "".join(f"\n  {c}" for c in configured))
            return
        document = read_document(file)
        if document.get("kind") == "sweep":
            from ..runtime.sweeps import checked_sweep

            spec = checked_sweep(document, str(file), settings.load_file().policy, "cli")
            console.print(
                f"[green]valid[/]: {file}: sweep {spec.name!r}, {spec.total:,} trials, "
                f"{spec.parallelism} at once, {spec.trials_per_run} per run"
            )
            return
        compiled = compile_for_run(
            document,
            settings=settings,
            baton_file=baton_file,
            source=str(file),
            config=process_config(document, process, str(file)),
            run_planner_agent=False,
        )
        console.print(f"[green]valid[/]: {file}: {render.describe_compiled(compiled)}")
        _print_warnings(definition_warnings(compiled, settings, baton_file))

    _run(main())


async def _queue_start(
    settings: Settings,
    compiled: Any,
    workflow_id: str | None,
    run_input: Any,
    as_json: bool,
    why: Exception,
) -> int:
    """``baton run`` without a server: the start waits in this machine's
    queue (docs/runtime.md, "When the server is down"); an approval cannot."""
    from ..plan.model import Plan
    from ..runtime.client import TemporalWorkflowClient

    if not isinstance(compiled, Plan):
        raise why
    queued = await TemporalWorkflowClient(settings, via="cli").start_compiled(
        compiled, workflow_id, input=run_input
    )
    if as_json:
        print_json({"workflow_id": queued.workflow_id, "status": "QUEUED"})
    else:
        err_console.print(f"[yellow]{why}[/]")
        console.print(
            f"QUEUED [bold]{queued.workflow_id}[/]: it starts when the server is back and "
            "`baton up` or `baton worker` runs here (`baton status "
            f"{queued.workflow_id}` says QUEUED until then)"
        )
    return 0


@app.command()
def run(
    file: Path = typer.Argument(..., help="definition file (YAML or JSON, or a .bpmn model)"),
    workflow_id: str = typer.Option(None, "--id", help="workflow id (default: <saga_id>-<random>)"),
    no_wait: bool = typer.Option(False, "--no-wait", help="start and return at once"),
    as_json: bool = typer.Option(False, "--json", help="print the final status as JSON"),
    plan_only: bool = typer.Option(False, "--plan-only", help="print the plan and start nothing"),
    input_data: str = typer.Option(
        None, "--input", help="the run's input (processes): JSON, or @file (JSON or YAML)"
    ),
    process: str = typer.Option(None, "--process", help=PROCESS_HELP),
) -> None:
    """Validate and start a definition (saga, approval, project, process, BPMN model),
    then show its progress until it ends. Exit code 0 only when it COMPLETED
    (or APPROVED)."""
    run_input = json_argument(input_data, "--input")

    async def main() -> int:
        from ..definitions.loader import read_document
        from ..runtime.documents import compile_for_run
        from ..runtime.preflight import definition_warnings
        from ..runtime.worker import running_worker

        settings = Settings.from_env()
        baton_file = settings.load_file()
        document = read_document(file)
        compiled = compile_for_run(
            document,
            settings=settings,
            baton_file=baton_file,
            source=str(file),
            config=process_config(document, process, str(file)),
        )
        if plan_only:
            if as_json:
                print_json(dataclasses.asdict(compiled))
            else:
                render.print_plan(console, compiled)
            return 0
        _print_warnings(definition_warnings(compiled, settings))
        stack = contextlib.AsyncExitStack()
        try:
            client, _ = await stack.enter_async_context(_client_only(settings))
        except ServerError as exc:
            return await _queue_start(settings, compiled, workflow_id, run_input, as_json, exc)
        async with stack:
            pollers = await client.workers_polling()
            started = await client.start_compiled(compiled, workflow_id, input=run_input)
            if no_wait:
                if as_json:
                    print_json({"workflow_id": started.workflow_id, "run_id": started.run_id})
                else:
                    console.print(
                        f"started [bold]{started.workflow_id}[/]; follow it with `baton status {started.workflow_id}`"
                    )
                if pollers == 0:
                    err_console.print(
                        f"[yellow]note:[/] no worker polls task queue {settings.task_queue!r}; "
                        "the run waits until `baton up` or `baton worker` runs"
                    )
                return 0
            if not as_json:
                console.print(
                    f"started [bold]{started.workflow_id}[/] ({render.describe_compiled(compiled)})"
                )
            on_update = None if as_json else render.LiveProgress(console)
            if pollers == 0:
                if not as_json:
                    console.print(
                        "[dim]no worker is running: running one in this process until the run ends[/]"
                    )
                async with running_worker(
                    client.temporal, settings.task_queue, baton_file, settings=settings
                ):
                    final = await client.wait(started.workflow_id, on_update)
            else:
                final = await client.wait(started.workflow_id, on_update)
            if as_json:
                print_json(final)
            else:
                console.print(f"\n{started.workflow_id}: {render.styled(final.get('status'))}")
                why = final.get("failure") or final.get("reason")
                if why and not (on_update and on_update.printed(why)):
                    console.print(f"  {why}")
                render.print_result(console, final)
            return 0 if final.get("status") in SUCCESS_STATUSES else EXIT_RUN_NOT_COMPLETED

    raise typer.Exit(_run(main()))


@app.command()
def status(
    workflow_id: str = typer.Argument(...),
    as_json: bool = typer.Option(False, "--json", help="print the status document as JSON"),
) -> None:
    """Show a run's status, steps and compensations."""

    async def main() -> None:
        settings = Settings.from_env()
        state = local.status(settings, workflow_id, running_output=not as_json)
        if state is None:
            try:
                async with _client_only(settings) as (client, _):
                    state = await client.status(workflow_id)
                    if (
                        not as_json
                        and state.get("kind") == "project"
                        and not state.get("closed_at")
                    ):
                        state["running_output"] = await client.running_output(workflow_id)
            except ServerError:
                # the server is down: a start queued here meanwhile is QUEUED
                from ..runtime.client import TemporalWorkflowClient

                state = TemporalWorkflowClient(settings).queued(workflow_id)
                if state is None:
                    raise
        if as_json:
            print_json(state)
        else:
            render.print_status(console, state)

    _run(main())


@app.command("list")
def list_runs(
    as_json: bool = typer.Option(False, "--json"),
    limit: int = typer.Option(50, "--limit", min=1, help="at most this many runs, newest first"),
) -> None:
    """List Baton runs, newest first."""

    async def main() -> None:
        async with _client_only(Settings.from_env()) as (client, _):
            runs = await client.list_runs(limit=limit)
        if as_json:
            print_json(runs)
        else:
            render.print_runs(console, runs)

    _run(main())


@app.command()
def history(
    workflow_id: str = typer.Argument(...),
    as_json: bool = typer.Option(False, "--json", help="print the audit trail as JSON"),
    export: Path = typer.Option(
        None,
        "--export",
        help="write the run's Temporal history (JSON, for `baton replay`) to this file "
        "or directory instead",
    ),
) -> None:
    """The audit trail of a run: what ran when, attempts, errors, compensations."""

    async def main() -> None:
        if export is not None:
            from ..runtime.histories import export_history

            async with _client_only(Settings.from_env()) as (client, _):
                written = await export_history(client, workflow_id, export)
            if as_json:
                print_json(written.to_dict())
            else:
                console.print(
                    f"{workflow_id} ({written.workflow_type}, {written.events} events) "
                    f"-> {written.path}"
                )
            return
        async with _client_only(Settings.from_env()) as (client, _):
            state = await client.status(workflow_id)
            audit = await client.history(workflow_id)
        if as_json:
            print_json(audit)
        else:
            render.print_history(console, {**state, "audit": audit})

    _run(main())


@app.command()
def cancel(workflow_id: str = typer.Argument(...)) -> None:
    """Cancel a running run: its running steps are stopped, then what it did is
    undone (completed steps; in a project, every phase that started)."""

    async def main() -> None:
        async with _client_only(Settings.from_env()) as (client, _):
            effect = await client.cancel(workflow_id)
        console.print(
            f"cancel requested for {workflow_id}: {effect} "
            f"(`baton status {workflow_id}` shows progress)"
        )

    _run(main())


# ---- approvals ------------------------------------------------------------


@app.command()
def approvals(
    pending: bool = typer.Option(False, "--pending", help="only approvals still waiting"),
    as_user: str = typer.Option(
        None, "--as", help="only those this user (or their delegate) may decide"
    ),
    as_json: bool = typer.Option(False, "--json"),
    limit: int = typer.Option(100, "--limit", min=1),
) -> None:
    """The approval inbox, newest first."""

    async def main() -> None:
        async with _client_only(Settings.from_env()) as (client, _):
            rows = await client.list_approvals(pending=pending, as_user=as_user, limit=limit)
        if as_json:
            print_json(rows)
        else:
            render.print_approvals(console, rows)

    _run(main())


def _decide(
    approval_id: str,
    approver: str | None,
    decision: str,
    feedback: str | None,
    as_json: bool,
    data_text: str | None = None,
) -> None:
    data = _form_values(data_text)

    async def main() -> int:
        settings = Settings.from_env()
        outcome = local.decide(settings, approval_id, approver, decision, feedback, data)
        if outcome is None:
            async with _client_only(settings) as (client, _):
                outcome = await client.submit_decision(
                    approval_id, approver, decision, feedback, data=data
                )
        if as_json:
            print_json(outcome)
        elif outcome["accepted"]:
            console.print(
                f"[green]{decision} recorded[/] for {approval_id}; approval is {render.styled(outcome['status'])}"
            )
        else:
            err_console.print(f"[red]refused:[/] {outcome['reason']}")
        return 0 if outcome["accepted"] else 1

    raise typer.Exit(_run(main()))


def _form_values(text: str | None) -> dict[str, Any] | None:
    """``--data``: the request's form filled in, a JSON object."""
    if text is None:
        return None
    import json

    try:
        data = json.loads(text)
    except ValueError as exc:
        raise typer.BadParameter(f"not JSON: {exc}", param_hint="--data") from None
    if not isinstance(data, dict):
        raise typer.BadParameter("a JSON object such as '{\"amount\": 3}'", param_hint="--data")
    return data


DATA_HELP = "the request's form filled in (a BPMN user task's fields): a JSON object"


@app.command()
def approve(
    approval_id: str = typer.Argument(...),
    as_user: str = typer.Option(
        None,
        "--as",
        help="who decides (an approver or their delegate); default: your credential's principal",
    ),
    feedback: str = typer.Option(None, "--feedback"),
    as_json: bool = typer.Option(False, "--json"),
    data: str = typer.Option(None, "--data", help=DATA_HELP),
) -> None:
    """Approve a pending approval."""
    _decide(approval_id, as_user, "approve", feedback, as_json, data)


@app.command()
def reject(
    approval_id: str = typer.Argument(...),
    as_user: str = typer.Option(
        None,
        "--as",
        help="who decides (an approver or their delegate); default: your credential's principal",
    ),
    feedback: str = typer.Option(None, "--feedback"),
    as_json: bool = typer.Option(False, "--json"),
    data: str = typer.Option(None, "--data", help=DATA_HELP),
) -> None:
    """Reject a pending approval."""
    _decide(approval_id, as_user, "reject", feedback, as_json, data)


@app.command()
def delegate(
    approval_id: str = typer.Argument(...),
    as_user: str = typer.Option(
        None,
        "--as",
        help="the approver handing on their vote; default: your credential's principal",
    ),
    to: str = typer.Option(..., "--to", help="who decides instead"),
    note: str = typer.Option(None, "--note"),
) -> None:
    """Hand your vote on the current stage to another person."""

    async def main() -> int:
        async with _client_only(Settings.from_env()) as (client, _):
            outcome = await client.delegate_approval(approval_id, as_user, to, note)
        if outcome["accepted"]:
            console.print(f"{as_user}'s vote on {approval_id} now rests with {to}")
            return 0
        err_console.print(f"[red]refused:[/] {outcome['reason']}")
        return 1

    raise typer.Exit(_run(main()))


@app.command()
def dashboard(
    listen: str = typer.Option(
        None,
        "--listen",
        help="[HOST:]PORT (default: BATON_DASHBOARD_LISTEN, dashboard.listen, 127.0.0.1:8780)",
    ),
    definitions: Path = typer.Option(
        None, "--definitions", help="a folder of definitions the Start page offers"
    ),
) -> None:
    """Serve the web dashboard alone, for the configured Temporal server
    (`baton up` serves it too). Ctrl-C stops it."""

    async def main() -> None:
        from ..web.dashboard import dashboard_client, serve_dashboard

        settings = Settings.from_env()
        baton_file = settings.load_file()
        opened = _open_dashboard(settings, baton_file, listen or None)
        if opened is None:
            err_console.print("the dashboard is turned off (BATON_DASHBOARD_LISTEN / --listen)")
            raise typer.Exit(1)
        where, sock = opened
        console.print(f"dashboard on {where.url} for {settings.address}; Ctrl-C to stop")
        client = dashboard_client(settings, baton_file)

        async def serve(stop: asyncio.Event) -> None:
            task = asyncio.create_task(
                serve_dashboard(client, sock, host=where.host, definitions=definitions)
            )
            task.add_done_callback(lambda _: stop.set())
            await stop.wait()
            failure = task.exception() if task.done() and not task.cancelled() else None
            task.cancel()
            if failure is not None:
                raise failure

        try:
            await _until_signal(serve)
        finally:
            await client.close()

    _run(main())


@app.command()
def mcp(
    http: str = typer.Option(
        None,
        "--http",
        help="serve streamable HTTP on [HOST:]PORT (default host 127.0.0.1) instead of stdio",
    ),
    no_token: bool = typer.Option(
        False,
        "--no-token",
        help="local development only: serve HTTP on 127.0.0.1 without a token "
        "(anyone on this machine can then use it)",
    ),
) -> None:
    """Serve Baton to AI agents over MCP (stdio by default)."""
    from ..identity.verifying import credential_verifier
    from ..mcp.server import build_server, serve_http
    from ..web.listen import parse_listen

    async def main() -> None:
        server = build_server()
        if http is None:
            await server.run_stdio_async()
            return
        host, port = parse_listen(http)
        settings = Settings.from_env()
        token = settings.mcp_token
        verifier = credential_verifier(settings)
        err_console.print(
            f"Baton MCP on http://{host}:{port}/mcp"
            + (" (bearer token required)" if token or verifier else "")
        )
        await serve_http(server, host, port, token, verifier, anonymous_loopback=no_token)

    _run(main())


@app.command()
def demo() -> None:
    """Start the embedded server and a worker, run the seed's onboarding saga
    and a deployment saga that rolls back, against local stand-in services."""
    from ..demo.run import run_demo

    raise typer.Exit(_run(run_demo(console)))


def main() -> None:
    configure_cli_logging()
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    # Leave without interpreter finalisation: the Temporal client's native
    # runtime threads can crash the process while Python tears down (seen as a
    # rare SIGSEGV after the command had finished), which would turn a
    # success into a failed exit code. Everything is flushed first.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
