"""The dashboard in a real browser (Debian's Chromium driven by Playwright)
against a real Temporal dev server and worker: what docs/dashboard.md
promises, seen on the page. Screenshots of the main pages are saved (into
docs/images/dashboard with BATON_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from playwright.async_api import Page, expect

from tests.browser.conftest import save_screenshot, serve_app
from tests.support.dashboard import dashboard_app
from tests.support.sagas import api, saga, step, two_step_saga

TIMEOUT = 30_000
GREET = """\
document: {dsl: "1.0.0", namespace: test, name: greet, version: "1.0.0"}
do:
  - hello:
      set:
        greeting: ${ "hello " + .name }
"""  # ms: a step's live status reaches the page within a second or two


@contextlib.asynccontextmanager
async def served(page: Page, env: Any, **options: Any) -> AsyncIterator[str]:
    """The dashboard for ``env``; the page is left (about:blank) before the
    server stops, so its live updates do not reconnect to nothing."""
    async with serve_app(dashboard_app(env, **options)) as url:
        try:
            yield url
        finally:
            await page.goto("about:blank")


def node(page: Page, node_id: str) -> Any:
    return page.locator(f"svg [data-node-id='{node_id}']").first


async def confirm(page: Page) -> None:
    await page.locator("dialog[open] button[type=submit]").click()


async def test_the_runs_list_shows_a_finished_and_a_running_saga(baton, services, page):
    await baton.run_saga(two_step_saga(services.url, "b-list"), workflow_id="b-list-done")
    services.state.delays["/accounts"] = 30
    running = await baton.client.start_saga(
        two_step_saga(services.url, "b-list"), workflow_id="b-list-running"
    )
    async with served(page, baton) as url:
        await page.goto(f"{url}/#/runs?q=b-list-")
        done_row = page.locator("tr", has=page.locator("a", has_text="b-list-done"))
        running_row = page.locator("tr", has=page.locator("a", has_text="b-list-running"))
        await expect(done_row).to_contain_text("COMPLETED", ignore_case=True, timeout=TIMEOUT)
        await expect(running_row).to_contain_text("RUNNING", ignore_case=True, timeout=TIMEOUT)
        await save_screenshot(page, "runs")
        await page.set_viewport_size({"width": 390, "height": 844})
        await save_screenshot(page, "runs-phone")
    await running.cancel()


async def test_a_running_nodes_status_turns_completed_without_a_reload(baton, services, page):
    services.state.delays["/accounts"] = 3
    run = await baton.client.start_saga(two_step_saga(services.url, "b-live"))
    async with served(page, baton) as url:
        await page.goto(f"{url}/#/runs/{run.workflow_id}")
        account = node(page, "create_account")
        await expect(account).to_have_attribute("data-status", "running", timeout=TIMEOUT)
        await expect(node(page, "create_user")).to_have_attribute("data-status", "completed")
        marker = await page.evaluate("() => (window.__loaded = 'same page')")
        await expect(account).to_have_attribute("data-status", "completed", timeout=TIMEOUT)
        assert await page.evaluate("() => window.__loaded") == marker  # no reload happened
        await account.click()
        await expect(page.get_by_text("Attempts").first).to_be_visible()
        inputs = page.locator("[data-inputs-of='create_account']")
        await inputs.locator("summary").click()
        await expect(inputs).to_contain_text(f"{services.url}/accounts", timeout=TIMEOUT)
        await expect(page.get_by_text("run_finished")).to_be_visible(timeout=TIMEOUT)
        await save_screenshot(page, "run", full_page=True)


async def test_a_compensated_run_shows_its_compensation_order(baton, services, page):
    services.state.failures["/accounts"] = 100
    definition = saga(
        step("first", api(f"{services.url}/users"), api(f"{services.url}/hooks/undo-first")),
        step(
            "second",
            api(f"{services.url}/users"),
            api(f"{services.url}/hooks/undo-second"),
            dependencies=["first"],
        ),
        step("third", api(f"{services.url}/accounts"), dependencies=["second"]),
        saga_id="b-compensated",
    )
    result = await baton.run_saga(definition)
    assert result["status"] == "COMPENSATED"
    async with served(page, baton) as url:
        await page.goto(f"{url}/#/runs/{result['workflow_id']}")
        order = page.locator("#compensation-order li")
        await expect(order).to_have_count(2, timeout=TIMEOUT)
        await expect(order.nth(0)).to_contain_text("second")
        await expect(order.nth(1)).to_contain_text("first")
        await expect(node(page, "first")).to_have_attribute("data-status", "compensated")
        await expect(node(page, "third")).to_have_attribute("data-status", "failed")


async def test_a_pipelines_child_runs_are_listed_with_links(baton, page, tmp_path):
    import yaml

    (tmp_path / "child.yaml").write_text(
        yaml.safe_dump(saga(step("work", {"type": "script", "script": "true"}), saga_id="child"))
    )
    parent = tmp_path / "parent.yaml"
    parent.write_text(
        yaml.safe_dump(
            saga(
                step("one", {"type": "run", "definition": "child.yaml"}),
                step("two", {"type": "run", "definition": "child.yaml"}),
                saga_id="parent",
            )
        )
    )
    result = await asyncio.wait_for((await baton.client.start_file(parent)).result(), 120)
    assert result["status"] == "COMPLETED"
    wf = result["workflow_id"]
    async with served(page, baton) as url:
        await page.goto(f"{url}/#/runs/{wf}")
        rows = page.locator("#child-runs tbody tr")
        await expect(rows).to_have_count(2, timeout=TIMEOUT)
        await expect(rows.nth(0)).to_have_attribute("data-run-id", f"{wf}.one")
        await expect(rows.nth(1)).to_contain_text("COMPLETED")
        await rows.nth(0).locator("a.run-link").click()
        await expect(page.locator("[data-step-id='work']").first).to_be_visible(timeout=TIMEOUT)


async def test_cancel_from_the_page_compensates(baton, services, page):
    services.state.delays["/accounts"] = 30
    run = await baton.client.start_saga(two_step_saga(services.url, "b-cancel"))
    async with served(page, baton) as url:
        await page.goto(f"{url}/#/runs/{run.workflow_id}")
        await expect(node(page, "create_account")).to_have_attribute(
            "data-status", "running", timeout=TIMEOUT
        )
        await page.get_by_role("button", name="Cancel run").click()
        await confirm(page)
        await expect(page.locator("#compensation-order li")).to_contain_text(
            "create_user", timeout=TIMEOUT
        )
        await expect(node(page, "create_user")).to_have_attribute("data-status", "compensated")
    final = await asyncio.wait_for(run.result(), 60)
    assert [c["step_id"] for c in final["compensations"]] == ["create_user"]


async def sign_in(page: Page, url: str, name: str) -> None:
    await page.goto(f"{url}/#/signin")
    await page.locator("#name").fill(name)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_text(name).first).to_be_visible(timeout=TIMEOUT)
    # the page goes back to where it was before; wait for that to settle
    await page.wait_for_function("() => !location.hash.startsWith('#/signin')", timeout=TIMEOUT)


async def test_an_approval_decided_in_the_inbox_lets_the_saga_go_on_and_a_wrong_one_is_refused(
    baton, services, page
):
    definition = saga(
        step("create_user", api(f"{services.url}/users")),
        step(
            "approve",
            {"type": "approval", "description": "Create the account?", "approvers": ["alice"]},
            dependencies=["create_user"],
        ),
        step("create_account", api(f"{services.url}/accounts"), dependencies=["approve"]),
        saga_id="b-gate",
    )
    run = await baton.client.start_saga(definition)
    approval_id = f"{run.workflow_id}.approve"
    async with served(page, baton) as url:
        await sign_in(page, url, "mallory")
        await page.goto(f"{url}/#/inbox/{approval_id}")
        await page.get_by_role("button", name="Approve").click()
        await confirm(page)
        await expect(page.locator(".outcome.refused")).to_contain_text(
            "mallory may not decide", timeout=TIMEOUT
        )

        await sign_in(page, url, "alice")
        await page.goto(f"{url}/#/inbox")
        await page.locator(f"a[href='#/inbox/{approval_id}']").click(timeout=TIMEOUT)
        await expect(page.locator("#feedback")).to_be_visible(timeout=TIMEOUT)
        await expect(page.get_by_text("Create the account?").first).to_be_visible()
        await save_screenshot(page, "approval", full_page=True)
        await page.locator("#feedback").fill("go ahead")
        await page.get_by_role("button", name="Approve").click()
        await confirm(page)
        await expect(page.locator(".outcome.accepted")).to_be_visible(timeout=TIMEOUT)
        result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED"
    approval = await baton.client.result(approval_id)
    vote = approval["stages"][0]["votes"][0]
    assert (vote["approver"], vote["feedback"], vote["via"]) == ("alice", "go ahead", None)


async def test_operations_render_and_a_definition_starts_from_the_page(
    baton, services, page, tmp_path
):
    await baton.run_saga(two_step_saga(services.url, "b-ops"))
    (tmp_path / "greet.yaml").write_text(GREET)
    async with served(page, baton, definitions=tmp_path) as url:
        await page.goto(f"{url}/#/operations")
        await expect(page.get_by_text("Workers polling")).to_be_visible(timeout=TIMEOUT)
        await expect(page.locator("svg").first).to_be_visible(timeout=TIMEOUT)
        await save_screenshot(page, "operations")
        await page.goto(f"{url}/#/start")
        await expect(page.get_by_role("button", name="Check")).to_be_visible()
        await page.locator("#definition").select_option("greet.yaml", timeout=TIMEOUT)
        await page.locator("#run-input").fill('{"name": "ada"}')
        await page.locator("#run-id").fill("b-started-from-the-page")
        await page.get_by_role("button", name="Check").click()
        await expect(page.get_by_role("button", name="Start")).to_be_enabled(timeout=TIMEOUT)
        await save_screenshot(page, "start")
        await page.get_by_role("button", name="Start").click()
        await confirm(page)
        await page.wait_for_url("**/#/runs/b-started-from-the-page", timeout=TIMEOUT)
    result = await baton.client.wait("b-started-from-the-page")
    assert result["status"] == "COMPLETED" and result["output"] == {"greeting": "hello ada"}


async def test_a_bpmn_run_shows_its_model_as_drawn_with_the_status_overlay(baton, page):
    from pathlib import Path

    model = Path(__file__).resolve().parents[2] / "examples" / "bpmn" / "order_routing.bpmn"
    run = await baton.client.start_file(model, input={"amount": 150})
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED"
    taken = {s["step_id"] for s in result["steps"] if s["status"] == "COMPLETED"}
    skipped = {s["step_id"] for s in result["steps"] if s["status"] == "SKIPPED"}
    assert taken and skipped
    async with served(page, baton) as url:
        await page.goto(f"{url}/#/runs/{run.workflow_id}")
        # drawn by bpmn-js from the model's own diagram, not the plan's graph
        await expect(page.locator(".djs-container svg").first).to_be_visible(timeout=TIMEOUT)
        for step_id in taken:
            overlay = page.locator(f".djs-overlays [data-node-id='{step_id}']")
            await expect(overlay).to_have_attribute("data-status", "completed")
        for step_id in skipped:
            overlay = page.locator(f".djs-overlays [data-node-id='{step_id}']")
            await expect(overlay).to_have_attribute("data-status", "skipped")
        await save_screenshot(page, "bpmn")


async def test_a_user_tasks_form_filled_in_the_inbox_becomes_process_variables(baton, page):
    from tests.e2e.test_bpmn_tasks import FORM

    run = await baton.client.start(FORM, input={"amount": 80})
    approval_id = f"{run.workflow_id}.review"
    async with served(page, baton) as url:
        await sign_in(page, url, "dana")
        await page.goto(f"{url}/#/inbox/{approval_id}")
        await page.get_by_label("Discount %").fill("5", timeout=TIMEOUT)
        await page.get_by_label("Carrier").select_option("dhl")
        await save_screenshot(page, "form")
        await page.get_by_role("button", name="Approve").click()
        await confirm(page)
        await expect(page.locator(".outcome.accepted")).to_be_visible(timeout=TIMEOUT)
    result = await asyncio.wait_for(run.result(), 60)
    assert result["output"] == {
        "amount": 80,
        "discount": 5,
        "carrier": "dhl",
        "approved": True,
        "approver": "dana",
        "feedback": None,
    }


async def test_a_checkpointed_steps_progress_shows_on_its_run_page(worker_factory, page, tmp_path):
    from baton.config import BatonFile
    from baton.policy import ExecutionPolicy

    counting = {
        "type": "python",
        "function": "tests.support.checkpointed_steps:count",
        "kwargs": {"total": 400, "seconds": 0.05, "journal": str(tmp_path / "journal")},
        "checkpoint": {"store": str(tmp_path / "store"), "every_steps": 10},
    }
    support = BatonFile(policy=ExecutionPolicy(python_modules=("tests.support",)))
    async with worker_factory(support) as env:
        run = await env.client.start_saga(saga(step("count", counting), saga_id="b-progress"))
        async with served(page, env) as url:
            await page.goto(f"{url}/#/runs/{run.workflow_id}")
            row = page.locator("tr[data-step-id='count']")
            await expect(row).to_contain_text("%", timeout=TIMEOUT)
            await node(page, "count").click()
            facts = page.locator(".entry[data-step-id='count']")
            await expect(facts).to_contain_text("of 400)", timeout=TIMEOUT)
            await expect(facts).to_contain_text("checkpoint at step", timeout=TIMEOUT)
        await run.cancel()
        await asyncio.wait_for(run.result(), 60)
