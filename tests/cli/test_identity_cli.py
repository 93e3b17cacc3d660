"""`baton identity` and signed CLI decisions, run as a user runs them:
init the key, issue and log in with a credential, approve as yourself,
be refused as someone else, revoke."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import yaml

from baton.config import load_baton_file
from baton.testing import until
from tests.support.cli import baton_cli

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_issue_login_approve_refuse_revoke(server_env, worker_factory, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "baton.yaml").write_text(yaml.safe_dump({"identities": ["alice", "bob"]}))
    home = tmp_path / "home"
    baton_file = load_baton_file(work / "baton.yaml")
    assert baton_file.identity.mode == "signed"  # the default once identities are listed

    async def cli(*args: str) -> tuple[int, str, str]:
        return await baton_cli(replace(settings, home=home), *args, cwd=work)

    settings = server_env.settings
    code, out, err = await cli("identity", "issue", "alice")
    assert code == 2 and "no identity key: run `baton identity init`" in err
    code, out, _ = await cli("identity", "init")
    assert code == 0 and "created" in out
    assert oct((home / "identity.key").stat().st_mode & 0o777) == "0o600"
    code, out, err = await cli("identity", "issue", "mallory")
    assert code == 2 and "mallory is not listed under 'identities:'" in err
    code, token, err = await cli("identity", "issue", "alice", "--ttl-days", "1")
    assert code == 0 and token.startswith("baton-cred.") and "expires" in err
    code, out, _ = await cli("identity", "login", token.strip())
    assert code == 0 and "signed in as alice" in out
    code, out, _ = await cli("identity", "whoami")
    assert "identity mode here: signed" in out and "alice: credential c-" in out

    async with worker_factory(baton_file, home=home) as env:
        settings = env.settings
        definition = {
            "kind": "approval",
            "approval_id": "signed-cli-1",
            "stage": "release",
            "stages": [{"name": "review", "approvers": ["alice", "bob"], "quorum": "all"}],
        }
        (work / "approval.yaml").write_text(yaml.safe_dump(definition))
        code, _, err = await cli("run", "approval.yaml", "--no-wait")
        assert code == 0, err

        code, _, err = await cli("approve", "signed-cli-1", "--as", "bob")
        assert code == 1 and "belongs to alice, who cannot decide as bob" in err
        code, out, err = await cli("approve", "signed-cli-1", "--feedback", "ok")
        assert code == 0, err

        code, out, _ = await cli("identity", "list", "--json")
        (row,) = json.loads(out)
        assert (row["sub"], row["state"]) == ("alice", "active")
        code, out, _ = await cli("identity", "revoke", row["jti"])
        assert code == 0 and f"revoked credential {row['jti']}" in out
        code, out, _ = await cli("identity", "list", "--json")
        assert json.loads(out)[0]["state"] == "revoked"

        async def refusals() -> str | None:
            _, out, _ = await cli("history", "signed-cli-1")
            return out if "belongs to alice" in out else None

        out = await until(refusals)
        assert "decision REFUSED by bob" in out
        status = await env.client.status("signed-cli-1")
        vote = status["stages"][0]["votes"][0]
        assert (vote["approver"], vote["via"], vote["feedback"]) == ("alice", "cli", "ok")
        await env.client.cancel("signed-cli-1")
