"""betsy's BPMN conformance cases on the real Temporal server: every case
whose model is inside what Baton runs is run with its variables and must
leave exactly the expected trace (a multiset of markers); every other model
must be refused with a diagnostic naming an element and its line. The pass
rates by group are the table in docs/bpmn.md, kept true here."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from baton.errors import DefinitionError
from tests.support.betsy import BETSY, cases, markers_of, observed, plan_of, refusal_expected

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(not BETSY.is_dir(), reason=f"the corpus is not at {BETSY}"),
]
DOC = Path(__file__).resolve().parents[2] / "docs" / "bpmn.md"


def documented() -> dict[str, str]:
    text = DOC.read_text()
    table = text.split("<!-- betsy-results -->")[1].split("<!-- /betsy-results -->")[0]
    rows = [
        line.strip().strip("|").split("|") for line in table.splitlines() if line.startswith("| ")
    ]
    return {group.strip(): result.strip() for group, result in (r[:2] for r in rows[1:])}


async def test_betsy_cases_inside_the_subset_pass_and_the_rest_are_refused(baton) -> None:
    ran: dict[str, Counter[str]] = defaultdict(Counter)
    failures = []
    for case in cases():
        group = case["test"]["group"]
        plan = plan_of(case)
        if isinstance(plan, DefinitionError):
            assert plan.issues and plan.issues[0].path.startswith("line "), plan
            ran[group]["passed" if refusal_expected(case) else "refused"] += 1
            continue
        run = await baton.client.start_plan(plan, input=dict(case["variables"]))
        result = await asyncio.wait_for(run.result(), 60)
        expected = Counter(case["expected_trace"])
        if observed(result, case["expected_trace"], markers_of(case)) == expected:
            ran[group]["passed"] += 1
        else:
            ran[group]["failed"] += 1
            failures.append(
                (case["test"]["id"], case["n"], result.get("output"), result.get("failure"))
            )
    table = {
        group: f"{c['passed']} passed, {c['failed']} failed, {c['refused']} refused"
        for group, c in sorted(ran.items())
    }
    assert not failures, failures
    assert table == documented()
