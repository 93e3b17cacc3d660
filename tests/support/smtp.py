"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives,
for tests of mail notifications."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

from aiosmtpd.controller import Controller

from baton.testing import free_port


class SmtpSink:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def channel(self, to: str) -> str:
        """The Apprise URL that mails ``to`` through this server."""
        return f"mailto://127.0.0.1:{self.port}?from=baton@company.com&to={to}&mode=insecure"


@contextlib.contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
