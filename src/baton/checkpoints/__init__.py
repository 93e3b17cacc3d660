"""Checkpointed steps: a long step saves its state as it goes, heartbeats
its progress, and when its worker dies resumes on another from the last
checkpoint (docs/checkpoints.md).

- ``@checkpointed(store=..., every_steps=..., keep=...)`` on your own
  ``async def`` activities;
- ``checkpoint:`` on a saga's ``python`` step: the function gets a
  :class:`Checkpoint` (async functions) or :class:`SyncCheckpoint` (plain
  ones) as its ``checkpoint`` keyword argument.
"""

from __future__ import annotations

from .decorator import checkpointed
from .format import Saved
from .handles import Checkpoint, SyncCheckpoint
from .session import Cadence
from .store import CheckpointStore

__all__ = ["Cadence", "Checkpoint", "CheckpointStore", "Saved", "SyncCheckpoint", "checkpointed"]
