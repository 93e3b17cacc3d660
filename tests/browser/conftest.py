"""Browser tests: Playwright's async API driving the system Chromium,
/usr/bin/chromium (Debian's ``chromium``; ``scripts/ensure-browser`` installs
it, ``playwright install`` is never used).

- ``browser`` (session): one headless Chromium for the whole run.
- ``page`` (per test): a fresh context (own cookies and storage) at 1280x800;
  console errors and uncaught page errors are collected in
  ``page.console_errors`` and fail the test at teardown, unless the test is
  marked ``allow_console_errors``.
- ``serve_app(app)``: serve an ASGI app (the dashboard) on 127.0.0.1 in the
  test's event loop, yielding its base URL.
- ``save_screenshot(page, name)``: into ``docs/images/dashboard/<name>.png``
  with ``BATON_UPDATE_SCREENSHOTS=1``, else into pytest's temporary directory.

Every test in this directory is marked ``browser`` (``-m "not browser"``
leaves them out). Without Chromium they skip, naming the script; under
``CI=true`` they fail instead, so CI never passes without running them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

try:
    from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright
    from playwright.async_api import Error as PlaywrightError
except ImportError:  # reported by the chromium_executable fixture
    async_playwright = None  # type: ignore[assignment]

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE.parents[1] / "docs" / "images" / "dashboard"
SCREENSHOT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")

_screenshot_tmp: Path | None = None


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _unavailable(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason} (CI is set: browser tests must run there)", pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The Chromium to drive; skips (fails under CI) when it cannot run."""
    if async_playwright is None:
        _unavailable("playwright is not installed: pip install -e '.[test]'")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"{CHROMIUM} is missing: run scripts/ensure-browser to install it")
    return CHROMIUM


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(
    chromium_executable: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Browser]:
    """Headless Chromium; a plain launch gets a fresh temporary profile,
    removed when it closes."""
    global _screenshot_tmp
    _screenshot_tmp = tmp_path_factory.mktemp("screenshots")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=LAUNCH_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    """A page in its own context; ``page.console_errors`` lists what went
    wrong in it, and anything listed fails the test at teardown unless it is
    marked ``allow_console_errors``."""
    context = await browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
    opened = await context.new_page()
    errors: list[str] = []
    opened.console_errors = errors  # type: ignore[attr-defined]

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url") or ""
            line = message.location.get("lineNumber")
            if where and line is not None:
                where = f"{where}:{line + 1}"
            errors.append(f"console.error: {message.text}" + (f" ({where})" if where else ""))

    opened.on("console", on_console)
    opened.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    try:
        yield opened
        if not opened.is_closed():
            # a round trip, so events the page sent just before are delivered
            with contextlib.suppress(PlaywrightError):
                await opened.evaluate("0")
    finally:
        await context.close()
    if errors and request.node.get_closest_marker("allow_console_errors") is None:
        listed = "\n  ".join(errors)
        pytest.fail(
            f"the page logged {len(errors)} error(s) (mark the test allow_console_errors "
            f"if they are expected):\n  {listed}",
            pytrace=False,
        )


@contextlib.asynccontextmanager
async def serve_app(app: Any) -> AsyncIterator[str]:
    """Serve the ASGI ``app`` on a free 127.0.0.1 port in this event loop
    (Baton's own ``serve_in_process``), yielding ``http://127.0.0.1:PORT``.
    The socket listens before the server starts, so there is nothing to wait
    for. Lifespan events are off, as in Baton's other servers."""
    from baton.web.listen import serve_in_process

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    task = asyncio.create_task(serve_in_process(app, sock=sock))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


async def save_screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Screenshot ``page`` as ``<name>.png``: into docs/images/dashboard when
    ``BATON_UPDATE_SCREENSHOTS=1`` (to refresh the committed images), else
    into pytest's temporary directory, so a normal run leaves git clean."""
    if not SCREENSHOT_NAME.fullmatch(name):
        raise ValueError(f"screenshot name {name!r}: use lowercase letters, digits, - and _")
    if os.environ.get("BATON_UPDATE_SCREENSHOTS") == "1":
        folder = SCREENSHOTS
        folder.mkdir(parents=True, exist_ok=True)
    else:
        assert _screenshot_tmp is not None, "save_screenshot needs the browser fixture"
        folder = _screenshot_tmp
    path = folder / f"{name}.png"
    await page.screenshot(path=path, full_page=full_page, animations="disabled", caret="hide")
    return path
