"""Bound service and send tasks and user tasks on a real Temporal server:
the bound actions run with their attempts and their output reaches the
process variables; a user task's decision — approved or rejected — is
variables a gateway routes on; an approval that expires fails the task, and
an error boundary event catches it (on the time-skipping server)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from baton.config import BatonFile
from baton.plan.frontends import CompileContext, compile_document
from baton.plan.model import Plan
from baton.testing import until

pytestmark = pytest.mark.asyncio(loop_scope="session")
NAMESPACES = (
    'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'
)
GROUPS = {"managers": ["dana", "eve"]}


def model(body: str) -> dict[str, str]:
    xml = (
        f'<definitions {NAMESPACES} id="d"><process id="p" isExecutable="true">'
        f"{body}</process></definitions>"
    )
    return {"kind": "bpmn", "xml": xml}


BOUND = model(
    '<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="register"/>'
    '<serviceTask id="register"><extensionElements>'
    '<zeebe:taskDefinition type="register-customer" retries="2"/>'
    '<zeebe:ioMapping><zeebe:output source="=account_id" target="account"/></zeebe:ioMapping>'
    "</extensionElements></serviceTask>"
    '<sequenceFlow id="f2" sourceRef="register" targetRef="notify"/>'
    '<sendTask id="notify" camunda:type="external" camunda:topic="notify-customer"/>'
    '<sequenceFlow id="f3" sourceRef="notify" targetRef="e"/><endEvent id="e"/>'
)

DECIDED = model(
    '<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="approve"/>'
    '<userTask id="approve" name="Approve order" camunda:candidateGroups="managers"/>'
    '<sequenceFlow id="f2" sourceRef="approve" targetRef="g"/>'
    '<exclusiveGateway id="g" default="no"/>'
    '<sequenceFlow id="yes" sourceRef="g" targetRef="ship">'
    "<conditionExpression>.approved</conditionExpression></sequenceFlow>"
    '<sequenceFlow id="no" sourceRef="g" targetRef="decline"/>'
    '<scriptTask id="ship" scriptFormat="jq"><script>.route = "shipped"</script></scriptTask>'
    '<scriptTask id="decline" scriptFormat="jq"><script>.route = "declined"</script></scriptTask>'
    '<sequenceFlow id="f3" sourceRef="ship" targetRef="e1"/><endEvent id="e1"/>'
    '<sequenceFlow id="f4" sourceRef="decline" targetRef="e2"/><endEvent id="e2"/>'
)


async def test_bound_tasks_run_with_their_attempts_and_their_output_in_the_variables(
    worker_factory, services
):
    u = services.url
    baton_file = BatonFile(
        bpmn={
            "bindings": {
                "register-customer": {
                    "type": "api_call",
                    "url": f"{u}/accounts",
                    "method": "POST",
                    "payload": {"customer": "{context.customer}"},
                },
                "notify-customer": {
                    "type": "api_call",
                    "url": f"{u}/hooks/welcome",
                    "method": "POST",
                    # {context.x} is the variable x; a bare {x} resolves as in sagas
                    "payload": {"account": "{context.account}", "customer": "{customer}"},
                    "result_variable": "notice",
                },
            }
        }
    )
    services.state.failures["/accounts"] = 1  # the first attempt fails; Zeebe's retries="2"
    async with worker_factory(baton_file) as env:
        run = await env.client.start(BOUND, input={"customer": "ada"})
        result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    # the output mapping set `account` (and only it); the send task's output is `notice`
    assert result["output"] == {"customer": "ada", "account": "a-1", "notice": {"received": True}}
    assert services.state.count("POST", "/accounts") == 2
    hook = next(c for c in services.state.calls if c.path == "/hooks/welcome")
    assert hook.body == {"account": "a-1", "customer": "ada"}
    # a node's status shows its action's own output
    register = next(s for s in result["steps"] if s["step_id"] == "register")
    assert register["output"] == {"account_id": "a-1"}


@pytest.mark.parametrize(("decision", "route"), [("approve", "shipped"), ("reject", "declined")])
async def test_a_user_tasks_decision_is_variables_a_gateway_routes_on(
    worker_factory, decision, route
):
    described = {"approve": {"description": "Order of {context.amount}: approve?"}}
    async with worker_factory(BatonFile(groups=GROUPS, bpmn={"bindings": described})) as env:
        run = await env.client.start(DECIDED, input={"amount": 120})
        approval_id = f"{run.workflow_id}.approve"
        refused = await until(lambda: env.client.submit_decision(approval_id, "bob", decision))
        assert not refused["accepted"] and "may decide: dana, eve" in refused["reason"]

        async def decided() -> bool:
            outcome = await env.client.submit_decision(approval_id, "eve", decision, "checked")
            return bool(outcome["accepted"])

        await until(decided, timeout=10)
        result = await asyncio.wait_for(run.result(), 60)
        approval = await env.client.status(approval_id)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {
        "amount": 120,
        "approved": decision == "approve",
        "approver": "eve",
        "feedback": "checked",
        "route": route,
    }
    # the approver saw the process variables and where the task is
    assert approval["description"] == "Order of 120: approve?"
    assert approval["context"]["variables"] == {"amount": 120}
    assert approval["context"]["bpmn"] == {
        "process": "p",
        "task": "approve",
        "name": "Approve order",
    }


EXPIRING = model(
    '<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="approve"/>'
    '<userTask id="approve" camunda:assignee="dana"/>'
    '<boundaryEvent id="failed" attachedToRef="approve"><errorEventDefinition/></boundaryEvent>'
    '<sequenceFlow id="f2" sourceRef="approve" targetRef="g"/>'
    '<exclusiveGateway id="g" default="no"/>'
    '<sequenceFlow id="yes" sourceRef="g" targetRef="e1">'
    "<conditionExpression>.approved</conditionExpression></sequenceFlow>"
    '<sequenceFlow id="no" sourceRef="g" targetRef="e2"/><endEvent id="e1"/><endEvent id="e2"/>'
    '<sequenceFlow id="f3" sourceRef="failed" targetRef="late"/>'
    '<scriptTask id="late" scriptFormat="jq"><script>.expired = true</script></scriptTask>'
    '<sequenceFlow id="f4" sourceRef="late" targetRef="e3"/><endEvent id="e3"/>'
)


@pytest.mark.parametrize(
    ("on_timeout", "variables"),
    [
        ("fail", {"expired": True}),  # the task failed: its error boundary event took it
        ("reject", {"approved": False, "approver": None, "feedback": None}),
        ("approve", {"approved": True, "approver": None, "feedback": None}),
    ],
)
async def test_an_approval_that_expires_fails_the_task_unless_its_timeout_decides(
    skipping, on_timeout: str, variables: dict[str, Any]
):
    rules = {"approve": {"timeout_seconds": 86400, "on_timeout": on_timeout}}
    ctx = CompileContext(source="order.bpmn", baton_file=BatonFile(bpmn={"bindings": rules}))
    plan = compile_document(EXPIRING, ctx)
    assert isinstance(plan, Plan)
    run = await skipping.start_compiled(plan, input={"n": 1})
    result = await skipping.result(run.workflow_id)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {"n": 1, **variables}


FORM = model(
    '<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="review"/>'
    '<userTask id="review" name="Review order" camunda:assignee="dana"><extensionElements>'
    "<camunda:formData>"
    '<camunda:formField id="discount" label="Discount %" type="long"/>'
    '<camunda:formField id="carrier" label="Carrier" type="enum">'
    '<camunda:value id="ups" name="UPS"/><camunda:value id="dhl" name="DHL"/>'
    "</camunda:formField>"
    "</camunda:formData></extensionElements></userTask>"
    '<sequenceFlow id="f2" sourceRef="review" targetRef="e"/><endEvent id="e"/>'
)


async def test_a_user_tasks_form_values_become_process_variables_checked_against_the_form(
    worker_factory,
):
    async with worker_factory() as env:
        run = await env.client.start(FORM, input={"amount": 80})
        approval_id = f"{run.workflow_id}.review"

        async def refused(data: dict[str, Any]) -> str:
            outcome = await until(
                lambda: env.client.submit_decision(approval_id, "dana", "approve", data=data)
            )
            assert not outcome["accepted"]
            return str(outcome["reason"])

        unknown = await refused({"discount": 5, "approved": False})
        wrong_type = await refused({"discount": "five"})
        not_a_choice = await refused({"carrier": "fedex"})
        outcome = await env.client.submit_decision(
            approval_id, "dana", "approve", "ok", data={"discount": 5, "carrier": "dhl"}
        )
        result = await asyncio.wait_for(run.result(), 60)
        approval = await env.client.status(approval_id)
    assert "the form has no field 'approved'; its fields: carrier, discount" in unknown
    assert "field 'discount' (Discount %): expected a whole number" in wrong_type
    assert "'fedex' is not one of 'ups', 'dhl'" in not_a_choice
    assert outcome["accepted"], outcome
    assert result["output"] == {
        "amount": 80,
        "discount": 5,
        "carrier": "dhl",
        "approved": True,
        "approver": "dana",
        "feedback": "ok",
    }
    assert approval["stages"][0]["votes"][0]["data"] == {"discount": 5, "carrier": "dhl"}
