"""The MIWG reference models (``../shared/corpora/bpmn/miwg/Reference``)
that are executable: each is compiled with the bindings a user would write
for it (its tasks bound to HTTP calls of the stand-in services and its user
tasks to approvers — this file's, the corpus is read as it is); those inside
what Baton runs run to their end on a real server, the others are refused
with the diagnostic docs/bpmn.md lists. The table there is kept true here."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from baton.config import BatonFile
from baton.definitions.bpmn import read_bpmn
from baton.definitions.catalog import DirectoryCatalog
from baton.errors import DefinitionError
from baton.plan.bpmn import compile_bpmn
from baton.plan.bpmn.bindings import TaskBindings, parse_bindings
from baton.testing import until
from tests.e2e.test_event_waits import waiting

REFERENCE = (
    Path(__file__).resolve().parents[3] / "shared" / "corpora" / "bpmn" / "miwg" / "Reference"
)
DOC = Path(__file__).resolve().parents[2] / "docs" / "bpmn.md"
pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(not REFERENCE.is_dir(), reason=f"the corpus is not at {REFERENCE}"),
]
CLERKS = {"approvers": ["clerk"]}


def bindings(url: str) -> dict[str, Any]:
    """What a user of these models would bind (by task id or Zeebe task type)."""
    hook = {"type": "api_call", "method": "POST", "result_variable": "sent"}
    return {
        # C.1.0, the invoice process: Camunda 7
        "archiveInvoice": {**hook, "url": f"{url}/hooks/archive"},
        "assignApprover": CLERKS,
        "approveInvoice": CLERKS,
        "reviewInvoice": CLERKS,
        "prepareBankTransfer": CLERKS,
        # C.3.0, fridge repair
        "Analyse customer request": CLERKS,
        "Replace fridge": CLERKS,
        "Perform repair (standard level)": CLERKS,
        "Perform repair (premium level)": CLERKS,
        # C.8.1, vacation request: Zeebe
        "http": {**hook, "url": f"{url}/hooks/http"},
        # C.9.x, customer onboarding: Zeebe
        "email": {**hook, "url": f"{url}/hooks/email"},
        "UserTask_CallCustomer": CLERKS,
    }


def compiled(path: Path, process_id: str, url: str) -> Any:
    model = read_bpmn(path.read_bytes(), str(path))
    section = {"bindings": bindings(url)}
    tasks = TaskBindings(
        files=(parse_bindings(section, "miwg.baton.yaml"),),
        baton_file=BatonFile(bpmn=section, groups={"clerks": ["clerk"]}),
    )
    return compile_bpmn(
        model, str(path), process_id, catalog=DirectoryCatalog.for_source(str(path)), tasks=tasks
    )


def executable() -> list[tuple[Path, str]]:
    found = []
    for path in sorted(REFERENCE.glob("*.bpmn")):
        model = read_bpmn(path.read_bytes(), str(path))
        found += [(path, p.id) for p in model.processes if p.executable]
    return found


def documented() -> dict[str, str]:
    text = DOC.read_text()
    table = text.split("<!-- miwg-executable -->")[1].split("<!-- /miwg-executable -->")[0]
    rows = [line.strip().strip("|").split("|") for line in table.strip().splitlines()[2:]]
    return {row[0].strip().strip("`"): row[2].strip() for row in rows}


def outcome(path: Path, process_id: str) -> str:
    try:
        compiled(path, process_id, "http://127.0.0.1:1")
    except DefinitionError as refused:
        return "refused: " + refused.issues[0].message.split(" (")[0]
    return "runs"


def test_each_executable_reference_model_runs_or_is_refused_as_docs_say() -> None:
    seen = {f"{path.stem} {process}": outcome(path, process) for path, process in executable()}
    assert seen == documented()


async def decide_when_pending(client: Any, approval_id: str) -> None:
    async def decided() -> bool:
        try:
            outcome = await client.submit_decision(approval_id, "clerk", "approve")
        except Exception:  # not requested yet
            return False
        return bool(outcome["accepted"])

    await until(decided, timeout=60)


async def test_the_invoice_process_c_1_0_runs_to_its_end(baton, services):
    plan = compiled(REFERENCE / "C.1.0.bpmn", "bpmn-miwg-test-case-c.1.0", services.url)
    run = await baton.client.start_plan(plan, input={"amount": 830, "creditor": "Great Pizza"})
    for task in ("assignApprover", "approveInvoice", "prepareBankTransfer"):
        await decide_when_pending(baton.client, f"{run.workflow_id}.{task}")
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    statuses = {s["step_id"]: s["status"] for s in result["steps"]}
    assert statuses["invoiceProcessed"] == "COMPLETED"
    assert statuses["reviewInvoice"] == "SKIPPED"  # approved: no review
    assert services.state.count("POST", "/hooks/archive") == 1


async def test_the_document_request_c_9_1_ends_when_the_document_comes(baton, services):
    plan = compiled(REFERENCE / "C.9.1.bpmn", "requestDocument_en", services.url)
    run = await baton.client.start_plan(plan, input={"documentReferenceId": "doc-7"})
    await waiting(baton.client, run.workflow_id, "MESSAGE_documentReceived")
    await baton.client.send_event(
        "MESSAGE_documentReceived",
        {"document": "passport"},
        subject="doc-7",
        workflow_id=run.workflow_id,
    )
    result = await asyncio.wait_for(run.result(), 60)
    assert result["status"] == "COMPLETED", result
    statuses = {s["step_id"]: s["status"] for s in result["steps"]}
    assert statuses["EndEvent_GotDocument"] == "COMPLETED"
    assert result["output"]["document"] == "passport"
    assert services.state.count("POST", "/hooks/email") == 1  # the request, no reminder
