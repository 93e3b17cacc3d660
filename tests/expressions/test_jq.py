"""jq expressions: deterministic (clock, environment and input built-ins are
refused), bounded (a runaway expression stops its helper, not the worker),
with Baton's names as jq variables."""

from __future__ import annotations

import time

import pytest

from baton.expressions import ExpressionError, ExpressionTimeout, check, evaluate
from baton.expressions.jqlang import references


def jq(source: str, **scope):  # type: ignore[no-untyped-def]
    return evaluate(source, scope, "jq")


def test_dot_is_the_output_else_the_input_and_names_are_variables() -> None:
    assert jq(".a + $x", input={"a": 1}, x=2) == 3
    assert jq("{ ids: [ $input, .id ] }", input=1, output={"id": 2}) == {"ids": [1, 2]}
    assert jq(".", **{".": "explicit", "input": "no"}) == "explicit"
    assert jq("$context.n * 2", input=None, context={"n": 21}) == 42


def test_no_output_is_null_and_several_give_the_first() -> None:
    assert jq("empty", input=1) is None
    assert jq(".[]", input=[7, 8]) == 7


def test_string_interpolation_and_definitions_work() -> None:
    assert jq('"hello \\(.name)"', input={"name": "ada"}) == "hello ada"
    assert jq("def twice: . * 2; .n | twice", input={"n": 4}) == 8


@pytest.mark.parametrize(
    ("source", "word"),
    [
        ("now", "now"),
        ('"at \\(now | todate)"', "now"),
        ("env.HOME", "env"),
        ("$ENV.PATH", "$ENV"),
        ("input", "input"),
        ("[inputs]", "inputs"),
        (".t | localtime", "localtime"),
        ('import "x" as x; .', "import"),
        ("debug", "debug"),
        ('halt_error("x")', "halt_error"),
    ],
)
def test_nondeterministic_builtins_are_refused_at_check_and_at_evaluation(source, word) -> None:
    problem = check(source, "jq")
    assert problem is not None and problem.startswith(f"uses {word}, which "), problem
    with pytest.raises(ExpressionError, match=f"uses {word.replace('$', '[$]')}"):
        jq(source, input=None)


def test_a_field_or_a_string_named_like_a_builtin_is_fine() -> None:
    assert check(".now", "jq") is None
    assert check("{input: .input, now: 1}", "jq") is None
    assert check('"now" | ascii_upcase', "jq") is None
    assert check("# now\n.a", "jq") is None
    assert jq(".env", input={"env": "prod"}) == "prod"


def test_syntax_errors_and_unknown_functions_name_the_place() -> None:
    assert check(".a +", "jq") == (
        "is not valid jq: syntax error, unexpected end of file at <top-level>, line 1, column 4"
    )
    assert check(".a | nosuch(1)", "jq") == (
        "is not valid jq: nosuch/1 is not defined at <top-level>, line 1, column 6"
    )


def test_runtime_errors_and_unknown_variables_are_expression_errors() -> None:
    with pytest.raises(ExpressionError, match="failed: boom"):
        jq('error("boom")', input=1)
    with pytest.raises(ExpressionError, match=r"unknown variable \$nope \(known: \$input\)"):
        jq("$nope", input=1)


def test_a_runaway_expression_times_out_and_the_next_one_still_runs() -> None:
    began = time.monotonic()
    with pytest.raises(ExpressionTimeout, match="took longer than"):
        jq("repeat(1)", input=1)
    assert time.monotonic() - began < 5
    with pytest.raises(ExpressionTimeout):
        jq("[range(1e10)] | length", input=1)
    assert jq(". + 1", input=1) == 2  # a fresh helper


def test_references_skip_strings_but_not_interpolations() -> None:
    words, variables = references('"x \\(.a | now) \\"env\\"" | $v | .input')
    assert "now" in words and "env" not in words and "input" not in words
    assert variables == {"v"}


@pytest.mark.parametrize(
    "source",
    [
        '{"method": "get", "endpoint": "http://x/a", "headers": {"a": "b"}}',
        '["x", 1, -7, true, false, null, {"n": [9007199254740992]}]',
        '"text"',
        "1.0",  # jq gives 1: left to jq
        "12345678901234567890",  # jq rounds it: left to jq
        '{"a": 1.5}',
        "1e2",
    ],
)
def test_a_json_literal_gives_what_jq_gives(source: str) -> None:
    """JSON texts skip the helper (a process's literal call arguments): the
    value must be exactly jq's, or replays would differ."""
    import jq

    from baton.expressions.jqlang import evaluate as jq_evaluate

    expected = jq.compile(source).input_value(None).first()
    got = jq_evaluate(source, {})
    assert got == expected and type(got) is type(expected)
    if isinstance(got, dict):
        got["mutated"] = True  # the caller's own copy: the next answer is unchanged
        assert jq_evaluate(source, {}) == expected
