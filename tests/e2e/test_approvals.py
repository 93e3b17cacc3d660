"""Human approvals on a real Temporal dev server: decision rules, delegation,
the inbox, notifications (real local SMTP and HTTP servers), signed callbacks,
approval gates inside sagas."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from baton import DefinitionError, submit_approval_decision
from baton.callbacks import CallbackVerificationError, DuplicateDelivery, verify_callback
from baton.config import BatonFile
from baton.plan.approval import compile_approval
from baton.testing import assert_eventually, until
from tests.support.sagas import api, saga, step
from tests.support.smtp import smtp_sink

pytestmark = pytest.mark.asyncio(loop_scope="session")


def one_stage(approvers: list[str], **stage: Any) -> dict[str, Any]:
    return {
        "stage": "release v2",
        "description": "Ship v2",
        "stages": [{"name": "review", "approvers": approvers, **stage}],
    }


async def request(baton, definition: dict[str, Any], baton_file: BatonFile | None = None):
    return await baton.client.request_approval(compile_approval(definition, baton_file=baton_file))


async def test_any_quorum_approves_with_one_vote(baton):
    run = await request(baton, one_stage(["alice", "bob"]))
    assert await submit_approval_decision(
        run.approval_id, "bob", "approve", "looks good", client=baton.client
    )
    result = await asyncio.wait_for(run.result(), 30)
    assert result["status"] == "APPROVED"
    vote = result["stages"][0]["votes"][0]
    assert (vote["approver"], vote["decision"], vote["feedback"]) == (
        "bob",
        "approve",
        "looks good",
    )
    assert vote["at"]


async def test_one_rejection_rejects(baton):
    run = await request(baton, one_stage(["alice", "bob"], quorum="all"))
    outcome = await baton.client.submit_decision(run.approval_id, "alice", "reject", "not yet")
    assert outcome["accepted"] and outcome["status"] == "REJECTED"
    result = await run.result()
    assert result["status"] == "REJECTED"
    assert "rejected by alice" in result["reason"]


async def test_n_of_m_quorum_and_reject_threshold(baton):
    run = await request(baton, one_stage(["a", "b", "c", "d"], quorum=2, reject_threshold=2))
    assert (await baton.client.submit_decision(run.approval_id, "a", "reject"))[
        "status"
    ] == "PENDING"
    assert (await baton.client.submit_decision(run.approval_id, "b", "approve"))[
        "status"
    ] == "PENDING"
    assert (await baton.client.submit_decision(run.approval_id, "c", "approve"))[
        "status"
    ] == "APPROVED"
    result = await run.result()
    assert result["stages"][0]["approvals"] == 2 and result["stages"][0]["rejections"] == 1


async def test_quorum_that_can_no_longer_be_reached_rejects(baton):
    run = await request(baton, one_stage(["a", "b", "c"], quorum=3, reject_threshold=2))
    await baton.client.submit_decision(run.approval_id, "a", "reject")
    result = await run.result()
    assert result["status"] == "REJECTED"
    assert "can no longer be reached" in result["reason"]


async def test_only_listed_approvers_decide_and_refusals_are_audited(baton):
    run = await request(baton, one_stage(["alice", "bob"], quorum="all"))
    refused = await baton.client.submit_decision(run.approval_id, "mallory", "approve")
    assert refused == {
        "accepted": False,
        "reason": "mallory may not decide stage 'review'; may decide: alice, bob",
        "status": "PENDING",
    }
    assert (await baton.client.submit_decision(run.approval_id, "alice", "approve"))["accepted"]
    again = await baton.client.submit_decision(run.approval_id, "alice", "approve")
    assert not again["accepted"] and "a vote counts once" in again["reason"]
    bad = await baton.client.submit_decision(run.approval_id, "bob", "maybe")
    assert not bad["accepted"] and "'approve' or 'reject'" in bad["reason"]
    assert (await baton.client.submit_decision(run.approval_id, "bob", "approve"))[
        "status"
    ] == "APPROVED"
    result = await run.result()
    assert result["stages"][0]["approvals"] == 2  # alice's repeat counted once
    late = await baton.client.submit_decision(run.approval_id, "bob", "reject")
    assert late == {
        "accepted": False,
        "reason": f"approval {run.approval_id!r} already ended: APPROVED",
        "status": "APPROVED",
    }

    async def refusals() -> list[dict[str, Any]] | None:
        audit = await baton.client.history(run.approval_id)
        found = [e for e in audit if e["event"] == "decision_refused"]
        return found if len(found) == 4 else None

    # every refusal is in the audit trail, the one after the end included
    refused = await until(refusals)
    assert [e["actor"] for e in refused] == ["mallory", "alice", "bob", "bob"]
    assert "already ended: APPROVED" in refused[-1]["detail"]
    assert "recorded by the client" in refused[-1]["detail"]
    assert not any(e["event"] == "decision_refused" for e in result["audit"])  # not in its history


async def test_delegation_moves_the_vote(baton):
    run = await request(baton, one_stage(["alice", "bob"], quorum="all"))
    assert (await baton.client.delegate_approval(run.approval_id, "bob", "carol", "on leave"))[
        "accepted"
    ]
    own = await baton.client.submit_decision(run.approval_id, "bob", "approve")
    assert not own["accepted"] and "delegated their vote" in own["reason"]
    # a delegate may hand the vote on again
    assert (await baton.client.delegate_approval(run.approval_id, "carol", "dave"))["accepted"]
    assert not (await baton.client.submit_decision(run.approval_id, "carol", "approve"))["accepted"]
    await baton.client.submit_decision(run.approval_id, "alice", "approve")
    assert (await baton.client.submit_decision(run.approval_id, "dave", "approve"))[
        "status"
    ] == "APPROVED"
    result = await run.result()
    votes = {v["approver"]: v for v in result["stages"][0]["votes"]}
    assert votes["bob"]["cast_by"] == "dave"
    assert result["stages"][0]["delegations"] == {"bob": "dave"}
    assert [e["actor"] for e in result["audit"] if e["event"] == "delegated"] == ["bob", "carol"]


async def test_stages_run_in_order(baton):
    definition = {
        "stage": "prod change",
        "stages": [
            {"name": "team", "approvers": ["dev1", "dev2"]},
            {"name": "cab", "approvers": ["cab1"]},
        ],
    }
    run = await request(baton, definition)
    early = await baton.client.submit_decision(run.approval_id, "cab1", "approve")
    assert not early["accepted"] and "stage 'team'" in early["reason"]
    await baton.client.submit_decision(run.approval_id, "dev2", "approve")

    async def in_second_stage() -> Any:
        status = await baton.client.status(run.approval_id)
        return status if status["current_stage"] == "cab" else None

    status = await until(in_second_stage)
    assert status["progress"] == {"completed": 1, "total": 2}
    await baton.client.submit_decision(run.approval_id, "cab1", "approve")
    result = await run.result()
    assert result["status"] == "APPROVED"
    assert [s["status"] for s in result["stages"]] == ["APPROVED", "APPROVED"]


async def test_inbox_lists_by_user_and_groups_expand(baton):
    groups = BatonFile(groups={"dba": ["dana", "dmitri"]})
    first = await request(baton, one_stage(["group:dba", "erin"]), groups)
    second = await request(baton, one_stage(["erin"]))

    async def ids(**kwargs: Any) -> set[str]:
        return {row["approval_id"] for row in await baton.client.list_approvals(**kwargs)}

    await until(lambda: _contains(ids(pending=True, as_user="dmitri"), first.approval_id))
    assert second.approval_id not in await ids(pending=True, as_user="dmitri")
    assert {first.approval_id, second.approval_id} <= await ids(pending=True, as_user="erin")
    await baton.client.submit_decision(second.approval_id, "erin", "approve")
    await second.result()
    await until(lambda: _lacks(ids(pending=True, as_user="erin"), second.approval_id))
    assert second.approval_id in await ids()


async def _contains(rows: Any, wanted: str) -> bool:
    return wanted in await rows


async def _lacks(rows: Any, unwanted: str) -> bool:
    return unwanted not in await rows


async def test_request_human_approval_seed_call(worker_factory):
    baton_file = BatonFile(approvers={"production_database_migration": ["dba@company.com"]})
    async with worker_factory(baton_file) as env:
        run = await env.client.request_human_approval(
            workflow_id="db-migration-workflow-789",
            stage="production_database_migration",
            description="Apply database schema changes to production",
            context={"risk_level": "medium", "estimated_downtime": "5 minutes"},
            timeout_seconds=4 * 60 * 60,
        )
        status = await env.client.status(run.approval_id)
        assert status["for_workflow"] == "db-migration-workflow-789"
        assert status["eligible"] == ["dba@company.com"]
        assert status["context"]["risk_level"] == "medium"
        assert await submit_approval_decision(
            request_id=run.approval_id,
            approver_id="dba@company.com",
            decision="approve",
            feedback="Ready for production deployment",
            client=env.client,
        )
        assert (await run.result())["status"] == "APPROVED"
        with pytest.raises(DefinitionError, match="no approvers for stage 'other'"):
            await env.client.request_human_approval(None, "other", "x")


def text_of(message: Any) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return str(part.get_payload(decode=True).decode())
    return ""


async def test_notifications_by_email_and_webhook(worker_factory, services):
    with smtp_sink() as sink:
        channels = {"email://dba@company.com": sink.channel("dba@company.com")}
        hook = services.url.replace("http://", "json://") + "/hooks/approvals"
        baton_file = BatonFile(channels=channels)
        async with worker_factory(baton_file) as env:
            definition = one_stage(["alice"])
            definition["notify"] = ["email://dba@company.com", hook]
            run = await request(env, definition, baton_file)
            await assert_eventually(lambda: len(sink.messages) >= 1)
            assert "Approval requested: release v2" in sink.messages[0]["Subject"]
            body = text_of(sink.messages[0])
            assert "baton approve" in body and run.approval_id in body
            await env.client.submit_decision(run.approval_id, "alice", "approve")
            result = await run.result()
        assert result["status"] == "APPROVED"
        assert [n["event"] for n in result["notifications"]] == ["requested", "decision"]
        assert all(n["sent"] for n in result["notifications"])
        assert "Approval approved" in sink.messages[-1]["Subject"]
        hooks = [c for c in services.state.calls if c.path == "/hooks/approvals"]
        assert len(hooks) == 2 and "approved" in hooks[1].body["title"].lower()
        assert [h.body["type"] for h in hooks] == ["info", "success"]


async def test_callback_is_signed_and_delivered(worker_factory, services):
    async with worker_factory(callback_secret="s3cret") as env:
        definition = one_stage(["alice"])
        definition["callback_url"] = f"{services.url}/hooks/decisions"
        run = await request(env, definition)
        await env.client.submit_decision(run.approval_id, "alice", "reject", "no")
        result = await run.result()
    assert result["callback"]["status"] == "DELIVERED"
    call = next(c for c in services.state.calls if c.path == "/hooks/decisions")
    assert call.body["approval_id"] == run.approval_id and call.body["status"] == "REJECTED"
    assert "audit" not in call.body


async def test_callback_signature_verifies_and_binds_url_and_delivery(worker_factory):
    """A receiver checks the signature with baton.callbacks.verify_callback;
    the signature covers the URL and a unique delivery id, so the same body
    cannot be replayed, moved to another receiver or altered. A standalone
    request's `for_workflow` is reported as the requester's claim, never as
    a parent the workflow vouches for."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: dict[str, Any] = {}

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            seen.update(raw=raw, headers=dict(self.headers.items()))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/cb"
    try:
        async with worker_factory(callback_secret="k3y") as env:
            definition = one_stage(["alice"])
            definition["callback_url"] = url
            definition["workflow_id"] = "prod-deploy-42"  # a claim anyone can write
            run = await request(env, definition)
            await env.client.submit_decision(run.approval_id, "alice", "approve")
            await run.result()
    finally:
        server.shutdown()
    deliveries: set[str] = set()
    payload = verify_callback(
        "k3y", url=url, headers=seen["headers"], body=seen["raw"], seen=deliveries
    )
    assert payload["approval_id"] == run.approval_id and payload["status"] == "APPROVED"
    assert payload["decided"]["parent_workflow_id"] is None
    assert payload["request"]["for_workflow"] == "prod-deploy-42"
    assert payload["decided"]["stages"][0]["votes"][0]["approver"] == "alice"
    assert seen["headers"]["Idempotency-Key"] == seen["headers"]["X-Baton-Delivery"]
    assert seen["headers"]["X-Baton-Delivery"].startswith(f"{run.approval_id}/")
    with pytest.raises(DuplicateDelivery):
        verify_callback("k3y", url=url, headers=seen["headers"], body=seen["raw"], seen=deliveries)
    with pytest.raises(CallbackVerificationError, match="another URL"):
        verify_callback(
            "k3y", url="https://elsewhere/cb", headers=seen["headers"], body=seen["raw"]
        )
    forged = seen["raw"].replace(b'"APPROVED"', b'"REJECTED"')
    with pytest.raises(CallbackVerificationError, match="altered body"):
        verify_callback("k3y", url=url, headers=seen["headers"], body=forged)
    with pytest.raises(CallbackVerificationError, match="old"):
        verify_callback(
            "k3y", url=url, headers=seen["headers"], body=seen["raw"], now=time.time() + 3600
        )


async def test_callback_that_keeps_failing_is_visible(worker_factory, services):
    async with worker_factory(callback_secret="s3cret") as env:
        definition = one_stage(["alice"])
        definition["callback_url"] = f"{services.url}/no-such-receiver"  # 404: not retried
        run = await request(env, definition)
        await env.client.submit_decision(run.approval_id, "alice", "approve")
        result = await run.result()
    assert result["status"] == "APPROVED"  # the decision stands
    assert result["callback"]["status"] == "FAILED" and "404" in result["callback"]["error"]
    assert any(e["event"] == "callback_failed" for e in result["audit"])


async def test_saga_approval_gate_approved_then_continues(baton, services):
    u = services.url
    definition = saga(
        step("create", api(f"{u}/users"), api(f"{u}/users/{{user_id}}", "DELETE")),
        step(
            "gate", {"type": "approval", "approvers": ["lead"], "description": "Deploy {user_id}?"}
        ),
        step("deploy", api(f"{u}/services/app", payload={"version": "v2"})),
    )
    run = await baton.client.start_saga(definition)
    approval_id = f"{run.workflow_id}.gate"
    await assert_eventually(lambda: services.state.count("POST", "/users") == 1)

    async def approved() -> bool:  # the gate's approval starts a moment later
        outcome = await baton.client.submit_decision(approval_id, "lead", "approve", "go")
        return bool(outcome["accepted"])

    await until(approved, timeout=10)
    result = await run.result()
    assert result["status"] == "COMPLETED"
    gate = next(s for s in result["steps"] if s["step_id"] == "gate")
    assert gate["output"]["approval_id"] == approval_id
    assert gate["output"]["votes"][0]["approver"] == "lead"
    approval = await baton.client.status(approval_id)
    assert approval["for_workflow"] == run.workflow_id
    assert approval["description"] == "Deploy u-1?"


async def test_saga_approval_gate_rejected_compensates(baton, services):
    u = services.url
    definition = saga(
        step("create", api(f"{u}/users"), api(f"{u}/users/{{user_id}}", "DELETE")),
        step("gate", {"type": "approval", "approvers": ["lead"]}),
        step("deploy", api(f"{u}/services/app")),
    )
    run = await baton.client.start_saga(definition)
    approval_id = f"{run.workflow_id}.gate"

    async def rejected() -> bool:
        outcome = await baton.client.submit_decision(approval_id, "lead", "reject", "not today")
        return bool(outcome["accepted"])

    await until(rejected, timeout=10)
    result = await run.result()
    assert result["status"] == "COMPENSATED"
    assert "REJECTED" in result["failure"]
    assert services.state.count("DELETE", "/users/u-1") == 1
    assert services.state.count("POST", "/services/app") == 0


async def test_cancelling_a_saga_cancels_its_pending_approval(baton, services):
    definition = saga(step("gate", {"type": "approval", "approvers": ["lead"]}))
    run = await baton.client.start_saga(definition)
    approval_id = f"{run.workflow_id}.gate"
    rows: list[Any] = []

    async def pending() -> bool:
        rows[:] = await baton.client.list_approvals(pending=True, as_user="lead")
        return any(r["approval_id"] == approval_id for r in rows)

    await until(pending, timeout=10)
    await run.cancel()
    result = await run.result()
    assert result["status"] == "CANCELLED"
    assert result["steps"][0]["status"] == "CANCELLED"
    assert (await baton.client.status(approval_id))["status"] == "CANCELLED"


async def test_rejection_is_announced_as_a_warning(worker_factory, services):
    hook = services.url.replace("http://", "json://") + "/hooks/rejections"
    async with worker_factory() as env:
        definition = one_stage(["alice"])
        definition["notify"] = [hook]
        run = await request(env, definition)
        await env.client.submit_decision(run.approval_id, "alice", "reject", "no")
        await run.result()
    hooks = [c for c in services.state.calls if c.path == "/hooks/rejections"]
    assert [h.body["type"] for h in hooks] == ["info", "warning"]
