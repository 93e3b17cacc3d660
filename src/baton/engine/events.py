"""Events sent to a run (CloudEvents 1.0 as JSON objects) and the waits that
consume them. Pure: the interpreter calls it from its update handler and its
wait nodes, so every decision here is replayed the same way.

An event that arrives while no wait wants it is kept (up to
``MAX_BUFFERED``) for a wait that starts later, so a sender never races the
run. A repeated event id is accepted once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..expressions import ExpressionError

MAX_BUFFERED = 1_000
REMEMBERED_IDS = 10_000
REQUIRED = ("id", "type", "source")


@dataclass
class Filter:
    """An :class:`~baton.plan.model.EventFilter` with its correlation values
    known (they are evaluated when the wait starts)."""

    type: str | None = None
    source: str | None = None
    correlate: dict[str, Any] = field(default_factory=dict)
    # the filter's `where` condition: event -> bool (may raise)
    where: Callable[[dict[str, Any]], bool] | None = None
    # correlation keys: event -> {name: value} (may raise); see Waiter.learned
    keys: Callable[[dict[str, Any]], dict[str, Any]] | None = None


@dataclass
class Waiter:
    """One wait node instance consuming events."""

    key: str
    filters: list[Filter]
    mode: str = "any"  # any | all
    # `until`: events so far -> whether to stop (None: stop after the first)
    until: Callable[[list[dict[str, Any]]], bool] | None = None
    # events that end the wait when one arrives (it is taken too)
    enders: list[Filter] = field(default_factory=list)
    consumed: list[dict[str, Any]] = field(default_factory=list)
    # mode all: which filters an event has satisfied
    satisfied: list[bool] = field(default_factory=list)
    done: bool = False
    error: Exception | None = None  # a where/until condition that failed
    # correlation keys fixed by the first event taken (Filter.keys)
    learned: dict[str, Any] = field(default_factory=dict)
    # a signal's wait: taking an event does not consume it (see EventBox.deliver)
    shared: bool = False

    def __post_init__(self) -> None:
        self.satisfied = [False] * len(self.filters)

    def _fits(self, wanted: Filter, event: dict[str, Any]) -> dict[str, Any] | None:
        """The event's correlation keys when ``wanted`` takes it (with the
        keys learned so far), else None."""
        if not _holds(wanted, event):
            return None
        if wanted.keys is None:
            return {}
        try:
            keys = wanted.keys(event)
        except ExpressionError:
            return None
        if any(name in self.learned and self.learned[name] != v for name, v in keys.items()):
            return None
        return keys

    def offer(self, event: dict[str, Any]) -> bool:
        """Consume ``event`` if this wait wants it; whether it did."""
        if self.done:
            return False
        if self.mode != "all" and any(_holds(f, event) for f in self.enders):
            self.consumed.append(event)
            self.done = True
            return True
        fits = [(i, self._fits(f, event)) for i, f in enumerate(self.filters)]
        hits = [i for i, keys in fits if keys is not None]
        if self.mode == "all":
            hits = [i for i in hits if not self.satisfied[i]]
        if not hits and self.filters:
            return False
        if hits:
            self.learned.update(fits[hits[0]][1] or {})
        self.consumed.append(event)
        if self.mode == "all":
            self.satisfied[hits[0]] = True
            self.done = all(self.satisfied)
            return True
        try:
            if self.until is not None:
                self.done = bool(self.until(list(self.consumed)))
            else:
                self.done = not self.enders  # with enders, only an ender ends it
        except ExpressionError as exc:  # `until` cannot be evaluated: the wait fails with it
            self.error, self.done = exc, True
        return True

    def types(self) -> list[str]:
        wanted = [f.type for i, f in enumerate(self.filters) if not self.satisfied[i]]
        return [t for t in wanted + [f.type for f in self.enders] if t]


def _holds(wanted: Filter, event: dict[str, Any]) -> bool:
    """A filter whose ``where`` cannot be evaluated does not match (as a
    catch filter); anything else (an evaluator timeout) fails the task."""
    try:
        return matches(wanted, event)
    except ExpressionError:
        return False


def matches(wanted: Filter, event: dict[str, Any]) -> bool:
    if wanted.type is not None and event.get("type") != wanted.type:
        return False
    if wanted.source is not None and event.get("source") != wanted.source:
        return False
    for path, value in wanted.correlate.items():
        if _lookup(event, path) != value:
            return False
    return wanted.where is None or bool(wanted.where(event))


def _lookup(event: dict[str, Any], path: str) -> Any:
    value: Any = event
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def problem_with(event: Any) -> str | None:
    """Why ``event`` is not a CloudEvent a run can take, or None."""
    if not isinstance(event, dict):
        return "an event must be a JSON object (a CloudEvent)"
    missing = [name for name in REQUIRED if not isinstance(event.get(name), str) or not event[name]]
    if missing:
        return f"the event has no {', '.join(missing)} (CloudEvents 1.0 needs id, type and source)"
    return None


class EventBox:
    """A run's unconsumed events and its open waits."""

    def __init__(self) -> None:
        self.buffer: list[dict[str, Any]] = []
        self.waiters: list[Waiter] = []
        self._seen: set[str] = set()
        self._seen_order: deque[str] = deque()
        # a kept event's id -> the shared waits (by key) that took it already
        self._taken_by: dict[str, set[str]] = {}

    def seen(self, event_id: str) -> bool:
        return event_id in self._seen

    def full(self) -> bool:
        return len(self.buffer) >= MAX_BUFFERED

    def deliver(self, event: dict[str, Any]) -> list[str]:
        """Hand ``event`` to the first unshared open wait that wants it (in
        the order the waits started) and to every shared wait (a signal's)
        that wants it; unless an unshared wait took it, keep it for a wait
        that starts later. Returns the waits that took it."""
        event_id = str(event["id"])
        self._remember(event_id)
        taken: list[str] = []
        consumed = False
        for waiter in list(self.waiters):
            if waiter.shared:
                if waiter.offer(event):
                    taken.append(waiter.key)
            elif not consumed and waiter.offer(event):
                taken.append(waiter.key)
                consumed = True
        if not consumed:
            self.buffer.append(event)
            if taken:
                self._taken_by[event_id] = set(taken)
        return taken

    def broadcast(self, event: dict[str, Any]) -> list[str]:
        """A signal thrown inside the run: every open wait that wants it
        takes it; none keeps it (a signal nobody waits for is gone)."""
        self._remember(str(event["id"]))
        return [waiter.key for waiter in list(self.waiters) if waiter.offer(event)]

    def open(self, waiter: Waiter) -> None:
        """Start ``waiter``: it first takes what it wants of the kept events
        (a shared wait takes a copy, once: the event stays kept)."""
        kept: list[dict[str, Any]] = []
        for event in self.buffer:
            event_id = str(event["id"])
            if waiter.shared:
                took = self._taken_by.get(event_id, set())
                if waiter.key not in took and waiter.offer(event):
                    self._taken_by[event_id] = took | {waiter.key}
                kept.append(event)
            elif waiter.offer(event):
                self._taken_by.pop(event_id, None)
            else:
                kept.append(event)
        self.buffer = kept
        if not waiter.done:
            self.waiters.append(waiter)

    def discard(self, unwanted: Callable[[dict[str, Any]], bool]) -> None:
        """Drop the kept events ``unwanted`` says (a command's stale failure
        replies: the attempt that asks again must not take them)."""
        self.buffer = [event for event in self.buffer if not unwanted(event)]

    def keep(self, events: list[dict[str, Any]]) -> None:
        """Events a wait took but could not use (its node ended in that
        moment): kept again for another wait."""
        held = {str(e["id"]) for e in self.buffer}
        for event in events:
            if str(event["id"]) not in held and not self.full():
                self.buffer.append(event)

    def remember(self, event_id: str) -> None:
        """Take ``event_id`` as seen: that event, sent to the run, is a duplicate."""
        self._remember(event_id)

    def close(self, waiter: Waiter) -> None:
        if waiter in self.waiters:
            self.waiters.remove(waiter)

    def waiting_for(self) -> list[str]:
        """The event types open waits want (the BatonWaiting search attribute)."""
        return sorted({t for w in self.waiters if not w.done for t in w.types()})

    def _remember(self, event_id: str) -> None:
        self._seen.add(event_id)
        self._seen_order.append(event_id)
        if len(self._seen_order) > REMEMBERED_IDS:
            self._seen.discard(self._seen_order.popleft())
