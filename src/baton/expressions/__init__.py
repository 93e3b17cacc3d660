"""Expressions in plans — conditions on steps and routes, loop collections,
data mappings — evaluated by pure, restricted evaluators, never ``eval``.

Each expression names its language. ``baton`` (:mod:`.restricted`, a safe
subset of Python's expression syntax) is Baton's own and the default; the
process language uses ``jq`` (:mod:`.jqlang`); DMN's and Zeebe's ``feel``
(:mod:`.feel`) and Camunda 7's ``juel`` (:mod:`.juel`) — one line each. An evaluator gets a plain scope (names → JSON values) and returns
a JSON value; it reads no clock, environment or file, so it may run inside
workflow code. Plain standard library only: imported by workflow code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from . import feel, jqlang, juel, restricted
from .jqlang import ExpressionTimeout
from .restricted import ExpressionError, UnknownNameError

__all__ = [
    "LANGUAGES",
    "ExpressionError",
    "ExpressionTimeout",
    "Language",
    "UnknownNameError",
    "check",
    "evaluate",
]


@dataclass(frozen=True)
class Language:
    name: str
    module: ModuleType  # has check(source) -> str | None and evaluate(source, scope)


LANGUAGES: dict[str, Language] = {
    language.name: language
    for language in (
        Language("baton", restricted),
        Language("jq", jqlang),
        Language("feel", feel),
        Language("juel", juel),
    )
}


def _language(name: str) -> Language:
    try:
        return LANGUAGES[name]
    except KeyError:
        raise ExpressionError(
            f"unknown expression language {name!r}; known: {', '.join(LANGUAGES)}"
        ) from None


def check(source: str, language: str = "baton") -> str | None:
    """None when ``source`` is a valid expression of ``language``, else what is wrong."""
    if language not in LANGUAGES:
        return f"is in an unknown language {language!r} (known: {', '.join(LANGUAGES)})"
    lang = LANGUAGES[language]
    result: str | None = lang.module.check(source)
    return result


def evaluate(source: str, scope: Mapping[str, Any], language: str = "baton") -> Any:
    """The value of ``source`` given ``scope``; an :class:`ExpressionError` saying why not."""
    return _language(language).module.evaluate(source, scope)
