"""`parse_when`: the phrases reminders accept, read at a fixed clock, and the ones refused."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from koclaw.errors import InputError
from koclaw.when import parse_when

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2030, 7, 1, 21, 0, tzinfo=TOKYO)  # a Monday evening


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in 10 minutes", "2030-07-01T21:10"),
        ("In an hour", "2030-07-01T22:00"),
        ("in half an hour", "2030-07-01T21:30"),
        ("in 1h 30m", "2030-07-01T22:30"),
        ("in 2 hours and 5 minutes", "2030-07-01T23:05"),
        ("in 3 days", "2030-07-04T21:00"),
        ("at 22:15", "2030-07-01T22:15"),
        ("at 20:00", "2030-07-02T20:00"),  # passed today: tomorrow's
        ("at 8pm", "2030-07-02T20:00"),
        ("8:30 am", "2030-07-02T08:30"),
        ("tomorrow 8am", "2030-07-02T08:00"),
        ("tomorrow at 7:30", "2030-07-02T07:30"),
        ("tonight 11", "2030-07-01T23:00"),
        ("2030-07-05T08:00", "2030-07-05T08:00"),
        ("2030-07-05", "2030-07-05T09:00"),
        ("10分钟后", "2030-07-01T21:10"),
        ("2時間後", "2030-07-01T23:00"),
        ("明天8点", "2030-07-02T08:00"),
        ("明日9時半", "2030-07-02T09:30"),
    ],
)
def test_accepted_forms(text: str, expected: str) -> None:
    assert parse_when(text, NOW, TOKYO) == datetime.fromisoformat(expected).replace(tzinfo=TOKYO)


def test_an_explicit_offset_wins_over_the_zone() -> None:
    assert parse_when("2030-07-02T08:00Z", NOW, TOKYO).isoformat() == "2030-07-02T08:00:00+00:00"


@pytest.mark.parametrize(
    "text", ["", "tomorrow", "soon", "in ten minutes", "at 25:00", "13pm", "in 0 minutes"]
)
def test_refused_forms_say_what_is_accepted(text: str) -> None:
    with pytest.raises(InputError, match="in 10 minutes"):
        parse_when(text, NOW, TOKYO)
