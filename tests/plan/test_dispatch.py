"""Which steps run as local activities (plan/dispatch.py): decided once,
when the run starts, and written into its plan."""

from __future__ import annotations

import pytest

from baton.errors import DefinitionError
from baton.plan import compile_definition
from baton.plan.checks import check_plan, plan_issues
from baton.plan.dispatch import LOCAL_STEP_SECONDS, settle
from baton.plan.frontends import CompileContext, compile_document
from baton.plan.model import NodeKind
from tests.support.plans import call, control, node, plan
from tests.support.sagas import api, saga, script, step

AGENT = {"type": "task", "prompt": "fix it"}


def locals_of(the_plan) -> dict[str, bool | None]:
    return {s.id: s.local for s in the_plan.steps}


def test_short_steps_run_locally_by_themselves() -> None:
    the_plan = plan(
        node("short", call("echo", 1), timeout_seconds=LOCAL_STEP_SECONDS),
        node("long", call("echo", 1), timeout_seconds=LOCAL_STEP_SECONDS + 1),
        node("deadline", call("echo", 1), deadline_seconds=5),
        node("script", script("true"), timeout_seconds=2),
        control("pause", NodeKind.NOOP),
    )
    assert locals_of(settle(the_plan)) == {
        "short": True,
        "long": False,  # the default step timeout is 300 s: most steps stay on the queue
        "deadline": True,  # the whole node is bounded by 5 s
        "script": True,
        "pause": False,
    }


def test_what_a_definition_asks_for_is_kept() -> None:
    plan_ = compile_definition(
        saga(
            step("asked", api("http://x/a"), local=True),
            step("refused", api("http://x/b"), local=False, timeout_minutes=0.1),
            step("open", api("http://x/c")),
        )
    )
    assert locals_of(plan_) == {"asked": True, "refused": False, "open": None}
    assert locals_of(settle(plan_)) == {"asked": True, "refused": False, "open": False}


def test_steps_that_need_heartbeats_or_outlive_a_step_never_run_locally() -> None:
    the_plan = plan(
        node("agent", AGENT, timeout_seconds=5, agent_type="CLAUDE"),
        node("detached", call("echo", 1), timeout_seconds=5, detached=True),
        node(
            "undo_is_an_agent",
            call("echo", 1),
            timeout_seconds=5,
            compensation=AGENT,
        ),
    )
    assert locals_of(settle(the_plan)) == {
        "agent": False,
        "detached": False,
        "undo_is_an_agent": False,
    }


def test_nested_steps_and_undo_handlers_are_settled_too() -> None:
    inner = node("inner", call("echo", 1), timeout_seconds=1)
    undo = node("undo", call("echo", 2), timeout_seconds=1)
    outer = control("scope", NodeKind.SCOPE, body=[inner])
    undone = node("undone", call("echo", 3), undo_with=undo)
    settle(plan(outer, undone))
    assert (inner.local, undo.local, outer.local, undone.local) == (True, True, False, False)


def test_asking_a_step_that_cannot_run_locally_is_an_error_naming_it() -> None:
    with pytest.raises(DefinitionError) as raised:
        check_plan(plan(node("fix", AGENT, agent_type="CLAUDE", local=True)))
    (issue,) = raised.value.issues
    assert issue.path == "steps[0].local"
    assert "'fix' cannot run as a local step: a task action cannot run locally" in issue.message
    assert "api_call" in issue.message and "python" in issue.message  # what may
    wait = control("pause", NodeKind.NOOP, local=True)
    assert [i.message for i in plan_issues(plan(wait))] == [
        "'pause' cannot run as a local step: it is a noop node, not an action"
    ]


def test_a_process_task_with_a_short_timeout_runs_locally() -> None:
    document = {
        "document": {"dsl": "1.0.3", "namespace": "test", "name": "t", "version": "1.0.0"},
        "do": [
            {
                "quick": {
                    "call": "http",
                    "with": {"method": "get", "endpoint": "http://127.0.0.1:1/x"},
                    "timeout": {"after": "PT5S"},
                }
            },
            {
                "slow": {
                    "call": "http",
                    "with": {"method": "get", "endpoint": "http://127.0.0.1:1/y"},
                }
            },
        ],
    }
    compiled = settle(compile_document(document, CompileContext(source="t.yaml")))
    assert locals_of(compiled) == {"/do/0/quick": True, "/do/1/slow": False}


def test_a_saga_asking_an_agent_step_to_run_locally_is_refused_when_compiled() -> None:
    """``baton validate`` compiles: the error comes before any run starts."""
    with pytest.raises(DefinitionError) as raised:
        compile_definition(
            saga(step("fix", AGENT, agent_type="CLAUDE", local=True), step("ok", api("http://x")))
        )
    (issue,) = raised.value.issues
    assert issue.path == "steps[0].local"
    assert issue.message == (
        "step 'fix' cannot run as a local step: a task action cannot run locally (it needs "
        "heartbeats or outlives the step); local steps run api_call, python, script actions"
    )


def test_ten_seconds_written_in_minutes() -> None:
    short = settle(compile_definition(saga(step("a", api("http://x"), timeout_minutes=0.16))))
    over = settle(compile_definition(saga(step("a", api("http://x"), timeout_minutes=0.1667))))
    assert (short.steps[0].local, over.steps[0].local) == (True, False)  # 9.6 s; 10.002 s


def process_doc(*tasks: dict) -> dict:
    return {
        "document": {"dsl": "1.0.3", "namespace": "test", "name": "t", "version": "1.0.0"},
        "do": list(tasks),
    }


def test_a_process_task_says_local_in_its_baton_metadata() -> None:
    http = {"method": "get", "endpoint": "http://127.0.0.1:1/x"}
    compiled = settle(
        compile_document(
            process_doc(
                {"asked": {"call": "http", "with": http, "metadata": {"baton": {"local": True}}}},
                {
                    "refused": {
                        "call": "http",
                        "with": http,
                        "timeout": {"after": "PT5S"},
                        "metadata": {"baton": {"local": False}},
                    }
                },
            ),
            CompileContext(source="t.yaml"),
        )
    )
    assert locals_of(compiled) == {"/do/0/asked": True, "/do/1/refused": False}


def test_a_process_task_that_cannot_run_locally_says_so() -> None:
    with pytest.raises(DefinitionError) as raised:
        compile_document(
            process_doc({"pause": {"wait": "PT1S", "metadata": {"baton": {"local": True}}}}),
            CompileContext(source="t.yaml"),
        )
    (issue,) = raised.value.issues
    assert issue.path == "/do/0/pause/metadata/baton/local"
    assert "task 'pause' cannot run as a local step: only call: http" in issue.message
