"""Dates, times, date-times and durations: reading them from ISO 8601
text, writing them back as FEEL's ``string()`` does, and the calendar
arithmetic FEEL defines between them.

Years run from 1 to 9999 (Python's calendar); a value outside gives null.
Fractional seconds keep microseconds. Zone names (``@Europe/Paris``) are
resolved with the standard library's ``zoneinfo``, from the worker's time
zone database: the one input to FEEL that is not in the expression or its
scope (a rule change in the database can move a zoned time by the change).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from .values import DaysTime, Time, YearsMonths

_DATE = re.compile(r"(-?\d{4,9})-(\d\d)-(\d\d)\Z")
_TIME = re.compile(
    r"(\d\d):(\d\d):(\d\d)(\.\d+)?"
    r"(?:(Z)|([+-])(\d\d):(\d\d)(?::(\d\d))?|@([A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*))?\Z"
)
_DURATION = re.compile(
    r"(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?\Z"
)
UTC = dt.timezone.utc
DAY = 86400
MAX_OFFSET = dt.timedelta(hours=14)


# ---- reading -------------------------------------------------------------


def parse_date(text: str) -> dt.date | None:
    match = _DATE.match(text)
    if not match:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _zone(match: re.Match[str]) -> dt.tzinfo | str | None | bool:
    """The zone of a time match: a tzinfo, a zone name, None (local), or
    False (invalid)."""
    if match[5]:
        return UTC
    if match[6]:
        offset = dt.timedelta(
            hours=int(match[7]), minutes=int(match[8]), seconds=int(match[9] or 0)
        )
        if offset > MAX_OFFSET:
            return False
        return dt.timezone(-offset if match[6] == "-" else offset)
    if match[10]:
        return match[10]
    return None


def _clock(match: re.Match[str]) -> tuple[dt.time, bool] | None:
    """The wall-clock time of a match and whether it was 24:00:00."""
    hour, minute, second = int(match[1]), int(match[2]), int(match[3])
    # milliseconds, as the DMN TCK compares times (10:30:00.0001 = 10:30:00.0002)
    micro = int((match[4] or ".0")[1:4].ljust(3, "0")) * 1000
    if hour == 24 and minute == second == micro == 0:
        return dt.time(0, 0), True
    try:
        return dt.time(hour, minute, second, micro), False
    except ValueError:
        return None


def zone_info(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ValueError, OSError, KeyError):  # unknown, malformed or unreadable zone
        return None


def parse_time(text: str) -> Time | None:
    match = _TIME.match(text)
    if not match:
        return None
    clock = _clock(match)
    zone = _zone(match)
    if clock is None or zone is False:
        return None
    if isinstance(zone, str):
        return Time(clock[0], zone=zone) if zone_info(zone) else None
    offset = zone.utcoffset(None) if isinstance(zone, dt.tzinfo) else None
    return Time(clock[0], offset=offset)


def parse_date_time(text: str) -> dt.datetime | None:
    """A date and time from ``2020-01-01T10:00:00[zone]``, or from a bare
    date (midnight)."""
    if "T" not in text:
        day = parse_date(text)
        return None if day is None else dt.datetime(day.year, day.month, day.day)
    day_text, _, time_text = text.partition("T")
    day = parse_date(day_text)
    match = _TIME.match(time_text)
    if day is None or not match:
        return None
    clock = _clock(match)
    zone = _zone(match)
    if clock is None or zone is False:
        return None
    tzinfo = zone_info(zone) if isinstance(zone, str) else zone
    if isinstance(zone, str) and tzinfo is None:
        return None
    value = dt.datetime.combine(day, clock[0], tzinfo=tzinfo)  # type: ignore[arg-type]
    if clock[1]:
        try:
            value += dt.timedelta(days=1)
        except OverflowError:
            return None
    return value


def parse_duration(text: str) -> DaysTime | YearsMonths | None:
    match = _DURATION.match(text)
    if not match or text.endswith(("P", "T")):
        return None
    sign = -1 if match[1] else 1
    years, months = int(match[2] or 0), int(match[3] or 0)
    day_parts = match[4], match[5], match[6], match[7]
    if (match[2] or match[3]) and any(day_parts):
        return None  # FEEL has no duration of both kinds
    if match[2] or match[3]:
        return YearsMonths(sign * (years * 12 + months))
    days, hours, minutes = (int(part or 0) for part in day_parts[:3])
    seconds = Decimal(match[7] or 0) + minutes * 60 + hours * 3600 + days * DAY
    return DaysTime(sign * seconds)


# ---- writing --------------------------------------------------------------


def _seconds_text(seconds: int, micro: int) -> str:
    text = f"{seconds:02d}"
    return text + (f".{micro:06d}".rstrip("0") if micro else "")


def _offset_text(offset: dt.timedelta) -> str:
    if not offset:
        return "Z"
    sign = "-" if offset < dt.timedelta(0) else "+"
    total = int(abs(offset).total_seconds())
    text = f"{sign}{total // 3600:02d}:{total % 3600 // 60:02d}"
    return text + (f":{total % 60:02d}" if total % 60 else "")


def format_date(value: dt.date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _clock_text(value: dt.time | dt.datetime) -> str:
    return f"{value.hour:02d}:{value.minute:02d}:" + _seconds_text(value.second, value.microsecond)


def format_time(value: Time) -> str:
    text = _clock_text(value.clock)
    if value.zone:
        return f"{text}@{value.zone}"
    return text + ("" if value.offset is None else _offset_text(value.offset))


def format_date_time(value: dt.datetime) -> str:
    text = f"{format_date(value)}T{_clock_text(value)}"
    if isinstance(value.tzinfo, ZoneInfo):
        return f"{text}@{value.tzinfo.key}"
    offset = value.utcoffset()
    return text + ("" if offset is None else _offset_text(offset))


def _decimal_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def format_duration(value: DaysTime | YearsMonths) -> str:
    if isinstance(value, YearsMonths):
        sign = "-" if value.months < 0 else ""
        years, months = divmod(abs(value.months), 12)
        if not years and not months:
            return "P0M"
        return f"{sign}P" + (f"{years}Y" if years else "") + (f"{months}M" if months else "")
    sign = "-" if value.seconds < 0 else ""
    total = abs(value.seconds)
    whole = int(total)
    fraction = total - whole
    days, rest = divmod(whole, DAY)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    clock = (
        (f"{hours}H" if hours else "")
        + (f"{minutes}M" if minutes else "")
        + (f"{_decimal_text(seconds + fraction)}S" if seconds or fraction else "")
    )
    if not days and not clock:
        return "PT0S"
    return f"{sign}P" + (f"{days}D" if days else "") + (f"T{clock}" if clock else "")


# ---- arithmetic -----------------------------------------------------------


def timedelta(duration: DaysTime) -> dt.timedelta | None:
    try:
        micros = int((duration.seconds * 1_000_000).to_integral_value())
        return dt.timedelta(microseconds=micros)
    except (OverflowError, InvalidOperation):
        return None


def seconds(delta: dt.timedelta) -> Decimal:
    return Decimal(delta.days * DAY + delta.seconds) + Decimal(delta.microseconds).scaleb(-6)


def add_months(value: dt.date, months: int) -> dt.date | None:
    """``value`` moved by ``months``, the day clamped to the month's end
    (2020-01-31 + P1M is 2020-02-29)."""
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        return None
    last = _month_length(year, month + 1)
    return value.replace(year=year, month=month + 1, day=min(value.day, last))


def _month_length(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (dt.date(year, month + 1, 1) - dt.timedelta(days=1)).day


def shift(value: dt.datetime, delta: dt.timedelta) -> dt.datetime | None:
    """``value`` moved by an exact span of time (through UTC when zoned, so
    a day across a daylight-saving change is 24 hours)."""
    try:
        if isinstance(value.tzinfo, ZoneInfo):
            return (value.astimezone(UTC) + delta).astimezone(value.tzinfo)
        return value + delta
    except OverflowError:
        return None


def shift_time(value: Time, delta: dt.timedelta) -> Time:
    start = dt.datetime.combine(dt.date(2000, 1, 1), value.clock)
    moved = start + dt.timedelta(seconds=delta.total_seconds() % DAY)
    return Time(moved.time(), value.offset, value.zone)


def time_seconds(value: Time) -> Decimal | None:
    """Seconds since midnight UTC of a time with an offset, or since
    midnight of a local time; None for a time in a named zone."""
    clock = value.clock
    total = Decimal(clock.hour * 3600 + clock.minute * 60 + clock.second)
    total += Decimal(clock.microsecond).scaleb(-6)
    if value.zone:
        return None
    if value.offset is not None:
        total = (total - seconds(value.offset)) % DAY
    return total
