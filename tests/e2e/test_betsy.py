"""betsy's BPMN conformance cases on the real Temporal server: every case
whose model is inside what Baton runs is run with its variables and must
leave exactly the expected trace (a multiset of markers); every other model
must be refused with a diagnostic naming an element and its line. The pass
rates by group are the table in docs/bpmn.md, kept true here."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from baton.errors import DefinitionError
from baton.testing import until
from tests.support.betsy import (
    BETSY,
    cases,
    expected_trace,
    feature,
    markers_of,
    observed,
    plan_of,
    refusal_expected,
    timed,
)

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(not BETSY.is_dir(), reason=f"the corpus is not at {BETSY}"),
]
DOC = Path(__file__).resolve().parents[2] / "docs" / "bpmn.md"


def documented(marker: str = "betsy-results") -> dict[str, str]:
    text = DOC.read_text()
    table = text.split(f"<!-- {marker} -->")[1].split(f"<!-- /{marker} -->")[0]
    rows = [
        line.strip().strip("|").split("|") for line in table.splitlines() if line.startswith("| ")
    ]
    return {group.strip(): result.strip() for group, result in (r[:2] for r in rows[1:])}


async def settle(client: Any, workflow_id: str, seconds: float) -> dict[str, Any]:
    """A run's status document once it ended, or as it is after ``seconds``
    (still running or waiting: betsy gathers the trace then; it is ended)."""
    try:
        return await asyncio.wait_for(client.result(workflow_id), seconds)
    except asyncio.TimeoutError:
        status = await client.status(workflow_id)
        await client.temporal.get_workflow_handle(workflow_id).terminate("betsy: trace gathered")
        return dict(status)


async def waiting_visibly(client: Any, workflow_id: str) -> None:
    """Until the run waits for an event and a broadcast would find it."""

    async def visible() -> bool:
        wanted = (await client.status(workflow_id)).get("waiting_for") or []
        return bool(wanted) and workflow_id in await client.events.waiting_runs(wanted[0])

    await until(visible, timeout=30)


async def run_case(client: Any, case: dict[str, Any], plan: Any) -> Counter[str]:
    """One case: its secondary process first when it says so, then its
    process with its variables; the trace of the run and of the runs it
    started (detached sub-processes: a message's or signal's start)."""
    secondary_ids = []
    first = case.get("start_first")
    if first:
        first_plan = plan_of(case, first)
        assert not isinstance(first_plan, DefinitionError), first_plan
        started = await client.start_plan(first_plan, input={})
        await waiting_visibly(client, started.workflow_id)
        secondary_ids.append(started.workflow_id)
    run = await client.start_plan(plan, input=dict(case["variables"]))
    result = await settle(client, run.workflow_id, 20)
    secondary = []
    pending = list(secondary_ids) + children(result)
    while pending:
        child = await settle(client, pending.pop(0), 10)
        secondary.append(child)
        pending += children(child)
    return observed(result, expected_trace(case), markers_of(case), secondary)


def children(result: dict[str, Any]) -> list[str]:
    return [str(a["detail"]) for a in result.get("audit", []) if a["event"] == "subprocess_started"]


async def test_betsy_cases_inside_the_subset_pass_and_the_rest_are_refused(
    baton: Any, skipping: Any
) -> None:
    ran: dict[str, Counter[str]] = defaultdict(Counter)
    by_feature: dict[str, Counter[str]] = defaultdict(Counter)
    failures = []
    for case in cases():
        group = case["test"]["group"]
        plan = plan_of(case)
        if isinstance(plan, DefinitionError):
            assert plan.issues and plan.issues[0].path.startswith("line "), plan
            ran[group]["passed" if refusal_expected(case) else "refused"] += 1
            by_feature[feature(case)]["passed" if refusal_expected(case) else "refused"] += 1
            continue
        client = skipping if timed(case) else baton.client
        expected = Counter(expected_trace(case))
        trace = await run_case(client, case, plan)
        if trace == expected:
            ran[group]["passed"] += 1
            by_feature[feature(case)]["passed"] += 1
        else:
            ran[group]["failed"] += 1
            by_feature[feature(case)]["failed"] += 1
            failures.append((case["test"]["id"], case["n"], dict(trace), dict(expected)))
    table = {
        group: f"{c['passed']} passed, {c['failed']} failed, {c['refused']} refused"
        for group, c in sorted(ran.items())
    }
    assert not failures, "\n".join(
        f"{test} case {n}: observed {trace}, expected {expected}"
        for test, n, trace, expected in failures
    )
    assert table == documented()
    features = {
        name: f"{c['passed']} passed, {c['failed']} failed, {c['refused']} refused"
        for name, c in sorted(by_feature.items())
    }
    assert features == documented("betsy-features")
