"""Typed models and loaders for every definition kind.

Its names are imported on first use (PEP 562), so a module that needs one
small part of it (``definitions.limits``) does not load every model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_names

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


__getattr__ = lazy_names(__name__, _WHERE)
