"""`baton export-histories`, `baton history --export` and `baton replay` as
a user runs them, on histories recorded from real runs of the upgrade
example (examples/upgrades) on the session's server."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import WorkflowHistory

from examples.upgrades import v1, v2
from tests.support.cli import baton_cli
from tests.support.upgrades import example_client, waiting_to_ship, worker_running

pytestmark = pytest.mark.asyncio(loop_scope="session")
ROOT = Path(__file__).resolve().parents[2]
BATON_HISTORIES = ROOT / "tests" / "histories"


@dataclass
class Recorded:
    settings: object
    v1_runs: Path  # one finished v1 run, one waiting in flight
    v2_runs: Path  # one finished v2 run (the patch recorded)
    ids: dict[str, str]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def recorded(server_env, tmp_path_factory) -> Recorded:
    client = example_client(server_env)
    queue = client.settings.task_queue
    ids = {"done": f"v1-done-{queue}", "waiting": f"v1-waiting-{queue}", "v2": f"v2-done-{queue}"}
    async with worker_running(client, v1.ShipOrder):
        done = await client.start_workflow(v1.ShipOrder, "order-1", workflow_id=ids["done"])
        waiting = await client.start_workflow(v1.ShipOrder, "order-2", workflow_id=ids["waiting"])
        await waiting_to_ship(done)
        await done.signal(v1.ShipOrder.ship)
        await done.result()
        await waiting_to_ship(waiting)
    v1_runs = tmp_path_factory.mktemp("v1-histories")
    code, out, err = await baton_cli(
        client.settings,
        "export-histories",
        str(v1_runs),
        "--workflow-type",
        "ShipOrder",
        "--query",
        f"TaskQueue = '{queue}'",
    )
    assert code == 0, err
    assert "2 histories written" in out

    async with worker_running(client, v2.ShipOrder):
        new = await client.start_workflow(v2.ShipOrder, "order-3", workflow_id=ids["v2"])
        await waiting_to_ship(new)
        await new.signal(v2.ShipOrder.ship)
        await new.result()
    v2_runs = tmp_path_factory.mktemp("v2-histories")
    code, out, err = await baton_cli(
        client.settings, "history", ids["v2"], "--export", str(v2_runs)
    )
    assert code == 0, err
    return Recorded(client.settings, v1_runs, v2_runs, ids)


async def test_exported_histories_are_temporals_json_named_by_workflow_id(recorded, server_env):
    for key, directory in (
        ("done", recorded.v1_runs),
        ("waiting", recorded.v1_runs),
        ("v2", recorded.v2_runs),
    ):
        path = directory / f"{recorded.ids[key]}.json"
        history = WorkflowHistory.from_json(recorded.ids[key], path.read_text())
        fetched = await server_env.client.temporal.get_workflow_handle(
            recorded.ids[key]
        ).fetch_history()
        if key != "waiting":
            assert history.events == fetched.events
        else:  # still running: what it had done when it was exported
            assert history.events == fetched.events[: len(history.events)]
    assert sorted(p.name for p in recorded.v1_runs.iterdir()) == sorted(
        f"{recorded.ids[k]}.json" for k in ("done", "waiting")
    )


async def test_patched_v2_replays_every_v1_history(recorded):
    code, out, err = await baton_cli(
        recorded.settings,
        "replay",
        "--histories",
        str(recorded.v1_runs),
        "--workflows",
        "examples.upgrades.v2:ShipOrder",
        cwd=ROOT,
    )
    assert code == 0, out + err
    assert f"ok         {recorded.ids['done']} (ShipOrder)" in out
    assert f"ok         {recorded.ids['waiting']} (ShipOrder)" in out
    assert "passed: 2 histories (2 ok)" in out


async def test_unpatched_v2_is_caught_with_the_workflow_and_the_nondeterminism(recorded):
    code, out, err = await baton_cli(
        recorded.settings,
        "replay",
        "--histories",
        str(recorded.v1_runs),
        "--workflows",
        "examples.upgrades.v2_unpatched:ShipOrder",
        cwd=ROOT,
    )
    assert code == 1, out + err
    assert f"failed     {recorded.ids['waiting']} (ShipOrder)" in out
    assert f"failed     {recorded.ids['done']} (ShipOrder)" in out
    assert "nondeterminism (TMPRL1100):" in out
    assert (
        "Activity id of scheduled event 'reserve_stock' does not match activity id of "
        "activity command 'charge_payment'"
    ) in out  # what differs, as the SDK says it
    assert "failed: 2 histories (2 failed)" in out
    assert "Traceback" not in out + err


async def test_json_output_lists_each_outcome(recorded):
    code, out, _ = await baton_cli(
        recorded.settings,
        "replay",
        "--history",
        str(recorded.v1_runs / f"{recorded.ids['waiting']}.json"),
        "--workflows",
        "examples.upgrades.v2_unpatched:ShipOrder",
        "--json",
        cwd=ROOT,
    )
    assert code == 1
    data = json.loads(out)
    assert data["passed"] is False
    (outcome,) = data["histories"]
    assert outcome["workflow_id"] == recorded.ids["waiting"]
    assert outcome["workflow_type"] == "ShipOrder"
    assert outcome["result"] == "failed"
    assert outcome["detail"].startswith(
        "nondeterminism (TMPRL1100): Activity id of scheduled event"
    )


async def test_deprecate_patch_v3_replays_v2_runs_but_not_v1_runs(recorded):
    code, out, err = await baton_cli(
        recorded.settings,
        "replay",
        "--histories",
        str(recorded.v2_runs),
        "--workflows",
        "examples.upgrades.v3:ShipOrder",
        cwd=ROOT,
    )
    assert code == 0, out + err
    code, out, _ = await baton_cli(
        recorded.settings,
        "replay",
        "--histories",
        str(recorded.v1_runs),
        "--workflows",
        "examples.upgrades.v3:ShipOrder",
        cwd=ROOT,
    )
    assert code == 1
    assert "nondeterminism (TMPRL1100):" in out


async def test_histories_of_other_types_are_skipped_and_replaying_nothing_fails(recorded):
    # Baton's own workflows only: the ShipOrder histories are skipped
    code, out, _ = await baton_cli(
        recorded.settings, "replay", "--histories", str(recorded.v1_runs)
    )
    assert code == 1
    assert "skipped" in out and "no replayed workflow has type 'ShipOrder'" in out
    assert "nothing replayed" in out and "--workflows module:Class" in out
    # Baton's committed histories beside the user's: both replayed
    code, out, err = await baton_cli(
        recorded.settings,
        "replay",
        "--histories",
        str(BATON_HISTORIES),
        "--histories",
        str(recorded.v1_runs),
        "--workflows",
        "examples.upgrades.v2:ShipOrder",
        cwd=ROOT,
    )
    assert code == 0, out + err
    assert "(BatonProcess)" in out and "(BatonApproval)" in out and "(ShipOrder)" in out
    assert "skipped" not in out


async def test_the_workflow_module_is_found_from_the_current_directory(recorded, tmp_path):
    """`--workflows orders:ShipOrder` in a directory that is on no Python
    path but the command's own (as with the `baton` script)."""
    repo = Path(__file__).resolve().parents[2]
    (tmp_path / "orders.py").write_text(
        # the example lives in the repository, which is not installed
        f"import sys\nsys.path.insert(0, {str(repo)!r})\n"
        "from examples.upgrades.v2 import ShipOrder\n",
        encoding="utf-8",
    )
    code, out, err = await baton_cli(
        recorded.settings,
        "replay",
        "--histories",
        str(recorded.v1_runs),
        "--workflows",
        "orders:ShipOrder",
        cwd=tmp_path,
    )
    assert code == 0, out + err


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("examples.upgrades.v2", "expected module:Class"),
        ("no_such_module:ShipOrder", "no module 'no_such_module' on the Python path"),
        ("examples.upgrades.v2:Nope", "module 'examples.upgrades.v2' has no 'Nope'"),
        ("examples.upgrades.shop:reserve_stock", "reserve_stock is not a @workflow.defn class"),
    ],
)
async def test_a_bad_workflows_name_is_a_clear_error(recorded, spec, message):
    code, out, err = await baton_cli(
        recorded.settings,
        "replay",
        "--histories",
        str(recorded.v1_runs),
        "--workflows",
        spec,
        cwd=ROOT,
    )
    assert code == 2
    assert f"--workflows {spec!r}: {message}" in err
    assert "Traceback" not in out + err


async def test_two_versions_of_one_type_are_refused(recorded):
    code, _, err = await baton_cli(
        recorded.settings,
        "replay",
        "--histories",
        str(recorded.v1_runs),
        "--workflows",
        "examples.upgrades.v1:ShipOrder",
        "--workflows",
        "examples.upgrades.v2:ShipOrder",
        cwd=ROOT,
    )
    assert code == 2
    assert (
        "examples.upgrades.v1:ShipOrder and examples.upgrades.v2:ShipOrder are both workflow type 'ShipOrder'"
        in err
    )


async def test_unreadable_and_missing_histories_are_said(recorded, tmp_path):
    (tmp_path / "notes.json").write_text('{"hello": "world"}')
    (tmp_path / "broken.json").write_text("{")
    code, out, _ = await baton_cli(
        recorded.settings,
        "replay",
        "--histories",
        str(tmp_path),
        "--history",
        str(recorded.v1_runs / f"{recorded.ids['done']}.json"),
        "--workflows",
        "examples.upgrades.v2:ShipOrder",
        cwd=ROOT,
    )
    assert code == 1
    assert "unreadable" in out and "not JSON" in out
    assert "not a Temporal history" in out
    assert f"ok         {recorded.ids['done']}" in out

    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = await baton_cli(recorded.settings, "replay", "--histories", str(empty))
    assert code == 2 and "no .json history files in it" in err
    code, _, err = await baton_cli(
        recorded.settings, "replay", "--history", str(tmp_path / "nope.json")
    )
    assert code == 2 and "no such file" in err
    code, _, err = await baton_cli(recorded.settings, "replay")
    assert code == 2 and "give --histories DIR or --history FILE" in err


async def test_export_of_an_unknown_run_or_a_bad_query_is_said(recorded, tmp_path):
    code, _, err = await baton_cli(
        recorded.settings, "history", "no-such-run", "--export", str(tmp_path / "x.json")
    )
    assert code == 1 and "no workflow with id 'no-such-run'" in err
    code, _, err = await baton_cli(
        recorded.settings, "export-histories", str(tmp_path), "--query", "NoSuchField = 'x'"
    )
    assert code == 2 and "the server refused the query" in err
