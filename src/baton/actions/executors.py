"""The action executors one worker registers, with what they share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import BatonFile
from ..integrations.commands import CommandBus
from .agent import AgentTaskAction
from .breakers import parse_breakers
from .callback import CallbackAction
from .calls import ProcessCalls
from .command import CommandAction
from .http import HttpAction
from .mcp_call import McpCalls
from .notify import NotifyAction
from .pools import PoolActions
from .python_call import PythonAction
from .script import ScriptAction
from .secrets import SecretStore
from .workspace import WorkspaceActions


class ActionSet:
    """The activities one worker registers, with the resources they share
    (one HTTP connection pool, the agents and channels of baton.yaml)."""

    def __init__(
        self,
        baton_file: BatonFile,
        *,
        callback_secret: str | None = None,
        identity_key: bytes | None = None,
        home: Path | None = None,
        redis_url: str | None = None,
        command_bus: CommandBus | None = None,
    ) -> None:
        """``home`` (BATON_HOME) holds agents' logs and, unless baton.yaml names
        another ``secrets_dir``, the secrets directory; ``redis_url`` (the
        seed's REDIS_HOST) shares circuit breakers between workers;
        ``command_bus`` publishes ``command`` steps (choreography)."""
        self.policy = baton_file.policy
        secrets = SecretStore(baton_file.secrets_dir or (home / "secrets" if home else None))
        self.http = HttpAction(
            self.policy,
            secrets=secrets,
            breakers=parse_breakers(
                baton_file.circuit_breakers,
                str(baton_file.path or "baton.yaml"),
                redis_url,
            ),
        )
        self._calls = ProcessCalls(self.policy, self.http.client, secrets)
        self._script = ScriptAction(secrets)
        self._mcp = McpCalls(self.policy, secrets)
        self._python = PythonAction(self.policy, home / "checkpoints" if home else None)
        self._agent = AgentTaskAction(baton_file)
        self._notify = NotifyAction(baton_file, identity_key)
        self._callback = CallbackAction(self.http.client, callback_secret, self.policy)
        self._workspace = WorkspaceActions(baton_file, home / "logs" if home else None)
        self._command = CommandAction(command_bus)
        self.pools = PoolActions(baton_file.pools, str(baton_file.path or "baton.yaml"))

    @property
    def activities(self) -> list[Callable[..., Any]]:
        return [
            self.http.api_call,
            self._calls.http_call,
            self._calls.openapi_call,
            self._calls.emit,
            self._mcp.mcp_http,
            self._mcp.mcp_stdio,
            self._script.run_script,
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
            self._command.publish,
            self.pools.acquire,
            self.pools.release,
        ]

    async def aclose(self) -> None:
        await self.http.aclose()
        self._python.close()
        if self._command.bus is not None:
            await self._command.bus.close()
