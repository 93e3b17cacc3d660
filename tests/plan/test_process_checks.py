"""What a process may not do with ``$secrets`` and with ``input.schema`` /
``output.schema``, refused when it is compiled, naming the place."""

from __future__ import annotations

from typing import Any

import pytest

from baton.errors import DefinitionError
from baton.plan.frontends import CompileContext, compile_document


def doc(*tasks: dict[str, Any]) -> dict[str, Any]:
    return {
        "document": {"dsl": "1.0.3", "namespace": "test", "name": "p", "version": "1.0.0"},
        "do": list(tasks),
    }


def process(*tasks: dict, use: dict | None = None) -> dict:
    return {**doc(*tasks), **({"use": use} if use else {})}


def test_a_schema_that_is_not_one_is_refused_naming_its_place():

    bad = doc({"x": {"set": {"n": 1}, "input": {"schema": {"document": {"type": "integr"}}}}})
    with pytest.raises(DefinitionError) as refused:
        compile_document(bad, CompileContext(source="<dict>"))
    assert "/do/0/x/input/schema/document: the schema is not a JSON Schema" in str(refused.value)
    remote = doc(
        {"x": {"set": {"n": 1}, "output": {"schema": {"resource": {"endpoint": "http://x"}}}}}
    )
    with pytest.raises(DefinitionError, match="external resource is not supported yet"):
        compile_document(remote, CompileContext(source="<dict>"))


@pytest.mark.parametrize(
    ("task", "use", "message"),
    [
        (
            {"set": {"leak": "${ $secrets.api_token }"}},
            None,
            "/do/0/t/set: $secrets may be used only in a call's endpoint, headers",
        ),
        (
            {"run": {"shell": {"command": '${ "echo " + $secrets.api_token }'}}},
            None,
            "task 't' uses $secrets in its code; a secret may be used only in environment",
        ),
        (
            {
                "call": "http",
                "with": {"method": "get", "endpoint": "http://x", "headers": "${ $secrets }"},
            },
            None,
            "task 't' uses $secrets other than as $secrets.NAME",
        ),
        (
            {
                "call": "http",
                "with": {"method": "get", "endpoint": "http://x", "body": "${ $secrets.other }"},
            },
            {"secrets": ["api_token"]},
            "uses the secret 'other', which use.secrets does not declare (it declares: api_token)",
        ),
        (
            {"emit": {"event": {"with": {"type": "t", "data": "${ $secrets.api_token }"}}}},
            None,
            "/do/0/t/with: $secrets may be used only",
        ),
    ],
    ids=["set", "shell-command", "whole-map", "undeclared", "emit"],
)
def test_secrets_where_their_value_would_enter_the_run_are_refused(task, use, message):

    with pytest.raises(DefinitionError) as refused:
        compile_document(process({"t": task}, use=use), CompileContext(source="<dict>"))
    assert message in str(refused.value)


@pytest.mark.parametrize(
    ("task", "message"),
    [
        (
            {"call": "baton/decision", "with": {}},
            "/do/0/t/with/file: call: baton/decision needs 'file', the DMN model's path",
        ),
        (
            {"call": "baton/deploy", "with": {}},
            "uses call: baton/deploy, which Baton does not have; it has baton/approval",
        ),
        (
            {"call": "baton/approval", "with": {"approvers": "${ .who }"}},
            "/do/0/t/with/approvers: approvers of call: baton/approval must be written out",
        ),
        (
            {"call": "baton/approval", "with": {"approvers": ["a@x.io"], "quorum": 0}},
            "/do/0/t/with/quorum: ",
        ),
        (
            {"call": "baton/approval", "with": {"approvers": ["a@x.io"], "stages": []}},
            "either 'approvers' (one stage) or 'stages', not both",
        ),
        (
            {"call": "baton/agent", "with": {"agent": "nobody", "description": "x"}},
            "/do/0/t/with/agent: unknown agent type 'nobody'; built in: CLAUDE, AIDER, CODEX",
        ),
        (
            {"call": "baton/agent", "with": {"description": "x"}},
            "call: baton/agent needs 'agent'",
        ),
        (
            {"set": {"a": 1}, "metadata": {"baton": {"compensate": {"set": {"b": 2}}}}},
            "/do/0/t/metadata/baton/compensate: task 't': a compensation is one call or run task",
        ),
        (
            {"set": {"a": 1}, "metadata": {"baton": {"parallel": True}}},
            "/do/0/t/metadata/baton: task 't': parallel and max_concurrency go on a for task",
        ),
        (
            {
                "for": {"in": ".xs", "each": "x"},
                "while": ". != null",
                "do": [{"s": {"set": {}}}],
                "metadata": {"baton": {"parallel": True}},
            },
            "a parallel for cannot have while",
        ),
        (
            {"set": {"a": 1}, "metadata": {"baton": {"paralel": True}}},
            "/do/0/t/metadata/baton/paralel",
        ),
        (
            {
                "for": {"in": ".xs", "each": "x"},
                "do": [{"s": {"set": {}}}],
                "metadata": {"baton": {"max_concurrency": 2}},
            },
            "/do/0/t/metadata/baton/max_concurrency: task 't': max_concurrency goes with parallel",
        ),
    ],
    ids=[
        "decision-without-file",
        "unknown",
        "dynamic-approvers",
        "bad-quorum",
        "both-forms",
        "unknown-agent",
        "no-agent",
        "compensation-not-action",
        "parallel-not-for",
        "parallel-while",
        "unknown-key",
        "limit-without-parallel",
    ],
)
def test_batons_extensions_are_checked_naming_the_place(task, message):
    with pytest.raises(DefinitionError) as refused:
        compile_document(doc({"t": task}), CompileContext(source="<dict>"))
    assert message in str(refused.value)


def test_a_compensation_may_use_secrets_where_its_call_resolves_them():
    undo = {
        "call": "http",
        "with": {
            "method": "delete",
            "endpoint": "http://billing.example.com/charges",
            "headers": {"Authorization": '${ "Bearer " + $secrets.billing }'},
        },
    }
    task = {
        "call": "http",
        "with": {"method": "post", "endpoint": "http://billing.example.com/charges"},
        "metadata": {"baton": {"compensate": undo}},
    }
    plan = compile_document(doc({"charge": task}), CompileContext(source="<dict>"))
    assert plan.steps[0].compensation == {"type": "http", "output": "content", "redirect": False}
    leaky = {**undo, "with": {**undo["with"], "method": "${ $secrets.billing }"}}
    task["metadata"] = {"baton": {"compensate": leaky}}
    with pytest.raises(DefinitionError, match="uses \\$secrets in method"):
        compile_document(doc({"charge": task}), CompileContext(source="<dict>"))
