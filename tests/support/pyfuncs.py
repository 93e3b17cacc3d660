"""Callables for the `python` action tests (imported by the worker)."""

import asyncio


def add(a: int, b: int) -> dict:
    return {"sum": a + b}


async def greet(name: str) -> dict:
    await asyncio.sleep(0.01)
    return {"greeting": f"hello {name}"}


def boom() -> None:
    raise ValueError("the callable failed on purpose")
