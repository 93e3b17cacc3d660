"""The no-op step the benchmarks run (a module of their own, so the worker's
execution policy can allow exactly it: policy.python_modules)."""


async def noop() -> None:
    return None
