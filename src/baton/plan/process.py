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
from typing import TYPE_CHECKING, Any

from ..definitions.process import (
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
    WaitSpec,
    walk,
)

if TYPE_CHECKING:
    from .frontends import CompileContext

ERRORS = "https://open-workflow-specification.org/spec/1.0.0/errors/"
# Baton's error types, as the specification's standard errors name them
ERROR_TYPES = {
    "timeout": ERRORS + "timeout",
    "expression": ERRORS + "expression",
    "error": ERRORS + "runtime",
    "worker_lost": ERRORS + "runtime",
    "subprocess": ERRORS + "runtime",
    "approval": ERRORS + "runtime",
    "HttpStatusError": ERRORS + "communication",
    "HttpError": ERRORS + "communication",
    "PolicyDenied": ERRORS + "authorization",
    "InvalidURL": ERRORS + "configuration",
    "InvalidHeader": ERRORS + "configuration",
    "OperationNotFound": ERRORS + "configuration",
    "MissingParameter": ERRORS + "configuration",
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


class _Compiler:
    def __init__(self) -> None:
        self.notes: list[str] = []

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
        getattr(self, f"_{task.kind}")(task, node)
        return node

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

    def _call(self, task: CallTask, node: PlanStep) -> None:
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
        if task.read != "envelope":
            read = jq("map(.data)")
            node.output = jq(f"({read.source}) | ({node.output.source})") if node.output else read

    def _run(self, task: RunTask, node: PlanStep) -> None:
        """A shell command or a script as Baton's ``script`` action (its code
        runs on a worker, so the execution policy decides who may send it)."""
        node.kind = NodeKind.ACTION
        node.action = {"type": "script", "return": task.returns}
        if task.language is not None:
            node.action["language"] = task.language
        fields = {"script": template(task.code)}
        if task.arguments is not None:
            fields["args"] = template(task.arguments)
        if task.environment is not None:
            fields["env"] = template(task.environment)
        if task.stdin is not None:
            fields["stdin"] = template(task.stdin)
        node.action_from = jq(
            "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in fields.items()) + "}"
        )

    def _emit(self, task: EmitTask, node: PlanStep) -> None:
        node.kind = NodeKind.ACTION
        node.action = {"type": "emit"}
        node.action_from = jq("{" + f'"event": {template(task.event)}' + "}")

    def _wait(self, task: WaitTask, node: PlanStep) -> None:
        node.kind = NodeKind.WAIT
        node.wait = WaitSpec(seconds=task.seconds)


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
    for rule in spec.correlate.values():
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
    )


def compile_process(workflow: Workflow, source: str = "<dict>") -> Plan:
    compiler = _Compiler()
    steps = compiler.task_list(workflow.tasks)
    options = PlanOptions(
        deadline_seconds=workflow.timeout_seconds,
        output=expression(workflow.output_as) if workflow.output_as is not None else jq("."),
        input=expression(workflow.input_from) if workflow.input_from is not None else None,
        failed_status="FAILED",
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
    issues = _expression_issues(plan)
    if issues:
        raise DefinitionError(source, issues)
    return plan


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
    for what, given in (("output", plan.options.output), ("input", plan.options.input)):
        if given is not None:
            problem = check(given.source, given.language)
            if problem:
                issues.append(Issue(f"/{what}", f"the expression {given.source!r} {problem}"))
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
    if node.error is not None:
        found.append(("raise/error/detail", node.error.detail))
    if node.action_from is not None:
        found.append(("with", node.action_from))
    return [(what, expr) for what, expr in found if expr is not None]


class _ProcessFrontend:
    """A Serverless Workflow 1.0 document (``document.dsl: 1.0.x``)."""

    kind = "process"

    def recognises(self, data: dict[str, Any]) -> bool:
        return is_process_document(data)

    def compile(self, data: dict[str, Any], ctx: CompileContext) -> Plan:
        return compile_process(read_workflow(data, ctx.source), ctx.source)


PROCESS = _ProcessFrontend()
