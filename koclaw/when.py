"""When a reminder is due: an ISO datetime, or a few natural phrases, parsed without guessing.

Accepted (case-insensitive; `now` and the zone decide the rest):
* ISO 8601: `2025-07-01T08:00`, `2025-07-01 08:00:00+09:00`, `2025-07-01` (09:00). Without an
  offset the time is read in the person's zone.
* Relative: `in 10 minutes`, `in 2 hours`, `in an hour`, `in 3 days`, `in 1h 30m`, `10分钟后`,
  `2小时后`, `10分後`, `2時間後`.
* A clock time: `at 20:00`, `at 8pm`, `8:30 am`, `20:00` -> its next occurrence (today, else tomorrow).
* A day and a time: `today 18:00`, `tonight 9pm`, `tomorrow 8am`, `tomorrow at 7:30`, `明天8点`.

Anything else is refused with a message that shows the accepted forms: a reminder at a guessed time
is worse than a question back to Sensei. The model is taught to prefer ISO.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta, tzinfo

from koclaw.errors import InputError


def utc_now() -> datetime:
    """The clock the scheduled services (reminders, check-ins, retrains) default to; tests pass their own."""
    return datetime.now(UTC)


FORMS = "an ISO time like 2025-07-01T08:00, 'in 10 minutes', 'at 20:00', 'at 8pm' or 'tomorrow 8am'"

_UNITS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
}
_CJK_UNITS = {"秒": 1, "分钟": 60, "分鐘": 60, "分": 60, "小时": 3600, "小時": 3600, "時間": 3600}
_CJK_UNITS |= {"天": 86400, "日": 86400}

_PART = re.compile(r"(\d+|an?|half an?)\s*([a-z]+)")
_RELATIVE = re.compile(r"^in\s+(.+)$")
_CJK_RELATIVE = re.compile(r"^(\d+)\s*(秒|分钟|分鐘|分|小时|小時|時間|天|日)\s*(后|後|以后|以後)$")
_CLOCK = re.compile(r"^(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")
_CJK_CLOCK = re.compile(r"^(\d{1,2})\s*[点點時](?:\s*(\d{1,2})\s*分?|半)?$")
_DAYS = {"today": 0, "tonight": 0, "tomorrow": 1, "今天": 0, "今日": 0, "明天": 1, "明日": 1}


def parse_when(text: str, now: datetime, zone: tzinfo) -> datetime:
    """The aware moment `text` names, read at `now` in `zone`; `InputError` when it is not understood."""
    if now.tzinfo is None:
        raise ValueError("parse_when needs an aware `now`")
    raw = " ".join(text.strip().split())
    if not raw:
        raise InputError(f"Say when: {FORMS}.")
    local_now = now.astimezone(zone)
    found = _iso(raw, zone)
    if found is None:
        found = _natural(raw.lower(), local_now, zone)
    if found is None:
        raise InputError(f"Cannot read the time {text!r}; use {FORMS}.")
    return found


def _iso(raw: str, zone: tzinfo) -> datetime | None:
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    except ValueError:
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        value = value.replace(hour=9)
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def _natural(raw: str, now: datetime, zone: tzinfo) -> datetime | None:
    relative = _RELATIVE.match(raw)
    if relative:
        seconds = _duration(relative.group(1))
        return None if seconds is None else now + timedelta(seconds=seconds)
    cjk = _CJK_RELATIVE.match(raw)
    if cjk:
        return now + timedelta(seconds=int(cjk.group(1)) * _CJK_UNITS[cjk.group(2)])
    day_word, rest = _split_day(raw)
    clock = _clock(rest)
    if clock is None:
        return None
    if day_word is None:  # a bare clock time: its next occurrence
        at = _on(now, 0, clock, zone)
        return at if at > now else _on(now, 1, clock, zone)
    if day_word == "tonight" and clock.hour < 12:
        clock = clock.replace(hour=clock.hour + 12)
    return _on(now, _DAYS[day_word], clock, zone)


def _duration(text: str) -> int | None:
    """Seconds in '10 minutes', 'an hour', '1h 30m', '2 hours and 5 minutes'; None if any part is not."""
    text = text.replace(" and ", " ").replace(",", " ").strip()
    total, pos = 0, 0
    for match in _PART.finditer(text):
        if text[pos : match.start()].strip():
            return None
        count, unit = match.groups()
        size = _UNITS.get(unit)
        if size is None:
            return None
        total += int(size * (0.5 if count.startswith("half") else 1 if count in ("a", "an") else int(count)))
        pos = match.end()
    if text[pos:].strip() or total <= 0:
        return None
    return total


def _split_day(raw: str) -> tuple[str | None, str]:
    for word in _DAYS:
        if raw.startswith(word):
            rest = raw[len(word) :].strip()
            return word, rest[3:].strip() if rest.startswith("at ") else rest
    return None, raw


def _clock(text: str) -> time | None:
    match = _CLOCK.match(text)
    if match:
        hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
        if half:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if half.startswith("p") else 0)
    else:
        match = _CJK_CLOCK.match(text)
        if not match:
            return None
        hour = int(match.group(1))
        minute = 30 if text.endswith("半") else int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _on(now: datetime, days: int, clock: time, zone: tzinfo) -> datetime:
    day = (now + timedelta(days=days)).date()
    return datetime.combine(day, clock, tzinfo=zone)
