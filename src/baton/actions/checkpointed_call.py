"""A ``python`` step with ``checkpoint:``: the function gets a checkpoint
handle as its ``checkpoint`` keyword argument, resumes from the step's last
checkpoint, and its progress rides on the step's heartbeats
(docs/checkpoints.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from temporalio.exceptions import ApplicationError

from ..checkpoints.running import checkpoint_key, open_session, run_checkpointed
from ..checkpoints.session import Cadence
from ..errors import CheckpointError
from ..policy import ExecutionPolicy
from ._support import non_retryable
from .types import ActionRequest


def _store(request: ActionRequest, policy: ExecutionPolicy, default: Path | None) -> str:
    named = request.action["checkpoint"].get("store")
    if not named:
        if default is None:
            raise non_retryable(
                "this worker has no checkpoint directory (no BATON_HOME); give the step's "
                "checkpoint a `store`",
                "CheckpointError",
            )
        return str(default)
    refusal = policy.checkpoint_store_refusal(str(named), request.origin)
    if refusal:
        raise non_retryable(refusal, "PolicyDenied")
    return str(named)


async def run_checkpointed_step(
    request: ActionRequest,
    function: Any,
    policy: ExecutionPolicy,
    default_dir: Path | None,
) -> Any:
    action = request.action
    spec: dict[str, Any] = action["checkpoint"]
    args, kwargs = action.get("args", []), action.get("kwargs", {})
    try:
        cadence = Cadence(
            every_steps=spec.get("every_steps"),
            every_seconds=spec.get("every_seconds"),
            keep=spec.get("keep", 3),
            keep_after_success=bool(spec.get("keep_after_success", False)),
        )
        session = open_session(
            _store(request, policy, default_dir),
            checkpoint_key(request.workflow_id, request.step_id, request.phase),
            cadence,
        )
        return await run_checkpointed(function, args, kwargs, session)
    except ApplicationError:
        raise
    except CheckpointError as exc:
        raise ApplicationError(
            str(exc), type="CheckpointError", non_retryable=not exc.retryable
        ) from exc
    except Exception as exc:
        raise ApplicationError(
            f"{action['function']} raised {type(exc).__name__}: {exc}",
            type=type(exc).__name__,
        ) from exc
