"""Settings from the environment and ``baton.yaml``.

Environment variable names are the seed's (``TEMPORAL_ADDRESS``,
``TEMPORAL_NAMESPACE``, ``TEMPORAL_TASK_QUEUE``) plus ``BATON_*`` for Baton's
own. Every field is documented in docs/configuration.md; the environment is
injectable so tests never touch ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

DEFAULT_TASK_QUEUE = "baton"
DEFAULT_NAMESPACE = "default"
DEFAULT_PORT = 7233


@dataclass(frozen=True)
class AgentConfig:
    """How to run an agent: ``command`` is an argv list; ``{prompt}`` in any
    element is replaced by the task prompt. The task is also given as JSON on
    stdin and in ``BATON_TASK``."""

    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BatonFile:
    """The parsed ``baton.yaml``: agents and notification channels."""

    path: Path | None = None
    agents: dict[str, AgentConfig] = field(default_factory=dict)
    # shorthand ("slack://deployments") -> Apprise URL
    channels: dict[str, str] = field(default_factory=dict)
    # group name -> user ids (approvers write "group:name")
    groups: dict[str, list[str]] = field(default_factory=dict)
    # approval stage name (or "default") -> approvers, when a request names none
    approvers: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """Everything Baton reads from its environment.

    - ``temporal_address``: ``TEMPORAL_ADDRESS``; when set Baton uses that
      cluster and starts no server of its own.
    - ``namespace``: ``TEMPORAL_NAMESPACE`` (default ``default``).
    - ``task_queue``: ``TEMPORAL_TASK_QUEUE`` (default ``baton``).
    - ``home``: ``BATON_HOME`` (default ``~/.local/share/baton``): the embedded
      server's SQLite file, pid file and log live here.
    - ``embedded_port``: ``BATON_TEMPORAL_PORT`` (default 7233), the embedded
      server's gRPC port on 127.0.0.1.
    - ``config_file``: ``BATON_CONFIG``, else ``./baton.yaml``, else
      ``$BATON_HOME/baton.yaml``.
    """

    temporal_address: str | None
    namespace: str
    task_queue: str
    home: Path
    embedded_port: int
    config_file: Path | None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        home = Path(env.get("BATON_HOME") or Path.home() / ".local" / "share" / "baton")
        port_text = env.get("BATON_TEMPORAL_PORT") or str(DEFAULT_PORT)
        try:
            port = int(port_text)
        except ValueError:
            raise ConfigError(
                f"BATON_TEMPORAL_PORT must be a port number, got {port_text!r}"
            ) from None
        config_file: Path | None
        if env.get("BATON_CONFIG"):
            config_file = Path(env["BATON_CONFIG"])
            if not config_file.is_file():
                raise ConfigError(f"BATON_CONFIG points to {config_file}, which is not a file")
        elif Path("baton.yaml").is_file():
            config_file = Path("baton.yaml").resolve()
        elif (home / "baton.yaml").is_file():
            config_file = home / "baton.yaml"
        else:
            config_file = None
        return cls(
            temporal_address=env.get("TEMPORAL_ADDRESS") or None,
            namespace=env.get("TEMPORAL_NAMESPACE") or DEFAULT_NAMESPACE,
            task_queue=env.get("TEMPORAL_TASK_QUEUE") or DEFAULT_TASK_QUEUE,
            home=home,
            embedded_port=port,
            config_file=config_file,
        )

    @property
    def embedded(self) -> bool:
        """True when Baton runs its own server (no ``TEMPORAL_ADDRESS``)."""
        return self.temporal_address is None

    @property
    def address(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.embedded_port}"

    def load_file(self) -> BatonFile:
        return load_baton_file(self.config_file)


def load_baton_file(path: Path | None) -> BatonFile:
    """Parse ``baton.yaml``; a missing file is an empty configuration."""
    if path is None:
        return BatonFile()
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    allowed = {"agents", "channels", "groups", "approvers"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    agents: dict[str, AgentConfig] = {}
    for name, spec in (raw.get("agents") or {}).items():
        agents[str(name)] = _parse_agent(path, str(name), spec)
    channels: dict[str, str] = {}
    for short, url in (raw.get("channels") or {}).items():
        if not isinstance(url, str) or "://" not in url:
            raise ConfigError(
                f"{path}: channels.{short}: expected an Apprise URL such as mailto://..."
            )
        channels[str(short)] = url
    groups = _string_lists(path, "groups", raw.get("groups"))
    approvers = _string_lists(path, "approvers", raw.get("approvers"))
    return BatonFile(
        path=path, agents=agents, channels=channels, groups=groups, approvers=approvers
    )


def _string_lists(path: Path, key: str, value: Any) -> dict[str, list[str]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: {key}: expected a mapping of names to lists of user ids")
    out: dict[str, list[str]] = {}
    for name, members in value.items():
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise ConfigError(f"{path}: {key}.{name}: expected a list of user ids")
        out[str(name)] = list(members)
    return out


def _parse_agent(path: Path, name: str, spec: Any) -> AgentConfig:
    where = f"{path}: agents.{name}"
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: expected a mapping with a 'command' list")
    command = spec.get("command")
    if isinstance(command, str):
        command = [command]
    if not command or not all(isinstance(part, str) for part in command):
        raise ConfigError(f"{where}.command: expected a non-empty list of strings (argv)")
    env = spec.get("env") or {}
    if not isinstance(env, dict):
        raise ConfigError(f"{where}.env: expected a mapping of names to strings")
    unknown = sorted(set(spec) - {"command", "env"})
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: command, env")
    return AgentConfig(
        name=name, command=list(command), env={str(k): str(v) for k, v in env.items()}
    )
