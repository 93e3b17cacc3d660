"""Baton: durable workflow orchestration for Python on Temporal.

The public API keeps the seed's names::

    from baton import start_distributed_saga, get_temporal_client
"""

from .api import (
    get_temporal_client,
    start_distributed_saga,
    start_multi_agent_project,
    submit_approval_decision,
)
from .config import Settings
from .definitions.project import AgentType, ProjectSpec
from .engine.approval import HumanApprovalWorkflow
from .engine.interpreter import ProcessWorkflow
from .errors import (
    BatonError,
    ConfigError,
    DefinitionError,
    Issue,
    ServerError,
    UnsupportedError,
    WorkflowNotFound,
)
from .plan import Plan, compile_definition, compile_file
from .runtime.client import BatonRun, TemporalWorkflowClient

# The seed's name for the saga workflow: sagas run on the one interpreter.
SagaWorkflow = ProcessWorkflow
MultiAgentProjectWorkflow = ProcessWorkflow

__all__ = [
    "BatonError",
    "BatonRun",
    "ConfigError",
    "DefinitionError",
    "Issue",
    "Plan",
    "ProcessWorkflow",
    "SagaWorkflow",
    "ServerError",
    "Settings",
    "TemporalWorkflowClient",
    "UnsupportedError",
    "WorkflowNotFound",
    "compile_definition",
    "compile_file",
    "get_temporal_client",
    "start_distributed_saga",
    "submit_approval_decision",
    "start_multi_agent_project",
    "AgentType",
    "ProjectSpec",
    "MultiAgentProjectWorkflow",
    "HumanApprovalWorkflow",
]
__version__ = "0.1.0"
