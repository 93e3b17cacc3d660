"""A plan's wire form: the JSON object a run's input carries, and a fast way
back to the dataclasses. Pure (imported by workflow code).

The wire form is every field, defaults included (``dataclasses.asdict``), so
that a change of a default in a later version never changes what an
in-flight plan means. Reading it back is done here rather than by the SDK's
generic converter, which inspects types on every value and cost ~0.7 ms per
10-step plan, on every run start and every replay (docs/benchmarks.md); this
reader looks each dataclass's field types up once. Missing fields take their
defaults (older plans); unknown ones are ignored (newer optional fields).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Hashable
from functools import cache
from typing import Any, TypeVar, Union, cast

from .model import Plan, RunInput

T = TypeVar("T")
_Reader = Callable[[Any], Any]


def to_wire(value: Any) -> dict[str, Any]:
    """A dataclass (a :class:`RunInput`, a :class:`Plan`) as its wire form:
    what ``dataclasses.asdict`` gives (every field; lists, tuples and dicts
    copied), about five times faster (field names looked up once per class,
    values that are not containers not deep-copied)."""
    result: dict[str, Any] = _write(value)
    return result


def _write(value: Any) -> Any:
    cls = type(value)
    if cls in _PLAIN:
        return value
    if cls is dict:
        return {k: _write(v) for k, v in value.items()}
    if cls is list:
        return [_write(v) for v in value]
    names = _field_names(cast(Hashable, cls))
    if names is not None:
        return {name: _write(getattr(value, name)) for name in names}
    if isinstance(value, (list, tuple)):
        return type(value)(_write(v) for v in value)
    if isinstance(value, dict):
        return type(value)((k, _write(v)) for k, v in value.items())
    return value  # enums and other values: as asdict leaves them


_PLAIN = frozenset({str, int, float, bool, type(None)})


@cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    if dataclasses.is_dataclass(cls):
        return tuple(f.name for f in dataclasses.fields(cls))
    return None


def run_input_from_wire(data: dict[str, Any]) -> RunInput:
    return read(RunInput, data)


def plan_from_wire(data: dict[str, Any]) -> Plan:
    return read(Plan, data)


def read(cls: type[T], data: Any) -> T:
    """``data`` (a JSON object) as an instance of the dataclass ``cls``."""
    reader: _Reader = _reader(cast(Hashable, cls))
    result: T = reader(data)
    return result


@cache
def _reader(hint: Any) -> _Reader:
    """How to read a value of type ``hint`` (computed once per type)."""
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _dataclass_reader(hint)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            inner = _reader(options[0])
            return lambda value: None if value is None else inner(value)
        return _as_is
    if origin is list and args:
        item = _reader(args[0])
        if item is _as_is:
            return lambda value: list(value)
        return lambda value: [item(v) for v in value]
    if origin is dict and len(args) == 2:
        item = _reader(args[1])
        if item is _as_is:
            return lambda value: dict(value)
        return lambda value: {k: item(v) for k, v in value.items()}
    return _as_is


def _as_is(value: Any) -> Any:
    return value


@cache
def _field_readers(cls: type) -> dict[str, _Reader]:
    hints = typing.get_type_hints(cls)
    return {f.name: _reader(hints[f.name]) for f in dataclasses.fields(cls) if f.init}


def _dataclass_reader(cls: type) -> _Reader:
    # field readers are looked up on first use: a plan step holds steps
    def read_one(value: Any) -> Any:
        if isinstance(value, cls):
            return value
        readers = _field_readers(cls)
        kwargs = {}
        for name, item in value.items():
            reader = readers.get(name)
            if reader is not None:
                kwargs[name] = item if reader is _as_is else reader(item)
        return cls(**kwargs)

    return read_one
