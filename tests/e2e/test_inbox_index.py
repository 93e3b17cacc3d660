"""The inbox index (engine/inbox.py) on a real Temporal dev server: it lists
what the visibility store lists, follows every change of an approval,
seeds a new shard from the visibility store, drops approvals that ended
without reporting, continues as new with its rows, and gives way to the
visibility store when it cannot answer."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from baton.actions.inbox import pending_query, visibility_row
from baton.config import BatonFile
from baton.engine.inbox import (
    InboxInput,
    InboxRow,
    InboxWorkflow,
    inbox_shard,
    inbox_workflow_id,
)
from baton.plan.approval import compile_approval
from baton.runtime import TemporalWorkflowClient
from baton.runtime.inbox import read_inbox_index
from baton.testing import until

pytestmark = pytest.mark.asyncio(loop_scope="session")
INDEXED = BatonFile(inbox_index=True)  # baton.yaml `inbox: {index: true}`


@pytest_asyncio.fixture(loop_scope="session")
async def baton(worker_factory: Any) -> Any:
    """A worker and client whose baton.yaml turns the inbox index on."""
    async with worker_factory(INDEXED) as env:
        yield env


def approval(approval_id: str, *stages: tuple[str, list[str]], **first: Any) -> Any:
    return compile_approval(
        {
            "approval_id": approval_id,
            "stage": f"release {approval_id}",
            "stages": [
                {"name": name, "approvers": approvers, **(first if i == 0 else {})}
                for i, (name, approvers) in enumerate(stages)
            ],
        }
    )


def ids_in(shard: int, prefix: str, count: int) -> list[str]:
    """Approval ids that hash to ``shard``."""
    found = (f"{prefix}-{i}" for i in range(10_000))
    return [name for name in found if inbox_shard(name) == shard][:count]


async def indexed(baton: Any, as_user: str | None = None, limit: int = 100) -> Any:
    client = await baton.client.connect()
    return await read_inbox_index(client, baton.settings.task_queue, as_user, limit)


async def visible(baton: Any, as_user: str | None = None) -> list[dict[str, Any]]:
    client = await baton.client.connect()
    query = pending_query(baton.settings.task_queue)
    if as_user:
        query += f" AND BatonApprovers = '{as_user}'"
    return [visibility_row(wf) async for wf in client.list_workflows(query)]


def summary(rows: list[dict[str, Any]] | None) -> Any:
    if rows is None:
        return None
    return {r["approval_id"]: (r["stage"], r["status"], sorted(r["may_decide"])) for r in rows}


async def agree(baton: Any, as_user: str | None = None) -> bool:
    """The index answers and lists what the visibility store lists."""
    mine, theirs = await indexed(baton, as_user), await visible(baton, as_user)
    if mine is None or summary(mine) != summary(theirs):
        return False
    return [r["approval_id"] for r in mine] == [r["approval_id"] for r in theirs]


async def shows(baton: Any, expected: dict[str, Any], as_user: str | None = None) -> bool:
    return summary(await indexed(baton, as_user)) == expected


async def test_the_index_follows_each_change_and_agrees_with_visibility(baton):
    client = baton.client
    two = await client.request_approval(
        approval("inbox-a", ("review", ["alice", "bob"]), ("sign-off", ["carol"]))
    )
    await client.request_approval(approval("inbox-b", ("review", ["bob"])))
    three = await client.request_approval(approval("inbox-c", ("review", ["dave"])))
    await until(lambda: agree(baton), timeout=30)
    rows = await indexed(baton)
    assert summary(rows) == {
        "inbox-a": ("release inbox-a", "PENDING", ["alice", "bob"]),
        "inbox-b": ("release inbox-b", "PENDING", ["bob"]),
        "inbox-c": ("release inbox-c", "PENDING", ["dave"]),
    }
    # newest first, with the times the visibility store gives
    assert [r["approval_id"] for r in rows] == ["inbox-c", "inbox-b", "inbox-a"]
    assert {r["approval_id"]: r["requested_at"] for r in rows} == {
        r["approval_id"]: r["requested_at"] for r in await visible(baton)
    }
    assert all(r["closed_at"] is None for r in rows)

    # the first stage decided: the second stage's approver may decide now
    assert (await client.submit_decision(two.approval_id, "bob", "approve"))["accepted"]
    await until(
        lambda: shows(baton, {"inbox-a": ("release inbox-a", "PENDING", ["carol"])}, "carol")
    )
    assert await shows(baton, {"inbox-b": ("release inbox-b", "PENDING", ["bob"])}, "bob")
    # a delegation moves the row to the delegate's inbox
    assert (await client.delegate_approval(three.approval_id, "dave", "erin"))["accepted"]
    await until(lambda: shows(baton, {"inbox-c": ("release inbox-c", "PENDING", ["erin"])}, "erin"))
    assert await shows(baton, {}, "dave")
    # decided, rejected and cancelled approvals leave the index
    assert (await client.submit_decision("inbox-b", "bob", "reject"))["accepted"]
    await (await client.connect()).get_workflow_handle("inbox-c").cancel()
    await until(lambda: shows(baton, {"inbox-a": ("release inbox-a", "PENDING", ["carol"])}))
    assert (await client.submit_decision(two.approval_id, "carol", "approve"))["accepted"]
    await until(lambda: shows(baton, {}))
    await until(lambda: agree(baton))
    # the inbox everybody uses reads the index
    assert await client.list_approvals(pending=True) == []


async def test_newest_first_and_limit_and_the_public_inbox(baton):
    client = baton.client
    for index in range(5):
        await client.request_approval(approval(f"inbox-n{index}", ("review", ["nina"])))
    await until(lambda: agree(baton, "nina"), timeout=30)
    first_two = await indexed(baton, "nina", limit=2)
    assert [r["approval_id"] for r in first_two] == ["inbox-n4", "inbox-n3"]
    listed = await client.list_approvals(pending=True, as_user="nina", limit=3)
    assert [r["approval_id"] for r in listed] == ["inbox-n4", "inbox-n3", "inbox-n2"]
    assert await client.list_approvals(pending=True, as_user="nobody") == []


async def test_a_new_shard_seeds_itself_from_visibility(baton):
    """Approvals from before a shard existed (older Baton, or a shard that
    was terminated) are found by its seeding; until then the visibility
    store answers."""
    client = baton.client
    temporal = await client.connect()
    queue = baton.settings.task_queue
    old, new = ids_in(3, "inbox-seed", 2)
    await client.request_approval(approval(old, ("review", ["olga"])))
    await until(lambda: shows(baton, {old: (f"release {old}", "PENDING", ["olga"])}, "olga"))
    shard = temporal.get_workflow_handle(inbox_workflow_id(queue, 3))
    await shard.terminate("test: as if the index had never known of it")
    # the index cannot answer: the inbox comes from the visibility store,
    # and the reader starts the missing shard again
    assert await indexed(baton, "olga") is None
    assert [
        r["approval_id"] for r in await client.list_approvals(pending=True, as_user="olga")
    ] == [old]
    # the new shard seeds itself: the approval that never reported to it
    # is listed from the index again
    await until(lambda: shows(baton, {old: (f"release {old}", "PENDING", ["olga"])}, "olga"))
    await client.request_approval(approval(new, ("review", ["olga"])))
    await until(lambda: agree(baton, "olga"), timeout=30)
    assert set(summary(await indexed(baton, "olga"))) == {old, new}


async def test_an_approval_terminated_without_reporting_is_pruned(baton):
    client = baton.client
    temporal = await client.connect()
    queue = baton.settings.task_queue
    (doomed,) = ids_in(5, "inbox-doomed", 1)
    await temporal.start_workflow(
        InboxWorkflow.run,
        InboxInput(shard=5, prune_seconds=1.0),
        id=inbox_workflow_id(queue, 5),
        task_queue=queue,
    )
    await client.request_approval(approval(doomed, ("review", ["pat"])))
    await until(lambda: shows(baton, {doomed: (f"release {doomed}", "PENDING", ["pat"])}, "pat"))
    await temporal.get_workflow_handle(doomed).terminate("test")
    await until(lambda: shows(baton, {}, "pat"), timeout=30)


async def test_a_shard_continues_as_new_with_its_rows(baton):
    temporal = await baton.client.connect()
    queue = baton.settings.task_queue
    started = await temporal.start_workflow(
        InboxWorkflow.run,
        InboxInput(shard=6, events_per_run=40),
        id=inbox_workflow_id(queue, 6),
        task_queue=queue,
    )
    shard = temporal.get_workflow_handle(inbox_workflow_id(queue, 6))
    for index in range(30):
        row = InboxRow(f"x-{index}", "s", "PENDING", ["quinn"], f"2026-12-08T00:00:{index:02d}")
        await shard.signal(InboxWorkflow.report, row)
        if index % 2:
            await shard.signal(InboxWorkflow.report, replace(row, status="APPROVED"))
    await until(lambda: _continued(shard, started.result_run_id), timeout=30)
    answer = await shard.query(InboxWorkflow.rows, args=["quinn", 100])
    assert answer["complete"] and answer["matched"] == 15
    assert [r["approval_id"] for r in answer["rows"]][:2] == ["x-28", "x-26"]


async def _continued(handle: Any, first_run: str | None) -> bool:
    return bool((await handle.describe()).run_id != first_run)


async def test_without_a_worker_the_inbox_comes_from_visibility(worker_factory):
    async with worker_factory(INDEXED) as env:
        await env.client.request_approval(approval("inbox-alone", ("review", ["rita"])))
        await until(lambda: agree(env, "rita"), timeout=30)
    # the worker is gone: the shards cannot answer, the visibility store does
    began = asyncio.get_running_loop().time()
    assert (
        await read_inbox_index(
            await env.client.connect(), env.settings.task_queue, "rita", 10, timedelta(seconds=1)
        )
        is None
    )
    assert asyncio.get_running_loop().time() - began < 5
    client = TemporalWorkflowClient(
        env.settings, temporal=env.client.temporal, baton_file=BatonFile()
    )
    rows = await client.list_approvals(pending=True, as_user="rita")
    assert [r["approval_id"] for r in rows] == ["inbox-alone"]


async def test_an_index_that_disagrees_with_the_visibility_count_is_not_trusted(baton):
    """While the index lags (or holds a row the visibility store no longer
    counts), the inbox is listed from the visibility store."""
    client = baton.client
    temporal = await client.connect()
    await client.request_approval(approval("inbox-real", ("review", ["sam"])))
    await until(lambda: agree(baton, "sam"), timeout=30)
    ghost = InboxRow("inbox-ghost", "release ghost", "PENDING", ["sam"], "2999-01-01T00:00:00")
    shard = inbox_shard(ghost.approval_id)
    handle = temporal.get_workflow_handle(inbox_workflow_id(baton.settings.task_queue, shard))
    await handle.signal(InboxWorkflow.report, ghost)
    await until(lambda: _holds(handle, "sam", "inbox-ghost"))
    assert await indexed(baton, "sam") is None
    listed = await client.list_approvals(pending=True, as_user="sam")
    assert [r["approval_id"] for r in listed] == ["inbox-real"]
    # once the index agrees again, it is read again
    await handle.signal(InboxWorkflow.report, replace(ghost, status="CANCELLED"))
    await until(lambda: agree(baton, "sam"))


async def _holds(handle: Any, user: str, approval_id: str) -> bool:
    answer = await handle.query(InboxWorkflow.rows, args=[user, 100])
    return any(row["approval_id"] == approval_id for row in answer["rows"])


async def test_without_the_setting_approvals_keep_no_index(worker_factory):
    async with worker_factory() as env:
        run = await env.client.request_approval(approval("inbox-off", ("review", ["tess"])))
        rows = await until(lambda: env.client.list_approvals(pending=True, as_user="tess"))
        assert [r["approval_id"] for r in rows] == ["inbox-off"]
        assert (await env.client.submit_decision(run.approval_id, "tess", "approve"))["accepted"]
        await run.result()
        temporal = await env.client.connect()
        shards = [
            wf
            async for wf in temporal.list_workflows(
                f"WorkflowType = 'BatonInbox' AND TaskQueue = '{env.settings.task_queue}'"
            )
        ]
        assert shards == []


def test_the_setting_in_baton_yaml(tmp_path):
    from baton.config import load_baton_file
    from baton.errors import ConfigError
    from baton.plan.approval import compile_approval as compiled

    path = tmp_path / "baton.yaml"
    path.write_text("inbox: {index: true}\n")
    on = load_baton_file(path)
    assert on.inbox_index
    spec = compiled({"stage": "s", "stages": [{"name": "a", "approvers": ["x"]}]}, baton_file=on)
    assert spec.inbox_index
    path.write_text("inbox: {index: yes please}\n")
    with pytest.raises(ConfigError, match="inbox: expected"):
        load_baton_file(path)
    assert not load_baton_file(None).inbox_index


async def test_approvals_that_never_report_are_seeded_and_pruned_when_they_end(baton):
    """An approval requested while the index was off never reports: a shard
    seeded afterwards lists it, and drops it once it ends (its look at the
    visibility store then asks for every end)."""
    temporal = await baton.client.connect()
    queue = baton.settings.task_queue
    plain = TemporalWorkflowClient(baton.settings, temporal=temporal, baton_file=BatonFile())
    (quiet,) = ids_in(2, "inbox-quiet", 1)
    await baton.client.request_approval(approval("inbox-loud", ("review", ["uma"])))
    await until(lambda: agree(baton, "uma"))
    run = await plain.request_approval(approval(quiet, ("review", ["uma"])))
    shard = temporal.get_workflow_handle(inbox_workflow_id(queue, 2))
    await shard.terminate("test: seed again")
    await temporal.start_workflow(
        InboxWorkflow.run,
        InboxInput(shard=2, prune_seconds=1.0),
        id=inbox_workflow_id(queue, 2),
        task_queue=queue,
    )
    await until(lambda: agree(baton, "uma"), timeout=30)
    assert quiet in summary(await indexed(baton, "uma"))
    assert (await plain.submit_decision(run.approval_id, "uma", "approve"))["accepted"]
    await run.result()
    await until(lambda: _lacks_row(shard, quiet), timeout=30)
    await until(lambda: agree(baton, "uma"))


async def _lacks_row(handle: Any, approval_id: str) -> bool:
    return not await _holds(handle, "uma", approval_id)
