"""`koclaw reminders list|cancel --user U`: a person's reminders, through the same store as her tools.

Works beside a running Koclaw: the reminders table is the truth and a job that fires for a
cancelled reminder does nothing; the cancelled one's job is also dropped from the job store.
A linked alias (`koclaw identity link`) acts on the person it stands for, as the runtime does.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from koclaw.cli.common import (
    EXIT_FAILED,
    JsonOption,
    fail,
    person,
    plain_console,
    print_json,
    settings_or_exit,
    shown,
    user_option,
)
from koclaw.errors import InputError
from koclaw.reminders import ReminderStore
from koclaw.scheduler import remove_stored_job
from koclaw.terminal import terminal_safe
from koclaw.tools.reminders import shown as as_seen

app = typer.Typer(help="Sensei's reminders: list and cancel.", no_args_is_help=True)

UserOption = user_option(..., "whose reminders: telegram:ID, or a name for the terminal")
MAX_ROW_ID = 2**63 - 1  # SQLite's largest integer: no row has a larger id


@app.command("list")
def list_reminders(
    user: str = UserOption,
    all_: bool = typer.Option(False, "--all", "-a", help="also delivered and cancelled ones"),
    as_json: bool = JsonOption,
) -> None:
    """List a person's reminders, soonest first (by default those still to come or unsent)."""
    settings = settings_or_exit()
    user = person(settings, user, "reminders")
    store = ReminderStore(settings.reminders_db)
    try:
        rows = [{**as_seen(r), "channel": r.channel} for r in store.for_user(user, include_done=all_)]
    finally:
        store.close()
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo(f"No reminders for {user}. Ask Kokoron: 'remind me in 10 minutes to stretch'.")
        return
    table = Table("id", "due", "status", "channel", "text")
    for r in rows:
        due = r["due"].replace("T", " ")
        table.add_row(str(r["id"]), shown(due), shown(r["status"]), shown(r["channel"]), shown(r["text"]))
    plain_console().print(table)


@app.command("cancel")
def cancel_reminder(
    reminder_id: int = typer.Argument(..., help="an id from 'koclaw reminders list'"),
    user: str = UserOption,
) -> None:
    """Cancel one of a person's pending reminders."""
    settings = settings_or_exit()
    user = person(settings, user, "reminders")
    if not 0 < reminder_id <= MAX_ROW_ID:  # SQLite cannot even compare it: no reminder has that id
        raise fail(
            f"{user} has no reminder with that id; see them with 'koclaw reminders list --user {user}'."
        )
    store = ReminderStore(settings.reminders_db)
    try:
        reminder = store.cancel(user, reminder_id)
    except InputError as exc:
        raise fail(exc) from None
    finally:
        store.close()
    # The reminders table is the truth, so the cancel stands even if the job cannot be dropped.
    typer.echo(f"Cancelled reminder {reminder.id}: {terminal_safe(reminder.text)}")
    _drop_job(settings.scheduler_db, reminder.job_id)


def _drop_job(path: Path, job_id: str) -> None:
    """Drop a cancelled reminder's job; a damaged job store is reported with the way out, exit 1."""
    from sqlalchemy.exc import SQLAlchemyError  # SQLAlchemy is imported only when a job is dropped

    try:
        remove_stored_job(path, job_id)
    except (SQLAlchemyError, OSError) as exc:
        problem = getattr(exc, "orig", None) or exc
        typer.echo(
            f"Error: the scheduler's job store {path} cannot be used ({problem}). The reminder is "
            "cancelled and will not be sent, but Koclaw cannot schedule with that file: stop Koclaw, "
            f"move it aside (mv {path} {path}.damaged) and start Koclaw again; pending reminders are "
            "scheduled again from the reminders database.",
            err=True,
        )
        raise typer.Exit(EXIT_FAILED) from None
