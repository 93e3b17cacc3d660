"""The dashboard's HTTP API against a real Temporal dev server and worker,
served by uvicorn on 127.0.0.1 (docs/dashboard.md)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from baton.config import BatonFile, IdentityConfig, Settings
from baton.identity.issuing import issue_credential
from baton.identity.keys import create_key
from baton.policy import parse_policy
from tests.support.dashboard import Page, dashboard
from tests.support.sagas import api, saga, step, two_step_saga


async def wait_for(check: Any, timeout: float = 30.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.2)


async def test_runs_list_filters_pages_and_shows_a_run_with_its_graph(baton, services):
    done = await baton.client.start_saga(
        two_step_saga(services.url, "dash-list"), workflow_id="dash-list-done"
    )
    await done.result()
    services.state.delays["/accounts"] = 30
    running = await baton.client.start_saga(
        two_step_saga(services.url, "dash-list"), workflow_id="dash-list-running"
    )
    async with dashboard(baton) as url, Page(url) as page:

        async def both() -> Any:
            rows = (await page.get("/api/runs", q="dash-list-")).json()["runs"]
            return rows if len(rows) == 2 else None

        rows = await wait_for(both)
        by_id = {r["workflow_id"]: r for r in rows}
        assert by_id["dash-list-done"]["status"] == "COMPLETED"
        assert by_id["dash-list-running"]["status"] == "RUNNING"
        assert [r["workflow_id"] for r in rows] == ["dash-list-running", "dash-list-done"]

        first = (await page.get("/api/runs", q="dash-list-", page_size=1)).json()
        assert len(first["runs"]) == 1 and first["next_page_token"]
        second = (
            await page.get(
                "/api/runs", q="dash-list-", page_size=1, page_token=first["next_page_token"]
            )
        ).json()
        assert [r["workflow_id"] for r in second["runs"]] == ["dash-list-done"]
        status_only = (await page.get("/api/runs", q="dash-list-", status="RUNNING")).json()
        assert [r["workflow_id"] for r in status_only["runs"]] == ["dash-list-running"]
        kind_only = (await page.get("/api/runs", q="dash-list-", kind="approval")).json()
        assert kind_only["runs"] == []

        view = (await page.get("/api/runs/dash-list-running")).json()
        graph = view["graph"]
        assert [n["id"] for n in graph["nodes"]] == ["create_user", "create_account"]
        assert graph["edges"] == [{"from": "create_user", "to": "create_account", "label": ""}]
        assert graph["nodes"][1]["x"] > graph["nodes"][0]["x"]
        assert view["actions"]["cancel"] is True
        steps = {s["step_id"]: s["status"] for s in view["status"]["steps"]}
        assert steps == {"create_user": "COMPLETED", "create_account": "RUNNING"}

        history = (await page.get("/api/runs/dash-list-done/history")).json()["events"]
        assert history[0]["event"] == "run_started"
        inputs = (await page.get("/api/runs/dash-list-done/inputs", step="create_user")).json()
        assert [(a["phase"], a["attempt"]) for a in inputs["attempts"]] == [("forward", 1)]
        assert inputs["attempts"][0]["action"]["url"] == f"{services.url}/users"

        bad = await page.get("/api/runs", kind="nope")
        missing = await page.get("/api/runs/no-such-run")
        assert bad.status_code == 400 and "kind: one of" in bad.json()["error"]["message"]
        assert missing.status_code == 404
        assert missing.json()["error"]["type"] == "WorkflowNotFoundError"
    await running.cancel()


async def test_a_change_needs_the_pages_token_and_cancel_compensates(baton, services):
    services.state.delays["/accounts"] = 30
    run = await baton.client.start_saga(two_step_saga(services.url, "dash-cancel"))
    async with dashboard(baton) as url, Page(url) as page:
        await wait_for(lambda: _step_status(page, run.workflow_id, "create_account", "RUNNING"))
        forged = await page.http.post(f"/api/runs/{run.workflow_id}/cancel", json={})
        other_site = await page.http.post(
            f"/api/runs/{run.workflow_id}/cancel",
            json={},
            headers={"X-CSRF-Token": page.csrf or "", "Origin": "http://evil.example"},
        )
        assert forged.status_code == 403 and forged.json()["error"]["type"] == "CsrfRefused"
        assert other_site.status_code == 403
        cancelled = await page.post(f"/api/runs/{run.workflow_id}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        final = await asyncio.wait_for(run.result(), 60)
        again = await page.post(f"/api/runs/{run.workflow_id}/cancel")
    assert final["status"] == "CANCELLED"  # after undoing what was done
    assert [(c["step_id"], c["status"]) for c in final["compensations"]] == [
        ("create_user", "COMPENSATED")
    ]
    assert again.status_code == 409 and "not running" in again.json()["error"]["message"]


async def _step_status(page: Page, workflow_id: str, step_id: str, wanted: str) -> bool:
    answer = await page.get(f"/api/runs/{workflow_id}")
    if answer.status_code != 200:
        return False
    steps = {s["step_id"]: s["status"] for s in answer.json()["status"]["steps"]}
    return steps.get(step_id) == wanted


async def test_live_updates_stream_a_runs_changes(baton, services):
    services.state.delays["/accounts"] = 1.5
    run = await baton.client.start_saga(two_step_saga(services.url, "dash-live"))
    seen: list[str] = []
    async with dashboard(baton) as url, Page(url) as page:
        async with page.http.stream(
            "GET", "/api/live", params={"run": run.workflow_id}, timeout=60
        ) as stream:
            event = None
            async for line in stream.aiter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "run":
                    seen.append(json.loads(line[6:])["status"]["status"])
                    if seen[-1] == "COMPLETED":
                        break
    assert seen[0] == "RUNNING" and seen[-1] == "COMPLETED"


async def test_trusted_mode_decides_in_the_name_given_and_refuses_the_wrong_one(baton):
    run = await baton.client.request_human_approval(
        None, "review", "Ship it?", {"version": "1.2"}, approvers=["alice"]
    )
    async with dashboard(baton) as url, Page(url) as page:
        anonymous = await page.post(
            f"/api/approvals/{run.workflow_id}/decide", {"decision": "approve"}
        )
        assert anonymous.status_code == 401
        assert (await page.sign_in(name="mallory")).status_code == 200
        inbox = await page.get("/api/approvals", scope="mine", pending="1")
        assert inbox.json()["approvals"] == []
        wrong = await page.post(f"/api/approvals/{run.workflow_id}/decide", {"decision": "approve"})
        assert wrong.json()["accepted"] is False
        assert "mallory may not decide" in wrong.json()["reason"]
        assert (await page.sign_in(name="alice")).status_code == 200

        async def listed() -> Any:
            rows = (await page.get("/api/approvals", scope="mine", pending="1")).json()
            return [r for r in rows["approvals"] if r["approval_id"] == run.workflow_id]

        assert await wait_for(listed)
        detail = (await page.get(f"/api/approvals/{run.workflow_id}")).json()
        assert detail["status"]["context"]["version"] == "1.2"
        right = await page.post(
            f"/api/approvals/{run.workflow_id}/decide", {"decision": "approve", "feedback": "ok"}
        )
    assert right.json() == {"accepted": True, "reason": None, "status": "APPROVED"}
    vote = (await run.result())["stages"][0]["votes"][0]
    assert (vote["approver"], vote["feedback"]) == ("alice", "ok")


async def test_signed_mode_needs_a_genuine_credential_and_decides_with_it(worker_factory, tmp_path):
    create_key(Settings.from_env({"BATON_HOME": str(tmp_path)}), IdentityConfig())
    identity = IdentityConfig(mode="signed", identities={"alice": {}, "bob": {}})
    baton_file = BatonFile(identity=identity)
    async with worker_factory(baton_file, home=tmp_path) as env:
        alice = issue_credential(env.settings, baton_file, "alice").token()
        bob = issue_credential(env.settings, baton_file, "bob").token()
        run = await env.client.request_human_approval(
            None, "review", "Ship it?", approvers=["alice"]
        )
        async with dashboard(env) as url, Page(url) as page:
            session = await page.session()
            assert session["mode"] == "signed" and session["sign_in_required"] is True
            assert (await page.get("/api/runs")).status_code == 401
            forged = alice.rsplit(".", 1)[0] + ".AAAA"
            refused = await page.sign_in(credential=forged)
            assert refused.status_code == 401
            assert "does not verify" in refused.json()["error"]["message"]
            assert (await page.sign_in(credential=bob)).json()["principal"] == "bob"
            as_bob = await page.post(
                f"/api/approvals/{run.workflow_id}/decide", {"decision": "approve"}
            )
            assert as_bob.json()["accepted"] is False
            signed_in = await page.sign_in(credential=alice)
            assert signed_in.json()["principal"] == "alice"
            assert "baton-cred" not in signed_in.text  # the credential never goes back
            as_alice = await page.post(
                f"/api/approvals/{run.workflow_id}/decide", {"decision": "approve"}
            )
        result = await run.result()
    assert as_alice.json()["accepted"] is True, as_alice.json()
    vote = result["stages"][0]["votes"][0]
    assert (vote["approver"], vote["via"]) == ("alice", "dashboard") and vote["credential"]


async def test_start_checks_a_definition_and_its_input_before_it_starts(
    worker_factory, services, tmp_path
):
    folder = tmp_path / "defs"
    folder.mkdir()
    (folder / "onboard.json").write_text(json.dumps(two_step_saga(services.url, "dash-start")))
    (folder / "broken.yaml").write_text("saga_id: x\nsteps: 3\n")
    (folder / "elsewhere.json").write_text(json.dumps(two_step_saga("http://10.1.2.3", "other")))
    # the stand-in services are on loopback, which the dashboard's entry point
    # may call only when the worker's policy says so
    policy = {"entry_points": {"dashboard": {"networks": ["public", "loopback"]}}}
    baton_file = BatonFile(policy=parse_policy(policy, "policy"))
    async with (
        worker_factory(baton_file) as baton,
        dashboard(baton, definitions=folder) as url,
        Page(url) as page,
    ):
        listed = (await page.get("/api/definitions")).json()["definitions"]
        assert {d["path"]: d["kind"] for d in listed} == {
            "broken.yaml": "saga",
            "elsewhere.json": "saga",
            "onboard.json": "saga",
        }
        good = (await page.post("/api/definitions/check", {"path": "onboard.json"})).json()
        bad = (await page.post("/api/definitions/check", {"path": "broken.yaml"})).json()
        outside = await page.post("/api/definitions/check", {"path": "../defs/../x.yaml"})
        outside_start = await page.post("/api/runs", {"path": "../x.yaml"})
        upload = (
            await page.post(
                "/api/definitions/check", {"document": "kind: saga\n: :", "filename": "up.yaml"}
            )
        ).json()
        private = (await page.post("/api/definitions/check", {"path": "elsewhere.json"})).json()
        started = await page.post("/api/runs", {"path": "onboard.json", "workflow_id": "dash-42"})
        assert good["ok"] is True and good["kind"] == "saga", good
        assert bad["ok"] is False and any("steps" in p for p in bad["problems"])
        assert outside.json()["ok"] is False and "outside" in outside.json()["problems"][0]
        assert outside_start.status_code == 400
        assert "outside the definitions folder" in outside_start.json()["error"]["message"]
        assert upload["ok"] is False and upload["problems"]
        assert private["ok"] is False and "10.1.2.3" in private["problems"][0]
        assert started.status_code == 200, started.text
        workflow_id = started.json()["workflow_id"]
        assert workflow_id == "dash-42"
        final = await baton.client.wait(workflow_id)
    assert final["status"] == "COMPLETED"


async def test_operations_and_analytics_answer(baton, services):
    await baton.run_saga(two_step_saga(services.url, "dash-ops"))
    async with dashboard(baton) as url, Page(url) as page:
        ops = await page.get("/api/operations")
        analytics = await page.get("/api/analytics", name="dash-ops", since_hours="1")
    assert ops.status_code == 200, ops.text
    assert "summary" in ops.json()["health"] and "recoveries" in ops.json()
    assert analytics.status_code == 200, analytics.text
    assert "dash-ops" in analytics.json()["definitions"]


async def test_the_server_down_is_said_not_a_traceback(server_env):
    from dataclasses import replace
    from types import SimpleNamespace

    from baton.runtime import TemporalWorkflowClient
    from baton.testing import free_port

    settings = replace(server_env.settings, temporal_address=f"127.0.0.1:{free_port()}")
    env = SimpleNamespace(
        settings=settings, client=TemporalWorkflowClient(settings, baton_file=BatonFile())
    )
    async with dashboard(env, connected=False) as url, Page(url) as page:
        answer = await page.get("/api/runs")
    assert answer.status_code == 502
    assert answer.json()["error"]["type"] == "ServerUnavailable"
    assert settings.address in answer.json()["error"]["message"]


@pytest.mark.parametrize("listen", ["0.0.0.0:8799"])
def test_trusted_mode_will_not_serve_beyond_loopback(listen):
    from baton.errors import ConfigError
    from baton.web.dashboard import dashboard_listen, open_dashboard

    settings = Settings.from_env({"BATON_DASHBOARD_LISTEN": listen})
    where = dashboard_listen(settings, BatonFile())
    assert where is not None
    with pytest.raises(ConfigError, match="only in signed identity mode"):
        open_dashboard(where, BatonFile())


async def test_a_page_elsewhere_gets_nothing_and_bad_requests_are_said(baton, services):
    secret_call = {
        **api(f"{services.url}/users"),
        "headers": {"Authorization": "Bearer s3cr3t-token"},
    }
    definition = saga(step("create_user", secret_call), saga_id="dash-secret")
    done = await baton.run_saga(definition)
    async with dashboard(baton) as url, Page(url) as page:
        # DNS rebinding: a page at evil.example pointing its name at 127.0.0.1
        rebound = await page.http.get("/api/session", headers={"Host": "evil.example:80"})
        start = await page.post("/api/runs", {"document": "saga_id: x\n", "filename": "x.yaml"})
        inputs = await page.get(f"/api/runs/{done['workflow_id']}/inputs", step="create_user")
        odd_hours = await page.get("/api/analytics", since_hours="nan")
        odd_date = await page.get("/api/runs", since="0001-01-01T00:00:00+14:00")
        odd_token = await page.get("/api/runs", page_token="AAAA")
    assert rebound.status_code == 421 and "set-cookie" not in rebound.headers
    assert start.status_code == 400 and start.json()["error"]["problems"]
    action = inputs.json()["attempts"][0]["action"]
    assert action["headers"] == {"Authorization": "***"} and "s3cr3t" not in inputs.text
    for answer in (odd_hours, odd_date, odd_token):
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["type"] == "BadRequest"
