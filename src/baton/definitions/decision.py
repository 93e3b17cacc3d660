"""A saga step that evaluates a DMN decision (``forward_action: {type:
decision, ...}``): not an action a worker runs, but a decide node the
interpreter evaluates in the workflow, so it is a step's forward action
only — never a compensation (a decision changes nothing to undo)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..decisions.results import RESULT_FORMS
from .actions import MODELS, Action
from .child_run import RunAction


class DecisionAction(BaseModel):
    """``file``: the DMN model (relative to the saga's file, or to a
    directory of ``BATON_PROCESS_PATH``); ``decision``: its id or name (the
    one decision no other requires when left out); ``inputs``: the inputs,
    whose ``{placeholders}`` are filled as an action's (without it, the
    saga's context); ``result``: ``value`` or a Camunda result form;
    ``result_key``: keep the result under this key of the step's output."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["decision"]
    description: str | None = None
    file: str = Field(min_length=1)
    decision: str | None = Field(default=None, min_length=1)
    inputs: dict[str, Any] | None = None
    result: str = "value"
    result_key: str | None = Field(default=None, min_length=1)

    @field_validator("result")
    @classmethod
    def _known_form(cls, value: str) -> str:
        if value not in RESULT_FORMS:
            raise ValueError(f"{value!r} is not one of {', '.join(RESULT_FORMS)}")
        return value


STEP_TYPES = (*MODELS, "decision", "run")  # what a step's forward action may be

if TYPE_CHECKING:
    StepAction = Action | DecisionAction | RunAction
else:  # the registered actions, decisions and child runs, told apart by `type`
    StepAction = Annotated[
        Union[tuple([*MODELS.values(), DecisionAction, RunAction])],  # noqa: UP007
        Field(discriminator="type"),
    ]
