"""The reader's generic shapes: objects, keys, strings, durations, names
under ``use``, timeouts and data specs — each problem named by its JSON
pointer. Every task reader (flow, errors, calls, events) builds on these."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...errors import Issue
from ...plan.durations import DURATION_UNITS, duration_seconds
from .syntax import BASE_KEYS, _escape, _is_expression, _kind
from .tree import Task


class Shapes:
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
        if isinstance(value, str) and _is_expression(value):
            self.problem(
                pointer,
                "a duration given by an expression is not supported here (it is in a wait, "
                "a timeout's after and a retry's delay); write it out",
            )
            return None
        if isinstance(value, dict):
            self.keys(value, pointer, tuple(DURATION_UNITS), "a duration")
            for unit, amount in value.items():
                if unit in DURATION_UNITS and (
                    not isinstance(amount, int) or isinstance(amount, bool)
                ):
                    self.problem(f"{pointer}/{unit}", f"{unit} must be a whole number")
                    return None
            if any(unit not in DURATION_UNITS for unit in value):
                return None
        seconds, problem = duration_seconds(value)
        if problem:
            self.problem(pointer, problem)
        return seconds

    def duration_or_expression(self, value: Any, pointer: str) -> float | str | None:
        """A duration, or an expression (``${ }``) that gives one when the task runs."""
        if isinstance(value, str) and _is_expression(value):
            return value
        return self.duration(value, pointer)

    def directive(self, value: Any, pointer: str) -> str:
        text = self.string(value, pointer, "then")
        return text or "continue"

    def data_spec(self, value: Any, pointer: str, what: str, key: str) -> Any:
        """``input``/``output``/``export``: the ``from``/``as`` expression."""
        spec = self.mapping(value, pointer, what)
        if spec is None:
            return None
        allowed = ("schema", key)
        self.keys(spec, pointer, allowed, what)
        return spec.get(key)

    def data_schema(self, value: Any, pointer: str, what: str) -> dict[str, Any] | None:
        """``input.schema``/``output.schema``: the JSON Schema given inline
        as ``document`` (checked as a schema when the plan is compiled)."""
        if not isinstance(value, dict) or "schema" not in value:
            return None
        at = f"{pointer}/schema"
        spec = self.mapping(value["schema"], at, f"{what}.schema")
        if spec is None:
            return None
        self.keys(spec, at, ("format", "document", "resource"), f"{what}.schema")
        schema_format = str(spec.get("format", "json"))
        if schema_format.split(":")[0].lower() not in ("json", "jsonschema", "json-schema"):
            self.problem(
                f"{at}/format",
                f"schema format {schema_format!r} is not supported; Baton checks JSON Schema (json)",
            )
            return None
        if "resource" in spec:
            self.problem(
                f"{at}/resource",
                "a schema from an external resource is not supported yet; give it inline as document",
            )
            return None
        document = self.mapping(spec.get("document"), f"{at}/document", "a schema document")
        if "document" not in spec:
            self.problem(at, f"{what}.schema needs its document")
        return document

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
        after = self._timeout_after(value, pointer)
        return None if after is None else self.duration(*after)

    def timeout_or_expression(self, value: Any, pointer: str) -> float | str | None:
        """A task's timeout: seconds, or the expression its ``after`` is."""
        after = self._timeout_after(value, pointer)
        return None if after is None else self.duration_or_expression(*after)

    def _timeout_after(self, value: Any, pointer: str) -> tuple[Any, str] | None:
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
        return spec["after"], f"{pointer}/after"

    # -- tasks

    # A nested task list (composite tasks read one) and one task (a
    # compensation is one): :class:`.flow.FlowTasks` reads them; declared
    # here for the readers beside it in the reader's bases.
    task_list: Callable[[Any, str], list[Task]]
    task: Callable[[str, Any, str], Task | None]

    def _own_keys(
        self, spec: dict[str, Any], pointer: str, kind: str, extra: tuple[str, ...] = ()
    ) -> None:
        self.keys(spec, pointer, (*BASE_KEYS, kind, *extra), f"a {kind} task")
