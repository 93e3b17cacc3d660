"""SLAs (docs/operations.md, "SLAs"): declared for a run and for steps, in
sagas and processes; a run past its SLA is told — in its status document and
audit trail, in health checks, and by alerts received by a local webhook
and a local SMTP server — and nothing is stopped."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from baton.config import BatonFile
from baton.errors import DefinitionError
from baton.monitoring.health import CRITICAL, RunFacts, check_run
from baton.monitoring.monitor import WorkflowMonitor
from baton.plan.compile import compile_definition
from baton.plan.frontends import CompileContext, compile_document
from baton.testing import assert_eventually, until
from tests.support.sagas import saga, script, step
from tests.support.smtp import smtp_sink

pytestmark = pytest.mark.asyncio(loop_scope="session")
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)


async def test_a_saga_past_its_sla_is_recorded_checked_and_alerted(worker_factory, services):
    hook = services.url.replace("http://", "json://") + "/hooks/sla"
    definition = saga(
        step("quick", script("true"), sla={"duration_minutes": 1}),
        step("slow", script("sleep 6"), sla={"duration_minutes": 0.05}),
        saga_id="sla-saga",
        sla={"duration_minutes": 0.07, "warning_minutes": 0.03},  # 4.2 s, warned at 1.8 s
        config={"notification_channels": [hook, "email://ops@company.com"]},
    )
    with smtp_sink() as sink:
        channels = {"email://ops@company.com": sink.channel("ops@company.com")}
        async with worker_factory(BatonFile(channels=channels)) as env:
            run = await env.client.start_saga(definition)
            monitor = WorkflowMonitor(env.client)

            async def breached() -> Any:
                report = await monitor.perform_health_check(run.workflow_id)
                codes = {i.code for i in report.issues_detected}
                return report if "sla_breached" in codes else None

            report = await until(breached, timeout=30)
            assert report.status == CRITICAL
            assert {"sla_breached", "step_sla_breached"} <= {i.code for i in report.issues_detected}
            running = await env.client.status(run.workflow_id)
            assert running["status"] == "RUNNING"  # an SLA stops nothing
            result = await asyncio.wait_for(run.result(), 60)
            after = await monitor.perform_health_check(run.workflow_id)
        await assert_eventually(lambda: len(sink.messages) == 2)
        assert "near its SLA" in sink.messages[0]["Subject"]
    assert result["status"] == "COMPLETED"
    assert result["sla"]["status"] == "BREACHED"
    assert result["sla"]["duration_seconds"] == pytest.approx(4.2)
    deadline = datetime.fromisoformat(result["sla"]["deadline_at"])
    started = datetime.fromisoformat(result["started_at"])
    assert deadline - started == pytest.approx(timedelta(seconds=4.2), abs=timedelta(seconds=0.5))
    steps = {s["step_id"]: s["sla"]["status"] for s in result["steps"]}
    assert steps == {"quick": "MET", "slow": "BREACHED"}
    events = [a["event"] for a in result["audit"]]
    assert events.index("sla_warning") < events.index("sla_breached")
    assert "step_sla_breached" in events
    hooks = [c for c in services.state.calls if c.path == "/hooks/sla"]
    assert [h.body["type"] for h in hooks] == ["warning", "failure"]
    assert "SLA breached" in hooks[1].body["message"]
    assert [i.code for i in after.issues_detected] == ["sla_breached", "step_sla_breached"]
    assert after.status == "warning"  # it ended: history now


async def test_a_run_within_its_sla_meets_it(baton):
    definition = saga(step("one", script("true")), saga_id="sla-met", sla={"duration_minutes": 5})
    result = await baton.run_saga(definition)
    assert result["sla"]["status"] == "MET" and result["sla"]["warning_at"] is None
    assert "sla_breached" not in [a["event"] for a in result["audit"]]
    assert result["steps"][0]["sla"] is None


def process_plan(document: dict[str, Any]) -> Any:
    return compile_document(document, CompileContext(source="<dict>", baton_file=BatonFile()))


async def test_processes_declare_slas_in_metadata():
    document = {
        "document": {
            "dsl": "1.0.3",
            "namespace": "t",
            "name": "slas",
            "version": "1.0.0",
            "metadata": {"baton": {"sla": {"after": {"minutes": 30}, "warn_after": "PT20M"}}},
        },
        "do": [
            {
                "work": {
                    "run": {"shell": {"command": "true"}},
                    "metadata": {"baton": {"sla": {"after": {"seconds": 90}}}},
                }
            }
        ],
    }
    plan = process_plan(document)
    assert (plan.options.sla.duration_seconds, plan.options.sla.warning_seconds) == (1800, 1200)
    assert plan.steps[0].sla.duration_seconds == 90
    document["do"][0]["work"]["metadata"]["baton"]["sla"] = {"after": "PT1M", "warn_after": "PT2M"}
    with pytest.raises(DefinitionError, match="sla/warn_after: warn_after must be shorter"):
        process_plan(document)


async def test_a_saga_sla_warning_after_its_duration_is_refused():
    bad = saga(
        step("a", script("true")), saga_id="bad", sla={"duration_minutes": 1, "warning_minutes": 2}
    )
    with pytest.raises(
        DefinitionError, match="warning_minutes \\(2\\) must be less than duration_minutes"
    ):
        compile_definition(bad)


async def test_health_reads_slas_of_running_runs_and_steps():
    doc = {
        "workflow_id": "r",
        "kind": "saga",
        "status": "RUNNING",
        "sla": {
            "duration_seconds": 600,
            "warning_seconds": 300,
            "warning_at": (NOW - timedelta(seconds=10)).isoformat(),
            "deadline_at": (NOW + timedelta(seconds=290)).isoformat(),
            "status": "WARNING",
        },
        "steps": [
            {
                "step_id": "s",
                "status": "RUNNING",
                "attempts": 1,
                "started_at": (NOW - timedelta(seconds=100)).isoformat(),
                "sla": {"duration_seconds": 60, "warning_seconds": None, "status": None},
            }
        ],
    }
    report = check_run(RunFacts("r", doc, NOW, running=True, workflow_pollers=(1.0,)))
    codes = {i.code: i for i in report.issues_detected}
    assert codes["sla_warning"].message == "the run is near its SLA of 10m: 5m left"
    assert codes["step_sla_breached"].severity == CRITICAL
    assert "has run 100s; its SLA is 60s" in codes["step_sla_breached"].message
    assert "--action escalate" in codes["sla_warning"].recommendation


async def test_a_bpmn_process_declares_its_run_sla_and_channels_in_baton_yaml(
    worker_factory, services
):
    """A model says nothing of SLAs: ``bpmn.processes.<id or name>`` gives the
    run's, and who is told."""
    hook = services.url.replace("http://", "json://") + "/hooks/bpmn-sla"
    xml = (
        '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
        '<process id="slow_order" name="Slow   order" isExecutable="true">'
        '<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="wait"/>'
        '<intermediateCatchEvent id="wait"><timerEventDefinition>'
        "<timeDuration>PT4S</timeDuration></timerEventDefinition></intermediateCatchEvent>"
        '<sequenceFlow id="f2" sourceRef="wait" targetRef="e"/><endEvent id="e"/>'
        "</process></definitions>"
    )
    settings = {"sla_seconds": 2, "sla_warning_seconds": 1, "notification_channels": [hook]}
    baton_file = BatonFile(bpmn={"processes": {"Slow order": settings}})
    plan = compile_document(
        {"kind": "bpmn", "xml": xml}, CompileContext(source="slow.bpmn", baton_file=baton_file)
    )
    assert plan.options.sla is not None and plan.options.sla.duration_seconds == 2
    async with worker_factory(baton_file) as env:
        run = await env.client.start({"kind": "bpmn", "xml": xml})
        result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED"
    assert result["sla"]["status"] == "BREACHED"
    hooks = [c for c in services.state.calls if c.path == "/hooks/bpmn-sla"]
    assert [h.body["type"] for h in hooks] == ["warning", "failure"]
    with pytest.raises(
        DefinitionError, match="bpmn.processes.x: sla_warning_seconds needs sla_seconds"
    ):
        compile_document(
            {"kind": "bpmn", "xml": xml},
            CompileContext(
                source="slow.bpmn",
                baton_file=BatonFile(bpmn={"processes": {"x": {"sla_warning_seconds": 1}}}),
            ),
        )
