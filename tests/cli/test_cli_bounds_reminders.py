"""`koclaw reminders` and `--user` against hostile input: huge ids, bytes that are not UTF-8, long ids,
terminal escapes in stored text, a damaged job store, and identity links (real SQLite, the real CLI)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from koclaw.cli import app as koclaw_app
from koclaw.reminders import Reminder, ReminderStore

ESCAPES = "\x1b]0;PWNED\x07\x1b[2J"


def koclaw(*args: str) -> Result:
    return CliRunner().invoke(koclaw_app, list(args))


def add(home: Path, user: str, text: str) -> Reminder:
    """A pending reminder straight in the store (no scheduler job, as one whose job already went)."""
    store = ReminderStore(home / "reminders.db")
    try:
        due = datetime(2030, 7, 1, 12, 0, tzinfo=UTC)
        return store.add(user, "cli", user, text, due, timezone="UTC", language="en", now=datetime.now(UTC))
    finally:
        store.close()


def status(home: Path, reminder_id: int) -> str:
    store = ReminderStore(home / "reminders.db")
    try:
        return store.get(reminder_id).status
    finally:
        store.close()


@pytest.mark.parametrize("reminder_id", ["99999999999999999999", "-99999999999999999999"])
def test_an_id_too_large_for_any_row_is_not_there(reminder_id: str) -> None:
    result = koclaw("reminders", "cancel", "--user", "a", "--", reminder_id)
    assert result.exit_code == 2 and not isinstance(result.exception, OverflowError)
    assert "no reminder with that id" in result.stderr and "koclaw reminders list" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["reminders", "list", "--user", "a\udcffb"],  # what Python makes of the byte 0xFF in argv
        ["reminders", "cancel", "1", "--user", "a\udcffb"],
        ["checkins", "show", "--user", "a\udcffb"],
        ["checkins", "log", "--user", "a\udcffb"],
    ],
)
def test_a_user_id_that_is_not_utf8_is_refused(args: list[str]) -> None:
    result = koclaw(*args)
    assert result.exit_code == 2 and not isinstance(result.exception, UnicodeError)
    assert "not valid UTF-8" in result.stderr and "--user cli:alice" in result.stderr


def test_a_user_id_over_256_characters_is_refused() -> None:
    for args in (["reminders", "list"], ["checkins", "show"]):
        result = koclaw(*args, "--user", "a" * 257)
        assert result.exit_code == 2 and "at most 256" in result.stderr
        # "cli:" makes 252 characters 256; one more is over
        assert koclaw(*args, "--user", "a" * 253).exit_code == 2
        assert koclaw(*args, "--user", "a" * 252).exit_code == 0


def test_escapes_in_reminder_text_never_reach_the_terminal(koclaw_home: Path) -> None:
    reminder = add(koclaw_home, "cli:a", f"stretch{ESCAPES}now")
    listed = koclaw("reminders", "list", "--user", "a")
    assert listed.exit_code == 0 and "stretchnow" in listed.stdout
    assert "\x1b" not in listed.stdout and "\x07" not in listed.stdout and "PWNED" not in listed.stdout
    as_json = koclaw("reminders", "list", "--user", "a", "--json")
    assert json.loads(as_json.stdout)[0]["text"] == f"stretch{ESCAPES}now"  # JSON keeps the data as it is
    cancelled = koclaw("reminders", "cancel", str(reminder.id), "--user", "a")
    assert cancelled.exit_code == 0 and cancelled.stdout == f"Cancelled reminder {reminder.id}: stretchnow\n"


def test_cancel_with_a_damaged_job_store_says_what_to_do(koclaw_home: Path) -> None:
    reminder = add(koclaw_home, "cli:z", "stretch")
    damaged = koclaw_home / "scheduler.db"
    damaged.write_bytes(b"SQLite format 3\0garbage")
    result = koclaw("reminders", "cancel", str(reminder.id), "--user", "z")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    # The reminders table is the truth: the cancel stands, and the message says so and how to repair.
    assert result.stdout == f"Cancelled reminder {reminder.id}: stretch\n"
    assert status(koclaw_home, reminder.id) == "cancelled"
    assert str(damaged) in result.stderr and "mv " in result.stderr and "will not be sent" in result.stderr
    assert "Traceback" not in result.stderr and damaged.read_bytes() == b"SQLite format 3\0garbage"


def test_a_linked_alias_acts_on_the_person(koclaw_home: Path) -> None:
    reminder = add(koclaw_home, "telegram:999", "water the plants")
    assert koclaw("identity", "link", "cli:alice", "telegram:999").exit_code == 0
    listed = koclaw("reminders", "list", "--user", "alice", "--json")
    assert listed.exit_code == 0 and [r["id"] for r in json.loads(listed.stdout)] == [reminder.id]
    assert "cli:alice is linked to telegram:999" in listed.stderr
    cancelled = koclaw("reminders", "cancel", str(reminder.id), "--user", "alice")
    assert cancelled.exit_code == 0, cancelled.output
    assert status(koclaw_home, reminder.id) == "cancelled"
    unlinked = koclaw("reminders", "list", "--user", "bob")
    assert unlinked.exit_code == 0 and "linked" not in unlinked.stderr
