"""A saga step that runs another definition as a child run (``forward_action:
{type: run, definition: train.yaml, input: {...}}``): a pipeline's stage.
Not an action a worker runs: the file is compiled into the saga's plan as a
sub-process node (plan/saga_children.py), so it is a forward action only —
its undo is the child's own compensation (docs/sagas.md, "Pipelines")."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class RunAction(BaseModel):
    """``definition``: the file (relative to the saga's file, or to a
    directory of ``BATON_PROCESS_PATH``) of any kind Baton compiles but an
    approval; ``input``: the child's input, whose ``{placeholders}`` are
    filled when the step runs, as an action's (without it, the saga's
    context)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["run"]
    description: str | None = None
    definition: str = Field(min_length=1)
    input: dict[str, Any] | None = None
