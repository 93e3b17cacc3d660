"""User tasks as Baton approvals.

A ``userTask`` is an approval gate (the approval workflow of
docs/approvals.md, as a saga's approval step builds it). Its approvers come
from the model — Camunda 7's ``camunda:assignee``, ``camunda:candidateUsers``
and ``camunda:candidateGroups``, Zeebe's ``zeebe:assignmentDefinition``, and
BPMN's ``potentialOwner``/``humanPerformer`` formal expressions — a group
being ``group:<name>`` of baton.yaml's ``groups:``; a binding of the task's
id or name overrides them and sets the rest (quorum, timeout, escalation,
stages, notify). Who may decide is written out, never computed from the
run's data: an approver given as an expression is refused.

The task's form (Camunda's ``camunda:formKey`` and ``camunda:formData``
fields, Zeebe's ``zeebe:formDefinition``) and the process variables go into
the approval's ``context`` for whoever decides. The decision becomes
process variables: ``approved`` (true or false), ``approver`` and
``feedback`` (of the vote that decided), and the form's fields that vote
filled in (``data``, checked against the form) — a rejection completes the task
with ``approved: false``, so a gateway after it routes on the decision; an
approval that expires (``on_timeout: fail``) fails the task.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ...definitions.actions import ApprovalAction
from ...definitions.approval import StageRules
from ...definitions.bpmn import FlowNode, Process
from ...definitions.bpmn.bindings import SECTION, UserTaskBinding
from ...definitions.bpmn.tree import Extension
from ...errors import Issue
from ...expressions import ExpressionError, evaluate
from ..approval import GROUP_PREFIX
from ..model import NodeKind, PlanStep, SlaSpec
from ..saga import approval_gate
from .bindings import CAMUNDA, variables_export, zeebe_extension
from .conditions import jq

if TYPE_CHECKING:
    from .base import CompilerBase

__all__ = ["DECISION", "compile_user_task", "form_of"]

# the decision, from the gate's output ({approval_id, status, reason, votes}):
# whether it was approved, and who decided how (the last vote the way it
# went). No `as $name` here: every $name in a plan expression is the run's.
_WAY = (
    '{approved: (.status == "APPROVED"), '
    'way: (if .status == "APPROVED" then "approve" else "reject" end), '
    "record: {approval_id: .approval_id, status: .status, reason: .reason, "
    "votes: (.votes // [])}}"
    " | {approved: .approved, record: .record, "
    "vote: ([.record.votes[] + {way: .way} | select(.decision == .way)] | last)}"
)
# the form's values that vote gave (plan.forms: only fields the form
# declares) are variables too, under the decision's own three
_VOTE = (
    "(.vote.data // {}) + {approved: .approved, approver: .vote.approver, feedback: .vote.feedback}"
)
DECISION = f"{_WAY} | {_VOTE}"
# the same, with the approval's record (for a result_variable)
DECISION_RECORD = f"{_WAY} | {_VOTE} + .record"
# an approval waits this long at most when a stage has no timeout
APPROVAL_TIMEOUT_SECONDS = 30 * 86400.0
_ROLE = re.compile(r"^(user|group)\((.+)\)$")


def compile_user_task(compiler: CompilerBase, node: FlowNode, step: PlanStep) -> None:
    """The node becomes an approval gate whose decision is process variables."""
    name = " ".join((node.name or "").split()) or None
    binding = compiler.tasks.find([k for k in (node.id, name) if k])
    if binding is not None and binding.user_task is None:
        compiler.refuse(
            node,
            f"its binding {binding.where} is an action; a userTask is an approval: bind it "
            "with approvers, quorum, timeout_seconds, escalation, … (and no type)",
        )
        return
    settings = UserTaskBinding()
    if binding is not None and binding.user_task is not None:
        settings = binding.user_task
    approvers: list[str] | None = settings.approvers
    if approvers is None and settings.stages is None:
        approvers = _model_approvers(compiler, node)
        if approvers is None:
            return  # refused
        if not approvers:
            compiler.refuse(
                node,
                "no approvers: give it camunda:assignee, camunda:candidateUsers or "
                "camunda:candidateGroups (Zeebe: zeebe:assignmentDefinition) or a "
                f"potentialOwner, or add {SECTION}.bindings.{node.id} with approvers to "
                f"{compiler.tasks.places}",
            )
            return
    title = settings.stage or _literal(name or node.id)
    fields: dict[str, Any] = {
        "type": "approval",
        "stage": title,
        "description": settings.description or title,
        "notify": settings.notify,
        "callback_url": settings.callback_url,
        **{rule: getattr(settings, rule) for rule in StageRules.model_fields},
    }
    if settings.stages is not None:
        fields["stages"] = settings.stages
    else:
        fields["approvers"] = approvers
    try:
        action = ApprovalAction.model_validate(fields)
    except ValidationError as exc:  # what the binding's own model let through
        compiler.refuse(node, f"its approval is not valid: {exc.errors()[0]['msg']}")
        return
    issues: list[Issue] = []
    prefix = f"{SECTION}.bindings.{binding.key}." if binding is not None else ""
    gate = approval_gate(
        action,
        title=title,
        description=None,
        baton_file=compiler.tasks.baton_file,
        prefix=prefix,
        issues=issues,
    )
    for issue in issues:
        where = f" in {binding.file}" if binding is not None and prefix else ""
        compiler.refuse(node, f"{issue.path}{where}: {issue.message}")
    result = DECISION_RECORD if settings.result_variable else DECISION
    export = variables_export(compiler, node, result, settings.result_variable)
    if issues or export is None:
        return
    gate["rejection"] = "output"  # a rejection is the task's outcome, not its failure
    context = {
        **settings.context,
        "bpmn": {"process": compiler.process.id, "task": node.id, "name": node.name},
    }
    form = form_of(node, compiler.process)
    if form:
        context["form"] = form
    step.kind = NodeKind.ACTION
    step.action = gate
    step.description = f"approval: {binding.where}" if binding is not None else "approval"
    # the approval's context: the form, and the process variables as the task starts
    step.action_from = jq(f'{{"context": ({json.dumps(context)} + {{"variables": $context}})}}')
    step.export = export
    if (sla := settings.sla()) is not None:
        step.sla = SlaSpec(*sla)  # how soon it should be decided
    waits = [stage.get("timeout_seconds") for stage in gate["spec"]["stages"]]
    step.timeout_seconds = (
        sum(w for w in waits if w) + 3600 if all(waits) else APPROVAL_TIMEOUT_SECONDS
    )


def _literal(text: str) -> str:
    """Text from the model, kept as written (braces are not placeholders)."""
    return text.replace("{", "{{").replace("}", "}}")


# ---- approvers written in the model -------------------------------------------


def _model_approvers(compiler: CompilerBase, node: FlowNode) -> list[str] | None:
    """The approvers the model names (users, and ``group:<name>``), or None
    when one of them is refused."""
    groups = compiler.tasks.baton_file.groups
    config = compiler.tasks.places.split(" or ")[0]
    found: list[str] = []
    refused = False

    def add(where: str, text: str, kind: str) -> None:
        nonlocal refused
        names, problem = _names(text)
        if problem:
            compiler.refuse(
                node,
                f"its {where} {text!r} {problem}; approvers are written out, never computed "
                f"from the run's data (or set them in {SECTION}.bindings.{node.id}.approvers "
                f"in {compiler.tasks.places})",
            )
            refused = True
            return
        for name in names:
            role = _ROLE.match(name)
            if role:
                is_group, name = role.group(1) == "group", role.group(2).strip()
            else:
                # a plain name in a potentialOwner: a group of baton.yaml, else a user
                is_group = kind == "group" or (kind == "either" and name in groups)
            if not is_group:
                found.append(name)
            elif name in groups:
                found.append(GROUP_PREFIX + name)
            else:
                defined = ", ".join(sorted(groups)) or "none"
                compiler.refuse(
                    node,
                    f"its {where} names the group {name!r}, which {config} does not define "
                    f"under groups: (defined: {defined})",
                )
                refused = True

    for attribute, kind in (
        ("assignee", "user"),
        ("candidateUsers", "user"),
        ("candidateGroups", "group"),
    ):
        text = node.extensions.get(f"{{{CAMUNDA}}}{attribute}")
        if text and text.strip():
            add(f"camunda:{attribute}", text, kind)
    assignment = zeebe_extension(node.extension_elements, "assignmentDefinition")
    for attribute, kind in (
        ("assignee", "user"),
        ("candidateUsers", "user"),
        ("candidateGroups", "group"),
    ):
        text = assignment.attributes.get(attribute) if assignment else None
        if text and text.strip():
            add(f"zeebe:assignmentDefinition {attribute}", text, kind)
    for role, expression in node.resources:
        if expression is None:
            compiler.refuse(
                node,
                f"its {role} has no formal expression Baton reads (user(name), group(name) "
                "or a name); set its approvers in a binding instead",
            )
            refused = True
        else:
            add(role, expression, "either" if role == "potentialOwner" else "user")
    return None if refused else list(dict.fromkeys(found))


def _names(text: str) -> tuple[list[str], str | None]:
    """The names a value lists ("a, b", a FEEL list of strings "=[...]"), or
    what is wrong with it."""
    text = text.strip()
    if text.startswith(("${", "#{")):
        return [], "is an expression"
    if text.startswith("="):
        try:
            value = evaluate(text[1:], {}, "feel")
        except ExpressionError:
            return [], "is an expression over the run's data"
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return [], "is not a name or a list of names"
        return [v.strip() for v in value if v.strip()], None
    names: list[str] = []
    depth, current = 0, ""
    for char in text:  # commas inside user(...) / group(...) do not split
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            names.append(current.strip())
            current = ""
        else:
            current += char
    names.append(current.strip())
    return [n for n in names if n], None


# ---- the form -----------------------------------------------------------------


def form_of(node: FlowNode, process: Process) -> dict[str, Any]:
    """The task's form, as the model says: its key or id (Camunda's
    ``formKey``/``formRef``, Zeebe's ``formKey``/``formId``/
    ``externalReference``), Camunda's generated form's fields, and a Zeebe
    form embedded in the process (``camunda-forms:bpmn:<id>``) as ``schema``."""
    form: dict[str, Any] = {}
    for attribute, key in (("formKey", "key"), ("formRef", "ref")):
        value = node.extensions.get(f"{{{CAMUNDA}}}{attribute}")
        if value:
            form[key] = value
    definition = zeebe_extension(node.extension_elements, "formDefinition")
    if definition is not None:
        for attribute, key in (
            ("formKey", "key"),
            ("formId", "id"),
            ("externalReference", "external_reference"),
        ):
            if definition.attributes.get(attribute):
                form[key] = definition.attributes[attribute]
    data = next((e for e in node.extension_elements if e.tag == f"{{{CAMUNDA}}}formData"), None)
    if data is not None:
        form["fields"] = [_field(f) for f in data.children if f.local == "formField"]
    embedded = str(form.get("key", ""))
    if embedded.startswith("camunda-forms:bpmn:"):
        wanted = embedded.removeprefix("camunda-forms:bpmn:")
        for extension in process.extension_elements:
            if extension.local == "userTaskForm" and extension.attributes.get("id") == wanted:
                try:
                    form["schema"] = json.loads(extension.text or "")
                except ValueError:
                    form["schema"] = extension.text
    return form


def _field(field: Extension) -> dict[str, Any]:
    made: dict[str, Any] = {}
    for attribute, key in (
        ("id", "id"),
        ("label", "label"),
        ("type", "type"),
        ("defaultValue", "default"),
    ):
        if field.attributes.get(attribute) is not None:
            made[key] = field.attributes[attribute]
    values = [
        {"id": v.attributes.get("id"), "name": v.attributes.get("name")}
        for v in field.children
        if v.local == "value"
    ]
    if values:
        made["values"] = values
    return made
