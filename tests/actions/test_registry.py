"""The action registry is the one list: the worker's executors, the
definition models and the execution policy all agree with it."""

from __future__ import annotations

from temporalio import activity

from baton.actions.executors import ActionSet
from baton.actions.registry import ACTION_KINDS, ACTIVITY_NAMES, CODE_ACTIONS, DEFINITION_TYPES
from baton.actions.types import CALLBACK_ACTIVITY, NOTIFY_ACTIVITY
from baton.config import BatonFile
from baton.definitions.actions import MODELS
from baton.policy import default_rules


def registered_activity_names() -> set[str]:
    names = set()
    for fn in ActionSet(BatonFile()).activities:
        defn = activity._Definition.from_callable(fn)
        assert defn is not None and defn.name is not None
        names.add(defn.name)
    return names


def test_every_action_has_an_executor_and_nothing_else_runs() -> None:
    assert registered_activity_names() == set(ACTIVITY_NAMES.values()) | {
        NOTIFY_ACTIVITY,
        CALLBACK_ACTIVITY,
    }


def test_definitions_accept_exactly_the_public_action_types() -> None:
    assert tuple(MODELS) == DEFINITION_TYPES
    assert all(not ACTION_KINDS[name].internal for name in DEFINITION_TYPES)


def test_untrusted_entry_points_may_not_submit_code() -> None:
    assert set(CODE_ACTIONS) == {"script", "python", "mcp_stdio"}
    assert set(default_rules("mcp").denied) == set(CODE_ACTIONS)
    assert default_rules("cli").denied == ()
