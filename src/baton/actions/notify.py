"""``notify``: alerts and notices through Apprise. A channel is an Apprise URL
or a shorthand (``slack://deployments``) mapped to one under ``channels:`` in
baton.yaml."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import activity

from ..config import BatonFile
from ._support import non_retryable
from .types import Notification


class NotifyAction:
    def __init__(self, baton_file: BatonFile) -> None:
        self._channels = baton_file.channels

    def resolve(self, channel: str) -> str:
        return self._channels.get(channel, channel)

    @activity.defn(name="baton.notify")
    async def notify(self, notification: Notification) -> dict[str, Any]:
        import apprise  # imported here: it is slow to import and only alerts need it

        sender = apprise.Apprise()
        rejected = [c for c in notification.channels if not sender.add(self.resolve(c))]
        if rejected:
            raise non_retryable(
                "not a usable notification channel: "
                + ", ".join(rejected)
                + "; map each to an Apprise URL under 'channels:' in baton.yaml",
                "ChannelNotConfigured",
            )
        sent = await asyncio.to_thread(
            sender.notify, body=notification.body, title=notification.title
        )
        if not sent:
            raise RuntimeError(f"delivery failed for {', '.join(notification.channels)}")
        return {"sent_to": notification.channels}
