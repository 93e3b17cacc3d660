"""``script``: a bash script in its own process group, with only a minimal
environment (never the worker's secrets), a working directory of its own
unless the step names one, the step's timeout and bounded output."""

from __future__ import annotations

import shutil
import tempfile
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from ..redact import redact, redact_value
from ._support import (
    base_env,
    error_tail,
    file_safe,
    heartbeating,
    process_output,
    run_process_group,
    script_env,
)
from .secrets import SecretStore
from .types import ActionRequest


class ScriptAction:
    def __init__(self, secrets: SecretStore) -> None:
        self._secrets = secrets

    @activity.defn(name="baton.script")
    async def run_script(self, request: ActionRequest) -> Any:
        used: list[str] = []
        env = self._secrets.resolve(dict(request.action.get("env") or {}), used)
        try:
            return redact_value(await _run_script(request, env), used)
        except ApplicationError as exc:
            raise ApplicationError(
                redact(exc.message, used), type=exc.type, non_retryable=exc.non_retryable
            ) from None


async def _run_script(request: ActionRequest, env: dict[str, str]) -> Any:
    action = request.action
    cwd = action.get("cwd")
    scratch = None if cwd else tempfile.mkdtemp(prefix=f"baton-{file_safe(request.step_id)[:40]}-")
    try:
        async with heartbeating():
            result = await run_process_group(
                ["bash", "-c", action["script"]],
                stdin=None,
                env={**base_env(request), **env},
                cwd=cwd or scratch,
                timeout_seconds=request.timeout_seconds,
                inherit=script_env(),
            )
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    if result.exit_code != 0:
        tail = error_tail(result.stderr or result.stdout) or "(it printed nothing)"
        raise ApplicationError(
            f"script exited with {result.exit_code}: {tail}", type="ScriptFailed"
        )
    return process_output(result)
