"""``listen`` (event filters, correlation, ``until``) and ``emit``."""

from __future__ import annotations

from typing import Any

from .shapes import Shapes
from .syntax import _escape
from .tree import EmitTask, EventFilterSpec, ForEach, ListenTask, Task


class EventTasks(Shapes):
    def _listen(self, name: str, spec: dict[str, Any], pointer: str, base: dict[str, Any]) -> Task:
        self._own_keys(spec, pointer, "listen", ("foreach",))
        foreach = None
        if "foreach" in spec:
            foreach = self._foreach(spec["foreach"], f"{pointer}/foreach")
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
            foreach=foreach,
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
        return EventFilterSpec(
            dict(attributes), {k: dict(v) for k, v in correlate.items() if isinstance(v, dict)}
        )

    def _foreach(self, value: Any, pointer: str) -> ForEach | None:
        """``listen.foreach``: tasks run for each event taken, in order."""
        spec = self.mapping(value, pointer, "foreach")
        if spec is None:
            return None
        self.keys(spec, pointer, ("item", "at", "do", "output", "export"), "foreach")
        names = {}
        for key, default in (("item", "item"), ("at", "index")):
            names[key] = self.string(spec.get(key, default), f"{pointer}/{key}", key) or default
        output_as = export_as = None
        if "output" in spec:
            output_as = self.data_spec(spec["output"], f"{pointer}/output", "output", "as")
        if "export" in spec:
            export_as = self.data_spec(spec["export"], f"{pointer}/export", "export", "as")
        return ForEach(
            item=names["item"],
            at=names["at"],
            tasks=self.task_list(spec.get("do", []), f"{pointer}/do"),
            output_as=output_as,
            export_as=export_as,
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
