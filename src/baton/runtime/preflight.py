"""Checks before a run starts: what the execution policy refuses (errors),
and what will not work as written though the definition is valid (warnings
shown by ``baton validate``/``baton run`` and returned by MCP starts)."""

from __future__ import annotations

import ipaddress
from collections.abc import Collection
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit

from ..actions.registry import kind_of
from ..config import BatonFile, Settings
from ..errors import Issue
from ..plan.approval import ApprovalSpec
from ..plan.model import Plan, walk
from ..policy import TRUSTED_ENTRY_POINTS, ExecutionPolicy


def definition_warnings(
    compiled: Plan | ApprovalSpec, settings: Settings, baton_file: BatonFile | None = None
) -> list[str]:
    """Checked against this machine's settings (and ``baton_file``, its
    baton.yaml): workers usually share them (always with the embedded
    server), but the worker's own are what count."""
    found = [] if isinstance(compiled, ApprovalSpec) else list(compiled.options.warnings)
    if baton_file is not None and isinstance(compiled, Plan):
        found += _command_warnings(compiled, settings, baton_file)
        found += _pool_warnings(compiled, baton_file)
    if isinstance(compiled, ApprovalSpec):
        callback_urls = [compiled.callback_url]
    else:
        callback_urls = [
            step.action.get("spec", {}).get("callback_url")
            for _, step in walk(compiled.steps)
            if step.action and kind_of(step.action).gate
        ]
    if any(callback_urls) and not settings.callback_secret:
        found.append(
            "callback_url is set but BATON_CALLBACK_SECRET is not: workers sign callbacks with "
            "it, so a worker without it fails the callback when the approval ends"
        )
    return found


def _pool_warnings(plan: Plan, baton_file: BatonFile) -> list[str]:
    """Pools that ``acquire`` steps name and this machine's baton.yaml does
    not configure (the workers' own baton.yaml is what counts)."""
    named = sorted(
        {
            str(step.action.get("pool"))
            for _, step in walk(plan.steps)
            if step.action and step.action.get("type") == "acquire"
        }
        - set(baton_file.pools)
    )
    return [
        f"pool {name!r} is not under pools: in this machine's baton.yaml: the workers that "
        "run its acquire steps need it, with a capacity (docs/pools.md)"
        for name in named
    ]


def _command_warnings(plan: Plan, settings: Settings, baton_file: BatonFile) -> list[str]:
    """Command steps (choreography) that this machine's command bus would
    not send: none configured, or a subject it does not list."""
    from ..integrations.commands import parse_commands

    sending = [
        (step.id, str(action["subject"]))
        for _, step in walk(plan.steps)
        for action in (step.action, step.compensation)
        if action and kind_of(action).command
    ]
    if not sending:
        return []
    spec = parse_commands(baton_file, settings)
    if spec is None:
        steps = ", ".join(sorted({step for step, _ in sending}))
        return [
            f"steps {steps} send commands, but this machine's baton.yaml has no commands: "
            "section: the workers that run them need a command bus (docs/integrations.md)"
        ]
    return [
        f"step {step}: {refusal}"
        for step, subject in sending
        if (refusal := spec.refusal(subject)) is not None
    ]


def policy_issues(
    compiled: Plan | ApprovalSpec,
    policy: ExecutionPolicy,
    origin: str,
    configured_channels: Collection[str] = (),
) -> list[Issue]:
    """The execution policy checked before a run starts, so a user learns at
    once; workers check the same rules again when they execute (names are
    resolved only there)."""
    if isinstance(compiled, ApprovalSpec):
        return _approval_issues(
            "",
            compiled.callback_url,
            _spec_channels(asdict(compiled)),
            policy,
            origin,
            configured_channels,
        )
    channels = {
        f"config.notification_channels[{i}]": c
        for i, c in enumerate(compiled.options.notification_channels)
    }
    issues = _channel_issues(channels, origin, configured_channels)
    for path, step in walk(compiled.steps):
        acts: list[tuple[str, dict[str, Any] | None]] = [
            ("action", step.action),
            ("compensation", step.compensation),
        ]
        if step.undo_with is not None:
            acts.append(("undo_with.action", step.undo_with.action))
        if step.throw is not None and step.throw.kind in ("signal", "message"):
            if step.throw.broadcast:
                # a signal or message goes to other runs through the emit action
                acts.append(("throw", {"type": "emit"}))
        for field_name, action in acts:
            if not action:
                continue
            where = f"{path} ({step.id}).{field_name}"
            kind = str(action.get("type", ""))
            refusal = policy.action_refusal(kind, origin)
            if refusal:
                issues.append(Issue(where, refusal))
            if kind == "python":
                refusal = policy.python_refusal(str(action.get("function", "")))
                if refusal:
                    # said before the run starts, from this machine's baton.yaml
                    here = " (checked here against this machine's baton.yaml: BATON_CONFIG)"
                    issues.append(Issue(f"{where}.function", refusal + here))
                store = (action.get("checkpoint") or {}).get("store")
                if store and (refusal := policy.checkpoint_store_refusal(str(store), origin)):
                    issues.append(Issue(f"{where}.checkpoint.store", refusal))
            url_field = kind_of(action).url_field
            if url_field:
                issues += _address_issues(
                    [(f"{where}.{url_field}", action.get(url_field))], policy, origin
                )
            if kind_of(action).gate:
                spec = action.get("spec") or {}
                issues += _approval_issues(
                    f"{where}.",
                    spec.get("callback_url"),
                    _spec_channels(spec),
                    policy,
                    origin,
                    configured_channels,
                )
    return issues


def _approval_issues(
    prefix: str,
    callback_url: str | None,
    channels: dict[str, str],
    policy: ExecutionPolicy,
    origin: str,
    configured: Collection[str],
) -> list[Issue]:
    urls = [(f"{prefix}callback_url", callback_url)] if callback_url else []
    return _address_issues(urls, policy, origin) + _channel_issues(
        {f"{prefix}{k}": v for k, v in channels.items()}, origin, configured
    )


def _spec_channels(spec: dict[str, Any]) -> dict[str, str]:
    """Every channel an approval spec (as a dict) notifies, by field path."""
    channels = {f"notify[{i}]": c for i, c in enumerate(spec.get("notify") or [])}
    for s_index, stage in enumerate(spec.get("stages") or []):
        escalation = stage.get("escalation") or {}
        for c_index, channel in enumerate(escalation.get("notify") or []):
            channels[f"stages[{s_index}].escalation.notify[{c_index}]"] = channel
    return channels


def _channel_issues(
    channels: dict[str, str], origin: str, configured: Collection[str]
) -> list[Issue]:
    """From untrusted entry points only channels configured in baton.yaml:
    a raw Apprise URL is a request to any host, with any credentials."""
    if origin in TRUSTED_ENTRY_POINTS:
        return []
    return [
        Issue(
            where,
            f"channel {channel!r} is not configured: definitions from {origin} may only name "
            "channels configured under 'channels:' in baton.yaml",
        )
        for where, channel in channels.items()
        if channel not in configured
    ]


def _address_issues(
    urls: list[tuple[str, Any]], policy: ExecutionPolicy, origin: str
) -> list[Issue]:
    """Literal addresses only (``http://169.254.169.254/``, ``localhost``):
    names are resolved by the worker, which checks every address they resolve to."""
    issues = []
    for where, url in urls:
        if not isinstance(url, str) or url.startswith("{"):
            continue
        host = urlsplit(url).hostname or ""
        address = "127.0.0.1" if host == "localhost" else host
        try:
            ipaddress.ip_address(address)
        except ValueError:
            continue
        refusal = policy.address_refusal(host, address, origin)
        if refusal:
            issues.append(Issue(where, refusal))
    return issues
