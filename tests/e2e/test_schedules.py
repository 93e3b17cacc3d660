"""Schedules on the real Temporal dev server (`client.schedules`, the one
implementation under `baton schedule` and MCP): runs started by an interval,
trigger, pause and unpause, the overlap policies observed with runs that
wait for an event, cron over days proved by backfill (and across a DST
change), upcoming times across a DST change, update, delete, and what is
refused. Temporal's time-skipping test server has no Schedule API
(`test_the_time_skipping_server_has_no_schedules`), so days are covered by
backfills of past days and by the server's own list of next times."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from baton.errors import (
    DefinitionError,
    InvalidRequestError,
    ScheduleExistsError,
    ScheduleNotFoundError,
    ServerError,
    UnsupportedError,
)
from baton.runtime import TemporalWorkflowClient
from baton.runtime.schedule_times import ScheduleTimes
from baton.testing import until

pytestmark = pytest.mark.asyncio(loop_scope="session")


def process(name: str, *tasks: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "document": {"dsl": "1.0.3", "namespace": "sched", "name": name, "version": "1.0.0"},
        "do": list(tasks),
        **extra,
    }


# ends at once, with what it was given
QUICK = process("quick", {"echo": {"set": "${ {got: .} }"}})
# runs until it is sent the event `go`
HOLD = process("hold", {"hold": {"listen": {"to": {"one": {"with": {"type": "go"}}}}}})


class Book:
    """The test's schedules, on its worker's task queue; deleted at the end
    (and their waiting runs released) so nothing fires after the test."""

    def __init__(self, client: TemporalWorkflowClient) -> None:
        self.client = client
        self.names: list[str] = []

    def name(self, stem: str) -> str:
        made = f"{stem}-{uuid.uuid4().hex[:6]}"
        self.names.append(made)
        return made

    async def create(self, stem: str, document: dict[str, Any], times: ScheduleTimes, **kw: Any):
        name = self.name(stem)
        made = await self.client.schedules.create(name, document, times, **kw)
        return name, made

    async def describe(self, name: str) -> dict[str, Any]:
        return await self.client.schedules.describe(name)

    async def release(self, name: str) -> None:
        for workflow_id in (await self.describe(name))["running"]:
            await self.client.send_event("go", workflow_id=workflow_id)


@pytest_asyncio.fixture(loop_scope="session")
async def book(baton: Any) -> AsyncIterator[Book]:
    book = Book(baton.client)
    try:
        yield book
    finally:
        for name in book.names:
            try:
                await book.release(name)
                await book.client.schedules.delete(name)
            except ScheduleNotFoundError:
                pass


async def test_an_interval_starts_runs_and_describe_shows_them_with_their_status(book):
    name, made = await book.create(
        "every", QUICK, ScheduleTimes(every=timedelta(seconds=1)), input={"n": 7}
    )
    assert made["kind"] == "process" and made["definition"] == "quick"

    async def two_completed() -> list[dict[str, Any]]:
        runs = (await book.describe(name))["recent_runs"]
        done = [run for run in runs if run["status"] == "COMPLETED"]
        return done if len(done) >= 2 else []

    done = await until(two_completed, timeout=30)
    first = done[0]
    assert first["workflow_id"].startswith(f"{name}-") and first["workflow_id"].endswith("Z")
    assert first["run_id"]
    # an ordinary Baton run, started with the pinned plan and input
    status = await book.client.status(first["workflow_id"])
    assert status["status"] == "COMPLETED" and status["output"] == {"got": {"n": 7}}
    described = await book.describe(name)
    assert described["times"]["every"] == "1s" and described["input"] == {"n": 7}
    assert described["task_queue"] == book.client.settings.task_queue
    assert described["paused"] is False and described["actions"] >= 2
    nexts = [datetime.fromisoformat(t) for t in described["next_runs"]]
    assert nexts == sorted(nexts) and all(
        b - a == timedelta(seconds=1) for a, b in zip(nexts, nexts[1:], strict=False)
    )
    listed = await book.client.list_runs(query=f"TemporalScheduledById = '{name}'")
    assert listed and all(row["kind"] == "process" and row["name"] == "quick" for row in listed)


async def test_pause_stops_runs_until_unpause(book):
    name, _ = await book.create("pause", QUICK, ScheduleTimes(every=timedelta(seconds=1)))

    async def started() -> int:
        return int((await book.describe(name))["actions"])

    await until(started)
    paused = await book.client.schedules.pause(name, "GPU maintenance")
    assert paused == {"name": name, "paused": True, "note": "GPU maintenance"}
    described = await book.describe(name)
    assert described["paused"] is True and described["note"] == "GPU maintenance"
    await asyncio.sleep(1)  # a start the server was making as it paused
    before = await book.describe(name)
    count = before["actions"]
    await asyncio.sleep(4.5)  # four and a half due times pass
    assert (await book.describe(name))["actions"] == count

    await book.client.schedules.unpause(name, "maintenance over")
    described = await book.describe(name)
    assert described["paused"] is False and described["note"] == "maintenance over"

    async def more() -> bool:
        return bool((await book.describe(name))["actions"] > count)

    await until(more, timeout=15)
    await asyncio.sleep(1)
    after = await book.describe(name)
    # the times that passed while paused are not run (nor skipped) on unpause
    acted = after["actions"] + after["skipped_overlap"] + after["missed_catchup"]
    assert acted - (count + before["skipped_overlap"] + before["missed_catchup"]) <= 3


async def test_trigger_with_overlap_skip_buffer_and_allow(book):
    yearly = ScheduleTimes(cron=["0 0 1 1 *"])  # nothing due during the test
    schedules = book.client.schedules

    name, _ = await book.create("skip", HOLD, yearly, overlap="skip")
    first = await schedules.trigger(name)
    assert first["outcome"] == "started" and first["workflow_id"].startswith(name)
    second = await schedules.trigger(name)
    assert second == {"name": name, "outcome": "skipped", "running": [first["workflow_id"]]}
    described = await book.describe(name)
    assert described["skipped_overlap"] == 1 and described["running"] == [first["workflow_id"]]
    assert [run["status"] for run in described["recent_runs"]] == ["RUNNING"]
    # an override for one trigger: allow, though the schedule skips
    await asyncio.sleep(1.1)  # (a run's id ends with the second it was due)
    third = await schedules.trigger(name, overlap="allow")
    assert third["outcome"] == "started" and third["workflow_id"] != first["workflow_id"]
    assert len((await book.describe(name))["running"]) == 2

    name, _ = await book.create("buffer", HOLD, yearly, overlap="buffer")
    first = await schedules.trigger(name)
    assert first["outcome"] == "started"
    assert (await schedules.trigger(name))["outcome"] == "buffered"
    assert (await book.describe(name))["buffered"] == 1
    await book.client.send_event("go", workflow_id=first["workflow_id"])

    async def buffered_started() -> dict[str, Any] | None:
        described = await book.describe(name)
        runs = described["recent_runs"]
        return described if len(runs) == 2 and described["buffered"] == 0 else None

    described = await until(buffered_started)
    assert [run["status"] for run in described["recent_runs"]] == ["COMPLETED", "RUNNING"]

    name, _ = await book.create("allow", HOLD, yearly, overlap="allow")
    first = await schedules.trigger(name)
    # a run's id is the schedule's name and the second it was due: two
    # triggers in one second would make the same id
    await asyncio.sleep(1.1)
    second = await schedules.trigger(name)
    assert first["outcome"] == second["outcome"] == "started"
    assert first["workflow_id"] != second["workflow_id"]
    assert sorted((await book.describe(name))["running"]) == sorted(
        [first["workflow_id"], second["workflow_id"]]
    )


def last_transition(tz: ZoneInfo, before: datetime) -> datetime:
    """The last daylight-saving change in ``tz`` before ``before`` (a day
    whose UTC offset differs from the day before's)."""
    day = before.astimezone(tz).replace(hour=12, minute=0, second=0, microsecond=0)
    for _ in range(400):
        previous = day - timedelta(days=1)
        if previous.utcoffset() != day.utcoffset():
            return day
        day = previous
    raise AssertionError("no DST change in 400 days")


async def test_cron_over_days_backfilled_runs_once_a_day_at_local_time(book):
    berlin = ZoneInfo("Europe/Berlin")
    name, _ = await book.create(
        "nightly", QUICK, ScheduleTimes(cron=["0 2 * * *"], timezone="Europe/Berlin")
    )
    today = datetime.now(berlin).replace(hour=0, minute=0, second=0, microsecond=0)
    start, end = today - timedelta(days=4), today - timedelta(days=1)
    await book.client.schedules.backfill(name, start, end)

    async def three_done() -> list[dict[str, Any]] | None:
        runs = (await book.describe(name))["recent_runs"]
        return runs if len(runs) == 3 and all(r["status"] == "COMPLETED" for r in runs) else None

    runs = await until(three_done)
    await asyncio.sleep(1)
    assert len((await book.describe(name))["recent_runs"]) == 3  # exactly three
    due = [datetime.fromisoformat(run["scheduled_at"]) for run in runs]
    expected = [(start + timedelta(days=d)).replace(hour=2) for d in range(3)]
    assert [d.astimezone(berlin).isoformat() for d in due] == [e.isoformat() for e in expected]
    # the run ids carry the UTC time each was due
    for run, moment in zip(runs, expected, strict=True):
        utc = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert run["workflow_id"] == f"{name}-{utc}"


async def test_backfill_across_a_dst_change_keeps_the_local_hour(book):
    berlin = ZoneInfo("Europe/Berlin")
    name, _ = await book.create(
        "dst", QUICK, ScheduleTimes(cron=["0 9 * * *"], timezone="Europe/Berlin")
    )
    change = last_transition(berlin, datetime.now(timezone.utc) - timedelta(days=2))
    start = (change - timedelta(days=2)).replace(hour=0)
    await book.client.schedules.backfill(name, start, start + timedelta(days=4))

    async def four_done() -> list[dict[str, Any]] | None:
        runs = (await book.describe(name))["recent_runs"]
        return runs if len(runs) == 4 and all(r["status"] == "COMPLETED" for r in runs) else None

    runs = await until(four_done)
    due = [datetime.fromisoformat(run["scheduled_at"]) for run in runs]
    assert [d.astimezone(berlin).hour for d in due] == [9, 9, 9, 9]
    utc_hours = [d.astimezone(timezone.utc).hour for d in due]
    assert utc_hours[0] == utc_hours[1] != utc_hours[2] == utc_hours[3]  # the offset changed


async def test_next_run_times_across_the_next_dst_change(book):
    new_york = ZoneInfo("America/New_York")
    now = datetime.now(timezone.utc)
    change = last_transition(new_york, now + timedelta(days=400))
    assert change > now
    name, _ = await book.create(
        "upcoming",
        QUICK,
        ScheduleTimes(
            cron=["30 6 * * 1-5"],
            timezone="America/New_York",
            start_at=change - timedelta(days=7),
        ),
        paused=True,
    )
    described = await book.describe(name)
    assert described["times"]["cron"] == ["30 6 * * 1-5"]
    nexts = [datetime.fromisoformat(t) for t in described["next_runs"]]
    assert len(nexts) == 10
    assert all(t.astimezone(new_york).strftime("%H:%M") == "06:30" for t in nexts)
    assert all(t.astimezone(new_york).weekday() < 5 for t in nexts)
    assert len({t.utcoffset() for t in nexts}) == 2  # before and after the change
    assert len({t.astimezone(timezone.utc).hour for t in nexts}) == 2


async def test_update_pins_a_new_plan_and_changes_times(book):
    name, _ = await book.create(
        "update", QUICK, ScheduleTimes(cron=["0 3 * * *"]), input={"v": 1}, paused=True
    )
    newer = process("quick-v2", {"echo": {"set": "${ {v2: .} }"}})
    await book.client.schedules.update(
        name, document=newer, cron=["15 4 * * *"], timezone_name="Asia/Tokyo", overlap="buffer"
    )
    described = await book.describe(name)
    assert described["definition"] == "quick-v2" and described["input"] == {"v": 1}
    assert described["times"]["cron"] == ["15 4 * * *"]
    assert described["times"]["timezone"] == "Asia/Tokyo" and described["overlap"] == "buffer"
    assert described["paused"] is True
    await book.client.schedules.update(name, input={"v": 2}, catchup=timedelta(hours=4))
    started = await book.client.schedules.trigger(name)
    result = await asyncio.wait_for(book.client.result(started["workflow_id"]), 60)
    assert result["output"] == {"v2": {"v": 2}}
    assert (await book.describe(name))["catchup"] == "4h"


async def test_list_shows_baton_schedules_and_delete_removes_one(book):
    name, _ = await book.create("listed", QUICK, ScheduleTimes(cron=["0 5 * * *"]), paused=True)

    async def listed() -> dict[str, Any] | None:
        rows = await book.client.schedules.list()
        return next((row for row in rows if row["name"] == name), None)

    row = await until(listed)
    assert row["definition"] == "quick" and row["kind"] == "process" and row["paused"] is True
    assert row["times"] == "cron '0 5 * * *' (UTC)"
    assert (await book.client.schedules.delete(name))["deleted"] is True
    with pytest.raises(ScheduleNotFoundError, match=f"no schedule named '{name}'"):
        await book.describe(name)


async def test_what_is_refused(book, baton):
    schedules = baton.client.schedules
    daily = ScheduleTimes(cron=["0 2 * * *"])
    name, _ = await book.create("twice", QUICK, daily, paused=True)
    with pytest.raises(ScheduleExistsError, match="exists already"):
        await schedules.create(name, QUICK, daily)
    for call in (
        schedules.describe("no-such-schedule"),
        schedules.pause("no-such-schedule"),
        schedules.trigger("no-such-schedule"),
        schedules.delete("no-such-schedule"),
    ):
        with pytest.raises(ScheduleNotFoundError):
            await call
    # the server is the authority on cron fields: said Baton's way
    with pytest.raises(InvalidRequestError, match="Hour is not in range"):
        await schedules.create(book.name("cron"), QUICK, ScheduleTimes(cron=["0 25 * * *"]))
    with pytest.raises(InvalidRequestError, match="unknown time zone 'Mars/Base'"):
        await schedules.create(
            book.name("tz"), QUICK, ScheduleTimes(cron=["0 2 * * *"], timezone="Mars/Base")
        )
    with pytest.raises(InvalidRequestError, match="needs its times"):
        await schedules.create(book.name("none"), QUICK, ScheduleTimes())
    with pytest.raises(InvalidRequestError, match="schedule name"):
        await schedules.create("no spaces", QUICK, daily)
    # validated as `baton run` validates: nothing is created
    with pytest.raises(DefinitionError):
        await schedules.create(book.name("bad"), process("bad", {"x": {"nope": 1}}), daily)
    approval = {
        "kind": "approval",
        "stage": "release",
        "description": "ship it?",
        "stages": [{"name": "review", "approvers": ["ada@example.com"]}],
    }
    with pytest.raises(UnsupportedError, match="approval"):
        await schedules.create(book.name("approval"), approval, daily)
    # the input schema is checked once, at creation
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "examples" / "gpu_training_window.yaml"
    with pytest.raises(DefinitionError, match="the input does not match"):
        await schedules.create_file(book.name("gpu"), example, daily, input={"epochs": 1})
    # the execution policy of the entry point: an MCP caller may not schedule code
    mcp = TemporalWorkflowClient(baton.settings, temporal=baton.client.temporal, via="mcp")
    shell = process("sh", {"sh": {"run": {"shell": {"command": "id"}}}})
    with pytest.raises(DefinitionError, match="may not come from mcp"):
        await mcp.schedules.create(book.name("mcp"), shell, daily)
    assert [row for row in await schedules.list() if row["name"].startswith("mcp-")] == []


async def test_the_time_skipping_server_has_no_schedules(skipping):
    """Temporal's time-skipping test server does not implement the Schedule
    API: Baton says so instead of a traceback. (When it does, move the
    cron-over-days test there.)"""
    with pytest.raises(ServerError, match="unimplemented"):
        await skipping.schedules.create(
            f"ts-{uuid.uuid4().hex[:6]}", QUICK, ScheduleTimes(cron=["0 2 * * *"])
        )


async def test_cron_expressions_read_back_as_the_server_keeps_them(book):
    name, _ = await book.create(
        "forms",
        QUICK,
        ScheduleTimes(cron=["*/15 9-17 * * mon-fri", "@daily", "0 0 1,15 * *"]),
        paused=True,
    )
    described = await book.describe(name)
    assert described["times"]["cron"] == ["*/15 9-17 * * 1-5", "0 0 * * *", "0 0 1,15 * *"]
    # and an update that changes something else keeps them exactly
    await book.client.schedules.update(name, overlap="allow")
    assert (await book.describe(name))["times"]["cron"] == described["times"]["cron"]


def next_transitions(tz: ZoneInfo, after: datetime) -> list[datetime]:
    """The next two daylight-saving changes in ``tz`` (noon of each day
    whose UTC offset differs from the day before's): one of each kind."""
    found, day = [], after.astimezone(tz).replace(hour=12, minute=0, second=0, microsecond=0)
    while len(found) < 2:
        day += timedelta(days=1)
        if (day - timedelta(days=1)).utcoffset() != day.utcoffset():
            found.append(day)
    return found


async def test_a_local_time_that_dst_skips_or_repeats(book):
    """02:30 in Berlin: on the spring change it does not exist (no run that
    day); on the autumn change it happens twice (one run, the later)."""
    berlin = ZoneInfo("Europe/Berlin")
    for change in next_transitions(berlin, datetime.now(timezone.utc)):
        name, _ = await book.create(
            "dst-edge",
            QUICK,
            ScheduleTimes(
                cron=["30 2 * * *"], timezone="Europe/Berlin", start_at=change - timedelta(days=2)
            ),
            paused=True,
        )
        nexts = [datetime.fromisoformat(t) for t in (await book.describe(name))["next_runs"]]
        on_the_day = [t for t in nexts if t.date() == change.date()]
        spring = change.utcoffset() > (change - timedelta(days=1)).utcoffset()
        if spring:
            assert on_the_day == []
        else:
            assert len(on_the_day) == 1 and on_the_day[0].utcoffset() == change.utcoffset()
        assert all(t.strftime("%H:%M") == "02:30" for t in nexts)
