"""Service and send tasks bound to Baton actions without editing the model:
which binding a task takes (id, Zeebe task type, Camunda topic, name; the
sidecar before baton.yaml), what the bound node does with its output, and
every refusal — a binding that is not valid, a task with none — naming the
file, the key or the element."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from baton.config import BatonFile, ConfigError, Settings, load_baton_file
from baton.definitions.bpmn.bindings import Sidecar, sidecar_path
from baton.errors import DefinitionError
from baton.expressions import evaluate
from baton.plan.frontends import CompileContext, compile_document
from baton.plan.model import NodeKind, Plan
from baton.policy import ExecutionPolicy
from baton.runtime.documents import compile_for_run
from baton.runtime.preflight import policy_issues

NAMESPACES = (
    'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'
)


def model(task: str, extra: str = "") -> dict[str, str]:
    """A process: start -> the task (id "t") -> end."""
    xml = (
        f'<definitions {NAMESPACES} id="d">{extra}<process id="p" isExecutable="true">\n'
        '<startEvent id="s"/><sequenceFlow id="a" sourceRef="s" targetRef="t"/>\n'
        f"{task}\n"
        '<sequenceFlow id="b" sourceRef="t" targetRef="e"/><endEvent id="e"/>'
        "</process></definitions>"
    )
    return {"kind": "bpmn", "xml": xml}


ZEEBE_TASK = (
    '<serviceTask id="t" name="Charge card"><extensionElements>'
    '<zeebe:taskDefinition type="charge-card" retries="4"/></extensionElements></serviceTask>'
)
CAMUNDA_TASK = (
    '<serviceTask id="t" name="Charge card" camunda:type="external" camunda:topic="charging"/>'
)
API = {"type": "api_call", "url": "https://pay.example.com/charges", "method": "POST"}


def bindings(**entries: Any) -> dict[str, Any]:
    return {"bindings": entries}


def compile_with(
    document: dict[str, str],
    shared: dict[str, Any] | None = None,
    sidecar: dict[str, Any] | None = None,
    *,
    source: str = "order.bpmn",
    groups: dict[str, list[str]] | None = None,
) -> Plan:
    baton_file = BatonFile(
        path=Path("baton.yaml"), bpmn=shared or {}, groups=groups or {}, agents={}
    )
    ctx = CompileContext(
        source=source,
        baton_file=baton_file,
        bpmn_sidecar=Sidecar("order.baton.yaml", {"bpmn": sidecar}) if sidecar else None,
    )
    plan = compile_document(document, ctx)
    assert isinstance(plan, Plan)
    return plan


def refusal(document: dict[str, str], shared: dict[str, Any] | None = None, **kwargs: Any) -> str:
    with pytest.raises(DefinitionError) as refused:
        compile_with(document, shared, **kwargs)
    return str(refused.value)


def task(plan: Plan) -> Any:
    return plan.step("t")


# ---- which binding -----------------------------------------------------------


def test_a_task_takes_the_binding_of_its_id_then_type_then_topic_then_name():
    by = {
        "t": {**API, "url": "https://by.example.com/id"},
        "charge-card": {**API, "url": "https://by.example.com/type"},
        "charging": {**API, "url": "https://by.example.com/topic"},
        "Charge card": {**API, "url": "https://by.example.com/name"},
    }
    zeebe = model(ZEEBE_TASK)
    camunda = model(CAMUNDA_TASK)
    assert task(compile_with(zeebe, bindings(**by))).action["url"].endswith("/id")
    del by["t"]
    assert task(compile_with(zeebe, bindings(**by))).action["url"].endswith("/type")
    assert task(compile_with(camunda, bindings(**by))).action["url"].endswith("/topic")
    del by["charging"]
    assert task(compile_with(camunda, bindings(**by))).action["url"].endswith("/name")


def test_the_sidecar_is_looked_at_before_baton_yaml():
    shared = bindings(t={**API, "url": "https://shared.example.com/by-id"})
    own = bindings(**{"Charge card": {**API, "url": "https://own.example.com/by-name"}})
    plan = compile_with(model(ZEEBE_TASK), shared, own)
    # the sidecar binds the task (by its name): baton.yaml is not consulted for it
    assert task(plan).action["url"] == "https://own.example.com/by-name"
    assert task(plan).description == "bound by bpmn.bindings.Charge card in order.baton.yaml"
    # a task the sidecar does not bind takes baton.yaml's binding
    plan = compile_with(model(ZEEBE_TASK), shared, bindings(other={**API}))
    assert task(plan).action["url"] == "https://shared.example.com/by-id"


def test_a_name_is_matched_with_its_whitespace_collapsed():
    named = model('<serviceTask id="t" name="Charge\n   card"/>')
    assert task(compile_with(named, bindings(**{"Charge card": API}))).kind == NodeKind.ACTION


def test_the_bound_node_is_the_action_with_its_timeout_and_attempts():
    plan = compile_with(model(ZEEBE_TASK), bindings(**{"charge-card": API}))
    node = task(plan)
    assert node.kind == NodeKind.ACTION
    assert node.action == {**API, "headers": {}}
    assert node.retry.max_attempts == 4  # Zeebe's retries
    assert node.timeout_seconds == 300
    set_here = {**API, "attempts": 2, "timeout_seconds": 30}
    node = task(compile_with(model(ZEEBE_TASK), bindings(**{"charge-card": set_here})))
    assert (node.retry.max_attempts, node.timeout_seconds) == (2, 30)
    assert "attempts" not in node.action and "timeout_seconds" not in node.action
    node = task(compile_with(model(CAMUNDA_TASK), bindings(charging=API)))
    assert node.retry.max_attempts == 1


def test_every_action_type_of_a_saga_binds():
    script = {"type": "script", "script": "echo '{\"ok\": true}'"}
    python = {"type": "python", "function": "tests.support.pyfuncs:add"}
    agent = {"type": "task", "agent_type": "claude", "description": "Review {context.pr}"}
    for action in (script, python, agent):
        node = task(compile_with(model(CAMUNDA_TASK), bindings(charging=action)))
        assert node.action["type"] == action["type"]
    assert node.agent_type == "CLAUDE"
    assert node.action == {"type": "task", "description": "Review {context.pr}"}


def test_a_send_task_with_a_type_or_topic_or_binding_runs_an_action_else_sends_its_message():
    send = '<sendTask id="t" camunda:type="external" camunda:topic="mail"/>'
    assert task(compile_with(model(send), bindings(mail=API))).kind == NodeKind.ACTION
    by_id = '<sendTask id="t"/>'
    assert task(compile_with(model(by_id), bindings(t=API))).kind == NodeKind.ACTION
    message = '<sendTask id="t" messageRef="m"/>'
    thrown = compile_with(model(message, '<message id="m" name="order-sent"/>'))
    assert task(thrown).kind == NodeKind.THROW
    assert "line 3, sendTask 't': no binding for Camunda external-task topic 'mail'" in refusal(
        model(send)
    )


# ---- refusals ------------------------------------------------------------------


def test_a_task_without_a_binding_is_refused_naming_what_binds_it_and_where():
    assert (
        "order.bpmn: line 3, serviceTask 't': no binding for Zeebe task type 'charge-card' "
        "(add bpmn.bindings.charge-card to baton.yaml or order.baton.yaml)"
    ) in refusal(model(ZEEBE_TASK))
    assert (
        "line 3, serviceTask 't': no binding for Camunda external-task topic 'charging' "
        "(add bpmn.bindings.charging to baton.yaml or order.baton.yaml)"
    ) in refusal(model(CAMUNDA_TASK))
    assert (
        "line 3, serviceTask 't': no binding for it (add bpmn.bindings.t to baton.yaml or "
        "order.baton.yaml, or bind it by its name 'Pay')"
    ) in refusal(model('<serviceTask id="t" name="Pay"/>'))
    # from the API (no file): only baton.yaml
    assert "(add bpmn.bindings.t to baton.yaml)" in refusal(
        model('<serviceTask id="t"/>'), source="<dict>"
    )
    computed = '<serviceTask id="t"><extensionElements><zeebe:taskDefinition type="=kind"/>'
    computed += "</extensionElements></serviceTask>"
    assert "its Zeebe task type '=kind' is an expression, so bind it by its id" in refusal(
        model(computed)
    )


def test_a_binding_that_is_not_valid_is_refused_naming_its_file_and_key():
    bad = bindings(
        **{
            "charge-card": {"type": "api_call", "url": "ftp://x", "colour": "red"},
            "mail": {"type": "email"},
            "slow": {**API, "attempts": 0, "timeout_seconds": 10**9},
        }
    )
    text = refusal(model(ZEEBE_TASK), bad)
    assert (
        "baton.yaml: bpmn.bindings.charge-card.url: url 'ftp://x' must start with http://" in text
    )
    assert "baton.yaml: bpmn.bindings.charge-card: unknown key 'colour'; allowed:" in text
    assert "baton.yaml: bpmn.bindings.mail.type: unknown type 'email'" in text
    assert (
        "baton.yaml: bpmn.bindings.slow.attempts: input should be greater than or equal to 1"
        in (text)
    )
    assert "baton.yaml: bpmn.bindings.slow.timeout_seconds: timeout_seconds must be between" in text
    sidecar = refusal(model(ZEEBE_TASK), sidecar=bindings(**{"charge-card": {"type": "python"}}))
    assert "order.baton.yaml: bpmn.bindings.charge-card.function: required field is missing" in (
        sidecar
    )
    assert "baton.yaml: bpmn.colour: unknown key; allowed: bindings" in refusal(
        model(ZEEBE_TASK), {"colour": 1}
    )


def test_a_binding_of_the_wrong_kind_or_an_unknown_agent_is_refused_naming_the_element():
    approval = bindings(**{"charge-card": {"approvers": ["dana"]}})
    assert (
        "line 3, serviceTask 't': its binding bpmn.bindings.charge-card in baton.yaml is an "
        "approval; a serviceTask is bound to an action"
    ) in refusal(model(ZEEBE_TASK), approval)
    agent = bindings(charging={"type": "task", "agent_type": "nobody"})
    assert "agent_type: unknown agent type 'nobody'" in refusal(model(CAMUNDA_TASK), agent)


def test_input_mappings_are_refused_and_output_mappings_need_simple_paths():
    def mapped(mappings: str) -> dict[str, str]:
        return model(
            '<serviceTask id="t"><extensionElements><zeebe:taskDefinition type="charge-card"/>'
            f"<zeebe:ioMapping>{mappings}</zeebe:ioMapping></extensionElements></serviceTask>"
        )

    ours = bindings(**{"charge-card": API})
    text = refusal(mapped('<zeebe:input source="=amount" target="total"/>'), ours)
    assert "line 3, serviceTask 't': zeebe:input mappings are not supported yet" in text
    text = refusal(mapped('<zeebe:output source="=a + b" target="total"/>'), ours)
    assert "its zeebe:output source='=a + b' target='total' is not supported yet" in text
    camunda = model(
        '<serviceTask id="t" camunda:type="external" camunda:topic="charging"><extensionElements>'
        '<camunda:inputOutput><camunda:inputParameter name="x">1</camunda:inputParameter>'
        "</camunda:inputOutput></extensionElements></serviceTask>"
    )
    assert "camunda:inputOutput is not supported yet" in refusal(camunda, bindings(charging=API))


def test_retries_that_are_not_a_number_are_refused():
    odd = '<serviceTask id="t"><extensionElements><zeebe:taskDefinition type="c" retries="=n"/>'
    odd += "</extensionElements></serviceTask>"
    assert "its zeebe:taskDefinition retries '=n' is not a number from 1 to 100" in refusal(
        model(odd), bindings(c=API)
    )


# ---- what the output does -----------------------------------------------------


def new_variables(plan: Plan, variables: dict[str, Any], output: Any) -> Any:
    export = task(plan).export
    return evaluate(export.source, {"context": variables, "output": output}, export.language)


def test_the_output_is_merged_into_the_variables_or_kept_under_result_variable():
    merged = compile_with(model(CAMUNDA_TASK), bindings(charging=API))
    assert new_variables(merged, {"amount": 5}, {"charge": "c-1"}) == {"amount": 5, "charge": "c-1"}
    assert new_variables(merged, {"amount": 5}, None) == {"amount": 5}
    with pytest.raises(Exception, match="is not a JSON object, so it cannot be merged"):
        new_variables(merged, {"amount": 5}, [1, 2])
    kept = compile_with(model(CAMUNDA_TASK), bindings(charging={**API, "result_variable": "pay"}))
    assert new_variables(kept, {"amount": 5}, [1, 2]) == {"amount": 5, "pay": [1, 2]}


def test_zeebe_output_mappings_set_only_their_targets():
    mapped = model(
        '<serviceTask id="t"><extensionElements><zeebe:taskDefinition type="charge-card"/>'
        '<zeebe:ioMapping><zeebe:output source="=receipt.id" target="receiptId"/>'
        '<zeebe:output source="=amount" target="charged"/></zeebe:ioMapping>'
        "</extensionElements></serviceTask>"
    )
    plan = compile_with(mapped, bindings(**{"charge-card": API}))
    got = new_variables(plan, {"amount": 5}, {"receipt": {"id": "r-9"}, "noise": 1})
    assert got == {"amount": 5, "receiptId": "r-9", "charged": 5}
    # a binding's result_variable wins over the model's mappings
    plan = compile_with(mapped, bindings(**{"charge-card": {**API, "result_variable": "r"}}))
    assert new_variables(plan, {}, {"receipt": {}}) == {"r": {"receipt": {}}}


# ---- files ----------------------------------------------------------------------


def test_a_sidecar_binding_that_names_no_task_is_a_warning():
    plan = compile_with(model(CAMUNDA_TASK), sidecar=bindings(charging=API, chargng=API))
    assert plan.options.warnings == [
        "order.baton.yaml: bpmn.bindings.chargng names no task of the model "
        "(no task has that id, task type, topic or name)"
    ]


def test_the_sidecar_is_the_file_beside_the_model_and_holds_bpmn_only(tmp_path: Path):
    assert sidecar_path("x/order.bpmn") == Path("x/order.baton.yaml")
    assert sidecar_path("x/Order.bpmn20.xml") == Path("x/Order.baton.yaml")
    assert sidecar_path("order.yaml") is None
    path = tmp_path / "order.bpmn"
    path.write_text(model(CAMUNDA_TASK)["xml"])
    (tmp_path / "order.baton.yaml").write_text(
        "bpmn:\n  bindings:\n    charging: {type: api_call, url: 'https://x.example.com/'}\n"
    )
    settings = Settings.from_env({"BATON_HOME": str(tmp_path)})
    plan = compile_for_run(
        {"kind": "bpmn", "xml": path.read_text()},
        settings=settings,
        baton_file=BatonFile(),
        source=str(path),
    )
    assert isinstance(plan, Plan) and task(plan).action["url"] == "https://x.example.com/"
    (tmp_path / "order.baton.yaml").write_text("groups: {}\n")
    with pytest.raises(DefinitionError) as refused:
        compile_for_run(
            {"kind": "bpmn", "xml": path.read_text()},
            settings=settings,
            baton_file=BatonFile(),
            source=str(path),
        )
    assert f"{tmp_path / 'order.baton.yaml'}: groups: unknown key; a model's sidecar holds" in str(
        refused.value
    )


def test_baton_yaml_keeps_its_bpmn_section(tmp_path: Path):
    path = tmp_path / "baton.yaml"
    path.write_text("bpmn:\n  bindings:\n    charging: {type: script, script: 'echo {}'}\n")
    assert load_baton_file(path).bpmn == {
        "bindings": {"charging": {"type": "script", "script": "echo {}"}}
    }
    path.write_text("bpmn: [1]\n")
    with pytest.raises(ConfigError, match="bpmn: expected a mapping"):
        load_baton_file(path)


def test_the_execution_policy_applies_to_bound_actions_before_the_run():
    script = {"type": "script", "script": "echo {}"}
    plan = compile_with(model(CAMUNDA_TASK), bindings(charging=script))
    assert policy_issues(plan, ExecutionPolicy(), "cli") == []
    refused = policy_issues(plan, ExecutionPolicy(), "mcp")
    assert [i.path for i in refused] == ["steps[1] (t).action"]
    assert "script steps may not come from mcp" in refused[0].message


def test_a_binding_gives_its_task_an_sla():
    """docs/operations.md, "SLAs": a bound service or user task's target."""
    timed = {**API, "sla_seconds": 120, "sla_warning_seconds": 90}
    node = task(compile_with(model(ZEEBE_TASK), bindings(**{"charge-card": timed})))
    assert (node.sla.duration_seconds, node.sla.warning_seconds) == (120, 90)
    assert "sla_seconds" not in node.action and "sla_warning_seconds" not in node.action
    assert task(compile_with(model(ZEEBE_TASK), bindings(**{"charge-card": API}))).sla is None
    user = model('<userTask id="t" name="Approve"/>')
    decided = {"approvers": ["dana"], "sla_seconds": 14400}
    node = task(compile_with(user, bindings(Approve=decided)))
    assert node.sla.duration_seconds == 14400 and "sla_seconds" not in str(node.action)
    late = {**API, "sla_seconds": 60, "sla_warning_seconds": 90}
    said = refusal(model(ZEEBE_TASK), bindings(**{"charge-card": late}))
    assert "sla_warning_seconds (90) must be less than sla_seconds (60)" in said
