"""A request's form, and the values a decision fills it with.

A BPMN user task's form travels with its approval (``context.form``,
docs/bpmn.md): Camunda 7's generated form (``fields``: ``id``, ``label``,
``type`` string | long | boolean | date | enum, ``default``, enum
``values``) or a Camunda form (``schema``: ``components`` with ``key`` and
``type`` textfield, textarea, number, checkbox, select, radio, checklist,
taglist, datetime; groups nest ``components``). A decision may carry the
form's values (``data``); the approval workflow accepts only fields the form
declares, each of its type, so what an approver sends cannot set anything
else. Pure and deterministic: the workflow itself checks with it.
"""

from __future__ import annotations

import re
from typing import Any

MAX_VALUE_CHARS = 10_000
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$")
# Camunda form component type -> the kind of value it takes
_COMPONENT_KINDS = {
    "textfield": "string",
    "textarea": "string",
    "number": "number",
    "checkbox": "boolean",
    "select": "enum",
    "radio": "enum",
    "checklist": "enum_list",
    "taglist": "enum_list",
    "datetime": "date",
}
_FIELD_KINDS = {"string": "string", "long": "integer", "boolean": "boolean", "date": "date"}


def form_fields(form: Any) -> dict[str, dict[str, Any]]:
    """The fields a form takes values for: key -> ``{"kind", "label",
    "values"}`` (``values``: the allowed ones, for enums)."""
    found: dict[str, dict[str, Any]] = {}
    if not isinstance(form, dict):
        return found
    for field in form.get("fields") or []:
        if not isinstance(field, dict) or not field.get("id"):
            continue
        kind = "enum" if field.get("type") == "enum" else _FIELD_KINDS.get(str(field.get("type")))
        found[str(field["id"])] = {
            "kind": kind or "string",
            "label": field.get("label") or field["id"],
            "values": [v.get("id") for v in field.get("values") or [] if isinstance(v, dict)],
        }
    schema = form.get("schema")
    if isinstance(schema, dict):
        _components(schema.get("components"), found)
    return found


def _components(components: Any, found: dict[str, dict[str, Any]]) -> None:
    for component in components if isinstance(components, list) else []:
        if not isinstance(component, dict):
            continue
        kind = _COMPONENT_KINDS.get(str(component.get("type")))
        if kind and component.get("key"):
            found[str(component["key"])] = {
                "kind": kind,
                "label": component.get("label") or component["key"],
                "values": [
                    v.get("value") for v in component.get("values") or [] if isinstance(v, dict)
                ],
            }
        _components(component.get("components"), found)


def form_problem(form: Any, data: Any) -> str | None:
    """Why ``data`` cannot fill ``form`` (None: it can)."""
    if not isinstance(data, dict):
        return "the form's values must be an object of field: value"
    fields = form_fields(form)
    if not fields:
        return "this request has no form to fill: decide without values"
    for key, value in data.items():
        field = fields.get(key)
        if field is None:
            return f"the form has no field {key!r}; its fields: {', '.join(sorted(fields))}"
        problem = _value_problem(field, value)
        if problem:
            return f"field {key!r} ({field['label']}): {problem}"
    return None


def _value_problem(field: dict[str, Any], value: Any) -> str | None:
    if value is None:
        return None
    kind = field["kind"]
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        return f"longer than {MAX_VALUE_CHARS:,} characters"
    if kind == "string":
        return None if isinstance(value, str) else "expected text"
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else "expected a whole number"
    if kind == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        return None if ok else "expected a number"
    if kind == "boolean":
        return None if isinstance(value, bool) else "expected true or false"
    if kind == "date":
        ok = isinstance(value, str) and _DATE.match(value) is not None
        return None if ok else "expected a date such as 2026-12-07"
    allowed = field["values"]
    chosen = value if kind == "enum_list" else [value]
    if kind == "enum_list" and not isinstance(value, list):
        return "expected a list of choices"
    for one in chosen:
        if allowed and one not in allowed:
            return f"{one!r} is not one of {', '.join(map(repr, allowed))}"
    return None
