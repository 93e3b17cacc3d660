"""Signed identity mode on a real Temporal dev server: decisions carry a
credential the worker verifies; forged, expired, revoked, replayed,
wrong-principal, unscoped and unlisted credentials are each refused and
audited; one-click decision links are single-use, expiring and bound to their
approver, decision and stage."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError

from baton.config import BatonFile, IdentityConfig, Settings
from baton.engine.approval import Decision
from baton.identity.credentials import Credential, DecisionSubject, issue, sign_decision
from baton.identity.issuing import issue_credential, revoke
from baton.identity.keys import create_key, require_key
from baton.plan.approval import compile_approval
from baton.runtime import TemporalWorkflowClient
from baton.testing import until

pytestmark = pytest.mark.asyncio(loop_scope="session")

PEOPLE = {"alice": {}, "bob": {}, "bot": {}}


def subject(approval_id: str, decision: str) -> DecisionSubject:
    return DecisionSubject(approval_id, "decide", "alice", decision)


def signed_file(**identity: Any) -> BatonFile:
    return BatonFile(identity=IdentityConfig(mode="signed", identities=dict(PEOPLE), **identity))


class Signed:
    """A worker in signed mode, its settings, and clients holding credentials."""

    def __init__(self, env: Any, baton_file: BatonFile) -> None:
        self.env = env
        self.settings: Settings = env.settings
        self.baton_file = baton_file

    def credential(self, who: str, **kwargs: Any) -> Credential:
        return issue_credential(self.settings, self.baton_file, who, **kwargs)

    def client(
        self, credential: Credential | None = None, via: str = "api"
    ) -> TemporalWorkflowClient:
        client = TemporalWorkflowClient(
            self.settings,
            credential=credential,
            via=via,
            temporal=self.env.client.temporal,
            baton_file=self.baton_file,
        )
        client._credential_loaded = True  # no credential file lookup beyond what is given
        return client

    async def approval(self, approvers: list[str], quorum: Any = "any") -> str:
        spec = compile_approval(
            {
                "stage": "release",
                "stages": [{"name": "review", "approvers": approvers, "quorum": quorum}],
            }
        )
        return (await self.env.client.request_approval(spec)).approval_id

    async def refusals(self, approval_id: str, count: int) -> list[dict[str, Any]]:
        async def found() -> list[dict[str, Any]] | None:
            audit = await self.env.client.history(approval_id)
            refused = [e for e in audit if e["event"].endswith("_refused")]
            return refused if len(refused) >= count else None

        return await until(found)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    settings = Settings.from_env({"BATON_HOME": str(tmp_path)})
    create_key(settings, IdentityConfig())
    return tmp_path


async def test_a_signed_decision_is_accepted_and_names_its_credential(worker_factory, home):
    baton_file = signed_file()
    async with worker_factory(baton_file, home=home) as env:
        signed = Signed(env, baton_file)
        alice = signed.credential("alice")
        approval_id = await signed.approval(["alice", "bob"])
        outcome = await signed.client(alice).submit_decision(approval_id, None, "approve", "ok")
        assert outcome["accepted"] and outcome["status"] == "APPROVED"
        result = await env.client.result(approval_id)
    vote = result["stages"][0]["votes"][0]
    assert (vote["approver"], vote["credential"], vote["via"]) == ("alice", alice.claims.jti, "api")


def forged(signed: Signed) -> Credential:
    return issue(
        b"another-key-entirely-32-bytes!!!",
        "alice",
        now=int(time.time()),
        ttl_seconds=600,
        scopes=("decide",),
    )


CASES: dict[str, Any] = {
    "unsigned": (lambda s: None, "alice", "signed identity mode"),
    "forged": (forged, "alice", "signature does not verify"),
    "wrong principal": (
        lambda s: s.credential("bob"),
        "alice",
        "belongs to bob, who cannot decide as alice",
    ),
    "expired": (
        lambda s: issue(
            require_key(s.settings, s.baton_file.identity),
            "alice",
            now=int(time.time()) - 7200,
            ttl_seconds=3600,
            scopes=("decide",),
        ),
        "alice",
        "expired",
    ),
    "revoked": (lambda s: _revoked(s), "alice", "was revoked"),
    "no decide scope": (
        lambda s: s.credential("alice", scopes=("mcp",)),
        "alice",
        "lacks the 'decide' scope",
    ),
    "unlisted": (
        lambda s: issue(
            require_key(s.settings, s.baton_file.identity),
            "mallory",
            now=int(time.time()),
            ttl_seconds=600,
            scopes=("decide",),
        ),
        "mallory",
        "not listed under 'identities:'",
    ),
}


def _revoked(signed: Signed) -> Credential:
    credential = signed.credential("alice")
    revoke(signed.settings, signed.baton_file, credential_id=credential.claims.jti)
    return credential


@pytest.mark.parametrize("case", list(CASES))
async def test_bad_credentials_are_refused_and_audited(worker_factory, home, case):
    make, who, message = CASES[case]
    baton_file = signed_file()
    async with worker_factory(baton_file, home=home) as env:
        signed = Signed(env, baton_file)
        approval_id = await signed.approval(["alice", "mallory"])
        outcome = await signed.client(make(signed)).submit_decision(approval_id, who, "approve")
        assert not outcome["accepted"] and message in outcome["reason"], outcome
        assert outcome["status"] == "PENDING"
        (refusal,) = await signed.refusals(approval_id, 1)
        assert refusal["actor"] == who and message in refusal["detail"]
        status = await env.client.status(approval_id)
        assert status["stages"][0]["votes"] == []  # nothing was counted
        # the real approver still decides
        alice = signed.credential("alice")
        assert (await signed.client(alice).submit_decision(approval_id, None, "approve"))[
            "accepted"
        ]


async def test_replayed_and_stale_proofs_are_refused(worker_factory, home):
    baton_file = signed_file()
    async with worker_factory(baton_file, home=home) as env:
        signed = Signed(env, baton_file)
        alice = signed.credential("alice")
        first = await signed.approval(["alice", "bob"], quorum="all")
        other = await signed.approval(["alice", "bob"], quorum="all")
        now = int(time.time())
        proof = sign_decision(alice, subject(first, "approve"), now=now, via="api")
        handle = env.client.temporal.get_workflow_handle(first)
        assert (await handle.execute_update("decide", Decision("alice", "approve", None, proof)))[
            "accepted"
        ]

        async def refused(approval_id: str, decision: Decision) -> str:
            try:
                await env.client.temporal.get_workflow_handle(approval_id).execute_update(
                    "decide", decision
                )
            except WorkflowUpdateFailedError as exc:
                return str(exc.cause)
            raise AssertionError("accepted")

        assert "already used once" in await refused(
            first, Decision("alice", "approve", None, proof)
        )
        # the same proof on another approval: it is bound to the approval id
        assert "does not verify" in await refused(other, Decision("alice", "approve", None, proof))
        # a proof for "approve" cannot be turned into a "reject"
        altered = sign_decision(alice, subject(other, "approve"), now=now, via="api")
        assert "does not verify" in await refused(other, Decision("alice", "reject", None, altered))
        stale = sign_decision(alice, subject(other, "approve"), now=now - 3600, via="api")
        assert "away from the worker's clock" in await refused(
            other, Decision("alice", "approve", None, stale)
        )
        assert len(await signed.refusals(first, 1)) == 1
        assert len(await signed.refusals(other, 3)) == 3


async def test_signed_delegation(worker_factory, home):
    baton_file = signed_file()
    async with worker_factory(baton_file, home=home) as env:
        signed = Signed(env, baton_file)
        approval_id = await signed.approval(["alice"])
        alice, bob = signed.credential("alice"), signed.credential("bob")
        assert not (await signed.client().delegate_approval(approval_id, "alice", "bob"))[
            "accepted"
        ]
        assert (await signed.client(alice).delegate_approval(approval_id, None, "bob"))["accepted"]
        outcome = await signed.client(bob).submit_decision(approval_id, None, "approve")
        assert outcome["accepted"] and outcome["status"] == "APPROVED"
        vote = (await env.client.result(approval_id))["stages"][0]["votes"][0]
        assert (vote["approver"], vote["cast_by"], vote["credential"]) == (
            "alice",
            "bob",
            bob.claims.jti,
        )


async def test_trusted_mode_takes_the_named_approver(worker_factory):
    async with worker_factory() as env:
        spec = compile_approval({"stage": "s", "stages": [{"name": "s", "approvers": ["cfo"]}]})
        run = await env.client.request_approval(spec)
        outcome = await env.client.submit_decision(run.approval_id, "cfo", "approve")
        assert outcome["accepted"]  # trusted: anyone may claim to be the CFO (docs say so)
        vote = (await run.result())["stages"][0]["votes"][0]
        assert vote["credential"] is None


async def test_floods_of_refusals_do_not_lock_out_the_approver(worker_factory, home):
    """2,500 refused decisions (more than Temporal's 2,000 updates per
    workflow) are rejected by the validator: none enters the approval's
    history, the refusal log stays small, and the approver still decides."""
    baton_file = signed_file()
    async with worker_factory(baton_file, home=home) as env:
        signed = Signed(env, baton_file)
        approval_id = await signed.approval(["alice"])
        intruder = signed.client(signed.credential("bob"))
        gate = asyncio.Semaphore(16)

        async def attempt() -> bool:
            async with gate:
                return bool(
                    (await intruder.submit_decision(approval_id, "bob", "approve"))["accepted"]
                )

        results = await asyncio.gather(*(attempt() for _ in range(2500)))
        assert not any(results)
        alice = signed.client(signed.credential("alice"))
        assert (await alice.submit_decision(approval_id, None, "approve"))["accepted"]
        history = await env.client.temporal.get_workflow_handle(approval_id).fetch_history()
        assert len(history.events) < 60

        async def summarised() -> list[dict[str, Any]] | None:
            found = await signed.refusals(approval_id, 1)
            counted = sum(r["detail"].count("more like this") for r in found)
            return found if counted else None

        # per caller: 20 records a minute, then the rest counted in a record
        # written every 10 s
        refusals = await until(summarised, timeout=30)
        assert len(refusals) <= 25
        assert any("times)" in r["detail"] for r in refusals)


async def test_worker_in_signed_mode_needs_the_key(tmp_path):
    from baton.errors import ConfigError

    settings = replace(Settings.from_env({"BATON_HOME": str(tmp_path)}))
    with pytest.raises(ConfigError, match="baton identity init"):
        require_key(settings, IdentityConfig(mode="signed"))
