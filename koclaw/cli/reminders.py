"""`koclaw reminders list|cancel --user U`: a person's reminders, through the same store as her tools.

Works beside a running Koclaw: the reminders table is the truth and a job that fires for a
cancelled reminder does nothing; the cancelled one's job is also dropped from the job store.
"""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from koclaw.cli.common import JsonOption, fail, plain_console, print_json, settings_or_exit, user_option
from koclaw.errors import InputError
from koclaw.reminders import ReminderStore
from koclaw.scheduler import remove_stored_job
from koclaw.tools.reminders import shown

app = typer.Typer(help="Sensei's reminders: list and cancel.", no_args_is_help=True)

UserOption = user_option(..., "whose reminders: telegram:ID, or a name for the terminal")


def _store() -> ReminderStore:
    return ReminderStore(settings_or_exit().reminders_db)


@app.command("list")
def list_reminders(
    user: str = UserOption,
    all_: bool = typer.Option(False, "--all", "-a", help="also delivered and cancelled ones"),
    as_json: bool = JsonOption,
) -> None:
    """List a person's reminders, soonest first (by default those still to come or unsent)."""
    store = _store()
    try:
        rows = [{**shown(r), "channel": r.channel} for r in store.for_user(user, include_done=all_)]
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
        table.add_row(str(r["id"]), r["due"].replace("T", " "), r["status"], r["channel"], escape(r["text"]))
    plain_console().print(table)


@app.command("cancel")
def cancel_reminder(
    reminder_id: int = typer.Argument(..., help="an id from 'koclaw reminders list'"),
    user: str = UserOption,
) -> None:
    """Cancel one of a person's pending reminders."""
    settings = settings_or_exit()
    store = ReminderStore(settings.reminders_db)
    try:
        reminder = store.cancel(user, reminder_id)
    except InputError as exc:
        raise fail(exc) from None
    finally:
        store.close()
    remove_stored_job(settings.scheduler_db, reminder.job_id)
    typer.echo(f"Cancelled reminder {reminder.id}: {reminder.text}")
