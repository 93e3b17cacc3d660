"""Names a package exports but loads on first use (PEP 562), so that
importing it stays cheap: ``__getattr__ = lazy_names(__name__, {...})``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module
from typing import Any


def lazy_names(package: str, where: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` loading each name from its module in
    ``where`` (relative to ``package``) the first time it is asked for."""

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(where[name], package), name)
        setattr(sys.modules[package], name, value)  # later lookups skip this
        return value

    return __getattr__
