"""Health checks over facts (baton.monitoring.health) and recovery policies
(baton.monitoring.policies): pure functions, no server — each issue with its
recommendation; conditions as the seed writes them; bad policies refused
naming the field."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from baton.config import load_baton_file
from baton.errors import ConfigError
from baton.monitoring.health import (
    CRITICAL,
    HEALTHY,
    WARNING,
    PendingActivity,
    RunFacts,
    Thresholds,
    check_run,
)
from baton.monitoring.policies import (
    RecoveryAction,
    RecoveryPolicy,
    holds,
    measures,
    parse_policy,
)

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)


def ago(seconds: float) -> str:
    return (NOW - timedelta(seconds=seconds)).isoformat()


def step(step_id: str, status: str, attempts: int = 1, started: float | None = 5) -> dict[str, Any]:
    return {
        "step_id": step_id,
        "status": status,
        "attempts": attempts,
        "started_at": ago(started) if started is not None else None,
        "completed_at": None,
        "error": None,
    }


def running(steps: list[dict[str, Any]], **facts: Any) -> RunFacts:
    doc = {
        "workflow_id": "r1",
        "kind": "saga",
        "name": "deploy",
        "status": "RUNNING",
        "started_at": ago(7200),
        "steps": steps,
        "audit": facts.pop("audit", []),
    }
    return RunFacts(
        "r1",
        doc,
        NOW,
        task_queue="baton",
        running=True,
        workflow_pollers=facts.pop("workflow_pollers", (2.0,)),
        activity_pollers=facts.pop("activity_pollers", (2.0,)),
        **facts,
    )


def codes(facts: RunFacts, thresholds: Thresholds = Thresholds()) -> list[str]:
    return [i.code for i in check_run(facts, thresholds).issues_detected]


def test_a_run_moving_along_is_healthy():
    report = check_run(running([step("a", "COMPLETED"), step("b", "RUNNING")]))
    assert report.status == HEALTHY and report.healthy
    assert report.issues_detected == [] and report.recommendations == []


def test_no_worker_polling_is_critical_and_says_how_to_start_one():
    facts = running([step("a", "RUNNING")], workflow_pollers=(120.0,), activity_pollers=())
    report = check_run(facts)
    assert report.status == CRITICAL
    (issue,) = report.issues_detected
    assert issue.code == "no_worker" and "no worker polls task queue 'baton'" in issue.message
    assert (
        "baton up" in issue.recommendation and "TEMPORAL_TASK_QUEUE=baton" in issue.recommendation
    )
    # a worker heard from within the threshold is alive
    assert codes(running([], workflow_pollers=(120.0, 3.0))) == []


def test_a_step_waiting_for_a_step_worker_is_noticed():
    pending = (
        PendingActivity("b", "baton.api_call", "SCHEDULED", NOW - timedelta(seconds=90), None),
    )
    facts = running([step("b", "RUNNING")], pending=pending, activity_pollers=())
    (issue,) = check_run(facts).issues_detected
    assert issue.code == "no_worker" and issue.step_id == "b"
    assert "step b has waited 90s for a worker" in issue.message


def test_a_step_failing_repeatedly_names_the_error():
    audit = [
        {"event": "forward_attempt_failed", "step_id": "pay", "detail": "POST /pay returned 503"},
        {"event": "forward_attempt_failed", "step_id": "pay", "detail": "POST /pay returned 502"},
    ]
    report = check_run(running([step("pay", "RUNNING", attempts=3)], audit=audit))
    (issue,) = report.issues_detected
    assert (issue.code, issue.severity, issue.step_id) == ("step_failing", WARNING, "pay")
    assert "attempt 3, last error: POST /pay returned 502" in issue.message
    assert "baton recover r1 --action cancel" in issue.recommendation
    assert codes(running([step("pay", "RUNNING", attempts=2)], audit=audit)) == []


def test_a_failing_compensation_is_critical():
    facts = running([])
    facts.status["status"] = "COMPENSATING"
    facts.status["compensations"] = [
        {"step_id": "db", "status": "RUNNING", "attempts": 4, "error": "locked"}
    ]
    (issue,) = check_run(facts).issues_detected
    assert (issue.code, issue.severity) == ("compensation_failing", CRITICAL)


def test_a_step_far_past_its_usual_duration_is_slow_once_there_is_a_baseline():
    slow = running(
        [step("train", "RUNNING", started=3600)], usual_seconds={"train": 600}, baseline_runs=8
    )
    (issue,) = check_run(slow).issues_detected
    assert issue.code == "step_slow"
    assert (
        "has run 60m; it usually takes 10m (median of the last 8 completed runs)" in issue.message
    )
    usual = running(
        [step("train", "RUNNING", started=900)], usual_seconds={"train": 600}, baseline_runs=8
    )
    assert codes(usual) == []
    too_few = running(
        [step("train", "RUNNING", started=3600)], usual_seconds={"train": 600}, baseline_runs=2
    )
    assert codes(too_few) == []


def test_approvals_past_their_escalation_or_long_undecided():
    doc = {
        "workflow_id": "ap",
        "kind": "approval",
        "status": "PENDING",
        "eligible": ["alice"],
        "stages": [
            {
                "name": "review",
                "status": "PENDING",
                "started_at": ago(3 * 86400),
                "escalated_at": None,
            }
        ],
    }
    facts = RunFacts("ap", doc, NOW, running=True, workflow_pollers=(1.0,))
    (issue,) = check_run(facts).issues_detected
    assert issue.code == "approval_waiting" and "has waited 3.0d" in issue.message
    assert "baton approve ap" in issue.recommendation
    doc["stages"][0]["escalated_at"] = ago(7200)
    (issue,) = check_run(facts).issues_detected
    assert issue.code == "approval_escalated" and "escalated 2.0h ago" in issue.message


@pytest.mark.parametrize(
    ("status", "code", "severity"),
    [
        ("COMPENSATION_FAILED", "compensation_failed", CRITICAL),
        ("FAILED", "run_failed", WARNING),
        ("COMPENSATED", "run_compensated", WARNING),
        ("COMPLETED", None, HEALTHY),
    ],
)
def test_ended_runs(status, code, severity):
    doc = {
        "workflow_id": "r2",
        "kind": "saga",
        "status": status,
        "failure": "boom",
        "steps": [step("x", "FAILED" if status == "FAILED" else "COMPLETED")],
        "compensations": [{"step_id": "db", "status": "FAILED"}],
    }
    report = check_run(RunFacts("r2", doc, NOW))
    assert report.status == severity
    assert [i.code for i in report.issues_detected] == ([code] if code else [])
    if code == "run_failed":
        assert "at step x" in report.issues_detected[0].message
        assert "baton recover r2 --action retry" in report.recommendations[0]


async def test_a_run_terminated_before_a_step_failed_is_restarted_not_retried():
    doc = {"workflow_id": "r3", "kind": "saga", "status": "TERMINATED", "steps": []}
    (issue,) = check_run(RunFacts("r3", doc, NOW)).issues_detected
    assert issue.code == "run_failed" and "--action restart" in issue.recommendation
    assert "--action retry" not in issue.recommendation


def test_the_seeds_policy_and_its_conditions():
    policy = RecoveryPolicy(
        policy_id="high_value_workflow_policy",
        name="High Value Workflow Recovery",
        workflow_types=["multi_agent_project"],
        conditions={"execution_time_hours": {">=": 4}, "error_rate": {">=": 0.3}},
        recovery_actions=[RecoveryAction.RETRY, RecoveryAction.ESCALATE],
        max_recovery_attempts=3,
        notification_channels=["slack://alerts", "email://ops@company.com"],
        escalate_to=["group:oncall"],
    )
    assert policy.covers("project", "anything") and not policy.covers("saga", "x")
    audit = [{"event": "forward_attempt_started"}] * 10 + [{"event": "forward_attempt_failed"}] * 4
    doc = {"status": "RUNNING", "started_at": ago(5 * 3600), "audit": audit, "steps": []}
    report = check_run(RunFacts("p", doc, NOW))
    values = measures(doc, report, NOW)
    assert values["error_rate"] == pytest.approx(0.4)
    applies, why = holds(policy.conditions, values)
    assert applies and why == "execution_time_hours 5.00 >= 4, error_rate 0.40 >= 0.3"
    doc["started_at"] = ago(3600)
    assert not holds(policy.conditions, measures(doc, report, NOW))[0]


def test_conditions_on_status_health_and_issue_codes():
    facts = running([step("a", "RUNNING")], workflow_pollers=(500.0,))
    report = check_run(facts)
    values = measures(facts.status, report, NOW)
    assert holds({"issue": "no_worker", "health": "critical"}, values)[0]
    assert holds({"status": {"in": ["RUNNING", "COMPENSATING"]}}, values)[0]
    assert not holds({"issue": {"not_in": ["no_worker"]}}, values)[0]
    assert not holds({"status": "FAILED"}, values)[0]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"policy_id": "p", "recovery_actions": ["retry"]}, "conditions: required"),
        (
            {"policy_id": "p", "conditions": {"errors": {">": 1}}, "recovery_actions": ["retry"]},
            "conditions.errors: unknown",
        ),
        (
            {
                "policy_id": "p",
                "conditions": {"health": "critical"},
                "recovery_actions": ["reboot"],
            },
            "'reboot' is not one of retry, restart",
        ),
        (
            {
                "policy_id": "p",
                "conditions": {"health": "critical"},
                "recovery_actions": ["notify"],
            },
            "NOTIFY needs at least one channel",
        ),
        (
            {
                "policy_id": "a b",
                "conditions": {"health": "critical"},
                "recovery_actions": ["cancel"],
            },
            "policy_id: no spaces",
        ),
        ({"policy_id": "p", "when": 1}, "unknown key(s) when"),
    ],
)
def test_a_bad_policy_is_refused_naming_the_field(raw, message):
    with pytest.raises(ValueError, match=".*") as caught:
        parse_policy(raw)
    assert message in str(caught.value)


def test_baton_yaml_monitoring_section(tmp_path: Path):
    good = tmp_path / "baton.yaml"
    good.write_text(
        "monitoring:\n"
        "  thresholds: {failing_attempts: 5, worker_silence_seconds: 30}\n"
        "  policies:\n"
        "    - policy_id: stuck\n"
        "      name: Stuck runs\n"
        "      conditions: {issue: no_worker}\n"
        "      recovery_actions: [notify]\n"
        "      notification_channels: ['json://127.0.0.1:9/hooks/x']\n"
    )
    config = load_baton_file(good).monitoring
    assert config.thresholds().failing_attempts == 5
    assert config.thresholds().worker_silence_seconds == 30
    assert [p.policy_id for p in config.policies] == ["stuck"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("monitoring:\n  policies:\n    - {policy_id: x, recovery_actions: [retry]}\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: monitoring.policies\[0\]: conditions"):
        load_baton_file(bad)
    bad.write_text("monitoring:\n  thresholds: {slowness: 2}\n")
    with pytest.raises(ConfigError, match="monitoring.thresholds.slowness: unknown"):
        load_baton_file(bad)
