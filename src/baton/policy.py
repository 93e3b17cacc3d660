"""The execution policy: what a definition may make a worker do, by the entry
point it came through (docs/security.md).

- **Action types per entry point.** Definitions from ``cli`` and ``api`` may
  use every action; from ``mcp`` (an AI agent, possibly prompt-injected) and
  ``trigger`` (a message on a queue) not ``script`` or ``python``, unless
  ``policy.entry_points`` says otherwise.
- **Python steps** may call only functions in ``policy.python_modules`` (and
  their submodules), and never in modules that run code or reach the system
  (``os``, ``builtins``, ``subprocess``, ...), whatever the list says.
- **Network.** ``api_call``, callbacks and notification webhooks reach public
  addresses; private ones (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7)
  and loopback only for entry points whose ``networks`` include them (``cli``
  and ``api`` by default); link-local and cloud-metadata addresses never —
  except hosts or networks listed in ``policy.allow_hosts``. Every address a
  name resolves to is checked, and the connection goes to the checked address.
- **Checkpoint stores.** A checkpointed ``python`` step writes to the
  worker's own ``$BATON_HOME/checkpoints`` unless its definition names a
  store; definitions from ``cli`` and ``api`` may name any, others only
  stores under a prefix listed in ``policy.checkpoint_stores``.

The worker enforces this (it is the place that executes); validation checks
the same rules early so a user learns at once.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from dataclasses import dataclass, field
from typing import Any

from .actions.registry import CODE_ACTIONS

ENTRY_POINTS = ("cli", "api", "mcp", "trigger", "dashboard")
NETWORKS = ("public", "private", "loopback")
TRUSTED_ENTRY_POINTS = ("cli", "api")
# never callable from a `python` step, even when listed
FORBIDDEN_MODULES = (
    "builtins",
    "asyncio",
    "os",
    "posix",
    "nt",
    "sys",
    "subprocess",
    "shutil",
    "importlib",
    "runpy",
    "code",
    "codeop",
    "pty",
    "socket",
    "ctypes",
    "pickle",
    "marshal",
    "shelve",
    "multiprocessing",
    "threading",
    "signal",
    "inspect",
    "gc",
    "io",
    "pathlib",
    "tempfile",
    "eval",
    "exec",
    "baton",
    "temporalio",
)
_METADATA_HOSTS = ("metadata.google.internal", "metadata", "instance-data")
_METADATA_IPS = (
    ipaddress.ip_network("169.254.0.0/16"),  # link-local, incl. 169.254.169.254
    ipaddress.ip_network("fe80::/10"),
    ipaddress.ip_network("fd00:ec2::254/128"),
    ipaddress.ip_network("100.100.100.200/32"),  # Alibaba Cloud metadata
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


@dataclass(frozen=True)
class EntryPointRules:
    """What definitions from one entry point may contain and reach."""

    actions: tuple[str, ...] | None  # the action types allowed; None: all but `denied`
    networks: tuple[str, ...]
    denied: tuple[str, ...] = ()


def default_rules(origin: str) -> EntryPointRules:
    if origin in TRUSTED_ENTRY_POINTS:
        return EntryPointRules(actions=None, networks=NETWORKS)
    return EntryPointRules(actions=None, networks=("public",), denied=CODE_ACTIONS)


@dataclass(frozen=True)
class ExecutionPolicy:
    """``policy:`` in baton.yaml, with the defaults above."""

    entry_points: dict[str, EntryPointRules] = field(default_factory=dict)
    python_modules: tuple[str, ...] = ()
    allow_hosts: tuple[str, ...] = ()
    # where checkpointed steps from untrusted entry points may keep checkpoints
    checkpoint_stores: tuple[str, ...] = ()

    def rules(self, origin: str) -> EntryPointRules:
        return self.entry_points.get(origin) or default_rules(origin)

    # ---- actions -------------------------------------------------------------

    def action_refusal(self, action_type: str, origin: str) -> str | None:
        rules = self.rules(origin)
        if action_type in rules.denied:
            return (
                f"{action_type} steps may not come from {origin} (they run code on the "
                f"worker); allow them under policy.entry_points.{origin}.actions in the "
                "worker's baton.yaml only if you trust every caller of that entry point"
            )
        if rules.actions is not None and action_type not in rules.actions:
            return (
                f"{action_type} steps may not come from {origin}: "
                f"policy.entry_points.{origin}.actions allows {', '.join(rules.actions) or 'none'}"
            )
        return None

    def python_refusal(self, function: str) -> str | None:
        module = function.partition(":")[0]
        root = module.split(".")[0]
        attr = function.partition(":")[2]
        if root in FORBIDDEN_MODULES or attr.split(".")[0] in ("__import__", "eval", "exec"):
            return f"python steps may never call into {root!r} ({function})"
        if not any(module == m or module.startswith(m + ".") for m in self.python_modules):
            listed = ", ".join(self.python_modules) or "none yet"
            return (
                f"python function {function} is not in an allowed module; list its module under "
                f"policy.python_modules in the worker's baton.yaml (allowed: {listed})"
            )
        return None

    def checkpoint_store_refusal(self, store: str, origin: str) -> str | None:
        """Why a step from ``origin`` may not keep checkpoints in ``store``
        (a directory or URL the definition named), or None."""
        if origin in TRUSTED_ENTRY_POINTS:
            return None
        if any(store_within(store, prefix) for prefix in self.checkpoint_stores):
            return None
        from .redact import redact

        listed = ", ".join(self.checkpoint_stores) or "none"
        return (
            f"checkpoint store {redact(store)!r} may not be named by definitions from {origin}; "
            "leave `store` out (the worker's own directory) or list a prefix under "
            f"policy.checkpoint_stores in the worker's baton.yaml (listed: {listed})"
        )

    # ---- network -------------------------------------------------------------

    def host_listed(self, host: str, address: str | None = None) -> bool:
        for entry in self.allow_hosts:
            if "/" in entry or _is_ip(entry):
                if address is not None and _in_network(address, entry):
                    return True
            elif fnmatch.fnmatch(host.lower(), entry.lower()):
                return True
        return False

    def address_refusal(self, host: str, address: str, origin: str) -> str | None:
        """Why ``host`` (resolved to ``address``) may not be reached from
        ``origin``, or None."""
        if self.host_listed(host, address):
            return None
        ip = ipaddress.ip_address(address.split("%")[0])
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        kind = network_kind(mapped or ip)
        if host.lower().rstrip(".") in _METADATA_HOSTS:
            kind = "metadata"
        named = host if host == address else f"{host} ({address})"
        if kind == "metadata":
            return (
                f"{named} is a link-local or cloud-metadata address, which steps may "
                "never reach; list it under policy.allow_hosts if you must"
            )
        if kind not in self.rules(origin).networks:
            return (
                f"{named} is a {kind} address, which definitions from {origin} may "
                f"not reach; add it to policy.allow_hosts or '{kind}' to "
                f"policy.entry_points.{origin}.networks in the worker's baton.yaml"
            )
        return None


def store_within(store: str, prefix: str) -> bool:
    """Whether ``store`` is ``prefix`` or under it: local paths compared once
    resolved (no ``..`` escapes), URLs segment by segment."""
    from pathlib import Path

    local = ("://" not in store or store.startswith("file://")) and (
        "://" not in prefix or prefix.startswith("file://")
    )
    if local:

        def path(text: str) -> Path:
            return Path(text.removeprefix("file://")).expanduser().resolve()

        return path(store).is_relative_to(path(prefix))
    if "/../" in f"{store}/" or "/./" in f"{store}/":
        return False
    return f"{store.rstrip('/')}/".startswith(f"{prefix.rstrip('/')}/")


def network_kind(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if any(ip in net for net in _METADATA_IPS if net.version == ip.version):
        return "metadata"
    if ip.is_loopback:
        return "loopback"
    if ip.is_private or ip.is_reserved or ip.is_unspecified or ip.is_multicast:
        return "private"
    if ip.version == 4 and ip in _CGNAT:
        return "private"
    return "public"


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def _in_network(address: str, entry: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]) in ipaddress.ip_network(
            entry, strict=False
        )
    except ValueError:
        return False


def parse_policy(raw: Any, where: str) -> ExecutionPolicy:
    """``policy:`` from baton.yaml; raises ValueError with the key path."""
    if raw is None:
        return ExecutionPolicy()
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a mapping (entry_points, python_modules, allow_hosts)")
    unknown = sorted(
        set(raw) - {"entry_points", "python_modules", "allow_hosts", "checkpoint_stores"}
    )
    if unknown:
        raise ValueError(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: allow_hosts, "
            "checkpoint_stores, entry_points, python_modules"
        )
    entry_points: dict[str, EntryPointRules] = {}
    for name, rules in (raw.get("entry_points") or {}).items():
        at = f"{where}.entry_points.{name}"
        if name not in ENTRY_POINTS:
            raise ValueError(f"{at}: unknown entry point; known: {', '.join(ENTRY_POINTS)}")
        if not isinstance(rules, dict) or set(rules) - {"actions", "networks"}:
            raise ValueError(f"{at}: expected a mapping with 'actions' and/or 'networks'")
        default = default_rules(name)
        actions = rules.get("actions", "default")
        denied = default.denied if actions == "default" else ()
        if actions in ("all", "default"):
            action_list: tuple[str, ...] | None = None
        elif isinstance(actions, list) and all(isinstance(a, str) for a in actions):
            action_list = tuple(actions)
        else:
            raise ValueError(f"{at}.actions: expected 'all' or a list of action types")
        networks = rules.get("networks", list(default.networks))
        if not isinstance(networks, list) or any(n not in NETWORKS for n in networks):
            raise ValueError(f"{at}.networks: expected a list of {', '.join(NETWORKS)}")
        entry_points[name] = EntryPointRules(
            actions=action_list, networks=tuple(networks), denied=denied
        )
    modules = raw.get("python_modules") or []
    if not isinstance(modules, list) or not all(isinstance(m, str) and m for m in modules):
        raise ValueError(f"{where}.python_modules: expected a list of module names")
    forbidden = [m for m in modules if m.split(".")[0] in FORBIDDEN_MODULES]
    if forbidden:
        raise ValueError(
            f"{where}.python_modules: {', '.join(forbidden)} may never be called from a step"
        )
    hosts = raw.get("allow_hosts") or []
    if not isinstance(hosts, list) or not all(isinstance(h, str) and h for h in hosts):
        raise ValueError(
            f"{where}.allow_hosts: expected a list of hosts, *.suffix patterns or CIDRs"
        )
    stores = raw.get("checkpoint_stores") or []
    if not isinstance(stores, list) or not all(isinstance(h, str) and h for h in stores):
        raise ValueError(
            f"{where}.checkpoint_stores: expected a list of directories or URLs (prefixes)"
        )
    return ExecutionPolicy(
        entry_points=entry_points,
        python_modules=tuple(modules),
        allow_hosts=tuple(hosts),
        checkpoint_stores=tuple(stores),
    )
