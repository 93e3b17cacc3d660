"""`baton schedule …` run as a user runs it (a subprocess) against the
session's real Temporal server, with a worker on the test's task queue."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from baton.errors import ScheduleNotFoundError
from baton.testing import until
from tests.support.cli import baton_cli

pytestmark = pytest.mark.asyncio(loop_scope="session")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def write_process(tmp_path: Path, name: str, *tasks: dict[str, Any]) -> Path:
    path = tmp_path / f"{name}.yaml"
    document = {
        "document": {"dsl": "1.0.3", "namespace": "cli", "name": name, "version": "1.0.0"},
        "do": list(tasks),
    }
    path.write_text(yaml.safe_dump(document))
    return path


async def cleanup(client: Any, *names: str) -> None:
    for name in names:
        try:
            for workflow_id in (await client.schedules.describe(name))["running"]:
                await client.send_event("go", workflow_id=workflow_id)
            await client.schedules.delete(name)
        except ScheduleNotFoundError:
            pass


async def test_create_describe_trigger_pause_list_delete(baton, tmp_path):
    quick = write_process(tmp_path, "echo", {"echo": {"set": "${ {got: .} }"}})
    name = f"cli-{uuid.uuid4().hex[:6]}"
    cli = baton.settings
    try:
        code, out, err = await baton_cli(
            cli, "schedule", "create", name, str(quick), "--every", "1s", "--input", '{"n": 1}'
        )
        assert code == 0, err
        assert f"scheduled {name}: process 'echo', every 1s (UTC)" in out
        assert "next run: " in out

        async def completed_run() -> dict[str, Any] | None:
            code, out, _ = await baton_cli(cli, "schedule", "describe", name, "--json")
            described = json.loads(out)
            done = [r for r in described["recent_runs"] if r["status"] == "COMPLETED"]
            return done[0] if code == 0 and done else None

        run = await until(completed_run, timeout=60)
        code, out, _ = await baton_cli(cli, "status", run["workflow_id"], "--json")
        assert code == 0 and json.loads(out)["output"] == {"got": {"n": 1}}

        code, out, err = await baton_cli(
            cli, "schedule", "pause", name, "--note", "GPU maintenance"
        )
        assert code == 0 and f"paused {name}: GPU maintenance" in out, err
        code, out, _ = await baton_cli(cli, "schedule", "describe", name)
        assert code == 0
        assert "state: paused — GPU maintenance" in out and "every 1s in UTC" in out
        assert run["workflow_id"] in out and "COMPLETED" in out

        async def recent_ids() -> set[str]:
            code, out, _ = await baton_cli(cli, "schedule", "describe", name, "--json")
            assert code == 0
            return {r.get("workflow_id") for r in json.loads(out).get("recent_runs") or []}

        before = await recent_ids()
        # a paused schedule can still be triggered by hand
        code, out, err = await baton_cli(cli, "schedule", "trigger", name, "--json")
        assert code == 0, err
        started = json.loads(out)
        if started["outcome"] == "requested":
            # a loaded server may act on the trigger after the command stopped
            # watching (10 s); the run still comes
            async def triggered() -> Any:
                fresh = sorted(await recent_ids() - before)
                return {"workflow_id": fresh[-1]} if fresh else None

            started = {"outcome": "started", **await until(triggered, timeout=60)}
        assert started["outcome"] == "started" and started["workflow_id"].startswith(name)

        code, out, _ = await baton_cli(cli, "schedule", "list")
        assert code == 0 and name in out and "paused" in out

        code, out, _ = await baton_cli(cli, "schedule", "unpause", name)
        assert code == 0 and f"unpaused {name}" in out

        code, out, _ = await baton_cli(cli, "schedule", "delete", name)
        assert code == 0 and f"deleted schedule {name}" in out
        code, out, err = await baton_cli(cli, "schedule", "describe", name)
        assert code == 1 and f"no schedule named '{name}'" in err
        assert "Traceback" not in out + err
    finally:
        await cleanup(baton.client, name)


async def test_backfill_from_the_cli_runs_three_nights_at_two(baton, tmp_path):
    quick = write_process(tmp_path, "nightly", {"echo": {"set": {"ok": True}}})
    name = f"cli-nightly-{uuid.uuid4().hex[:6]}"
    berlin = ZoneInfo("Europe/Berlin")
    today = datetime.now(berlin).date()
    first, last = today - timedelta(days=4), today - timedelta(days=1)
    try:
        code, _, err = await baton_cli(
            baton.settings,
            "schedule",
            "create",
            name,
            str(quick),
            "--cron",
            "0 2 * * *",
            "--timezone",
            "Europe/Berlin",
        )
        assert code == 0, err
        code, out, err = await baton_cli(
            baton.settings,
            "schedule",
            "backfill",
            name,
            "--from",
            first.isoformat(),
            "--to",
            last.isoformat(),
        )
        assert code == 0 and "backfill of" in out, err

        async def three_completed() -> list[dict[str, Any]] | None:
            runs = (await baton.client.schedules.describe(name))["recent_runs"]
            return (
                runs if len(runs) == 3 and all(r["status"] == "COMPLETED" for r in runs) else None
            )

        runs = await until(three_completed, timeout=60)
        due = [datetime.fromisoformat(r["scheduled_at"]).astimezone(berlin) for r in runs]
        assert [(d.date(), d.hour, d.minute) for d in due] == [
            (first + timedelta(days=n), 2, 0) for n in range(3)
        ]
    finally:
        await cleanup(baton.client, name)


async def test_trigger_skipped_exits_1(baton, tmp_path):
    hold = write_process(
        tmp_path, "hold", {"hold": {"listen": {"to": {"one": {"with": {"type": "go"}}}}}}
    )
    name = f"cli-skip-{uuid.uuid4().hex[:6]}"
    try:
        code, _, err = await baton_cli(
            baton.settings, "schedule", "create", name, str(hold), "--cron", "0 0 1 1 *"
        )
        assert code == 0, err
        code, out, _ = await baton_cli(baton.settings, "schedule", "trigger", name)
        assert code == 0 and f"started {name}-" in out
        code, out, _ = await baton_cli(baton.settings, "schedule", "trigger", name)
        assert code == 1 and "skipped:" in out and "the overlap policy is skip" in out
    finally:
        await cleanup(baton.client, name)


async def test_errors_are_said_with_their_exit_code(baton, tmp_path):
    quick = write_process(tmp_path, "quick", {"a": {"set": {"ok": True}}})
    name = f"cli-err-{uuid.uuid4().hex[:6]}"
    cli = baton.settings
    cases = [
        # (arguments, exit code, what stderr says)
        (("--cron", "0 25 * * *"), 2, "Hour is not in range [0-23]"),
        (("--cron", "every day"), 2, "is not a cron expression: five fields"),
        (("--cron", "0 2 * * *", "--timezone", "Mars/Base"), 2, "unknown time zone 'Mars/Base'"),
        (("--every", "5 minutes"), 2, "--every '5 minutes' is not a duration"),
        ((), 2, "a schedule needs its times"),
        (("--every", "1d", "--overlap", "sometimes"), 2, "'sometimes' is not one of"),
        (("--every", "1d", "--catchup", "1s"), 2, "catchup 1s: at least 10s"),
    ]
    try:
        for arguments, exit_code, said in cases:
            code, out, err = await baton_cli(
                cli, "schedule", "create", name, str(quick), *arguments
            )
            assert code == exit_code and said in err, (arguments, code, err)
            assert "Traceback" not in out + err
        # a definition that is not valid: nothing is scheduled
        bad = tmp_path / "bad.yaml"
        bad.write_text("document: {dsl: '1.0.3', namespace: x, name: y, version: '1'}\ndo: []\n")
        code, _, err = await baton_cli(cli, "schedule", "create", name, str(bad), "--every", "1d")
        assert code == 2 and str(bad) in err
        code, _, err = await baton_cli(
            cli, "schedule", "create", name, str(EXAMPLES / "gpu_training_window.yaml"),
            "--every", "1d",
        )  # fmt: skip
        assert code == 2 and "the input does not match" in err
        code, _, err = await baton_cli(
            cli, "schedule", "create", name, str(quick), "--every", "1d", "--paused"
        )
        assert code == 0, err
        code, _, err = await baton_cli(cli, "schedule", "create", name, str(quick), "--every", "1d")
        assert code == 1 and f"a schedule named '{name}' exists already" in err
        for command in ("describe", "pause", "unpause", "trigger", "delete"):
            code, _, err = await baton_cli(cli, "schedule", command, "no-such-schedule")
            assert code == 1 and "no schedule named 'no-such-schedule'" in err, command
    finally:
        await cleanup(baton.client, name)


async def test_server_down_exits_3(server_env, tmp_path):
    from dataclasses import replace

    from baton.testing import free_port

    quick = write_process(tmp_path, "quick", {"a": {"set": {"ok": True}}})
    down = replace(server_env.settings, temporal_address=f"127.0.0.1:{free_port()}")
    code, _, err = await baton_cli(
        down, "schedule", "create", "nowhere", str(quick), "--every", "1d"
    )
    assert code == 3 and "cannot reach Temporal" in err
    code, _, err = await baton_cli(down, "schedule", "list")
    assert code == 3 and "cannot reach Temporal" in err
