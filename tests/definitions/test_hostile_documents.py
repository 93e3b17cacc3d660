"""Hostile or broken definition documents: each gets one bounded, clear error
(no traceback, no hang, no exhausted memory). Generated here because they are
large; small ones live in invalid/."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from baton.errors import MAX_REPORTED_ISSUES, DefinitionError
from baton.plan import compile_definition, compile_file


def rejected(path: Path) -> str:
    started = time.monotonic()
    with pytest.raises(DefinitionError) as info:
        compile_file(path)
    assert time.monotonic() - started < 20  # bounded: a generous ceiling, not a benchmark
    return str(info.value)


def step(step_id: str, **extra: object) -> dict:
    return {"step_id": step_id, "forward_action": {"type": "script", "script": "true"}, **extra}


def test_deeply_nested_json_and_yaml(tmp_path):
    deep_json = tmp_path / "deep.json"
    deep_json.write_text('{"saga_id": "x", "context": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert "nested more than 64 levels deep" in rejected(deep_json)
    deep_yaml = tmp_path / "deep.yaml"
    deep_yaml.write_text("saga_id: x\ncontext: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert "nested more than 64 levels deep" in rejected(deep_yaml)


def test_nesting_from_the_python_api_is_bounded_too():
    context: list = []
    inner = context
    for _ in range(5_000):
        inner.append([])
        inner = inner[0]
    with pytest.raises(DefinitionError, match="nested more than 64 levels deep"):
        compile_definition({"saga_id": "x", "steps": [step("a")], "context": {"deep": context}})


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("saga_id: caf\xe9\n".encode("latin-1"))
    assert "not UTF-8 text (byte 0xe9 at offset 12); save the file as UTF-8" in rejected(path)


def test_too_large(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("saga_id: x\n# " + "x" * (6 * 1024 * 1024) + "\n")
    assert "definition files are limited to 5,242,880 bytes" in rejected(path)


def test_a_directory(tmp_path):
    assert "is a directory, not a file" in rejected(tmp_path)


def test_long_dependency_chain_and_cycle(tmp_path):
    chain = [step(f"s{i}", dependencies=[f"s{i + 1}"]) for i in range(10_000)]
    chain[-1]["dependencies"] = ["s0"]
    path = tmp_path / "huge.json"
    path.write_text(json.dumps({"saga_id": "x", "steps": chain}))
    assert "steps: 10000 steps; a saga may have at most 1000" in rejected(path)
    # within the step limit, a chain deeper than Python's recursion limit
    cycle = [step(f"s{i}", dependencies=[f"s{i + 1}"]) for i in range(1_000)]
    cycle[-1]["dependencies"] = ["s0"]
    path = tmp_path / "cycle.json"
    path.write_text(json.dumps({"saga_id": "x", "steps": cycle}))
    assert rejected(path).endswith(
        "steps: dependency cycle: s0 -> s1 -> s2 -> s3 -> s4 -> ... -> s996 -> s997 -> s998 "
        "-> s999 -> s0 (1000 steps)"
    )


def test_hundreds_of_unknown_dependencies(tmp_path):
    steps = [step(f"s{i}", dependencies=[f"missing{i}"]) for i in range(900)]
    path = tmp_path / "unknown.json"
    path.write_text(json.dumps({"saga_id": "x", "steps": steps}))
    message = rejected(path)
    lines = message.splitlines()
    assert len(lines) == MAX_REPORTED_ISSUES + 1
    assert lines[-1].endswith("... and 850 more problems (fix these first)")
    assert len(message) < 20_000
    assert "known steps: s0, s1," in lines[0] and "and 880 more" in lines[0]
