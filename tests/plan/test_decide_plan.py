"""Decide nodes on the plan: what the plan checks refuse, and how each
front end compiles a decision — a BPMN business-rule task (Zeebe and
Camunda 7), a saga step, a process's ``call: baton/decision`` — with
refusals that name the element or field, the decision and where the DMN
files were looked for."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from baton.decisions import evaluate_decision
from baton.engine.decide import describe
from baton.errors import DefinitionError
from baton.plan import compile_file
from baton.plan.checks import plan_issues
from baton.plan.compile import compile_definition
from baton.plan.model import DecisionSpec, Expr, NodeKind, Plan
from tests.support.decisions import EXAMPLES, LOAN_DMN, loan_inputs, loan_model
from tests.support.plans import control, node, plan

ZEEBE = 'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'
CAMUNDA = 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'


def messages(the_plan: Plan) -> list[str]:
    return [f"{i.path}: {i.message}" for i in plan_issues(the_plan)]


def decide(spec: DecisionSpec | None, **fields: Any) -> Plan:
    return plan(control("d", NodeKind.DECIDE, decide=spec, **fields))


# ---- the plan checks --------------------------------------------------------


def test_a_complete_decide_node_passes():
    assert messages(decide(DecisionSpec(model=loan_model(), decision="Loan Approval"))) == []
    # by id, and without a decision: the one no other requires
    assert messages(decide(DecisionSpec(model=loan_model(), decision="risk_category"))) == []
    assert messages(decide(DecisionSpec(model=loan_model(), inputs=Expr("input")))) == []


@pytest.mark.parametrize(
    ("spec", "fields", "message"),
    [
        (None, {}, "steps[0].decide: a decide node needs decide (a DecisionSpec)"),
        (
            DecisionSpec(model={"format": "baton.dmn/0"}),
            {},
            "steps[0].decide.model: the model's format is 'baton.dmn/0'; this Baton reads "
            "'baton.dmn/1'",
        ),
        (
            DecisionSpec(model=loan_model(), decision="Approval"),
            {},
            "steps[0].decide.decision: the model has no decision 'Approval' (decisions: "
            "Risk Category, Loan Approval)",
        ),
        (
            DecisionSpec(model=loan_model(), inputs=Expr("input.")),
            {},
            "steps[0].decide.inputs: the expression 'input.' ",
        ),
        (
            DecisionSpec(model=loan_model(), inputs=Expr("input"), template={"a": 1}),
            {},
            "steps[0].decide.inputs: a decision takes inputs or template, not both",
        ),
        (
            DecisionSpec(model=loan_model(), result="first"),
            {},
            "steps[0].decide.result: 'first' is not one of value, resultList, singleResult",
        ),
        (
            DecisionSpec(model=loan_model()),
            {"compensation": {"type": "script", "script": "true"}},
            "steps[0].compensation: a decide node changes nothing, so it has nothing to undo",
        ),
    ],
)
def test_the_checks_name_what_is_wrong_with_a_decide_node(spec, fields, message):
    found = messages(decide(spec, **fields))
    assert any(m.startswith(message) for m in found), found


def test_a_model_that_is_not_a_compiled_model_is_refused():
    broken = {"format": "baton.dmn/1", "decisions": [{"id": "x"}]}
    found = messages(decide(DecisionSpec(model=broken, decision="x")))
    assert found and found[0].startswith("steps[0].decide.model: is not a compiled decision")


def test_the_audit_says_which_rules_matched():
    result = evaluate_decision(loan_model(), "Loan Approval", loan_inputs(20, 650, 5000))
    assert describe(result) == (
        "decision 'Loan Approval'; 'Risk Category' UNIQUE: rule 4 (risk_young, line 41: "
        "fair score, young applicant); 'Loan Approval' PRIORITY: rule 4 (decline_high, line 83)"
    )


# ---- BPMN business-rule tasks ----------------------------------------------


def bpmn(folder: Path, task: str, namespaces: str = ZEEBE, name: str = "m.bpmn") -> Path:
    path = folder / name
    path.write_text(
        f'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" {namespaces} id="d">\n'
        '<process id="p" isExecutable="true"><startEvent id="s"/>\n'
        '<sequenceFlow id="a" sourceRef="s" targetRef="t"/>\n'
        f"{task}\n"
        '<sequenceFlow id="b" sourceRef="t" targetRef="e"/><endEvent id="e"/>\n'
        "</process></definitions>"
    )
    return path


def zeebe(decision: str, variable: str = "result") -> str:
    return (
        '<businessRuleTask id="t"><extensionElements><zeebe:calledDecision '
        f'decisionId="{decision}" resultVariable="{variable}"/></extensionElements>'
        "</businessRuleTask>"
    )


def refusal(path: Path, **kwargs: Any) -> str:
    with pytest.raises(DefinitionError) as refused:
        compile_file(path, **kwargs)
    return str(refused.value)


def test_a_zeebe_business_rule_task_is_a_decide_node_over_the_variables(tmp_path):
    shutil.copy(LOAN_DMN, tmp_path)
    compiled = compile_file(bpmn(tmp_path, zeebe("loan_approval_decision", "approval")))
    assert isinstance(compiled, Plan)
    step = compiled.step("t")
    assert step.kind == NodeKind.DECIDE and step.decide is not None
    assert step.decide.decision == "loan_approval_decision"
    assert step.decide.model == loan_model() | {"source": str(tmp_path / "loan_approval.dmn")}
    assert step.decide.file == str(tmp_path / "loan_approval.dmn")
    assert step.decide.inputs == Expr("$context", "jq")
    assert (step.decide.result, step.export) == ("value", Expr('$context + {"approval": .}', "jq"))


def test_a_camunda_7_business_rule_task_maps_its_result(tmp_path):
    shutil.copy(LOAN_DMN, tmp_path)
    task = '<businessRuleTask id="t" camunda:decisionRef="risk_category" {}/>'
    plain = compile_file(bpmn(tmp_path, task.format('camunda:resultVariable="risk"'), CAMUNDA))
    assert isinstance(plain, Plan)
    decided = plain.step("t").decide
    assert decided is not None and decided.result == "resultList"  # Camunda's default
    single = compile_file(
        bpmn(tmp_path, task.format('camunda:mapDecisionResult="singleEntry"'), CAMUNDA)
    )
    assert isinstance(single, Plan)
    step = single.step("t")
    assert step.decide is not None and step.decide.result == "singleEntry"
    assert step.export is None  # no result variable: the result is not kept


def test_a_decision_in_no_file_is_refused_naming_the_task_the_decision_and_where(tmp_path):
    shutil.copy(LOAN_DMN, tmp_path)
    (tmp_path / "broken.dmn").write_text("<definitions")
    text = refusal(bpmn(tmp_path, zeebe("approval")))
    assert (
        f"line 4, businessRuleTask 't': its decision 'approval': no DMN file in {tmp_path} has "
        "the decision 'approval' (DMN files there: broken.dmn, loan_approval.dmn); could not "
        "read broken.dmn (line 1, column 13:" in text
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    text = refusal(bpmn(empty, zeebe("approval")))
    assert f"no DMN file in {empty} has the decision 'approval' (no .dmn file there)" in text


def test_only_camunda_7s_own_attributes_count_as_another_implementation(tmp_path):
    xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    text = refusal(bpmn(tmp_path, '<businessRuleTask id="t" xsi:type="tTask"/>', xsi))
    assert "names its DMN decision" in text and "it has" not in text
    text = refusal(bpmn(tmp_path, '<businessRuleTask id="t" camunda:type="external"/>', CAMUNDA))
    assert "(it has type: a job or class Baton does not run here)" in text


def test_decisions_are_also_found_on_the_search_path(tmp_path):
    rules, models = tmp_path / "rules", tmp_path / "models"
    rules.mkdir()
    models.mkdir()
    shutil.copy(LOAN_DMN, rules)
    path = bpmn(models, zeebe("Risk Category"))
    assert f"no DMN file in {models} has the decision" in refusal(path)
    (models / "sub").mkdir()
    shutil.copy(LOAN_DMN, models / "sub")  # subdirectories are not searched
    assert f"no DMN file in {models} has the decision" in refusal(path)
    compiled = compile_file(path, process_path=[rules])
    assert isinstance(compiled, Plan)
    assert compiled.step("t").decide is not None


def test_a_business_rule_task_in_a_called_process_looks_in_the_same_places(tmp_path):
    shutil.copy(LOAN_DMN, tmp_path)
    path = tmp_path / "calls.bpmn"
    path.write_text(
        f'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" {ZEEBE} id="d">'
        '<process id="main" isExecutable="true"><startEvent id="s"/>'
        '<sequenceFlow id="a" sourceRef="s" targetRef="call"/>'
        '<callActivity id="call" calledElement="rules"/>'
        '<sequenceFlow id="b" sourceRef="call" targetRef="e"/><endEvent id="e"/></process>'
        '<process id="rules"><startEvent id="s2"/>'
        '<sequenceFlow id="c" sourceRef="s2" targetRef="t"/>'
        f"{zeebe('risk_category')}"
        '<sequenceFlow id="f" sourceRef="t" targetRef="e2"/><endEvent id="e2"/></process>'
        "</definitions>"
    )
    compiled = compile_file(path)
    assert isinstance(compiled, Plan)
    child = compiled.step("call").subprocess
    assert child is not None and child.step("t").kind == NodeKind.DECIDE


@pytest.mark.parametrize(
    ("task", "namespaces", "message"),
    [
        (
            '<businessRuleTask id="t"/>',
            ZEEBE,
            "line 4, businessRuleTask 't': a businessRuleTask names its DMN decision: "
            "zeebe:calledDecision decisionId or camunda:decisionRef",
        ),
        (
            '<businessRuleTask id="t" camunda:class="com.example.Rules"/>',
            CAMUNDA,
            "camunda:decisionRef (it has class: a job or class Baton does not run here)",
        ),
        (
            zeebe("=tier"),
            ZEEBE,
            "its decision id '=tier' must be written out (an expression is not supported",
        ),
        (
            '<businessRuleTask id="t" camunda:decisionRef="x" camunda:mapDecisionResult="list"/>',
            CAMUNDA,
            "camunda:mapDecisionResult 'list' is not one of resultList, singleResult",
        ),
        (
            '<businessRuleTask id="t" camunda:decisionRef="x" camunda:decisionRefBinding="version"'
            ' camunda:decisionRefVersion="3"/>',
            CAMUNDA,
            "camunda:decisionRefBinding 'version' is not supported",
        ),
    ],
)
def test_business_rule_tasks_baton_cannot_run_are_refused(tmp_path, task, namespaces, message):
    shutil.copy(LOAN_DMN, tmp_path)
    assert message in refusal(bpmn(tmp_path, task, namespaces))


# ---- saga steps ---------------------------------------------------------------


def saga_file(folder: Path, *steps: dict[str, Any], context: Any = None) -> Path:
    path = folder / "saga.yaml"
    document = {"saga_id": "s", "context": context or {}, "steps": list(steps)}
    path.write_text(yaml.safe_dump(document))
    return path


def decision_step(**action: Any) -> dict[str, Any]:
    return {"step_id": "assess", "forward_action": {"type": "decision", **action}}


def test_a_saga_decision_step_is_a_decide_node_with_its_inputs_template(tmp_path):
    shutil.copy(LOAN_DMN, tmp_path)
    inputs = {"Applicant Age": "{age}", "Credit Score": 700, "Loan Amount": "{amount}"}
    path = saga_file(
        tmp_path,
        decision_step(file="loan_approval.dmn", decision="Loan Approval", inputs=inputs),
        {"step_id": "next", "forward_action": {"type": "script", "script": "echo {assess.Status}"}},
    )
    compiled = compile_file(path)
    assert isinstance(compiled, Plan)
    step = compiled.step("assess")
    assert (step.kind, step.action, step.retry.max_attempts) == (NodeKind.DECIDE, {}, 1)
    assert step.decide is not None and step.decide.template == inputs
    assert step.decide.inputs is None and step.output is None
    assert compiled.step("next").after == ["assess"]


def test_a_saga_decision_without_inputs_reads_the_context_and_may_name_its_result(tmp_path):
    shutil.copy(LOAN_DMN, tmp_path)
    path = saga_file(
        tmp_path, decision_step(file="loan_approval.dmn", result_key="approval", result="value")
    )
    compiled = compile_file(path)
    assert isinstance(compiled, Plan)
    step = compiled.step("assess")
    assert step.decide is not None and step.decide.inputs == Expr("context")
    assert step.output == Expr('{"approval": output}')


def test_saga_decision_problems_name_the_step_and_field(tmp_path):
    shutil.copy(LOAN_DMN, tmp_path)
    missing = refusal(saga_file(tmp_path, decision_step(file="rules.dmn")))
    assert missing == f"{tmp_path / 'saga.yaml'}: steps[0].forward_action.file: no file " + (
        f"'rules.dmn' in {tmp_path}"
    )
    unknown = refusal(saga_file(tmp_path, decision_step(file="loan_approval.dmn", decision="X")))
    assert unknown.endswith(
        "steps[0].forward_action.decision: the model has no decision 'X' (decisions: Risk "
        f"Category, Loan Approval) ({tmp_path / 'loan_approval.dmn'})"
    )
    (tmp_path / "bad.dmn").write_text("<definitions/>")
    bad = refusal(saga_file(tmp_path, decision_step(file="bad.dmn")))
    assert "steps[0].forward_action.file: bad.dmn is not a DMN model Baton reads: line 1" in bad


def test_a_saga_given_as_a_dict_finds_its_file_in_the_current_directory(tmp_path, monkeypatch):
    shutil.copy(LOAN_DMN, tmp_path)
    saga = {"saga_id": "s", "steps": [decision_step(file="loan_approval.dmn")]}
    monkeypatch.chdir(tmp_path)
    compiled = compile_definition(saga)
    assert compiled.steps[0].decide is not None


def test_a_saga_finds_its_dmn_file_on_the_search_path(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(LOAN_DMN, rules)
    path = saga_file(tmp_path, decision_step(file="loan_approval.dmn"))
    assert isinstance(compile_file(path, process_path=[rules]), Plan)


def test_the_saga_example_compiles():
    compiled = compile_file(EXAMPLES / "loan_saga.yaml")
    assert isinstance(compiled, Plan)
    assert [s.kind for s in compiled.steps] == [NodeKind.DECIDE, NodeKind.ACTION]


# ---- process calls ------------------------------------------------------------


def process_file(folder: Path, arguments: dict[str, Any]) -> Path:
    path = folder / "p.json"
    document = {
        "document": {"dsl": "1.0.0", "namespace": "t", "name": "p", "version": "1.0.0"},
        "do": [{"assess": {"call": "baton/decision", "with": arguments}}],
    }
    path.write_text(json.dumps(document))
    return path


def test_call_baton_decision_is_a_decide_node_with_a_jq_input(tmp_path):
    shutil.copy(LOAN_DMN, tmp_path)
    compiled = compile_file(
        process_file(tmp_path, {"file": "loan_approval.dmn", "input": {"Credit Score": "${ .s }"}})
    )
    assert isinstance(compiled, Plan)
    step = compiled.step("/do/0/assess")
    assert step.kind == NodeKind.DECIDE and step.decide is not None
    assert step.decide.inputs == Expr('{"Credit Score": (.s)}', "jq")
    bare = compile_file(
        process_file(tmp_path, {"file": "loan_approval.dmn", "result": "singleResult"})
    )
    assert isinstance(bare, Plan)
    assert bare.steps[0].decide is not None and bare.steps[0].decide.inputs is None
    assert bare.steps[0].decide.result == "singleResult"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"file": "nope.dmn"}, "/do/0/assess/with/file: no file 'nope.dmn' in "),
        (
            {"file": "loan_approval.dmn", "decision": "X"},
            "/do/0/assess/with/decision: the model has no decision 'X'",
        ),
        (
            {"file": "loan_approval.dmn", "input": "${ .a. }"},
            "/do/0/assess/with/input: the expression '.a.' ",
        ),
        (
            {"file": "loan_approval.dmn", "input": "${ {k: $secrets.token} }"},
            "/do/0/assess/with/input: $secrets may be used only in",
        ),
        ({"file": "loan_approval.dmn", "result": "all"}, "/do/0/assess/with/result: 'all' is not"),
        ({"decision": "X"}, "/do/0/assess/with/file: call: baton/decision needs 'file'"),
    ],
)
def test_call_baton_decision_problems_name_the_field(tmp_path, arguments, message):
    shutil.copy(LOAN_DMN, tmp_path)
    assert message in refusal(process_file(tmp_path, arguments))


def test_every_example_of_decisions_compiles_and_passes_the_plan_checks():
    for name in ("loan_application.bpmn", "loan_saga.yaml", "loan_process.yaml"):
        compiled = compile_file(EXAMPLES / name)
        assert isinstance(compiled, Plan)
        assert plan_issues(compiled) == []
        assert [s.kind for s in compiled.steps].count(NodeKind.DECIDE) == 1


def test_a_hand_built_plan_with_an_action_and_a_decision_passes():
    built = plan(
        control("d", NodeKind.DECIDE, decide=DecisionSpec(model=loan_model())),
        node("n", {"type": "script", "script": "echo {d.Status}"}, after=["d"]),
    )
    assert messages(built) == []
