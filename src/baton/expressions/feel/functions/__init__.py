"""FEEL's built-in functions (DMN 1.5 §10.3.4), one module per family:
conversion (``date``, ``number``, ``string``, ...), text, lists and
contexts, numbers, and the calendar. Each is registered by its FEEL name —
``string length``, ``date and time`` — with its parameter names, so calls
may name their arguments (``substring(string: "abc", start position: 2)``).

A built-in given values it is not defined for returns null, as FEEL says.
``now()`` and ``today()`` are deliberately absent (they read the clock).
"""

from __future__ import annotations

from . import calendar, contexts, conversion, lists, numeric, text  # noqa: F401  (each registers its functions)
from .registry import BUILTINS, builtin

__all__ = ["BUILTINS", "builtin"]
