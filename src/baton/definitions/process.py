"""Serverless Workflow 1.0 documents (the Open Workflow Specification, "the
process language"), read into Baton's own typed tree.

A document with ``document.dsl: 1.0.x`` is read here: its shape is checked
(every problem named by its JSON pointer, e.g. ``/do/1/setRed/then``), and
so is what Baton can run — a feature outside that is refused before anything
starts, naming the task and the feature. Expressions (``${ ... }``, jq) are
kept as text; the compiler (:mod:`baton.plan.process`) checks them.

``tests/definitions/test_process_corpus.py`` reads every file of the
specification's own examples, conformance kit and invalid fixtures, and
checks that what the official JSON Schema refuses, this reader refuses too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import DefinitionError, Issue

DSL_VERSION = re.compile(r"^1\.0\.\d+(?:-[0-9A-Za-z.-]+)?$")
NAME = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"
)
ISO_DURATION = re.compile(
    r"^P(?!$)(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
TASK_KINDS = (
    "call",
    "do",
    "emit",
    "for",
    "fork",
    "listen",
    "raise",
    "run",
    "set",
    "switch",
    "try",
    "wait",
)
BASE_KEYS = ("if", "input", "output", "export", "timeout", "then", "metadata")
DIRECTIVES = ("continue", "exit", "end")
RUNS = ("shell", "script")  # what `run:` runs today
EVENT_ATTRIBUTES = (
    "id",
    "source",
    "type",
    "time",
    "subject",
    "datacontenttype",
    "dataschema",
    "data",
)
CALLS = ("http", "openapi")  # what `call:` runs today
AUTHENTICATIONS = ("basic", "bearer")


def is_process_document(data: dict[str, Any]) -> bool:
    document = data.get("document")
    return isinstance(document, dict) and "dsl" in document


# ---- the tree ----------------------------------------------------------------


@dataclass
class Task:
    """What every task has (``taskBase``). ``pointer`` is its JSON pointer in
    the document (the task's reference, e.g. ``/do/0/getPet``)."""

    name: str
    pointer: str
    kind: str
    if_: str | None = None
    input_from: Any = None  # an expression or a template
    output_as: Any = None
    export_as: Any = None
    timeout_seconds: float | None = None
    then: str = "continue"
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class SetTask(Task):
    value: Any = None  # a template: strings "${ ... }" are expressions


@dataclass
class DoTask(Task):
    tasks: list[Task] = field(default_factory=list)


@dataclass
class SwitchCase:
    name: str
    when: str | None
    then: str


@dataclass
class SwitchTask(Task):
    cases: list[SwitchCase] = field(default_factory=list)


@dataclass
class ForTask(Task):
    collection: Any = None  # for.in: an expression, or an inline list
    each: str = "item"
    at: str = "index"
    while_: str | None = None
    tasks: list[Task] = field(default_factory=list)


@dataclass
class ForkTask(Task):
    branches: list[Task] = field(default_factory=list)
    compete: bool = False


@dataclass
class RetryPolicy:
    """A catch's retry: ``limit.attempt.count`` retries at most (None: until
    ``limit.duration``), waiting ``delay`` (× backoff), plus jitter."""

    delay_seconds: float = 0.0
    backoff: str = "constant"  # constant | exponential | linear
    count: int | None = None
    duration_seconds: float | None = None
    jitter: tuple[float, float] | None = None
    when: str | None = None
    except_when: str | None = None


@dataclass
class Catch:
    errors: dict[str, Any] = field(default_factory=dict)  # errors.with: type, status, ...
    as_: str = "error"
    when: str | None = None
    except_when: str | None = None
    retry: RetryPolicy | None = None
    tasks: list[Task] | None = None  # catch.do
    then: str | None = None  # catch.then (newer than 1.0.3)


@dataclass
class TryTask(Task):
    tasks: list[Task] = field(default_factory=list)
    catch: Catch = field(default_factory=Catch)


@dataclass
class RaiseTask(Task):
    error: dict[str, Any] = field(default_factory=dict)  # type, status, title, detail (templates)


@dataclass
class WaitTask(Task):
    seconds: float = 0.0


@dataclass
class CallTask(Task):
    """``call: http`` or ``call: openapi`` with its ``with`` arguments (values
    may be templates); ``authentication`` resolved from ``use`` when named."""

    function: str = "http"
    arguments: dict[str, Any] = field(default_factory=dict)
    authentication: dict[str, Any] | None = None


@dataclass
class RunTask(Task):
    """``run: shell`` or ``run: script`` (python, js): the code, its
    arguments, environment and stdin (templates), and what it returns."""

    process: str = "shell"
    code: Any = ""
    language: str | None = None
    arguments: Any = None
    environment: Any = None
    stdin: Any = None
    returns: str = "stdout"


@dataclass
class EventFilterSpec:
    """An event filter: ``with`` (attributes to equal; ``data`` an
    expression on the event's data) and ``correlate`` (``from`` an
    expression on the event, ``expect`` a value or an expression on the
    task's input)."""

    attributes: dict[str, Any] = field(default_factory=dict)
    correlate: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class ListenTask(Task):
    strategy: str = "one"  # one | any | all
    filters: list[EventFilterSpec] = field(default_factory=list)
    until: str | None = None  # an expression over the events so far
    until_filter: EventFilterSpec | None = None  # or: an event that ends it
    read: str = "data"  # data | envelope | raw


@dataclass
class EmitTask(Task):
    event: dict[str, Any] = field(default_factory=dict)  # emit.event.with (a template)


@dataclass
class Workflow:
    namespace: str
    name: str
    version: str
    dsl: str
    tasks: list[Task]
    title: str | None = None
    summary: str | None = None
    input_from: Any = None
    output_as: Any = None
    timeout_seconds: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


# ---- reading ------------------------------------------------------------------


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.issues: list[Issue] = []
        self.use: dict[str, Any] = {}

    def problem(self, pointer: str, message: str) -> None:
        self.issues.append(Issue(pointer or "/", message))

    def _named(self, section: str) -> dict[str, Any]:
        """A section of ``use`` (``timeouts``, ``retries``, ``errors``)."""
        found = self.use.get(section)
        return found if isinstance(found, dict) else {}

    # -- generic shapes

    def mapping(self, value: Any, pointer: str, what: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(pointer, f"{what} must be an object, not {_kind(value)}")
            return None
        return value

    def keys(
        self, value: dict[str, Any], pointer: str, allowed: tuple[str, ...], what: str
    ) -> None:
        for key in value:
            if key not in allowed:
                self.problem(
                    f"{pointer}/{_escape(key)}",
                    f"{what} has no property {key!r} (allowed: {', '.join(allowed)})",
                )

    def string(self, value: Any, pointer: str, what: str) -> str | None:
        if not isinstance(value, str):
            self.problem(pointer, f"{what} must be a string, not {_kind(value)}")
            return None
        return value

    def duration(self, value: Any, pointer: str) -> float | None:
        """Seconds of a duration: ISO 8601 (``PT1M30S``) or an object of
        ``days``, ``hours``, ``minutes``, ``seconds``, ``milliseconds``."""
        if isinstance(value, dict):
            units = {
                "days": 86400,
                "hours": 3600,
                "minutes": 60,
                "seconds": 1,
                "milliseconds": 0.001,
            }
            self.keys(value, pointer, tuple(units), "a duration")
            if not value:
                self.problem(
                    pointer,
                    "a duration needs at least one of days, hours, minutes, seconds, milliseconds",
                )
                return None
            total = 0.0
            for unit, amount in value.items():
                if unit not in units:
                    continue
                if not isinstance(amount, int) or isinstance(amount, bool):
                    self.problem(f"{pointer}/{unit}", f"{unit} must be a whole number")
                    return None
                total += amount * units[unit]
            return total
        if isinstance(value, str):
            if _is_expression(value):
                self.problem(
                    pointer, "a duration given by an expression is not supported yet; write it out"
                )
                return None
            match = ISO_DURATION.match(value)
            if not match:
                self.problem(pointer, f"{value!r} is not an ISO 8601 duration (e.g. PT30S, P1DT2H)")
                return None
            years, months, weeks, days, hours, minutes, seconds = (
                float(g or 0) for g in match.groups()
            )
            if years or months:
                self.problem(pointer, f"{value!r}: years and months have no fixed length; use days")
                return None
            return (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds
        self.problem(
            pointer, f"a duration must be an ISO 8601 string or an object, not {_kind(value)}"
        )
        return None

    def directive(self, value: Any, pointer: str) -> str:
        text = self.string(value, pointer, "then")
        return text or "continue"

    # -- the document

    def workflow(self, data: dict[str, Any]) -> Workflow | None:
        top = ("document", "input", "use", "do", "timeout", "output", "schedule", "evaluate")
        self.keys(data, "", top, "a workflow")
        document = self.mapping(data.get("document"), "/document", "document") or {}
        self.keys(
            document,
            "/document",
            ("dsl", "namespace", "name", "version", "title", "summary", "tags", "metadata"),
            "document",
        )
        for key in ("dsl", "namespace", "name", "version"):
            if key not in document:
                self.problem("/document", f"document needs {key!r}")
        dsl = str(document.get("dsl", ""))
        if "dsl" in document and not DSL_VERSION.match(dsl):
            self.problem(
                "/document/dsl", f"dsl {dsl!r} is not 1.0.x: Baton reads Serverless Workflow 1.0"
            )
        for key, pattern, rule in (
            ("namespace", NAME, "letters, digits and '-', at most 63"),
            ("name", NAME, "letters, digits and '-', at most 63"),
            ("version", SEMVER, "a semantic version such as 1.0.0"),
        ):
            if key in document and not (
                isinstance(document[key], str) and pattern.match(document[key])
            ):
                self.problem(f"/document/{key}", f"{key} {document[key]!r} must be {rule}")
        if "use" in data:
            self.use = self.mapping(data["use"], "/use", "use") or {}
        if "schedule" in data:
            self.problem(
                "/schedule",
                "schedule is not supported yet (start runs with baton run or a Temporal Schedule)",
            )
        if "evaluate" in data:
            evaluate = self.mapping(data["evaluate"], "/evaluate", "evaluate") or {}
            if evaluate.get("language", "jq") != "jq":
                self.problem(
                    "/evaluate/language",
                    f"expression language {evaluate['language']!r} is not supported; Baton evaluates jq",
                )
        if "do" not in data:
            self.problem("", "a workflow needs 'do', its list of tasks")
        tasks = self.task_list(data.get("do"), "/do")
        input_from = None
        if "input" in data:
            input_from = self.data_spec(data["input"], "/input", "input", "from")
        output_as = None
        if "output" in data:
            output_as = self.data_spec(data["output"], "/output", "output", "as")
        timeout = self.timeout(data["timeout"], "/timeout") if "timeout" in data else None
        if self.issues:
            return None
        return Workflow(
            namespace=document["namespace"],
            name=document["name"],
            version=document["version"],
            dsl=dsl,
            tasks=tasks,
            title=document.get("title"),
            summary=document.get("summary"),
            input_from=input_from,
            output_as=output_as,
            timeout_seconds=timeout,
            metadata=dict(document.get("metadata") or {}),
        )

    def data_spec(self, value: Any, pointer: str, what: str, key: str) -> Any:
        """``input``/``output``/``export``: the ``from``/``as`` expression."""
        spec = self.mapping(value, pointer, what)
        if spec is None:
            return None
        allowed = ("schema", key)
        self.keys(spec, pointer, allowed, what)
        if "schema" in spec:
            self.problem(
                f"{pointer}/schema",
                f"{what}.schema is not supported yet (its validation); remove it",
            )
        return spec.get(key)

    def referenced(
        self, section: str, what: str, value: Any, pointer: str
    ) -> tuple[Any, str] | None:
        """``value`` itself, or — given as a name — the definition of that
        name under ``/use/<section>`` (None: no such name, said)."""
        if not isinstance(value, str):
            return value, pointer
        named = self._named(section)
        if value not in named:
            self.problem(pointer, f"no {what} named {value!r} under /use/{section}")
            return None
        return named[value], f"/use/{section}/{_escape(value)}"

    def timeout(self, value: Any, pointer: str) -> float | None:
        found = self.referenced("timeouts", "timeout", value, pointer)
        if found is None:
            return None
        value, pointer = found
        spec = self.mapping(value, pointer, "a timeout")
        if spec is None:
            return None
        self.keys(spec, pointer, ("after",), "a timeout")
        if "after" not in spec:
            self.problem(pointer, "a timeout needs 'after'")
            return None
        return self.duration(spec["after"], f"{pointer}/after")

    # -- tasks

    def task_list(self, value: Any, pointer: str) -> list[Task]:
        if not isinstance(value, list):
            self.problem(pointer, f"must be a list of tasks, not {_kind(value)}")
            return []
        tasks: list[Task] = []
        names: set[str] = set()
        for index, item in enumerate(value):
            where = f"{pointer}/{index}"
            if not isinstance(item, dict) or len(item) != 1:
                self.problem(
                    where,
                    "each item of a task list is an object with exactly one task name as its key",
                )
                continue
            ((name, body),) = item.items()
            if not isinstance(name, str):
                self.problem(
                    where,
                    f"a task name must be a string, not {name!r} (quote it: YAML reads yes/no/on/off as booleans)",
                )
                continue
            if name in names:
                self.problem(
                    f"{where}/{_escape(name)}", f"a task named {name!r} comes earlier in this list"
                )
            names.add(name)
            task = self.task(name, body, f"{where}/{_escape(name)}")
            if task is not None:
                tasks.append(task)
        for task in tasks:
            for target, at in self._targets(task):
                if target not in DIRECTIVES and target not in names:
                    self.problem(
                        at,
                        f"then: {target!r} is not continue, exit, end or a task of this list ({', '.join(sorted(names))})",
                    )
        return tasks

    @staticmethod
    def _targets(task: Task) -> list[tuple[str, str]]:
        found = [(task.then, f"{task.pointer}/then")]
        if isinstance(task, SwitchTask):
            found += [
                (c.then, f"{task.pointer}/switch/{i}/{_escape(c.name)}/then")
                for i, c in enumerate(task.cases)
            ]
        if isinstance(task, TryTask) and task.catch.then:
            found.append((task.catch.then, f"{task.pointer}/catch/then"))
        return found

    def task(self, name: str, body: Any, pointer: str) -> Task | None:
        spec = self.mapping(body, pointer, f"task {name!r}")
        if spec is None:
            return None
        kinds = [k for k in TASK_KINDS if k in spec]
        if "for" in kinds and "do" in kinds:
            kinds.remove("do")  # a for task's body
        if len(kinds) != 1:
            self.problem(
                pointer,
                f"task {name!r} must have exactly one of {', '.join(TASK_KINDS)}"
                + (f" (it has {', '.join(kinds)})" if kinds else ""),
            )
            return None
        kind = kinds[0]
        if kind == "call" and spec.get("call") not in CALLS:
            function = spec.get("call")
            shown = function if isinstance(function, str) else "?"
            self.problem(
                f"{pointer}/call",
                f"task {name!r} uses call: {shown}; Baton runs call: http and call: openapi "
                "(not grpc, asyncapi, a2a, mcp or custom functions yet)",
            )
            return None
        base = self.base(spec, pointer)
        reader = getattr(self, f"_{kind}")
        task: Task | None = reader(name, spec, pointer, base)
        return task

    def base(self, spec: dict[str, Any], pointer: str) -> dict[str, Any]:
        base: dict[str, Any] = {}
        if "if" in spec:
            base["if_"] = self.string(spec["if"], f"{pointer}/if", "if")
        if "input" in spec:
            base["input_from"] = self.data_spec(spec["input"], f"{pointer}/input", "input", "from")
        if "output" in spec:
            base["output_as"] = self.data_spec(spec["output"], f"{pointer}/output", "output", "as")
        if "export" in spec:
            base["export_as"] = self.data_spec(spec["export"], f"{pointer}/export", "export", "as")
        if "timeout" in spec:
            base["timeout_seconds"] = self.timeout(spec["timeout"], f"{pointer}/timeout")
        if "then" in spec:
            base["then"] = self.directive(spec["then"], f"{pointer}/then")
        if "metadata" in spec:
            base["metadata"] = (
                self.mapping(spec["metadata"], f"{pointer}/metadata", "metadata") or {}
            )
        return base

    def _own_keys(
        self, spec: dict[str, Any], pointer: str, kind: str, extra: tuple[str, ...] = ()
    ) -> None:
        self.keys(spec, pointer, (*BASE_KEYS, kind, *extra), f"a {kind} task")

    def _set(self, name: str, spec: dict[str, Any], pointer: str, base: dict[str, Any]) -> Task:
        self._own_keys(spec, pointer, "set")
        value = spec["set"]
        if not isinstance(value, (dict, str)):
            self.problem(
                f"{pointer}/set", f"set must be an object or an expression, not {_kind(value)}"
            )
        return SetTask(name, pointer, "set", value=value, **base)

    def _do(self, name: str, spec: dict[str, Any], pointer: str, base: dict[str, Any]) -> Task:
        self._own_keys(spec, pointer, "do")
        return DoTask(
            name, pointer, "do", tasks=self.task_list(spec["do"], f"{pointer}/do"), **base
        )

    def _switch(self, name: str, spec: dict[str, Any], pointer: str, base: dict[str, Any]) -> Task:
        self._own_keys(spec, pointer, "switch")
        cases: list[SwitchCase] = []
        items = spec["switch"]
        if not isinstance(items, list) or not items:
            self.problem(f"{pointer}/switch", "switch must be a non-empty list of cases")
            items = []
        for index, item in enumerate(items):
            where = f"{pointer}/switch/{index}"
            if not isinstance(item, dict) or len(item) != 1:
                self.problem(where, "each case is an object with exactly one case name as its key")
                continue
            ((case_name, case),) = item.items()
            if not isinstance(case_name, str):
                self.problem(
                    where,
                    f"a case name must be a string, not {case_name!r} (quote it: YAML reads yes/no/on/off as booleans)",
                )
                continue
            case_at = f"{where}/{_escape(case_name)}"
            body = self.mapping(case, case_at, f"case {case_name!r}") or {}
            self.keys(body, case_at, ("when", "then"), f"case {case_name!r}")
            if "then" not in body:
                self.problem(case_at, f"case {case_name!r} needs 'then'")
            when = self.string(body["when"], f"{case_at}/when", "when") if "when" in body else None
            cases.append(
                SwitchCase(
                    case_name, when, self.directive(body.get("then", "continue"), f"{case_at}/then")
                )
            )
        return SwitchTask(name, pointer, "switch", cases=cases, **base)

    def _for(self, name: str, spec: dict[str, Any], pointer: str, base: dict[str, Any]) -> Task:
        self._own_keys(spec, pointer, "for", ("while", "do"))
        loop = self.mapping(spec["for"], f"{pointer}/for", "for") or {}
        self.keys(loop, f"{pointer}/for", ("each", "in", "at"), "for")
        if "in" not in loop:
            self.problem(f"{pointer}/for", "for needs 'in' (the collection)")
        if "do" not in spec:
            self.problem(pointer, f"for task {name!r} needs 'do'")
        collection = loop.get("in")
        if not isinstance(collection, (str, list)):
            self.problem(f"{pointer}/for/in", "for.in must be an expression or a list")
        each = self.string(loop.get("each", "item"), f"{pointer}/for/each", "for.each") or "item"
        at = self.string(loop.get("at", "index"), f"{pointer}/for/at", "for.at") or "index"
        while_ = (
            self.string(spec["while"], f"{pointer}/while", "while") if "while" in spec else None
        )
        tasks = self.task_list(spec.get("do", []), f"{pointer}/do")
        return ForTask(
            name,
            pointer,
            "for",
            collection=collection,
            each=each,
            at=at,
            while_=while_,
            tasks=tasks,
            **base,
        )

    def _fork(self, name: str, spec: dict[str, Any], pointer: str, base: dict[str, Any]) -> Task:
        self._own_keys(spec, pointer, "fork")
        fork = self.mapping(spec["fork"], f"{pointer}/fork", "fork") or {}
        self.keys(fork, f"{pointer}/fork", ("branches", "compete"), "fork")
        compete = fork.get("compete", False)
        if not isinstance(compete, bool):
            self.problem(f"{pointer}/fork/compete", "compete must be true or false")
        branches = self.task_list(fork.get("branches", []), f"{pointer}/fork/branches")
        if "branches" not in fork:
            self.problem(f"{pointer}/fork", "fork needs 'branches'")
        return ForkTask(name, pointer, "fork", branches=branches, compete=bool(compete), **base)

    def _try(self, name: str, spec: dict[str, Any], pointer: str, base: dict[str, Any]) -> Task:
        self._own_keys(spec, pointer, "try", ("catch",))
        tasks = self.task_list(spec["try"], f"{pointer}/try")
        if "catch" not in spec:
            self.problem(pointer, f"try task {name!r} needs 'catch'")
        catch = self.catch(spec.get("catch", {}), f"{pointer}/catch")
        return TryTask(name, pointer, "try", tasks=tasks, catch=catch, **base)

    def catch(self, value: Any, pointer: str) -> Catch:
        spec = self.mapping(value, pointer, "catch") or {}
        self.keys(
            spec, pointer, ("errors", "as", "when", "exceptWhen", "retry", "do", "then"), "catch"
        )
        catch = Catch()
        if "errors" in spec:
            errors = self.mapping(spec["errors"], f"{pointer}/errors", "catch.errors") or {}
            self.keys(errors, f"{pointer}/errors", ("with",), "catch.errors")
            filters = (
                self.mapping(errors.get("with", {}), f"{pointer}/errors/with", "errors.with") or {}
            )
            self.keys(
                filters,
                f"{pointer}/errors/with",
                ("type", "status", "instance", "title", "detail", "details"),
                "errors.with",
            )
            catch.errors = {("detail" if k == "details" else k): v for k, v in filters.items()}
        if "as" in spec:
            catch.as_ = self.string(spec["as"], f"{pointer}/as", "catch.as") or "error"
        catch.when = (
            self.string(spec["when"], f"{pointer}/when", "when") if "when" in spec else None
        )
        if "exceptWhen" in spec:
            catch.except_when = self.string(
                spec["exceptWhen"], f"{pointer}/exceptWhen", "exceptWhen"
            )
        if "retry" in spec:
            catch.retry = self.retry(spec["retry"], f"{pointer}/retry")
        if "do" in spec:
            catch.tasks = self.task_list(spec["do"], f"{pointer}/do")
        if "then" in spec:
            catch.then = self.directive(spec["then"], f"{pointer}/then")
        return catch

    def retry(self, value: Any, pointer: str) -> RetryPolicy | None:
        found = self.referenced("retries", "retry policy", value, pointer)
        if found is None:
            return None
        value, pointer = found
        spec = self.mapping(value, pointer, "a retry policy")
        if spec is None:
            return None
        self.keys(
            spec,
            pointer,
            ("when", "exceptWhen", "delay", "backoff", "limit", "jitter"),
            "a retry policy",
        )
        policy = RetryPolicy()
        if "delay" in spec:
            policy.delay_seconds = self.duration(spec["delay"], f"{pointer}/delay") or 0.0
        if "backoff" in spec:
            backoff = self.mapping(spec["backoff"], f"{pointer}/backoff", "backoff") or {}
            kinds = [k for k in ("constant", "exponential", "linear") if k in backoff]
            if len(kinds) != 1 or len(backoff) != 1:
                self.problem(
                    f"{pointer}/backoff",
                    "backoff must be exactly one of constant, exponential, linear",
                )
            else:
                policy.backoff = kinds[0]
        if "limit" in spec:
            limit = self.mapping(spec["limit"], f"{pointer}/limit", "limit") or {}
            self.keys(limit, f"{pointer}/limit", ("attempt", "duration"), "limit")
            attempt = (
                self.mapping(limit.get("attempt", {}), f"{pointer}/limit/attempt", "limit.attempt")
                or {}
            )
            self.keys(attempt, f"{pointer}/limit/attempt", ("count", "duration"), "limit.attempt")
            if "count" in attempt:
                count = attempt["count"]
                if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                    self.problem(
                        f"{pointer}/limit/attempt/count", "count must be a whole number ≥ 0"
                    )
                else:
                    policy.count = count
            if "duration" in attempt:
                self.problem(
                    f"{pointer}/limit/attempt/duration",
                    "a per-attempt duration limit is not supported yet; give the task a timeout",
                )
            if "duration" in limit:
                policy.duration_seconds = self.duration(
                    limit["duration"], f"{pointer}/limit/duration"
                )
        if "jitter" in spec:
            jitter = self.mapping(spec["jitter"], f"{pointer}/jitter", "jitter") or {}
            self.keys(jitter, f"{pointer}/jitter", ("from", "to"), "jitter")
            low = self.duration(jitter.get("from", {"seconds": 0}), f"{pointer}/jitter/from") or 0.0
            high = self.duration(jitter.get("to", {"seconds": 0}), f"{pointer}/jitter/to") or 0.0
            if high < low:
                self.problem(f"{pointer}/jitter", "jitter.to must not be less than jitter.from")
            policy.jitter = (low, high)
        policy.when = (
            self.string(spec["when"], f"{pointer}/when", "when") if "when" in spec else None
        )
        if "exceptWhen" in spec:
            policy.except_when = self.string(
                spec["exceptWhen"], f"{pointer}/exceptWhen", "exceptWhen"
            )
        if policy.count is None and policy.duration_seconds is None:
            self.problem(
                pointer, "a retry policy needs a limit (limit.attempt.count or limit.duration)"
            )
        return policy

    def _raise(self, name: str, spec: dict[str, Any], pointer: str, base: dict[str, Any]) -> Task:
        self._own_keys(spec, pointer, "raise")
        body = self.mapping(spec["raise"], f"{pointer}/raise", "raise") or {}
        self.keys(body, f"{pointer}/raise", ("error",), "raise")
        error = body.get("error")
        at = f"{pointer}/raise/error"
        found = self.referenced("errors", "error", error, at)
        error, at = found if found is not None else ({}, at)
        error = self.mapping(error, at, "raise.error") or {}
        self.keys(error, at, ("type", "status", "instance", "title", "detail"), "an error")
        for required in ("type", "status"):
            if required not in error:
                self.problem(at, f"an error needs {required!r}")
        if "status" in error and not (
            isinstance(error["status"], int) and not isinstance(error["status"], bool)
        ):
            self.problem(f"{at}/status", "status must be a whole number")
        return RaiseTask(name, pointer, "raise", error=dict(error), **base)

    def _call(self, name: str, spec: dict[str, Any], pointer: str, base: dict[str, Any]) -> Task:
        self._own_keys(spec, pointer, "call", ("with",))
        function = str(spec["call"])
        arguments = self.mapping(spec.get("with", {}), f"{pointer}/with", "with") or {}
        at = f"{pointer}/with"
        authentication = None
        if function == "http":
            self.keys(
                arguments,
                at,
                ("method", "endpoint", "headers", "body", "query", "output", "redirect"),
                "call: http",
            )
            for required in ("method", "endpoint"):
                if required not in arguments:
                    self.problem(at, f"call: http needs {required!r}")
            authentication = self.endpoint(arguments.get("endpoint"), f"{at}/endpoint")
        else:
            self.keys(
                arguments,
                at,
                ("document", "operationId", "parameters", "authentication", "output", "redirect"),
                "call: openapi",
            )
            for required in ("document", "operationId"):
                if required not in arguments:
                    self.problem(at, f"call: openapi needs {required!r}")
            document = (
                self.mapping(arguments.get("document", {}), f"{at}/document", "document") or {}
            )
            self.keys(document, f"{at}/document", ("name", "endpoint"), "document")
            if "endpoint" not in document:
                self.problem(f"{at}/document", "document needs 'endpoint'")
            self.endpoint(document.get("endpoint"), f"{at}/document/endpoint")
            if "authentication" in arguments:
                authentication = self.authentication(
                    arguments["authentication"], f"{at}/authentication"
                )
        output = arguments.get("output", "content")
        if output not in ("content", "response", "raw"):
            self.problem(f"{at}/output", "output must be content, response or raw")
        return CallTask(
            name,
            pointer,
            "call",
            function=function,
            arguments=dict(arguments),
            authentication=authentication,
            **base,
        )

    def endpoint(self, value: Any, pointer: str) -> dict[str, Any] | None:
        """An endpoint's authentication, if any (its URI is checked here)."""
        if isinstance(value, str):
            return None
        spec = self.mapping(value, pointer, "an endpoint")
        if spec is None:
            return None
        self.keys(spec, pointer, ("uri", "authentication"), "an endpoint")
        if "uri" not in spec or not isinstance(spec["uri"], str):
            self.problem(pointer, "an endpoint needs 'uri' (a string)")
        if "authentication" in spec:
            return self.authentication(spec["authentication"], f"{pointer}/authentication")
        return None

    def authentication(self, value: Any, pointer: str) -> dict[str, Any] | None:
        spec = self.mapping(value, pointer, "an authentication")
        if spec is None:
            return None
        if set(spec) == {"use"}:
            found = self.referenced(
                "authentications", "authentication", str(spec["use"]), f"{pointer}/use"
            )
            if found is None:
                return None
            spec, pointer = found
            spec = self.mapping(spec, pointer, "an authentication") or {}
        kinds = [k for k in spec if k in AUTHENTICATIONS]
        unknown = [k for k in spec if k not in AUTHENTICATIONS]
        if unknown:
            self.problem(
                f"{pointer}/{_escape(unknown[0])}",
                f"authentication {unknown[0]!r} is not supported yet (Baton sends basic and bearer)",
            )
            return None
        if len(kinds) != 1:
            self.problem(pointer, "an authentication needs exactly one of basic, bearer")
            return None
        return dict(spec)

    def _run(
        self, name: str, spec: dict[str, Any], pointer: str, base: dict[str, Any]
    ) -> Task | None:
        self._own_keys(spec, pointer, "run")
        at = f"{pointer}/run"
        body = self.mapping(spec["run"], at, "run") or {}
        processes = [k for k in ("shell", "script", "workflow", "container") if k in body]
        self.keys(body, at, ("shell", "script", "workflow", "container", "await", "return"), "run")
        if len(processes) != 1:
            self.problem(at, "run needs exactly one of shell, script, workflow, container")
            return None
        process = processes[0]
        if process == "container":
            self.problem(
                f"{at}/container",
                f"task {name!r} uses run: container; Baton runs no container engine (use run: shell, or call a service)",
            )
            return None
        if process == "workflow":
            self.problem(
                f"{at}/workflow",
                f"task {name!r} uses run: workflow; Baton does not run sub-workflows by reference yet",
            )
            return None
        if body.get("await", True) is not True:
            self.problem(
                f"{at}/await", "await: false is not supported yet (Baton waits for what it runs)"
            )
        returns = body.get("return", "stdout")
        if returns not in ("stdout", "stderr", "code", "all", "none"):
            self.problem(f"{at}/return", "return must be stdout, stderr, code, all or none")
        where = f"{at}/{process}"
        spec_ = self.mapping(body[process], where, process) or {}
        if process == "shell":
            self.keys(spec_, where, ("command", "arguments", "environment", "stdin"), "run: shell")
            if "command" not in spec_:
                self.problem(where, "run: shell needs 'command'")
            code, language = spec_.get("command", ""), None
        else:
            self.keys(
                spec_,
                where,
                ("language", "code", "source", "arguments", "environment", "stdin"),
                "run: script",
            )
            language = spec_.get("language")
            if language not in ("python", "js"):
                self.problem(
                    f"{where}/language", f"language {language!r}: Baton runs python and js scripts"
                )
            if "source" in spec_:
                self.problem(
                    f"{where}/source",
                    "a script from an external source is not supported yet; inline it as code",
                )
            elif "code" not in spec_:
                self.problem(where, "run: script needs 'code'")
            code = spec_.get("code", "")
        arguments = spec_.get("arguments")
        if isinstance(arguments, dict):
            self.problem(
                f"{where}/arguments",
                "arguments as a map are not supported yet; give a list (the command's or script's argv)",
            )
        elif arguments is not None and not isinstance(arguments, list):
            self.problem(f"{where}/arguments", "arguments must be a list")
        return RunTask(
            name,
            pointer,
            "run",
            process=process,
            code=code,
            language=language,
            arguments=arguments,
            environment=spec_.get("environment"),
            stdin=spec_.get("stdin"),
            returns=str(returns),
            **base,
        )

    def _listen(self, name: str, spec: dict[str, Any], pointer: str, base: dict[str, Any]) -> Task:
        self._own_keys(spec, pointer, "listen", ("foreach",))
        if "foreach" in spec:
            self.problem(
                f"{pointer}/foreach",
                "listen.foreach is not supported yet; use the events list it outputs",
            )
        body = self.mapping(spec["listen"], f"{pointer}/listen", "listen") or {}
        self.keys(body, f"{pointer}/listen", ("to", "read"), "listen")
        read = body.get("read", "data")
        if read not in ("data", "envelope", "raw"):
            self.problem(f"{pointer}/listen/read", "read must be data, envelope or raw")
        at = f"{pointer}/listen/to"
        to = self.mapping(body.get("to"), at, "listen.to") or {}
        self.keys(to, at, ("one", "any", "all", "until"), "listen.to")
        strategies = [k for k in ("one", "any", "all") if k in to]
        if len(strategies) != 1:
            self.problem(at, "listen.to needs exactly one of one, any, all")
            return ListenTask(name, pointer, "listen", **base)
        strategy = strategies[0]
        if strategy == "one":
            filters = [self.event_filter(to["one"], f"{at}/one")]
        else:
            items = to[strategy]
            if not isinstance(items, list):
                self.problem(f"{at}/{strategy}", f"{strategy} must be a list of event filters")
                items = []
            filters = [self.event_filter(f, f"{at}/{strategy}/{i}") for i, f in enumerate(items)]
        until, until_filter = None, None
        if "until" in to:
            if strategy != "any":
                self.problem(f"{at}/until", "until goes with any")
            if isinstance(to["until"], str):
                until = to["until"]
            else:
                ender = self.mapping(to["until"], f"{at}/until", "until") or {}
                if set(ender) != {"one"}:
                    self.problem(f"{at}/until", "until is an expression or {one: <event filter>}")
                else:
                    until_filter = self.event_filter(ender["one"], f"{at}/until/one")
        return ListenTask(
            name,
            pointer,
            "listen",
            strategy=strategy,
            filters=filters,
            until=until,
            until_filter=until_filter,
            read=str(read),
            **base,
        )

    def event_filter(self, value: Any, pointer: str) -> EventFilterSpec:
        spec = self.mapping(value, pointer, "an event filter") or {}
        self.keys(spec, pointer, ("with", "correlate"), "an event filter")
        attributes = self.mapping(spec.get("with", {}), f"{pointer}/with", "with") or {}
        correlate = (
            self.mapping(spec.get("correlate", {}), f"{pointer}/correlate", "correlate") or {}
        )
        for key, rule in correlate.items():
            where = f"{pointer}/correlate/{_escape(key)}"
            body = self.mapping(rule, where, f"correlation {key!r}") or {}
            self.keys(body, where, ("from", "expect"), f"correlation {key!r}")
            if "from" not in body:
                self.problem(where, f"correlation {key!r} needs 'from'")
            if "expect" not in body:
                self.problem(where, f"correlation {key!r} without 'expect' is not supported yet")
        return EventFilterSpec(
            dict(attributes), {k: dict(v) for k, v in correlate.items() if isinstance(v, dict)}
        )

    def _emit(self, name: str, spec: dict[str, Any], pointer: str, base: dict[str, Any]) -> Task:
        self._own_keys(spec, pointer, "emit")
        body = self.mapping(spec["emit"], f"{pointer}/emit", "emit") or {}
        self.keys(body, f"{pointer}/emit", ("event",), "emit")
        event = self.mapping(body.get("event", {}), f"{pointer}/emit/event", "emit.event") or {}
        self.keys(event, f"{pointer}/emit/event", ("with",), "emit.event")
        properties = (
            self.mapping(event.get("with", {}), f"{pointer}/emit/event/with", "event.with") or {}
        )
        if "type" not in properties:
            self.problem(f"{pointer}/emit/event/with", "an event needs 'type'")
        return EmitTask(name, pointer, "emit", event=dict(properties), **base)

    def _wait(self, name: str, spec: dict[str, Any], pointer: str, base: dict[str, Any]) -> Task:
        self._own_keys(spec, pointer, "wait")
        seconds = self.duration(spec["wait"], f"{pointer}/wait")
        return WaitTask(name, pointer, "wait", seconds=seconds or 0.0, **base)


def read_workflow(data: dict[str, Any], source: str = "<dict>") -> Workflow:
    """The document as Baton's tree, or a DefinitionError naming, by JSON
    pointer, every problem and every feature Baton does not run."""
    reader = _Reader(source)
    workflow = reader.workflow(data)
    if reader.issues or workflow is None:
        raise DefinitionError(source, reader.issues)
    return workflow


def _is_expression(text: str) -> bool:
    stripped = text.strip()
    return stripped.startswith("${") and stripped.endswith("}")


def expression_source(text: str) -> str:
    """The jq program of an expression field: ``${ ... }`` unwrapped; a bare
    string (allowed where only an expression fits) as it is."""
    stripped = text.strip()
    return stripped[2:-1].strip() if _is_expression(stripped) else stripped


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else "a number"
    )
