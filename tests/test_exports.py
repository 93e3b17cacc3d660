"""The public surface is frozen here (httpx-style): a name added to or
removed from ``baton`` must change this test too."""

from __future__ import annotations

import subprocess
import sys

import baton

PUBLIC = [
    "AgentType",
    "BatonError",
    "BatonRun",
    "Checkpoint",
    "checkpointed",
    "CheckpointError",
    "command_reply",
    "compile_definition",
    "compile_file",
    "ConfigError",
    "DefinitionError",
    "get_temporal_client",
    "get_workflow_monitor",
    "HumanApprovalWorkflow",
    "Issue",
    "MultiAgentProjectWorkflow",
    "Plan",
    "ProcessWorkflow",
    "ProjectSpec",
    "RecoveryAction",
    "RecoveryPolicy",
    "SagaWorkflow",
    "ServerError",
    "Settings",
    "start_distributed_saga",
    "start_multi_agent_project",
    "start_process",
    "submit_approval_decision",
    "SyncCheckpoint",
    "TemporalWorkflowClient",
    "UnsupportedError",
    "WorkflowMonitor",
    "WorkflowNotFound",
]


def test_all_is_sorted_complete_and_frozen() -> None:
    assert baton.__all__ == sorted(baton.__all__, key=str.casefold)
    assert baton.__all__ == PUBLIC
    for name in baton.__all__:
        assert getattr(baton, name) is not None, name
    assert baton.SagaWorkflow is baton.ProcessWorkflow is baton.MultiAgentProjectWorkflow


def test_workflow_code_imports_only_plain_data() -> None:
    """The engine runs outside Temporal's sandbox (for speed): it must not
    pull in I/O-capable or nondeterministic libraries. Checked in a fresh
    interpreter."""
    probe = (
        "import sys\n"
        "import baton.engine.interpreter, baton.engine.approval, baton.engine.refusals\n"
        "import baton.decisions\n"
        "heavy = ('pydantic', 'yaml', 'httpx', 'apprise', 'rich', 'typer', 'mcp',\n"
        "         'baton.config', 'baton.definitions', 'baton.runtime', 'baton.actions.executors')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""


def test_import_baton_is_cheap() -> None:
    probe = "import sys, baton\nprint(','.join(m for m in ('temporalio', 'pydantic') if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == ""
