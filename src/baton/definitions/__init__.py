"""Typed models and loaders for every definition kind.

Its names are imported on first use (PEP 562), so a module that needs one
small part of it (``definitions.limits``) does not load every model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .loader import parse_saga, parse_saga_config, read_document
    from .saga import SagaConfig, SagaDefinition, SagaStep

__all__ = [
    "SagaConfig",
    "SagaDefinition",
    "SagaStep",
    "parse_saga",
    "parse_saga_config",
    "read_document",
]

_WHERE = {
    "parse_saga": ".loader",
    "parse_saga_config": ".loader",
    "read_document": ".loader",
    "SagaConfig": ".saga",
    "SagaDefinition": ".saga",
    "SagaStep": ".saga",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value
