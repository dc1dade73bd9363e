"""`koclaw finetune ...`: the Soul tier's training data (validate, merge, stats, export).

Generation commands live in :mod:`koclaw.cli.datagen` and register on this same group. Heavy work is
imported inside each command, so `koclaw --help` stays fast and the runtime never needs the training
stack.
"""

from __future__ import annotations

import typer

app = typer.Typer(help="Build and inspect the Soul tier's training data.", no_args_is_help=True)
