"""``notify``: alerts and notices through Apprise. A channel is an Apprise URL
or a shorthand (``slack://deployments``) mapped to one under ``channels:`` in
baton.yaml.

A notice about an approval stage (``decision_links``) also goes to each
eligible approver who has a personal ``notify`` channel under ``identities:``,
with one-click decision links when ``identity.links`` is configured. Links are
minted here, on the worker, with the identity key; they never enter workflow
history (this activity returns only where it sent)."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlsplit

from temporalio import activity

from ..config import BatonFile
from ..identity.credentials import mint_link
from ..plan.channels import quiet_apprise
from ..policy import TRUSTED_ENTRY_POINTS
from ._support import non_retryable
from .network import PolicyDenied, resolve_checked
from .types import DecisionLinks, Notification

NOTIFY_TYPES = ("info", "success", "warning", "failure")


class NotifyAction:
    def __init__(self, baton_file: BatonFile, identity_key: bytes | None = None) -> None:
        self._channels = baton_file.channels
        self._identity = baton_file.identity
        self._policy = baton_file.policy
        self._key = identity_key

    async def check_channel(self, channel: str, origin: str) -> None:
        """Channels configured in baton.yaml are the operator's; a raw Apprise
        URL written in a definition is held to the execution policy: not from
        untrusted entry points at all, and its host must be reachable."""
        if channel in self._channels:
            return
        if origin not in TRUSTED_ENTRY_POINTS:
            raise non_retryable(
                f"notification channel {channel!r} is not configured: definitions from {origin} "
                "may only name channels configured under 'channels:' in baton.yaml",
                "PolicyDenied",
            )
        parts = urlsplit(channel)
        host = parts.hostname or ""
        if host and ("." in host or ":" in host or host == "localhost"):
            try:
                await resolve_checked(self._policy, host, parts.port or 0, origin)
            except PolicyDenied as exc:
                raise non_retryable(
                    f"notification channel refused by the execution policy: {exc}", "PolicyDenied"
                ) from None

    def resolve(self, channel: str) -> str:
        return self._channels.get(channel, channel)

    @activity.defn(name="baton.notify")
    async def notify(self, notification: Notification) -> dict[str, Any]:
        sent_to: list[str] = []
        for channel in notification.channels:
            await self.check_channel(channel, notification.origin)
        if notification.channels:
            await self.send(
                notification.channels, notification.title, notification.body, notification.kind
            )
            sent_to += notification.channels
        if notification.decision_links is not None:
            sent_to += await self._personal(notification, notification.decision_links)
        return {"sent_to": sent_to}

    async def _personal(self, notification: Notification, links: DecisionLinks) -> list[str]:
        """One message per approver with a personal channel; returns who got one."""
        reached = []
        for approver in links.approvers:
            channel = self._identity.identities.get(approver, {}).get("notify")
            if not channel:
                continue
            body = f"{notification.body}\n\nYou ({approver}) may decide this stage."
            body += self._links_text(links, approver)
            await self.send([channel], notification.title, body, notification.kind)
            reached.append(approver)
        return reached

    def _links_text(self, links: DecisionLinks, approver: str) -> str:
        config = self._identity.links
        if config is None or self._key is None:
            return ""
        now = int(time.time())
        lines = ["", "One-click decision (single use, expires):"]
        for decision in ("approve", "reject"):
            token = mint_link(
                self._key,
                approval_id=links.approval_id,
                stage=links.stage,
                approver=approver,
                decision=decision,
                now=now,
                ttl_seconds=config.ttl_seconds,
            )
            lines.append(f"  {decision}: {config.base_url}/decide/{token}")
        return "\n".join(lines)

    async def send(self, channels: list[str], title: str, body: str, kind: str) -> None:
        import apprise  # imported here: it is slow to import and only alerts need it

        quiet_apprise()
        sender = apprise.Apprise()
        rejected = [c for c in channels if not sender.add(self.resolve(c))]
        if rejected:
            raise non_retryable(
                "not a usable notification channel: "
                + ", ".join(rejected)
                + "; map each to an Apprise URL under 'channels:' in baton.yaml",
                "ChannelNotConfigured",
            )
        notify_type = kind if kind in NOTIFY_TYPES else "info"
        sent = await asyncio.to_thread(
            sender.notify, body=body, title=title, notify_type=notify_type
        )
        if not sent:
            raise RuntimeError(f"delivery failed for {', '.join(channels)}")
