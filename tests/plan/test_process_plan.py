"""Serverless Workflow 1.0 documents: what the reader refuses (by JSON
pointer) and how the compiler lays tasks out as plan nodes."""

from __future__ import annotations

from typing import Any

import pytest

from baton.errors import DefinitionError
from baton.plan.frontends import CompileContext, compile_document
from baton.plan.model import END, Join, NodeKind


def doc(*tasks: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {
        "document": {"dsl": "1.0.3", "namespace": "test", "name": "t", "version": "1.0.0"},
        "do": list(tasks),
        **top,
    }


def compile_(data: dict[str, Any]) -> Any:
    return compile_document(data, CompileContext(source="t.yaml"))


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(DefinitionError) as raised:
        compile_(data)
    return [f"{i.path}: {i.message}" for i in raised.value.issues]


def test_a_sequence_is_a_chain_of_join_each_nodes_named_by_pointer() -> None:
    plan = compile_(doc({"a": {"set": {"x": 1}}}, {"b": {"set": {"y": "${ .x }"}}}))
    assert plan.kind == "process" and plan.id == "test.t"
    a, b = plan.steps
    assert (a.id, b.id) == ("/do/0/a", "/do/1/b")
    assert (a.kind, b.kind) == (NodeKind.SET, NodeKind.SET)
    assert b.after == ["/do/0/a"] and {a.join, b.join} == {Join.EACH}
    assert b.value.source == '{"y": (.x)}' and b.value.language == "jq"
    assert plan.options.failed_status == "FAILED"


def test_then_jumps_become_routes_and_unreachable_tasks_are_left_out() -> None:
    plan = compile_(
        doc(
            {"red": {"set": {"c": "red"}, "then": "green"}},
            {"never": {"set": {"c": "x"}, "then": "end"}},
            {"green": {"set": {"c": "green"}, "then": "exit"}},
        )
    )
    ids = [s.id for s in plan.steps]
    assert ids == ["/do/0/red", "/do/2/green"]
    red, green = plan.steps
    assert [r.to for r in red.routes] == ["/do/2/green"] and green.after == ["/do/0/red"]


def test_a_switch_routes_by_case_with_its_own_then_as_the_default() -> None:
    plan = compile_(
        doc(
            {"s": {"switch": [{"big": {"when": ".n > 9", "then": "big"}}], "then": "end"}},
            {"big": {"set": {"size": "big"}}},
        )
    )
    switch = plan.steps[0]
    assert switch.kind == NodeKind.NOOP
    assert [(r.to, r.when.source if r.when else None) for r in switch.routes] == [
        ("/do/1/big", ".n > 9"),
        (END, None),
    ]


def test_try_catch_has_a_handler_scope_that_gets_the_error() -> None:
    plan = compile_(
        doc(
            {
                "t": {
                    "try": [{"fail": {"raise": {"error": {"type": "x", "status": 409}}}}],
                    "catch": {
                        "errors": {"with": {"status": 409}},
                        "as": "err",
                        "do": [{"h": {"set": "${ $err }"}}],
                    },
                }
            },
            {"after": {"set": {"ok": True}}},
        )
    )
    try_node, handler, after = plan.steps
    assert try_node.kind == NodeKind.SCOPE and try_node.catch[0].to == handler.id == "/do/0/t/catch"
    assert try_node.catch[0].status == 409 and try_node.catch[0].as_name == "err"
    assert handler.input_as == "err" and handler.after == ["/do/0/t"]
    assert sorted(after.after) == ["/do/0/t", "/do/0/t/catch"]
    assert [r.to for r in try_node.routes] == ["/do/1/after"]


def test_calls_compute_their_arguments_and_expand_uri_templates() -> None:
    plan = compile_(
        doc(
            {
                "get": {
                    "call": "http",
                    "with": {
                        "method": "get",
                        "endpoint": {
                            "uri": "https://pets.example/v2/pet/{petId}?q={q}",
                            "authentication": {"basic": {"username": "u", "password": "p"}},
                        },
                        "headers": {"x-id": "${ .id }"},
                        "output": "response",
                    },
                }
            },
            {
                "tell": {
                    "emit": {
                        "event": {"with": {"type": "t", "source": "s", "data": {"n": "${ .n }"}}}
                    }
                }
            },
        )
    )
    get, tell = plan.steps
    assert get.action == {"type": "http", "output": "response", "redirect": False}
    assert get.action_from.source == (
        '{"method": "get", "endpoint": ("https://pets.example/v2/pet/" + (.petId | tostring | @uri)'
        ' + "?q=" + (.q | tostring | @uri)), "headers": {"x-id": (.id)}, '
        '"auth": {"basic": {"username": "u", "password": "p"}}}'
    )
    assert tell.action == {"type": "emit"}
    assert tell.action_from.source == '{"event": {"type": "t", "source": "s", "data": {"n": (.n)}}}'


def test_the_conformance_kits_error_type_names_match_the_specifications() -> None:
    plan = compile_(
        doc(
            {
                "t": {
                    "try": [{"x": {"set": {}}}],
                    "catch": {
                        "errors": {
                            "with": {
                                "type": "https://open-workflow-specification.org/dsl/errors/types/communication"
                            }
                        }
                    },
                }
            }
        )
    )
    assert (
        plan.steps[0].catch[0].type
        == "https://open-workflow-specification.org/spec/1.0.0/errors/communication"
    )


def test_for_fork_wait_and_timeouts_compile_to_loops_scopes_timers_and_deadlines() -> None:
    plan = compile_(
        doc(
            {
                "each": {
                    "for": {"each": "c", "in": ".colors", "at": "i"},
                    "while": "$i < 5",
                    "do": [{"x": {"set": {}}}],
                }
            },
            {
                "both": {
                    "fork": {
                        "compete": True,
                        "branches": [{"a": {"wait": "PT1S"}}, {"b": {"wait": {"seconds": 2}}}],
                    }
                }
            },
            {"slow": {"wait": "PT1H", "timeout": {"after": {"minutes": 5}}}},
            timeout={"after": "P1D"},
        )
    )
    loop, fork, slow = plan.steps
    assert loop.kind == NodeKind.LOOP and (loop.loop.item, loop.loop.index) == ("c", "i")
    assert loop.loop.each.source == ".colors" and loop.loop.condition.source == "$i < 5"
    assert fork.complete_on == "first" and [b.wait.seconds for b in fork.body] == [1, 2]
    assert all(not b.after for b in fork.body)
    assert slow.wait.seconds == 3600 and slow.deadline_seconds == 300
    assert plan.options.deadline_seconds == 86400


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            doc({"a": {"call": "grpc", "with": {}}}),
            "/do/0/a/call: task 'a' uses call: grpc; Baton runs call: http, openapi and mcp",
        ),
        (
            doc({"a": {"call": "http", "with": {"method": "get"}}}),
            "/do/0/a/with: call: http needs 'endpoint'",
        ),
        (
            doc(
                {
                    "a": {
                        "call": "http",
                        "with": {
                            "method": "get",
                            "endpoint": {"uri": "http://x", "authentication": {"oauth2": {}}},
                        },
                    }
                }
            ),
            "/do/0/a/with/endpoint/authentication/oauth2: authentication 'oauth2' is not supported",
        ),
        (
            doc({"a": {"run": {"container": {"image": "x"}}}}),
            "/do/0/a/run/container: task 'a' uses run: container; Baton runs no container engine",
        ),
        (
            doc({"a": {"set": {}, "then": "nowhere"}}),
            "/do/0/a/then: then: 'nowhere' is not continue, exit, end or a task of this list (a)",
        ),
        (
            doc({"a": {"set": {}, "wait": "PT1S"}}),
            "/do/0/a: task 'a' must have exactly one of call, do, emit",
        ),
        (
            doc({"a": {"set": {}}, "b": {"set": {}}}),
            "/do/0: each item of a task list is an object with exactly one task name",
        ),
        (doc({"a": {"set": {}, "extra": 1}}), "/do/0/a/extra: a set task has no property 'extra'"),
        (doc({"a": {"wait": "PT1X"}}), "/do/0/a/wait: 'PT1X' is not an ISO 8601 duration"),
        (
            doc({"a": {"set": {"t": "${ now }"}}}),
            "/do/0/a/set: the expression '{\"t\": (now)}' uses now, which reads the clock",
        ),
        (
            doc({"a": {"if": ".x +", "set": {}}}),
            "/do/0/a/if: the expression '.x +' is not valid jq",
        ),
        (
            {
                **doc({"a": {"set": {}}}),
                "document": {"dsl": "1.0.3", "namespace": "t", "name": "t", "version": "1"},
            },
            "/document/version: version '1' must be a semantic version such as 1.0.0",
        ),
        (
            {
                **doc({"a": {"set": {}}}),
                "document": {"dsl": "0.8", "namespace": "t", "name": "t", "version": "1.0.0"},
            },
            "/document/dsl: dsl '0.8' is not 1.0.x",
        ),
        (
            doc({"a": {"raise": {"error": {"type": "x"}}}}),
            "/do/0/a/raise/error: an error needs 'status'",
        ),
        (
            doc({"a": {"try": [], "catch": {"retry": {"delay": "PT1S"}}}}),
            "/do/0/a/catch/retry: a retry policy needs a limit",
        ),
    ],
)
def test_problems_are_named_by_json_pointer(data: dict[str, Any], expected: str) -> None:
    found = problems(data)
    assert any(p.startswith(expected) for p in found), found
