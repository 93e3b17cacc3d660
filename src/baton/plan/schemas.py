"""JSON Schema checks of a process's data (``input.schema``,
``output.schema``), with the ``jsonschema`` package: a schema is checked
when the process is compiled, and data against it where the data is — the
workflow's input on the client before the run starts and again in the
workflow, a task's input and output in the workflow. Validation is a pure
function of the schema and the value (no formats checked, no references
fetched), so a replay decides what the run decided."""

from __future__ import annotations

from typing import Any

import jsonschema
from jsonschema.exceptions import best_match


def schema_problem(schema: dict[str, Any]) -> str | None:
    """None when ``schema`` is a JSON Schema (of the draft its ``$schema``
    names, 2020-12 when it names none), else why not."""
    validator = jsonschema.validators.validator_for(schema, jsonschema.Draft202012Validator)
    try:
        validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        return f"is not a JSON Schema: {exc.message}" + _at(exc.absolute_path)
    return None


def data_problem(schema: dict[str, Any], value: Any) -> str | None:
    """None when ``value`` matches ``schema``, else the first reason it
    does not, naming where in the value."""
    validator_class = jsonschema.validators.validator_for(schema, jsonschema.Draft202012Validator)
    try:
        error = best_match(validator_class(schema).iter_errors(value))
    except jsonschema.exceptions.UnknownType as exc:
        return f"the schema uses an unknown type: {exc.type}"
    except Exception as exc:  # noqa: BLE001 - e.g. an unresolvable $ref: said, never raised
        return f"the schema could not be applied: {type(exc).__name__}: {exc}"[:300]
    if error is None:
        return None
    return error.message[:300] + _at(error.absolute_path)


def _at(path: Any) -> str:
    parts = list(path)
    return f" (at /{'/'.join(str(p) for p in parts)})" if parts else ""
