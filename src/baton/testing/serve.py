"""Serve the stand-in services from a shell, for tutorials and trying
definitions by hand (docs/bpmn.md's tutorial)::

    python -m baton.testing.serve --port 8765

They listen on 127.0.0.1 until Ctrl-C; :mod:`.services` lists the routes."""

from __future__ import annotations

import argparse
import sys
import threading

from .services import StandInServices

DEFAULT_PORT = 8765


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m baton.testing.serve",
        description="Serve Baton's stand-in HTTP services on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default %(default)s")
    args = parser.parse_args(argv)
    try:
        services = StandInServices(port=args.port)
    except OSError as exc:
        print(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    with services:
        print(f"stand-in services on {services.url} (Ctrl-C stops them)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
