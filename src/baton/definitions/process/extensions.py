"""Baton's additions to the process language, written through the
specification's own extension points so a file stays valid Serverless
Workflow: the custom functions ``call: baton/approval``, ``call:
baton/agent`` and ``call: baton/decision`` (arguments under ``with``), and
task ``metadata.baton``:
``compensate`` (a task that undoes this one), ``parallel`` and
``max_concurrency`` (a ``for`` whose iterations run at once), ``local``
(run it as a local step, or not: docs/sagas.md, "Local steps"), ``sla``
(``after``, ``warn_after``: docs/operations.md, "SLAs"; also in the
document's ``metadata.baton`` for the whole run)."""

from __future__ import annotations

from typing import Any

from .shapes import Shapes
from .tree import BatonCallTask, Task

# `call: baton/<name>`: what each is (for messages)
BATON_FUNCTIONS = {
    "approval": "a human approval (approvers, quorum, stages, escalation)",
    "agent": "a task for an AI coding agent of baton.yaml",
    "decision": "a DMN decision (file, decision, input)",
}
# names kept for what later issues add
RESERVED: dict[str, str] = {}
DECISION_KEYS = ("file", "decision", "input", "result")
METADATA_KEYS = ("compensate", "parallel", "max_concurrency", "local", "sla")


class BatonExtensions(Shapes):
    def _baton_call(
        self, name: str, spec: dict[str, Any], pointer: str, base: dict[str, Any]
    ) -> Task | None:
        self._own_keys(spec, pointer, "call", ("with",))
        function = str(spec["call"]).removeprefix("baton/")
        if function in RESERVED:
            self.problem(
                f"{pointer}/call",
                f"task {name!r} uses call: baton/{function}, a name Baton keeps: "
                f"{RESERVED[function]}",
            )
            return None
        if function not in BATON_FUNCTIONS:
            known = ", ".join(f"baton/{f} ({what})" for f, what in BATON_FUNCTIONS.items())
            self.problem(
                f"{pointer}/call",
                f"task {name!r} uses call: baton/{function}, which Baton does not have; "
                f"it has {known}",
            )
            return None
        arguments = self.mapping(spec.get("with", {}), f"{pointer}/with", "with") or {}
        if function == "agent" and not isinstance(arguments.get("agent"), str):
            self.problem(
                f"{pointer}/with", "call: baton/agent needs 'agent', the name of an agent type"
            )
        if function == "decision":
            self._decision_arguments(arguments, f"{pointer}/with")
        return BatonCallTask(
            name, pointer, "call", function=f"baton/{function}", arguments=dict(arguments), **base
        )

    def _decision_arguments(self, arguments: dict[str, Any], at: str) -> None:
        """``call: baton/decision``: ``file`` (the DMN model), ``decision``
        (its id or name), ``input`` (a jq expression or template: the
        inputs; default the task's input), ``result`` (the result's form)."""
        self.keys(arguments, at, DECISION_KEYS, "call: baton/decision")
        if not isinstance(arguments.get("file"), str) or not arguments["file"]:
            self.problem(f"{at}/file", "call: baton/decision needs 'file', the DMN model's path")
        for key in ("decision", "result"):
            if key in arguments and not isinstance(arguments[key], str):
                self.problem(f"{at}/{key}", f"{key} of call: baton/decision must be a string")

    def baton_metadata(self, metadata: dict[str, Any], pointer: str) -> dict[str, Any]:
        """The task fields ``metadata.baton`` gives (``compensate`` read as a task)."""
        if "baton" not in metadata:
            return {}
        at = f"{pointer}/metadata/baton"
        spec = self.mapping(metadata["baton"], at, "metadata.baton") or {}
        self.keys(spec, at, METADATA_KEYS, "metadata.baton")
        fields: dict[str, Any] = {}
        if "compensate" in spec:
            name = pointer.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
            undo = self.task(f"{name} (compensation)", spec["compensate"], f"{at}/compensate")
            if undo is not None:
                fields["compensate"] = undo
        if "parallel" in spec:
            if not isinstance(spec["parallel"], bool):
                self.problem(f"{at}/parallel", "parallel must be true or false")
            else:
                fields["parallel"] = spec["parallel"]
        if "local" in spec:
            if not isinstance(spec["local"], bool):
                self.problem(f"{at}/local", "local must be true or false")
            else:
                fields["local"] = spec["local"]
        if "sla" in spec:
            sla = self.sla_spec(spec["sla"], f"{at}/sla")
            if sla is not None:
                fields["sla"] = sla
        if "max_concurrency" in spec:
            limit = spec["max_concurrency"]
            if not (isinstance(limit, int) and not isinstance(limit, bool) and limit >= 1):
                self.problem(f"{at}/max_concurrency", "max_concurrency must be a whole number ≥ 1")
            else:
                fields["max_concurrency"] = limit
        return fields

    def sla_spec(self, value: Any, at: str) -> tuple[float, float | None] | None:
        """``sla: {after: <duration>, warn_after: <duration>}`` as seconds."""
        spec = self.mapping(value, at, "sla")
        if spec is None:
            return None
        self.keys(spec, at, ("after", "warn_after"), "sla")
        if "after" not in spec:
            self.problem(at, "sla needs 'after', the duration the run or task should end within")
            return None
        after = self.duration(spec["after"], f"{at}/after")
        warn = (
            self.duration(spec["warn_after"], f"{at}/warn_after") if "warn_after" in spec else None
        )
        if after is None or ("warn_after" in spec and warn is None):
            return None
        if warn is not None and warn >= after:
            self.problem(f"{at}/warn_after", "warn_after must be shorter than after")
            return None
        return after, warn
