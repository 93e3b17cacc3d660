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
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

# How often a running action heartbeats. The worker's heartbeat throttle is
# set to match (runtime/worker.py), so a cancel reaches a running action
# within about this long.
HEARTBEAT_SECONDS = 1.0
OUTPUT_TAIL_CHARS = 8_000
# What a child process may write before the rest is dropped (per stream).
MAX_OUTPUT_BYTES = 1024 * 1024
# Never passed to a child process: the worker's own secrets.
SECRET_ENV = (
    "BATON_CALLBACK_SECRET",
    "BATON_IDENTITY_KEY",
    "BATON_CREDENTIAL",
    "BATON_MCP_TOKEN",
    "BATON_CODEC_KEY",
    "TEMPORAL_API_KEY",
    "TEMPORAL_TLS_CLIENT_KEY",
    "TEMPORAL_TLS_CLIENT_KEY_PATH",
)
# All a `script` step inherits from the worker's environment.
SCRIPT_ENV = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "USER",
    "LOGNAME",
    "SHELL",
    "TERM",
)


def worker_env_without_secrets() -> dict[str, str]:
    """The worker's environment minus its secrets: for agents and git, which
    need their own settings (an agent its API key) but never Baton's keys."""
    return {k: v for k, v in os.environ.items() if k not in SECRET_ENV}


def script_env() -> dict[str, str]:
    """The little a script inherits: where programs are, locale, home."""
    return {k: os.environ[k] for k in SCRIPT_ENV if k in os.environ}


def non_retryable(message: str, kind: str = "BatonActionError") -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)


@contextlib.asynccontextmanager
async def heartbeating(details: Callable[[], Any] | None = None) -> AsyncIterator[None]:
    """Heartbeat in the background so the server notices a dead worker within
    the heartbeat timeout and so a cancel reaches this activity within about
    a second (cancellation is delivered in the answer to a heartbeat).
    ``details`` gives what each heartbeat carries (e.g. the last output lines)."""
    info = activity.info()
    if info.is_local:
        # a local step has no heartbeats: its workflow task's timeout notices
        # a dead worker, and a cancel reaches it through the workflow
        yield
        return
    timeout = info.heartbeat_timeout
    every = min(HEARTBEAT_SECONDS, timeout.total_seconds() / 3) if timeout else HEARTBEAT_SECONDS

    async def beat() -> None:
        while True:
            activity.heartbeat(details() if details is not None else None)
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
    truncated: bool = False  # a stream passed MAX_OUTPUT_BYTES; the rest was dropped


def file_safe(name: str) -> str:
    """``name`` as one file-name part (ids may hold ``/``: loop iterations)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def agent_log_path(logs_dir: Path, workflow_id: str, step_id: str) -> Path:
    """Where a worker writes a step's agent output: ``<logs>/<run>/<step>.log``."""
    return logs_dir / file_safe(workflow_id) / f"{file_safe(step_id)}.log"


class OutputLog:
    """An agent's output as it runs: appended to a log file (``baton logs``)
    and its last lines kept for heartbeats (``baton status`` from anywhere)."""

    def __init__(self, path: Path | None, tail_chars: int = 2000) -> None:
        self.path = path
        self.tail_chars = tail_chars
        self._tail = ""
        self._file: Any = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("ab", buffering=0)

    def write(self, stream: str, chunk: bytes) -> None:
        if self._file is not None:
            self._file.write(chunk)
        self._tail = (self._tail + chunk.decode(errors="replace"))[-self.tail_chars :]

    def last_lines(self, lines: int = 20) -> str:
        return "\n".join(self._tail.splitlines()[-lines:])

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


async def _read_limited(
    stream: asyncio.StreamReader | None,
    limit: int,
    sink: Callable[[bytes], None] | None = None,
) -> tuple[bytes, bool]:
    """Read a pipe to its end, keeping the first ``limit`` bytes (the child
    never blocks on a full pipe, and memory stays bounded); every chunk also
    goes to ``sink``."""
    if stream is None:
        return b"", False
    kept = bytearray()
    dropped = False
    while True:
        chunk = await stream.read(65536)
        if sink is not None and chunk:
            sink(chunk)
        if not chunk:
            return bytes(kept), dropped
        room = limit - len(kept)
        if room > 0:
            kept += chunk[:room]
        if len(chunk) > room:
            dropped = True


async def run_process_group(
    argv: list[str],
    *,
    stdin: str | None,
    env: dict[str, str],
    cwd: str | None,
    timeout_seconds: float,
    on_start: Callable[[int], None] | None = None,
    inherit: dict[str, str] | None = None,
    output_limit: int = MAX_OUTPUT_BYTES,
    output_log: OutputLog | None = None,
) -> ProcessResult:
    """Run ``argv`` in its own process group; on timeout or cancellation the
    whole group is terminated (then killed), so no grandchild outlives it.
    The child gets ``inherit`` (default: the worker's environment without its
    secrets) plus ``env``; each output stream is kept up to ``output_limit``."""
    base = worker_env_without_secrets() if inherit is None else inherit
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**base, **env},
            cwd=cwd,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise non_retryable(f"program not found: {argv[0]}", "ProgramNotFound") from exc
    except NotADirectoryError as exc:
        raise non_retryable(f"working directory is not a directory: {cwd}") from exc
    if on_start is not None:
        on_start(proc.pid)

    async def feed() -> None:
        if stdin is not None and proc.stdin is not None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                proc.stdin.write(stdin.encode())
                await proc.stdin.drain()
            proc.stdin.close()

    async def communicate() -> tuple[tuple[bytes, bool], tuple[bytes, bool]]:
        out_sink = err_sink = None
        if output_log is not None:
            log = output_log

            def out_sink(chunk: bytes) -> None:
                log.write("stdout", chunk)

            def err_sink(chunk: bytes) -> None:
                log.write("stderr", chunk)

        _, out, err = await asyncio.gather(
            feed(),
            _read_limited(proc.stdout, output_limit, out_sink),
            _read_limited(proc.stderr, output_limit, err_sink),
        )
        await proc.wait()
        return out, err

    try:
        (out, out_cut), (err, err_cut) = await asyncio.wait_for(communicate(), timeout_seconds)
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
        proc.returncode or 0,
        out.decode(errors="replace"),
        err.decode(errors="replace"),
        truncated=out_cut or err_cut,
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
    if text and not result.truncated:
        try:
            return json.loads(text)
        except ValueError:
            pass
    output: dict[str, Any] = {
        "exit_code": result.exit_code,
        "stdout": tail(result.stdout),
        "stderr": tail(result.stderr),
    }
    if result.truncated:
        output["truncated"] = f"output past {MAX_OUTPUT_BYTES:,} bytes per stream was dropped"
    return output


def base_env(request: Any) -> dict[str, str]:
    return {
        "BATON_WORKFLOW_ID": request.workflow_id,
        "BATON_STEP_ID": request.step_id,
        "BATON_PHASE": request.phase,
        "BATON_ATTEMPT": str(request.attempt),
        "BATON_IDEMPOTENCY_KEY": request.idempotency_key,
    }
