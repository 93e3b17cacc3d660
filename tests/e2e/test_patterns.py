"""The workflow control-flow patterns (WCP-1 to WCP-20, van der Aalst and
Russell) written in the process language: each example in
examples/patterns/ runs with the input and events its comments give and
must produce the output they expect (docs/processes.md has the table)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.asyncio(loop_scope="session")
PATTERNS = sorted((Path(__file__).resolve().parents[2] / "examples" / "patterns").glob("wcp*.yaml"))


def comment(path: Path, key: str, default: Any = None) -> Any:
    for line in path.read_text().splitlines():
        if line.startswith(f"# {key}: "):
            return json.loads(line.removeprefix(f"# {key}: "))
    return default


@pytest.mark.parametrize("path", PATTERNS, ids=[p.stem for p in PATTERNS])
async def test_pattern(baton: Any, path: Path) -> None:
    run = await baton.client.start_process(
        yaml.safe_load(path.read_text()), comment(path, "input"), source=str(path)
    )
    for event in comment(path, "events", []):
        await baton.client.send_event(event["type"], event["data"], workflow_id=run.workflow_id)
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result.get("failure")
    assert result["output"] == comment(path, "expect")


def test_every_pattern_has_an_example_or_a_reason_in_the_docs() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "processes.md").read_text()
    for number in range(1, 21):
        assert f"| WCP-{number} " in doc, number
    for path in PATTERNS:
        assert f"examples/patterns/{path.name}" in doc, path.name
