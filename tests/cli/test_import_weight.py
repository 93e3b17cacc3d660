"""The CLI answers fast because a command imports only what it uses
(docs/benchmarks.md, CLI responsiveness): these guard that a change does
not quietly make every command load the SDK, the compilers or the models."""

from __future__ import annotations

import subprocess
import sys

HEAVY_FOR_HELP = ("temporalio", "pydantic", "lxml", "jsonschema", "jq", "yaml")
HEAVY_FOR_QUERIES = (
    "pydantic",
    "lxml",
    "jsonschema",
    "baton.engine.interpreter",
    "baton.runtime.worker",
    "baton.runtime.documents",
    "baton.plan.frontends",
    "baton.actions.executors",
)


def loaded(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(done.stdout.split())


def test_the_cli_itself_loads_neither_the_sdk_nor_the_models() -> None:
    modules = loaded("import baton.cli.main")
    assert not [m for m in modules if m.split(".")[0] in HEAVY_FOR_HELP]


def test_a_client_that_only_asks_or_decides_loads_no_workflow_compiler_or_model() -> None:
    modules = loaded("import baton.cli.main, baton.runtime.client, baton.runtime.approvals")
    heavy = [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY_FOR_QUERIES)]
    assert not heavy
