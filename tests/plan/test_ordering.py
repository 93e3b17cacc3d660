"""The list-order rule: implicit waits, parallel groups, explicit dependencies."""

from __future__ import annotations

from baton.plan import compile_definition
from tests.support.sagas import saga, script, step


def after(definition):
    return {s.id: s.after for s in compile_definition(definition).steps}


def test_steps_without_dependencies_follow_list_order():
    assert after(
        saga(step("a", script("true")), step("b", script("true")), step("c", script("true")))
    ) == {
        "a": [],
        "b": ["a"],
        "c": ["b"],
    }


def test_consecutive_parallel_group_is_one_stage():
    definition = saga(
        step("a", script("true")),
        step("p1", script("true"), parallel_group="g"),
        step("p2", script("true"), parallel_group="g"),
        step("z", script("true")),
    )
    assert after(definition) == {"a": [], "p1": ["a"], "p2": ["a"], "z": ["p1", "p2"]}


def test_same_group_name_later_is_a_new_stage():
    definition = saga(
        step("p1", script("true"), parallel_group="g"),
        step("mid", script("true")),
        step("p2", script("true"), parallel_group="g"),
    )
    assert after(definition) == {"p1": [], "mid": ["p1"], "p2": ["mid"]}


def test_explicit_empty_dependencies_start_at_once():
    definition = saga(step("a", script("true")), step("b", script("true"), dependencies=[]))
    assert after(definition) == {"a": [], "b": []}


def test_config_argument_overrides_file_config():
    definition = saga(step("a", script("true"), retry_count=2), config={"retry_failed_steps": True})
    plan = compile_definition(
        definition, config={"retry_failed_steps": False, "timeout_seconds": 60}
    )
    assert plan.steps[0].retry.max_attempts == 1
    assert plan.options.deadline_seconds == 60


def test_agent_types_from_baton_yaml_are_known():
    from baton.config import AgentConfig, BatonFile

    definition = saga(step("a", {"type": "task", "description": "x"}, agent_type="reviewer"))
    baton_file = BatonFile(agents={"reviewer": AgentConfig("reviewer", ["reviewer-cli"])})
    plan = compile_definition(definition, baton_file=baton_file)
    assert plan.steps[0].agent_type == "reviewer"


def test_builtin_agent_names_are_case_insensitive():
    definition = saga(step("a", {"type": "task"}, agent_type="claude"))
    assert compile_definition(definition).steps[0].agent_type == "CLAUDE"
