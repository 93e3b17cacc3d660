"""The Serverless Workflow conformance kit (CTK): every scenario of
`../shared/corpora/serverless-workflow/ctk/features/*.feature`, parsed with
the official Gherkin parser and run on the real Temporal server, its steps
implemented as the kit's README defines them.

The 9 scenarios that call petstore.swagger.io and httpbin.org (the machine
has no network) are pointed at a local stand-in serving the responses the
corpus README lists (`tests/support/petstore.py`), by rewriting the hosts in
the definition. A scenario whose workflow Baton refuses as unsupported is an
expected failure naming the feature; every other scenario must pass.
"""

from __future__ import annotations

import asyncio
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from baton.errors import DefinitionError
from tests.support.petstore import PublicHosts

pytestmark = pytest.mark.asyncio(loop_scope="session")
FEATURES = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "corpora"
    / "serverless-workflow"
    / "ctk"
    / "features"
)


def _scenarios() -> list[Any]:
    if not FEATURES.is_dir():
        return []
    from gherkin.parser import Parser
    from gherkin.pickles.compiler import Compiler

    found = []
    for path in sorted(FEATURES.glob("*.feature")):
        document = Parser().parse(path.read_text())
        document["uri"] = path.name
        for pickle in Compiler().compile(document):
            found.append(pytest.param(pickle, id=f"{path.stem}: {pickle['name']}"))
    return found


SCENARIOS = _scenarios()


def docstring(step: dict[str, Any], hosts: PublicHosts | None = None) -> Any:
    text = textwrap.dedent(step["argument"]["docString"]["content"])
    return yaml.safe_load(hosts.rewrite(text) if hosts else text)


def lookup(data: Any, path: str) -> Any:
    for part in path.split("."):
        assert isinstance(data, dict) and part in data, f"the output has no {path!r}: {data!r}"
        data = data[part]
    return data


def run_order(result: dict[str, Any]) -> list[str]:
    """Task names in the order they ended (completed or faulted)."""
    names = {s["step_id"]: s["name"] for s in result["steps"]}
    ended = ("step_completed", "step_failed")
    return [
        names[a["step_id"]]
        for a in result["audit"]
        if a["event"] in ended and a["step_id"] in names
    ]


class Scenario:
    def __init__(self, baton: Any, hosts: PublicHosts) -> None:
        self.baton = baton
        self.hosts = hosts
        self.definition: Any = None
        self.input: Any = None
        self.result: dict[str, Any] = {}

    async def context(self, text: str, step: dict[str, Any]) -> None:
        if text == "a workflow with definition:":
            self.definition = docstring(step, self.hosts)
        elif text == "given the workflow input is:":
            self.input = docstring(step)
        else:
            raise AssertionError(f"unknown step {text!r}")

    async def action(self, text: str) -> None:
        assert text == "the workflow is executed", text
        try:
            run = await self.baton.client.start(self.definition, input=self.input, source="ctk")
        except DefinitionError as exc:
            if "Baton does not run" in str(exc):
                pytest.xfail(str(exc.issues[0]))
            raise
        self.result = await asyncio.wait_for(run.result(), 60)

    def outcome(self, text: str, step: dict[str, Any]) -> None:
        result, status = self.result, self.result.get("status")
        order = run_order(result)
        if text.startswith("the workflow should complete"):
            assert status == "COMPLETED", result.get("failure")
            if text.endswith("with output:"):
                assert result["output"] == docstring(step)
        elif text.startswith("the workflow should fault"):
            assert status in ("FAILED", "COMPENSATED"), status
            if text.endswith("with error:"):
                expected = docstring(step)
                assert {k: result["error"].get(k) for k in expected} == expected, result["error"]
        elif text == "the workflow should cancel":
            assert status == "CANCELLED"
        elif match := re.fullmatch(r"the workflow output should have properties (.+)", text):
            for name in re.findall(r"'([^']+)'", match.group(1)):
                lookup(result["output"], name)
        elif match := re.fullmatch(
            r"the workflow output should have a '(.+)' property with value:", text
        ):
            assert lookup(result["output"], match.group(1)) == docstring(step)
        elif match := re.fullmatch(
            r"the workflow output should have a '(.+)' property containing (\d+) items", text
        ):
            assert len(lookup(result["output"], match.group(1))) == int(match.group(2))
        elif match := re.fullmatch(r"(\S+) should run first", text):
            assert order[0] == match.group(1), order
        elif match := re.fullmatch(r"(\S+) should run last", text):
            assert order[-1] == match.group(1), order
        elif match := re.fullmatch(r"(\S+) should run (before|after) (\S+)", text):
            first, second = match.group(1), match.group(3)
            if match.group(2) == "after":
                first, second = second, first
            assert order.index(first) < order.index(second), order
        elif match := re.fullmatch(
            r"(\S+) should (complete|fault|cancel)( with (output|error):)?", text
        ):
            statuses = {s["name"]: s for s in result["steps"]}
            entry = statuses[match.group(1)]
            wanted = {"complete": "COMPLETED", "fault": "FAILED", "cancel": "CANCELLED"}[
                match.group(2)
            ]
            assert entry["status"] == wanted, entry
            if match.group(4) == "output":
                assert entry["output"] == docstring(step)
        else:
            raise AssertionError(f"unknown step {text!r}")


@pytest.mark.skipif(not SCENARIOS, reason=f"the CTK is not at {FEATURES}")
@pytest.mark.parametrize("pickle", SCENARIOS)
async def test_ctk_scenario(baton: Any, pickle: dict[str, Any]) -> None:
    with PublicHosts() as hosts:
        await _run(Scenario(baton, hosts), pickle)


async def _run(scenario: Scenario, pickle: dict[str, Any]) -> None:
    for step in pickle["steps"]:
        kind, text = step.get("type"), step["text"]
        if kind == "Context":
            await scenario.context(text, step)
        elif kind == "Action":
            await scenario.action(text)
        else:
            scenario.outcome(text, step)
