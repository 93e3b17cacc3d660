"""What people write for a schedule's times, read without a server:
durations, moments in a time zone, the overlap names, and the checks made
before anything is sent."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from temporalio.client import ScheduleCalendarSpec, ScheduleOverlapPolicy, ScheduleRange

from baton.errors import InvalidRequestError
from baton.runtime.schedule_times import (
    ScheduleTimes,
    calendar_as_cron,
    check_name,
    format_duration,
    overlap_policy,
    parse_duration,
    parse_moment,
    spec_refusal,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("30m", 1800),
        ("1h30m", 5400),
        ("1d", 86400),
        ("2w", 14 * 86400),
        ("1.5h", 5400),
        ("PT1H", 3600),
        ("P1DT2H", 93600),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text, "--every") == timedelta(seconds=seconds)
    assert (
        parse_duration(format_duration(timedelta(seconds=seconds)), "x").total_seconds() == seconds
    )


@pytest.mark.parametrize("text", ["", "5", "5 minutes", "1x", "P1M", "-1h"])
def test_what_is_no_duration(text):
    with pytest.raises(InvalidRequestError, match=f"--every {text!r} is not a duration"):
        parse_duration(text, "--every")


def test_moments_without_an_offset_are_read_in_the_time_zone():
    berlin = ZoneInfo("Europe/Berlin")
    assert parse_moment("2026-12-01", "--from", berlin) == datetime(2026, 12, 1, tzinfo=berlin)
    assert parse_moment("2026-07-01T02:00", "--from", berlin).utcoffset() == timedelta(hours=2)
    given = parse_moment("2026-07-01T02:00:00Z", "--from", berlin)
    assert given == datetime(2026, 7, 1, 2, tzinfo=timezone.utc)
    with pytest.raises(InvalidRequestError, match="--to 'yesterday' is not a date or time"):
        parse_moment("yesterday", "--to")


def test_overlap_names():
    assert overlap_policy("skip") == ScheduleOverlapPolicy.SKIP
    assert overlap_policy("buffer") == ScheduleOverlapPolicy.BUFFER_ONE
    assert overlap_policy("buffer-all") == ScheduleOverlapPolicy.BUFFER_ALL
    assert overlap_policy("allow") == ScheduleOverlapPolicy.ALLOW_ALL
    with pytest.raises(InvalidRequestError, match="one of skip, buffer, buffer-all, allow"):
        overlap_policy("cancel")


def test_names():
    assert check_name("nightly-train.v2_a") == "nightly-train.v2_a"
    for bad in ("", "-x", "a b", "a/b", "x" * 101):
        with pytest.raises(InvalidRequestError, match="schedule name"):
            check_name(bad)


@pytest.mark.parametrize(
    ("times", "said"),
    [
        (ScheduleTimes(), "needs its times"),
        (ScheduleTimes(cron=["every night"]), "is not a cron expression"),
        (ScheduleTimes(every=timedelta(milliseconds=500)), "at least 1s"),
        (ScheduleTimes(cron=["0 2 * * *"], offset=timedelta(hours=1)), "give --every too"),
        (ScheduleTimes(every=timedelta(hours=1), offset=timedelta(hours=2)), "less than every"),
        (ScheduleTimes(cron=["0 2 * * *"], timezone="Europe/Berln"), "unknown time zone"),
        (
            ScheduleTimes(
                cron=["0 2 * * *"],
                start_at=datetime(2027, 1, 2, tzinfo=timezone.utc),
                end_at=datetime(2027, 1, 1, tzinfo=timezone.utc),
            ),
            "end must come after its start",
        ),
    ],
)
def test_checks_before_anything_is_sent(times, said):
    with pytest.raises(InvalidRequestError, match=said):
        times.spec()


def test_a_spec_and_back():
    times = ScheduleTimes(
        cron=["0 2 * * *"],
        every=timedelta(days=1),
        offset=timedelta(hours=2),
        timezone="Europe/Berlin",
    )
    assert ScheduleTimes.of(times.spec()) == times
    assert times.summary() == "cron '0 2 * * *', every 1d +2h (Europe/Berlin)"


def test_calendars_read_back_as_cron():
    """The server keeps cron expressions as calendars (with ranges,
    steps and lists); they read back as cron."""
    assert (
        calendar_as_cron(ScheduleCalendarSpec(minute=[ScheduleRange(30)], hour=[ScheduleRange(6)]))
        == "30 6 * * *"
    )
    cal = ScheduleCalendarSpec(
        minute=[ScheduleRange(0, 59, 15)],
        hour=[ScheduleRange(9, 17)],
        day_of_week=[ScheduleRange(1, 5)],
        month=[ScheduleRange(1), ScheduleRange(7)],
    )
    assert calendar_as_cron(cal) == "*/15 9-17 * 1,7 1-5"
    with_seconds = ScheduleCalendarSpec(second=[ScheduleRange(30)], year=[ScheduleRange(2027)])
    assert calendar_as_cron(with_seconds) == "30 0 0 * * * 2027"


def test_the_servers_refusals_said_batons_way():
    assert "unknown time zone 'Mars/Base'" in (
        spec_refusal("Invalid schedule spec: unknown time zone Mars/Base") or ""
    )
    assert "Hour is not in range" in (
        spec_refusal("Invalid schedule spec: Hour is not in range [0-23]") or ""
    )
    assert spec_refusal("something else") is None
