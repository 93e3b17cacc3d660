"""Compile a Serverless Workflow 1.0 document (the process language) into a
:class:`~baton.plan.model.Plan`; docs/processes.md and docs/plans.md say how
each construct maps.

- A task list becomes nodes joined by edges, every node with ``join: each``
  (one token walks the list, so ``then:`` may jump anywhere in it, back too);
  ``then: exit`` routes to ``@exit``, ``then: end`` to ``@end``; a task no
  path reaches is left out.
- Composite tasks (``do``, ``for``, ``fork``, ``try``) are scope and loop
  nodes whose bodies are compiled the same way; a catch's ``do`` is a
  handler scope after the try node, taking the error as its data and as
  ``$<as>``.
- Expressions are jq; a template (``set``, object-valued ``from``/``as``)
  becomes one jq expression that builds the value.
- Node ids are the tasks' JSON pointers, so an error's ``instance`` is the
  task reference the specification asks for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..config import BatonFile
from ..definitions.actions import ApprovalAction
from ..definitions.dmn.files import DecisionFiles
from ..definitions.loader import parse_model
from ..definitions.process import (
    BatonCallTask,
    CallTask,
    DoTask,
    EmitTask,
    EventFilterSpec,
    ForkTask,
    ForTask,
    ListenTask,
    RaiseTask,
    RetryPolicy,
    RunTask,
    SetTask,
    SwitchTask,
    Task,
    TryTask,
    WaitTask,
    Workflow,
    expression_source,
    is_process_document,
    read_workflow,
)
from ..errors import DefinitionError, Issue
from ..expressions import check
from ..expressions.jqlang import SECRET_USE, secret_names
from .decide import from_file
from .dispatch import why_not_local
from .model import (
    END,
    EXIT,
    START,
    Catch,
    ErrorSpec,
    EventFilter,
    Expr,
    Join,
    LoopSpec,
    NodeKind,
    Plan,
    PlanOptions,
    PlanStep,
    RetrySpec,
    Route,
    SlaSpec,
    WaitSpec,
    walk,
)
from .saga import agent_name, agent_problem, approval_gate
from .schemas import schema_problem

if TYPE_CHECKING:
    from .frontends import CompileContext, ProcessCatalog

ERRORS = "https://open-workflow-specification.org/spec/1.0.0/errors/"
# Baton's error types, as the specification's standard errors name them
ERROR_TYPES = {
    "timeout": ERRORS + "timeout",
    "validation": ERRORS + "validation",
    "expression": ERRORS + "expression",
    "error": ERRORS + "runtime",
    "worker_lost": ERRORS + "runtime",
    "subprocess": ERRORS + "runtime",
    "approval": ERRORS + "runtime",
    "decision": ERRORS + "runtime",
    "HttpStatusError": ERRORS + "communication",
    "HttpError": ERRORS + "communication",
    "PolicyDenied": ERRORS + "authorization",
    "InvalidURL": ERRORS + "configuration",
    "InvalidHeader": ERRORS + "configuration",
    "OperationNotFound": ERRORS + "configuration",
    "MissingParameter": ERRORS + "configuration",
    "McpError": ERRORS + "runtime",
    "McpToolError": ERRORS + "runtime",
    "Unsupported": ERRORS + "configuration",
    "InvalidEvent": ERRORS + "validation",
    "ScriptFailed": ERRORS + "runtime",
    "ProgramNotFound": ERRORS + "configuration",
}
STANDARD = (
    "configuration",
    "validation",
    "expression",
    "authentication",
    "authorization",
    "timeout",
    "communication",
    "runtime",
)
# Other names the same standard errors go by: the conformance kit's
# (…/dsl/errors/types/…) and the names from before the project's rename.
# A catch filter written with one matches Baton's (the specification's).
ALIASES = {
    prefix + kind: ERRORS + kind
    for kind in STANDARD
    for prefix in (
        "https://open-workflow-specification.org/dsl/errors/types/",
        "https://serverlessworkflow.io/spec/1.0.0/errors/",
        "https://serverlessworkflow.io/dsl/errors/types/",
    )
}


def jq(source: str) -> Expr:
    return Expr(source, "jq")


def expression(value: Any) -> Expr:
    """An expression field: a string is a jq program (``${ }`` optional);
    anything else is a template."""
    if isinstance(value, str):
        return jq(expression_source(value))
    return jq(template(value))


def template(value: Any) -> str:
    """jq that builds ``value``, in which strings written ``${ ... }`` are
    expressions and every other value is itself."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("${") and stripped.endswith("}"):
            return f"({expression_source(stripped)})"
        return json.dumps(value)
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{json.dumps(str(k))}: {template(v)}" for k, v in value.items()) + "}"
        )
    if isinstance(value, list):
        return "[" + ", ".join(template(v) for v in value) + "]"
    return json.dumps(value)


MAX_DEPTH = 10  # sub-processes inside sub-processes, at most
AGENT_TIMEOUT_SECONDS = 4 * 3600.0  # an agent task without a timeout of its own
APPROVAL_TIMEOUT_SECONDS = 30 * 86400.0  # an approval whose stages do not all expire

# where a task may use `$secrets`: the fields its activity resolves on the worker
SECRET_FIELDS = {
    "http": ("endpoint", "headers", "query", "body", "auth"),
    "openapi": ("document", "parameters", "auth"),
    "script": ("env",),
    "mcp": ("endpoint", "headers", "parameters"),
    "mcp_stdio": ("env", "parameters"),
}
FIELD_NAMES = {
    "auth": "authentication",
    "env": "environment",
    "args": "arguments",
    "script": "its code",
    "command": "the server's command",
    "document": "the document's endpoint",
}


def _listing(fields: tuple[str, ...]) -> str:
    names = [FIELD_NAMES.get(f, f) for f in fields]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class _Compiler:
    """One document's compile; ``processes`` is where ``run: workflow``
    finds the processes it names, ``stack`` the references being compiled
    above this one (a process that runs itself, directly or not, is refused)."""

    def __init__(
        self,
        source: str,
        processes: ProcessCatalog | None,
        stack: tuple[str, ...],
        secrets: tuple[str, ...] | None = None,
        baton_file: BatonFile | None = None,
        search_path: tuple[Path, ...] = (),
    ) -> None:
        self.source = source
        self.search_path = search_path
        self.processes = processes
        self.stack = stack
        self.secrets = secrets
        self.baton_file = baton_file or BatonFile()
        self.notes: list[str] = []
        self.issues: list[Issue] = []

    def task_list(self, tasks: list[Task]) -> list[PlanStep]:
        """A task list as nodes: edges from each task to where its flow goes."""
        if not tasks:
            return []
        index = {task.name: i for i, task in enumerate(tasks)}
        ids = [task.pointer for task in tasks]

        def target(directive: str, position: int) -> str:
            if directive == "continue":
                return ids[position + 1] if position + 1 < len(ids) else EXIT
            if directive == "exit":
                return EXIT
            if directive == "end":
                return END
            return ids[index[directive]]

        compiled: list[PlanStep] = []
        for position, task in enumerate(tasks):
            node = self.task(task)
            handled = isinstance(task, TryTask) and task.catch.tasks is not None
            routes = self._routes(task, position, target)
            # the last task's "continue" (or an exit) needs no route: with
            # nowhere to go, its data ends the list — unless a catch handler
            # also follows it, which must not get a success's token
            lone_exit = len(routes) == 1 and routes[0].to == EXIT
            node.routes = [] if lone_exit and not handled else routes
            compiled.append(node)
            if handled:
                assert isinstance(task, TryTask)
                compiled.append(
                    self._handler(task, node, target(task.catch.then or task.then, position))
                )
        by_id = {node.id: node for node in compiled}
        for node in compiled:
            for route in node.routes:
                if route.to in by_id and node.id not in by_id[route.to].after:
                    by_id[route.to].after.append(node.id)
        first = by_id[ids[0]]
        if first.after:  # a jump back to the first task: it still starts the list
            first.after.insert(0, START)
        return _reachable(compiled, ids[0])

    def _routes(self, task: Task, position: int, target: Any) -> list[Route]:
        if isinstance(task, SwitchTask):
            routes = []
            default: str | None = None
            for case in task.cases:
                to = target(case.then, position)
                if case.when is None:
                    default = default or to
                else:
                    routes.append(Route(to, expression(case.when)))
            # no case holds and none is the default: the switch's own then
            routes.append(Route(default or target(task.then, position)))
            return routes
        return [Route(target(task.then, position))]

    def _handler(self, task: TryTask, node: PlanStep, then: str) -> PlanStep:
        """A catch's ``do``: a scope after the try node, reached only by a
        caught error (its data, and ``$<as>`` in its expressions)."""
        catch = task.catch
        assert catch.tasks is not None
        handler_id = f"{task.pointer}/catch"
        node.catch[0].to = handler_id
        return PlanStep(
            id=handler_id,
            name=f"{task.name} (catch)",
            action={},
            kind=NodeKind.SCOPE,
            join=Join.EACH,
            after=[task.pointer],
            body=self.task_list(catch.tasks),
            input_as=catch.as_,
            routes=[] if then == EXIT else [Route(then)],
        )

    # -- one task

    def task(self, task: Task) -> PlanStep:
        node = PlanStep(id=task.pointer, name=task.name, action={}, join=Join.EACH)
        if task.if_ is not None:
            node.when = expression(task.if_)
        if task.input_from is not None:
            node.input = expression(task.input_from)
        if task.output_as is not None:
            node.output = expression(task.output_as)
        if task.export_as is not None:
            node.export = expression(task.export_as)
        if task.timeout_seconds is not None:
            node.deadline_seconds = task.timeout_seconds
        if task.timeout_expr is not None:
            node.deadline_expr = expression(task.timeout_expr)
        node.input_schema = self._schema(task.input_schema, f"{task.pointer}/input")
        node.output_schema = self._schema(task.output_schema, f"{task.pointer}/output")
        getattr(self, f"_{task.kind}")(task, node)
        if task.compensate is not None:
            self._compensation(task, task.compensate, node)
        if task.parallel or task.max_concurrency is not None:
            self._parallel(task, node)
        if task.sla is not None:
            node.sla = SlaSpec(*task.sla)
        if task.local is not None:
            node.local = task.local
            reason = why_not_local(node) if task.local else None
            if reason is not None:
                self.issues.append(
                    Issue(
                        f"{task.pointer}/metadata/baton/local",
                        f"task {task.name!r} cannot run as a local step: only call: http, "
                        "openapi and mcp (over HTTP), emit and run: shell or script tasks "
                        "can, awaited",
                    )
                )
        return node

    def _compensation(self, task: Task, undo: Task, node: PlanStep) -> None:
        """``metadata.baton.compensate``: the action that undoes this task
        when the run fails or is cancelled after it completed (in reverse
        order of completion, as a saga's steps); its expressions see the
        task's output as ``.`` and its input as ``$input``."""
        where = f"{task.pointer}/metadata/baton/compensate"
        undo_node = self.task(undo)
        if undo_node.kind != NodeKind.ACTION or undo_node.detached:
            self.issues.append(
                Issue(
                    where,
                    f"task {task.name!r}: a compensation is one call or run task "
                    "(awaited), not a composite task, a set or a wait",
                )
            )
            return
        node.compensation = undo_node.action
        node.compensation_from = undo_node.action_from

    def _parallel(self, task: Task, node: PlanStep) -> None:
        where = f"{task.pointer}/metadata/baton"
        if node.loop is None or not isinstance(task, ForTask):
            self.issues.append(
                Issue(where, f"task {task.name!r}: parallel and max_concurrency go on a for task")
            )
            return
        if task.while_ is not None:
            self.issues.append(
                Issue(
                    where,
                    f"task {task.name!r}: a parallel for cannot have while "
                    "(its iterations do not follow one another)",
                )
            )
            return
        if task.max_concurrency is not None and not task.parallel:
            self.issues.append(
                Issue(
                    f"{where}/max_concurrency",
                    f"task {task.name!r}: max_concurrency goes with parallel: true",
                )
            )
            return
        node.loop.parallel = task.parallel or node.loop.parallel
        node.loop.max_concurrency = task.max_concurrency
        # iterations at once hand nothing on: the output is every iteration's, in order
        node.loop.collect = node.loop.parallel

    def _schema(self, schema: dict[str, Any] | None, pointer: str) -> dict[str, Any] | None:
        if schema is not None:
            problem = schema_problem(schema)
            if problem:
                self.issues.append(Issue(f"{pointer}/schema/document", f"the schema {problem}"))
        return schema

    def _set(self, task: SetTask, node: PlanStep) -> None:
        node.kind = NodeKind.SET
        node.value = (
            expression(task.value) if isinstance(task.value, str) else jq(template(task.value))
        )

    def _do(self, task: DoTask, node: PlanStep) -> None:
        node.kind = NodeKind.SCOPE
        node.body = self.task_list(task.tasks)

    def _switch(self, task: SwitchTask, node: PlanStep) -> None:
        node.kind = NodeKind.NOOP

    def _for(self, task: ForTask, node: PlanStep) -> None:
        node.kind = NodeKind.LOOP
        collection = task.collection
        each = jq(template(collection)) if isinstance(collection, list) else expression(collection)
        node.loop = LoopSpec(
            each=each,
            item=task.each,
            index=task.at,
            condition=expression(task.while_) if task.while_ is not None else None,
        )
        node.body = self.task_list(task.tasks)

    def _fork(self, task: ForkTask, node: PlanStep) -> None:
        node.kind = NodeKind.SCOPE
        node.complete_on = "first" if task.compete else "all"
        # each branch on its own: no edges between them, all start at once
        node.body = [self.task(branch) for branch in task.branches]

    def _try(self, task: TryTask, node: PlanStep) -> None:
        node.kind = NodeKind.SCOPE
        node.body = self.task_list(task.tasks)
        catch = task.catch
        filters = dict(catch.errors)
        conditions = [
            f"${catch.as_}.{key} == {json.dumps(filters[key])}"
            for key in ("instance", "title", "detail")
            if key in filters
        ]
        if catch.when is not None:
            conditions.append(f"({expression_source(catch.when)})")
        kind = filters.get("type")
        node.catch = [
            Catch(
                type=ALIASES.get(kind, kind) if isinstance(kind, str) else kind,
                status=filters.get("status"),
                when=jq(" and ".join(conditions)) if conditions else None,
                except_when=expression(catch.except_when) if catch.except_when else None,
                retry=_retry(catch.retry) if catch.retry else None,
                retry_delay=expression(catch.retry.delay_expr)
                if catch.retry and catch.retry.delay_expr
                else None,
                retry_when=expression(catch.retry.when)
                if catch.retry and catch.retry.when
                else None,
                retry_except_when=(
                    expression(catch.retry.except_when)
                    if catch.retry and catch.retry.except_when
                    else None
                ),
                as_name=catch.as_,
            )
        ]

    def _raise(self, task: RaiseTask, node: PlanStep) -> None:
        node.kind = NodeKind.RAISE
        error = task.error
        detail = error.get("detail")
        node.error = ErrorSpec(
            type=str(error.get("type", ERRORS + "runtime")),
            status=error.get("status"),
            title=error.get("title"),
            detail=expression(detail)
            if isinstance(detail, str) and "${" in detail
            else (jq(json.dumps(detail)) if detail is not None else None),
        )

    def _call(self, task: CallTask | BatonCallTask, node: PlanStep) -> None:
        if isinstance(task, BatonCallTask):
            self._baton_call(task, node)
            return
        if task.function == "mcp":
            self._mcp(task, node)
            return
        node.kind = NodeKind.ACTION
        args = task.arguments
        fields: dict[str, str] = {}
        if task.function == "http":
            endpoint = args.get("endpoint")
            uri = endpoint if isinstance(endpoint, str) else (endpoint or {}).get("uri", "")
            fields["method"] = template(args.get("method", "get"))
            fields["endpoint"] = uri_template(str(uri))
            for name in ("headers", "query", "body"):
                if name in args:
                    fields[name] = template(args[name])
        else:
            document = args.get("document") or {}
            endpoint = document.get("endpoint")
            uri = endpoint if isinstance(endpoint, str) else (endpoint or {}).get("uri", "")
            fields["document"] = uri_template(str(uri))
            fields["operationId"] = template(args.get("operationId", ""))
            if "parameters" in args:
                fields["parameters"] = template(args["parameters"])
        if task.authentication is not None:
            fields["auth"] = template(task.authentication)
        node.action = {
            "type": task.function,
            "output": args.get("output", "content"),
            "redirect": bool(args.get("redirect", False)),
        }
        self._secrets(task, fields, SECRET_FIELDS[task.function])
        node.action_from = jq(
            "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in fields.items()) + "}"
        )

    def _listen(self, task: ListenTask, node: PlanStep) -> None:
        node.kind = NodeKind.WAIT
        node.wait = WaitSpec(
            events=[_event_filter(f) for f in task.filters] or [EventFilter()],
            mode="all" if task.strategy == "all" else "any",
            until=expression(task.until) if task.until is not None else None,
            until_events=[_event_filter(task.until_filter)] if task.until_filter else [],
        )
        # `any` without `until` ends with the first matching event
        each = task.foreach
        if each is not None:
            node.wait.for_each = True
            node.wait.read = "envelope" if task.read == "envelope" else "data"
            node.loop = LoopSpec(item=each.item, index=each.at)
            node.body = self.task_list(each.tasks)
            if each.output_as is not None:
                node.wait.each_output = expression(each.output_as)
            if each.export_as is not None:
                node.wait.each_export = expression(each.export_as)
        if task.read != "envelope" and not (each is not None and each.output_as is not None):
            read = jq("map(.data)")
            node.output = jq(f"({read.source}) | ({node.output.source})") if node.output else read

    def _run(self, task: RunTask, node: PlanStep) -> None:
        """A shell command or a script as Baton's ``script`` action (its code
        runs on a worker, so the execution policy decides who may send it);
        ``run: workflow`` as a sub-process node. ``await: false``: the node
        starts it and goes on (``detached``)."""
        node.detached = not task.await_
        if task.process == "workflow":
            self._run_workflow(task, node)
            return
        node.kind = NodeKind.ACTION
        node.action = {"type": "script", "return": task.returns}
        if node.detached:
            # the task's timeout bounds the life of what it started
            node.action["detach"] = True
            if task.timeout_seconds is not None:
                node.timeout_seconds = task.timeout_seconds
        if task.language is not None:
            node.action["language"] = task.language
        fields = {"script": template(task.code)}
        if task.arguments is not None:
            fields["args"] = template(task.arguments)
        if task.environment is not None:
            fields["env"] = template(task.environment)
        if task.stdin is not None:
            fields["stdin"] = template(task.stdin)
        self._secrets(task, fields, SECRET_FIELDS["script"])
        node.action_from = jq(
            "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in fields.items()) + "}"
        )

    def _run_workflow(self, task: RunTask, node: PlanStep) -> None:
        """The named process, compiled into this plan (the worker runs what
        was checked here, whatever the directory holds later)."""
        assert task.workflow is not None
        ref = task.workflow
        reference = f"{ref['namespace']}/{ref['name']}:{ref['version']}"
        where = f"{task.pointer}/run/workflow"
        node.kind = NodeKind.SUBPROCESS
        if task.workflow_input is not None:
            node.action_from = jq(template(task.workflow_input))
        if self.processes is None:
            self.issues.append(
                Issue(
                    where,
                    f"task {task.name!r} runs {reference}, but this run has no place to "
                    "find processes (run a file, or set BATON_PROCESS_PATH)",
                )
            )
            return
        found = self.processes.find(ref["namespace"], ref["name"], ref["version"])
        if found is None:
            self.issues.append(
                Issue(
                    where,
                    f"task {task.name!r} runs {reference}, which is not in "
                    f"{self.processes.describe()}; {_known(self.processes.known(), ref)}",
                )
            )
            return
        data, path = found
        document = data.get("document", {})
        key = f"{document.get('namespace')}/{document.get('name')}:{document.get('version')}"
        if key in self.stack:
            chain = " -> ".join((*self.stack[self.stack.index(key) :], key))
            self.issues.append(
                Issue(where, f"task {task.name!r} makes a cycle of processes: {chain}")
            )
            return
        if len(self.stack) >= MAX_DEPTH:
            self.issues.append(
                Issue(where, f"task {task.name!r}: sub-processes nest deeper than {MAX_DEPTH}")
            )
            return
        try:
            child = read_workflow(data, path)
            node.subprocess = compile_process(
                child, path, self.processes, (*self.stack, key), self.baton_file, self.search_path
            )
        except DefinitionError as exc:
            for issue in exc.issues:
                self.issues.append(
                    Issue(where, f"{reference} ({path}) at {issue.path}: {issue.message}")
                )

    def _mcp(self, task: CallTask, node: PlanStep) -> None:
        """``call: mcp``: the ``mcp`` action over HTTP, ``mcp_stdio`` when
        the server is a program the worker starts (the execution policy tells
        them apart: starting a program runs code)."""
        node.kind = NodeKind.ACTION
        args = task.arguments
        transport = args.get("transport") or {}
        fields: dict[str, str] = {}
        if "parameters" in args:
            fields["parameters"] = template(args["parameters"])
        if "stdio" in transport:
            stdio = transport["stdio"]
            kind = "mcp_stdio"
            fields["command"] = template(stdio.get("command", ""))
            if "arguments" in stdio:
                fields["args"] = template(stdio["arguments"])
            if "environment" in stdio:
                fields["env"] = template(stdio["environment"])
        else:
            http = transport.get("http") or {}
            endpoint = http.get("endpoint")
            uri = endpoint if isinstance(endpoint, str) else (endpoint or {}).get("uri", "")
            kind = "mcp"
            fields["endpoint"] = uri_template(str(uri))
            if "headers" in http:
                fields["headers"] = template(http["headers"])
        node.action = {"type": kind, "method": args.get("method")}
        if args.get("timeout") is not None:
            node.timeout_seconds = float(args["timeout"])
        self._secrets(task, fields, SECRET_FIELDS[kind])
        node.action_from = jq(
            "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in fields.items()) + "}"
        )

    def _baton_call(self, task: BatonCallTask, node: PlanStep) -> None:
        """Baton's custom functions: ``baton/approval`` (the approval
        workflow: its approvers, quorum, stages and escalation are fixed when
        the file is checked, groups expanded then; ``description`` and
        ``context`` may be expressions), ``baton/agent`` (a task for an agent
        type; every other argument goes to the agent, expressions allowed)."""
        if task.function == "baton/decision":
            self._decision(task, node)
            return
        node.kind = NodeKind.ACTION
        args = dict(task.arguments)
        where = f"{task.pointer}/with"
        if task.function == "baton/agent":
            agent = str(args.pop("agent", ""))
            problem = agent_problem(agent, self.baton_file)
            if problem:
                self.issues.append(Issue(f"{where}/agent", problem))
            node.agent_type = agent_name(agent)
            node.action = {"type": "task"}
            node.action_from = jq(template(args))
            node.timeout_seconds = task.timeout_seconds or AGENT_TIMEOUT_SECONDS
            return
        dynamic = {k: args.pop(k) for k in ("description", "context") if k in args}
        for key, value in args.items():
            if "${" in json.dumps(value):
                self.issues.append(
                    Issue(
                        f"{where}/{key}",
                        f"{key} of call: baton/approval must be written out (who may decide "
                        "is fixed when the file is checked); only description and context "
                        "may be expressions",
                    )
                )
                return
        try:
            action = parse_model(ApprovalAction, {"type": "approval", **args}, self.source)
        except DefinitionError as exc:
            for issue in exc.issues:
                self.issues.append(Issue(_pointer(where, issue.path), issue.message))
            return
        found: list[Issue] = []
        node.action = approval_gate(
            action,
            title=action.stage or task.name,
            description=None,
            baton_file=self.baton_file,
            prefix="",
            issues=found,
        )
        self.issues += [Issue(_pointer(where, i.path), i.message) for i in found]
        if dynamic:
            node.action_from = jq(template(dynamic))
        # a person decides: the step waits as long as the approval may take
        stages = node.action["spec"]["stages"]
        waits = [s.get("timeout_seconds") for s in stages]
        node.timeout_seconds = (
            sum(w for w in waits if w) + 3600 if all(waits) else APPROVAL_TIMEOUT_SECONDS
        )

    def _decision(self, task: BatonCallTask, node: PlanStep) -> None:
        """``baton/decision``: a decide node over the DMN file ``file``
        (beside the process, or on ``BATON_PROCESS_PATH``), read now; its
        inputs are ``input`` (default: the task's input), its output the
        decision's result."""
        args = task.arguments
        given = args.get("input")
        spec, problems = from_file(
            DecisionFiles.for_source(self.source, self.search_path),
            str(args.get("file", "")),
            args.get("decision"),
            inputs=expression(given) if given is not None else None,
            result=str(args.get("result", "value")),
        )
        names = {"model": "file", "inputs": "input"}
        self.issues += [
            Issue(f"{task.pointer}/with/{names.get(name, name)}", problem)
            for name, problem in problems
        ]
        node.kind = NodeKind.DECIDE
        node.decide = spec

    def _secrets(self, task: Task, fields: dict[str, str], allowed: tuple[str, ...]) -> None:
        """``$secrets.NAME`` only where the worker resolves it (the workflow
        holds ``{{secrets.NAME}}``), and only the secrets ``use.secrets``
        declares when it declares any."""
        for name, source in fields.items():
            if not SECRET_USE.search(source):
                continue
            where = f"{task.pointer}/{'with' if task.kind == 'call' else 'run'}"
            if name not in allowed:
                self.issues.append(
                    Issue(
                        where,
                        f"task {task.name!r} uses $secrets in {FIELD_NAMES.get(name, name)}; "
                        f"a secret may be used only in {_listing(allowed)}, where the worker "
                        "resolves it (its value never enters the run's data)",
                    )
                )
                continue
            names = secret_names(source)
            if names is None:
                self.issues.append(
                    Issue(
                        where,
                        f"task {task.name!r} uses $secrets other than as $secrets.NAME; "
                        "name each secret it uses",
                    )
                )
                continue
            undeclared = [n for n in names if self.secrets is not None and n not in self.secrets]
            if undeclared:
                self.issues.append(
                    Issue(
                        where,
                        f"task {task.name!r} uses the secret {undeclared[0]!r}, which use.secrets "
                        f"does not declare (it declares: {', '.join(self.secrets or ()) or 'none'})",
                    )
                )

    def _emit(self, task: EmitTask, node: PlanStep) -> None:
        node.kind = NodeKind.ACTION
        node.action = {"type": "emit"}
        node.action_from = jq("{" + f'"event": {template(task.event)}' + "}")

    def _wait(self, task: WaitTask, node: PlanStep) -> None:
        node.kind = NodeKind.WAIT
        if task.seconds_expr is not None:
            node.wait = WaitSpec(duration=expression(task.seconds_expr))
        else:
            node.wait = WaitSpec(seconds=task.seconds)


def _pointer(base: str, path: str) -> str:
    """A model's field path (``stages[0].approvers``) as a JSON pointer under ``base``."""
    parts = [p for p in re.split(r"[.\[\]]+", path) if p]
    return "/".join([base, *parts]) if parts else base


def _known(known: list[str], ref: dict[str, str]) -> str:
    """What a message about a missing process lists: the other versions of
    the same name, else (some of) the processes there are."""
    prefix = f"{ref['namespace']}/{ref['name']}:"
    versions = [k.removeprefix(prefix) for k in known if k.startswith(prefix)]
    if versions:
        return f"its versions there: {', '.join(versions)}"
    if not known:
        return "no process is there"
    shown = ", ".join(known[:10])
    more = f" and {len(known) - 10} more" if len(known) > 10 else ""
    return f"processes there: {shown}{more}"


def _event_filter(spec: EventFilterSpec) -> EventFilter:
    """An event filter of the process language as the plan's: ``type`` and
    ``source`` as they are, other attributes as correlations with constant
    values, ``data`` (an expression on the event's data) and ``correlate``
    rules as a condition on the event."""
    attributes = dict(spec.attributes)
    kind, source, data = (
        attributes.pop("type", None),
        attributes.pop("source", None),
        attributes.pop("data", None),
    )
    correlate = {name: jq(json.dumps(value)) for name, value in attributes.items()}
    conditions = []
    if isinstance(data, str):
        conditions.append(f"(.data | ({expression_source(data)}))")
    elif data is not None:
        correlate["data"] = jq(template(data))
    keys = {}
    for name, rule in spec.correlate.items():
        if "expect" not in rule:
            keys[name] = jq(expression_source(str(rule["from"])))
            continue
        expect = rule.get("expect")
        expected = (
            f"($input | ({expression_source(expect)}))"
            if isinstance(expect, str) and expect.strip().startswith("${")
            else json.dumps(expect)
        )
        conditions.append(f"(({expression_source(str(rule['from']))}) == {expected})")
    return EventFilter(
        type=kind if isinstance(kind, str) else None,
        source=source if isinstance(source, str) else None,
        correlate=correlate,
        where=jq(" and ".join(conditions)) if conditions else None,
        keys=keys,
    )


def uri_template(uri: str) -> str:
    """jq for an endpoint: an expression as it is, or a URI template whose
    ``{name}`` parts are the input's top-level values, percent-encoded."""
    stripped = uri.strip()
    if stripped.startswith("${") and stripped.endswith("}"):
        return f"({expression_source(stripped)})"
    parts = re.split(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", uri)
    pieces = []
    for index, part in enumerate(parts):
        if index % 2 == 0:
            if part:
                pieces.append(json.dumps(part))
        else:
            pieces.append(f"(.{part} | tostring | @uri)")
    if len(parts) == 1:
        return json.dumps(uri)  # no template: a JSON string (no jq needed to run it)
    return "(" + (" + ".join(pieces) or '""') + ")"


def _reachable(nodes: list[PlanStep], first: str) -> list[PlanStep]:
    """The nodes a path from the first one reaches (a task after ``then:
    end`` that nothing jumps to never runs; left in, it would start at once)."""
    successors: dict[str, list[str]] = {n.id: [] for n in nodes}
    for node in nodes:
        for before in node.after:
            if before in successors:
                successors[before].append(node.id)
    seen: set[str] = set()
    todo = [first]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo += successors[current]
    kept = [n for n in nodes if n.id in seen]
    for node in kept:
        node.after = [b for b in node.after if b in seen or b == START]
    return kept


def _retry(policy: RetryPolicy) -> RetrySpec:
    return RetrySpec(
        max_attempts=(policy.count + 1) if policy.count is not None else 1_000_000,
        initial_interval_seconds=policy.delay_seconds,
        backoff_coefficient=2.0,
        max_interval_seconds=max(policy.delay_seconds * 1024, 1.0),
        backoff=policy.backoff,
        jitter_seconds=list(policy.jitter) if policy.jitter else None,
        max_duration_seconds=policy.duration_seconds,
        attempt_timeout_seconds=policy.attempt_seconds,
    )


def compile_process(
    workflow: Workflow,
    source: str = "<dict>",
    processes: ProcessCatalog | None = None,
    stack: tuple[str, ...] = (),
    baton_file: BatonFile | None = None,
    search_path: Iterable[Path] = (),
) -> Plan:
    """The plan of a read document; ``processes`` resolves its ``run:
    workflow`` tasks (each child is compiled into the plan); its decisions'
    DMN files are found beside ``source``, then in ``search_path``."""
    if not stack:
        stack = (f"{workflow.namespace}/{workflow.name}:{workflow.version}",)
    compiler = _Compiler(source, processes, stack, workflow.secrets, baton_file, tuple(search_path))
    steps = compiler.task_list(workflow.tasks)
    options = PlanOptions(
        deadline_seconds=workflow.timeout_seconds,
        sla=SlaSpec(*workflow.sla) if workflow.sla is not None else None,
        output=expression(workflow.output_as) if workflow.output_as is not None else jq("."),
        input=expression(workflow.input_from) if workflow.input_from is not None else None,
        failed_status="FAILED",
        runtime={"name": "baton", "version": __version__, "metadata": {}},
        input_schema=compiler._schema(workflow.input_schema, "/input"),
        output_schema=compiler._schema(workflow.output_schema, "/output"),
        error_types=dict(ERROR_TYPES),
        notes=compiler.notes,
    )
    plan = Plan(
        kind="process",
        id=f"{workflow.namespace}.{workflow.name}",
        name=workflow.title or workflow.name,
        description=workflow.summary,
        steps=steps,
        options=options,
    )
    issues = compiler.issues + _expression_issues(plan)
    if issues:
        raise DefinitionError(source, issues)
    return plan


COMPENSATION = "metadata/baton/compensate"  # where a compensation's fields are
SECRETS_ELSEWHERE = (
    "$secrets may be used only in a call's endpoint, headers, query, body, parameters or "
    "authentication, or a run's environment, where the worker resolves it; here its value "
    "would enter the run's data and history"
)


def _expression_issues(plan: Plan) -> list[Issue]:
    """jq problems, named by the task's pointer (the plan's node id)."""
    issues = []
    for _, node in walk(plan.steps):
        for what, expr in _expressions(node):
            problem = check(expr.source, expr.language)
            if problem:
                issues.append(
                    Issue(f"{node.id}/{what}", f"the expression {expr.source!r} {problem}")
                )
            action = node.compensation if what == COMPENSATION else node.action
            resolved_on_worker = (
                what in ("with", COMPENSATION) and (action or {}).get("type") in SECRET_FIELDS
            )
            if SECRET_USE.search(expr.source) and not resolved_on_worker:
                issues.append(Issue(f"{node.id}/{what}", SECRETS_ELSEWHERE))
    for what, given in (("output", plan.options.output), ("input", plan.options.input)):
        if given is not None:
            problem = check(given.source, given.language)
            if problem:
                issues.append(Issue(f"/{what}", f"the expression {given.source!r} {problem}"))
            if SECRET_USE.search(given.source):
                issues.append(Issue(f"/{what}", SECRETS_ELSEWHERE))
    return issues


def _expressions(node: PlanStep) -> list[tuple[str, Expr]]:
    found: list[tuple[str, Expr | None]] = [
        ("if", node.when),
        ("input/from", node.input),
        ("output/as", node.output),
        ("export/as", node.export),
        ("set", node.value),
    ]
    found += [("then", route.when) for route in node.routes]
    if node.loop is not None:
        found += [("for/in", node.loop.each), ("while", node.loop.condition)]
    for catch in node.catch:
        found += [("catch/when", catch.when), ("catch/exceptWhen", catch.except_when)]
        found.append(("catch/retry/delay", catch.retry_delay))
    found.append(("timeout/after", node.deadline_expr))
    if node.error is not None:
        found.append(("raise/error/detail", node.error.detail))
    if node.action_from is not None:
        found.append(("with", node.action_from))
    if node.compensation_from is not None:
        found.append((COMPENSATION, node.compensation_from))
    if node.decide is not None:
        found.append(("with/input", node.decide.inputs))
    if node.wait is not None:
        found.append(("listen/to/until", node.wait.until))
        found.append(("wait", node.wait.duration))
        found += [
            ("foreach/output/as", node.wait.each_output),
            ("foreach/export/as", node.wait.each_export),
        ]
        for wanted in [*node.wait.events, *node.wait.until_events]:
            found.append(("listen/to", wanted.where))
            found += [("listen/to", e) for e in [*wanted.correlate.values(), *wanted.keys.values()]]
    return [(what, expr) for what, expr in found if expr is not None]


class _ProcessFrontend:
    """A Serverless Workflow 1.0 document (``document.dsl: 1.0.x``)."""

    kind = "process"

    def recognises(self, data: dict[str, Any]) -> bool:
        return is_process_document(data)

    def compile(self, data: dict[str, Any], ctx: CompileContext) -> Plan:
        workflow = read_workflow(data, ctx.source)
        return compile_process(
            workflow,
            ctx.source,
            ctx.processes,
            baton_file=ctx.baton_file,
            search_path=ctx.search_path,
        )


PROCESS = _ProcessFrontend()
