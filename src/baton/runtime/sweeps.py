"""Starting a parameter sweep (``client.start_sweep``, ``baton sweep FILE``):
validate the ``kind: sweep`` document, check the trial against the execution
policy as the worker will, and start a ``BatonSweep`` workflow
(docs/sweeps.md)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from ..engine.names import SWEEP_WORKFLOW_NAME
from ..engine.search_attributes import BATON_KIND, BATON_NAME, BATON_STATUS
from ..errors import DefinitionError, Issue, RunAlreadyExistsError, ServerError
from ..plan.sweep import SweepInput, SweepSpec

if TYPE_CHECKING:
    from ..policy import ExecutionPolicy
    from .client import BatonRun, TemporalWorkflowClient


def sweep_spec(
    client: TemporalWorkflowClient, definition: dict[str, Any] | str | Path, source: str
) -> SweepSpec:
    """The validated spec; a DefinitionError names each field at fault,
    including a trial the workers' policy would refuse."""
    if not isinstance(definition, dict):
        from ..definitions import read_document

        source = str(definition)
        definition = read_document(definition)
    return checked_sweep(definition, source, client.baton_file.policy, client.origin)


def checked_sweep(
    document: dict[str, Any], source: str, policy: ExecutionPolicy, origin: str
) -> SweepSpec:
    """``document`` validated (``baton validate`` too), its trial checked
    against ``policy`` for a sweep from ``origin`` as the worker will."""
    from ..definitions.sweep import parse_sweep

    spec = parse_sweep(document, source, origin=origin)
    refusal = policy.action_refusal("python", origin) or policy.python_refusal(spec.function)
    if refusal:
        raise DefinitionError(source, [Issue("trial.function", refusal)])
    return spec


async def start_sweep(
    client: TemporalWorkflowClient,
    definition: dict[str, Any] | str | Path,
    workflow_id: str | None = None,
    *,
    source: str = "<dict>",
) -> BatonRun:
    from .client import BatonRun

    spec = sweep_spec(client, definition, source)
    workflow_id = workflow_id or f"{spec.name}-{uuid.uuid4().hex[:8]}"
    temporal = await client.connect()
    try:
        handle: Any = await temporal.start_workflow(
            SWEEP_WORKFLOW_NAME,
            SweepInput(spec),
            id=workflow_id,
            task_queue=client.settings.task_queue,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(BATON_KIND, "sweep"),
                    SearchAttributePair(BATON_NAME, spec.name),
                    SearchAttributePair(BATON_STATUS, "RUNNING"),
                ]
            ),
        )
    except WorkflowAlreadyStartedError as exc:
        raise RunAlreadyExistsError(
            f"a run with id {workflow_id!r} is already running; choose another --id"
        ) from exc
    except RPCError as exc:
        raise ServerError(f"cannot start {workflow_id!r}: {exc.message}") from exc
    return BatonRun(workflow_id, handle.first_execution_run_id, client)
