"""``python``: a callable named ``package.module:function``, sync or async, from
a module the execution policy allows (``policy.python_modules``). With
``checkpoint:`` it gets a checkpoint handle (docs/checkpoints.md)."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import importlib
import inspect
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from ..policy import ExecutionPolicy
from ._support import heartbeating, non_retryable
from .types import ActionRequest


def load_callable(path: str) -> Any:
    module_name, _, attr_path = path.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise non_retryable(
            f"cannot import module {module_name!r} for {path!r}: {exc}; "
            "is it installed in the worker's environment?",
            "CallableNotFound",
        ) from exc
    for attr in attr_path.split("."):
        try:
            target = getattr(target, attr)
        except AttributeError:
            raise non_retryable(
                f"{module_name!r} has no attribute {attr_path!r}", "CallableNotFound"
            ) from None
    if not callable(target):
        raise non_retryable(f"{path!r} is not callable", "CallableNotFound")
    return target


# How many sync functions one worker runs at once, each in a thread of its
# own pool (asyncio's default pool has min(32, cores + 4) threads: 6 on two
# cores, which capped a sweep's parallelism of 8 at 6)
SYNC_THREADS = 64


class PythonAction:
    def __init__(self, policy: ExecutionPolicy, checkpoints_dir: Path | None = None) -> None:
        """``checkpoints_dir``: where checkpointed steps that name no store
        keep their checkpoints (``$BATON_HOME/checkpoints``)."""
        self._policy = policy
        self._checkpoints_dir = checkpoints_dir
        self._threads = ThreadPoolExecutor(SYNC_THREADS, thread_name_prefix="baton-python")

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)

    @activity.defn(name="baton.python")
    async def run_python(self, request: ActionRequest) -> Any:
        action = request.action
        refusal = self._policy.python_refusal(action["function"])
        if refusal:
            raise non_retryable(refusal, "PolicyDenied")
        function = load_callable(action["function"])
        args, kwargs = action.get("args", []), action.get("kwargs", {})
        if action.get("checkpoint") is not None:
            from .checkpointed_call import run_checkpointed_step

            return await run_checkpointed_step(
                request, function, self._policy, self._checkpoints_dir
            )
        async with heartbeating():
            try:
                if inspect.iscoroutinefunction(function):
                    return await function(*args, **kwargs)
                # with the activity's context (heartbeats from the function work)
                call = functools.partial(contextvars.copy_context().run, function, *args, **kwargs)
                return await asyncio.get_running_loop().run_in_executor(self._threads, call)
            except ApplicationError:
                raise
            except Exception as exc:
                raise ApplicationError(
                    f"{action['function']} raised {type(exc).__name__}: {exc}",
                    type=type(exc).__name__,
                ) from exc
