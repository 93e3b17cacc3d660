"""``checkpoint:`` on a ``python`` action: where the step's checkpoints are
kept and how often (docs/checkpoints.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from . import limits

MAX_KEEP = 100


class CheckpointSpec(BaseModel):
    """``store``: a directory (absolute path) or URL (``file://``, or any
    fsspec URL such as ``s3://bucket/prefix``); left out, the worker's own
    ``$BATON_HOME/checkpoints``. ``every_steps`` / ``every_seconds``: a
    checkpoint is due when either is reached (neither: every 60 s).
    ``keep``: how many stay while the step runs. ``keep_after_success``:
    whether they stay once it completed."""

    model_config = ConfigDict(extra="forbid")

    store: str | None = None
    every_steps: int | None = Field(default=None, ge=1)
    every_seconds: float | None = Field(default=None, gt=0)
    keep: int = Field(default=3, ge=1, le=MAX_KEEP)
    keep_after_success: bool = False

    @field_validator("store")
    @classmethod
    def _store_absolute(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip()
        if not text:
            raise ValueError("store is empty; leave it out for the worker's own directory")
        if "://" not in text and not text.startswith(("/", "~")):
            raise ValueError(
                f"store {value!r} must be an absolute directory or a URL (file://, s3://, ...): "
                "a relative path would depend on where each worker was started"
            )
        return text

    @field_validator("every_seconds")
    @classmethod
    def _every_seconds(cls, value: float | None) -> float | None:
        return limits.duration(value, "every_seconds")
