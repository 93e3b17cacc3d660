"""A BPMN model as users run it: the example in docs/bpmn.md from the CLI
(process variables in, variables out), a terminate end event that ends the
run, an exclusive gateway with no flow to take failing the run, and a model
outside the subset refused (tests/plan/test_bpmn_plan.py)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from baton.testing import until
from tests.e2e.test_event_waits import waiting
from tests.support.cli import baton_cli

pytestmark = pytest.mark.asyncio(loop_scope="session")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "bpmn" / "order_routing.bpmn"


def model(body: str) -> dict[str, str]:
    xml = (
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
        f'<process id="p" isExecutable="true">{body}</process></definitions>'
    )
    return {"kind": "bpmn", "xml": xml}


async def test_the_documented_example_routes_by_its_variables(baton):
    for amount, route in ((150, "review"), (50, "automatic")):
        code, out, err = await baton_cli(
            baton.settings, "run", str(EXAMPLE), "--input", json.dumps({"amount": amount}), "--json"
        )
        assert code == 0, err
        result = json.loads(out)
        assert result["status"] == "COMPLETED", result
        assert result["output"] == {"amount": amount, "total": int(amount * 1.2), "route": route}
        assert result["kind"] == "bpmn"


async def test_a_run_of_a_model_with_a_diagram_keeps_it_in_its_history(baton):
    """The dashboard draws a BPMN run from its history: the plan in the
    run's input carries the model's XML (PlanOptions.diagram)."""
    xml = EXAMPLE.read_text()
    run = await baton.client.start({"kind": "bpmn", "xml": xml}, input={"amount": 150})
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    history = await baton.client.temporal.get_workflow_handle(run.workflow_id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    plan = json.loads(started.input.payloads[0].data)["plan"]
    assert plan["options"]["diagram"] == xml
    assert plan["options"]["diagram_ids"] == {}
    assert {s["step_id"] for s in result["steps"]} <= {s["id"] for s in plan["steps"]}


async def test_a_terminate_end_ends_the_run_and_a_gateway_without_a_way_fails_it(baton):
    terminate = model(
        '<startEvent id="s"/><sequenceFlow id="a" sourceRef="s" targetRef="split"/>'
        '<parallelGateway id="split"/>'
        '<sequenceFlow id="b" sourceRef="split" targetRef="stop"/>'
        '<sequenceFlow id="c" sourceRef="split" targetRef="later"/>'
        '<endEvent id="stop"><terminateEventDefinition/></endEvent>'
        '<scriptTask id="later" scriptFormat="jq"><script>.late = true</script></scriptTask>'
        '<sequenceFlow id="f" sourceRef="later" targetRef="done"/><endEvent id="done"/>'
    )
    run = await baton.client.start(terminate, input={"n": 1})
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert {s["step_id"]: s["status"] for s in result["steps"]}["stop"] == "COMPLETED"
    stuck = model(
        '<startEvent id="s"/><sequenceFlow id="a" sourceRef="s" targetRef="g"/>'
        '<exclusiveGateway id="g"/>'
        '<sequenceFlow id="b" sourceRef="g" targetRef="e1"><conditionExpression>.x == 1'
        "</conditionExpression></sequenceFlow>"
        '<sequenceFlow id="c" sourceRef="g" targetRef="e2"><conditionExpression>.x == 2'
        "</conditionExpression></sequenceFlow>"
        '<endEvent id="e1"/><endEvent id="e2"/>'
    )
    run = await baton.client.start(stuck, input={"x": 3})
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "FAILED"
    assert "no route holds and there is no default route" in result["failure"]


async def test_a_model_that_breaks_only_advisory_rules_runs_and_validate_warns(baton, tmp_path):
    # the start event's <outgoing> names a flow that is not its own (EXT.023):
    # the model says it twice and wrongly; what runs is the sequence flows
    listed = model(
        '<startEvent id="s"><outgoing>nothing</outgoing></startEvent>'
        '<sequenceFlow id="a" sourceRef="s" targetRef="e"/><endEvent id="e"/>'
    )
    path = tmp_path / "listed.bpmn"
    path.write_text(listed["xml"])
    code, out, err = await baton_cli(baton.settings, "validate", str(path))
    assert code == 0, err
    assert "EXT.023" in out + err and "warning" in (out + err).lower()
    run = await baton.client.start(listed, input={})
    assert any("EXT.023" in w for w in run.warnings)
    assert (await asyncio.wait_for(run.result(), 60))["status"] == "COMPLETED"


@pytest.mark.parametrize(
    ("big", "small"),
    [
        ("= amount &gt; 100", "= amount &lt;= 100"),  # Zeebe: FEEL after '='
        ("${amount &gt; 100}", "${amount le 100}"),  # Camunda 7: JUEL
        (".amount &gt; 100", ".amount &lt;= 100"),  # jq
    ],
    ids=["feel", "juel", "jq"],
)
async def test_conditions_in_feel_juel_and_jq_route_on_the_variables(baton, big, small):
    routed = model(
        '<startEvent id="s"/><sequenceFlow id="a" sourceRef="s" targetRef="g"/>'
        '<exclusiveGateway id="g"/>'
        f'<sequenceFlow id="b" sourceRef="g" targetRef="review"><conditionExpression>{big}'
        "</conditionExpression></sequenceFlow>"
        f'<sequenceFlow id="c" sourceRef="g" targetRef="auto"><conditionExpression>{small}'
        "</conditionExpression></sequenceFlow>"
        '<scriptTask id="review" scriptFormat="jq"><script>.route = "review"</script></scriptTask>'
        '<scriptTask id="auto" scriptFormat="jq"><script>.route = "auto"</script></scriptTask>'
        '<sequenceFlow id="r" sourceRef="review" targetRef="e1"/><endEvent id="e1"/>'
        '<sequenceFlow id="f" sourceRef="auto" targetRef="e2"/><endEvent id="e2"/>'
    )
    for amount, route in ((150, "review"), (20, "auto")):
        run = await baton.client.start(routed, input={"amount": amount})
        result = await asyncio.wait_for(run.result(), 60)
        assert result["status"] == "COMPLETED", result
        assert result["output"]["route"] == route


ZEEBE = 'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'


async def test_a_receive_task_takes_the_message_whose_subject_is_its_correlation_key(baton):
    xml = (
        f'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" {ZEEBE} id="d">'
        '<message id="m" name="payment-received"><extensionElements>'
        '<zeebe:subscription correlationKey="=orderId"/></extensionElements></message>'
        '<process id="p" isExecutable="true">'
        '<startEvent id="s"/><sequenceFlow id="a" sourceRef="s" targetRef="pay"/>'
        '<receiveTask id="pay" messageRef="m"/><sequenceFlow id="b" sourceRef="pay" targetRef="e"/>'
        '<endEvent id="e"/></process></definitions>'
    )
    run = await baton.client.start({"kind": "bpmn", "xml": xml}, input={"orderId": "A-17"})
    await waiting(baton.client, run.workflow_id, "payment-received")
    other = await baton.client.send_event(
        "payment-received", {"paid": 1}, workflow_id=run.workflow_id, subject="B-2"
    )
    assert other.runs == {run.workflow_id: []}  # kept: not this order's
    mine = await baton.client.send_event(
        "payment-received", {"paid": 42}, workflow_id=run.workflow_id, subject="A-17"
    )
    assert mine.runs == {run.workflow_id: ["pay"]}
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {"orderId": "A-17", "paid": 42}


async def test_the_events_tour_runs_its_boundary_events_gateway_signal_and_compensation(baton):
    from tests.histories.record import TOUR_OUTPUT

    tour = EXAMPLE.parent / "events_tour.bpmn"
    run = await baton.client.start({"kind": "bpmn", "xml": tour.read_text()}, input={})
    await waiting(baton.client, run.workflow_id, "payment-received")
    await baton.client.send_event("payment-received", {"paid": 5}, workflow_id=run.workflow_id)
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == TOUR_OUTPUT
    statuses = {s["step_id"]: s["status"] for s in result["steps"]}
    assert statuses["payment_timeout"] == "SKIPPED" and statuses["paid"] == "COMPLETED"
    assert [c["step_id"] for c in result["compensations"]] == ["reserve"]
    thrown = [a["detail"] for a in result["audit"] if a["event"] == "thrown"]
    assert thrown[0] == "escalation 'late'"
    assert thrown[1].startswith("signal 'tour-done'")
    assert thrown[2] == "compensation of its scope: 1 to undo"


CAMUNDA = 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'


@pytest.mark.parametrize(
    "loop",
    [
        "<multiInstanceLoopCharacteristics><extensionElements><zeebe:loopCharacteristics "
        'inputCollection="=items" inputElement="item" outputCollection="doubled" '
        'outputElement="=item * 2"/></extensionElements></multiInstanceLoopCharacteristics>',
        '<multiInstanceLoopCharacteristics isSequential="true" camunda:collection="${items}" '
        'camunda:elementVariable="item"/>',
        '<ioSpecification><dataInput id="items_in" name="items"/><inputSet><dataInputRefs>'
        "items_in</dataInputRefs></inputSet><outputSet/></ioSpecification>"
        '<multiInstanceLoopCharacteristics isSequential="true"><loopDataInputRef>items_in'
        '</loopDataInputRef><inputDataItem id="it" name="item"/></multiInstanceLoopCharacteristics>',
    ],
    ids=["zeebe", "camunda", "bpmn"],
)
async def test_a_multi_instance_activity_runs_once_per_item_of_a_collection(baton, loop):
    xml = (
        f'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" {ZEEBE} {CAMUNDA} '
        'id="d"><process id="p" isExecutable="true">'
        '<startEvent id="s"/><sequenceFlow id="a" sourceRef="s" targetRef="each"/>'
        '<scriptTask id="each" scriptFormat="jq"><script>.seen += [$item]</script>'
        f"{loop}</scriptTask>"
        '<sequenceFlow id="b" sourceRef="each" targetRef="e"/><endEvent id="e"/>'
        "</process></definitions>"
    )
    run = await baton.client.start({"kind": "bpmn", "xml": xml}, input={"items": [1, 2, 3]})
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert sorted(result["output"]["seen"]) == [1, 2, 3]
    if "outputCollection" in loop:
        assert result["output"]["doubled"] == [2, 4, 6]


def definitions(body: str) -> str:
    return (
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
        f"{body}</definitions>"
    )


async def test_a_call_activity_runs_a_process_of_another_file_beside_the_model(baton, tmp_path):
    (tmp_path / "parent.bpmn").write_text(
        definitions(
            '<process id="parent" isExecutable="true"><startEvent id="s"/>'
            '<sequenceFlow id="a" sourceRef="s" targetRef="check"/>'
            '<callActivity id="check" calledElement="credit-check"/>'
            '<sequenceFlow id="b" sourceRef="check" targetRef="e"/><endEvent id="e"/></process>'
        )
    )
    (tmp_path / "credit.bpmn").write_text(
        definitions(
            '<process id="credit-check" isExecutable="true"><startEvent id="s"/>'
            '<sequenceFlow id="a" sourceRef="s" targetRef="score"/>'
            '<scriptTask id="score" scriptFormat="jq"><script>.score = .amount * 2</script>'
            '</scriptTask><sequenceFlow id="b" sourceRef="score" targetRef="e"/><endEvent id="e"/>'
            "</process>"
        )
    )
    code, out, err = await baton_cli(
        baton.settings, "run", str(tmp_path / "parent.bpmn"), "--input", '{"amount": 21}', "--json"
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["output"] == {"amount": 21, "score": 42}, result
    (tmp_path / "credit.bpmn").unlink()
    code, out, err = await baton_cli(baton.settings, "validate", str(tmp_path / "parent.bpmn"))
    assert code != 0
    assert "its calledElement 'credit-check' is no process or global task of this model" in (
        out + err
    )


async def test_a_signal_reaches_every_run_waiting_for_it(baton):
    waiter = {
        "kind": "bpmn",
        "xml": definitions(
            '<signal id="go" name="go-live"/><process id="w" isExecutable="true">'
            '<startEvent id="s"/><sequenceFlow id="a" sourceRef="s" targetRef="wait"/>'
            '<intermediateCatchEvent id="wait"><signalEventDefinition signalRef="go"/>'
            '</intermediateCatchEvent><sequenceFlow id="b" sourceRef="wait" targetRef="e"/>'
            '<endEvent id="e"/></process>'
        ),
    }
    thrower = {
        "kind": "bpmn",
        "xml": definitions(
            '<signal id="go" name="go-live"/><process id="t" isExecutable="true">'
            '<startEvent id="s"/><sequenceFlow id="a" sourceRef="s" targetRef="throw"/>'
            '<intermediateThrowEvent id="throw"><signalEventDefinition signalRef="go"/>'
            '</intermediateThrowEvent><sequenceFlow id="b" sourceRef="throw" targetRef="e"/>'
            '<endEvent id="e"/></process>'
        ),
    }
    waiting_runs = [await baton.client.start(waiter, input={"n": n}) for n in range(3)]
    for run in waiting_runs:
        await waiting(baton.client, run.workflow_id, "go-live")

    async def visible() -> bool:
        found = await baton.client.events.waiting_runs("go-live")
        return all(run.workflow_id in found for run in waiting_runs)

    await until(visible, timeout=30)
    throwing = await baton.client.start(thrower, input={})
    assert (await asyncio.wait_for(throwing.result(), 60))["status"] == "COMPLETED"
    for run in waiting_runs:
        assert (await asyncio.wait_for(run.result(), 60))["status"] == "COMPLETED"


async def test_a_model_file_starts_from_python_like_any_definition(baton):
    run = await baton.client.start_file(EXAMPLE, input={"amount": 150})
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED" and result["output"]["route"] == "review", result


async def test_a_signal_throw_needs_emit_where_the_policy_lists_actions(worker_factory):
    from baton.config import BatonFile
    from baton.errors import DefinitionError
    from baton.policy import parse_policy

    policy = parse_policy({"entry_points": {"api": {"actions": ["api_call"]}}}, "baton.yaml")
    thrower = {
        "kind": "bpmn",
        "xml": definitions(
            '<signal id="go" name="go-live"/><process id="t" isExecutable="true">'
            '<startEvent id="s"/><sequenceFlow id="a" sourceRef="s" targetRef="throw"/>'
            '<intermediateThrowEvent id="throw"><signalEventDefinition signalRef="go"/>'
            '</intermediateThrowEvent><sequenceFlow id="b" sourceRef="throw" targetRef="e"/>'
            '<endEvent id="e"/></process>'
        ),
    }
    async with worker_factory(BatonFile(policy=policy)) as env:
        with pytest.raises(DefinitionError) as refused:
            await env.client.start(thrower, input={})
    assert "(throw).throw" in str(refused.value) and "emit" in str(refused.value)


def process(body: str) -> dict[str, str]:
    return {
        "kind": "bpmn",
        "xml": f'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" {ZEEBE} '
        f'{CAMUNDA} id="defs"><process id="p" isExecutable="true">{body}</process></definitions>',
    }


def conditional_esp(condition: str) -> str:
    return (
        '<startEvent id="s"/><sequenceFlow id="a" sourceRef="s" targetRef="work"/>'
        '<scriptTask id="work" scriptFormat="jq"><script>.worked = true</script></scriptTask>'
        '<sequenceFlow id="b" sourceRef="work" targetRef="later"/>'
        '<scriptTask id="later" scriptFormat="jq"><script>.flag = true</script></scriptTask>'
        '<sequenceFlow id="c" sourceRef="later" targetRef="e"/><endEvent id="e"/>'
        '<subProcess id="esp" triggeredByEvent="true"><startEvent id="es">'
        "<conditionalEventDefinition><condition>"
        f"{condition}</condition></conditionalEventDefinition></startEvent>"
        '<sequenceFlow id="d" sourceRef="es" targetRef="note"/>'
        '<scriptTask id="note" scriptFormat="jq"><script>.esp = true</script></scriptTask>'
        '<sequenceFlow id="f" sourceRef="note" targetRef="ee"/><endEvent id="ee"/></subProcess>'
    )


@pytest.mark.parametrize("condition", ["${flag}", "= flag", ".flag == true"])
async def test_a_conditional_event_sub_process_sees_the_input_and_waits_for_its_variable(
    baton, condition
):
    # the run's input is the variables before the condition is first checked;
    # a variable not set yet (JUEL, FEEL) means "not yet", as in Camunda
    run = await baton.client.start(process(conditional_esp(condition)), input={"flag": False})
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"]["esp"] is True and result["output"]["worked"] is True
    unset = await baton.client.start(process(conditional_esp(condition)), input={})
    result = await asyncio.wait_for(unset.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"].get("esp") is True


@pytest.mark.parametrize(
    ("completion", "counted"),
    [
        ("= numberOfCompletedInstances &gt;= 2", 2),
        ("${nrOfCompletedInstances &gt;= 2}", 2),
        ('${item == "b"}', 2),
        ("= item = &quot;c&quot;", 3),
    ],
)
async def test_a_multi_instance_completion_condition_sees_its_counts_and_item(
    baton, completion, counted
):
    loop = (
        '<multiInstanceLoopCharacteristics isSequential="true"><extensionElements>'
        '<zeebe:loopCharacteristics inputCollection="=items" inputElement="item" '
        'outputCollection="seen" outputElement="={i: item, n: loopCounter}"/>'
        "</extensionElements>"
        f"<completionCondition>{completion}</completionCondition>"
        "</multiInstanceLoopCharacteristics>"
    )
    run = await baton.client.start(
        process(
            '<startEvent id="s"/><sequenceFlow id="a" sourceRef="s" targetRef="each"/>'
            f'<scriptTask id="each" scriptFormat="jq"><script>.</script>{loop}</scriptTask>'
            '<sequenceFlow id="b" sourceRef="each" targetRef="e"/><endEvent id="e"/>'
        ),
        input={"items": ["a", "b", "c", "d"]},
    )
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    seen = result["output"]["seen"]
    assert [entry["i"] for entry in seen] == ["a", "b", "c"][:counted]
    assert [entry["n"] for entry in seen] == [1, 2, 3][:counted]  # Zeebe counts from 1


@pytest.mark.parametrize(
    ("extension", "said"),
    [
        (
            '<zeebe:ioMapping><zeebe:input source="=a" target="b"/></zeebe:ioMapping>',
            "zeebe:ioMapping (input and output mappings) is not supported yet",
        ),
        (
            '<camunda:executionListener event="start" class="x.Y"/>',
            "camunda:executionListener (listeners run Java or scripts) is not supported yet",
        ),
    ],
)
async def test_mappings_and_listeners_baton_would_ignore_are_refused(extension, said):
    from baton.errors import DefinitionError
    from baton.plan.frontends import CompileContext, compile_document

    model = process(
        '<startEvent id="s"/><sequenceFlow id="a" sourceRef="s" targetRef="t"/>'
        f'<task id="t"><extensionElements>{extension}</extensionElements></task>'
        '<sequenceFlow id="b" sourceRef="t" targetRef="e"/><endEvent id="e"/>'
    )
    with pytest.raises(DefinitionError) as refused:
        compile_document(model, CompileContext(source="m.bpmn"))
    assert f"task 't': {said}" in str(refused.value)


async def test_a_compensation_event_sub_process_undoes_its_sub_process_when_the_run_is_cancelled(
    baton,
):
    model = process(
        '<startEvent id="s"/><sequenceFlow id="a" sourceRef="s" targetRef="book"/>'
        '<subProcess id="book"><startEvent id="bs"/>'
        '<sequenceFlow id="b1" sourceRef="bs" targetRef="reserve"/>'
        '<scriptTask id="reserve" scriptFormat="jq"><script>.booked = true</script></scriptTask>'
        '<sequenceFlow id="b2" sourceRef="reserve" targetRef="be"/><endEvent id="be"/>'
        '<subProcess id="cancel_booking" triggeredByEvent="true">'
        '<startEvent id="cs"><compensateEventDefinition/></startEvent>'
        '<sequenceFlow id="c1" sourceRef="cs" targetRef="unbook"/>'
        '<scriptTask id="unbook" scriptFormat="jq"><script>.booked = false</script></scriptTask>'
        '<sequenceFlow id="c2" sourceRef="unbook" targetRef="ce"/><endEvent id="ce"/>'
        "</subProcess></subProcess>"
        '<sequenceFlow id="c" sourceRef="book" targetRef="pay"/>'
        '<receiveTask id="pay" messageRef="m"/>'
        '<sequenceFlow id="d" sourceRef="pay" targetRef="e"/><endEvent id="e"/>'
    )
    model["xml"] = model["xml"].replace('id="defs">', 'id="defs"><message id="m" name="paid"/>')
    run = await baton.client.start(model, input={})
    await waiting(baton.client, run.workflow_id, "paid")
    await run.cancel()
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "CANCELLED", result
    assert [(c["step_id"], c["status"]) for c in result["compensations"]] == [
        ("book", "COMPENSATED")
    ]
    statuses = {s["step_id"]: s["status"] for s in result["steps"]}
    assert statuses["book~undo/unbook"] == "COMPLETED"


async def test_a_timer_cycle_with_a_start_date_fires_from_that_date(skipping):
    # on the time-skipping server: three firings, a day ahead, an hour apart
    from datetime import datetime, timedelta, timezone

    # the server's clock: earlier tests may have skipped it days ahead
    now = await skipping.env.get_current_time()
    start = (now.astimezone(timezone.utc) + timedelta(days=1)).replace(microsecond=0)
    cycle = f"R3/{start.isoformat().replace('+00:00', 'Z')}/PT1H"
    model = process(
        '<startEvent id="s"/><sequenceFlow id="a" sourceRef="s" targetRef="tick"/>'
        f'<intermediateCatchEvent id="tick"><timerEventDefinition><timeCycle>{cycle}'
        "</timeCycle></timerEventDefinition></intermediateCatchEvent>"
        '<sequenceFlow id="b" sourceRef="tick" targetRef="count"/>'
        '<scriptTask id="count" scriptFormat="jq"><script>.n += 1</script></scriptTask>'
        '<sequenceFlow id="c" sourceRef="count" targetRef="e"/><endEvent id="e"/>'
    )
    run = await skipping.start(model, input={"n": 0})
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"]["n"] == 3
    ended = datetime.fromisoformat(result["closed_at"])
    assert ended >= start + timedelta(hours=2)
