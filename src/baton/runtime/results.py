"""Typed results of client calls that used to be plain dicts. Each is a
dataclass that also reads as the mapping it replaced (``outcome["accepted"]``
keeps working for the seed's callers), and turns into JSON in one place:
``to_dict()``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any


class Record(Mapping[str, Any]):
    """Mapping access to a dataclass's fields."""

    def __getitem__(self, key: str) -> Any:
        if key not in self._names():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    def _names(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self))  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]


# eq=False: compare as the mapping it reads as (== a dict with the same items)
@dataclass(frozen=True, eq=False)
class DecisionOutcome(Record):
    """What became of a decision or delegation: ``accepted``, or the
    ``reason`` it was refused; ``status`` is the approval's status after it."""

    accepted: bool
    reason: str | None = None
    status: str | None = None

    @classmethod
    def from_answer(cls, answer: Mapping[str, Any]) -> DecisionOutcome:
        return cls(bool(answer.get("accepted")), answer.get("reason"), answer.get("status"))
