"""Saga semantics (SPEC.md section 4) on a real Temporal dev server, against
real local HTTP services that count every call — each test with its steps
on the task queue and again as local steps (docs/sagas.md, "Local steps"),
but for one whose documented behaviour differs for local steps."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest
import pytest_asyncio

from baton import DefinitionError, start_distributed_saga
from baton.actions.registry import LOCAL_ACTIONS
from baton.testing import assert_eventually
from tests.support.sagas import api, saga, seed_onboarding, step

pytestmark = pytest.mark.asyncio(loop_scope="session")

# a status query reaches a run between workflow tasks: not while its local
# steps run (docs/sagas.md, "Local steps")
QUEUE_ONLY = {"test_status_while_running_comes_from_query"}


def as_local_steps(definition: dict[str, Any]) -> dict[str, Any]:
    """Every step that can run locally, asked to (``local: true``)."""
    changed = copy.deepcopy(definition)
    for entry in changed.get("steps", []):
        actions = [entry.get("forward_action") or {}, entry.get("compensation_action") or {}]
        if all(a.get("type") in LOCAL_ACTIONS for a in actions if a):
            entry.setdefault("local", True)
    return changed


@pytest_asyncio.fixture(loop_scope="session", params=["queue", "local"])
async def baton(request: Any, worker_factory: Any) -> Any:
    if request.param == "local" and request.node.originalname in QUEUE_ONLY:
        pytest.skip("status is answered between workflow tasks: docs/sagas.md, Local steps")
    async with worker_factory() as env:
        if request.param == "local":
            start_saga = env.client.start_saga

            async def start_local(definition: dict[str, Any], **kwargs: Any) -> Any:
                return await start_saga(as_local_steps(definition), **kwargs)

            env.client.start_saga = start_local  # type: ignore[method-assign]
        yield env


async def test_seed_onboarding_saga_completes(baton, services):
    result = await baton.run_saga(seed_onboarding(services.url))
    assert result["status"] == "COMPLETED"
    assert result["progress"] == {"completed": 2, "total": 2}
    assert [s["status"] for s in result["steps"]] == ["COMPLETED", "COMPLETED"]
    assert result["steps"][0]["output"] == {"user_id": "u-1"}
    assert result["compensations"] == []
    assert services.state.count("POST", "/users") == 1
    assert services.state.count("POST", "/accounts") == 1


async def test_compensation_url_uses_forward_output(baton, services):
    services.state.failures["/accounts"] = 1  # 500 once; billing has no retries
    result = await baton.run_saga(seed_onboarding(services.url))
    assert result["status"] == "COMPENSATED"
    assert "setup_billing" in result["failure"]
    assert [(c["step_id"], c["status"], c["order"]) for c in result["compensations"]] == [
        ("create_account", "COMPENSATED", 1)
    ]
    # DELETE /users/{user_id} got the id the forward POST returned
    assert services.state.count("DELETE", "/users/u-1") == 1
    assert services.state.users == {}


async def test_compensation_runs_in_reverse_completion_order(baton, services):
    u = services.url
    definition = saga(
        step(
            "a",
            api(f"{u}/services/a", payload={"version": "new"}),
            api(f"{u}/services/a", payload={"version": "old-a"}),
        ),
        step(
            "b",
            api(f"{u}/services/b", payload={"version": "new"}),
            api(f"{u}/services/b", payload={"version": "old-b"}),
        ),
        step(
            "c",
            api(f"{u}/services/c", payload={"version": "new"}),
            api(f"{u}/services/c", payload={"version": "old-c"}),
        ),
        step("d", api(f"{u}/nowhere")),  # 404: fails at once
    )
    result = await baton.run_saga(definition)
    assert result["status"] == "COMPENSATED"
    assert [c["step_id"] for c in result["compensations"]] == ["c", "b", "a"]
    undo_order = [
        c.body["version"]
        for c in services.state.calls
        if c.body and str(c.body.get("version", "")).startswith("old")
    ]
    assert undo_order == ["old-c", "old-b", "old-a"]
    assert result["steps"][3]["status"] == "FAILED"
    assert "404" in result["steps"][3]["error"]


async def test_list_order_and_dependencies(baton, services):
    u = services.url
    services.state.delays["/services/slow"] = 0.5
    definition = saga(
        step("first", api(f"{u}/services/first")),
        step("slow", api(f"{u}/services/slow")),
        step("after_slow", api(f"{u}/services/after_slow")),  # implicit: after "slow"
        step("only_first", api(f"{u}/services/only_first"), dependencies=["first"]),
    )
    result = await baton.run_saga(definition)
    assert result["status"] == "COMPLETED"
    order = [c.path for c in services.state.calls]
    assert order.index("/services/first") < order.index("/services/slow")
    assert order.index("/services/slow") < order.index("/services/after_slow")
    # only_first waits for exactly "first": it runs while "slow" is still held
    assert order.index("/services/only_first") < order.index("/services/after_slow")
    steps = {s["step_id"]: s for s in result["steps"]}
    assert steps["after_slow"]["depends_on"] == ["slow"]


async def test_parallel_group_runs_concurrently(baton, services):
    u = services.url
    services.state.delays["/services/"] = 1.5
    definition = saga(
        step("auth", api(f"{u}/services/auth"), parallel_group="services"),
        step("gateway", api(f"{u}/services/gateway"), parallel_group="services"),
        step("web", api(f"{u}/services/web"), parallel_group="services"),
        step("switch", api(f"{u}/config", "PUT", {"active": "new"})),
    )
    result = await baton.run_saga(definition)
    assert result["status"] == "COMPLETED"
    starts = sorted(c.at for c in services.state.calls if c.path.startswith("/services/"))
    # all three requests arrived before the first one (held 1.5s) was answered
    assert starts[-1] - starts[0] < 1.0
    switch_at = next(c.at for c in services.state.calls if c.path == "/config")
    assert switch_at - starts[-1] >= 1.4  # the step after the group waited for all of it
    steps = {s["step_id"]: s for s in result["steps"]}
    assert sorted(steps["switch"]["depends_on"]) == ["auth", "gateway", "web"]


async def test_retry_with_backoff_and_stable_idempotency_key(baton, services):
    u = services.url
    services.state.failures["/accounts"] = 2
    definition = saga(step("billing", api(f"{u}/accounts", payload={"plan": "pro"}), retry_count=3))
    result = await baton.run_saga(definition)
    assert result["status"] == "COMPLETED"
    assert result["steps"][0]["attempts"] == 3
    calls = [c for c in services.state.calls if c.path == "/accounts"]
    assert len(calls) == 3
    assert len({c.idempotency_key for c in calls}) == 1
    assert calls[0].idempotency_key.endswith(":billing:forward")
    # exponential backoff: ~1s, then ~2s
    assert calls[1].at - calls[0].at >= 0.9
    assert calls[2].at - calls[1].at >= 1.9
    failed = [e for e in result["audit"] if e["event"] == "forward_attempt_failed"]
    assert [e["attempt"] for e in failed] == [1, 2]


async def test_retry_failed_steps_false_disables_retries(baton, services):
    services.state.failures["/accounts"] = 1
    definition = saga(step("billing", api(f"{services.url}/accounts"), retry_count=3))
    result = await baton.run_saga(definition, config={"retry_failed_steps": False})
    assert result["status"] == "COMPENSATED"
    assert result["steps"][0]["attempts"] == 1


async def test_timeout_applies_per_attempt(baton, services):
    services.state.delays["/users"] = 5
    definition = saga(
        step("slow", api(f"{services.url}/users"), timeout_minutes=0.02, retry_count=1)
    )
    result = await baton.run_saga(definition)
    assert result["status"] == "COMPENSATED"
    assert result["steps"][0]["attempts"] == 2
    failed = [e["detail"] for e in result["audit"] if e["event"] == "forward_attempt_failed"]
    assert "attempt timed out (start to close)" in failed[0]
    # the service still holds the first request, so it refuses the retry (409) rather than act twice


async def test_non_critical_failure_skips_dependents_only(baton, services):
    u = services.url
    definition = saga(
        step("a", api(f"{u}/users")),
        step("optional", api(f"{u}/nowhere"), critical=False),
        step("needs_optional", api(f"{u}/services/x"), dependencies=["optional"]),
        step("independent", api(f"{u}/services/y"), dependencies=["a"]),
    )
    result = await baton.run_saga(definition)
    assert result["status"] == "COMPLETED"
    steps = {s["step_id"]: s for s in result["steps"]}
    assert steps["optional"]["status"] == "FAILED"
    assert steps["needs_optional"]["status"] == "SKIPPED"
    assert "optional" in steps["needs_optional"]["error"]
    assert steps["independent"]["status"] == "COMPLETED"
    assert services.state.count("POST", "/services/x") == 0
    assert result["compensations"] == []


async def test_failed_compensation_is_reported(baton, services):
    u = services.url
    definition = saga(
        step("a", api(f"{u}/users"), api(f"{u}/users/{{user_id}}", "DELETE")),
        step("b", api(f"{u}/accounts"), api(f"{u}/nowhere/{{account_id}}", "DELETE")),
        step("c", api(f"{u}/nowhere")),
    )
    result = await baton.run_saga(definition)
    assert result["status"] == "COMPENSATION_FAILED"
    comps = {c["step_id"]: c for c in result["compensations"]}
    assert comps["b"]["status"] == "FAILED" and "404" in comps["b"]["error"]
    # the failure of one compensation does not stop the others
    assert comps["a"]["status"] == "COMPENSATED"
    assert services.state.users == {}


async def test_unresolved_placeholder_fails_clearly(baton, services):
    definition = saga(step("a", api(f"{services.url}/users/{{no_such_value}}")))
    result = await baton.run_saga(definition)
    assert result["status"] == "COMPENSATED"
    assert "placeholder {no_such_value} has no value" in result["steps"][0]["error"]
    assert services.state.calls == []


async def test_context_placeholders_keep_types(baton, services):
    u = services.url
    definition = saga(
        step(
            "deploy",
            api(
                f"{u}/services/{{service}}",
                payload={"version": "{version}", "replicas": "{replicas}"},
            ),
        ),
        context={"service": "auth", "version": "v2", "replicas": 3},
    )
    result = await baton.run_saga(definition)
    assert result["status"] == "COMPLETED"
    assert services.state.calls[0].path == "/services/auth"
    assert services.state.calls[0].body == {"version": "v2", "replicas": 3}


async def test_cancel_compensates_completed_steps(baton, services):
    u = services.url
    services.state.delays["/accounts"] = 30
    definition = saga(
        step("a", api(f"{u}/users"), api(f"{u}/users/{{user_id}}", "DELETE")),
        step("b", api(f"{u}/accounts"), api(f"{u}/accounts/{{account_id}}", "DELETE")),
        config={"heartbeat_timeout_seconds": 3},
    )
    run = await baton.client.start_saga(definition)
    await assert_eventually(lambda: services.state.count("POST", "/accounts") == 1)
    await run.cancel()
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "CANCELLED"
    steps = {s["step_id"]: s for s in result["steps"]}
    assert steps["a"]["status"] == "COMPLETED"
    assert steps["b"]["status"] == "CANCELLED"
    assert [c["step_id"] for c in result["compensations"]] == ["a"]
    assert services.state.count("DELETE", "/users/u-1") == 1


async def test_saga_timeout_seconds_compensates(baton, services):
    u = services.url
    services.state.delays["/accounts"] = 20
    definition = saga(
        step("a", api(f"{u}/users"), api(f"{u}/users/{{user_id}}", "DELETE")),
        step("b", api(f"{u}/accounts")),
    )
    result = await baton.run_saga(
        definition, config={"timeout_seconds": 2, "heartbeat_timeout_seconds": 3}
    )
    assert result["status"] == "COMPENSATED"
    assert "timeout of 2s" in result["failure"]
    assert services.state.count("DELETE", "/users/u-1") == 1


async def test_alert_on_failure_notifies_channels(baton, services):
    hook = services.url.replace("http://", "json://") + "/hooks/alerts"
    definition = saga(step("a", api(f"{services.url}/nowhere")))
    config = {"alert_on_failure": True, "notification_channels": [hook]}
    result = await baton.run_saga(definition, config=config)
    assert result["status"] == "COMPENSATED"
    assert any(e["event"] == "alert_sent" for e in result["audit"])
    alert = next(c for c in services.state.calls if c.path == "/hooks/alerts")
    assert "COMPENSATED" in alert.body["title"]


async def test_a_cancel_while_the_alert_is_sent_still_ends_with_a_status_document(baton, services):
    """Before, a cancel arriving while the failure alert was on its way ended
    the run as a cancelled workflow with no status document."""
    hook = services.url.replace("http://", "json://") + "/hooks/alerts"
    services.state.delays["/hooks/alerts"] = 3.0
    definition = saga(step("a", api(f"{services.url}/nowhere")))
    config = {"alert_on_failure": True, "notification_channels": [hook]}
    run = await baton.client.start_saga(definition, config=config)
    await assert_eventually(lambda: services.state.count("POST", "/hooks/alerts") == 1)
    await run.cancel()
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPENSATED"
    events = [e["event"] for e in result["audit"]]
    assert "cancel_requested" in events and events[-1] == "alert_sent"


async def test_unconfigured_alert_channel_is_rejected_before_start(baton, services):
    definition = saga(step("a", api(f"{services.url}/users")))
    config = {"alert_on_failure": True, "notification_channels": ["slack://deployments"]}
    with pytest.raises(DefinitionError) as info:
        await baton.run_saga(definition, config=config)
    assert (
        "config.notification_channels[0]: channel 'slack://deployments' is not configured"
        in str(info.value)
    )
    assert services.state.calls == []


async def test_python_api_start_distributed_saga(baton, services):
    run = await start_distributed_saga(
        saga_definition=seed_onboarding(services.url),
        coordination_mode="orchestration",
        config={"timeout_seconds": 600, "retry_failed_steps": True},
        client=baton.client,
    )
    assert run.workflow_id.startswith("user-onboarding-saga-")
    result = await run
    assert result["status"] == "COMPLETED"
    status = await baton.client.status(run.workflow_id)
    assert status["status"] == "COMPLETED"
    listed = await baton.client.list_runs(query=f"WorkflowId = '{run.workflow_id}'")
    assert listed and listed[0]["kind"] == "saga"


async def test_choreography_of_api_calls_is_rejected_before_start(baton, services):
    """The seed's coordination_mode argument: in choreography the services do
    the work, so every step must be a command (docs/integrations.md)."""
    with pytest.raises(DefinitionError) as info:
        await start_distributed_saga(
            saga_definition=seed_onboarding(services.url),
            coordination_mode="choreography",
            client=baton.client,
        )
    assert (
        "steps[0].forward_action: a choreography saga's steps are commands to services; "
        "step 'create_account' has a 'api_call' action"
    ) in str(info.value)
    assert services.state.calls == []


async def test_status_while_running_comes_from_query(baton, services):
    services.state.delays["/accounts"] = 3
    run = await baton.client.start_saga(seed_onboarding(services.url))
    await assert_eventually(lambda: services.state.count("POST", "/accounts") == 1)
    state = await baton.client.status(run.workflow_id)
    assert state["status"] == "RUNNING"
    steps = {s["step_id"]: s for s in state["steps"]}
    assert steps["create_account"]["status"] == "COMPLETED"
    assert steps["setup_billing"]["status"] == "RUNNING"
    assert state["progress"] == {"completed": 1, "total": 2}
    assert (await run.result())["status"] == "COMPLETED"
