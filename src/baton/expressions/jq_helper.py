"""The process that evaluates jq for a Baton worker (see :mod:`.jq`).

Reads one JSON request a line on stdin — ``{"program", "names", "data",
"values"}`` — and answers one JSON line: ``{"ok": [outputs]}`` or
``{"error": message}``. It holds compiled programs in a cache. It runs with
a memory limit and no environment; the worker kills it when an answer takes
too long, and starts another.
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from typing import Any

import jq


@lru_cache(maxsize=1024)
def _compiled(program: str, names: tuple[str, ...]) -> Any:
    bind = ", ".join(f"${name}" for name in names)
    wrapped = f".[1] as {{{bind}}} | .[0] | ({program})" if names else f".[0] | ({program})"
    return jq.compile(wrapped)


def answer(request: dict[str, Any]) -> dict[str, Any]:
    try:
        program = _compiled(request["program"], tuple(request["names"]))
        outputs = program.input_value([request["data"], request["values"]]).all()
    except ValueError as exc:
        return {"error": str(exc)}
    return {"ok": outputs}


def main() -> None:
    for line in sys.stdin:
        reply = answer(json.loads(line))
        try:
            text = json.dumps(reply, allow_nan=False)
        except ValueError:
            text = json.dumps({"error": "the result is not JSON (NaN or infinity)"})
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
