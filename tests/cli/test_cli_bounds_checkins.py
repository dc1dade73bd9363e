"""`koclaw checkins` against hostile input: huge numbers, gaps the scheduler cannot count, unknown
channels, bytes that are not UTF-8, terminal escapes in stored text, and identity links (real SQLite,
the real CLI)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from koclaw.checkins import CheckinSettings, CheckinStore, decide
from koclaw.cli import app as koclaw_app

ESCAPES = "\x1b]0;PWNED\x07\x1b[2J"
NOW = datetime(2030, 7, 1, 12, 0, tzinfo=UTC)
SET = ["checkins", "set", "--user", "a", "--chat", "1", "--hours", "09:00-10:00", "--tz", "UTC"]


def koclaw(*args: str) -> Result:
    return CliRunner().invoke(koclaw_app, list(args))


def store_of(home: Path) -> CheckinStore:
    return CheckinStore(home / "checkins.db")


def stored(home: Path, user: str, chat: str = "1") -> CheckinSettings:
    store = store_of(home)
    try:
        return store.set(CheckinSettings(user, "cli", chat, "UTC", "09:00", "22:00"), now=NOW)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["checkins", "log", "--user", "a", "-n", "99999999999999999999"], "-n"),
        (["checkins", "log", "--user", "a", "-n", "0"], "-n"),
        (["checkins", "log", "--user", "a", "-n", "-1"], "-n"),
        ([*SET, "--cap", "99999999999999999999"], "--cap"),
        ([*SET, "--cap", "0"], "--cap"),
        ([*SET, "--gap", "99999999999999999999h"], "at most 30 days"),
        ([*SET, "--gap", "1000000000000000h"], "at most 30 days"),
        ([*SET, "--gap", "99999999999999999999"], "at most 30 days"),
        ([*SET, "--channel", "bogus"], "cli or telegram"),
        ([*SET, "--channel", "http"], "cli or telegram"),
        (["checkins", "off", "--user", "a", "--channel", "a\udcffb"], "cli or telegram"),
        ([*SET[:4], "--chat", "a\udcffb", *SET[6:]], "not valid UTF-8"),
        ([*SET[:4], "--chat", f"1{ESCAPES}", *SET[6:]], "control characters"),
        ([*SET[:-1], "a\udcffb"], "not valid UTF-8"),
        ([*SET[:-1], "A" * 5000], "at most 64"),
    ],
)
def test_out_of_bounds_values_are_refused_and_nothing_is_stored(
    koclaw_home: Path, args: list[str], problem: str
) -> None:
    result = koclaw(*args)
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.exception
    assert problem in result.stderr
    store = store_of(koclaw_home)
    try:
        assert store.for_user("cli:a") == []
    finally:
        store.close()


def test_the_bounds_are_where_the_messages_say() -> None:
    assert koclaw(*SET, "--cap", "49").exit_code == 2 and koclaw(*SET, "--gap", "721h").exit_code == 2
    assert koclaw(*SET, "--cap", "48", "--gap", "720h", "--channel", "telegram").exit_code == 0
    assert koclaw("checkins", "log", "--user", "a", "-n", "1").exit_code == 0


def test_a_huge_gap_stored_before_the_bound_does_not_break_the_tick(koclaw_home: Path) -> None:
    s = stored(koclaw_home, "cli:a")
    with sqlite3.connect(koclaw_home / "checkins.db") as db:  # as an older Koclaw accepted it
        db.execute("UPDATE settings SET min_gap_s = ?", [3600 * 10**15])
    store = store_of(koclaw_home)
    try:
        old = store.get("cli:a", "cli")
    finally:
        store.close()
    assert old is not None and old.min_gap_s == 3600 * 10**15
    when = NOW.replace(hour=10)
    assert decide(old, when, 0, when - timedelta(days=400), None, None).reason == "due"
    assert decide(old, when, 0, when - timedelta(days=3), None, None).reason == "too_soon"
    assert decide(replace(s, min_gap_s=3600), when, 0, when - timedelta(days=3), None, None).due


def test_stored_escapes_never_reach_the_terminal(koclaw_home: Path) -> None:
    s = stored(koclaw_home, "cli:a", chat=f"chat{ESCAPES}1")  # from a store written some other way
    store = store_of(koclaw_home)
    try:
        store.record(s, NOW, date(2030, 7, 1), "sent", text=f"hello{ESCAPES}\nthere")
    finally:
        store.close()
    for args in (["show"], ["log"]):
        result = koclaw("checkins", *args, "--user", "a")
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "PWNED" not in result.stdout
    assert "chat1" in koclaw("checkins", "show", "--user", "a").stdout
    assert "hello" in koclaw("checkins", "log", "--user", "a").stdout
    assert json.loads(koclaw("checkins", "show", "--user", "a", "--json").stdout)[0]["chat_id"] == s.chat_id


def test_a_linked_alias_acts_on_the_person(koclaw_home: Path) -> None:
    assert koclaw("identity", "link", "cli:alice", "telegram:999").exit_code == 0
    done = koclaw(*SET[:2], "--user", "alice", *SET[4:])
    assert done.exit_code == 0, done.output
    assert "cli:alice is linked to telegram:999" in done.stderr and "for telegram:999" in done.stdout
    shown = koclaw("checkins", "show", "--user", "alice", "--json")
    assert [r["user_id"] for r in json.loads(shown.stdout)] == ["telegram:999"]
    store = store_of(koclaw_home)
    try:
        assert store.for_user("cli:alice") == [] and len(store.for_user("telegram:999")) == 1
    finally:
        store.close()
    off = koclaw("checkins", "off", "--user", "alice")
    assert off.exit_code == 0 and "telegram:999" in off.stdout
