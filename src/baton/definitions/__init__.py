"""Typed models and loaders for every definition kind."""

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
