"""Callables for the `python` action tests (imported by the worker)."""

import asyncio


def add(a: int, b: int) -> dict:
    return {"sum": a + b}


async def greet(name: str) -> dict:
    await asyncio.sleep(0.01)
    return {"greeting": f"hello {name}"}


def boom() -> None:
    raise ValueError("the callable failed on purpose")


def note(log: str, text: str) -> dict:
    """Append ``text`` to the file ``log``; return it (the order tests read)."""
    with open(log, "a") as out:
        out.write(f"{text}\n")
    return {"text": text}


def echo(value):  # type: ignore[no-untyped-def]
    return value


def fail(kind: str = "Boom", status: int | None = None, log: str | None = None) -> None:
    """Fail with an error of type ``kind`` (and ``status``), noting the attempt."""
    from temporalio.exceptions import ApplicationError

    if log:
        note(log, f"fail-{kind}")
    raise ApplicationError(f"{kind} on purpose", {"status": status}, type=kind)


def flaky(log: str, text: str, failures: int) -> dict:
    """Fail the first ``failures`` calls (counted in ``log``), then note ``text``."""
    from temporalio.exceptions import ApplicationError

    try:
        with open(log) as seen:
            tries = sum(1 for line in seen if line.startswith(f"try-{text}"))
    except FileNotFoundError:
        tries = 0
    note(log, f"try-{text}")
    if tries < failures:
        raise ApplicationError(f"{text} fails (try {tries + 1})", {"status": 503}, type="Flaky")
    return note(log, text)


async def nap(seconds: float) -> dict:
    """Take ``seconds`` (a step that outlives a short timeout)."""
    await asyncio.sleep(seconds)
    return {"slept": seconds}
