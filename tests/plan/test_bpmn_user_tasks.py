"""User tasks become approval gates: approvers from Camunda 7, Zeebe and
BPMN's own resource roles (groups from baton.yaml), overridden by a binding;
the form kept in the approval's context; the decision as process variables;
and every refusal naming the element. A Zeebe-style model compiles whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from baton.config import BatonFile
from baton.errors import DefinitionError
from baton.expressions import evaluate
from baton.plan.frontends import CompileContext, compile_document
from baton.plan.model import NodeKind, Plan, PlanStep

NAMESPACES = (
    'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'
)
GROUPS = {"managers": ["dana", "eve"], "finance": ["fay"]}


def model(task: str) -> dict[str, str]:
    xml = (
        f'<definitions {NAMESPACES} id="d"><process id="p" isExecutable="true">\n'
        '<startEvent id="s"/><sequenceFlow id="a" sourceRef="s" targetRef="t"/>\n'
        f"{task}\n"
        '<sequenceFlow id="b" sourceRef="t" targetRef="e"/><endEvent id="e"/>'
        "</process></definitions>"
    )
    return {"kind": "bpmn", "xml": xml}


def compile_with(document: dict[str, str], bindings: dict[str, Any] | None = None) -> Plan:
    baton_file = BatonFile(
        path=Path("baton.yaml"), groups=GROUPS, bpmn={"bindings": bindings or {}}
    )
    plan = compile_document(document, CompileContext(source="order.bpmn", baton_file=baton_file))
    assert isinstance(plan, Plan)
    return plan


def gate(document: dict[str, str], bindings: dict[str, Any] | None = None) -> PlanStep:
    step = compile_with(document, bindings).step("t")
    assert step.kind == NodeKind.ACTION and step.action["type"] == "approval"
    return step


def stage(step: PlanStep) -> dict[str, Any]:
    stages: list[dict[str, Any]] = step.action["spec"]["stages"]
    assert len(stages) == 1
    return stages[0]


def refusal(document: dict[str, str], bindings: dict[str, Any] | None = None) -> str:
    with pytest.raises(DefinitionError) as refused:
        compile_with(document, bindings)
    return str(refused.value)


def approval_context(step: PlanStep, variables: dict[str, Any]) -> Any:
    assert step.action_from is not None
    made = evaluate(step.action_from.source, {"context": variables}, "jq")
    return made["context"]


def decided(step: PlanStep, output: dict[str, Any], variables: dict[str, Any]) -> Any:
    assert step.export is not None
    return evaluate(step.export.source, {"context": variables, "output": output}, "jq")


def vote(approver: str, decision: str, feedback: str | None = None) -> dict[str, Any]:
    return {"approver": approver, "decision": decision, "feedback": feedback, "at": "2024-01-01"}


# ---- approvers ------------------------------------------------------------------


def test_camunda_assignee_and_candidates_are_the_approvers_groups_expanded():
    step = gate(
        model(
            '<userTask id="t" name="Approve order" camunda:assignee="bob" '
            'camunda:candidateUsers="carl, dana" camunda:candidateGroups="managers,finance"/>'
        )
    )
    assert stage(step)["approvers"] == ["bob", "carl", "dana", "eve", "fay"]
    assert stage(step)["quorum_label"] == "any"
    spec = step.action["spec"]
    assert (spec["stage"], spec["description"]) == ("Approve order", "Approve order")
    # a rejection is the task's outcome, not its failure
    assert step.action["rejection"] == "output"


def test_zeebe_assignment_definition_gives_the_approvers_even_as_a_feel_list():
    step = gate(
        model(
            '<userTask id="t"><extensionElements><zeebe:assignmentDefinition assignee="bob" '
            'candidateGroups="=[&quot;managers&quot;]" candidateUsers="carl"/>'
            "</extensionElements></userTask>"
        )
    )
    assert stage(step)["approvers"] == ["bob", "carl", "dana", "eve"]


def test_potential_owners_and_human_performers_in_plain_names():
    step = gate(
        model(
            '<userTask id="t"><potentialOwner><resourceAssignmentExpression>'
            "<formalExpression>user(bob), group(finance), managers, zoe</formalExpression>"
            "</resourceAssignmentExpression></potentialOwner>"
            "<humanPerformer><resourceAssignmentExpression><formalExpression>carl"
            "</formalExpression></resourceAssignmentExpression></humanPerformer>"
            "<performer><resourceAssignmentExpression><formalExpression>finance"
            "</formalExpression></resourceAssignmentExpression></performer></userTask>"
        )
    )
    # a plain name in a potentialOwner is a group of baton.yaml when there is one, else a
    # user; in a humanPerformer or performer, a user
    assert stage(step)["approvers"] == ["bob", "fay", "dana", "eve", "zoe", "carl", "finance"]


def test_approvers_computed_from_the_run_or_naming_unknown_groups_are_refused():
    text = refusal(model('<userTask id="t" camunda:assignee="${initiator}"/>'))
    assert (
        "order.bpmn: line 3, userTask 't': its camunda:assignee '${initiator}' is an expression; "
        "approvers are written out, never computed from the run's data"
    ) in text
    zeebe = model(
        '<userTask id="t"><extensionElements><zeebe:assignmentDefinition assignee="=owner"/>'
        "</extensionElements></userTask>"
    )
    assert "its zeebe:assignmentDefinition assignee '=owner' is an expression over" in refusal(
        zeebe
    )
    assert (
        "line 3, userTask 't': its camunda:candidateGroups names the group 'sales', which "
        "baton.yaml does not define under groups: (defined: finance, managers)"
    ) in refusal(model('<userTask id="t" camunda:candidateGroups="sales"/>'))
    owner = model('<userTask id="t"><potentialOwner resourceRef="r"/></userTask>')
    assert "its potentialOwner has no formal expression Baton reads" in refusal(owner)


def test_a_user_task_with_no_approvers_anywhere_is_refused_naming_it():
    assert (
        "order.bpmn: line 3, userTask 't': no approvers: give it camunda:assignee, "
        "camunda:candidateUsers or camunda:candidateGroups (Zeebe: zeebe:assignmentDefinition) "
        "or a potentialOwner, or add bpmn.bindings.t with approvers to baton.yaml or "
        "order.baton.yaml"
    ) in refusal(model('<userTask id="t" name="Review"/>'))


# ---- bindings ---------------------------------------------------------------------


def test_a_binding_by_id_or_name_overrides_the_approvers_and_sets_the_rules():
    task = model('<userTask id="t" name="Approve order" camunda:candidateGroups="finance"/>')
    rules = {
        "approvers": ["group:managers", "zed"],
        "quorum": 2,
        "timeout_seconds": 3600,
        "on_timeout": "fail",
        "escalation": {"after_seconds": 600, "add_approvers": ["fay"]},
        "description": "Order {context.order_id} over {context.amount}",
        "notify": ["json://hooks.example.com/approvals"],
    }
    for key in ("t", "Approve order"):
        step = gate(task, {key: rules})
        got = stage(step)
        assert got["approvers"] == ["dana", "eve", "zed"]
        assert (got["quorum"], got["timeout_seconds"], got["on_timeout"]) == (2, 3600, "fail")
        assert got["escalation"]["add_approvers"] == ["fay"]
        # placeholders in a binding's description are the process variables
        assert step.action["spec"]["description"] == rules["description"]
        assert step.action["spec"]["notify"] == rules["notify"]
    stages = [
        {"name": "tech", "approvers": ["carl"]},
        {"name": "business", "approvers": ["group:managers"], "quorum": "all"},
    ]
    step = gate(task, {"t": {"stages": stages}})
    assert [s["approvers"] for s in step.action["spec"]["stages"]] == [["carl"], ["dana", "eve"]]


def test_a_binding_that_does_not_fit_a_user_task_is_refused_naming_it():
    task = model('<userTask id="t" camunda:assignee="bob"/>')
    text = refusal(task, {"t": {"type": "api_call", "url": "https://x.example.com/"}})
    assert (
        "line 3, userTask 't': its binding bpmn.bindings.t in baton.yaml is an action; a "
        "userTask is an approval"
    ) in text
    text = refusal(task, {"t": {"approvers": ["bob"], "quorum": 3}})
    assert (
        "line 3, userTask 't': bpmn.bindings.t.quorum in baton.yaml: quorum 3 is larger than "
        "the 1 approvers listed"
    ) in text
    text = refusal(task, {"t": {"approvers": ["group:ops"]}})
    assert "bpmn.bindings.t.approvers[0] in baton.yaml: unknown group 'ops'" in text


# ---- the form and the decision ----------------------------------------------------


def test_the_form_and_the_variables_go_into_the_approvals_context():
    step = gate(
        model(
            '<userTask id="t" name="Approve {order}" camunda:assignee="bob" '
            'camunda:formKey="embedded:app:forms/approve.html"><extensionElements>'
            '<camunda:formData><camunda:formField id="approved" label="Approve?" type="boolean" '
            'defaultValue="false"/><camunda:formField id="reason" label="Reason" type="enum">'
            '<camunda:value id="price" name="Too expensive"/></camunda:formField>'
            "</camunda:formData></extensionElements></userTask>"
        ),
        {"t": {"context": {"team": "sales"}}},
    )
    assert approval_context(step, {"amount": 5}) == {
        "team": "sales",
        "bpmn": {"process": "p", "task": "t", "name": "Approve {order}"},
        "form": {
            "key": "embedded:app:forms/approve.html",
            "fields": [
                {"id": "approved", "label": "Approve?", "type": "boolean", "default": "false"},
                {
                    "id": "reason",
                    "label": "Reason",
                    "type": "enum",
                    "values": [{"id": "price", "name": "Too expensive"}],
                },
            ],
        },
        "variables": {"amount": 5},
    }
    # the model's text is not a placeholder: the stage is named as written
    assert step.action["spec"]["stage"] == "Approve {{order}}"


def test_the_decision_becomes_variables_a_rejection_included():
    step = gate(model('<userTask id="t" camunda:assignee="bob"/>'))
    approved = {
        "approval_id": "run.t",
        "status": "APPROVED",
        "reason": "every stage approved",
        "votes": [vote("bob", "approve", "fine")],
    }
    assert decided(step, approved, {"amount": 5}) == {
        "amount": 5,
        "approved": True,
        "approver": "bob",
        "feedback": "fine",
    }
    rejected = {
        **approved,
        "status": "REJECTED",
        "votes": [vote("carl", "approve"), vote("bob", "reject", "no")],
    }
    assert decided(step, rejected, {"approved": True}) == {
        "approved": False,
        "approver": "bob",
        "feedback": "no",
    }
    timed_out = {**approved, "status": "REJECTED", "votes": []}  # on_timeout: reject
    assert decided(step, timed_out, {}) == {"approved": False, "approver": None, "feedback": None}
    kept = gate(
        model('<userTask id="t" camunda:assignee="bob"/>'), {"t": {"result_variable": "review"}}
    )
    assert decided(kept, approved, {"amount": 5}) == {
        "amount": 5,
        "review": {"approved": True, "approver": "bob", "feedback": "fine", **approved},
    }


# ---- a Zeebe-style model ------------------------------------------------------------

ZEEBE_MODEL = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions {NAMESPACES.replace('xmlns="', 'xmlns:bpmn="')} id="Definitions_1"
    targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.20.0">
  <bpmn:process id="order_approval" name="Order approval" isExecutable="true">
    <bpmn:extensionElements>
      <zeebe:userTaskForm id="UserTaskForm_1">{{"components": [{{"key": "approved", "type": "checkbox"}}]}}</zeebe:userTaskForm>
    </bpmn:extensionElements>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="register" name="Register customer">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="register-customer" retries="3" />
        <zeebe:ioMapping><zeebe:output source="=account_id" target="account" /></zeebe:ioMapping>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:userTask id="approve" name="Approve order">
      <bpmn:extensionElements>
        <zeebe:assignmentDefinition candidateGroups="managers" />
        <zeebe:formDefinition formKey="camunda-forms:bpmn:UserTaskForm_1" />
      </bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sendTask id="notify" name="Notify customer">
      <bpmn:extensionElements><zeebe:taskDefinition type="notify-customer" /></bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:sendTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="register" />
    <bpmn:sequenceFlow id="f2" sourceRef="register" targetRef="approve" />
    <bpmn:sequenceFlow id="f3" sourceRef="approve" targetRef="notify" />
    <bpmn:sequenceFlow id="f4" sourceRef="notify" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_zeebe_style_model_compiles_with_its_task_types_and_assignment():
    bindings = {
        "register-customer": {"type": "api_call", "url": "https://crm.example.com/accounts"},
        "notify-customer": {
            "type": "api_call",
            "url": "https://mail.example.com/",
            "method": "POST",
        },
    }
    plan = compile_with({"kind": "bpmn", "xml": ZEEBE_MODEL}, bindings)
    register, approve, notify = (plan.step(i) for i in ("register", "approve", "notify"))
    assert register.action["url"] == "https://crm.example.com/accounts"
    assert register.retry.max_attempts == 3
    assert evaluate(
        register.export.source if register.export else "",
        {"context": {"amount": 5}, "output": {"account_id": "a-1"}},
        "jq",
    ) == {"amount": 5, "account": "a-1"}
    assert stage(approve)["approvers"] == ["dana", "eve"]
    assert approval_context(approve, {})["form"] == {
        "key": "camunda-forms:bpmn:UserTaskForm_1",
        "schema": {"components": [{"key": "approved", "type": "checkbox"}]},
    }
    assert notify.kind == NodeKind.ACTION and notify.action["method"] == "POST"


def test_form_ids_and_references_are_kept_as_the_model_writes_them():
    zeebe = gate(
        model(
            '<userTask id="t" camunda:assignee="bob"><extensionElements>'
            '<zeebe:formDefinition formId="approve-order" />'
            "</extensionElements></userTask>"
        )
    )
    assert approval_context(zeebe, {})["form"] == {"id": "approve-order"}
    external = gate(
        model(
            '<userTask id="t" camunda:assignee="bob"><extensionElements>'
            '<zeebe:formDefinition externalReference="https://forms.example.com/approve" />'
            "</extensionElements></userTask>"
        )
    )
    assert approval_context(external, {})["form"] == {
        "external_reference": "https://forms.example.com/approve"
    }
    camunda = gate(model('<userTask id="t" camunda:assignee="bob" camunda:formRef="approve"/>'))
    assert approval_context(camunda, {})["form"] == {"ref": "approve"}


def test_zeebe_output_mappings_read_the_decision():
    step = gate(
        model(
            '<userTask id="t" camunda:assignee="bob"><extensionElements><zeebe:ioMapping>'
            '<zeebe:output source="=approved" target="orderApproved"/>'
            "</zeebe:ioMapping></extensionElements></userTask>"
        )
    )
    output = {"approval_id": "r.t", "status": "REJECTED", "reason": "", "votes": []}
    assert decided(step, output, {"n": 1}) == {"n": 1, "orderApproved": False}
