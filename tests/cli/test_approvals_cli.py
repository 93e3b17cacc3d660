"""The approval commands, run as a user runs them."""

from __future__ import annotations

import asyncio
import json

import pytest
import yaml

from baton.testing import until
from tests.support.cli import baton_cli

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_approval_file_inbox_decide_delegate_status(baton, tmp_path):
    definition = {
        "kind": "approval",
        "approval_id": "cli-approval-1",
        "stage": "production_database_migration",
        "description": "Apply database schema changes to production",
        "context": {"risk_level": "medium"},
        "stages": [{"name": "dba", "approvers": ["alice", "bob"], "quorum": "all"}],
    }
    path = tmp_path / "approval.yaml"
    path.write_text(yaml.safe_dump(definition))
    code, out, err = await baton_cli(baton.settings, "validate", str(path))
    assert code == 0 and "approval 'production_database_migration'" in out, err

    code, out, err = await baton_cli(baton.settings, "run", str(path), "--no-wait")
    assert code == 0, err

    async def listed() -> list:
        code, out, _ = await baton_cli(
            baton.settings, "approvals", "--pending", "--as", "bob", "--json"
        )
        rows = json.loads(out) if code == 0 else []
        return [r for r in rows if r["approval_id"] == "cli-approval-1"]

    rows = await until(listed)
    assert rows[0]["may_decide"] == ["alice", "bob"]

    code, out, err = await baton_cli(baton.settings, "approve", "cli-approval-1", "--as", "mallory")
    assert code == 1 and "mallory may not decide stage 'dba'; may decide: alice, bob" in err

    code, out, _ = await baton_cli(
        baton.settings, "delegate", "cli-approval-1", "--as", "bob", "--to", "carol"
    )
    assert code == 0 and "now rests with carol" in out
    code, out, _ = await baton_cli(
        baton.settings, "approve", "cli-approval-1", "--as", "alice", "--feedback", "ok"
    )
    assert code == 0 and "approve recorded" in out

    code, out, _ = await baton_cli(baton.settings, "status", "cli-approval-1")
    assert code == 0
    assert "stage dba" in out and "alice approve: ok" in out and "bob delegated to carol" in out
    assert "may decide now: carol" in out

    code, out, _ = await baton_cli(
        baton.settings, "reject", "cli-approval-1", "--as", "carol", "--json"
    )
    assert code == 0 and json.loads(out)["status"] == "REJECTED"
    result = await asyncio.wait_for(baton.client.result("cli-approval-1"), 30)
    assert result["status"] == "REJECTED"

    code, out, err = await baton_cli(baton.settings, "approve", "cli-approval-1", "--as", "alice")
    assert code == 1 and "already ended: REJECTED" in err

    async def history() -> str | None:
        code, out, _ = await baton_cli(baton.settings, "history", "cli-approval-1")
        return out if out.count("decision REFUSED") == 2 else None

    out = await until(history)  # refusals land in the refusal log a moment later
    assert "decision REFUSED by mallory" in out and "delegated by bob" in out
    assert "already ended: REJECTED" in out and "recorded by the client" in out
    code, out, _ = await baton_cli(baton.settings, "status", "cli-approval-1")
    assert "progress: 0/1 stages completed" in out


async def test_run_approval_waits_and_exits_by_outcome(baton, tmp_path):
    path = tmp_path / "approval.json"
    path.write_text(
        json.dumps(
            {
                "approval_id": "cli-approval-2",
                "stage": "release",
                "stages": [{"name": "lead", "approvers": ["lee"]}],
            }
        )
    )
    proc = asyncio.create_task(baton_cli(baton.settings, "run", str(path)))

    async def decided() -> bool:
        outcome = await baton.client.submit_decision("cli-approval-2", "lee", "approve")
        return bool(outcome["accepted"])

    await until(decided)
    code, out, err = await proc
    assert code == 0, err
    assert "APPROVED" in out and "approved (attempt" not in out


async def test_validate_warns_of_an_unsigned_callback_and_channel_errors_are_clean(
    server_env, tmp_path
):
    path = tmp_path / "approval.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "kind": "approval",
                "stage": "release",
                "callback_url": "https://hooks.example.com/approvals",
                "stages": [{"name": "review", "approvers": ["alice"]}],
            }
        )
    )
    code, out, err = await baton_cli(server_env.settings, "validate", str(path))
    assert code == 0 and "valid" in out
    assert "warning: callback_url is set but BATON_CALLBACK_SECRET is not" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(
            {
                "kind": "approval",
                "stage": "release",
                "notify": ["slack://approvals"],
                "stages": [{"name": "review", "approvers": ["alice"]}],
            }
        )
    )
    code, out, err = await baton_cli(server_env.settings, "validate", str(bad))
    assert code == 2
    # one clean error: the message and its field, no library log line
    assert err.strip().splitlines() == [
        "invalid definition",
        f"{bad}: notify[0]: channel 'slack://approvals' is not configured: map it to an "
        "Apprise URL under 'channels:' in baton.yaml, or use an Apprise URL (mailto://, "
        "slack://T/B/C, json://...)",
    ]
