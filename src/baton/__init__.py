"""Baton: durable workflow orchestration for Python on Temporal.

The public API keeps the seed's names::

    from baton import start_distributed_saga, get_temporal_client

Names load on first use (PEP 562), so ``import baton`` is cheap and workflow
code that imports ``baton.engine`` does not pull in the client, pydantic or
YAML. ``tests/test_exports.py`` freezes this list.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> (module, attribute)
_EXPORTS: dict[str, tuple[str, str]] = {
    "AgentType": (".definitions.project", "AgentType"),
    "BatonError": (".errors", "BatonError"),
    "BatonRun": (".runtime.client", "BatonRun"),
    "Checkpoint": (".checkpoints", "Checkpoint"),
    "CheckpointError": (".errors", "CheckpointError"),
    "ConfigError": (".errors", "ConfigError"),
    "DefinitionError": (".errors", "DefinitionError"),
    "HumanApprovalWorkflow": (".engine.approval", "HumanApprovalWorkflow"),
    "Issue": (".errors", "Issue"),
    # the seed's name for a project: it runs on the one interpreter
    "MultiAgentProjectWorkflow": (".engine.interpreter", "ProcessWorkflow"),
    "Plan": (".plan.model", "Plan"),
    "ProcessWorkflow": (".engine.interpreter", "ProcessWorkflow"),
    "ProjectSpec": (".definitions.project", "ProjectSpec"),
    "RecoveryAction": (".monitoring.policies", "RecoveryAction"),
    "RecoveryPolicy": (".monitoring.policies", "RecoveryPolicy"),
    # the seed's name for the saga workflow: sagas run on the one interpreter
    "SagaWorkflow": (".engine.interpreter", "ProcessWorkflow"),
    "ServerError": (".errors", "ServerError"),
    "Settings": (".config", "Settings"),
    "TemporalWorkflowClient": (".runtime.client", "TemporalWorkflowClient"),
    "UnsupportedError": (".errors", "UnsupportedError"),
    "WorkflowMonitor": (".monitoring.monitor", "WorkflowMonitor"),
    "SyncCheckpoint": (".checkpoints", "SyncCheckpoint"),
    "WorkflowNotFound": (".errors", "WorkflowNotFound"),
    "command_reply": (".engine.commands", "command_reply"),
    "checkpointed": (".checkpoints", "checkpointed"),
    "compile_definition": (".plan.compile", "compile_definition"),
    "compile_file": (".plan.compile", "compile_file"),
    "get_temporal_client": (".api", "get_temporal_client"),
    "get_workflow_monitor": (".monitoring.monitor", "get_workflow_monitor"),
    "start_distributed_saga": (".api", "start_distributed_saga"),
    "start_multi_agent_project": (".api", "start_multi_agent_project"),
    "start_process": (".api", "start_process"),
    "submit_approval_decision": (".api", "submit_approval_decision"),
}

__all__ = [
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


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module, attribute = _EXPORTS[name]
        value = getattr(import_module(module, __name__), attribute)
        globals()[name] = value  # loaded once
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


if TYPE_CHECKING:  # what type checkers and IDEs see
    from .api import (
        get_temporal_client,
        start_distributed_saga,
        start_multi_agent_project,
        start_process,
        submit_approval_decision,
    )
    from .checkpoints import Checkpoint, SyncCheckpoint, checkpointed
    from .config import Settings
    from .definitions.project import AgentType, ProjectSpec
    from .engine.approval import HumanApprovalWorkflow
    from .engine.commands import command_reply
    from .engine.interpreter import ProcessWorkflow
    from .engine.interpreter import ProcessWorkflow as MultiAgentProjectWorkflow
    from .engine.interpreter import ProcessWorkflow as SagaWorkflow
    from .errors import (
        BatonError,
        CheckpointError,
        ConfigError,
        DefinitionError,
        Issue,
        ServerError,
        UnsupportedError,
        WorkflowNotFound,
    )
    from .plan.compile import compile_definition, compile_file
    from .plan.model import Plan
    from .runtime.client import BatonRun, TemporalWorkflowClient
