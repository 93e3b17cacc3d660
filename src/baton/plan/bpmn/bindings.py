"""Service and send tasks bound to Baton actions, without editing the model.

A task takes the binding of, in this order: its id, its Zeebe task type
(``zeebe:taskDefinition type``), its Camunda 7 external-task topic
(``camunda:topic``), its name — looked up in the model's sidecar first,
then in ``baton.yaml`` (:mod:`baton.definitions.bpmn.bindings` reads both).
The bound action is a plan action like a saga step's, so the worker's
execution policy applies to it unchanged; it reads the process variables
as placeholders (``{context.amount}``), and its output — a JSON object — is
merged into the variables, or kept under the binding's ``result_variable``,
or mapped by the task's Zeebe output mappings (``=path`` sources only).
A task with no binding is refused before the run, naming what it would be
bound by and where bindings go.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...config import BatonFile
from ...definitions.bpmn import FlowNode, Model
from ...definitions.bpmn.bindings import (
    SECTION,
    Binding,
    BindingsFile,
    ProcessSettings,
    Sidecar,
    TaskBinding,
    parse_bindings,
    parse_sidecar,
    sidecar_path,
)
from ...definitions.bpmn.tree import Extension
from ..model import Expr, NodeKind, PlanStep, RetrySpec, SlaSpec
from ..saga import DEFAULT_STEP_TIMEOUT_SECONDS, agent_name, agent_problem
from .conditions import jq

if TYPE_CHECKING:
    from .base import CompilerBase

ZEEBE = "http://camunda.org/schema/zeebe/1.0"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
# a Zeebe output mapping's source Baton reads: a variable or a path in it
_PATH = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")

__all__ = [
    "CAMUNDA",
    "ZEEBE",
    "TaskBindings",
    "TaskKeys",
    "bind_service_task",
    "binds_send_task",
    "load_task_bindings",
    "task_keys",
    "variables_export",
    "zeebe_extension",
]


@dataclass
class TaskBindings:
    """What the compiler binds tasks with: the bindings files, looked at in
    order (the sidecar, then baton.yaml), the baton.yaml (approvers' groups,
    agents), and where bindings go, for messages (``baton.yaml or
    order.baton.yaml``)."""

    files: tuple[BindingsFile, ...] = ()
    baton_file: BatonFile = field(default_factory=BatonFile)
    places: str = "baton.yaml"
    sidecar: BindingsFile | None = None

    def find(self, keys: list[str]) -> Binding | None:
        """The binding of the first key a file has (files in order)."""
        for bindings in self.files:
            for key in keys:
                if key in bindings.bindings:
                    return bindings.bindings[key]
        return None

    def process(self, keys: list[str]) -> ProcessSettings | None:
        """The settings of the process with one of ``keys`` (its id, its
        name), the first file that has them (files in order)."""
        for bindings in self.files:
            for key in keys:
                if key in bindings.processes:
                    return bindings.processes[key]
        return None

    def unused_warnings(self, model: Model) -> list[str]:
        """A sidecar binding that names no task of its model is most likely a
        typo (baton.yaml's are shared by every model, so they are not checked)."""
        if self.sidecar is None:
            return []
        known: set[str] = set()
        for node in _every_node(model):
            known.update(task_keys(node).keys())
        return [
            f"{self.sidecar.path}: {SECTION}.bindings.{key} names no task of the model "
            "(no task has that id, task type, topic or name)"
            for key in self.sidecar.bindings
            if key not in known
        ]


def load_task_bindings(baton_file: BatonFile, sidecar: Sidecar | None, source: str) -> TaskBindings:
    """The bindings of a model compiled from ``source``: its sidecar's and
    baton.yaml's (a DefinitionError naming the file with a bad binding)."""
    config_name = baton_file.path.name if baton_file.path is not None else "baton.yaml"
    shared = parse_bindings(
        baton_file.bpmn or None, str(baton_file.path) if baton_file.path else "baton.yaml"
    )
    own = parse_sidecar(sidecar) if sidecar is not None else None
    beside = sidecar_path(source) if source not in ("<dict>", "<bytes>") else None
    places = config_name + (f" or {beside.name}" if beside is not None else "")
    files = (own, shared) if own is not None else (shared,)
    return TaskBindings(files=files, baton_file=baton_file, places=places, sidecar=own)


def _every_node(model: Model) -> list[FlowNode]:
    found: list[FlowNode] = list(model.global_tasks.values())
    pending = [node for process in model.processes for node in process.nodes.values()]
    while pending:
        node = pending.pop()
        found.append(node)
        pending += node.nodes.values()
    return found


# ---- what identifies a task ---------------------------------------------------


@dataclass(frozen=True)
class TaskKeys:
    """What a task may be bound by, in order of precedence."""

    id: str
    zeebe_type: str | None = None
    topic: str | None = None
    name: str | None = None
    # a Zeebe type written as an expression (it cannot key a binding)
    computed_type: str | None = None

    def keys(self) -> list[str]:
        given = [self.id, self.zeebe_type, self.topic, self.name]
        return list(dict.fromkeys(k for k in given if k))

    def missing(self, places: str) -> str:
        """Why a task has no binding, and where one goes."""
        if self.zeebe_type:
            what, key = f"Zeebe task type {self.zeebe_type!r}", self.zeebe_type
        elif self.topic:
            what, key = f"Camunda external-task topic {self.topic!r}", self.topic
        else:
            what, key = "it", self.id
        hint = f"add {SECTION}.bindings.{key} to {places}"
        if key == self.id and self.name:
            hint += f", or bind it by its name {self.name!r}"
        if self.computed_type:
            hint += f"; its Zeebe task type {self.computed_type!r} is an expression, so bind it by its id"
        return f"no binding for {what} ({hint})"


def task_keys(node: FlowNode) -> TaskKeys:
    definition = zeebe_extension(node.extension_elements, "taskDefinition")
    zeebe_type = (definition.attributes.get("type") or "").strip() if definition else ""
    computed = zeebe_type if zeebe_type.startswith("=") else None
    topic = (node.extensions.get(f"{{{CAMUNDA}}}topic") or "").strip()
    if node.extensions.get(f"{{{CAMUNDA}}}type", "external") != "external":
        topic = ""
    return TaskKeys(
        id=node.id,
        zeebe_type=zeebe_type if zeebe_type and computed is None else None,
        topic=topic or None,
        name=" ".join((node.name or "").split()) or None,
        computed_type=computed,
    )


def zeebe_extension(extensions: list[Extension], local: str) -> Extension | None:
    """The Zeebe extension element of this local name (``taskDefinition``, …)."""
    for extension in extensions:
        if extension.tag == f"{{{ZEEBE}}}{local}":
            return extension
    return None


def binds_send_task(compiler: CompilerBase, node: FlowNode) -> bool:
    """A send task runs a bound action when it has a Zeebe task type or a
    Camunda topic, or a binding names it; otherwise it sends its message."""
    keys = task_keys(node)
    return bool(
        keys.zeebe_type or keys.topic or keys.computed_type or compiler.tasks.find(keys.keys())
    )


# ---- the bound action ---------------------------------------------------------


def bind_service_task(compiler: CompilerBase, node: FlowNode, step: PlanStep) -> None:
    """The node runs its binding's action, with the binding's timeout and
    attempts; its output goes into the process variables."""
    keys = task_keys(node)
    binding = compiler.tasks.find(keys.keys())
    if binding is None:
        compiler.refuse(node, keys.missing(compiler.tasks.places))
        return
    service = binding.service
    if service is None:
        compiler.refuse(
            node,
            f"its binding {binding.where} is an approval; a {node.kind} is bound to an "
            "action (type: api_call, script, python or task) — approvals are for user tasks",
        )
        return
    attempts = service.attempts or _zeebe_retries(compiler, node)
    if attempts is None:
        return
    export = variables_export(compiler, node, ".", service.result_variable)
    if export is None:
        return
    if isinstance(service, TaskBinding):
        problem = agent_problem(service.agent_type, compiler.tasks.baton_file)
        if problem:
            compiler.refuse(node, f"{binding.where}: agent_type: {problem}")
            return
        step.agent_type = agent_name(service.agent_type)
    step.kind = NodeKind.ACTION
    step.action = binding.action()
    step.description = f"bound by {binding.where}"
    step.timeout_seconds = service.timeout_seconds or DEFAULT_STEP_TIMEOUT_SECONDS
    step.retry = RetrySpec(max_attempts=attempts)
    step.export = export
    if (sla := service.sla()) is not None:
        step.sla = SlaSpec(*sla)


def _zeebe_retries(compiler: CompilerBase, node: FlowNode) -> int | None:
    definition = zeebe_extension(node.extension_elements, "taskDefinition")
    retries = (definition.attributes.get("retries") or "").strip() if definition else ""
    if not retries:
        return 1
    if not retries.isdigit() or not 1 <= int(retries) <= 100:
        compiler.refuse(
            node,
            f"its zeebe:taskDefinition retries {retries!r} is not a number from 1 to 100 "
            "(set attempts in its binding instead)",
        )
        return None
    return int(retries)


def variables_export(
    compiler: CompilerBase, node: FlowNode, result: str, result_variable: str | None
) -> Expr | None:
    """The new process variables after a task whose result (a jq program
    over the node's output) is ``result``: merged in (it must be an object,
    or null), under ``result_variable`` (the binding's, which wins over the
    model's mappings), or as the task's Zeebe output mappings say."""
    if _refuses_input_mappings(compiler, node):
        return None
    # (jq without `as $name`: every $name in a plan expression is one of the run's)
    if result_variable is not None:
        return jq(f"$context + {{{json.dumps(result_variable)}: ({result})}}")
    mapping = zeebe_extension(node.extension_elements, "ioMapping")
    outputs = [c for c in mapping.children if c.local == "output"] if mapping else []
    if not outputs:
        problem = json.dumps(
            f"the result of {node.kind} {node.id!r} is not a JSON object, so it cannot be "
            "merged into the process variables; give its binding a result_variable"
        )
        return jq(
            f'({result}) | if type == "object" then $context + . '
            f"elif . == null then $context else error({problem}) end"
        )
    mapped = []
    for output in outputs:
        source = (output.attributes.get("source") or "").strip()
        target = (output.attributes.get("target") or "").strip()
        path = source.removeprefix("=").strip()
        if not source.startswith("=") or not _PATH.match(path) or not target.isidentifier():
            compiler.refuse(
                node,
                f"its zeebe:output source={source!r} target={target!r} is not supported yet "
                "(a source that is a variable or a path, such as =result.id, and a target "
                "that is a variable name are)",
            )
            return None
        mapped.append(f"{json.dumps(target)}: getpath({json.dumps(path.split('.'))})")
    # the sources read the variables with the result merged in; only the
    # targets change the process variables (Zeebe: output mappings replace the merge)
    merged = f'($context + (({result}) | if type == "object" then . else {{}} end))'
    return jq(f"$context + ({merged} | {{{', '.join(mapped)}}})")


def _refuses_input_mappings(compiler: CompilerBase, node: FlowNode) -> bool:
    mapping = zeebe_extension(node.extension_elements, "ioMapping")
    if mapping is not None and any(c.local == "input" for c in mapping.children):
        compiler.refuse(
            node,
            "zeebe:input mappings are not supported yet; a bound action reads the process "
            "variables itself ({context.name} in its fields)",
        )
        return True
    camunda = next(
        (e for e in node.extension_elements if e.tag == f"{{{CAMUNDA}}}inputOutput"), None
    )
    if camunda is not None:
        compiler.refuse(
            node,
            "camunda:inputOutput is not supported yet; a bound action reads the process "
            "variables itself ({context.name} in its fields) and its binding's "
            "result_variable keeps its result under a name",
        )
        return True
    return False
