"""DMN type references: their canonical FEEL names, and how an input's
JSON value becomes a FEEL value of its declared type.

A model's ``typeRef`` may use FEEL's names (``date and time``), DMN 1.1's
XML Schema names (``dateTime``, ``dayTimeDuration``), a ``feel:`` prefix,
or the name of one of the model's item definitions. The reader stores the
canonical name; here JSON input is converted by it: an ISO string becomes
a date, time, date and time or duration when the type says so, numbers
become decimals, and a structure or list is converted component by
component, and an item definition's allowed values are checked. A value
that does not fit its type is a :class:`TypeMismatch`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..expressions.feel import from_json, unary_test_value
from ..expressions.feel.functions.conversion import to_text
from ..expressions.feel.temporal import (
    parse_date,
    parse_date_time,
    parse_duration,
    parse_time,
)
from ..expressions.feel.values import DaysTime, Time, YearsMonths, type_name

_ALIASES = {
    "dateTime": "date and time",
    "dayTimeDuration": "days and time duration",
    "yearMonthDuration": "years and months duration",
    "duration": "days and time duration",
    "integer": "number",
    "decimal": "number",
    "double": "number",
    "int": "number",
    "long": "number",
    "Number": "number",
    "String": "string",
    "Boolean": "boolean",
    "Date": "date",
    "Time": "time",
    "DateTime": "date and time",
}


def canonical_type(type_ref: str | None) -> str | None:
    """FEEL's name for a type reference (``feel:dateTime`` → ``date and
    time``); an item definition's name as it is; None for none."""
    if not type_ref:
        return None
    name = " ".join(type_ref.split())
    for prefix in ("feel:", "FEEL:", "xsd:"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return _ALIASES.get(name, name)


class TypeMismatch(ValueError):
    """A value that is not of its declared type."""


def _temporal(value: str, kind: str) -> Any:
    if kind == "date":
        parsed: Any = parse_date(value)
        if parsed is None:
            moment = parse_date_time(value)
            parsed = moment.date() if moment is not None and "T" in value else None
    elif kind == "time":
        parsed = parse_time(value)
    elif kind == "date and time":
        parsed = parse_date_time(value)
    elif kind == "days and time duration":
        parsed = parse_duration(value)
        parsed = parsed if isinstance(parsed, DaysTime) else None
    else:
        parsed = parse_duration(value)
        parsed = parsed if isinstance(parsed, YearsMonths) else None
    if parsed is None:
        raise TypeMismatch(f"{value!r} is not a {kind} (ISO 8601)")
    return parsed


_CHECKS: dict[str, Any] = {
    "number": lambda v: isinstance(v, Decimal),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "date": lambda v: isinstance(v, dt.date) and not isinstance(v, dt.datetime),
    "date and time": lambda v: isinstance(v, dt.datetime),
    "time": lambda v: isinstance(v, Time),
    "days and time duration": lambda v: isinstance(v, DaysTime),
    "years and months duration": lambda v: isinstance(v, YearsMonths),
    "list": lambda v: isinstance(v, list),
    "context": lambda v: isinstance(v, dict),
}


def to_type(value: Any, type_ref: str | None, types: Mapping[str, Any], depth: int = 0) -> Any:
    """``value`` (JSON or FEEL) as a FEEL value of ``type_ref``; a
    :class:`TypeMismatch` saying why when it is not one."""
    value = from_json(value) if depth == 0 else value
    if value is None or type_ref is None or type_ref == "Any" or depth > 32:
        return value
    spec = types.get(type_ref)
    if spec is not None:
        return _to_item_definition(value, spec, types, depth)
    if type_ref in ("date", "time", "date and time") or type_ref.endswith("duration"):
        if isinstance(value, str):
            return _temporal(value, type_ref)
        if type_ref == "date" and isinstance(value, dt.datetime):
            return value.date()
    check = _CHECKS.get(type_ref)
    if check is not None and not check(value):
        raise TypeMismatch(f"is a {type_name(value)}, not a {type_ref}")
    return value


def _to_item_definition(
    value: Any, spec: Mapping[str, Any], types: Mapping[str, Any], depth: int
) -> Any:
    if spec.get("collection"):
        if not isinstance(value, list):
            raise TypeMismatch(f"is a {type_name(value)}, not a list")
        item_spec = {**spec, "collection": False}
        return [_to_item_definition(item, item_spec, types, depth + 1) for item in value]
    components = spec.get("components")
    if components:
        if not isinstance(value, dict):
            raise TypeMismatch(f"is a {type_name(value)}, not a structure")
        converted = dict(value)
        for name, component in components.items():
            if name in converted:
                try:
                    converted[name] = _to_item_definition(
                        converted[name], component, types, depth + 1
                    )
                except TypeMismatch as exc:
                    raise TypeMismatch(f"component {name!r} {exc}") from None
        return converted
    converted = to_type(value, spec.get("type"), types, depth + 1)
    allowed = spec.get("allowed")
    if allowed and converted is not None:
        if unary_test_value(allowed, converted, {}) is not True:
            raise TypeMismatch(
                f"{to_text(converted, True)} is not one of the allowed values {allowed}"
            )
    return converted
