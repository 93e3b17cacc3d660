"""``script``: a bash script in its own process group."""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from ._support import base_env, error_tail, heartbeating, process_output, run_process_group
from .types import ActionRequest


@activity.defn(name="baton.script")
async def run_script(request: ActionRequest) -> Any:
    action = request.action
    async with heartbeating():
        result = await run_process_group(
            ["bash", "-c", action["script"]],
            stdin=None,
            env={**base_env(request), **action.get("env", {})},
            cwd=action.get("cwd"),
            timeout_seconds=request.timeout_seconds,
        )
    if result.exit_code != 0:
        raise ApplicationError(
            f"script exited with {result.exit_code}: {error_tail(result.stderr or result.stdout)}",
            type="ScriptFailed",
        )
    return process_output(result)
