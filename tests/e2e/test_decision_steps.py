"""DMN decisions as steps, on a real Temporal server, as docs/dmn.md shows
them ("Decisions in definitions"): a BPMN business-rule task whose result
an exclusive gateway routes by (Zeebe's and Camunda 7's forms), a saga
whose later step uses the decision's output, a process with ``call:
baton/decision``, and a decision that fails (two rules of a UNIQUE table
match) failing its node with error type ``decision``, which a catch
handles — in a plan, and in a process's try/catch."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.cli import baton_cli
from tests.support.decisions import (
    EXAMPLES,
    LOAN_DMN,
    OVERLAPPING_DMN,
    decisions_plan,
    loan_inputs,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


def statuses(result: dict[str, Any]) -> dict[str, str]:
    return {s["step_id"]: s["status"] for s in result["steps"]}


def evaluated(result: dict[str, Any]) -> list[str]:
    return [a["detail"] for a in result["audit"] if a["event"] == "decision_evaluated"]


async def run_cli(
    baton: Any, path: Path, given: dict[str, Any] | None = None, *, exit_code: int = 0
) -> dict[str, Any]:
    args = ["run", str(path), "--json"]
    if given is not None:
        args += ["--input", json.dumps(given)]
    code, out, err = await baton_cli(baton.settings, *args)
    assert code == exit_code, err
    result: dict[str, Any] = json.loads(out)
    return result


async def test_a_business_rule_task_decides_and_the_gateway_routes_by_its_result(baton):
    model = EXAMPLES / "loan_application.bpmn"
    result = await run_cli(baton, model, loan_inputs(35, 710, 25000))
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {
        **loan_inputs(35, 710, 25000),
        "approval": {"Status": "approved", "Limit": 50000},
        "offer": 50000,
    }
    assert statuses(result)["refer"] == "SKIPPED"
    assert evaluated(result) == [
        "decision 'Loan Approval'; "
        "'Risk Category' UNIQUE: rule 1 (risk_low, line 23: good score); "
        "'Loan Approval' PRIORITY: rule 1 (approve_low, line 65)"
    ]
    referred = await run_cli(baton, model, loan_inputs(30, 650, 20000))
    assert referred["output"]["approval"] == {"Status": "referred", "Limit": None}
    assert referred["output"]["referred"] == "referred"
    assert statuses(referred)["offer"] == "SKIPPED"


async def test_camunda_7s_decision_ref_maps_the_result(baton, tmp_path):
    shutil.copy(LOAN_DMN, tmp_path)
    model = tmp_path / "camunda.bpmn"
    model.write_text(
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d">'
        '<process id="p" isExecutable="true"><startEvent id="s"/>'
        '<sequenceFlow id="a" sourceRef="s" targetRef="risk"/>'
        '<businessRuleTask id="risk" camunda:decisionRef="risk_category" '
        'camunda:resultVariable="risk" camunda:mapDecisionResult="singleEntry"/>'
        '<sequenceFlow id="b" sourceRef="risk" targetRef="all"/>'
        '<businessRuleTask id="all" camunda:decisionRef="loan_approval_decision" '
        'camunda:resultVariable="results"/>'
        '<sequenceFlow id="c" sourceRef="all" targetRef="e"/><endEvent id="e"/>'
        "</process></definitions>"
    )
    result = await run_cli(baton, model, loan_inputs(35, 650, 5000))
    assert result["status"] == "COMPLETED", result
    assert result["output"]["risk"] == "medium"
    # Camunda's default mapping: the list of rule results
    assert result["output"]["results"] == [{"Status": "approved", "Limit": 10000}]


async def test_a_saga_step_uses_the_output_of_the_decision_before_it(baton):
    result = await run_cli(baton, EXAMPLES / "loan_saga.yaml")
    assert result["status"] == "COMPLETED", result
    outputs = {s["step_id"]: s["output"] for s in result["steps"]}
    assert outputs["assess"] == {"Status": "approved", "Limit": 50000}
    assert outputs["record"] == {"recorded": "approved", "limit": 50000}
    # without inputs, the context is the inputs; result_key names the result
    saga = yaml.safe_load((EXAMPLES / "loan_saga.yaml").read_text())
    saga["context"] = loan_inputs(30, 650, 20000)
    del saga["steps"][0]["forward_action"]["inputs"]
    saga["steps"][0]["forward_action"]["result_key"] = "approval"
    saga["steps"][1]["forward_action"]["script"] = "printf '\"%s\"' {assess.approval.Status}"
    run = await baton.client.start(saga, source=str(EXAMPLES / "loan_saga.yaml"))
    result = await asyncio.wait_for(run.result(), 60)
    outputs = {s["step_id"]: s["output"] for s in result["steps"]}
    assert outputs == {
        "assess": {"approval": {"Status": "referred", "Limit": None}},
        "record": "referred",
    }


async def test_a_failing_decision_fails_its_saga_step_and_the_saga_compensates(baton, tmp_path):
    (tmp_path / "fees.dmn").write_text(OVERLAPPING_DMN)
    saga = {
        "saga_id": "fees",
        "context": {"amount": 500},
        "steps": [
            {"step_id": "book", "forward_action": {"type": "script", "script": "echo '{}'"}},
            {"step_id": "fee", "forward_action": {"type": "decision", "file": "fees.dmn"}},
        ],
    }
    path = tmp_path / "fees.yaml"
    path.write_text(yaml.safe_dump(saga))
    result = await run_cli(baton, path, exit_code=1)
    assert result["status"] == "COMPENSATED", result
    assert statuses(result) == {"book": "COMPLETED", "fee": "FAILED"}
    assert "rules 1, 2 all match; the UNIQUE hit policy allows one" in result["failure"]
    assert result["error"]["type"] == "decision"


async def test_a_process_calls_a_decision_and_switches_on_its_result(baton):
    path = EXAMPLES / "loan_process.yaml"
    approved = await run_cli(baton, path, {"age": 35, "score": 710, "amount": 25000})
    assert approved["status"] == "COMPLETED", approved
    assert approved["output"] == {"offer": 50000}
    referred = await run_cli(baton, path, {"age": 30, "score": 650, "amount": 20000})
    assert referred["output"] == {"referred": "referred"}
    assert evaluated(referred)[0].startswith("decision 'Loan Approval'; 'Risk Category' UNIQUE")


async def test_a_failing_decision_fails_its_node_and_a_catch_handles_it(baton):
    run = await baton.client.start_plan(decisions_plan(), input=loan_inputs(35, 710, 25000))
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert statuses(result) == {
        "assess": "COMPLETED",
        "offer": "COMPLETED",
        "refer": "SKIPPED",
        "fee": "FAILED",
        "no_fee": "COMPLETED",
    }
    assert {s["step_id"]: s["output"] for s in result["steps"]}["offer"] == {"offer": 50000}
    why = "decision 'Fee' (line 4): rules 1, 2 all match; the UNIQUE hit policy allows one"
    assert result["output"] == {"fee": 0, "why": why}
    caught = [a for a in result["audit"] if a["event"] == "error_caught"]
    assert [(a["step_id"], a["detail"]) for a in caught] == [("fee", "decision")]


async def test_a_process_catches_a_failing_decision(baton, tmp_path):
    (tmp_path / "fees.dmn").write_text(OVERLAPPING_DMN)
    process = {
        "document": {"dsl": "1.0.0", "namespace": "test", "name": "fees", "version": "1.0.0"},
        "do": [
            {
                "charge": {
                    "try": [{"fee": {"call": "baton/decision", "with": {"file": "fees.dmn"}}}],
                    "catch": {
                        "errors": {
                            "with": {
                                "type": "https://serverlessworkflow.io/spec/1.0.0/errors/runtime"
                            }
                        },
                        "as": "failure",
                        "do": [{"none": {"set": {"fee": 0, "why": "${ $failure.title }"}}}],
                    },
                }
            }
        ],
    }
    path = tmp_path / "fees.yaml"
    path.write_text(yaml.safe_dump(process))
    small = await run_cli(baton, path, {"amount": 50})
    assert small["output"] == 1
    large = await run_cli(baton, path, {"amount": 500})
    assert large["status"] == "COMPLETED", large
    assert large["output"]["fee"] == 0
    assert "rules 1, 2 all match; the UNIQUE hit policy allows one" in large["output"]["why"]
