"""Processes (Serverless Workflow 1.0) as users run them: the example in
docs/processes.md through `baton run --input` and the Python API, a retried
try, a loop written with `then:` jumps, and a fault's error object."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from baton import start_process
from tests.support.cli import baton_cli

pytestmark = pytest.mark.asyncio(loop_scope="session")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "process_colors.yaml"


def doc(*tasks: dict[str, Any]) -> dict[str, Any]:
    return {
        "document": {"dsl": "1.0.3", "namespace": "test", "name": "p", "version": "1.0.0"},
        "do": list(tasks),
    }


async def test_the_documented_example_runs_from_the_cli_and_from_python(baton):
    code, out, err = await baton_cli(
        baton.settings, "run", str(EXAMPLE), "--input", '{"temperature": 25}', "--json"
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["status"] == "COMPLETED"
    assert result["output"] == {"mood": "warm", "degrees": 25}
    import yaml

    run = await start_process(
        yaml.safe_load(EXAMPLE.read_text()), {"temperature": 3}, client=baton.client
    )
    assert (await run)["output"] == {"mood": "cold"}


async def test_a_loop_written_with_then_jumps_counts_to_its_end(baton):
    run = await baton.client.start_process(
        doc(
            {"init": {"set": {"n": 0}}},
            {"inc": {"set": {"n": "${ .n + 1 }"}}},
            {"again": {"switch": [{"more": {"when": ".n < 4", "then": "inc"}}]}},
            {"done": {"set": {"total": "${ .n }"}}},
        )
    )
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {"total": 4}
    assert [s["step_id"] for s in result["steps"] if s["name"] == "inc"] == [
        "/do/1/inc",
        "/do/1/inc#2",
        "/do/1/inc#3",
        "/do/1/inc#4",
    ]


async def test_a_retried_try_and_an_uncaught_fault(baton):
    retried = doc(
        {"count": {"set": {"tries": 0}, "export": {"as": "{tries: 0}"}}},
        {
            "attempt": {
                "try": [
                    {"bump": {"set": "${ $context.tries + 1 }", "export": {"as": "{tries: .}"}}},
                    {
                        "check": {
                            "if": "$context.tries < 3",
                            "raise": {
                                "error": {"type": "https://example.com/flaky", "status": 503}
                            },
                        }
                    },
                ],
                "catch": {
                    "errors": {"with": {"status": 503}},
                    "retry": {"delay": {"milliseconds": 100}, "limit": {"attempt": {"count": 5}}},
                },
            }
        },
        {"report": {"set": {"tries": "${ $context.tries }"}}},
    )
    run = await baton.client.start_process(retried)
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {"tries": 3}
    assert [a["event"] for a in result["audit"]].count("step_retried") == 2

    faulted = doc(
        {
            "check": {
                "raise": {
                    "error": {
                        "type": "https://example.com/nope",
                        "status": 422,
                        "title": "Nope",
                        "detail": "${ .why }",
                    }
                }
            }
        }
    )
    run = await baton.client.start_process(faulted, {"why": "because"})
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "FAILED"
    assert result["error"] == {
        "type": "https://example.com/nope",
        "status": 422,
        "title": "Nope",
        "detail": "because",
        "instance": "/do/0/check",
    }


async def test_a_task_timeout_is_the_specifications_timeout_error(baton):
    run = await baton.client.start_process(
        doc(
            {
                "guarded": {
                    "try": [{"slow": {"wait": "PT30S", "timeout": {"after": {"seconds": 1}}}}],
                    "catch": {
                        "errors": {
                            "with": {
                                "type": "https://open-workflow-specification.org/spec/1.0.0/errors/timeout"
                            }
                        },
                        "do": [{"note": {"set": {"late": "${ $error.instance }"}}}],
                    },
                }
            }
        )
    )
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {"late": "/do/0/guarded/try/0/slow"}


async def test_emit_reaches_a_run_waiting_for_the_event(baton):
    from baton.plan.model import EventFilter, NodeKind, WaitSpec
    from baton.testing import until
    from tests.support.plans import control, plan

    waiting = await baton.client.start_plan(
        plan(
            control("w", NodeKind.WAIT, wait=WaitSpec(events=[EventFilter(type="order.shipped")])),
            output="output",
        )
    )

    async def listed() -> bool:
        return waiting.workflow_id in await baton.client.events.waiting_runs("order.shipped")

    await until(listed, timeout=30)
    run = await baton.client.start_process(
        doc(
            {
                "ship": {
                    "emit": {
                        "event": {
                            "with": {
                                "type": "order.shipped",
                                "source": "shop",
                                "data": {"order": "${ .order }"},
                            }
                        }
                    }
                }
            }
        ),
        {"order": "A-7"},
    )
    emitted = await asyncio.wait_for(run.result(), 60)
    assert emitted["status"] == "COMPLETED", emitted
    assert (
        emitted["output"]["type"] == "order.shipped" and emitted["output"]["specversion"] == "1.0"
    )
    received = await asyncio.wait_for(waiting.result(), 60)
    assert received["output"][0]["data"] == {"order": "A-7"}


async def test_a_call_to_a_forbidden_address_is_the_specifications_authorization_error(baton):
    run = await baton.client.start_process(
        doc(
            {
                "probe": {
                    "try": [
                        {
                            "meta": {
                                "call": "http",
                                "with": {
                                    "method": "get",
                                    "endpoint": "http://169.254.169.254/latest",
                                },
                            }
                        }
                    ],
                    "catch": {
                        "errors": {
                            "with": {
                                "type": "https://open-workflow-specification.org/spec/1.0.0/errors/authorization"
                            }
                        },
                        "do": [{"why": {"set": {"refused": "${ $error.title }"}}}],
                    },
                }
            }
        )
    )
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert "refused by the execution policy" in result["output"]["refused"]


def listen(**to: Any) -> dict[str, Any]:
    return {"listen": {"to": to}}


async def waiting_for(client: Any, workflow_id: str, *types: str) -> None:
    from baton.testing import until

    async def ready() -> bool:
        return (await client.status(workflow_id)).get("waiting_for") == sorted(types)

    await until(ready, timeout=30)


async def test_listen_one_with_data_and_correlation_filters(baton):
    run = await baton.client.start_process(
        doc(
            {
                "paid": listen(
                    one={
                        "with": {"type": "order.paid", "data": "${ .amount > 10 }"},
                        "correlate": {
                            "order": {"from": "${ .data.order }", "expect": "${ .order }"}
                        },
                    }
                )
            },
            {"done": {"set": {"amount": "${ .[0].amount }"}}},
        ),
        {"order": "A-1"},
    )
    await waiting_for(baton.client, run.workflow_id, "order.paid")
    send = baton.client.send_event
    assert (
        await send("order.paid", {"order": "A-1", "amount": 5}, workflow_id=run.workflow_id)
    ).runs[run.workflow_id] == []
    assert (
        await send("order.paid", {"order": "B-2", "amount": 50}, workflow_id=run.workflow_id)
    ).runs[run.workflow_id] == []
    await send("order.paid", {"order": "A-1", "amount": 42}, workflow_id=run.workflow_id)
    result = await asyncio.wait_for(run.result(), 30)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {"amount": 42}


async def test_a_correlation_without_expect_is_fixed_by_the_first_event(baton):
    same_order = {"order": {"from": "${ .data.order }"}}
    run = await baton.client.start_process(
        doc(
            {
                "both": listen(
                    all=[
                        {"with": {"type": "order.paid"}, "correlate": same_order},
                        {"with": {"type": "order.shipped"}, "correlate": same_order},
                    ]
                )
            },
            {"done": {"set": {"orders": "${ [.[].order] }"}}},
        )
    )
    await waiting_for(baton.client, run.workflow_id, "order.paid", "order.shipped")
    send = baton.client.send_event
    await send("order.paid", {"order": "A-1"}, workflow_id=run.workflow_id)
    # another order's shipment is not this wait's: the first event fixed the key
    assert (await send("order.shipped", {"order": "B-2"}, workflow_id=run.workflow_id)).runs[
        run.workflow_id
    ] == []
    await send("order.shipped", {"order": "A-1"}, workflow_id=run.workflow_id)
    result = await asyncio.wait_for(run.result(), 30)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {"orders": ["A-1", "A-1"]}


async def test_listen_any_until_an_event_and_all_of_several(baton):
    run = await baton.client.start_process(
        doc(
            {
                "vitals": listen(
                    any=[{"with": {"type": "temperature"}}],
                    until={"one": {"with": {"type": "checked-out"}}},
                )
            }
        )
    )
    await waiting_for(baton.client, run.workflow_id, "checked-out", "temperature")
    for kind, value in (("temperature", 38), ("temperature", 39), ("checked-out", None)):
        await baton.client.send_event(kind, value, workflow_id=run.workflow_id)
    result = await asyncio.wait_for(run.result(), 30)
    assert result["output"] == [38, 39, None]

    run = await baton.client.start_process(
        doc(
            {
                "both": {
                    **listen(all=[{"with": {"type": "a"}}, {"with": {"type": "b"}}]),
                    "output": {"as": "${ . | sort }"},
                }
            }
        )
    )
    await waiting_for(baton.client, run.workflow_id, "a", "b")
    await baton.client.send_event("b", 2, workflow_id=run.workflow_id)
    await baton.client.send_event("a", 1, workflow_id=run.workflow_id)
    result = await asyncio.wait_for(run.result(), 30)
    assert result["output"] == [1, 2]


async def test_listen_any_until_a_count_reads_envelopes(baton):
    run = await baton.client.start_process(
        doc(
            {
                "three": {
                    "listen": {
                        "to": {"any": [], "until": "( . | length ) >= 3"},
                        "read": "envelope",
                    }
                }
            }
        )
    )
    for n in range(3):
        await baton.client.send_event("tick", n, workflow_id=run.workflow_id)
    result = await asyncio.wait_for(run.result(), 30)
    assert [event["data"] for event in result["output"]] == [0, 1, 2]
    assert result["output"][0]["type"] == "tick"


async def test_run_shell_with_stdin_arguments_environment_and_what_it_returns(baton):
    shell = {
        "command": 'input=$(cat); echo "STDIN was: $input"; echo "ARGS are $1 $2 and $GREETING"',
        "arguments": ["Foo", "${ .second }"],
        "environment": {"GREETING": "hi"},
        "stdin": "${ .message }",
    }
    run = await baton.client.start_process(
        doc({"sh": {"run": {"shell": shell}}}), {"message": "Hello World", "second": "Bar"}
    )
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == "STDIN was: Hello World\nARGS are Foo Bar and hi"

    run = await baton.client.start_process(
        doc({"code": {"run": {"shell": {"command": "echo oops >&2; exit 3"}, "return": "all"}}})
    )
    result = await asyncio.wait_for(run.result(), 60)
    assert result["output"] == {"code": 3, "stdout": "", "stderr": "oops\n"}

    run = await baton.client.start_process(
        doc({"fails": {"run": {"shell": {"command": "exit 4"}}}})
    )
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "FAILED"
    assert (
        result["error"]["type"]
        == "https://open-workflow-specification.org/spec/1.0.0/errors/runtime"
    )
    assert result["error"]["status"] == 4


async def test_run_script_in_python_gets_its_arguments_environment_and_stdin(baton):
    code = "import os, sys\nprint(sys.stdin.read(), sys.argv[1], os.environ['FOO'])"
    run = await baton.client.start_process(
        doc(
            {
                "py": {
                    "run": {
                        "script": {
                            "language": "python",
                            "code": code,
                            "arguments": ["hello"],
                            "environment": {"FOO": "bar"},
                            "stdin": "Hello Workflow",
                        }
                    }
                }
            }
        )
    )
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == "Hello Workflow hello bar"


async def test_run_code_from_an_untrusted_entry_point_is_refused_like_saga_scripts(baton):
    from baton.errors import DefinitionError
    from baton.runtime import TemporalWorkflowClient

    mcp_client = TemporalWorkflowClient(baton.settings, temporal=baton.client.temporal, via="mcp")
    with pytest.raises(DefinitionError, match="script steps may not come from mcp"):
        await mcp_client.start_process(doc({"sh": {"run": {"shell": {"command": "id"}}}}))


async def test_task_workflow_and_runtime_descriptors(baton):
    run = await baton.client.start_process(
        doc(
            {
                "describe": {
                    "if": '$task.name == "describe"',
                    "set": {
                        "task": "${ $task.name }",
                        "ref": "${ $task.reference }",
                        "raw": "${ $task.input }",
                        "started": "${ $task.startedAt.epoch.seconds > 0 }",
                        "iso": '${ $workflow.startedAt.iso8601 | endswith("Z") }',
                        "runtime": "${ $runtime.name }",
                    },
                    "input": {"from": "{picked: .a}"},
                    "output": {"as": "${ . + {rawOutputTask: $task.output.task} }"},
                }
            }
        ),
        {"a": 1},
    )
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {
        "task": "describe",
        "ref": "/do/0/describe",
        "raw": {"a": 1},
        "started": True,
        "iso": True,
        "runtime": "baton",
        "rawOutputTask": "describe",
    }


SCHEMA_ORDER = {
    "type": "object",
    "required": ["order"],
    "properties": {"order": {"type": "integer", "minimum": 1}},
}


async def test_input_and_output_schemas_are_checked_where_the_data_is(baton):
    from baton.errors import DefinitionError

    validated = {
        **doc(
            {
                "total": {
                    "input": {"schema": {"format": "json", "document": SCHEMA_ORDER}},
                    "set": {"total": "${ .order * 10 }"},
                    "output": {
                        "schema": {
                            "document": {"type": "object", "properties": {"total": {"maximum": 50}}}
                        }
                    },
                }
            }
        ),
        "input": {"schema": {"format": "json", "document": SCHEMA_ORDER}},
    }
    run = await baton.client.start_process(validated, {"order": 3})
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {"total": 30}

    # the run's input: refused before the run starts, naming what is wrong
    with pytest.raises(
        DefinitionError, match=r"/input/schema: the input does not match: 0 is less"
    ):
        await baton.client.start_process(validated, {"order": 0})

    # a task's output: the task fails with the specification's validation error
    run = await baton.client.start_process(validated, {"order": 9})
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "FAILED"
    assert result["error"]["type"] == (
        "https://open-workflow-specification.org/spec/1.0.0/errors/validation"
    )
    assert result["error"]["status"] == 400
    assert result["error"]["instance"] == "/do/0/total"
    assert "90 is greater than the maximum of 50 (at /total)" in result["error"]["title"]

    # the run's output, after output.as
    out = {**doc({"x": {"set": {"n": 1}}}), "output": {"schema": {"document": {"type": "string"}}}}
    run = await baton.client.start_process(out)
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "FAILED"
    assert result["error"]["instance"] == "/output"
    assert result["output"] is None


async def test_listen_foreach_runs_its_tasks_for_each_event_in_order(baton):
    run = await baton.client.start_process(
        doc(
            {
                "readings": {
                    "listen": {
                        "to": {
                            "any": [{"with": {"type": "reading"}}],
                            "until": "( . | length ) >= 3",
                        }
                    },
                    "foreach": {
                        "item": "reading",
                        "at": "n",
                        "do": [
                            {
                                "double": {
                                    "set": "${ {n: $n, twice: ($reading.value * 2)} }",
                                }
                            }
                        ],
                        "output": {"as": "${ .twice }"},
                        "export": {"as": "${ $context + {count: (($context.count // 0) + 1)} }"},
                    },
                }
            },
            {"sum": {"set": "${ {twice: ., count: $context.count} }"}},
        )
    )
    await waiting_for(baton.client, run.workflow_id, "reading")
    for value in (1, 5, 7):
        await baton.client.send_event("reading", {"value": value}, workflow_id=run.workflow_id)
    result = await asyncio.wait_for(run.result(), 30)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {"twice": [2, 10, 14], "count": 3}
    doubled = [s for s in result["steps"] if s["name"] == "double"]
    assert [s["iteration"] for s in doubled] == [0, 1, 2]


async def test_a_retrys_per_attempt_duration_bounds_each_attempt(baton):
    slow_then_fast = doc(
        {"count": {"set": {"tries": 0}, "export": {"as": "{tries: 0}"}}},
        {
            "attempt": {
                "try": [
                    {"bump": {"set": "${ $context.tries + 1 }", "export": {"as": "{tries: .}"}}},
                    {"slow": {"if": "$context.tries < 3", "wait": {"seconds": 30}}},
                ],
                "catch": {
                    "errors": {
                        "with": {
                            "type": "https://open-workflow-specification.org/spec/1.0.0/errors/timeout"
                        }
                    },
                    "retry": {
                        "delay": {"milliseconds": 10},
                        "limit": {"attempt": {"count": 5, "duration": {"milliseconds": 500}}},
                    },
                },
            }
        },
        {"report": {"set": {"tries": "${ $context.tries }"}}},
    )
    run = await baton.client.start_process(slow_then_fast)
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {"tries": 3}  # two attempts timed out, the third was quick


async def test_durations_given_by_expressions(baton):
    """A wait, a task's timeout and a retry's delay whose durations the
    input gives (ISO 8601 or an object), as the Java reference's tests write them."""
    definition = doc(
        {"pause": {"wait": "${ .pause }"}},
        {
            "guarded": {
                "try": [
                    {
                        "slow": {
                            "wait": {"seconds": 30},
                            "timeout": {"after": '${ "PT\\(.limit)S" }'},
                        }
                    }
                ],
                "catch": {
                    "errors": {
                        "with": {
                            "type": "https://open-workflow-specification.org/spec/1.0.0/errors/timeout"
                        }
                    },
                    "retry": {
                        "delay": "${ {milliseconds: .delay_ms} }",
                        "limit": {"attempt": {"count": 1}},
                    },
                    "do": [{"late": {"set": {"timed_out": True}}}],
                },
            }
        },
    )
    run = await baton.client.start_process(
        definition, {"pause": "PT0.2S", "limit": 1, "delay_ms": 50}
    )
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {"timed_out": True}
    assert [a["event"] for a in result["audit"]].count("step_retried") == 1

    bad = doc({"pause": {"wait": "${ .pause }"}})
    run = await baton.client.start_process(bad, {"pause": "soon"})
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "FAILED"
    assert "wait: 'soon' is not an ISO 8601 duration" in result["error"]["title"]
