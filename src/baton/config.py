"""Settings from the environment and ``baton.yaml``.

Environment variable names are the seed's (``TEMPORAL_ADDRESS``,
``TEMPORAL_NAMESPACE``, ``TEMPORAL_TASK_QUEUE``) plus ``BATON_*`` for Baton's
own. Every variable is documented in docs/runtime.md; the environment is
injectable so tests never touch ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .monitoring.config import MonitoringConfig, parse_monitoring
from .policy import ExecutionPolicy, parse_policy

DEFAULT_TASK_QUEUE = "baton"
DEFAULT_NAMESPACE = "default"
DEFAULT_PORT = 7233
# where `baton up` and `baton worker` serve Prometheus metrics unless told
# otherwise (docs/metrics.md)
DEFAULT_METRICS_LISTEN = "127.0.0.1:9233"


@dataclass(frozen=True)
class AgentConfig:
    """How to run an agent: ``command`` is an argv list; ``{prompt}`` in any
    element is replaced by the task prompt. The task is also given as JSON on
    stdin and in ``BATON_TASK``."""

    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LinkConfig:
    """One-click decision links in notifications (``identity.links``)."""

    base_url: str  # what the links point at, e.g. http://127.0.0.1:8787
    listen: str | None = None  # where `baton up` serves them ([HOST:]PORT), if it does
    ttl_seconds: int = 86400


@dataclass(frozen=True)
class IdentityConfig:
    """Who decides approvals, and how that is checked (``identity:`` and
    ``identities:`` in baton.yaml; docs/approvals.md, "Identity").

    - ``mode``: ``trusted`` takes the approver id a caller names at its word
      (a single-user laptop); ``signed`` makes every decision carry a
      credential that the worker verifies. Default: ``signed`` as soon as
      ``identities`` are listed, else ``trusted``.
    - ``identities``: principals that may hold credentials, each with an
      optional personal ``notify`` channel (decision links are sent there).
    """

    mode: str = "trusted"
    identities: dict[str, dict[str, str]] = field(default_factory=dict)
    key_file: Path | None = None
    revocations_file: Path | None = None
    credential_ttl_days: float = 90
    links: LinkConfig | None = None
    mcp_allow_decisions: bool = False  # trusted mode only: MCP callers may name an approver

    @property
    def signed(self) -> bool:
        return self.mode == "signed"


@dataclass(frozen=True)
class PoolConfig:
    """One entry of ``pools:`` in baton.yaml (docs/pools.md): a named
    resource pool shared by every run and worker. ``capacity``: how many
    units (GPUs, licences) it lends at once; ``check_seconds``: how often the
    pool frees what ended runs still hold."""

    capacity: int
    check_seconds: float = 30.0


@dataclass(frozen=True)
class MetricsConfig:
    """``metrics:`` in baton.yaml (docs/metrics.md). ``listen``: where
    ``baton up`` and ``baton worker`` serve ``/metrics`` (``[HOST:]PORT``,
    or ``off``); None when the file does not say."""

    listen: str | None = None


@dataclass(frozen=True)
class DashboardConfig:
    """``dashboard:`` in baton.yaml (docs/dashboard.md). ``listen``: where
    ``baton up`` and ``baton dashboard`` serve it (``[HOST:]PORT`` or
    ``off``); ``definitions``: a folder whose definitions the Start page
    offers (relative to baton.yaml); ``hosts``: the names it answers to
    besides loopback's (its own listen address always)."""

    listen: str | None = None
    definitions: Path | None = None
    # names it answers to beyond loopback's (the Host a proxy passes on)
    hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class BatonFile:
    """The parsed ``baton.yaml``: agents, notification channels, approvers
    and identities."""

    path: Path | None = None
    agents: dict[str, AgentConfig] = field(default_factory=dict)
    # shorthand ("slack://deployments") -> Apprise URL
    channels: dict[str, str] = field(default_factory=dict)
    # group name -> user ids (approvers write "group:name")
    groups: dict[str, list[str]] = field(default_factory=dict)
    # approval stage name (or "default") -> approvers, when a request names none
    approvers: dict[str, list[str]] = field(default_factory=dict)
    identity: IdentityConfig = field(default_factory=IdentityConfig)
    # what definitions may make a worker do, by entry point (docs/security.md)
    policy: ExecutionPolicy = field(default_factory=ExecutionPolicy)
    # where {{secrets.NAME}} files are (default $BATON_HOME/secrets)
    secrets_dir: Path | None = None
    # the `bpmn:` section as written (bindings of BPMN tasks); checked when a
    # model is compiled, naming this file (baton.definitions.bpmn.bindings)
    bpmn: dict[str, Any] = field(default_factory=dict)
    # health-check thresholds and recovery policies (docs/operations.md)
    monitoring: MonitoringConfig = field(default_factory=MonitoringConfig)
    # where Prometheus metrics are served (docs/metrics.md)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    # where the web dashboard is served, and what its Start page offers
    dashboard: DashboardConfig = field(default_factory=DashboardConfig)
    # lifecycle events out: `events: {sinks: [...]}` as written; checked
    # when a worker starts (baton.integrations.publisher)
    events: dict[str, Any] = field(default_factory=dict)
    # events in: `triggers: [...]` as written; checked when a worker starts
    # (baton.integrations.triggers)
    triggers: list[Any] = field(default_factory=list)
    # `circuit_breakers:` as written (baton.actions.breakers checks it)
    circuit_breakers: dict[str, Any] | None = None
    # `dead_letters: {runs: true, steps: true}`: runs that end failed (and
    # non-critical steps that failed for good) are kept as dead
    # letters (baton.integrations.deadletters); triggers' letters always are
    dead_letters: dict[str, Any] = field(default_factory=dict)
    # the command bus of choreography: `commands: {transport, url, replies,
    # subjects}` as written (baton.integrations.commands checks it)
    commands: dict[str, Any] = field(default_factory=dict)
    # named resource pools steps `acquire` and `release` (docs/pools.md)
    pools: dict[str, PoolConfig] = field(default_factory=dict)
    # `inbox: {index: true}`: approvals requested here report to the inbox
    # index and pending inboxes are listed from it (docs/approvals.md)
    inbox_index: bool = False


@dataclass(frozen=True)
class Settings:
    """Everything Baton reads from its environment.

    - ``temporal_address``: ``TEMPORAL_ADDRESS``; when set Baton uses that
      cluster and starts no server of its own.
    - ``namespace``: ``TEMPORAL_NAMESPACE`` (default ``default``).
    - ``task_queue``: ``TEMPORAL_TASK_QUEUE`` (default ``baton``).
    - ``home``: ``BATON_HOME`` (default ``~/.local/share/baton``): the embedded
      server's SQLite file, pid file and log live here, and ``baton up``'s
      local API socket.
    - ``embedded_port``: ``BATON_TEMPORAL_PORT`` (default 7233), the embedded
      server's gRPC port on 127.0.0.1.
    - ``config_file``: ``BATON_CONFIG``, else ``./baton.yaml``, else
      ``$BATON_HOME/baton.yaml``.
    - ``callback_secret``: ``BATON_CALLBACK_SECRET``, the key workers sign
      approval callbacks with.
    - ``identity_key``: ``BATON_IDENTITY_KEY`` (base64url), the key decision
      credentials are verified with; else read from ``identity.key_file``
      (default ``$BATON_HOME/identity.key``).
    - ``credential``: ``BATON_CREDENTIAL``, this user's credential (the token,
      or the path of a file holding it); else ``$BATON_HOME/credential``.
    - ``codec_key``: ``BATON_CODEC_KEY``, the key payloads are encrypted with
      before they reach the Temporal server (docs/security.md).
    - ``sqlite_synchronous``: ``BATON_SQLITE_SYNCHRONOUS`` (``NORMAL``, or
      ``FULL`` to survive power loss without losing the last transactions).
    - ``mcp_token``: ``BATON_MCP_TOKEN``, the shared bearer token of
      ``baton mcp --http``.
    - ``process_path``: ``BATON_PROCESS_PATH``, directories (separated like
      ``PATH``) where ``run: workflow`` finds the processes it names, after
      the running file's own directory.
    - ``monitoring_enabled``: ``WORKFLOW_MONITORING_ENABLED`` (default true):
      ``baton up`` and ``baton worker`` schedule the monitor's health sweeps.
    - ``health_check_interval``: ``WORKFLOW_HEALTH_CHECK_INTERVAL``, seconds
      between sweeps (default 300, at least 10).
    - ``metrics_interval``: ``WORKFLOW_METRICS_INTERVAL`` (default 60),
      checked and kept; nothing reads it: metrics are recorded as runs go
      and read when Prometheus scrapes (docs/metrics.md).
    - ``metrics_listen``: ``BATON_METRICS_LISTEN``, where ``baton up`` and
      ``baton worker`` serve Prometheus metrics (``[HOST:]PORT`` or ``off``;
      before ``metrics.listen`` in baton.yaml; default 127.0.0.1:9233).
    - ``dashboard_listen``: ``BATON_DASHBOARD_LISTEN``, where ``baton up``
      and ``baton dashboard`` serve the dashboard (``[HOST:]PORT`` or
      ``off``; before ``dashboard.listen``; default 127.0.0.1:8780).
    - ``build_id``: ``BATON_BUILD_ID``, the build of the code a worker runs;
      unset, the worker names no version (docs/upgrades.md, "Worker
      Versioning").
    - ``deployment_name``: ``BATON_DEPLOYMENT_NAME`` (default: the task
      queue), the Worker Deployment the build belongs to.
    - ``worker_versioning``: ``BATON_WORKER_VERSIONING``: ``off`` (default:
      the build id is only recorded with each workflow task), ``pinned``
      (a run stays on the build it started on) or ``auto-upgrade`` (a run
      moves to the deployment's current build); the last two need
      ``BATON_BUILD_ID``.
    - ``redis_url``: ``REDIS_URL``, or the seed's ``REDIS_HOST``,
      ``REDIS_PORT`` (6379), ``REDIS_DB`` (0) and ``REDIS_PASSWORD``: workers
      send lifecycle events there (docs/integrations.md); so do
      ``nats_url`` (``NATS_URL``) and ``kafka_bootstrap_servers``
      (``KAFKA_BOOTSTRAP_SERVERS``).
    """

    temporal_address: str | None
    namespace: str
    task_queue: str
    home: Path
    embedded_port: int
    config_file: Path | None
    callback_secret: str | None = None
    identity_key: str | None = None
    credential: str | None = None
    codec_key: str | None = None
    sqlite_synchronous: str = "NORMAL"
    mcp_token: str | None = None
    process_path: tuple[Path, ...] = ()
    monitoring_enabled: bool = True
    health_check_interval: float = 300.0
    metrics_interval: float = 60.0
    metrics_listen: str | None = None
    dashboard_listen: str | None = None
    redis_url: str | None = None
    nats_url: str | None = None
    kafka_bootstrap_servers: str | None = None
    build_id: str | None = None
    deployment_name: str | None = None
    worker_versioning: str = "off"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        home = Path(env.get("BATON_HOME") or Path.home() / ".local" / "share" / "baton")
        port_text = env.get("BATON_TEMPORAL_PORT") or str(DEFAULT_PORT)
        try:
            port = int(port_text)
        except ValueError:
            port = -1
        if not 1 <= port <= 65535:
            raise ConfigError(
                f"BATON_TEMPORAL_PORT must be a port number from 1 to 65535, got {port_text!r}"
            )
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
            callback_secret=env.get("BATON_CALLBACK_SECRET") or None,
            identity_key=env.get("BATON_IDENTITY_KEY") or None,
            credential=env.get("BATON_CREDENTIAL") or None,
            codec_key=env.get("BATON_CODEC_KEY") or None,
            sqlite_synchronous=_synchronous(env.get("BATON_SQLITE_SYNCHRONOUS") or "NORMAL"),
            mcp_token=env.get("BATON_MCP_TOKEN") or None,
            process_path=tuple(
                Path(part)
                for part in (env.get("BATON_PROCESS_PATH") or "").split(os.pathsep)
                if part
            ),
            monitoring_enabled=_flag(env, "WORKFLOW_MONITORING_ENABLED", True),
            health_check_interval=_seconds(env, "WORKFLOW_HEALTH_CHECK_INTERVAL", 300.0, 10.0),
            metrics_interval=_seconds(env, "WORKFLOW_METRICS_INTERVAL", 60.0, 1.0),
            metrics_listen=env.get("BATON_METRICS_LISTEN") or None,
            dashboard_listen=env.get("BATON_DASHBOARD_LISTEN") or None,
            redis_url=_redis_url(env),
            nats_url=env.get("NATS_URL") or None,
            kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS") or None,
            build_id=(env.get("BATON_BUILD_ID") or "").strip() or None,
            deployment_name=(env.get("BATON_DEPLOYMENT_NAME") or "").strip() or None,
            worker_versioning=_worker_versioning(env),
        )

    @property
    def embedded(self) -> bool:
        """True when Baton runs its own server (no ``TEMPORAL_ADDRESS``)."""
        return self.temporal_address is None

    @property
    def address(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.embedded_port}"

    @property
    def local_api_socket(self) -> Path:
        """Where ``baton up`` answers the CLI (a Unix socket only its user may
        open; docs/runtime.md, "Fast answers from baton up")."""
        return self.home / "baton.sock"

    @property
    def server_key(self) -> str:
        """The server, namespace and task queue a request is meant for: the
        local API answers only a caller configured for the same ones."""
        return f"{self.address}|{self.namespace}|{self.task_queue}"

    def load_file(self) -> BatonFile:
        return load_baton_file(self.config_file)


WORKER_VERSIONING = ("off", "pinned", "auto-upgrade")


def _worker_versioning(env: Mapping[str, str]) -> str:
    text = (env.get("BATON_WORKER_VERSIONING") or "off").strip().lower()
    if text not in WORKER_VERSIONING:
        raise ConfigError(
            f"BATON_WORKER_VERSIONING must be one of {', '.join(WORKER_VERSIONING)}, got {text!r}"
        )
    if text != "off" and not (env.get("BATON_BUILD_ID") or "").strip():
        raise ConfigError(
            f"BATON_WORKER_VERSIONING={text} needs BATON_BUILD_ID: the build this worker runs"
        )
    return text


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    text = (env.get(name) or "").strip().lower()
    if not text:
        return default
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {text!r}")


def _seconds(env: Mapping[str, str], name: str, default: float, least: float) -> float:
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < least:
        raise ConfigError(f"{name} must be a number of seconds ≥ {least:g}, got {text!r}")
    return value


def _synchronous(value: str) -> str:
    mode = value.upper()
    if mode not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise ConfigError(
            f"BATON_SQLITE_SYNCHRONOUS must be NORMAL, FULL, EXTRA or OFF, got {value!r}"
        )
    return mode


def load_baton_file(path: Path | None) -> BatonFile:
    """Parse ``baton.yaml``; a missing file is an empty configuration."""
    if path is None:
        return BatonFile()
    import yaml

    from .definitions.documents import DocumentError, decode, parse_text

    try:
        raw = parse_text(decode(path.read_bytes()), json_only=False) or {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except (DocumentError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    allowed = {
        "agents",
        "channels",
        "groups",
        "approvers",
        "identity",
        "identities",
        "mcp",
        "policy",
        "secrets_dir",
        "bpmn",
        "monitoring",
        "metrics",
        "dashboard",
        "events",
        "triggers",
        "circuit_breakers",
        "dead_letters",
        "commands",
        "pools",
        "inbox",
    }
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    for key in (
        "agents",
        "channels",
        "groups",
        "approvers",
        "identity",
        "mcp",
        "policy",
        "bpmn",
        "monitoring",
        "metrics",
        "dashboard",
        "events",
        "circuit_breakers",
        "dead_letters",
        "commands",
        "pools",
        "inbox",
    ):
        if raw.get(key) is not None and not isinstance(raw[key], dict):
            raise ConfigError(
                f"{path}: {key}: expected a mapping, got {type(raw[key]).__name__} "
                "(see docs/runtime.md, baton.yaml)"
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
    identity = _parse_identity(path, raw.get("identity"), raw.get("identities"), raw.get("mcp"))
    try:
        policy = parse_policy(raw.get("policy"), "policy")
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return BatonFile(
        policy=policy,
        secrets_dir=_path_or_none(path, raw.get("secrets_dir"), "secrets_dir"),
        path=path,
        agents=agents,
        channels=channels,
        groups=groups,
        approvers=approvers,
        identity=identity,
        bpmn=dict(raw.get("bpmn") or {}),
        monitoring=parse_monitoring(path, raw.get("monitoring")),
        metrics=_parse_metrics(path, raw.get("metrics")),
        dashboard=_parse_dashboard(path, raw.get("dashboard")),
        events=dict(raw.get("events") or {}),
        triggers=_list_of(path, "triggers", raw.get("triggers")),
        circuit_breakers=raw.get("circuit_breakers"),
        dead_letters=_parse_dead_letters(path, raw.get("dead_letters")),
        commands=dict(raw.get("commands") or {}),
        pools=_parse_pools(path, raw.get("pools")),
        inbox_index=_parse_inbox(path, raw.get("inbox")),
    )


def _parse_inbox(path: Path, section: Any) -> bool:
    if not section:
        return False
    if set(section) - {"index"} or not isinstance(section.get("index", False), bool):
        raise ConfigError(
            f"{path}: inbox: expected {{index: true}} or {{index: false}} (docs/approvals.md)"
        )
    return bool(section.get("index", False))


POOL_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")


def _parse_pools(path: Path, section: Any) -> dict[str, PoolConfig]:
    pools: dict[str, PoolConfig] = {}
    for name, spec in (section or {}).items():
        where = f"{path}: pools.{name}"
        if not str(name) or not set(str(name)) <= POOL_NAME_CHARS or len(str(name)) > 100:
            raise ConfigError(
                f"{where}: a pool name is letters, digits, '_', '-' and '.', at most 100"
            )
        if not isinstance(spec, dict) or set(spec) - {"capacity", "check_seconds"}:
            raise ConfigError(
                f"{where}: expected {{capacity: N}} (and optionally check_seconds), "
                "e.g. pools: {gpus: {capacity: 4}} (docs/pools.md)"
            )
        capacity = spec.get("capacity")
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ConfigError(f"{where}.capacity: expected a whole number >= 1, got {capacity!r}")
        check = spec.get("check_seconds", 30.0)
        if isinstance(check, bool) or not isinstance(check, int | float) or check < 1:
            raise ConfigError(f"{where}.check_seconds: expected a number >= 1, got {check!r}")
        pools[str(name)] = PoolConfig(capacity, float(check))
    return pools


def _parse_dead_letters(path: Path, section: Any) -> dict[str, Any]:
    if section is None:
        return {}
    allowed = ("runs", "steps", "store", "redis", "stream")
    unknown = sorted(set(section) - set(allowed))
    if unknown:
        raise ConfigError(
            f"{path}: dead_letters: unknown key(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(allowed)}"
        )
    for key in ("runs", "steps"):
        if not isinstance(section.get(key, False), bool):
            raise ConfigError(f"{path}: dead_letters.{key}: true or false")
    if section.get("store", "local") not in ("local", "redis"):
        raise ConfigError(f"{path}: dead_letters.store: local or redis")
    for key in ("redis", "stream"):
        if key in section and (not isinstance(section[key], str) or not section[key]):
            raise ConfigError(f"{path}: dead_letters.{key}: expected a string")
    if "redis" in section and not str(section["redis"]).startswith(("redis://", "rediss://")):
        raise ConfigError(f"{path}: dead_letters.redis: expected a redis:// URL")
    return dict(section)


def _list_of(path: Path, key: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"{path}: {key}: expected a list (see docs/integrations.md)")
    return value


def _redis_url(env: Mapping[str, str]) -> str | None:
    if env.get("REDIS_URL"):
        return env["REDIS_URL"]
    host = env.get("REDIS_HOST")
    if not host:
        return None
    from urllib.parse import quote

    password = env.get("REDIS_PASSWORD")
    auth = f":{quote(password, safe='')}@" if password else ""
    return f"redis://{auth}{host}:{env.get('REDIS_PORT') or 6379}/{env.get('REDIS_DB') or 0}"


def _parse_dashboard(path: Path, section: Any) -> DashboardConfig:
    """``dashboard: {listen: "[HOST:]PORT" | off, definitions: FOLDER}``."""
    if section is None:
        return DashboardConfig()
    unknown = sorted(set(section) - {"listen", "definitions", "hosts"})
    if unknown:
        raise ConfigError(
            f"{path}: dashboard: unknown key(s) {', '.join(unknown)}; "
            "allowed: listen, definitions, hosts"
        )
    hosts = section.get("hosts") or []
    if not isinstance(hosts, list) or not all(isinstance(h, str) and h for h in hosts):
        raise ConfigError(f"{path}: dashboard.hosts: expected a list of host names")
    listen = section.get("listen")
    if listen is False:
        listen = "off"
    elif listen is not None and (isinstance(listen, bool) or not isinstance(listen, (str, int))):
        raise ConfigError(f"{path}: dashboard.listen: expected PORT, HOST:PORT or off")
    folder = section.get("definitions")
    if folder is not None and not isinstance(folder, str):
        raise ConfigError(f"{path}: dashboard.definitions: expected a folder path")
    return DashboardConfig(
        listen=None if listen is None else str(listen),
        definitions=None if folder is None else (path.parent / folder).resolve(),
        hosts=tuple(hosts),
    )


def _parse_metrics(path: Path, section: Any) -> MetricsConfig:
    """``metrics: {listen: "[HOST:]PORT" | off}``; YAML reads a bare ``off``
    as false, which means off too."""
    if section is None:
        return MetricsConfig()
    unknown = sorted(set(section) - {"listen"})
    if unknown:
        raise ConfigError(f"{path}: metrics: unknown key(s) {', '.join(unknown)}; allowed: listen")
    listen = section.get("listen")
    if listen is None:
        return MetricsConfig()
    if listen is False:
        return MetricsConfig(listen="off")
    if isinstance(listen, bool) or not isinstance(listen, (str, int)):
        raise ConfigError(f"{path}: metrics.listen: expected PORT, HOST:PORT or off")
    return MetricsConfig(listen=str(listen))


def _parse_identity(path: Path, section: Any, identities: Any, mcp: Any) -> IdentityConfig:
    section = {} if section is None else section
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: identity: expected a mapping (mode, key_file, links, ...)")
    allowed = {"mode", "key_file", "revocations_file", "credential_ttl_days", "links"}
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise ConfigError(
            f"{path}: identity: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    people: dict[str, dict[str, str]] = {}
    if isinstance(identities, list) and all(isinstance(i, str) for i in identities):
        people = {i: {} for i in identities}
    elif isinstance(identities, dict):
        for name, options in identities.items():
            options = options or {}
            if not isinstance(options, dict) or set(options) - {"notify"}:
                raise ConfigError(
                    f"{path}: identities.{name}: expected a mapping with an optional 'notify' channel"
                )
            people[str(name)] = {str(k): str(v) for k, v in options.items()}
    elif identities is not None:
        raise ConfigError(
            f"{path}: identities: expected a list of user ids, or a mapping of user id to options"
        )
    mode = section.get("mode") or ("signed" if people else "trusted")
    if mode not in ("trusted", "signed"):
        raise ConfigError(f"{path}: identity.mode: expected 'trusted' or 'signed', got {mode!r}")
    ttl = section.get("credential_ttl_days", 90)
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or ttl <= 0:
        raise ConfigError(f"{path}: identity.credential_ttl_days: expected a positive number")
    links = _parse_links(path, section.get("links"))
    mcp = {} if mcp is None else mcp
    if not isinstance(mcp, dict) or set(mcp) - {"allow_decisions"}:
        raise ConfigError(f"{path}: mcp: expected a mapping with 'allow_decisions' (true/false)")
    allow = mcp.get("allow_decisions", False)
    if not isinstance(allow, bool):
        raise ConfigError(f"{path}: mcp.allow_decisions: expected true or false")
    if allow and mode == "signed":
        raise ConfigError(
            f"{path}: mcp.allow_decisions applies to trusted mode only; in signed mode an MCP "
            "token decides when its credential has the 'mcp:decide' scope"
        )
    return IdentityConfig(
        mode=mode,
        identities=people,
        key_file=_path_or_none(path, section.get("key_file"), "identity.key_file"),
        revocations_file=_path_or_none(
            path, section.get("revocations_file"), "identity.revocations_file"
        ),
        credential_ttl_days=float(ttl),
        links=links,
        mcp_allow_decisions=allow,
    )


def _parse_links(path: Path, value: Any) -> LinkConfig | None:
    if value is None:
        return None
    where = f"{path}: identity.links"
    if not isinstance(value, dict) or set(value) - {"base_url", "listen", "ttl_seconds"}:
        raise ConfigError(f"{where}: expected a mapping with base_url, listen, ttl_seconds")
    base = value.get("base_url")
    if not isinstance(base, str) or not base.startswith(("http://", "https://")):
        raise ConfigError(f"{where}.base_url: expected an http(s) URL the approvers can open")
    ttl = value.get("ttl_seconds", 86400)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 60 <= ttl <= 30 * 86400:
        raise ConfigError(
            f"{where}.ttl_seconds: expected whole seconds from 60 to 2592000 (30 days)"
        )
    listen = value.get("listen")
    if listen is not None and not isinstance(listen, (str, int)):
        raise ConfigError(f"{where}.listen: expected PORT or HOST:PORT")
    return LinkConfig(
        base_url=base.rstrip("/"), listen=None if listen is None else str(listen), ttl_seconds=ttl
    )


def _path_or_none(path: Path, value: Any, key: str) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{path}: {key}: expected a file path")
    return Path(value).expanduser()


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
