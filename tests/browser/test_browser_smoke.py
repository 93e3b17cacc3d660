"""The browser test infrastructure itself, on a small Starlette page: serving
an app, clicking, the console-error check and screenshots. If this fails,
every dashboard test would too."""

from __future__ import annotations

import os
import textwrap

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from tests.browser import conftest as browser_conftest
from tests.browser.conftest import SCREENSHOTS, save_screenshot, serve_app

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Smoke</title><link rel="icon" href="data:,"></head>
<body>
  <p id="status">waiting</p>
  <button id="go" type="button">Go</button>
  <script>
    document.getElementById("go").addEventListener("click", async () => {
      const answer = await fetch("/api/answer").then((r) => r.json());
      document.getElementById("status").textContent = "clicked: " + answer.value;
    });
  </script>
</body>
</html>
"""


def smoke_app() -> Starlette:
    from starlette.responses import JSONResponse

    async def index(_: object) -> HTMLResponse:
        return HTMLResponse(PAGE)

    async def answer(_: object) -> JSONResponse:
        return JSONResponse({"value": 42})

    return Starlette(routes=[Route("/", index), Route("/api/answer", answer)])


async def test_click_changes_text(page, monkeypatch, tmp_path) -> None:
    async with serve_app(smoke_app()) as url:
        await page.goto(url)
        assert await page.text_content("#status") == "waiting"
        await page.click("#go")
        await page.wait_for_function("document.getElementById('status').textContent !== 'waiting'")
        assert await page.text_content("#status") == "clicked: 42"
        assert page.viewport_size == {"width": 1280, "height": 800}

        # screenshots: pytest's temporary directory on a normal run, the docs
        # folder (here a stand-in for it) with BATON_UPDATE_SCREENSHOTS=1
        monkeypatch.delenv("BATON_UPDATE_SCREENSHOTS", raising=False)
        shot = await save_screenshot(page, "smoke")
        assert SCREENSHOTS not in shot.parents
        assert shot.read_bytes().startswith(b"\x89PNG")
        monkeypatch.setenv("BATON_UPDATE_SCREENSHOTS", "1")
        monkeypatch.setattr(browser_conftest, "SCREENSHOTS", tmp_path / "docs-images")
        assert await save_screenshot(page, "smoke") == tmp_path / "docs-images" / "smoke.png"
        assert (tmp_path / "docs-images" / "smoke.png").read_bytes().startswith(b"\x89PNG")
    assert page.console_errors == []


@pytest.mark.allow_console_errors
async def test_console_and_page_errors_are_collected(page) -> None:
    await page.set_content(
        "<script>console.error('boom')</script><script>throw new Error('kaput')</script>"
    )
    await page.evaluate("0")  # a round trip: the page's events before it have arrived
    assert any("console.error: boom" in error for error in page.console_errors)
    assert any("page error" in error and "kaput" in error for error in page.console_errors)


INNER_TESTS = """
import pytest


async def test_logs_console_error(page):
    await page.set_content("<script>console.error('unexpected')</script>")


async def test_throws(page):
    await page.set_content("<script>throw new Error('uncaught')</script>")


@pytest.mark.allow_console_errors
async def test_allowed(page):
    await page.set_content("<script>console.error('expected')</script>")


async def test_clean(page):
    await page.set_content("<p>fine</p>")
"""


def test_console_errors_fail_unmarked_tests(
    pytester: pytest.Pytester, chromium_executable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a pytest of its own: a page error fails its test at teardown unless
    the test is marked allow_console_errors."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")]))
    )
    pytester.makeini(
        textwrap.dedent(
            """
            [pytest]
            asyncio_mode = auto
            asyncio_default_fixture_loop_scope = session
            asyncio_default_test_loop_scope = session
            markers =
                browser: browser tests
                allow_console_errors: may log errors
            """
        )
    )
    pytester.makepyfile(test_inner=INNER_TESTS)
    result = pytester.runpytest_subprocess("-p", "tests.browser.conftest", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_logs_console_error*",
            "*console.error: unexpected*",
            "*ERROR at teardown of test_throws*",
            "*page error*uncaught*",
        ]
    )
