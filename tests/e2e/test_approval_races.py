"""Simultaneous decisions on a real Temporal dev server: whatever arrives at
the same moment, every caller's answer agrees with the final outcome and the
votes recorded never exceed what the stage's rule allows."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest

from baton.plan.approval import compile_approval

pytestmark = pytest.mark.asyncio(loop_scope="session")

ROUNDS = 40
FINAL = ("APPROVED", "REJECTED")


def scenario(rng: random.Random) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    approvers = [f"u{i}" for i in range(rng.randint(2, 5))]
    quorum: Any = rng.choice(["any", "all", rng.randint(1, len(approvers))])
    threshold = rng.randint(1, len(approvers))
    deciders = rng.sample(approvers, rng.randint(2, len(approvers)))
    votes = [(who, rng.choice(["approve", "reject"])) for who in deciders]
    if rng.random() < 0.3:  # someone clicks twice
        votes.append(votes[0])
    definition = {
        "stage": "race",
        "stages": [
            {"name": "s", "approvers": approvers, "quorum": quorum, "reject_threshold": threshold}
        ],
    }
    return definition, votes


async def test_simultaneous_decisions_never_contradict(baton):
    rng = random.Random(20261122)
    for _ in range(ROUNDS):
        definition, votes = scenario(rng)
        spec = compile_approval(definition)
        stage = spec.stages[0]
        run = await baton.client.request_approval(spec)
        answers = await asyncio.gather(
            *(baton.client.submit_decision(run.approval_id, who, d) for who, d in votes)
        )
        status = await baton.client.status(run.approval_id)
        if status["status"] == "PENDING":
            await run.cancel()
        final = (await run.result())["status"] if status["status"] != "PENDING" else "PENDING"
        recorded = (await baton.client.status(run.approval_id))["stages"][0]
        where = f"{definition['stages'][0]} votes={votes} answers={answers}"

        accepted = [(who, d) for (who, d), a in zip(votes, answers, strict=True) if a["accepted"]]
        # every accepted vote is recorded, and nothing else is
        assert sorted((v["approver"], v["decision"]) for v in recorded["votes"]) == sorted(
            accepted
        ), where
        # an accepted caller's answer never contradicts the outcome
        for answer in answers:
            if answer["accepted"] and answer["status"] in FINAL:
                assert answer["status"] == final, where
        # a refusal after the stage was decided says so
        for answer in answers:
            if not answer["accepted"]:
                assert any(
                    text in answer["reason"]
                    for text in ("already decided", "already ended", "counts once")
                ), where
        # the rule bounds the votes: no vote lands after the deciding one
        approvals, rejections = recorded["approvals"], recorded["rejections"]
        assert approvals <= stage.quorum and rejections <= stage.reject_threshold, where
        if final == "APPROVED":
            assert approvals == stage.quorum, where
        if final == "REJECTED" and rejections < stage.reject_threshold:
            assert approvals + len(stage.approvers) - len(recorded["votes"]) < stage.quorum, where
        # exactly one accepted answer decided it (the others were PENDING then)
        deciding = [a for a in answers if a["accepted"] and a["status"] in FINAL]
        assert len(deciding) == (1 if final in FINAL else 0), where
