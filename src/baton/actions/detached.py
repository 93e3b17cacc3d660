"""A program started and not waited for (``run`` with ``await: false``).

The worker starts this file (by path, with the standard library only) as a
small supervisor in a session of its own, and returns at once. The
supervisor runs the program in a process group of its own, with its input
from a file, its output discarded; it ends the whole group when the step's
timeout has passed, then removes the scratch directory. The program
outlives the step that started it, and the worker too: a worker that stops
does not stop it."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GRACE_SECONDS = 3.0


def start(
    argv: list[str],
    *,
    stdin: str | None,
    env: dict[str, str],
    cwd: str,
    timeout_seconds: float,
    cleanup: str | None,
) -> None:
    """Start ``argv`` detached."""
    # -I: the standard library only (this folder holds a types.py of its own)
    command = [sys.executable, "-I", str(Path(__file__).resolve())]
    command += ["--timeout", f"{timeout_seconds:g}"]
    if cleanup is not None:
        command += ["--cleanup", cleanup]
    if stdin is not None:
        # the supervisor reads it, then removes it
        handle, stdin_file = tempfile.mkstemp(prefix="baton-stdin-")
        with os.fdopen(handle, "w") as file:
            file.write(stdin)
        command += ["--stdin", stdin_file]
    command += ["--", *argv]
    proc = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )
    # the supervisor forks and its first process ends at once: reaped here,
    # the supervisor itself belongs to init (no zombie under the worker)
    proc.wait(10)


def _supervise(argv: list[str], timeout: float, cleanup: str | None, stdin: str | None) -> int:
    try:
        with open(stdin or os.devnull, "rb") as source:
            if stdin:
                os.unlink(stdin)
            child = subprocess.Popen(
                argv,
                stdin=source,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            return child.wait(timeout)
        except subprocess.TimeoutExpired:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.pid, sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(GRACE_SECONDS)
                    break
            return -1
    except OSError:
        return 127
    finally:
        if cleanup is not None:
            # a moment for the group's last processes to let go of the directory
            time.sleep(0.1)
            shutil.rmtree(cleanup, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timeout", type=float, required=True)
    parser.add_argument("--cleanup")
    parser.add_argument("--stdin")
    parser.add_argument("argv", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if os.fork() > 0:
        os._exit(0)
    return _supervise(argv, args.timeout, args.cleanup, args.stdin)


if __name__ == "__main__":
    sys.exit(main())
