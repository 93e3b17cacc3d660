from __future__ import annotations

import pytest

from baton.engine.placeholders import PlaceholderError, resolve


def test_bare_names_search_scopes_in_order():
    assert resolve("/users/{user_id}", [{"user_id": "u-2"}, {"user_id": "u-1"}], {}) == "/users/u-2"


def test_whole_value_keeps_its_type():
    assert resolve({"replicas": "{n}", "flags": "{f}"}, [{"n": 3, "f": [1, 2]}], {}) == {
        "replicas": 3,
        "flags": [1, 2],
    }


def test_dotted_reference_reads_a_step_output():
    named = {"create": {"user": {"id": 7}}, "context": {"env": "prod"}}
    assert resolve("{create.user.id}-{context.env}", [], named) == "7-prod"


def test_shell_variables_and_escaped_braces_are_left_alone():
    text = 'echo ${HOME} {{literal}} {"json": 1}'
    assert resolve(text, [{"HOME": "no"}], {}) == 'echo ${HOME} {literal} {"json": 1}'


def test_non_string_values_inside_text_are_json():
    assert resolve("ids={ids}!", [{"ids": [1, 2]}], {}) == "ids=[1, 2]!"


def test_missing_value_names_the_placeholder_and_what_exists():
    with pytest.raises(PlaceholderError) as info:
        resolve("{account_id}", [{"user_id": 1}], {})
    assert str(info.value) == "placeholder {account_id} has no value; available: user_id"
