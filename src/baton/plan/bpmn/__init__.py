"""Compile a BPMN 2.0 process (read by :mod:`baton.definitions.bpmn`) into a
:class:`~baton.plan.model.Plan`: each flow node a plan node with the node's
id, each sequence flow an edge (``after`` and a route). Process variables
are the run's ``context``: the start event takes the run's input as the
first variables, a jq script task's result is the new variables, a
condition is jq over them, and the run's output is the variables at the
end. Anything Baton does not run is refused before the run, each element by
type, id and line. docs/bpmn.md has the table of what runs and how.

- :mod:`.compiler` — scopes, flows, joins and routes;
- :mod:`.events`, :mod:`.boundaries`, :mod:`.event_flows` — events, boundary events, event sub-processes,
  event-based gateways;
- :mod:`.activities` — tasks, sub-processes, call activities, loops;
- :mod:`.bindings`, :mod:`.user_tasks` — service and send tasks bound to
  Baton actions, user tasks as approvals;
- :mod:`.timers`, :mod:`.conditions` — timers and expressions;
- :mod:`.diagram` — the model's diagram kept in the plan, for the dashboard.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...definitions.bpmn import Model, Process, read_bpmn
from ...definitions.dmn.files import DecisionFiles
from ...errors import DefinitionError, Issue
from ..model import Plan
from .bindings import TaskBindings, load_task_bindings
from .compiler import SUPPORTED, Compiler
from .diagram import keep_diagram
from .rules import looking_in

if TYPE_CHECKING:
    from ..frontends import CompileContext, ProcessCatalog

__all__ = ["BPMN", "SUPPORTED", "compile_bpmn"]


def compile_bpmn(
    model: Model,
    source: str = "<bytes>",
    process_id: str | None = None,
    catalog: ProcessCatalog | None = None,
    search_path: Iterable[Path] = (),
    tasks: TaskBindings | None = None,
    xml: str | None = None,
) -> Plan:
    """The plan of one process of ``model`` (``process_id``, else the
    model's only executable process, else its only process); ``catalog``:
    where call activities find processes of other files; ``tasks``: what
    its service, send and user tasks are bound to. Business-rule tasks find
    their DMN decisions in the ``.dmn`` files of the model's directory, then
    of ``search_path`` (``BATON_PROCESS_PATH``). ``xml``: the model's text,
    kept as the plan's diagram when the model has diagram information
    (:mod:`.diagram`)."""
    process = _choose(model, source, process_id)
    tasks = tasks or TaskBindings()
    compiler = Compiler(model, process, catalog=catalog, tasks=tasks)
    with looking_in(DecisionFiles.for_source(source, search_path)):
        plan = compiler.plan()
    if compiler.issues:
        raise DefinitionError(source, _unique(compiler.issues))
    plan.options.warnings += [f"{source}: {w.path}: {w.message}" for w in model.warnings]
    plan.options.warnings += tasks.unused_warnings(model)
    if xml is not None:
        keep_diagram(plan, model, xml, source)
    return plan


def _unique(issues: list[Issue]) -> list[Issue]:
    """Each refusal once (a process called or started from several places
    is compiled for each)."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for issue in issues:
        if (issue.path, issue.message) not in seen:
            seen.add((issue.path, issue.message))
            kept.append(issue)
    return kept


def _choose(model: Model, source: str, process_id: str | None) -> Process:
    ids = [p.id for p in model.processes]
    if process_id is not None:
        for process in model.processes:
            if process.id == process_id:
                return process
        raise DefinitionError(
            source, [Issue("", f"no process {process_id!r}; the model has {', '.join(ids)}")]
        )
    executable = [p for p in model.processes if p.executable]
    if len(executable) == 1:
        return executable[0]
    if len(model.processes) == 1:
        return model.processes[0]
    raise DefinitionError(
        source,
        [
            Issue(
                "",
                f"the model has {len(model.processes)} processes ({', '.join(ids)}) and "
                f"{len(executable)} marked executable; say which one (--process ID)",
            )
        ],
    )


class _BpmnFrontend:
    """A BPMN 2.0 model (``.bpmn``): the document is ``{"kind": "bpmn",
    "xml": <the model>}`` (what the loader gives for a ``.bpmn`` file)."""

    kind = "bpmn"

    def recognises(self, data: dict[str, Any]) -> bool:
        return isinstance(data.get("xml"), str) and "BPMN/20100524/MODEL" in data["xml"][:4096]

    def compile(self, data: dict[str, Any], ctx: CompileContext) -> Plan:
        xml = data.get("xml")
        if not isinstance(xml, str):
            raise DefinitionError(
                ctx.source, [Issue("xml", "a BPMN document needs 'xml': the model")]
            )
        model = read_bpmn(xml.encode(), ctx.source)
        process_id = (ctx.config or {}).get("process")
        tasks = load_task_bindings(ctx.baton_file, ctx.bpmn_sidecar, ctx.source)
        return compile_bpmn(
            model,
            ctx.source,
            process_id if isinstance(process_id, str) else None,
            catalog=ctx.processes,
            search_path=ctx.search_path,
            tasks=tasks,
            xml=xml,
        )


BPMN = _BpmnFrontend()
