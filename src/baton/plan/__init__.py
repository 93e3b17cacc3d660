"""The Plan model and the front-end compilers that produce it. The model is
plain data (imported by workflow code); the compilers load lazily."""

from __future__ import annotations

from .._lazy import lazy_names
from .model import (
    PLAN_FORMAT_VERSION,
    Plan,
    PlanOptions,
    PlanStep,
    RetrySpec,
    RunInput,
    SlaSpec,
)

__all__ = [
    "PLAN_FORMAT_VERSION",
    "Plan",
    "PlanOptions",
    "PlanStep",
    "RetrySpec",
    "RunInput",
    "SlaSpec",
    "compile_definition",
    "compile_file",
    "compile_project",
    "detect_kind",
]

_LAZY = {
    "compile_definition": ".compile",
    "compile_file": ".compile",
    "detect_kind": ".compile",
    "compile_project": ".project",
}


__getattr__ = lazy_names(__name__, _LAZY)
