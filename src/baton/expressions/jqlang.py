"""jq as an expression language (``Expr(source, language="jq")``), for the
process language (Serverless Workflow's ``${ ... }``).

Deterministic: built-ins that read the clock, the environment, more input,
the machine's time zone or files (``now``, ``env``, ``$ENV``, ``input``,
``localtime``, ``import``, ...) are refused when an expression is checked
and again before it is evaluated, so a replay computes what the run did.

Bounded: jq is C code that no thread can interrupt, and an expression from
anyone who can reach an entry point may loop forever (``repeat(1)``) or build
a huge value. So a worker evaluates jq in a helper process
(:mod:`.jq_helper`) with a memory limit, and gives each answer
``TIMEOUT_SECONDS``. An expression that takes longer, or kills its helper,
raises :class:`ExpressionTimeout` — not an expression error: it fails the
workflow *task*, which is not written to history (Temporal retries it, and
the run shows as stuck), so what the history records never depends on how
busy a machine was. The helper is started again for the next expression.

Names become jq variables: ``$context``, ``$input``, ``$output``, ``$workflow``,
loop items and whatever else the scope has (identifier names only); ``.`` is
the scope's ``.``, else its ``output``, else its ``input``.
"""

from __future__ import annotations

import copy
import json
import os
import re
import select
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from .restricted import ExpressionError

MAX_SOURCE = 4096
TIMEOUT_SECONDS = 1.0  # under Temporal's 2 s deadlock detection of a workflow task
MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024

# built-ins whose result is not a function of the expression's input
DENIED: dict[str, str] = {
    "now": "reads the clock",
    "localtime": "depends on the machine's time zone",
    "strflocaltime": "depends on the machine's time zone",
    "env": "reads the environment",
    "$ENV": "reads the environment",
    "input": "reads more input",
    "inputs": "reads more input",
    "input_filename": "reads the input's file name",
    "input_line_number": "reads the input's position",
    "debug": "writes to the worker's log",
    "stderr": "writes to the worker's log",
    "halt": "stops the evaluator",
    "halt_error": "stops the evaluator",
    "import": "loads modules from files",
    "include": "loads modules from files",
    "modulemeta": "reads module files",
    "get_search_list": "reads the module search path",
    "get_prog_origin": "reads the program's location",
    "get_jq_origin": "reads the evaluator's location",
    "$__prog_args": "reads the evaluator's arguments",
}


# `$secrets.NAME` (or `$secrets["NAME"]`): a reference the worker resolves
SECRET_USE = re.compile(r"\$secrets\b")
SECRET_NAMED = re.compile(
    r'\$secrets(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\])'
)


def secret_names(source: str) -> list[str] | None:
    """The secrets ``source`` names, in order; None when it uses ``$secrets``
    other than as ``$secrets.NAME`` (a whole map of secrets is never given)."""
    named = [a or b for a, b in SECRET_NAMED.findall(source)]
    if len(named) != len(SECRET_USE.findall(source)):
        return None
    return list(dict.fromkeys(named))


def secret_references(source: str) -> dict[str, str]:
    """What ``$secrets`` is while the workflow evaluates ``source``: each
    secret it names as ``{{secrets.NAME}}``, the reference an activity
    resolves on the worker (the value never enters the workflow)."""
    return {name: "{{secrets." + name + "}}" for name in secret_names(source) or []}


class ExpressionTimeout(RuntimeError):
    """An evaluation took too long or exhausted its helper: the workflow task
    fails (Temporal retries it) instead of a result entering history."""


def references(source: str) -> tuple[set[str], set[str]]:
    """The identifiers (called or named, not ``.field``s) and ``$variables``
    the jq program uses, string contents aside (interpolations included)."""
    words: set[str] = set()
    variables: set[str] = set()
    i, n = 0, len(source)
    # a stack of modes: "code" or "string"; interpolation \( ... ) nests code
    stack: list[list[Any]] = [["code", 0]]
    while i < n:
        mode = stack[-1]
        c = source[i]
        if mode[0] == "string":
            if c == "\\" and i + 1 < n and source[i + 1] == "(":
                stack.append(["code", 0])
                i += 2
                continue
            if c == "\\":
                i += 2
                continue
            if c == '"':
                stack.pop()
            i += 1
            continue
        if c == "#":
            while i < n and source[i] != "\n":
                i += 1
            continue
        if c == '"':
            stack.append(["string", 0])
            i += 1
            continue
        if c == "(":
            mode[1] += 1
        elif c == ")":
            if mode[1] == 0 and len(stack) > 1:
                stack.pop()  # the end of an interpolation
                i += 1
                continue
            mode[1] -= 1
        if c == "$" or c == "@" or c.isalpha() or c == "_":
            j = i + 1
            while j < n and (source[j].isalnum() or source[j] == "_"):
                j += 1
            token = source[i:j]
            k = i - 1
            while k >= 0 and source[k] in " \t\r\n":
                k -= 1
            after_dot = k >= 0 and source[k] == "."
            if c == "$":
                variables.add(token[1:])
                if token in DENIED:
                    words.add(token)
            elif c != "@" and not after_dot and not _is_key(source, j):
                words.add(token)
            i = j
            continue
        i += 1
    return words, variables


def _is_key(source: str, end: int) -> bool:
    """Whether the identifier ending at ``end`` is an object key (``{now: 1}``)
    or a definition's name — followed by ``:`` — rather than a call."""
    while end < len(source) and source[end] in " \t\r\n":
        end += 1
    return end < len(source) and source[end] == ":"


@lru_cache(maxsize=4096)
def _refusal(source: str) -> str | None:
    if len(source) > MAX_SOURCE:
        return f"is {len(source)} characters long; at most {MAX_SOURCE}"
    words, _ = references(source)
    for word in sorted(words):
        if word in DENIED:
            return f"uses {word}, which {DENIED[word]}: expressions must give the same value on every replay"
    return None


@lru_cache(maxsize=4096)
def _variables(source: str) -> tuple[str, ...]:
    _, variables = references(source)
    return tuple(sorted(v for v in variables if v.isidentifier() and v != "__loc__"))


def check(source: str) -> str | None:
    """None when ``source`` is a jq program Baton will evaluate, else why not."""
    refusal = _refusal(source)
    if refusal:
        return refusal
    if _literal(source) is not _NOT_LITERAL:
        return None  # a JSON text: valid jq
    return _compile_problem(source)


@lru_cache(maxsize=4096)
def _compile_problem(source: str) -> str | None:
    """Why jq cannot compile ``source`` (cached: compiling takes about a
    millisecond, and a definition is checked each time a run starts)."""
    import jq

    try:  # variables bound as arguments, so positions are the source's own
        jq.compile(source, args={name: None for name in _variables(source)})
    except ValueError as exc:
        return "is not valid jq: " + _first_line(str(exc))
    return None


def evaluate(source: str, scope: Mapping[str, Any]) -> Any:
    """The first value ``source`` outputs (null when it outputs none)."""
    refusal = _refusal(source)
    if refusal:
        raise ExpressionError(refusal)
    literal = _literal(source)
    if literal is not _NOT_LITERAL:
        # a JSON text is a jq program giving itself: no helper round trip
        # (a process's call arguments written without expressions)
        return copy.deepcopy(literal)
    names = _variables(source)
    missing = [name for name in names if name not in scope]
    if missing:
        known = ", ".join(f"${k}" for k in sorted(scope) if k.isidentifier())
        raise ExpressionError(f"unknown variable ${missing[0]} (known: {known})")
    if "." in scope:
        data = scope["."]
    else:
        data = scope["output"] if "output" in scope else scope.get("input")
    reply = _HELPER.ask(
        {
            "program": source,
            "names": list(names),
            "data": data,
            "values": {name: scope[name] for name in names},
        }
    )
    if "error" in reply:
        raise ExpressionError("failed: " + _first_line(str(reply["error"])))
    outputs = reply["ok"]
    return outputs[0] if outputs else None


_NOT_LITERAL = object()


def _no_constants(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are JSON to Python, not to jq


@lru_cache(maxsize=4096)
def _literal(source: str) -> Any:
    """The value of ``source`` when it is a JSON text that jq gives back
    unchanged, else ``_NOT_LITERAL``. Numbers other than integers within
    ±2**53 are left to jq, which has its own (1.0 is 1, big integers round)."""
    try:
        value = json.loads(source, parse_constant=_no_constants)
    except ValueError:
        return _NOT_LITERAL
    return value if _jq_keeps(value) else _NOT_LITERAL


def _jq_keeps(value: Any) -> bool:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, int):
        return abs(value) <= 2**53
    if isinstance(value, list):
        return all(_jq_keeps(v) for v in value)
    if isinstance(value, dict):
        return all(_jq_keeps(v) for v in value.values())
    return False  # a float


def _first_line(message: str) -> str:
    lines = [line for line in message.splitlines() if line.strip()]
    text = lines[0] if lines else message
    return text.removeprefix("jq: error: ").strip().rstrip(":")


class _Helper:
    """One helper process per worker process, used one request at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            line = json.dumps(request, allow_nan=False).encode() + b"\n"
        except (TypeError, ValueError) as exc:
            raise ExpressionError(f"its values are not JSON: {exc}") from None
        with self._lock:
            proc = self._running()
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(line)
                proc.stdin.flush()
            except BrokenPipeError:
                self._stop()
                raise ExpressionTimeout("the jq helper stopped; it starts again") from None
            reply = b""
            ends = time.monotonic() + TIMEOUT_SECONDS
            while not reply.endswith(b"\n"):
                left = ends - time.monotonic()
                ready = left > 0 and select.select([proc.stdout], [], [], left)[0]
                if not ready:
                    self._stop()
                    raise ExpressionTimeout(
                        f"a jq expression took longer than {TIMEOUT_SECONDS:g}s: "
                        f"{request['program'][:200]!r}"
                    )
                chunk = os.read(proc.stdout.fileno(), 1 << 16)
                if not chunk:
                    self._stop()
                    raise ExpressionTimeout(
                        "a jq expression exhausted its helper (memory limit "
                        f"{MEMORY_LIMIT_BYTES >> 20} MiB): {request['program'][:200]!r}"
                    )
                reply += chunk
        answer: dict[str, Any] = json.loads(reply)
        return answer

    def _running(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "baton.expressions.jq_helper"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                bufsize=0,
                env={"PATH": os.defpath, "PYTHONPATH": os.pathsep.join(sys.path)},
                preexec_fn=_limit_memory,
            )
        return self._proc

    def _stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None


def _limit_memory() -> None:  # in the helper, before it runs
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


_HELPER = _Helper()
