"""Activities: one module per action type, assembled by :func:`build_activities`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import BatonFile
from .agent import AgentTaskAction
from .callback import CallbackAction
from .http import HttpAction
from .notify import NotifyAction
from .python_call import PythonAction
from .script import run_script
from .types import ACTIVITY_NAMES, NOTIFY_ACTIVITY, ActionRequest, Notification
from .workspace import WorkspaceActions

__all__ = [
    "ACTIVITY_NAMES",
    "NOTIFY_ACTIVITY",
    "ActionRequest",
    "ActionSet",
    "Notification",
]


class ActionSet:
    """The activities one worker registers, with the resources they share
    (one HTTP connection pool, the agents and channels of baton.yaml)."""

    def __init__(
        self,
        baton_file: BatonFile,
        *,
        callback_secret: str | None = None,
        identity_key: bytes | None = None,
        logs_dir: Path | None = None,
    ) -> None:
        self.policy = baton_file.policy
        self.http = HttpAction(self.policy)
        self._python = PythonAction(self.policy)
        self._agent = AgentTaskAction(baton_file)
        self._notify = NotifyAction(baton_file, identity_key)
        self._callback = CallbackAction(self.http.client, callback_secret, self.policy)
        self._workspace = WorkspaceActions(baton_file, logs_dir)

    @property
    def activities(self) -> list[Callable[..., Any]]:
        return [
            self.http.api_call,
            run_script,
            self._python.run_python,
            self._agent.run_task,
            self._notify.notify,
            self._callback.callback,
            self._workspace.prepare,
            self._workspace.run_phase,
            self._workspace.merge,
            self._workspace.discard,
            self._workspace.cleanup,
            self._workspace.land,
        ]

    async def aclose(self) -> None:
        await self.http.aclose()
