"""Baton's additions to the process language, written through the
specification's own extension points so a file stays valid Serverless
Workflow: the custom functions ``call: baton/approval`` and ``call:
baton/agent`` (arguments under ``with``), and task ``metadata.baton``:
``compensate`` (a task that undoes this one), ``parallel`` and
``max_concurrency`` (a ``for`` whose iterations run at once)."""

from __future__ import annotations

from typing import Any

from .shapes import Shapes
from .tree import BatonCallTask, Task

# `call: baton/<name>`: what each is (for messages)
BATON_FUNCTIONS = {
    "approval": "a human approval (approvers, quorum, stages, escalation)",
    "agent": "a task for an AI coding agent of baton.yaml",
}
# names kept for what later issues add
RESERVED = {"decision": "decision tables (DMN) come with the BPMN/DMN support"}
METADATA_KEYS = ("compensate", "parallel", "max_concurrency")


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
        return BatonCallTask(
            name, pointer, "call", function=f"baton/{function}", arguments=dict(arguments), **base
        )

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
        if "max_concurrency" in spec:
            limit = spec["max_concurrency"]
            if not (isinstance(limit, int) and not isinstance(limit, bool) and limit >= 1):
                self.problem(f"{at}/max_concurrency", "max_concurrency must be a whole number ≥ 1")
            else:
                fields["max_concurrency"] = limit
        return fields
