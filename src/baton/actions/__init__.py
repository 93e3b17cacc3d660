"""Activities: one module per action type. The activity input types
(:mod:`.types`) are plain data, imported by workflow code; the executors
(:class:`ActionSet`) load only where a worker runs."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .types import ACTIVITY_NAMES, NOTIFY_ACTIVITY, ActionRequest, Notification

__all__ = [
    "ACTIVITY_NAMES",
    "NOTIFY_ACTIVITY",
    "ActionRequest",
    "ActionSet",
    "Notification",
]


def __getattr__(name: str) -> Any:
    if name == "ActionSet":
        return import_module(".executors", __name__).ActionSet
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
