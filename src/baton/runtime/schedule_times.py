"""What a schedule's times and policies are, read from what people write:
``--cron "0 2 * * *"``, ``--every 30m --offset 5m``, ``--timezone
Europe/Berlin``, ``--overlap skip``, ``--catchup 4h``, ``--from 2026-12-01``.
Pure: no server. The server checks cron fields and time zone names again (it
is the authority on both); its refusals are said the same way here
(:func:`spec_refusal`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any

from temporalio.client import (
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    ScheduleRange,
    ScheduleSpec,
)

from ..errors import InvalidRequestError

# what --overlap accepts, and what each is in Temporal
OVERLAP_POLICIES: dict[str, ScheduleOverlapPolicy] = {
    "skip": ScheduleOverlapPolicy.SKIP,
    "buffer": ScheduleOverlapPolicy.BUFFER_ONE,
    "buffer-all": ScheduleOverlapPolicy.BUFFER_ALL,
    "allow": ScheduleOverlapPolicy.ALLOW_ALL,
}
OVERLAP_NAMES = {policy: name for name, policy in OVERLAP_POLICIES.items()}
SCHEDULE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# the shortest interval and catch-up window the server takes
MIN_EVERY = timedelta(seconds=1)
MIN_CATCHUP = timedelta(seconds=10)
_UNITS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_HUMAN_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?[wdhms])+$")
_PART = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")
CRON_HINT = (
    "five fields: minute hour day-of-month month day-of-week, e.g. '0 2 * * *' "
    "(02:00 every day) or '*/15 9-17 * * mon-fri'"
)


def check_name(name: str) -> str:
    """A schedule's name: its id in Temporal and the start of its runs' ids."""
    if not SCHEDULE_NAME.match(name or ""):
        raise InvalidRequestError(
            f"schedule name {name!r}: use letters, digits, '.', '_' and '-' "
            "(at most 100, starting with a letter or digit)"
        )
    return name


def parse_duration(text: str, option: str) -> timedelta:
    """``90s``, ``30m``, ``1h30m``, ``1d``, ``2w`` — or ISO 8601 (``PT1H``)."""
    from ..plan.durations import duration_seconds

    raw = (text or "").strip().lower()
    if _HUMAN_DURATION.match(raw):
        seconds = sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(raw))
        return timedelta(seconds=seconds)
    if raw.startswith("p"):
        seconds_or_none, why = duration_seconds(raw.upper())
        if seconds_or_none is not None:
            return timedelta(seconds=seconds_or_none)
    raise InvalidRequestError(
        f"{option} {text!r} is not a duration: write it as 90s, 30m, 1h30m, 1d or 2w "
        "(or ISO 8601, PT1H)"
    )


def format_duration(value: timedelta | None) -> str | None:
    """A duration as :func:`parse_duration` reads it (``1d2h``, ``30m``)."""
    if value is None:
        return None
    seconds = value.total_seconds()
    if seconds == 0:
        return "0s"
    parts = []
    for unit in ("d", "h", "m"):
        count, seconds = divmod(seconds, _UNITS[unit])
        if count:
            parts.append(f"{int(count)}{unit}")
    if seconds:
        parts.append(f"{seconds:g}s")
    return "".join(parts)


def overlap_policy(name: str, option: str = "overlap") -> ScheduleOverlapPolicy:
    try:
        return OVERLAP_POLICIES[name]
    except KeyError:
        raise InvalidRequestError(
            f"{option} {name!r}: one of {', '.join(OVERLAP_POLICIES)}"
        ) from None


def zone(name: str | None) -> tzinfo:
    """The time zone of an IANA name (UTC without one)."""
    if not name:
        return timezone.utc
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError) as exc:  # ZoneInfoNotFoundError is a KeyError
        raise InvalidRequestError(unknown_zone(name)) from exc


def unknown_zone(name: str) -> str:
    return (
        f"unknown time zone {name!r}: give an IANA name such as Europe/Berlin, "
        "America/New_York or UTC"
    )


def parse_moment(text: str, option: str, tz: tzinfo = timezone.utc) -> datetime:
    """An ISO 8601 date or date-time; one without an offset is read in ``tz``
    (the schedule's time zone): ``2026-12-01`` is that day's midnight there."""
    raw = (text or "").strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, tzinfo=tz)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidRequestError(
            f"{option} {text!r} is not a date or time: write 2026-12-01, "
            "2026-12-01T02:00 or 2026-12-01T02:00:00+01:00"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


@dataclass
class ScheduleTimes:
    """When a schedule starts runs: the union of its cron expressions and
    its interval (``every``, shifted by ``offset``), read in ``timezone``,
    none before ``start_at`` nor after ``end_at``."""

    cron: list[str] = field(default_factory=list)
    every: timedelta | None = None
    offset: timedelta | None = None
    timezone: str | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None

    def check(self) -> None:
        if not self.cron and self.every is None:
            raise InvalidRequestError(
                "a schedule needs its times: --cron EXPR (several allowed) or --every DURATION"
            )
        for expression in self.cron:
            if len(expression.split()) not in (5, 6, 7) and not expression.startswith("@"):
                raise InvalidRequestError(
                    f"cron {expression!r} is not a cron expression: {CRON_HINT}"
                )
        if self.every is not None and self.every < MIN_EVERY:
            raise InvalidRequestError(f"every {format_duration(self.every)}: at least 1s")
        if self.offset is not None:
            if self.every is None:
                raise InvalidRequestError("offset shifts --every; give --every too")
            if not timedelta(0) <= self.offset < self.every:
                raise InvalidRequestError(
                    f"offset {format_duration(self.offset)}: from 0 up to less than every "
                    f"({format_duration(self.every)})"
                )
        zone(self.timezone)
        if self.start_at and self.end_at and self.end_at <= self.start_at:
            raise InvalidRequestError("the schedule's end must come after its start")

    def spec(self) -> ScheduleSpec:
        self.check()
        return ScheduleSpec(
            cron_expressions=list(self.cron),
            intervals=(
                [ScheduleIntervalSpec(every=self.every, offset=self.offset)]
                if self.every is not None
                else []
            ),
            time_zone_name=self.timezone,
            start_at=self.start_at,
            end_at=self.end_at,
        )

    @classmethod
    def of(cls, spec: ScheduleSpec) -> ScheduleTimes:
        """What a schedule's spec says. The server keeps cron expressions
        as calendars; they read back as cron (``@daily`` as ``0 0 * * *``)."""
        interval = spec.intervals[0] if spec.intervals else None
        return cls(
            cron=list(spec.cron_expressions) + [calendar_as_cron(c) for c in spec.calendars],
            every=interval.every if interval else None,
            offset=interval.offset if interval else None,
            timezone=spec.time_zone_name,
            start_at=spec.start_at,
            end_at=spec.end_at,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "cron": list(self.cron),
            "every": format_duration(self.every),
            "offset": format_duration(self.offset),
            "timezone": self.timezone or "UTC",
            "start_at": self.start_at.isoformat() if self.start_at else None,
            "end_at": self.end_at.isoformat() if self.end_at else None,
        }

    def summary(self) -> str:
        parts = [f"cron {c!r}" for c in self.cron]
        if self.every is not None:
            parts.append(
                f"every {format_duration(self.every)}"
                + (f" +{format_duration(self.offset)}" if self.offset else "")
            )
        return ", ".join(parts) + f" ({self.timezone or 'UTC'})"


# each cron field: its calendar attribute and the values "*" stands for
_CRON_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day_of_month", 1, 31),
    ("month", 1, 12),
    ("day_of_week", 0, 6),
)


def calendar_as_cron(calendar: ScheduleCalendarSpec) -> str:
    """A calendar as a cron expression: five fields, with seconds in front
    and a year after when the calendar has them (Temporal's 7 fields)."""
    fields = [_cron_field(calendar, name, low, high) for name, low, high in _CRON_FIELDS]
    seconds = _cron_field(calendar, "second", 0, 59)
    if seconds != "0" or calendar.year:
        years = _ranges_text(calendar.year, None, None) if calendar.year else "*"
        fields = [seconds, *fields, years]
    return " ".join(fields)


def _cron_field(calendar: ScheduleCalendarSpec, name: str, low: int, high: int) -> str:
    return _ranges_text(getattr(calendar, name), low, high)


def _ranges_text(ranges: Any, low: int | None, high: int | None) -> str:
    parts = []
    for item in ranges:
        item = item if isinstance(item, ScheduleRange) else ScheduleRange(item)
        end = max(item.end, item.start)
        step = item.step or 1
        if item.start == low and end == high:
            parts.append("*" if step == 1 else f"*/{step}")
        elif end == item.start:
            parts.append(str(item.start))
        else:
            parts.append(f"{item.start}-{end}" + (f"/{step}" if step != 1 else ""))
    return ",".join(parts) or "*"


def spec_refusal(message: str) -> str | None:
    """The server's refusal of a schedule spec said Baton's way (None when
    the message is about something else)."""
    prefix = "Invalid schedule spec: "
    if not message.startswith(prefix):
        return None
    reason = message[len(prefix) :]
    zone_name = re.match(r"unknown time zone (\S+)", reason)
    if zone_name:
        return unknown_zone(zone_name.group(1))
    if "interval" in reason:
        return f"the interval is refused by the server: {reason}"
    return f"the cron expression is refused by the server: {reason}; {CRON_HINT}"
