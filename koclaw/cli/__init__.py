"""The `koclaw` command. One module per command group (principle 12)."""

from __future__ import annotations

import logging
import sys

import typer

from koclaw.cli import (
    character,
    chat,
    checkins,
    datagen,
    doctor,
    evaluate,
    finetune,
    identity,
    memory,
    reminders,
    retrain,
    run,
    serve,
    soul,
    soul_serve,
    train,
)
from koclaw.cli.common import fail
from koclaw.errors import KoclawError

app = typer.Typer(
    name="koclaw",
    help="Koclaw: chat with Kokoron, inspect her memory, look after her Soul.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain help, as click prints it: Typer's Rich panels label every flag `<bool>` (as if it took a
    # value) and read `[...]` in help text as markup, dropping it ("needs [train]" showed "needs ").
    rich_markup_mode=None,
)
chat.register(app)
doctor.register(app)
run.register(app)
serve.register(app)
app.add_typer(memory.app, name="memory")
app.add_typer(soul.app, name="soul")
app.add_typer(finetune.app, name="finetune")
app.add_typer(character.app, name="character")
app.add_typer(reminders.app, name="reminders")
app.add_typer(checkins.app, name="checkins")
app.add_typer(identity.app, name="identity")
for module in (datagen, evaluate, train):
    module.register(finetune.app)
for module in (retrain, soul_serve):
    module.register(soul.app)


def main() -> None:
    logging.basicConfig(stream=sys.stderr, format="koclaw %(levelname)s %(name)s: %(message)s")
    try:
        app()
    except KoclawError as exc:  # what a command did not handle: one line, not a traceback
        sys.exit(fail(exc).exit_code)
