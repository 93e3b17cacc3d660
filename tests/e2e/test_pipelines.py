"""Pipelines on a real Temporal server (docs/sagas.md, "Pipelines: child
runs"): a saga whose ``run`` steps start two child sagas at once and then a
third that uses their outputs; a later failure undoes the children's
completed steps, newest child first and each child's steps in reverse; a
cancel of the parent reaches a running child, which undoes its own work;
and the parent's status document lists its children."""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from baton.config import BatonFile
from baton.monitoring.monitor import WorkflowMonitor
from baton.policy import ExecutionPolicy
from tests.support.cli import baton_cli

pytestmark = pytest.mark.asyncio(loop_scope="session")

TRAIN = {
    "saga_id": "train-speaker",
    "steps": [
        {
            "step_id": "prepare",
            "forward_action": {"type": "script", "script": 'echo "prepare {speaker}" >> {log}'},
            "compensation_action": {
                "type": "script",
                "script": 'echo "undo prepare {speaker}" >> {log}',
            },
        },
        {
            "step_id": "train",
            "forward_action": {
                "type": "script",
                "script": 'echo "train {speaker}" >> {log}; sleep {seconds}; '
                'echo "{{\\"model\\": \\"model-{speaker}\\"}}"',
            },
            "compensation_action": {
                "type": "script",
                "script": 'echo "undo train {model}" >> {log}',
            },
        },
    ],
    "context": {"seconds": 0},
}

EVALUATE = {
    "saga_id": "evaluate-speakers",
    "steps": [
        {
            "step_id": "evaluate",
            "forward_action": {
                "type": "script",
                "script": 'echo "evaluate {first} {second}" >> {log}; '
                'echo "{{\\"best\\": \\"{first}\\"}}"',
            },
            "compensation_action": {"type": "script", "script": 'echo "undo evaluate" >> {log}'},
        }
    ],
}


def pipeline(log: Path, last_fails: bool) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [
        {
            "step_id": speaker,
            "forward_action": {
                "type": "run",
                "definition": "train.yaml",
                "input": {"speaker": speaker, "log": "{log}"},
            },
            "parallel_group": "train",
        }
        for speaker in ("alice", "bob")
    ]
    steps.append(
        {
            "step_id": "evaluate",
            "forward_action": {
                "type": "run",
                "definition": "evaluate.yaml",
                "input": {
                    "first": "{alice.train.model}",
                    "second": "{bob.train.model}",
                    "log": "{log}",
                },
            },
        }
    )
    steps.append(
        {
            "step_id": "publish",
            "forward_action": {
                "type": "script",
                "script": (
                    "exit 3" if last_fails else 'echo "publish {evaluate.evaluate.best}" >> {log}'
                ),
            },
        }
    )
    return {"saga_id": "speakers", "steps": steps, "context": {"log": str(log)}}


def write(directory: Path, last_fails: bool = False, seconds: float = 0) -> Path:
    (directory / "train.yaml").write_text(
        yaml.safe_dump({**TRAIN, "context": {"seconds": seconds}})
    )
    (directory / "evaluate.yaml").write_text(yaml.safe_dump(EVALUATE))
    path = directory / "speakers.yaml"
    path.write_text(yaml.safe_dump(pipeline(directory / "log.txt", last_fails)))
    return path


def lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


async def test_children_run_in_parallel_then_in_sequence_with_their_outputs(baton, tmp_path):
    log = tmp_path / "log.txt"
    path = write(tmp_path)
    run = await baton.client.start_file(path)
    result = await asyncio.wait_for(run.result(), 120)
    assert result["status"] == "COMPLETED", result
    logged = lines(log)
    assert logged[-2:] == ["evaluate model-alice model-bob", "publish model-alice"]
    assert sorted(logged[:4]) == sorted(
        ["prepare alice", "train alice", "prepare bob", "train bob"]
    )
    outputs = {s["step_id"]: s["output"] for s in result["steps"]}
    assert outputs["alice"]["train"] == {"model": "model-alice"}
    assert outputs["evaluate"] == {"evaluate": {"best": "model-alice"}}
    children = {c["step_id"]: c for c in result["children"]}
    assert set(children) == {"alice", "bob", "evaluate"}
    assert children["alice"]["run_id"] == f"{result['workflow_id']}.alice"
    assert children["alice"]["definition"] == "train.yaml"
    assert children["alice"]["plan_id"] == "train-speaker"
    assert {c["status"] for c in children.values()} == {"COMPLETED"}
    child = await baton.client.status(children["bob"]["run_id"])
    assert child["status"] == "COMPLETED" and child["kind"] == "saga"


async def test_a_later_failure_undoes_the_children_newest_first(baton, tmp_path):
    log = tmp_path / "log.txt"
    path = write(tmp_path, last_fails=True)
    run = await baton.client.start_file(path)
    result = await asyncio.wait_for(run.result(), 120)
    assert result["status"] == "COMPENSATED", result
    logged = lines(log)
    forward, undone = logged[:5], logged[5:]
    assert forward[-1] == "evaluate model-alice model-bob"
    # reverse completion order: evaluate's child, then the trainer that ended last
    order = [c["step_id"] for c in result["compensations"]]
    assert order[0] == "evaluate" and sorted(order[1:]) == ["alice", "bob"]
    first, second = order[1], order[2]
    assert undone == [
        "undo evaluate",
        f"undo train model-{first}",
        f"undo prepare {first}",
        f"undo train model-{second}",
        f"undo prepare {second}",
    ]
    assert {c["status"] for c in result["compensations"]} == {"COMPENSATED"}
    undo_runs = [c for c in result["children"] if c["undoes"]]
    assert [c["undoes"] for c in undo_runs] == [f"{result['workflow_id']}.{key}" for key in order]
    assert {c["status"] for c in undo_runs} == {"COMPLETED"}


async def test_cancelling_the_parent_cancels_a_running_child_which_undoes_itself(baton, tmp_path):
    log = tmp_path / "log.txt"
    path = write(tmp_path, seconds=60)
    run = await baton.client.start_file(path)
    for _ in range(300):
        if sum(1 for line in lines(log) if line.startswith("train")) == 2:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"the children did not start training: {lines(log)}")
    await run.cancel()
    result = await asyncio.wait_for(run.result(), 120)
    assert result["status"] == "CANCELLED", result
    children = {c["step_id"]: c for c in result["children"]}
    assert children["alice"]["status"] == children["bob"]["status"] == "CANCELLED"
    assert "evaluate" not in children
    for speaker in ("alice", "bob"):
        child = await baton.client.status(children[speaker]["run_id"])
        assert child["status"] == "CANCELLED"
        assert [c["step_id"] for c in child["compensations"]] == ["prepare"]
    assert sorted(lines(log)[4:]) == ["undo prepare alice", "undo prepare bob"]


ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples/ml/pipeline_speakers.yaml"


async def run_example(worker_factory: Any, tmp_path: Path, **context: Any) -> tuple[Any, dict]:
    """examples/ml/pipeline_speakers.yaml, run as written but for its context."""
    definition = yaml.safe_load(EXAMPLE.read_text())
    definition["context"].update(root=str(tmp_path), **context)
    path = tmp_path / "pipeline_speakers.yaml"
    path.write_text(yaml.safe_dump(definition))
    for child in ("train_speaker", "evaluate_speakers", "register_speaker"):
        shutil.copy(ROOT / f"examples/ml/{child}.yaml", tmp_path)
    policy = ExecutionPolicy(python_modules=("examples.ml",))
    async with worker_factory(baton_file=BatonFile(policy=policy)) as env:
        run = await env.client.start_file(path)
        result = await asyncio.wait_for(run.result(), 120)
        code, out, err = await baton_cli(env.settings, "status", run.workflow_id)
        assert code == 0, err
        return out, result


async def test_the_speaker_pipeline_example_trains_evaluates_and_registers(
    worker_factory, tmp_path
):
    shown, result = await run_example(worker_factory, tmp_path)
    assert result["status"] == "COMPLETED", result
    outputs = {s["step_id"]: s["output"] for s in result["steps"]}
    assert outputs["evaluate"]["evaluate"]["accuracy"] >= 0.9
    assert sorted(p.name for p in (tmp_path / "registry").iterdir()) == [
        "alice.model.json",
        "bob.model.json",
    ]
    assert [c["step_id"] for c in result["children"]][2:] == [
        "evaluate",
        "register_alice",
        "register_bob",
    ]
    # `baton status` shows the tree: each child run, what it runs, its status
    assert "child runs" in shown
    for child in result["children"]:
        assert child["run_id"] in shown
    assert "saga train-speaker (train_speaker.yaml)" in shown


async def test_a_failed_evaluation_undoes_the_trained_children(worker_factory, tmp_path):
    _, result = await run_example(worker_factory, tmp_path, min_accuracy=1.01)
    assert result["status"] == "COMPENSATED", result
    assert "below 1.01" in result["failure"]
    # both trainers' files are gone again: their own compensations ran
    assert list((tmp_path / "data").iterdir()) == []
    assert list((tmp_path / "models").iterdir()) == []
    assert not (tmp_path / "registry").exists()
    assert sorted(c["step_id"] for c in result["compensations"]) == ["train_alice", "train_bob"]


async def test_a_grandchild_is_undone_inside_its_parents_undo(baton, tmp_path):
    """speakers -> alice (a saga whose step runs train.yaml) -> train: the
    grandchild's steps are undone by a run nested in the child's undo run."""
    write(tmp_path)
    (tmp_path / "team.yaml").write_text(
        yaml.safe_dump(
            {
                "saga_id": "team",
                "steps": [
                    {
                        "step_id": "member",
                        "forward_action": {
                            "type": "run",
                            "definition": "train.yaml",
                            "input": {"speaker": "{speaker}", "log": "{log}"},
                        },
                    },
                    {
                        "step_id": "enrol",
                        "forward_action": {"type": "script", "script": 'echo "enrol" >> {log}'},
                        "compensation_action": {
                            "type": "script",
                            "script": 'echo "undo enrol" >> {log}',
                        },
                    },
                ],
            }
        )
    )
    log = tmp_path / "log.txt"
    path = tmp_path / "nested.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "saga_id": "nested",
                "context": {"log": str(log)},
                "steps": [
                    {
                        "step_id": "team",
                        "forward_action": {
                            "type": "run",
                            "definition": "team.yaml",
                            "input": {"speaker": "carol", "log": "{log}"},
                        },
                    },
                    {"step_id": "fail", "forward_action": {"type": "script", "script": "exit 3"}},
                ],
            }
        )
    )
    run = await baton.client.start_file(path)
    result = await asyncio.wait_for(run.result(), 120)
    assert result["status"] == "COMPENSATED", result
    assert lines(log) == [
        "prepare carol",
        "train carol",
        "enrol",
        "undo enrol",
        "undo train model-carol",
        "undo prepare carol",
    ]
    undo_id = f"{result['workflow_id']}.team.undo"
    undo = await baton.client.status(undo_id)
    assert [s["step_id"] for s in undo["steps"]] == ["undo_enrol", "undo_member"]
    assert [c["run_id"] for c in undo["children"]] == [f"{undo_id}.undo_member"]


async def test_recovery_undoes_a_completed_pipeline_with_its_children(baton, tmp_path):
    log = tmp_path / "log.txt"
    path = write(tmp_path)
    done = await asyncio.wait_for((await baton.client.start_file(path)).result(), 120)
    assert done["status"] == "COMPLETED"
    monitor = WorkflowMonitor(baton.client)
    result = await monitor.trigger_recovery(done["workflow_id"], "undo it", "compensate")
    assert result.success, result
    undone = await baton.client.wait(result.actions[0].new_workflow_id)
    assert undone["status"] == "COMPLETED", undone
    assert [s["step_id"] for s in undone["steps"]][0] == "undo_evaluate"
    undo_lines = lines(log)[6:]
    assert undo_lines[0] == "undo evaluate"
    assert sorted(undo_lines[1:]) == sorted(
        [
            "undo train model-alice",
            "undo prepare alice",
            "undo train model-bob",
            "undo prepare bob",
        ]
    )
    again = await monitor.trigger_recovery(done["workflow_id"], "once more", "compensate")
    assert not again.success and "nothing left to undo" in again.actions[0].detail


async def test_a_process_child_gets_the_input_and_gives_its_output(baton, tmp_path):
    (tmp_path / "colors.yaml").write_text((ROOT / "examples/process_colors.yaml").read_text())
    out = tmp_path / "mood.txt"
    path = tmp_path / "weather.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "saga_id": "weather",
                "context": {"reading": 25, "out": str(out)},
                "steps": [
                    {
                        "step_id": "pick",
                        "forward_action": {
                            "type": "run",
                            "definition": "colors.yaml",
                            "input": {"temperature": "{reading}"},
                        },
                    },
                    {
                        "step_id": "say",
                        "forward_action": {
                            "type": "script",
                            "script": 'echo "{pick.mood} {pick.degrees}" > {out}',
                        },
                    },
                ],
            }
        )
    )
    result = await asyncio.wait_for((await baton.client.start_file(path)).result(), 120)
    assert result["status"] == "COMPLETED", result
    assert out.read_text().strip() == "warm 25"
    assert result["children"][0]["kind"] == "process"
    assert result["children"][0]["final"]["status"] == "COMPLETED"


async def test_a_run_steps_timeout_cancels_its_child_which_undoes_itself(baton, tmp_path):
    log = tmp_path / "log.txt"
    write(tmp_path, seconds=60)
    path = tmp_path / "bounded.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "saga_id": "bounded",
                "context": {"log": str(log)},
                "steps": [
                    {
                        "step_id": "alice",
                        "forward_action": {
                            "type": "run",
                            "definition": "train.yaml",
                            "input": {"speaker": "alice", "log": "{log}"},
                        },
                        "timeout_minutes": 0.05,  # 3 s
                    }
                ],
            }
        )
    )
    result = await asyncio.wait_for((await baton.client.start_file(path)).result(), 120)
    assert result["status"] == "COMPENSATED", result
    assert result["failure"] == "critical step 'alice' failed: timed out after 3s"
    child = await baton.client.status(result["children"][0]["run_id"])
    assert child["status"] == "CANCELLED"
    assert lines(log) == ["prepare alice", "train alice", "undo prepare alice"]


async def test_a_child_runs_under_its_parents_entry_point(baton, tmp_path):
    """A pipeline from MCP cannot run script steps through a child: refused
    when it is checked, and by the worker when a client skips the check."""
    from baton.engine.interpreter import ProcessWorkflow
    from baton.errors import DefinitionError
    from baton.plan import RunInput, compile_file
    from baton.runtime import TemporalWorkflowClient

    log = tmp_path / "log.txt"
    path = write(tmp_path)
    via_mcp = TemporalWorkflowClient(
        baton.settings, via="mcp", temporal=baton.client.temporal, baton_file=BatonFile()
    )
    with pytest.raises(DefinitionError, match="script steps may not come from mcp"):
        await via_mcp.start_file(path)
    plan = compile_file(path)
    plan.options.origin = "mcp"  # a client that skips validation: only the worker checks
    handle = await baton.client.temporal.start_workflow(
        ProcessWorkflow.run,
        RunInput(plan=plan),
        id=f"forced-{uuid.uuid4().hex[:8]}",
        task_queue=baton.settings.task_queue,
    )
    result = await asyncio.wait_for(handle.result(), 120)
    assert result["status"] == "COMPENSATED", result
    child = await baton.client.status(result["children"][0]["run_id"])
    assert (
        "refused by the execution policy: script steps may not come from mcp"
        in (child["steps"][0]["error"])
    )
    assert not log.exists()


async def test_a_pipeline_of_big_children_keeps_its_status_under_the_payload_limit(baton, tmp_path):
    blob = {
        "type": "script",
        "script": 'printf \'{"blob": "%s"}\' "$(head -c 250000 /dev/zero | tr \'\\0\' x)"',
    }
    (tmp_path / "big.yaml").write_text(
        yaml.safe_dump(
            {
                "saga_id": "big",
                "steps": [
                    {"step_id": f"s{i}", "forward_action": blob, "compensation_action": blob}
                    for i in range(3)
                ],
            }
        )
    )
    path = tmp_path / "bigs.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "saga_id": "bigs",
                "steps": [
                    {
                        "step_id": f"c{i}",
                        "forward_action": {"type": "run", "definition": "big.yaml"},
                        "parallel_group": "all",
                    }
                    for i in range(3)  # 3 x 750 KB kept for their undo: past 2 MB
                ],
            }
        )
    )
    result = await asyncio.wait_for((await baton.client.start_file(path)).result(), 120)
    assert result["status"] == "COMPLETED", result["failure"]
    assert len(json.dumps(result)) < 1_600_000  # Temporal refuses results over 2 MB
    finals = [c["final"] for c in result["children"]]
    assert sum(f["outputs_omitted"] for f in finals) > 0
    assert result["outputs_omitted"] > 0


async def test_a_failing_sibling_cancels_a_running_child(baton, tmp_path):
    log = tmp_path / "log.txt"
    write(tmp_path, seconds=60)
    path = tmp_path / "sibling.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "saga_id": "sibling",
                "context": {"log": str(log)},
                "steps": [
                    {
                        "step_id": "alice",
                        "forward_action": {
                            "type": "run",
                            "definition": "train.yaml",
                            "input": {"speaker": "alice", "log": "{log}"},
                        },
                        "parallel_group": "g",
                    },
                    {
                        "step_id": "broken",
                        "forward_action": {
                            "type": "script",
                            "script": "until grep -q train {log}; do sleep 0.1; done; exit 3",
                        },
                        "parallel_group": "g",
                    },
                ],
            }
        )
    )
    result = await asyncio.wait_for((await baton.client.start_file(path)).result(), 60)
    assert result["status"] == "COMPENSATED", result
    assert result["children"][0]["status"] == "CANCELLED"
    assert lines(log) == ["prepare alice", "train alice", "undo prepare alice"]


async def test_a_cancel_during_a_childs_undo_does_not_stop_it(baton, tmp_path):
    log = tmp_path / "log.txt"
    (tmp_path / "slow_undo.yaml").write_text(
        yaml.safe_dump(
            {
                "saga_id": "slow-undo",
                "steps": [
                    {
                        "step_id": "work",
                        "forward_action": {"type": "script", "script": 'echo "work" >> {log}'},
                        "compensation_action": {
                            "type": "script",
                            "script": 'echo "undo started" >> {log}; sleep 2; '
                            'echo "undo done" >> {log}',
                        },
                    }
                ],
            }
        )
    )
    path = tmp_path / "parent.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "saga_id": "cancel-in-undo",
                "context": {"log": str(log)},
                "steps": [
                    {
                        "step_id": "child",
                        "forward_action": {
                            "type": "run",
                            "definition": "slow_undo.yaml",
                            "input": {"log": "{log}"},
                        },
                    },
                    {"step_id": "fail", "forward_action": {"type": "script", "script": "exit 3"}},
                ],
            }
        )
    )
    run = await baton.client.start_file(path)
    for _ in range(300):
        if "undo started" in lines(log):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"the child's undo did not start: {lines(log)}")
    await run.cancel()
    result = await asyncio.wait_for(run.result(), 60)
    assert lines(log) == ["work", "undo started", "undo done"]
    assert result["compensations"][0]["status"] == "COMPENSATED"
    assert result["status"] == "CANCELLED"  # the cancel is recorded; the undo finished
    assert any(a["event"] == "cancel_requested" for a in result["audit"])
