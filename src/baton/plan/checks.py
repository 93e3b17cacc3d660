"""The rules every plan keeps, whichever front end made it: node ids unique,
edges and routes inside their scope, each kind with what it needs, every
expression valid in its language, durations Temporal can honour, and no
cycle that could never start. Front ends check their own documents first,
with their own words; this is the last check before a run starts (a plan
can also be built by hand), so its messages name plan paths."""

from __future__ import annotations

from ..actions.registry import ACTION_KINDS
from ..definitions.limits import MAX_TIMEOUT_SECONDS
from ..errors import DefinitionError, Issue
from ..expressions import check
from .decide import decision_issues
from .dispatch import why_not_local
from .model import (
    END,
    EXIT,
    MAX_DIAGRAM_BYTES,
    START,
    Expr,
    Join,
    NodeKind,
    Plan,
    PlanStep,
    SlaSpec,
    Trigger,
    WaitSpec,
)

MAX_LOOP_ITERATIONS = 100_000
THROW_KINDS = ("signal", "escalation", "message", "compensate")
# what may undo a node (undo_with): no waits, scopes or loops in an undo
UNDO_KINDS = (NodeKind.ACTION, NodeKind.SET, NodeKind.NOOP, NodeKind.SCOPE)


def plan_issues(plan: Plan, where: str = "") -> list[Issue]:
    issues: list[Issue] = []
    seen: dict[str, str] = {}
    _scope(plan.steps, f"{where}steps", seen, issues)
    if plan.options.output is not None:
        _expr(plan.options.output, f"{where}options.output", issues)
    if plan.options.sla is not None:
        _sla(plan.options.sla, f"{where}options.sla", issues)
    diagram = plan.options.diagram
    if diagram is not None and len(diagram.encode("utf-8")) > MAX_DIAGRAM_BYTES:
        issues.append(
            Issue(
                f"{where}options.diagram",
                f"a diagram of at most {MAX_DIAGRAM_BYTES:,} bytes (it is data for "
                "whoever reads the run, carried in its history)",
            )
        )
    return issues


def check_plan(plan: Plan) -> None:
    """Raise a :class:`DefinitionError` naming every problem of ``plan``."""
    issues = plan_issues(plan)
    if issues:
        raise DefinitionError(plan.id, issues)


def _scope(steps: list[PlanStep], where: str, seen: dict[str, str], issues: list[Issue]) -> None:
    ids = {step.id for step in steps}
    dependents: dict[str, set[str]] = {step.id: set() for step in steps}
    for index, step in enumerate(steps):
        path = f"{where}[{index}]"
        if not step.id:
            issues.append(Issue(path, "a node needs an id"))
        elif step.id in seen:
            issues.append(Issue(f"{path}.id", f"{step.id!r} is also the id of {seen[step.id]}"))
        else:
            seen[step.id] = path
        for before in step.after:
            if before == START:
                continue
            if before == step.id:
                issues.append(Issue(f"{path}.after", f"{step.id!r} cannot come after itself"))
            elif before not in ids:
                issues.append(Issue(f"{path}.after", f"{before!r} is not a node of this scope"))
            else:
                dependents[before].add(step.id)
    for index, step in enumerate(steps):
        _node(step, f"{where}[{index}]", dependents[step.id], seen, issues)
    _cycles(steps, where, issues)


def _node(
    step: PlanStep, path: str, dependents: set[str], seen: dict[str, str], issues: list[Issue]
) -> None:
    if step.kind not in NodeKind.ALL:
        issues.append(
            Issue(f"{path}.kind", f"unknown kind {step.kind!r}; one of {', '.join(NodeKind.ALL)}")
        )
        return
    if step.join not in Join.VALUES:
        issues.append(Issue(f"{path}.join", f"must be one of {', '.join(Join.VALUES)}"))
    if step.route_mode not in ("first", "all"):
        issues.append(Issue(f"{path}.route_mode", "must be 'first' or 'all'"))
    if step.complete_on not in ("all", "first"):
        issues.append(Issue(f"{path}.complete_on", "must be 'all' or 'first'"))
    for name in ("when", "input", "output", "export", "value", "action_from"):
        expr = getattr(step, name)
        if expr is not None:
            _expr(expr, f"{path}.{name}", issues)
    defaults = [r for r in step.routes if r.when is None]
    if len(defaults) > 1:
        issues.append(Issue(f"{path}.routes", "has more than one default route (without when)"))
    for index, route in enumerate(step.routes):
        if route.to not in (EXIT, END) and route.to not in dependents:
            issues.append(
                Issue(
                    f"{path}.routes[{index}].to",
                    f"{route.to!r} is not {EXIT}, {END} or a node with {step.id!r} in its after",
                )
            )
        if route.when is not None:
            _expr(route.when, f"{path}.routes[{index}].when", issues)
    for index, catch in enumerate(step.catch):
        where = f"{path}.catch[{index}]"
        if catch.to is not None and catch.to not in dependents:
            issues.append(
                Issue(f"{where}.to", f"{catch.to!r} is not a node with {step.id!r} in its after")
            )
        for name in ("when", "except_when"):
            expr = getattr(catch, name)
            if expr is not None:
                _expr(expr, f"{where}.{name}", issues)
        if catch.retry is not None and catch.retry.max_attempts < 1:
            issues.append(Issue(f"{where}.retry.max_attempts", "must be at least 1"))
    if step.deadline_seconds is not None:
        _duration(step.deadline_seconds, f"{path}.deadline_seconds", issues, low=0.001)
    if step.sla is not None:
        _sla(step.sla, f"{path}.sla", issues)
    for index, trigger in enumerate(step.triggers):
        _trigger(trigger, step.id, f"{path}.triggers[{index}]", dependents, issues)
    for name in ("tokens_in", "tokens_out"):
        if not 1 <= getattr(step, name) <= 100:
            issues.append(Issue(f"{path}.{name}", "must be between 1 and 100"))
    if step.tokens_in > 1 and step.join != Join.EACH:
        issues.append(Issue(f"{path}.tokens_in", "tokens_in above 1 goes with join 'each'"))
    if step.undo_with is not None:
        handler = step.undo_with
        if handler.kind not in UNDO_KINDS:
            issues.append(
                Issue(
                    f"{path}.undo_with.kind",
                    f"a node that undoes another is one of {', '.join(UNDO_KINDS)}, "
                    f"not {handler.kind!r}",
                )
            )
        else:
            _kind(handler, f"{path}.undo_with", seen, issues)
        for name in ("value", "export"):
            expr = getattr(handler, name)
            if expr is not None:
                _expr(expr, f"{path}.undo_with.{name}", issues)
    _kind(step, path, seen, issues)


def _trigger(
    trigger: Trigger, node_id: str, where: str, dependents: set[str], issues: list[Issue]
) -> None:
    if trigger.to not in dependents:
        issues.append(
            Issue(f"{where}.to", f"{trigger.to!r} is not a node with {node_id!r} in its after")
        )
    given = [
        name for name in ("wait", "escalation", "condition") if getattr(trigger, name) is not None
    ]
    if len(given) != 1:
        issues.append(Issue(where, "a trigger needs exactly one of wait, escalation or condition"))
    if trigger.condition is not None:
        _expr(trigger.condition, f"{where}.condition", issues)
    if trigger.wait is not None:
        if trigger.wait.for_each:
            issues.append(Issue(f"{where}.wait.for_each", "a trigger's wait has no body"))
        _wait_spec(trigger.wait, f"{where}.wait", issues)
    timer = trigger.wait is not None and not trigger.wait.events
    if trigger.repeat != 1 and not timer:
        issues.append(Issue(f"{where}.repeat", "repeat goes with a timer"))
    if trigger.repeat is not None and trigger.repeat < 1:
        issues.append(Issue(f"{where}.repeat", "must be at least 1 (or null: until the node ends)"))
    if trigger.repeat != 1 and trigger.interrupting:
        issues.append(Issue(f"{where}.repeat", "an interrupting trigger fires once"))
    if trigger.every is not None:
        if not timer:
            issues.append(Issue(f"{where}.every", "every goes with a timer"))
        _duration(trigger.every, f"{where}.every", issues, low=0.001)


def _kind(step: PlanStep, path: str, seen: dict[str, str], issues: list[Issue]) -> None:
    kind = step.kind
    if step.local:
        reason = why_not_local(step)
        if reason is not None:
            issues.append(
                Issue(f"{path}.local", f"{step.id!r} cannot run as a local step: {reason}")
            )
    if kind == NodeKind.ACTION:
        action_type = step.action.get("type")
        if action_type not in ACTION_KINDS:
            issues.append(Issue(f"{path}.action.type", f"unknown action type {action_type!r}"))
        elif ACTION_KINDS[str(action_type)].gate:
            _gate(step.action, f"{path}.action", issues)
    if kind == NodeKind.SET and step.value is None:
        issues.append(Issue(f"{path}.value", "a set node needs a value"))
    if kind == NodeKind.THROW:
        _throw(step, path, issues)
    if kind == NodeKind.DECIDE:
        issues += decision_issues(step, path)
    if kind == NodeKind.RAISE and step.error is None:
        issues.append(Issue(f"{path}.error", "a raise node needs an error"))
    if kind == NodeKind.RAISE and step.error is not None and step.error.detail is not None:
        _expr(step.error.detail, f"{path}.error.detail", issues)
    if kind in (NodeKind.SCOPE, NodeKind.LOOP):
        if not step.body:
            issues.append(Issue(f"{path}.body", f"a {kind} node needs a body"))
        _scope(step.body, f"{path}.body", seen, issues)
    elif kind == NodeKind.WAIT and step.wait is not None and step.wait.for_each:
        # the body runs for each event taken
        if not step.wait.events:
            issues.append(Issue(f"{path}.wait", "a wait with for_each waits for events"))
        if step.loop is None:
            issues.append(Issue(f"{path}.loop", "a wait with for_each names its item (loop)"))
        _scope(step.body, f"{path}.body", seen, issues)
    elif step.body:
        issues.append(Issue(f"{path}.body", f"a {kind} node has no body"))
    if kind == NodeKind.LOOP:
        _loop(step, path, issues)
    if kind == NodeKind.WAIT:
        _wait(step, path, issues)
    if kind == NodeKind.SUBPROCESS:
        if step.subprocess is None:
            issues.append(Issue(f"{path}.subprocess", "a subprocess node needs a plan"))
        else:
            issues += plan_issues(step.subprocess, f"{path}.subprocess.")


def _gate(action: dict[str, object], where: str, issues: list[Issue]) -> None:
    """An approval gate carries the approval it requests, as the saga
    compiler builds it: ``{"type": "approval", "spec": asdict(ApprovalSpec)}``."""
    spec = action.get("spec")
    stages = spec.get("stages") if isinstance(spec, dict) else None
    complete = (
        isinstance(spec, dict)
        and isinstance(spec.get("stage"), str)
        and isinstance(spec.get("description"), str)
        and isinstance(stages, list)
        and bool(stages)
        and all(
            isinstance(s, dict) and {"name", "approvers", "quorum", "quorum_label"} <= set(s)
            for s in stages
        )
    )
    if not complete:
        issues.append(
            Issue(
                f"{where}.spec",
                "an approval action needs spec: an approval request as a dict (stage, "
                "description, stages); make one with "
                "dataclasses.asdict(baton.plan.approval.compile_approval({...}))",
            )
        )


def _loop(step: PlanStep, path: str, issues: list[Issue]) -> None:
    spec = step.loop
    if spec is None:
        issues.append(Issue(f"{path}.loop", "a loop node needs a loop"))
        return
    where = f"{path}.loop"
    if spec.each is None and spec.times is None and spec.condition is None:
        issues.append(Issue(where, "a loop needs each, times or condition"))
    if spec.each is not None and spec.times is not None:
        issues.append(Issue(where, "a loop takes each or times, not both"))
    if spec.parallel and spec.each is None and spec.times is None:
        issues.append(Issue(f"{where}.parallel", "a parallel loop needs each or times"))
    if spec.parallel and spec.condition is not None:
        issues.append(Issue(f"{where}.condition", "a parallel loop cannot have a condition"))
    if spec.max_concurrency is not None and spec.max_concurrency < 1:
        issues.append(Issue(f"{where}.max_concurrency", "must be at least 1"))
    if not 1 <= spec.max_iterations <= MAX_LOOP_ITERATIONS:
        issues.append(
            Issue(f"{where}.max_iterations", f"must be between 1 and {MAX_LOOP_ITERATIONS:,}")
        )
    for name in ("each", "times", "condition", "complete_when"):
        expr = getattr(spec, name)
        if expr is not None:
            _expr(expr, f"{where}.{name}", issues)


def _throw(step: PlanStep, path: str, issues: list[Issue]) -> None:
    spec = step.throw
    if spec is None:
        issues.append(Issue(f"{path}.throw", "a throw node needs a throw"))
        return
    if spec.kind not in THROW_KINDS:
        issues.append(Issue(f"{path}.throw.kind", f"must be one of {', '.join(THROW_KINDS)}"))
    if spec.kind in ("signal", "message") and not spec.name:
        issues.append(Issue(f"{path}.throw.name", f"a {spec.kind} needs a name"))
    if spec.data is not None:
        _expr(spec.data, f"{path}.throw.data", issues)


def _wait(step: PlanStep, path: str, issues: list[Issue]) -> None:
    spec = step.wait
    if spec is None:
        issues.append(Issue(f"{path}.wait", "a wait node needs a wait"))
        return
    _wait_spec(spec, f"{path}.wait", issues)


def _wait_spec(spec: WaitSpec, where: str, issues: list[Issue]) -> None:
    given = [n for n in ("seconds", "at", "duration", "condition") if getattr(spec, n) is not None]
    if len(given) + bool(spec.events) != 1:
        issues.append(
            Issue(where, "a wait needs exactly one of seconds, at, duration, condition or events")
        )
    if spec.condition is not None:
        _expr(spec.condition, f"{where}.condition", issues)
    if spec.duration is not None:
        _expr(spec.duration, f"{where}.duration", issues)
    if spec.seconds is not None:
        _duration(spec.seconds, f"{where}.seconds", issues, low=0.0)
    if spec.at is not None:
        _expr(spec.at, f"{where}.at", issues)
    if spec.mode not in ("any", "all"):
        issues.append(Issue(f"{where}.mode", "must be 'any' or 'all'"))
    if spec.until_events and spec.mode != "any":
        issues.append(Issue(f"{where}.until_events", "until_events goes with mode 'any'"))
    if spec.until is not None:
        if spec.mode != "any":
            issues.append(Issue(f"{where}.until", "until goes with mode 'any'"))
        _expr(spec.until, f"{where}.until", issues)
    for index, wanted in enumerate(spec.events):
        for name, expr in wanted.correlate.items():
            _expr(expr, f"{where}.events[{index}].correlate.{name}", issues)
        if wanted.where is not None:
            _expr(wanted.where, f"{where}.events[{index}].where", issues)


def _cycles(steps: list[PlanStep], where: str, issues: list[Issue]) -> None:
    """A cycle of edges can only turn if one of its nodes starts on each
    token (join "each"): with "all" or "any" the first visit would wait for
    a token from its own future."""
    after = {step.id: [b for b in step.after if b not in (step.id, START)] for step in steps}
    joins = {step.id: step.join for step in steps}
    for component in _strongly_connected(after):
        if len(component) > 1 and not any(joins[n] == Join.EACH for n in component):
            shown = ", ".join(sorted(component)[:8])
            issues.append(
                Issue(
                    where,
                    f"nodes {shown} form a cycle with no node of join 'each'; "
                    "it could never start (give the node the cycle returns to join: each)",
                )
            )


def _strongly_connected(after: dict[str, list[str]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative (plans may be deep)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[set[str]] = []
    counter = 0
    for root in after:
        if root in index:
            continue
        work = [(root, iter(after[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            advanced = False
            for nxt in edges:
                if nxt not in after:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(after[nxt])))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                found.append(component)
    return found


def _expr(expr: Expr, where: str, issues: list[Issue]) -> None:
    problem = check(expr.source, expr.language)
    if problem:
        issues.append(Issue(where, f"the expression {expr.source!r} {problem}"))


def _duration(value: float, where: str, issues: list[Issue], *, low: float) -> None:
    if not (low <= value <= MAX_TIMEOUT_SECONDS):
        issues.append(
            Issue(
                where, f"must be between {low:g} and {MAX_TIMEOUT_SECONDS:g} seconds, got {value:g}"
            )
        )


def _sla(sla: SlaSpec, where: str, issues: list[Issue]) -> None:
    _duration(sla.duration_seconds, f"{where}.duration_seconds", issues, low=1)
    if sla.warning_seconds is not None:
        _duration(sla.warning_seconds, f"{where}.warning_seconds", issues, low=1)
        if sla.warning_seconds >= sla.duration_seconds:
            issues.append(
                Issue(
                    f"{where}.warning_seconds",
                    f"the warning ({sla.warning_seconds:g}s) must come before the SLA "
                    f"itself ({sla.duration_seconds:g}s)",
                )
            )
