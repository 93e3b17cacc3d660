"""``run: workflow`` and ``await: false`` as users write them: a parent file
runs a child found beside it (the latest version unless one is named), the
child's output is the task's, the child's error is caught by the parent's
``catch`` by its own type; a cycle or a missing child is refused before the
run; a child or a shell command not awaited keeps running after the parent
has completed."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from baton.errors import DefinitionError
from baton.runtime import TemporalWorkflowClient
from baton.testing import until

pytestmark = pytest.mark.asyncio(loop_scope="session")


def process(name: str, version: str, *tasks: dict[str, Any]) -> dict[str, Any]:
    return {
        "document": {"dsl": "1.0.0", "namespace": "team", "name": name, "version": version},
        "do": list(tasks),
    }


def write(folder: Path, data: dict[str, Any]) -> Path:
    document = data["document"]
    path = folder / f"{document['name']}-{document['version']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def runs(name: str, version: str | None = None, **extra: Any) -> dict[str, Any]:
    ref = {"namespace": "team", "name": name, **({"version": version} if version else {})}
    if "input" in extra:
        ref["input"] = extra.pop("input")
    return {"run": {"workflow": ref, **extra}}


async def start_file(client: Any, path: Path, input: Any = None) -> Any:
    return await client.start_process(yaml.safe_load(path.read_text()), input, source=str(path))


async def test_a_child_beside_the_parent_runs_with_its_input_and_gives_its_output(baton, tmp_path):
    write(tmp_path, process("greet", "1.0.0", {"hi": {"set": {"old": True}}}))
    write(
        tmp_path,
        process("greet", "1.2.0", {"hi": {"set": {"greeting": '${ "Hello, " + .who }'}}}),
    )
    parent = write(
        tmp_path,
        process(
            "main",
            "1.0.0",
            {"ask": {**runs("greet", input={"who": "${ .name }"})}},
            {"old": {**runs("greet", "1.0.0")}},
            {"both": {"set": {"new": "${ $context.new }", "old": "${ .old }"}}},
        ),
    )
    data = yaml.safe_load(parent.read_text())
    data["do"][0]["ask"]["export"] = {"as": "{new: .greeting}"}
    parent.write_text(yaml.safe_dump(data, sort_keys=False))
    run = await start_file(baton.client, parent, {"name": "Ada"})
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {"new": "Hello, Ada", "old": True}
    started = [a for a in result["audit"] if a["event"] == "subprocess_started"]
    assert [a["detail"] for a in started] == [
        f"{run.workflow_id}./do/0/ask",
        f"{run.workflow_id}./do/1/old",
    ]


async def test_a_childs_error_is_caught_by_its_type_or_fails_the_parent(baton, tmp_path):
    error = {"type": "https://example.com/out-of-stock", "status": 409, "title": "Out of stock"}
    write(tmp_path, process("reserve", "1.0.0", {"no": {"raise": {"error": error}}}))
    caught = write(
        tmp_path,
        process(
            "order",
            "1.0.0",
            {
                "try-reserve": {
                    "try": [{"reserve": runs("reserve")}],
                    "catch": {
                        "errors": {"with": {"type": error["type"]}},
                        "as": "problem",
                        "do": [{"note": {"set": {"why": "${ $problem.title }"}}}],
                    },
                }
            },
        ),
    )
    run = await start_file(baton.client, caught)
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {"why": "Out of stock"}

    uncaught = write(tmp_path, process("order-bare", "1.0.0", {"reserve": runs("reserve")}))
    run = await start_file(baton.client, uncaught)
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "FAILED"
    assert result["error"]["type"] == error["type"]
    assert result["error"]["status"] == 409


async def test_a_cycle_or_a_missing_child_is_refused_before_the_run(baton, tmp_path):
    write(tmp_path, process("a", "1.0.0", {"to-b": runs("b")}))
    b = write(tmp_path, process("b", "1.0.0", {"to-a": runs("a", "1.0.0")}))
    with pytest.raises(DefinitionError) as refused:
        await start_file(baton.client, b)
    assert "team/b:1.0.0 -> team/a:1.0.0 -> team/b:1.0.0" in str(refused.value)

    missing = write(tmp_path, process("lonely", "1.0.0", {"call-a": runs("a", "9.9.9")}))
    with pytest.raises(DefinitionError) as refused:
        await start_file(baton.client, missing)
    message = str(refused.value)
    assert "/do/0/call-a/run/workflow" in message
    assert "team/a:9.9.9" in message and "its versions there: 1.0.0" in message


async def test_a_child_found_on_baton_process_path(baton, tmp_path):
    library = tmp_path / "library"
    library.mkdir()
    write(library, process("shared", "2.0.0", {"x": {"set": {"from": "library"}}}))
    parent = process("uses-library", "1.0.0", {"use": runs("shared")})
    with pytest.raises(DefinitionError, match="no process is there|not in"):
        await baton.client.start_process(parent)
    settings = replace(baton.settings, process_path=(library,))
    client = TemporalWorkflowClient(settings, temporal=baton.client.temporal)
    run = await client.start_process(parent)
    result = await asyncio.wait_for(run.result(), 60)
    assert result["output"] == {"from": "library"}


async def test_a_child_not_awaited_outlives_its_parent(baton, tmp_path):
    write(
        tmp_path,
        process(
            "background",
            "1.0.0",
            {"hold": {"listen": {"to": {"one": {"with": {"type": "release"}}}}}},
            {"done": {"set": {"released": True}}},
        ),
    )
    parent = write(
        tmp_path,
        process(
            "fire-and-forget",
            "1.0.0",
            {"kick": runs("background", **{"await": False})},
            {"after": {"set": '${ . + {parent: "done"} }'}},
        ),
    )
    run = await start_file(baton.client, parent, {"order": 7})
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    # not awaited: the task's output is its input
    assert result["output"] == {"order": 7, "parent": "done"}
    child_id = f"{run.workflow_id}./do/0/kick"
    assert (await baton.client.status(child_id))["status"] == "RUNNING"
    await baton.client.send_event("release", {}, workflow_id=child_id)
    child = await asyncio.wait_for(baton.client.result(child_id), 60)
    assert child["status"] == "COMPLETED"
    assert child["output"] == {"released": True}


async def test_a_shell_command_not_awaited_runs_on_after_the_task(baton, tmp_path):
    marker = tmp_path / "marker"
    shell = {
        "command": 'sleep 1; cat > "$1"; pwd >> "$1"',
        "arguments": [str(marker)],
        "stdin": "from stdin\n",
    }
    run = await baton.client.start_process(
        process(
            "detached-shell",
            "1.0.0",
            {"bg": {"run": {"shell": shell, "await": False}}},
        ),
        {"kept": 1},
    )
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    assert result["output"] == {"kept": 1}
    assert not marker.exists()  # the task did not wait for it

    async def written() -> bool:
        return marker.exists() and len(marker.read_text().splitlines()) == 2

    await until(written, 30)
    stdin, scratch = marker.read_text().splitlines()
    assert stdin == "from stdin"

    # the command ran in a scratch directory of its own, removed when it ended
    async def removed() -> bool:
        return not Path(scratch).exists()

    await until(removed, 30)


async def test_a_command_not_awaited_is_ended_when_the_tasks_timeout_has_passed(baton, tmp_path):
    pidfile = tmp_path / "pid"
    shell = {"command": 'echo $$ > "$1"; sleep 120', "arguments": [str(pidfile)]}
    task = {"run": {"shell": shell, "await": False}, "timeout": {"after": {"seconds": 2}}}
    run = await baton.client.start_process(process("bounded", "1.0.0", {"bg": task}))
    assert (await asyncio.wait_for(run.result(), 60))["status"] == "COMPLETED"

    async def started() -> int:
        return int(pidfile.read_text()) if pidfile.exists() and pidfile.read_text() else 0

    pid = await until(started, 30)

    async def ended() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"

    await until(ended, 30)


async def test_wcp12_starts_one_instance_per_item_and_each_completes_on_its_own(baton):
    path = Path(__file__).resolve().parents[2] / "examples" / "patterns"
    path = path / "wcp12-multiple-instances-without-synchronization.yaml"
    run = await start_file(baton.client, path, {"parcels": ["a", "b"]})
    result = await asyncio.wait_for(run.result(), 60)
    assert result["output"] == {"dispatched": ["a", "b"]}
    children = [a["detail"] for a in result["audit"] if a["event"] == "subprocess_started"]
    assert len(set(children)) == 2
    outputs = [(await asyncio.wait_for(baton.client.result(c), 60))["output"] for c in children]
    assert outputs == [{"shipped": "a"}, {"shipped": "b"}]


async def test_cancelling_the_parent_cancels_the_child_it_waits_for(baton, tmp_path):
    write(
        tmp_path,
        process("waits", "1.0.0", {"hold": {"listen": {"to": {"one": {"with": {"type": "x"}}}}}}),
    )
    parent = write(tmp_path, process("holder", "1.0.0", {"child": runs("waits")}))
    run = await start_file(baton.client, parent)
    child_id = f"{run.workflow_id}./do/0/child"

    async def child_waits() -> bool:
        return (await baton.client.status(child_id))["status"] == "RUNNING"

    await until(child_waits, 30)
    await baton.client.cancel(run.workflow_id)
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "CANCELLED", result
    child = await asyncio.wait_for(baton.client.result(child_id), 60)
    assert child["status"] == "CANCELLED", child
