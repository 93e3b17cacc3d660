"""Task lists and the flow tasks: ``do``, ``set``, ``switch``, ``for``,
``fork`` and ``wait``; which reader reads which task."""

from __future__ import annotations

from typing import Any

from .extensions import BatonExtensions
from .syntax import CALLS, DIRECTIVES, TASK_KINDS, _escape, _kind
from .tree import (
    DoTask,
    ForkTask,
    ForTask,
    SetTask,
    SwitchCase,
    SwitchTask,
    Task,
    TryTask,
    WaitTask,
)


class FlowTasks(BatonExtensions):
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
        if kind == "call" and str(spec.get("call")).startswith("baton/"):
            return self._baton_call(name, spec, pointer, self.base(spec, pointer))
        if kind == "call" and spec.get("call") not in CALLS:
            function = spec.get("call")
            shown = function if isinstance(function, str) else "?"
            self.problem(
                f"{pointer}/call",
                f"task {name!r} uses call: {shown}; Baton runs call: http, openapi and mcp, "
                "and its own baton/approval, baton/agent and baton/decision (not grpc, "
                "asyncapi, a2a or custom functions yet)",
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
            base["input_schema"] = self.data_schema(spec["input"], f"{pointer}/input", "input")
        if "output" in spec:
            base["output_as"] = self.data_spec(spec["output"], f"{pointer}/output", "output", "as")
            base["output_schema"] = self.data_schema(spec["output"], f"{pointer}/output", "output")
        if "export" in spec:
            base["export_as"] = self.data_spec(spec["export"], f"{pointer}/export", "export", "as")
        if "timeout" in spec:
            after = self.timeout_or_expression(spec["timeout"], f"{pointer}/timeout")
            base["timeout_expr" if isinstance(after, str) else "timeout_seconds"] = after
        if "then" in spec:
            base["then"] = self.directive(spec["then"], f"{pointer}/then")
        if "metadata" in spec:
            base["metadata"] = (
                self.mapping(spec["metadata"], f"{pointer}/metadata", "metadata") or {}
            )
            base.update(self.baton_metadata(base["metadata"], pointer))
        return base

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

    def _wait(self, name: str, spec: dict[str, Any], pointer: str, base: dict[str, Any]) -> Task:
        self._own_keys(spec, pointer, "wait")
        seconds = self.duration_or_expression(spec["wait"], f"{pointer}/wait")
        if isinstance(seconds, str):
            return WaitTask(name, pointer, "wait", seconds_expr=seconds, **base)
        return WaitTask(name, pointer, "wait", seconds=seconds or 0.0, **base)
