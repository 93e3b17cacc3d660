"""Helpers shared by the action executors: heartbeating while awaiting,
running a process group, turning output into a step result."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

HEARTBEAT_SECONDS = 5.0
OUTPUT_TAIL_CHARS = 8_000


def non_retryable(message: str, kind: str = "BatonActionError") -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)


@contextlib.asynccontextmanager
async def heartbeating(details: Any = None) -> AsyncIterator[None]:
    """Heartbeat in the background so the server notices a dead worker within
    the heartbeat timeout and so cancellation reaches this activity."""
    timeout = activity.info().heartbeat_timeout
    every = min(HEARTBEAT_SECONDS, timeout.total_seconds() / 3) if timeout else HEARTBEAT_SECONDS

    async def beat() -> None:
        while True:
            activity.heartbeat(details)
            await asyncio.sleep(every)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@dataclass
class ProcessResult:
    exit_code: int
    stdout: str
    stderr: str


async def run_process_group(
    argv: list[str],
    *,
    stdin: str | None,
    env: dict[str, str],
    cwd: str | None,
    timeout_seconds: float,
    on_start: Callable[[int], None] | None = None,
) -> ProcessResult:
    """Run ``argv`` in its own process group; on timeout or cancellation the
    whole group is terminated (then killed), so no grandchild outlives it."""
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **env},
            cwd=cwd,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise non_retryable(f"program not found: {argv[0]}", "ProgramNotFound") from exc
    except NotADirectoryError as exc:
        raise non_retryable(f"working directory is not a directory: {cwd}") from exc
    if on_start is not None:
        on_start(proc.pid)
    try:
        out, err = await asyncio.wait_for(
            proc.communicate(stdin.encode() if stdin is not None else None), timeout_seconds
        )
    except asyncio.TimeoutError:
        await _kill_group(proc)
        raise ApplicationError(
            f"{argv[0]} did not finish within {timeout_seconds:g}s; its process group was killed",
            type="ProcessTimeout",
        ) from None
    except asyncio.CancelledError:
        await _kill_group(proc)
        raise
    return ProcessResult(
        proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")
    )


async def _kill_group(proc: asyncio.subprocess.Process, grace: float = 3.0) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            await asyncio.wait_for(proc.wait(), grace)
            return
        except asyncio.TimeoutError:
            continue


def tail(text: str, limit: int = OUTPUT_TAIL_CHARS) -> str:
    return text if len(text) <= limit else "…" + text[-limit:]


def error_tail(text: str, lines: int = 6, limit: int = 600) -> str:
    """The end of a failing program's output: where its error usually is."""
    kept = "\n".join(text.strip().splitlines()[-lines:])
    return kept if len(kept) <= limit else "…" + kept[-limit:]


def process_output(result: ProcessResult) -> Any:
    """JSON stdout becomes the output as is; anything else is wrapped."""
    text = result.stdout.strip()
    if text:
        try:
            return json.loads(text)
        except ValueError:
            pass
    return {
        "exit_code": result.exit_code,
        "stdout": tail(result.stdout),
        "stderr": tail(result.stderr),
    }


def base_env(request: Any) -> dict[str, str]:
    return {
        "BATON_WORKFLOW_ID": request.workflow_id,
        "BATON_STEP_ID": request.step_id,
        "BATON_PHASE": request.phase,
        "BATON_ATTEMPT": str(request.attempt),
        "BATON_IDEMPOTENCY_KEY": request.idempotency_key,
    }
