"""The seed's Python API: ``get_temporal_client`` and ``start_distributed_saga``."""

from __future__ import annotations

from typing import Any

from .config import Settings
from .definitions.project import ProjectSpec
from .runtime.client import BatonRun, TemporalWorkflowClient


def get_temporal_client(settings: Settings | None = None) -> TemporalWorkflowClient:
    """A new, not yet connected client for the configured server
    (``TEMPORAL_ADDRESS``, else the embedded server's address)."""
    return TemporalWorkflowClient(settings)


async def start_distributed_saga(
    saga_definition: dict[str, Any],
    coordination_mode: str = "orchestration",
    config: dict[str, Any] | None = None,
    *,
    workflow_id: str | None = None,
    client: TemporalWorkflowClient | None = None,
) -> BatonRun:
    """Validate ``saga_definition`` (the seed's format) and start it. Returns
    a :class:`BatonRun`; ``await run.result()`` gives the final status
    document. Raises :class:`~baton.errors.DefinitionError` before anything
    starts if the definition or config is invalid."""
    client = client or get_temporal_client()
    return await client.start_saga(
        saga_definition,
        config=config,
        coordination_mode=coordination_mode,
        workflow_id=workflow_id,
    )


async def submit_approval_decision(
    request_id: str,
    approver_id: str,
    decision: str,
    feedback: str | None = None,
    *,
    client: TemporalWorkflowClient | None = None,
) -> bool:
    """Decide an approval (the seed's call). Returns whether the decision was
    accepted; ``client.submit_decision`` returns the reason of a refusal too."""
    client = client or get_temporal_client()
    outcome = await client.submit_decision(request_id, approver_id, decision, feedback)
    return bool(outcome["accepted"])


async def start_process(
    definition: dict[str, Any],
    input: Any = None,
    *,
    workflow_id: str | None = None,
    client: TemporalWorkflowClient | None = None,
) -> BatonRun:
    """Validate a process (a Serverless Workflow 1.0 document, docs/processes.md)
    and start it with ``input``. ``await run.result()`` gives the final status
    document, whose ``output`` is the workflow's output."""
    client = client or get_temporal_client()
    return await client.start_process(definition, input, workflow_id=workflow_id)


async def start_multi_agent_project(
    project_spec: ProjectSpec | dict[str, Any],
    config: dict[str, Any] | None = None,
    *,
    workflow_id: str | None = None,
    client: TemporalWorkflowClient | None = None,
) -> BatonRun:
    """Plan the project (phases per requirement, gates, testing, deployment)
    and start it (the seed's call). ``await run`` gives the final status."""
    client = client or get_temporal_client()
    return await client.start_project(project_spec, config, workflow_id)
