"""The one client every interface (Python API, CLI, MCP, dashboard) uses."""

from __future__ import annotations

import asyncio
import gc
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.runtime import Runtime, TelemetryConfig
from temporalio.service import RPCError, RPCStatusCode

from ..config import BatonFile, Settings
from ..engine.names import (
    APPROVAL_WORKFLOW_NAME,
    STATUS_QUERY,
    SWEEP_WORKFLOW_NAME,
    WORKFLOW_NAME,
)
from ..engine.search_attributes import ALL_KEYS, BATON_KIND, BATON_NAME, BATON_STATUS
from ..engine.state import FINAL_STATUSES, RUNNING
from ..errors import (
    BatonError,
    ConfigError,
    DefinitionError,
    InvalidRequestError,
    Issue,
    NotConnectedError,
    PoolNotFoundError,
    RunAlreadyExistsError,
    RunNotRunningError,
    ServerError,
    WorkflowNotFoundError,
)
from ..plan.model import Plan, RunInput
from ..policy import ENTRY_POINTS
from .codec import data_converter

# what only some calls need is imported by them: a client that only asks
# (`baton status`) loads no compiler, workflow or model (docs/benchmarks.md)
if TYPE_CHECKING:
    from ..definitions.project import ProjectSpec
    from ..identity.credentials import Credential
    from ..plan.approval import ApprovalSpec
    from .approvals import ApprovalInbox
    from .events import EventDelivery, EventSender
    from .results import DecisionOutcome
    from .schedules import Schedules

QUERY_TIMEOUT = timedelta(seconds=5)
BATON_WORKFLOW_TYPES = (WORKFLOW_NAME, APPROVAL_WORKFLOW_NAME, SWEEP_WORKFLOW_NAME)
# what a cancel does, said the same way by the CLI and the MCP server
CANCEL_EFFECT = (
    "running steps stop within about a second, then what the run did is undone "
    "(completed steps; in a project, every phase that started)"
)
CANCEL_EFFECTS = {
    SWEEP_WORKFLOW_NAME: "no new trial starts and the trials running are cancelled; "
    "the sweep ends CANCELED (trials are not undone)",
    APPROVAL_WORKFLOW_NAME: "the approval ends CANCELLED; nobody can decide it any more",
}


class _Connection:
    """A connection this client made, with the SDK runtime it owns. The only
    strong reference to both, so releasing it stops the runtime's threads."""

    def __init__(self, client: Client, runtime: Runtime) -> None:
        self.client: Client | None = client
        self.runtime: Runtime | None = runtime


def _release(connection: _Connection) -> None:
    connection.client = None
    connection.runtime = None
    gc.collect()  # the SDK client sits in a reference cycle


@dataclass
class BatonRun:
    """A started run: its id, and ways to wait for, inspect or cancel it.
    ``await run`` is the same as ``await run.result()``."""

    workflow_id: str
    run_id: str | None
    client: TemporalWorkflowClient
    # what will not work as written (e.g. a callback without a signing secret)
    warnings: list[str] = field(default_factory=list)
    # the server could not be reached: the start waits in this machine's
    # queue (runtime.queued) and runs when a worker submits it
    queued: bool = False

    @property
    def approval_id(self) -> str:
        """For approvals: the approval id (the same as the workflow id)."""
        return self.workflow_id

    async def result(self) -> dict[str, Any]:
        return await self.client.result(self.workflow_id)

    async def status(self) -> dict[str, Any]:
        return await self.client.status(self.workflow_id)

    async def cancel(self) -> None:
        await self.client.cancel(self.workflow_id)

    def __await__(self) -> Any:
        return self.result().__await__()


class TemporalWorkflowClient:
    """Connects to the configured Temporal server and starts, inspects,
    lists and cancels Baton runs (the seed's ``TemporalWorkflowClient``)."""

    # Eager workflow start for runs (``request_eager_start``), off: when a
    # worker in this process polls the run's task queue on the same
    # connection, the server would hand it the run's first workflow task in the
    # start's answer (a task-queue round trip less; elsewhere the SDK clears
    # the flag and the server dispatches as usual). It measured 1.01-1.15x runs
    # per second on bursts of local-step sagas (benchmarks/ab_levers.py), but
    # with it on, tests/e2e/test_cancel_races.py's cancels never caught its
    # step mid-flight (every cancelled run's step COMPLETED; it passes with it
    # off) -- not understood yet, so not the default.
    eager_start: bool = False

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        credential: Credential | None = None,
        via: str = "api",
        temporal: Client | None = None,
        baton_file: BatonFile | None = None,
        telemetry: TelemetryConfig | None = None,
        find_credential: bool = True,
        queue_when_down: bool = True,
    ) -> None:
        """``find_credential=False``: decide only with a credential given to
        each call, never this process's own (``BATON_CREDENTIAL``,
        ``$BATON_HOME/credential``): a server deciding for others.
        ``queue_when_down=False``: a start that finds no server fails
        (ServerError) instead of waiting in the local queue."""
        self.settings = settings or Settings.from_env()
        # a start that finds no server is queued (runtime.queued), not refused
        self.queue_when_down = queue_when_down
        # the telemetry of the runtime connect() makes: metrics, for a worker
        # that serves them (baton.monitoring.exporter)
        self._telemetry = telemetry
        self._shared: Client | None = temporal  # an existing connection to share
        self._connection: _Connection | None = None  # one this client made
        self._release: weakref.finalize | None = None
        self._baton_file: BatonFile | None = baton_file  # else baton.yaml, read once
        self._credential = credential
        self._credential_loaded = credential is not None or not find_credential
        # the entry point decisions are signed for: api, cli or mcp
        self.via = via
        self._approvals: ApprovalInbox | None = None
        self._events: EventSender | None = None
        self._schedules: Schedules | None = None

    @property
    def approvals(self) -> ApprovalInbox:
        """Requests and decisions (:class:`~baton.runtime.approvals.ApprovalInbox`)."""
        if self._approvals is None:
            from .approvals import ApprovalInbox

            self._approvals = ApprovalInbox(self)
        return self._approvals

    @property
    def events(self) -> EventSender:
        """Events sent to runs (:class:`~baton.runtime.events.EventSender`)."""
        if self._events is None:
            from .events import EventSender

            self._events = EventSender(self)
        return self._events

    @property
    def schedules(self) -> Schedules:
        """Temporal Schedules of Baton definitions
        (:class:`~baton.runtime.schedules.Schedules`, docs/schedules.md)."""
        if self._schedules is None:
            from .schedules import Schedules

            self._schedules = Schedules(self)
        return self._schedules

    @property
    def credential(self) -> Credential | None:
        """The credential decisions are signed with: given to the constructor,
        else ``BATON_CREDENTIAL`` or ``$BATON_HOME/credential``; None without one."""
        if not self._credential_loaded:
            from ..identity.keys import load_credential

            self._credential = load_credential(self.settings)
            self._credential_loaded = True
        return self._credential

    @property
    def baton_file(self) -> BatonFile:
        """baton.yaml, read once per client (agent names for validation)."""
        if self._baton_file is None:
            self._baton_file = self.settings.load_file()
        return self._baton_file

    @property
    def temporal(self) -> Client:
        client = self._client
        if client is None:
            raise NotConnectedError("not connected: call `await client.connect()` first")
        return client

    async def connect(self) -> Client:
        if self._client is None:
            address = self.settings.address
            try:
                # A runtime of its own, so close() can stop its threads while
                # Python is still alive (see close()).
                runtime = Runtime(telemetry=self._telemetry or TelemetryConfig())
                client = await asyncio.wait_for(
                    Client.connect(
                        address,
                        namespace=self.settings.namespace,
                        runtime=runtime,
                        data_converter=data_converter(self.settings.codec_key),
                    ),
                    15,
                )
                self._connection = _Connection(client, runtime)
                # released by close(), when this object is collected, or at exit
                self._release = weakref.finalize(self, _release, self._connection)
            except (RuntimeError, asyncio.TimeoutError, OSError) as exc:
                hint = (
                    "start the embedded server with `baton up`"
                    if self.settings.embedded
                    else "check TEMPORAL_ADDRESS"
                )
                raise ServerError(f"cannot reach Temporal at {address}: {hint} ({exc})") from exc
        return self.temporal

    async def close(self) -> None:
        """Drop the connection and stop its runtime's threads. Scripts that end
        without it are closed at interpreter exit (a ``weakref.finalize``): the
        Temporal SDK's native threads must stop before Python finalises, or
        the process can abort after its work is done (sdk-python issue 300).
        ``async with get_temporal_client() as client:`` closes on leaving.
        A closed client connects again when it is used again."""
        if self._release is not None:
            self._release()
        self._connection = self._release = None

    @property
    def _client(self) -> Client | None:
        if self._connection is not None and self._connection.client is not None:
            return self._connection.client
        return self._shared

    @_client.setter
    def _client(self, client: Client | None) -> None:
        self._shared = client

    async def __aenter__(self) -> TemporalWorkflowClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def ensure_search_attributes(self) -> None:
        """Register Baton's search attributes where they are missing."""
        client = await self.connect()
        ns = self.settings.namespace
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=ns)
        )
        missing: dict[str, Any] = {
            key.name: key.indexed_value_type
            for key in ALL_KEYS
            if key.name not in existing.custom_attributes
        }
        if missing:
            try:
                await client.operator_service.add_search_attributes(
                    AddSearchAttributesRequest(namespace=ns, search_attributes=missing)
                )
            except RPCError as exc:
                raise ServerError(
                    f"cannot register search attributes {', '.join(missing)} in namespace {ns!r}: "
                    f"{exc.message}; ask an operator to add them (see docs/runtime.md)"
                ) from exc

    # ---- starting ---------------------------------------------------------

    async def start_workflow(
        self,
        workflow_class: Any,
        workflow_args: Any = None,
        workflow_id: str | None = None,
        *,
        task_queue: str | None = None,
        **options: Any,
    ) -> WorkflowHandle[Any, Any]:
        """Start any workflow (the seed's signature), e.g. a user's own
        ``@workflow.defn`` class, on Baton's task queue."""
        client = await self.connect()
        run_method = getattr(workflow_class, "run", workflow_class)
        args = [] if workflow_args is None else [workflow_args]
        return await client.start_workflow(
            run_method,
            args=args,
            id=workflow_id
            or f"{getattr(workflow_class, '__name__', 'workflow')}-{uuid.uuid4().hex[:8]}",
            task_queue=task_queue or self.settings.task_queue,
            **options,
        )

    @property
    def origin(self) -> str:
        """The entry point this client starts runs for (execution policy)."""
        return self.via if self.via in ENTRY_POINTS else "api"

    def check_policy(self, compiled: Plan | ApprovalSpec, source: str) -> None:
        """Refuse before starting what the workers' policy would refuse."""
        from .preflight import policy_issues

        baton_file = self.baton_file
        issues = policy_issues(compiled, baton_file.policy, self.origin, baton_file.channels)
        if issues:
            raise DefinitionError(source, issues)

    async def start_plan(
        self, plan: Plan, workflow_id: str | None = None, *, input: Any = None, once: bool = False
    ) -> BatonRun:
        """Start a compiled (or hand-built) plan; ``input`` is the data its
        first nodes get (``workflow.input`` in expressions). ``once``: never
        a second run with this id, even after the first ended (a trigger's
        message redelivered): RunAlreadyExistsError instead."""
        from .preflight import definition_warnings

        wire = self.run_wire(plan, input)
        workflow_id = workflow_id or f"{plan.id}-{uuid.uuid4().hex[:8]}"
        try:
            client = await self.connect()
        except ServerError:
            if not self.queue_when_down:
                raise
            return self._queue(plan, workflow_id, wire)
        try:
            handle: WorkflowHandle[Any, Any] = await client.start_workflow(
                WORKFLOW_NAME,
                wire,
                id=workflow_id,
                task_queue=self.settings.task_queue,
                request_eager_start=self.eager_start,
                id_reuse_policy=(
                    WorkflowIDReusePolicy.REJECT_DUPLICATE
                    if once
                    else WorkflowIDReusePolicy.ALLOW_DUPLICATE
                ),
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(BATON_KIND, plan.kind),
                        SearchAttributePair(BATON_NAME, plan.name),
                        SearchAttributePair(BATON_STATUS, RUNNING),
                    ]
                ),
            )
        except WorkflowAlreadyStartedError as exc:
            raise RunAlreadyExistsError(
                f"a run with id {workflow_id!r} "
                + ("was started already" if once else "is already running; choose another --id")
            ) from exc
        except RPCError as exc:
            if exc.status == RPCStatusCode.ALREADY_EXISTS:
                raise RunAlreadyExistsError(
                    f"a run with id {workflow_id!r} is already running; choose another --id"
                ) from exc
            raise ServerError(f"cannot start {workflow_id!r}: {exc.message}") from exc
        return BatonRun(
            workflow_id,
            handle.first_execution_run_id,
            self,
            definition_warnings(plan, self.settings, self.baton_file),
        )

    def run_wire(self, plan: Plan, input: Any = None) -> dict[str, Any]:
        """The interpreter's input for a run of ``plan`` with ``input``, as
        sent to Temporal — checked (the plan's rules, the execution policy
        for this client's entry point, the size), with which steps run
        locally decided: what :meth:`start_plan` starts and what a schedule
        keeps for every run it starts (baton.runtime.schedules)."""
        from ..definitions.limits import MAX_PLAN_BYTES, json_size
        from ..plan.checks import check_plan
        from ..plan.dispatch import settle
        from ..plan.wire import to_wire

        check_plan(plan)
        settle(plan)  # which steps run locally, decided once, in the run's input
        plan.options.origin = self.origin
        self.check_policy(plan, plan.id)
        wire: dict[str, Any] = to_wire(RunInput(plan=plan, input=input))
        size = json_size(wire["plan"])
        if size > MAX_PLAN_BYTES:
            raise DefinitionError(
                plan.id,
                [
                    Issue(
                        "",
                        f"the plan is {size:,} bytes as the run's input; at most "
                        f"{MAX_PLAN_BYTES:,}: fewer steps, or large values passed by reference",
                    )
                ],
            )
        return wire

    def _queue(self, plan: Plan, workflow_id: str, wire: Any) -> BatonRun:
        """The server cannot be reached: the start waits in this machine's
        queue (runtime.queued) and runs when a worker submits it."""
        from .preflight import definition_warnings
        from .queued import StartQueue

        queue = StartQueue(self.settings.home)
        try:
            queue.add(workflow_id, self.settings.task_queue, plan.kind, plan.name, wire)
        finally:
            queue.close()
        return BatonRun(
            workflow_id,
            None,
            self,
            definition_warnings(plan, self.settings, self.baton_file),
            queued=True,
        )

    def queued(self, workflow_id: str) -> dict[str, Any] | None:
        """A start of this machine's queue (QUEUED), or None."""
        from .queued import QUEUE_FILE, StartQueue, queued_status

        if not (self.settings.home / QUEUE_FILE).exists():
            return None
        queue = StartQueue(self.settings.home)
        try:
            entry = queue.find(workflow_id)
        finally:
            queue.close()
        return queued_status(entry) if entry else None

    async def start(
        self,
        document: dict[str, Any],
        *,
        kind: str | None = None,
        config: dict[str, Any] | None = None,
        coordination_mode: str | None = None,
        workflow_id: str | None = None,
        source: str = "<dict>",
        input: Any = None,
        once: bool = False,
    ) -> BatonRun:
        """Validate, compile and start a definition of any kind (a saga, an
        approval, a project, a process): the one way in. ``kind`` insists on
        one; ``config`` is the seed's ``config`` argument (over the
        document's); ``input`` is a process's input; ``once``: see
        :meth:`start_plan`."""
        from .documents import compile_for_run

        compiled = compile_for_run(
            document,
            settings=self.settings,
            baton_file=self.baton_file,
            source=source,
            kind=kind,
            config=config,
            coordination_mode=coordination_mode,
        )
        return await self.start_compiled(compiled, workflow_id, input=input, once=once)

    async def start_file(
        self,
        path: str | Path,
        *,
        input: Any = None,
        config: dict[str, Any] | None = None,
        workflow_id: str | None = None,
    ) -> BatonRun:
        """Validate, compile and start the definition in a file of any kind
        (YAML, JSON, a ``.bpmn`` model) as ``baton run FILE`` does: what it
        refers to (sub-processes, called BPMN processes) is found beside it.
        ``config``: the seed's ``config`` (for a BPMN model with several
        processes, ``{"process": ID}``)."""
        from ..definitions.loader import read_document

        return await self.start(
            read_document(path),
            config=config,
            workflow_id=workflow_id,
            source=str(path),
            input=input,
        )

    async def start_compiled(
        self,
        compiled: Plan | ApprovalSpec,
        workflow_id: str | None = None,
        *,
        input: Any = None,
        once: bool = False,
    ) -> BatonRun:
        """Start what a definition compiled to (a plan or an approval)."""
        from ..plan.approval import ApprovalSpec

        if isinstance(compiled, ApprovalSpec):
            if workflow_id:
                compiled.approval_id = workflow_id
            return await self.request_approval(compiled)
        self.check_startable(compiled, input)
        return await self.start_plan(compiled, workflow_id, input=input, once=once)

    def check_startable(self, plan: Plan, input: Any = None) -> None:
        """What a compiled definition must meet to start here with
        ``input``: its agents' programs installed, the input its schema
        asks for (said before the run starts; the workflow checks again)."""
        from ..plan.schemas import data_problem
        from .documents import check_agent_programs

        check_agent_programs(plan, self.baton_file)
        schema = plan.options.input_schema
        if schema is not None:
            reason = data_problem(schema, input)
            if reason:
                raise DefinitionError(
                    "input", [Issue("/input/schema", f"the input does not match: {reason}")]
                )

    async def start_process(
        self,
        definition: dict[str, Any],
        input: Any = None,
        *,
        workflow_id: str | None = None,
        source: str = "<dict>",
    ) -> BatonRun:
        """Start a process (a Serverless Workflow 1.0 document) with ``input``."""
        return await self.start(
            definition, kind="process", workflow_id=workflow_id, source=source, input=input
        )

    async def start_project(
        self,
        project_spec: ProjectSpec | dict[str, Any],
        config: dict[str, Any] | None = None,
        workflow_id: str | None = None,
    ) -> BatonRun:
        """The seed's call: plan a ProjectSpec (with its planner agent, if the
        config names one) and start it."""
        from ..definitions.project import ProjectSpec

        spec = project_spec.model_dump() if isinstance(project_spec, ProjectSpec) else project_spec
        return await self.start(
            spec,
            kind="project",
            config=config or {},
            workflow_id=workflow_id,
            source="project_spec",
        )

    async def start_saga(
        self,
        definition: dict[str, Any],
        *,
        config: dict[str, Any] | None = None,
        coordination_mode: str | None = None,
        workflow_id: str | None = None,
        source: str = "saga_definition",
    ) -> BatonRun:
        """The seed's call: validate the saga JSON and start it."""
        return await self.start(
            definition,
            kind="saga",
            config=config,
            coordination_mode=coordination_mode,
            workflow_id=workflow_id,
            source=source,
        )

    async def start_sweep(
        self,
        definition: dict[str, Any] | str | Path,
        workflow_id: str | None = None,
        *,
        source: str = "<dict>",
    ) -> BatonRun:
        """Validate a ``kind: sweep`` definition (a dict or a file) and start
        it (docs/sweeps.md); its status and result are the sweep's document."""
        from .sweeps import start_sweep

        return await start_sweep(self, definition, workflow_id, source=source)

    # ---- approvals: the seed's names, over self.approvals ---------------------

    async def request_approval(self, spec: ApprovalSpec) -> BatonRun:
        return await self.approvals.request_approval(spec)

    async def request_human_approval(
        self,
        workflow_id: str | None,
        stage: str,
        description: str,
        context: dict[str, Any] | None = None,
        timeout_seconds: float | None = None,
        callback_url: str | None = None,
        *,
        approvers: list[str] | None = None,
        quorum: int | str = "any",
        on_timeout: str = "reject",
        notify: list[str] | None = None,
        approval_id: str | None = None,
    ) -> BatonRun:
        """The seed's call: one stage named ``stage`` (see ApprovalInbox)."""
        return await self.approvals.request_human_approval(
            workflow_id,
            stage,
            description,
            context,
            timeout_seconds,
            callback_url,
            approvers=approvers,
            quorum=quorum,
            on_timeout=on_timeout,
            notify=notify,
            approval_id=approval_id,
        )

    async def submit_decision(
        self,
        approval_id: str,
        approver_id: str | None,
        decision: str,
        feedback: str | None = None,
        *,
        credential: Credential | None = None,
        data: dict[str, Any] | None = None,
    ) -> DecisionOutcome:
        """Decide: a :class:`DecisionOutcome` (``accepted``, ``reason``,
        ``status``; it reads as a dict too), see ApprovalInbox. ``data``: the
        request's form filled in."""
        return await self.approvals.submit_decision(
            approval_id, approver_id, decision, feedback, credential=credential, data=data
        )

    async def submit_link_decision(self, token: str) -> DecisionOutcome:
        return await self.approvals.submit_link_decision(token)

    async def delegate_approval(
        self,
        approval_id: str,
        approver_id: str | None,
        to: str,
        note: str | None = None,
        *,
        credential: Credential | None = None,
    ) -> DecisionOutcome:
        return await self.approvals.delegate_approval(
            approval_id, approver_id, to, note, credential=credential
        )

    async def list_approvals(
        self, *, pending: bool = False, as_user: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """The inbox (eventually consistent: a new request shows within a moment)."""
        return await self.approvals.list_approvals(pending=pending, as_user=as_user, limit=limit)

    async def refusals(self, approval_id: str) -> list[dict[str, Any]]:
        return await self.approvals.refusals(approval_id)

    # ---- events -------------------------------------------------------------

    async def send_event(
        self,
        type: str,
        data: Any = None,
        *,
        workflow_id: str | None = None,
        source: str = "baton",
        subject: str | None = None,
        event_id: str | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> EventDelivery:
        """Send a CloudEvent to ``workflow_id``, or to every run waiting for
        ``type`` (see :class:`~baton.runtime.events.EventSender`);
        ``extensions``: more attributes (a reply's ``correlationid``)."""
        # the entry point it came through is kept with it (the run's audit shows it)
        from .events import cloud_event

        event = cloud_event(
            type,
            data,
            source=source,
            subject=subject,
            event_id=event_id,
            extensions={**(extensions or {}), "batonorigin": self.origin},
        )
        return await self.events.send(event, workflow_id)

    # ---- inspecting -------------------------------------------------------

    async def _describe(self, workflow_id: str) -> Any:
        client = await self.connect()
        handle = client.get_workflow_handle(workflow_id)
        try:
            return handle, await handle.describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise WorkflowNotFoundError(workflow_id) from None
            raise ServerError(f"cannot describe {workflow_id!r}: {exc.message}") from exc

    async def describe(self, workflow_id: str) -> Any:
        """Temporal's description of the run (its execution status, task
        queue, pending activities); WorkflowNotFoundError when there is none."""
        _, desc = await self._describe(workflow_id)
        return desc

    async def status(self, workflow_id: str) -> dict[str, Any]:
        """The run's status document (docs/status.md). A running run is asked
        by query; a finished one is read from its result, with no worker. A
        start queued on this machine while the server was down is QUEUED."""
        try:
            state, _ = await self.described_status(workflow_id)
        except (WorkflowNotFoundError, ServerError):
            queued = self.queued(workflow_id)
            if queued is None:
                raise
            return queued
        return state

    async def described_status(
        self, workflow_id: str, *, answered: Callable[[Any], Awaitable[bool]] | None = None
    ) -> tuple[dict[str, Any], Any]:
        """The status document and Temporal's description it was read with
        (for health checks: one describe, not two). ``answered(desc)``: whether
        a worker can answer the running run's query now; when not, its summary
        is given at once instead of waiting out the query's timeout."""
        handle, desc = await self._describe(workflow_id)
        try:
            return await self._status_of(handle, desc, answered), desc
        except KeyError as exc:
            raise _unreadable(workflow_id, exc) from None

    async def _status_of(
        self,
        handle: Any,
        desc: Any,
        answered: Callable[[Any], Awaitable[bool]] | None = None,
    ) -> dict[str, Any]:
        if desc.workflow_type not in BATON_WORKFLOW_TYPES:
            summary = _summary(desc)
            if desc.status == WorkflowExecutionStatus.RUNNING:
                running = await self._running_progress(desc)
                if running:
                    summary["running_activities"] = running
            return summary
        if desc.status == WorkflowExecutionStatus.COMPLETED:
            result: dict[str, Any] = await handle.result()
            return result
        if desc.status == WorkflowExecutionStatus.RUNNING and answered is not None:
            if not await answered(desc):
                summary = _summary(desc)
                summary["note"] = (
                    f"no worker polls task queue {desc.task_queue!r}; "
                    "start one with `baton up` or `baton worker`"
                )
                return summary
        if desc.status == WorkflowExecutionStatus.RUNNING:
            try:
                state: dict[str, Any] = await handle.query(STATUS_QUERY, rpc_timeout=QUERY_TIMEOUT)
                return await self._with_progress(state, desc)
            except RPCError:
                summary = _summary(desc)
                summary["note"] = (
                    f"no worker answered on task queue {self.settings.task_queue!r}; "
                    "start one with `baton up` or `baton worker`"
                )
                return summary
            except WorkflowQueryFailedError as exc:
                # the run ended as it was asked (a query racing its last
                # workflow task): read it as it stands now
                again = await handle.describe()
                if again.status == WorkflowExecutionStatus.COMPLETED:
                    ended: dict[str, Any] = await handle.result()
                    return ended
                summary = _summary(again)
                summary["note"] = f"the run could not answer its status query now: {exc}"
                return summary
        return _summary(desc)

    async def _running_progress(self, desc: Any) -> list[dict[str, Any]]:
        """Progress reported by the run's pending activities (runtime/progress.py)."""
        from .progress import pending_progress

        if not desc.raw_description.pending_activities:
            return []
        client = await self.connect()
        return await pending_progress(desc, client.data_converter)

    async def _with_progress(self, state: dict[str, Any], desc: Any) -> dict[str, Any]:
        from .progress import with_progress

        running = await self._running_progress(desc)
        return with_progress(state, running) if running else state

    async def history(self, workflow_id: str) -> list[dict[str, Any]]:
        """The audit trail of a run, oldest first. For an approval it includes
        the refusals kept in its refusal log (decisions refused before they
        reached the approval, or after it ended)."""
        state = await self.status(workflow_id)
        audit: list[dict[str, Any]] = list(state.get("audit") or [])
        if state.get("kind") == "approval" or state.get("workflow_type") == APPROVAL_WORKFLOW_NAME:
            refusals = await self.refusals(workflow_id)
            audit += [
                {
                    "at": r["at"],
                    "event": r["event"],
                    "step_id": None,
                    "actor": r["actor"],
                    "attempt": None,
                    "detail": r["detail"]
                    + (f" ({r['count']} times)" if r["count"] > 1 else "")
                    + (f" (via {r['via']})" if r.get("via") else "")
                    + (" (recorded by the client)" if r["source"] == "client" else ""),
                }
                for r in refusals
            ]
            audit.sort(key=lambda e: e["at"] or "")
        return audit

    async def running_output(self, workflow_id: str) -> dict[str, str]:
        """The last lines each running agent step has printed, by step id, as
        its heartbeats carry them (readable from any machine)."""
        _, desc = await self._describe(workflow_id)
        client = await self.connect()
        found: dict[str, str] = {}
        for pending in desc.raw_description.pending_activities:
            payloads = pending.heartbeat_details.payloads
            if not payloads:
                continue
            (details,) = await client.data_converter.decode(payloads[:1], [dict])
            step_id = pending.activity_id.split(".", 1)[0]
            if isinstance(details, dict) and details.get("output"):
                found[step_id] = str(details["output"])
        return found

    async def step_inputs(self, workflow_id: str, step_id: str) -> list[dict[str, Any]]:
        """What each attempt of a step was given — its action with the
        placeholders filled, headers, env and credentials masked, oldest
        first — read from the run's history (activities it scheduled). A step
        run as a local activity leaves none there; neither does a node that
        runs no action."""
        from temporalio.api.enums.v1 import EventType

        from ..redact import redact_action

        prefix = f"{step_id}."
        found: list[dict[str, Any]] = []
        async for event in self._history_events(workflow_id):
            if event.event_type != EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                continue
            scheduled = event.activity_task_scheduled_event_attributes
            if not scheduled.activity_id.startswith(prefix):
                continue
            phase, _, attempt = scheduled.activity_id[len(prefix) :].partition(".")
            request = await self._decoded(workflow_id, scheduled.input.payloads)
            found.append(
                {
                    "phase": phase,
                    "attempt": int(attempt.split(".")[0]) if attempt else None,
                    "scheduled_at": event.event_time.ToDatetime()
                    .replace(tzinfo=timezone.utc)
                    .isoformat(),
                    # as people may see it: headers, env and credentials masked
                    "action": redact_action(
                        request.get("action") if isinstance(request, dict) else request
                    ),
                }
            )
        return found

    async def _history_events(
        self, workflow_id: str, page_size: int | None = None
    ) -> AsyncIterator[Any]:
        """The run's history events, oldest first."""
        client = await self.connect()
        handle = client.get_workflow_handle(workflow_id)
        try:
            async for event in handle.fetch_history_events(page_size=page_size):
                yield event
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise WorkflowNotFoundError(workflow_id) from None
            raise ServerError(f"cannot read {workflow_id!r}: {exc.message}") from exc

    async def _decoded(self, workflow_id: str, payloads: Any) -> Any:
        """The first of ``payloads`` as plain data (a codec error said)."""
        client = await self.connect()
        try:
            (value,) = await client.data_converter.decode(list(payloads)[:1], [dict])
        except KeyError as exc:
            raise _unreadable(workflow_id, exc) from None
        return value

    def log_path(self, workflow_id: str, step_id: str) -> Path:
        """Where this machine's worker writes a step's agent output."""
        from ..actions._support import agent_log_path

        return agent_log_path(self.settings.home / "logs", workflow_id, step_id)

    async def result(self, workflow_id: str) -> dict[str, Any]:
        client = await self.connect()
        try:
            result: dict[str, Any] = await client.get_workflow_handle(workflow_id).result()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise WorkflowNotFoundError(workflow_id) from None
            raise
        except KeyError as exc:
            raise _unreadable(workflow_id, exc) from None
        return result

    async def wait(
        self,
        workflow_id: str,
        on_update: Callable[[dict[str, Any]], Awaitable[None] | None] | None = None,
        poll_seconds: float = 0.5,
    ) -> dict[str, Any]:
        """Poll status until the run ends, calling ``on_update`` with each
        status document; returns the final one."""
        while True:
            state = await self.status(workflow_id)
            if on_update is not None:
                maybe = on_update(state)
                if maybe is not None:
                    await maybe
            if state.get("status") in FINAL_STATUSES or state.get("closed_at"):
                return state
            await asyncio.sleep(poll_seconds)

    async def list_runs(self, limit: int = 50, query: str | None = None) -> list[dict[str, Any]]:
        client = await self.connect()
        runs = []
        seen: set[str] = set()
        async for wf in client.list_workflows(_runs_query(query), limit=limit):
            if wf.id in seen:
                continue  # an earlier execution of the same id (a reset, a rerun): the newest counts
            seen.add(wf.id)
            runs.append(run_row(wf))
        return runs

    async def list_runs_page(
        self, query: str | None = None, *, page_size: int = 50, page_token: bytes | None = None
    ) -> tuple[list[dict[str, Any]], bytes | None]:
        """One page of runs in the server's order (open runs first, newest
        started first; then ended runs, most recently ended first), and the
        token of the next page (None on the last): the dashboard's list."""
        client = await self.connect()
        pages = client.list_workflows(
            _runs_query(query), page_size=page_size, next_page_token=page_token
        )
        try:
            await pages.fetch_next_page()
        except RPCError as exc:
            if exc.status == RPCStatusCode.INVALID_ARGUMENT:
                raise InvalidRequestError(
                    f"the list's query or page token is not valid: {exc.message}"
                ) from None
            raise ServerError(f"cannot list runs: {exc.message}") from exc
        rows = [run_row(wf) for wf in pages.current_page or []]
        return rows, (pages.next_page_token or None)

    async def plan_of(self, workflow_id: str) -> Any:
        """The plan a run was started with (its first history event's input),
        or None for a run that is not an interpreted plan (an approval)."""
        started = await self.started_with(workflow_id)
        return started.plan if started is not None else None

    async def started_with(self, workflow_id: str) -> RunInput | None:
        """What a run was started with — its plan and input — read from its
        first history event; None for a run that is not an interpreted plan."""
        from temporalio.api.enums.v1 import EventType

        from ..plan.wire import run_input_from_wire

        async for event in self._history_events(workflow_id, page_size=1):
            if event.event_type != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
                return None
            started = event.workflow_execution_started_event_attributes
            if started.workflow_type.name != WORKFLOW_NAME or not started.input.payloads:
                return None
            return run_input_from_wire(await self._decoded(workflow_id, started.input.payloads))
        return None

    async def cancel(self, workflow_id: str) -> str:
        """Ask the run to stop; what that does, in words (by its kind)."""
        handle, desc = await self._describe(workflow_id)
        if desc.status != WorkflowExecutionStatus.RUNNING:
            raise RunNotRunningError(
                f"{workflow_id!r} is not running (it is {desc.status.name}); nothing to cancel"
            )
        await handle.cancel()
        return CANCEL_EFFECTS.get(desc.workflow_type, CANCEL_EFFECT)

    async def pools(self) -> list[dict[str, Any]]:
        """Every resource pool runs have used: capacity, in use, free, leases
        (holder, run, count, since) and the FIFO queue (docs/pools.md); a
        pool no worker answers for has only ``name`` and ``unreachable``."""
        from .pools import list_pools

        return await list_pools(self.temporal)

    async def pool(self, name: str) -> dict[str, Any]:
        """One resource pool's state (as :meth:`pools`); a
        WorkflowNotFoundError when no run has used it yet."""
        from .pools import pool_document, pool_status

        state = await pool_status(self.temporal, name)
        if state is None:
            raise PoolNotFoundError(name)
        return pool_document(state)

    async def health(self, workflow_id: str | None = None) -> dict[str, Any]:
        """A run's metrics and health check, or, without an id, the summary of
        recent runs (see :class:`~baton.monitoring.monitor.WorkflowMonitor`)."""
        from ..monitoring.monitor import WorkflowMonitor

        return await WorkflowMonitor(self).get_workflow_dashboard_data(workflow_id)

    async def workers_polling(self) -> int:
        """How many workers poll Baton's task queue now: those the server
        heard from within ``monitoring.worker_silence_seconds`` (it lists a
        stopped worker for minutes)."""
        from ..monitoring.facts import poller_ages

        ages = await poller_ages(self, self.settings.task_queue)
        limit = self.baton_file.monitoring.thresholds(self.settings).worker_silence_seconds
        return sum(1 for age in ages if age <= limit)


def _unreadable(workflow_id: str, exc: KeyError) -> BatonError:
    """The SDK's converter meets a payload encoding it has no codec for (a
    run whose workers encrypt with BATON_CODEC_KEY, read without it)."""
    said = str(exc.args[0]) if exc.args else str(exc)
    if "encrypted" in said:
        return ConfigError(
            f"cannot read {workflow_id!r}: its data is encrypted; set BATON_CODEC_KEY to "
            "the key its workers use (docs/security.md)"
        )
    return ServerError(f"cannot read {workflow_id!r}: {said}")


def _runs_query(query: str | None) -> str:
    types = " OR ".join(f"WorkflowType = '{name}'" for name in BATON_WORKFLOW_TYPES)
    return f"({types})" + (f" AND ({query})" if query else "")


def run_row(wf: Any) -> dict[str, Any]:
    """A run as lists show it, from its visibility record."""
    sa = wf.typed_search_attributes
    baton_status = sa.get(BATON_STATUS)
    if wf.status != WorkflowExecutionStatus.RUNNING and baton_status in (RUNNING, "PENDING", None):
        baton_status = wf.status.name if wf.status else None  # terminated, timed out...
    return {
        "workflow_id": wf.id,
        "kind": sa.get(BATON_KIND),
        "name": sa.get(BATON_NAME),
        "status": baton_status,
        "started_at": wf.start_time.isoformat() if wf.start_time else None,
        "closed_at": wf.close_time.isoformat() if wf.close_time else None,
    }


def _summary(desc: Any) -> dict[str, Any]:
    sa = desc.typed_search_attributes
    status = desc.status.name if desc.status else None
    return {
        "workflow_id": desc.id,
        "kind": sa.get(BATON_KIND),
        "name": sa.get(BATON_NAME),
        "status": status,
        "started_at": desc.start_time.isoformat() if desc.start_time else None,
        "closed_at": desc.close_time.isoformat() if desc.close_time else None,
        "workflow_type": desc.workflow_type,
    }
