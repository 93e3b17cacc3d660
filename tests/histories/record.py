"""Record workflow histories for the replay tests.

    python -m tests.histories.record

Run it when a new kind of run should be covered, never to "fix" a failing
replay: a replay failure means a workflow change broke in-flight runs (use
``workflow.patched`` for such changes). Each file is named after the case.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from baton.config import BatonFile, PoolConfig, Settings
from baton.plan.approval import compile_approval
from baton.runtime import TemporalWorkflowClient, connected_client, running_worker
from baton.testing import StandInServices, assert_eventually, free_port, until
from tests.support.sagas import api, saga, script, seed_onboarding, step

HERE = Path(__file__).parent


def cases(url: str) -> dict[str, dict]:
    return {
        "onboarding_completed": seed_onboarding(url),
        "compensated_after_retries": saga(
            step("a", api(f"{url}/users"), api(f"{url}/users/{{user_id}}", "DELETE")),
            step("p1", api(f"{url}/services/p1"), parallel_group="g"),
            step("p2", script("echo '{\"ok\": true}'"), parallel_group="g"),
            step("optional", api(f"{url}/nowhere"), critical=False, dependencies=["a"]),
            step(
                "b",
                api(f"{url}/accounts"),
                api(f"{url}/accounts/{{account_id}}", "DELETE"),
                retry_count=1,
            ),
        ),
        # local steps (plan/dispatch.py): a retry, a failure, compensation
        "saga_local_steps": saga(
            step("a", api(f"{url}/users"), api(f"{url}/users/{{user_id}}", "DELETE"), local=True),
            step(
                "b",
                api(f"{url}/services/b", payload={"version": "new"}),
                api(f"{url}/services/b", payload={"version": "old"}),
                retry_count=2,
                local=True,
            ),
            step("c", api(f"{url}/nowhere"), local=True),
        ),
        # SLAs (docs/operations.md): the run's warning and breach timers fire
        # while a step runs past its own SLA; the alerts go to a webhook
        "saga_sla_breached": saga(
            step("quick", api(f"{url}/users"), sla={"duration_minutes": 1}),
            step("slow", script("sleep 3"), sla={"duration_minutes": 0.02}),
            saga_id="sla",
            sla={"duration_minutes": 0.04, "warning_minutes": 0.02},
            config={"notification_channels": [url.replace("http://", "json://") + "/hooks/sla"]},
        ),
    }


async def save(client: Any, workflow_id: str, name: str) -> None:
    """Write the history, never over one already committed."""
    path = HERE / f"{name}.json"
    if path.exists():
        print("kept", name)
        return
    history = await client.temporal.get_workflow_handle(workflow_id).fetch_history()
    path.write_text(json.dumps(json.loads(history.to_json()), indent=1))
    print("recorded", name)


async def record_approvals(client: Any, url: str) -> None:
    spec = compile_approval(
        {
            "approval_id": "replay-approval_two_stages_delegated",
            "stage": "release",
            "stages": [
                {
                    "name": "team",
                    "approvers": ["alice", "bob"],
                    "quorum": "all",
                    "timeout_seconds": 3600,
                    "escalation": {"after_seconds": 600, "add_approvers": ["boss"]},
                },
                {"name": "cab", "approvers": ["carol"]},
            ],
        }
    )
    run = await client.request_approval(spec)
    await client.submit_decision(run.approval_id, "mallory", "approve")
    await client.delegate_approval(run.approval_id, "bob", "dave")
    await client.submit_decision(run.approval_id, "alice", "approve")
    await client.submit_decision(run.approval_id, "dave", "approve")

    async def second_stage() -> bool:
        return bool((await client.submit_decision(run.approval_id, "carol", "approve"))["accepted"])

    await until(second_stage)
    await run.result()
    await save(client, run.approval_id, "approval_two_stages_delegated")

    gated = await client.start_saga(
        saga(
            step("a", api(f"{url}/users"), api(f"{url}/users/{{user_id}}", "DELETE")),
            step("gate", {"type": "approval", "approvers": ["lead"]}),
        ),
        workflow_id="replay-saga_gate_rejected",
    )

    async def rejected() -> bool:
        outcome = await client.submit_decision("replay-saga_gate_rejected.gate", "lead", "reject")
        return bool(outcome["accepted"])

    await until(rejected)
    await gated.result()
    await save(client, gated.workflow_id, "saga_gate_rejected")


async def record_plans(client: Any, home: Path) -> None:
    """Plans built by hand, for interpreter fields no saga sets (yet)."""
    from tests.e2e.test_plan_undo import (
        attempted_undo_plan,
        cancel_in_backoff_plan,
        cancel_while_waiting_to_retry,
    )

    name = "plan_attempted_undo_cleanup"
    run = await client.start_plan(attempted_undo_plan(home / "log"), f"replay-{name}")
    await run.result()
    await save(client, run.workflow_id, name)

    name = "plan_cancel_in_undo_backoff"
    run = await client.start_plan(cancel_in_backoff_plan(home), f"replay-{name}")
    await cancel_while_waiting_to_retry(run)
    await run.result()
    await save(client, run.workflow_id, name)


def control_flow_plan(log: Path) -> Any:
    """Format 3's control nodes in one run: an exclusive choice and its merge,
    a for-each loop, a caught raise, a cycle through a join-each merge, a
    transaction scope that undoes itself, and data set and exported."""
    from baton.plan.model import Catch, ErrorSpec, Join, LoopSpec, NodeKind, Route
    from tests.support.plans import control, e, node, plan

    def echo(text: str) -> dict[str, Any]:
        return script(f'echo {text} >> {log}; echo \'{{"text": "{text}"}}\'')

    return plan(
        control("start", NodeKind.SET, value=e("{'amount': 500}"), export=e("{'seen': 0}")),
        control(
            "choose",
            NodeKind.NOOP,
            after=["start"],
            routes=[Route("big", e("input.amount > 1000")), Route("small")],
        ),
        node("big", echo("big"), after=["choose"]),
        node("small", echo("small"), after=["choose"]),
        control("merge", NodeKind.NOOP, after=["big", "small"], join=Join.ANY),
        control(
            "each",
            NodeKind.LOOP,
            after=["merge"],
            loop=LoopSpec(each=e("['a', 'b']"), collect=True),
            body=[node("item", script(f"echo {{item}} >> {log}"))],
        ),
        control(
            "check",
            NodeKind.RAISE,
            after=["each"],
            error=ErrorSpec(type="nope", status=409, title="Nope"),
            catch=[Catch(status=409, to="count")],
        ),
        control("count", NodeKind.SET, after=["check"], value=e("0")),
        control("again", NodeKind.NOOP, after=["count", "test"], join=Join.EACH),
        control("inc", NodeKind.SET, after=["again"], value=e("input + 1")),
        control(
            "test",
            NodeKind.NOOP,
            after=["inc"],
            routes=[Route("again", e("input < 2")), Route("tx")],
        ),
        control(
            "tx",
            NodeKind.SCOPE,
            after=["test"],
            compensate_on_error=True,
            body=[
                node("book", echo("book"), compensation=echo("unbook")),
                control(
                    "fail",
                    NodeKind.RAISE,
                    after=["book"],
                    error=ErrorSpec(type="full", title="Full"),
                ),
            ],
            catch=[Catch(type="full")],
        ),
        output="output",
    )


def events_plan() -> Any:
    """A correlated event wait, a sub-process, a timer."""
    from baton.plan.model import EventFilter, NodeKind, WaitSpec
    from tests.support.plans import control, e, plan

    child = plan(
        control("double", NodeKind.SET, value=e("input * 2")), plan_id="child", output="output"
    )
    return plan(
        control(
            "wait",
            NodeKind.WAIT,
            wait=WaitSpec(
                events=[
                    EventFilter(type="paid", correlate={"data.order": e("workflow.input.order")})
                ]
            ),
        ),
        control("amount", NodeKind.SET, after=["wait"], value=e("input[0].data.amount")),
        control("sub", NodeKind.SUBPROCESS, after=["amount"], subprocess=child),
        control("pause", NodeKind.WAIT, after=["sub"], wait=WaitSpec(seconds=1)),
        output="output",
    )


async def record_control_flow(client: Any, home: Path) -> None:
    name = "plan_control_flow"
    run = await client.start_plan(control_flow_plan(home / "flow.log"), f"replay-{name}")
    await run.result()
    await save(client, run.workflow_id, name)

    name = "plan_event_wait_subprocess"
    run = await client.start_plan(events_plan(), f"replay-{name}", input={"order": "A-1"})

    async def waiting() -> bool:
        return (await client.status(run.workflow_id)).get("waiting_for") == ["paid"]

    await until(waiting)
    await client.send_event("paid", {"order": "B-2", "amount": 1}, workflow_id=run.workflow_id)
    await client.send_event("paid", {"order": "A-1", "amount": 21}, workflow_id=run.workflow_id)
    await run.result()
    await save(client, run.workflow_id, name)
    await save(client, f"{run.workflow_id}.sub", "plan_subprocess_child")


def process_document(url: str) -> dict[str, Any]:
    """A Serverless Workflow process using most of what the front end
    compiles: for, fork, switch, try/catch with a retry, raise, listen, an
    HTTP call and a shell command."""
    return {
        "document": {"dsl": "1.0.3", "namespace": "replay", "name": "process", "version": "1.0.0"},
        "do": [
            {"start": {"set": {"items": [1, 2], "tries": 0}, "export": {"as": "{tries: 0}"}}},
            {
                "each": {
                    "for": {"in": ".items", "each": "n"},
                    "do": [{"double": {"set": "${ $n * 2 }"}}],
                }
            },
            {"both": {"fork": {"branches": [{"a": {"set": {"a": 1}}}, {"b": {"wait": "PT0.5S"}}]}}},
            {
                "attempt": {
                    "try": [
                        {
                            "bump": {
                                "set": "${ $context.tries + 1 }",
                                "export": {"as": "{tries: .}"},
                            }
                        },
                        {
                            "check": {
                                "if": "$context.tries < 2",
                                "raise": {"error": {"type": "x", "status": 503}},
                            }
                        },
                    ],
                    "catch": {
                        "errors": {"with": {"status": 503}},
                        "retry": {
                            "delay": {"milliseconds": 100},
                            "limit": {"attempt": {"count": 3}},
                        },
                    },
                }
            },
            {
                "pick": {
                    "switch": [
                        {"again": {"when": "$context.tries < 2", "then": "attempt"}},
                        {"on": {"then": "signup"}},
                    ]
                }
            },
            {
                "signup": {
                    "call": "http",
                    "with": {"method": "post", "endpoint": f"{url}/users", "body": {"name": "ada"}},
                }
            },
            {"paid": {"listen": {"to": {"one": {"with": {"type": "paid"}}}}}},
            {"shell": {"run": {"shell": {"command": "echo done"}}}},
        ],
    }


async def record_process(client: Any, url: str) -> None:
    name = "process_serverless_workflow"
    run = await client.start(process_document(url), workflow_id=f"replay-{name}")

    async def waiting() -> bool:
        return (await client.status(run.workflow_id)).get("waiting_for") == ["paid"]

    await until(waiting)
    await client.send_event("paid", {"amount": 1}, workflow_id=run.workflow_id)
    await run.result()
    await save(client, run.workflow_id, name)


async def record_process_children(client: Any, home: Path) -> None:
    """run: workflow awaited and not, and a shell command not awaited."""
    name = "process_run_workflow"
    folder = home / "processes"
    folder.mkdir()
    meta = {"dsl": "1.0.0", "namespace": "replay"}
    child = {
        "document": {**meta, "name": "child", "version": "1.0.0"},
        "do": [{"double": {"set": {"twice": "${ .n * 2 }"}}}],
    }
    (folder / "child.json").write_text(json.dumps(child))
    ref = {"namespace": "replay", "name": "child"}
    parent = {
        "document": {**meta, "name": "parent", "version": "1.0.0"},
        "do": [
            {"awaited": {"run": {"workflow": {**ref, "input": {"n": "${ .n }"}}}}},
            {"kept": {"set": "${ {n: .twice} }"}},
            {"loose": {"run": {"workflow": {**ref, "input": {"n": 1}}, "await": False}}},
            {"bg": {"run": {"shell": {"command": "true"}, "await": False}}},
        ],
    }
    path = folder / "parent.json"
    path.write_text(json.dumps(parent))
    run = await client.start_process(
        parent, {"n": 4}, source=str(path), workflow_id=f"replay-{name}"
    )
    assert (await run.result())["output"] == {"n": 8}
    await save(client, run.workflow_id, name)


async def record_process_extensions(client: Any, url: str) -> None:
    """Baton's additions: an approval task, compensation, a parallel for, $task and a schema."""
    name = "process_baton_extensions"
    undo = {
        "call": "http",
        "with": {"method": "delete", "endpoint": f'${{ "{url}/users/" + .user_id }}'},
    }
    definition = {
        "document": {"dsl": "1.0.0", "namespace": "replay", "name": "ext", "version": "1.0.0"},
        "input": {"schema": {"document": {"type": "object", "required": ["names"]}}},
        "do": [
            {
                "user": {
                    "call": "http",
                    "with": {"method": "post", "endpoint": f"{url}/users"},
                    "metadata": {"baton": {"compensate": undo}},
                }
            },
            {
                "each": {
                    "for": {"in": "$workflow.input.names", "each": "n"},
                    "metadata": {"baton": {"parallel": True, "max_concurrency": 2}},
                    "do": [{"one": {"set": "${ {n: $n, task: $task.name} }"}}],
                }
            },
            {
                "ok": {
                    "call": "baton/approval",
                    "with": {"approvers": ["dana@example.com"], "description": '${ "go" }'},
                }
            },
            {"fail": {"raise": {"error": {"type": "https://example.com/stop", "status": 500}}}},
        ],
    }
    run = await client.start_process(
        definition, {"names": ["a", "b", "c"]}, workflow_id=f"replay-{name}"
    )
    approval_id = f"{run.workflow_id}./do/2/ok"
    await until(lambda: _exists(client, approval_id))
    await client.submit_decision(approval_id, "dana@example.com", "approve")
    result = await run.result()
    assert result["status"] == "COMPENSATED", result
    await save(client, run.workflow_id, name)


async def record_long_loop(client: Any, url: str) -> None:
    """A loop whose rest runs in batches of child runs (thresholds lowered)."""
    from baton.plan.frontends import CompileContext, compile_document

    name = "process_long_loop_batches"
    body = [
        {
            "out": {
                "call": "http",
                "with": {"method": "post", "endpoint": f"{url}/hooks/loop"},
                "output": {"as": "${ $input }"},
            }
        },
        {"add": {"set": "${ {total: ($input.total + $n)} }"}},
    ]
    definition = {
        "document": {"dsl": "1.0.0", "namespace": "replay", "name": "long", "version": "1.0.0"},
        "do": [
            {"start": {"set": {"total": 0}}},
            {"each": {"for": {"in": "$workflow.input.numbers", "each": "n"}, "do": body}},
        ],
    }
    plan = compile_document(definition, CompileContext(source="<dict>"))
    plan.options.batch_after_events, plan.options.batch_events = 30, 40
    run = await client.start_plan(plan, f"replay-{name}", input={"numbers": list(range(1, 21))})
    result = await run.result()
    assert result["output"] == {"total": 210}, result
    assert any(a["event"] == "subprocess_started" for a in result["audit"])
    await save(client, run.workflow_id, name)


async def record_bpmn(client: Any) -> None:
    """A BPMN model: a jq script task, an exclusive gateway and its merge."""
    name = "bpmn_order_routing"
    model = HERE.parents[1] / "examples" / "bpmn" / "order_routing.bpmn"
    run = await client.start(
        {"kind": "bpmn", "xml": model.read_text()},
        input={"amount": 150},
        workflow_id=f"replay-{name}",
    )
    result = await run.result()
    assert result["output"]["route"] == "review", result
    await save(client, run.workflow_id, name)


async def record_bpmn_events(client: Any) -> None:
    """BPMN events on triggers and throws (plan format 4): examples/bpmn/events_tour.bpmn."""
    name = "bpmn_events_tour"
    model = HERE.parents[1] / "examples" / "bpmn" / "events_tour.bpmn"
    run = await client.start(
        {"kind": "bpmn", "xml": model.read_text()}, input={}, workflow_id=f"replay-{name}"
    )

    async def waiting() -> bool:
        return "payment-received" in (await client.status(run.workflow_id)).get("waiting_for", [])

    await until(waiting)
    await client.send_event("payment-received", {"paid": 5}, workflow_id=run.workflow_id)
    result = await run.result()
    assert result["output"] == TOUR_OUTPUT, result
    await save(client, run.workflow_id, name)


TOUR_OUTPUT = {"reserved": False, "released": True, "ticks": 2, "late": True, "paid": 5}


async def record_decisions(client: Any) -> None:
    """Decide nodes: a decision that routes, and one that fails (two rules
    of a UNIQUE table match) caught by its error type."""
    from tests.support.decisions import decisions_plan, loan_inputs

    name = "plan_decisions"
    run = await client.start_plan(
        decisions_plan(), f"replay-{name}", input=loan_inputs(35, 710, 25000)
    )
    result = await run.result()
    assert result["output"]["fee"] == 0, result


async def record_bpmn_tasks(client: Any, services: StandInServices) -> None:
    """The BPMN tutorial's model: external tasks bound to HTTP calls, and its
    user task rejected (a REJECTED gate is the task's output)."""
    import yaml

    url = services.url
    services.state.failures.clear()

    from baton.plan.frontends import CompileContext, compile_document

    name = "bpmn_tasks_rejected"
    folder = HERE.parents[1] / "examples" / "bpmn" / "order-approval"
    config = yaml.safe_load(
        (folder / "baton.yaml").read_text().replace("http://127.0.0.1:8765", url)
    )
    baton_file = BatonFile(groups=config["groups"], bpmn=config["bpmn"])
    plan = compile_document(
        {"kind": "bpmn", "xml": (folder / "order.bpmn").read_text()},
        CompileContext(source="order.bpmn", baton_file=baton_file),
    )
    run = await client.start_plan(plan, f"replay-{name}", input={"customer": "ada", "amount": 1})

    async def rejected() -> bool:
        outcome = await client.submit_decision(
            f"{run.workflow_id}.Task_approve", "eve", "reject", "no"
        )
        return bool(outcome["accepted"])

    await until(rejected, timeout=10)
    result = await run.result()
    assert result["output"]["approved"] is False and "notice" in result["output"], result
    await save(client, run.workflow_id, name)


async def record_bpmn_form(client: Any) -> None:
    """A user task's form filled in with the decision: the values are
    checked by the approval and become process variables."""
    from tests.e2e.test_bpmn_tasks import FORM

    name = "bpmn_user_task_form"
    run = await client.start(FORM, input={"amount": 80}, workflow_id=f"replay-{name}")
    approval_id = f"{run.workflow_id}.review"

    async def decided() -> bool:
        outcome = await client.submit_decision(
            approval_id, "dana", "approve", "ok", data={"discount": 5, "carrier": "dhl"}
        )
        return bool(outcome["accepted"])

    refused = await until(
        lambda: client.submit_decision(approval_id, "dana", "approve", data={"other": 1})
    )
    assert not refused["accepted"], refused
    await until(decided, timeout=10)
    result = await run.result()
    assert result["output"]["discount"] == 5, result
    await save(client, run.workflow_id, name)
    await save(client, approval_id, "approval_form_values")


async def record_undo_run(client: Any, services: StandInServices) -> None:
    """An undo run of a completed saga (PlanStep.literal: its actions run as
    written, filled in before the run)."""
    from baton.monitoring.undoing import undo_plan

    name = "saga_undo_run"
    url = services.url
    definition = saga(
        step("user", api(f"{url}/users"), api(f"{url}/users/{{user.user_id}}", "DELETE")),
        step("account", api(f"{url}/accounts"), api(f"{url}/accounts/{{account_id}}", "DELETE")),
        saga_id="undone",
    )
    done = await client.start_saga(definition, workflow_id="replay-undone")
    state = await done.result()
    plan = await client.plan_of(done.workflow_id)
    undo = await client.start_plan(undo_plan(plan, state, done.workflow_id), f"replay-{name}")
    result = await undo.result()
    assert result["status"] == "COMPLETED", result
    await save(client, undo.workflow_id, name)


async def record_pipeline(client: Any, home: Path) -> None:
    """A saga's run steps (docs/sagas.md, "Pipelines"): two child sagas at
    once, a third with their outputs, then a failure: each completed child
    is undone by its undo run, newest first."""
    import yaml

    name = "saga_pipeline_compensated"
    folder = home / "pipeline"
    folder.mkdir()
    log = folder / "log.txt"
    child = saga(
        step(
            "train",
            script('echo "{{\\"model\\": \\"m-{speaker}\\"}}"'),
            script('echo "undo {model}" >> {log}'),
        ),
        saga_id="train",
    )
    (folder / "train.yaml").write_text(yaml.safe_dump(child))
    parent = {
        "saga_id": "pipeline",
        "context": {"log": str(log)},
        "steps": [
            *(
                {
                    "step_id": who,
                    "forward_action": {
                        "type": "run",
                        "definition": "train.yaml",
                        "input": {"speaker": who, "log": "{log}"},
                    },
                    "parallel_group": "train",
                }
                for who in ("a", "b")
            ),
            {
                "step_id": "both",
                "forward_action": {
                    "type": "run",
                    "definition": "train.yaml",
                    "input": {"speaker": "{a.train.model}-{b.train.model}", "log": "{log}"},
                },
            },
            {"step_id": "fail", "forward_action": script("exit 3")},
        ],
    }
    path = folder / "pipeline.yaml"
    path.write_text(yaml.safe_dump(parent))
    run = await client.start_file(path, workflow_id=f"replay-{name}")
    result = await run.result()
    assert result["status"] == "COMPENSATED", result
    assert log.read_text().splitlines()[0] == "undo m-m-a-m-b", log.read_text()
    await save(client, run.workflow_id, name)


async def _exists(client: Any, workflow_id: str) -> bool:
    return bool(await client.status(workflow_id))


async def record_alert_cancelled(client: Any, services: StandInServices) -> None:
    """A failure alert under way when a cancel arrives (patch alert-survives-cancel)."""
    name = "saga_alert_cancelled"
    services.state.delays["/hooks/alerts"] = 2.0
    hook = services.url.replace("http://", "json://") + "/hooks/alerts"
    run = await client.start_saga(
        saga(step("a", api(f"{services.url}/nowhere"))),
        config={"alert_on_failure": True, "notification_channels": [hook]},
        workflow_id=f"replay-{name}",
    )
    await assert_eventually(lambda: services.state.count("POST", "/hooks/alerts") == 1)
    await run.cancel()
    await run.result()
    await save(client, run.workflow_id, name)


async def record_choreography(client: Any, settings: Settings) -> None:
    """A choreography saga over a real NATS server: commands answered by
    services, the last one failing, compensations as commands (a reply
    taken while COMPENSATING)."""
    from tests.integrations.test_choreography import bus, order_saga, shop
    from tests.support.brokers import nats_server
    from tests.support.services import nats_services

    name = "saga_choreography_compensated"
    received: list[Any] = []
    queue = f"{settings.task_queue}-choreography"
    with nats_server() as url:
        async with (
            running_worker(client.temporal, queue, bus("nats", url), settings=settings),
            nats_services(url, shop(ship_fails=True), received),
        ):
            chosen = TemporalWorkflowClient(
                replace(settings, task_queue=queue), temporal=client.temporal
            )
            run = await chosen.start_saga(order_saga(40), workflow_id=f"replay-{name}")
            result = await run.result()
    assert result["status"] == "COMPENSATED", result
    await save(client, run.workflow_id, name)


async def record_sweeps(client: Any, settings: Settings) -> None:
    """A sweep (engine/sweep.py) over three runs: its first run (a failed
    trial, then continue-as-new) and its last (stopped early on a threshold)."""
    from baton.policy import ExecutionPolicy

    support = BatonFile(policy=ExecutionPolicy(python_modules=("tests.support",)))
    queue = replace(settings, task_queue=f"{settings.task_queue}-sweeps")
    sweeper = TemporalWorkflowClient(queue, temporal=client.temporal, baton_file=support)
    if (HERE / "sweep_continued_as_new.json").exists():
        print("kept sweep histories")
        return
    async with running_worker(client.temporal, queue.task_queue, support, settings=queue):
        run = await sweeper.start_sweep(
            {
                "kind": "sweep",
                "name": "replay-sweep",
                "trial": {"function": "tests.support.sweeps:picky"},
                "space": {"grid": {"x": [-1, 0.1, 0.3, 0.5, 2], "y": [0.7]}},
                "metric": "score",
                "parallelism": 2,
                "trials_per_run": 2,
                "early_stop": {"threshold": 2.5},
            },
            workflow_id="replay-sweep",
        )
        result = await run.result()
    assert result["stopped_early"] and result["generation"] == 3, result
    runs = [r async for r in client.temporal.list_workflows("WorkflowId = 'replay-sweep'")]
    by_start = sorted(runs, key=lambda r: r.start_time)
    for name, listed in (
        ("sweep_continued_as_new", by_start[0]),
        ("sweep_stopped_early", by_start[-1]),
    ):
        handle = client.temporal.get_workflow_handle("replay-sweep", run_id=listed.run_id)
        history = await handle.fetch_history()
        (HERE / f"{name}.json").write_text(json.dumps(json.loads(history.to_json()), indent=1))
        print("recorded", name)


async def record_pool(client: Any, settings: Settings) -> None:
    """A resource pool's first run: a grant, a wait, a release that grants
    the waiter, the check that frees an ended run's lease, and the
    continue-as-new that ends the run (docs/pools.md)."""
    from baton.actions.pools import release_in_pool
    from baton.engine.pools import AcquireRequest, PoolInput, PoolWorkflow, pool_workflow_id

    name = "pool_leases_continued"
    pool = f"replay-{name}"
    pools = {pool: PoolConfig(3, check_seconds=1)}
    temporal = client.temporal
    async with running_worker(temporal, settings.task_queue, BatonFile(pools=pools)):
        started = await temporal.start_workflow(
            PoolWorkflow.run,
            PoolInput(name=pool, capacity=3, check_seconds=1, events_per_run=120),
            id=pool_workflow_id(pool),
            task_queue=settings.task_queue,
        )
        handle = temporal.get_workflow_handle(pool_workflow_id(pool))

        def ask(holder: str, count: int) -> AcquireRequest:
            return AcquireRequest(holder, f"run-{holder}", count, capacity=3, wait_seconds=1)

        assert (await handle.execute_update(PoolWorkflow.acquire, ask("a", 2))).granted
        assert not (await handle.execute_update(PoolWorkflow.acquire, ask("b", 2))).granted
        assert await release_in_pool(temporal, pool, "run-a") == 2
        # run-b is no workflow at all: the pool's check frees its lease
        await until(lambda: _pool_free(handle, 3), timeout=30)
        index = 0
        while (await handle.describe()).run_id == started.result_run_id:
            await handle.execute_update(PoolWorkflow.acquire, ask(f"brief-{index}", 1))
            await release_in_pool(temporal, pool, f"run-brief-{index}")
            index += 1
        history = await temporal.get_workflow_handle(
            pool_workflow_id(pool), run_id=started.result_run_id
        ).fetch_history()
    path = HERE / f"{name}.json"
    if not path.exists():
        path.write_text(json.dumps(json.loads(history.to_json()), indent=1))
        print("recorded", name)


async def _pool_free(handle: Any, free: int) -> bool:
    from baton.engine.pools import PoolWorkflow

    state = await handle.query(PoolWorkflow.state)
    return bool(state.capacity - state.in_use == free)


async def record_inbox(client: Any, settings: Settings) -> None:
    """An approval that reports to the inbox index (two stages, a
    delegation), and the first run of its index shard: seeding, reports, the
    prune of an approval terminated without reporting, continue-as-new."""
    from baton.engine.inbox import (
        InboxInput,
        InboxRow,
        InboxWorkflow,
        inbox_shard,
        inbox_workflow_id,
    )

    queue = "replay-inbox"
    own = TemporalWorkflowClient(
        replace(settings, task_queue=queue),
        temporal=client.temporal,
        baton_file=BatonFile(inbox_index=True),
    )
    temporal = client.temporal
    ids = [f"replay-inbox-{i}" for i in range(500)]
    first, doomed = [name for name in ids if inbox_shard(name) == 0][:2]
    async with running_worker(temporal, queue, BatonFile()):
        started = await temporal.start_workflow(
            InboxWorkflow.run,
            InboxInput(shard=0, events_per_run=80, prune_seconds=1),
            id=inbox_workflow_id(queue, 0),
            task_queue=queue,
        )
        shard = temporal.get_workflow_handle(inbox_workflow_id(queue, 0))
        run = await own.request_approval(
            compile_approval(
                {
                    "approval_id": first,
                    "stage": "release",
                    "stages": [
                        {"name": "team", "approvers": ["alice", "bob"], "quorum": "all"},
                        {"name": "cab", "approvers": ["carol"]},
                    ],
                }
            )
        )
        await own.request_approval(
            compile_approval(
                {
                    "approval_id": doomed,
                    "stage": "doomed",
                    "stages": [{"name": "s", "approvers": ["dan"]}],
                }
            )
        )
        await until(lambda: _in_inbox(shard, "dan", doomed))
        await temporal.get_workflow_handle(doomed).terminate("recording: never reports")
        await own.delegate_approval(run.approval_id, "bob", "dave")
        await own.submit_decision(run.approval_id, "alice", "approve")
        await own.submit_decision(run.approval_id, "dave", "approve")

        async def second_stage() -> bool:
            outcome = await own.submit_decision(run.approval_id, "carol", "approve")
            return bool(outcome["accepted"])

        await until(second_stage)
        await run.result()
        await save(client, run.approval_id, "approval_inbox_index")
        await until(lambda: _not_in_inbox(shard, "dan", doomed), timeout=30)
        index = 0
        while (await shard.describe()).run_id == started.result_run_id:
            row = InboxRow(f"filler-{index}", "s", "PENDING", ["erin"], "2026-12-08T00:00:00")
            await shard.signal(InboxWorkflow.report, row)
            await shard.signal(InboxWorkflow.report, replace(row, status="APPROVED"))
            index += 1
        history = await temporal.get_workflow_handle(
            inbox_workflow_id(queue, 0), run_id=started.result_run_id
        ).fetch_history()
    path = HERE / "inbox_shard_continued.json"
    if not path.exists():
        path.write_text(json.dumps(json.loads(history.to_json()), indent=1))
        print("recorded inbox_shard_continued")


async def _in_inbox(shard: Any, user: str, approval_id: str) -> bool:
    answer = await shard.query("rows", args=[user, 10])
    return any(row["approval_id"] == approval_id for row in answer["rows"])


async def _not_in_inbox(shard: Any, user: str, approval_id: str) -> bool:
    return not await _in_inbox(shard, user, approval_id)


async def main() -> None:
    home = tempfile.mkdtemp()
    settings = Settings.from_env({"BATON_HOME": home, "BATON_TEMPORAL_PORT": str(free_port())})
    async with connected_client(settings, start_embedded=True) as (client, _):
        with StandInServices() as services:
            async with running_worker(client.temporal, settings.task_queue, BatonFile()):
                for name, definition in cases(services.url).items():
                    if name == "compensated_after_retries":
                        services.state.failures["/accounts"] = 5
                    if name == "saga_local_steps":
                        services.state.failures["/services/b"] = 1
                    run = await client.start_saga(definition, workflow_id=f"replay-{name}")
                    await run.result()
                    await save(client, run.workflow_id, name)
                await record_approvals(client, services.url)
                await record_plans(client, Path(home))
                await record_alert_cancelled(client, services)
                await record_control_flow(client, Path(home))
                await record_process(client, services.url)
                await record_process_children(client, Path(home))
                await record_process_extensions(client, services.url)
                await record_long_loop(client, services.url)
                await record_bpmn(client)
                await record_bpmn_events(client)
                await record_decisions(client)
                await record_bpmn_tasks(client, services)
                await record_bpmn_form(client)
                await record_undo_run(client, services)
                await record_pipeline(client, Path(home))
            await record_choreography(client, settings)
            await record_sweeps(client, settings)
            await record_pool(client, settings)
            await record_inbox(client, settings)


if __name__ == "__main__":
    asyncio.run(main())
