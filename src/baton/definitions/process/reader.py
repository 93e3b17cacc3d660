"""The document as a whole: ``document``, ``use``, ``input``/``output``,
``timeout``; :func:`read_workflow` is the entry point."""

from __future__ import annotations

from typing import Any

from ...errors import DefinitionError
from .calls import CallTasks
from .errors import ErrorTasks
from .events import EventTasks
from .flow import FlowTasks
from .syntax import DSL_VERSION, NAME, SEMVER
from .tree import Workflow


class _Reader(FlowTasks, ErrorTasks, CallTasks, EventTasks):
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
        secrets = self.use.get("secrets")
        if secrets is not None and not (
            isinstance(secrets, list) and all(isinstance(s, str) for s in secrets)
        ):
            self.problem("/use/secrets", "use.secrets must be a list of secret names")
            secrets = None
        if "schedule" in data:
            self.problem(
                "/schedule",
                "schedule is not supported yet in the document: remove it and schedule runs with "
                "`baton schedule create NAME FILE --cron ... | --every ...` (docs/schedules.md)",
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
        input_from = input_schema = None
        if "input" in data:
            input_from = self.data_spec(data["input"], "/input", "input", "from")
            input_schema = self.data_schema(data["input"], "/input", "input")
        output_as = output_schema = None
        if "output" in data:
            output_as = self.data_spec(data["output"], "/output", "output", "as")
            output_schema = self.data_schema(data["output"], "/output", "output")
        timeout = self.timeout(data["timeout"], "/timeout") if "timeout" in data else None
        sla = None
        baton_metadata = (document.get("metadata") or {}).get("baton")
        if isinstance(baton_metadata, dict) and "sla" in baton_metadata:
            sla = self.sla_spec(baton_metadata["sla"], "/document/metadata/baton/sla")
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
            secrets=tuple(secrets) if secrets is not None else None,
            input_schema=input_schema,
            output_schema=output_schema,
            sla=sla,
        )


def read_workflow(data: dict[str, Any], source: str = "<dict>") -> Workflow:
    """The document as Baton's tree, or a DefinitionError naming, by JSON
    pointer, every problem and every feature Baton does not run."""
    reader = _Reader(source)
    workflow = reader.workflow(data)
    if reader.issues or workflow is None:
        raise DefinitionError(source, reader.issues)
    return workflow
