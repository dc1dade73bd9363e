"""`koclaw reminders list|cancel`: in-process through the typer app, and once as the real command."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from koclaw.app import App
from koclaw.cli import app as koclaw_app
from koclaw.reminders import ReminderStore
from tests.conftest import run_koclaw
from tests.test_reminders import with_app


def seed() -> list[int]:
    """Alice has two reminders (one sent on Telegram, in Tokyo time), Bob one; all scheduled."""

    async def body(app: App) -> list[int]:
        soon = datetime(2030, 7, 1, 12, 0, tzinfo=UTC)
        made = [
            app.reminders.add("cli:alice", "telegram", "1001", "stretch", soon, timezone="Asia/Tokyo"),
            app.reminders.add("cli:bob", "cli", "cli:bob", "bob's thing", soon, timezone="UTC"),
            app.reminders.add(
                "cli:alice", "cli", "cli:alice", "sleep", soon + timedelta(hours=1), timezone="UTC"
            ),
        ]
        return [r.id for r in made]

    ids: list[int] = with_app(body)
    return ids


def test_list_shows_only_that_persons_reminders() -> None:
    stretch, _, sleep = seed()
    runner = CliRunner()
    result = runner.invoke(koclaw_app, ["reminders", "list", "--user", "alice", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["id"], r["text"], r["due"], r["channel"]) for r in rows] == [
        (stretch, "stretch", "2030-07-01T21:00+09:00", "telegram"),
        (sleep, "sleep", "2030-07-01T13:00+00:00", "cli"),
    ]
    table = runner.invoke(koclaw_app, ["reminders", "list", "--user", "alice"])
    assert "stretch" in table.stdout and "bob's thing" not in table.stdout
    empty = runner.invoke(koclaw_app, ["reminders", "list", "--user", "carol"])
    assert empty.exit_code == 0 and "No reminders for cli:carol" in empty.stdout


def test_cancel_is_scoped_and_drops_the_job(koclaw_home: Path) -> None:
    stretch, bobs, _ = seed()
    runner = CliRunner()
    refused = runner.invoke(koclaw_app, ["reminders", "cancel", str(bobs), "--user", "alice"])
    assert refused.exit_code == 2 and "no pending reminder" in refused.stderr

    done = runner.invoke(koclaw_app, ["reminders", "cancel", str(stretch), "--user", "alice"])
    assert done.exit_code == 0, done.output
    assert done.stdout.strip() == f"Cancelled reminder {stretch}: stretch"

    store = ReminderStore(koclaw_home / "reminders.db")
    try:
        assert store.get(stretch).status == "cancelled" and store.get(bobs).status == "pending"
    finally:
        store.close()

    async def jobs(app: App) -> list[str]:
        return app.scheduler.job_ids()

    assert f"reminder:{stretch}" not in with_app(jobs) and f"reminder:{bobs}" in with_app(jobs)
    listed = runner.invoke(koclaw_app, ["reminders", "list", "--user", "alice", "--all", "--json"])
    assert [r["status"] for r in json.loads(listed.stdout)] == ["cancelled", "pending"]


@pytest.mark.slow
def test_the_real_command() -> None:
    stretch, _, _ = seed()
    out = run_koclaw("reminders", "list", "--user", "alice", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)[0]["id"] == stretch
    out = run_koclaw("reminders", "cancel", "999", "--user", "alice")
    assert out.returncode == 2 and "no pending reminder 999" in out.stderr
