"""The `koclaw` command. One module per command group (principle 12)."""

from __future__ import annotations

import logging
import sys

import typer

from koclaw.cli import (
    character,
    chat,
    checkins,
    doctor,
    finetune,
    identity,
    memory,
    reminders,
    run,
    serve,
    soul,
)
from koclaw.cli import datagen as datagen  # registers `finetune generate`
from koclaw.cli import evaluate as evaluate  # registers finetune eval
from koclaw.cli import retrain as retrain  # registers `soul retrain*`
from koclaw.cli import soul_serve as soul_serve  # registers `soul serve-cmd`
from koclaw.cli import train as train  # registers finetune train
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


def main() -> None:
    logging.basicConfig(stream=sys.stderr, format="koclaw %(levelname)s %(name)s: %(message)s")
    try:
        app()
    except KoclawError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(2)
