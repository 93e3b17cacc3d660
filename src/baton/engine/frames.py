"""A running scope's data: its nodes' tokens on edges (:class:`Token`), what
runs in it, what it produced and what it must undo (:class:`Frame`). Plain
data (workflow code)."""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from ..plan.model import START, PlanStep
    from .failures import StepFailed

__all__ = ["START", "Frame", "Token", "skip_reason"]


@dataclass
class Token:
    live: bool
    data: Any = None
    routed: bool = False  # dead because a route went elsewhere (not a failure)


class Frame:
    """One running instance of a scope."""

    def __init__(
        self,
        nodes: list[PlanStep],
        *,
        input: Any = None,
        parent: Frame | None = None,
        prefix: str = "",
        names: dict[str, Any] | None = None,
        iteration: int | None = None,
        complete_on: str = "all",
        undo: list[str] | None = None,
    ) -> None:
        self.nodes = nodes
        self.parent = parent
        self.prefix = prefix
        self.iteration = iteration
        self.complete_on = complete_on
        # loop items and indexes, with the enclosing frames' (innermost wins)
        self.names: dict[str, Any] = {**(parent.names if parent else {}), **(names or {})}
        self.position = {node.id: i for i, node in enumerate(nodes)}
        self.incoming: dict[str, list[str]] = {n.id: list(n.after) or [START] for n in nodes}
        self.dependents: dict[str, list[str]] = {n.id: [] for n in nodes}
        for node in nodes:
            for before in node.after:
                if before != START:
                    self.dependents[before].append(node.id)
        self.tokens: defaultdict[tuple[str, str], deque[Token]] = defaultdict(deque)
        for node in nodes:
            if not node.after or START in node.after:
                self.tokens[(START, node.id)].append(Token(True, input))
        # tokens still owed to a node that an early dead token already skipped
        self.discard: defaultdict[tuple[str, str], int] = defaultdict(int)
        self.instances: defaultdict[str, int] = defaultdict(int)
        # join "first": per node, the edges that brought a token this round
        # and whether the round's first live token has started it
        self.rounds: dict[str, tuple[set[tuple[str, str]], bool]] = {}
        self.running: dict[str, asyncio.Task[None]] = {}
        self.finished: list[asyncio.Task[None]] = []
        self.outputs: dict[str, Any] = {}
        # what completed in this frame, in order of ending (compensation)
        self.undo: list[str] = [] if undo is None else undo
        # the data that reached the end: (node position, data)
        self.ends: list[tuple[int, Any]] = []
        self.failure: StepFailed | None = None
        self.stopped = False
        self.cancel_rest: str | None = None  # a reason to cancel what still runs
        self.exited = False  # a route to @exit, or the first end of a race
        # a node waits for a resource pool that another scope's node holds
        self.pool_blocked = False
        self.changed = False
        # a node that undoes another (undo_with) runs here: it runs even
        # while the run (or a scope around) stops, as undo always does
        self.undoing = False

    def chain_outputs(self) -> dict[str, Any]:
        frames: list[Frame] = []
        frame: Frame | None = self
        while frame is not None:
            frames.append(frame)
            frame = frame.parent
        merged: dict[str, Any] = {}
        for outer_first in reversed(frames):
            merged.update(outer_first.outputs)
        return merged

    def output(self) -> Any:
        if not self.ends:
            return None
        if len(self.ends) == 1:
            return self.ends[0][1]
        return [data for _, data in sorted(self.ends, key=lambda end: end[0])]

    def emit(self, source: str, target: str, token: Token) -> None:
        edge = (source, target)
        if self.discard[edge]:
            self.discard[edge] -= 1
            return
        self.tokens[edge].append(token)


def skip_reason(dead: list[tuple[str, Token]]) -> str:
    """Why a node is skipped: the nodes before it that did not complete, or
    whose routes went elsewhere."""
    failed = [source for source, token in dead if not token.routed]
    routed = [source for source, token in dead if token.routed]
    parts = []
    if failed:
        parts.append(f"{', '.join(failed)} did not complete")
    if routed:
        parts.append(f"not on the route taken at {', '.join(routed)}")
    return "skipped: " + "; ".join(parts)
