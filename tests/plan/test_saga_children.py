"""Saga ``run`` steps compiled into the parent's plan (docs/sagas.md,
"Pipelines: child runs"): a child of any kind, pinned in the plan; the
child's problems named with its path; cycles and approvals refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from baton.errors import DefinitionError
from baton.plan import compile_file
from baton.plan.model import NodeKind

ROOT = Path(__file__).resolve().parents[2]


def saga(path: Path, *steps: dict, **extra: object) -> Path:
    path.write_text(yaml.safe_dump({"saga_id": path.stem, "steps": list(steps), **extra}))
    return path


def run_step(step_id: str, definition: str, **fields: object) -> dict:
    return {
        "step_id": step_id,
        "forward_action": {"type": "run", "definition": definition},
        **fields,
    }


def test_a_process_child_is_compiled_into_the_parent(tmp_path):
    (tmp_path / "colors.yaml").write_text((ROOT / "examples/process_colors.yaml").read_text())
    plan = compile_file(saga(tmp_path / "parent.yaml", run_step("pick", "colors.yaml")))
    node = plan.steps[0]
    assert node.kind == NodeKind.SUBPROCESS
    assert node.subprocess is not None and node.subprocess.kind == "process"
    assert node.child is not None and node.child.definition == "colors.yaml"
    assert node.child.undo and node.child.input is None
    assert node.retry.max_attempts == 1


def test_the_example_pipeline_pins_its_children_in_order():
    plan = compile_file(ROOT / "examples/ml/pipeline_speakers.yaml")
    after = {s.id: s.after for s in plan.steps}
    assert after == {
        "train_alice": [],
        "train_bob": [],
        "evaluate": ["train_alice", "train_bob"],
        "register_alice": ["evaluate"],
        "register_bob": ["register_alice"],
    }
    assert {s.subprocess.id for s in plan.steps if s.subprocess} == {
        "train-speaker",
        "evaluate-speakers",
        "register-speaker",
    }


def test_a_compensation_action_replaces_the_automatic_undo_and_a_timeout_bounds_the_child(
    tmp_path,
):
    saga(
        tmp_path / "child.yaml",
        {"step_id": "x", "forward_action": {"type": "script", "script": "true"}},
    )
    undo = {"type": "script", "script": "echo undo"}
    plan = compile_file(
        saga(
            tmp_path / "parent.yaml",
            run_step("c", "child.yaml", compensation_action=undo, timeout_minutes=2),
        )
    )
    node = plan.steps[0]
    assert node.child is not None and not node.child.undo
    assert node.compensation is not None and node.compensation["script"] == "echo undo"
    assert node.deadline_seconds == 120


def test_a_cycle_through_two_files_is_refused(tmp_path):
    saga(tmp_path / "a.yaml", run_step("to_b", "b.yaml"))
    saga(tmp_path / "b.yaml", run_step("to_a", "a.yaml"))
    with pytest.raises(DefinitionError) as info:
        compile_file(tmp_path / "a.yaml")
    assert [i.message for i in info.value.issues] == [
        "b.yaml at steps[0].forward_action.definition: "
        "definitions run each other in a cycle: a.yaml -> b.yaml -> a.yaml"
    ]


def test_an_approval_chain_is_not_a_child_run(tmp_path):
    (tmp_path / "ok.yaml").write_text(
        yaml.safe_dump({"stage": "ok", "stages": [{"name": "ok", "approvers": ["a@x.org"]}]})
    )
    with pytest.raises(DefinitionError) as info:
        compile_file(saga(tmp_path / "parent.yaml", run_step("ask", "ok.yaml")))
    assert "is an approval chain" in info.value.issues[0].message
    assert info.value.issues[0].path == "steps[0].forward_action.definition"


def test_a_choreography_saga_cannot_run_children(tmp_path):
    saga(
        tmp_path / "child.yaml",
        {"step_id": "x", "forward_action": {"type": "script", "script": "true"}},
    )
    with pytest.raises(DefinitionError) as info:
        compile_file(
            saga(
                tmp_path / "parent.yaml",
                run_step("c", "child.yaml"),
                coordination_mode="choreography",
            )
        )
    assert "has a 'run' action" in str(info.value)


def test_a_project_and_a_bpmn_model_are_children_too(tmp_path):
    for name in ("ecommerce_project.yaml", "bpmn/order_routing.bpmn"):
        (tmp_path / Path(name).name).write_bytes((ROOT / "examples" / name).read_bytes())
    plan = compile_file(
        saga(
            tmp_path / "parent.yaml",
            run_step("build", "ecommerce_project.yaml"),
            run_step("route", "order_routing.bpmn"),
        )
    )
    assert [s.subprocess.kind for s in plan.steps if s.subprocess] == ["project", "bpmn"]


def test_definitions_nest_at_most_eight_deep(tmp_path):
    for level in range(1, 8):
        saga(tmp_path / f"l{level}.yaml", run_step("next", f"l{level + 1}.yaml"))
    saga(
        tmp_path / "l8.yaml",
        {"step_id": "x", "forward_action": {"type": "script", "script": "true"}},
    )
    assert compile_file(tmp_path / "l1.yaml").steps[0].subprocess is not None  # 8 deep: fine
    saga(tmp_path / "l8.yaml", run_step("next", "l9.yaml"))
    saga(
        tmp_path / "l9.yaml",
        {"step_id": "x", "forward_action": {"type": "script", "script": "true"}},
    )
    with pytest.raises(DefinitionError, match="child runs nest deeper than 8 definitions"):
        compile_file(tmp_path / "l1.yaml")


@pytest.mark.parametrize("where", ["../outside.yaml", "ABSOLUTE"])
def test_a_child_outside_the_definitions_directories_is_not_read(tmp_path, where):
    """A definition may come from anyone (MCP): it cannot make Baton read a
    file outside its own directory and the search path."""
    inside, outside = tmp_path / "defs", tmp_path / "outside.yaml"
    inside.mkdir()
    saga(outside, {"step_id": "x", "forward_action": {"type": "script", "script": "true"}})
    name = str(outside) if where == "ABSOLUTE" else where
    with pytest.raises(DefinitionError) as info:
        compile_file(saga(inside / "parent.yaml", run_step("c", name)))
    assert "a relative path that stays inside it" in str(info.value)


def test_a_dmn_file_outside_the_definitions_directory_is_not_read(tmp_path):
    import shutil

    from baton.definitions.dmn.files import DecisionFiles

    inside = tmp_path / "defs"
    inside.mkdir()
    (inside / "parent.yaml").write_text("saga_id: p\n")
    model = next((Path(__file__).resolve().parents[2] / "examples" / "dmn").glob("*.dmn"))
    shutil.copy(model, tmp_path / "secret.dmn")
    files = DecisionFiles.for_source(str(inside / "parent.yaml"))
    assert files.find("../secret.dmn") is None
    assert files.find(str(tmp_path / "secret.dmn")) is None
    shutil.copy(model, inside / "ok.dmn")
    assert files.find("ok.dmn") == (inside / "ok.dmn").resolve()
