"""Notification channels: Apprise URLs, or shorthands (``slack://deployments``,
``email://devops@company.com``) mapped to Apprise URLs under ``channels:`` in
baton.yaml. Checked when a definition loads, so a typo never waits for the
first failure to show."""

from __future__ import annotations

import logging

from ..config import BatonFile
from ..errors import Issue


def channel_issues(channels: list[str], path: str, baton_file: BatonFile) -> list[Issue]:
    issues: list[Issue] = []
    for index, channel in enumerate(channels):
        if channel in baton_file.channels:
            continue
        if not _apprise_accepts(channel):
            issues.append(
                Issue(
                    f"{path}[{index}]",
                    f"channel {channel!r} is not configured: map it to an Apprise URL under "
                    "'channels:' in baton.yaml, or use an Apprise URL (mailto://, slack://T/B/C, json://...)",
                )
            )
    return issues


def quiet_apprise() -> None:
    """Apprise logs every URL it cannot parse; Baton reports those itself,
    with the field they came from."""
    logging.getLogger("apprise").setLevel(logging.CRITICAL)


def _apprise_accepts(url: str) -> bool:
    import apprise  # slow to import; only definitions with channels need it

    quiet_apprise()
    return bool(apprise.Apprise().add(url))
