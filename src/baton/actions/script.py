"""``script``: a bash script in its own process group, with only a minimal
environment (never the worker's secrets), a working directory of its own
unless the step names one, the step's timeout and bounded output."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from ..redact import redact, redact_value
from ._support import (
    base_env,
    error_tail,
    file_safe,
    heartbeating,
    non_retryable,
    process_output,
    run_process_group,
    script_env,
)
from .detached import start as detached_start
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
                redact(exc.message, used),
                *exc.details,
                type=exc.type,
                non_retryable=exc.non_retryable,
            ) from None


# The process language's scripts: how each language's code is run (from a
# file in the scratch directory, so its own name is argv[0] and the
# `arguments` follow)
INTERPRETERS = {"python": (sys.executable, "script.py"), "js": ("node", "script.mjs")}
RETURNS = ("stdout", "stderr", "code", "all", "none")


async def _run_script(request: ActionRequest, env: dict[str, str]) -> Any:
    """``script`` run by bash — or, with ``language`` (python, js), by that
    language — with ``args`` as its arguments and ``stdin`` as its input.
    Without ``return`` the output is Baton's (JSON stdout as is, else exit
    code, stdout and stderr) and a non-zero exit fails the attempt; with
    ``return`` (the process language's) it is stdout, stderr, the code, all
    three, or nothing — and ``code``/``all`` report a non-zero exit instead of
    failing."""
    action = request.action
    cwd = action.get("cwd")
    scratch = None if cwd else tempfile.mkdtemp(prefix=f"baton-{file_safe(request.step_id)[:40]}-")
    args = [str(a) for a in action.get("args") or []]
    language = action.get("language")
    stdin = action.get("stdin")
    text_in = None if stdin is None else stdin if isinstance(stdin, str) else json.dumps(stdin)
    child_env = {**base_env(request), **{str(k): str(v) for k, v in env.items()}}
    detached = False
    try:
        if language is None:
            argv = ["bash", "-c", action["script"], "baton", *args]
        elif language in INTERPRETERS:
            program, name = INTERPRETERS[str(language)]
            folder = Path(cwd or scratch or ".")
            (folder / name).write_text(str(action["script"]))
            argv = [program, str(folder / name), *args]
        else:
            raise non_retryable(
                f"scripts in {language!r} are not run (python and js are)", "Unsupported"
            )
        if action.get("detach"):
            # not awaited: a supervisor owns the process (and the scratch
            # directory) from here; the step's timeout bounds its life
            detached_start(
                argv,
                stdin=text_in,
                env={**script_env(), **child_env},
                cwd=str(cwd or scratch),
                timeout_seconds=request.timeout_seconds,
                cleanup=scratch,
            )
            detached = True
            return {"started": True}
        async with heartbeating():
            result = await run_process_group(
                argv,
                stdin=text_in,
                env=child_env,
                cwd=cwd or scratch,
                timeout_seconds=request.timeout_seconds,
                inherit=script_env(),
            )
    finally:
        if scratch is not None and not detached:
            shutil.rmtree(scratch, ignore_errors=True)
    wanted = action.get("return")
    if result.exit_code != 0 and wanted not in ("code", "all"):
        tail = error_tail(result.stderr or result.stdout) or "(it printed nothing)"
        raise ApplicationError(
            f"script exited with {result.exit_code}: {tail}",
            {"status": result.exit_code},
            type="ScriptFailed",
        )
    if wanted is None:
        return process_output(result)
    return {
        "stdout": result.stdout.rstrip("\n"),
        "stderr": result.stderr.rstrip("\n"),
        "code": result.exit_code,
        "all": {"code": result.exit_code, "stdout": result.stdout, "stderr": result.stderr},
        "none": None,
    }[str(wanted)]
