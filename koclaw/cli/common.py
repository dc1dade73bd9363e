"""Helpers shared by the command modules."""

from __future__ import annotations

import contextlib
import getpass
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from koclaw.config import Settings, load_settings
from koclaw.errors import ConfigError, InputError, KoclawError
from koclaw.identities import MAX_IDENTITY, terminal_identity
from koclaw.identity_stores import namespace_once
from koclaw.inputs import repair_text, text_problem
from koclaw.terminal import terminal_safe
from memory.session import SessionStore

# The exit status, decided here only (README "Exit codes"): 0 done; 1 the work could not be done or
# there was nothing to do (a message not answered, a failed check, an alias that was not linked);
# 2 refused: bad configuration, usage or input (an id that is not there included), and any other
# error of Koclaw's that the command did not handle.
EXIT_FAILED, EXIT_REFUSED = 1, 2


def fail(error: KoclawError | str) -> typer.Exit:
    """Say what went wrong on stderr, as one line, and the exit that ends the command."""
    typer.echo(f"Error: {error}", err=True)
    return typer.Exit(EXIT_REFUSED)


PRIVATE_UMASK = 0o077  # conversations, memories and secrets are for Sensei's account only


def settings_or_exit() -> Settings:
    """Load settings, or print the bad keys and exit 2; from here on, what Koclaw creates is private.
    Stores written before identities had namespaces are renamed here, once, before any command reads them."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise fail(exc) from None
    logging.getLogger().setLevel(settings.log_level.upper())
    private_home(settings.home)
    namespace_once(settings)
    return settings


def private_home(home: Path) -> None:
    """Make files and folders this process creates owner-only (0600/0700), KOCLAW_HOME first.

    A umask, not a chmod per file, because SQLite, Chroma and APScheduler create their own files
    (databases, -wal/-shm, the chroma folder). Files meant to be shared chmod themselves (exports).
    An existing home keeps its mode: `koclaw doctor` says when it is open to others.
    """
    os.umask(PRIVATE_UMASK)
    with contextlib.suppress(OSError):  # the store that opens it reports the problem, and what to do
        home.mkdir(mode=0o700, parents=True, exist_ok=True)


def default_user() -> str:
    try:
        return os.environ.get("KOCLAW_USER") or getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "sensei"


def print_json(data: Any) -> None:
    """JSON on stdout; a lone surrogate (stored before inputs were checked) is written as U+FFFD, as
    no UTF-8 output can hold it."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    sys.stdout.write(repair_text(text) + "\n")


JsonOption = typer.Option(False, "--json", help="print JSON")


def plain_console() -> Console:
    """Plain output for memory listings: no auto-highlighting of numbers and words in people's text."""
    return Console(highlight=False, soft_wrap=True)


def shown(text: object, *, multiline: bool = False) -> str:
    """`text` for a Rich view: terminal escapes and control characters removed, markup escaped."""
    return escape(terminal_safe(str(text), multiline=multiline))


def plain_text(what: str, *, max_chars: int = MAX_IDENTITY) -> Callable[[str | None], str | None]:
    """A typer callback for a free-text option or argument: refuses (exit 2) what :func:`text_problem`
    refuses, so bad bytes never reach a store and an escape never reaches a terminal."""

    def check(value: str | None) -> str | None:
        if value is not None and (problem := text_problem(value, what, max_chars=max_chars)):
            raise typer.BadParameter(problem)
        return value

    return check


free_text = plain_text("the text", max_chars=100_000)
"""The callback for a free-text argument (a search, a forget target): longer is not a query."""


def user_id(value: str | None) -> str | None:
    """A `--user` value as an identity (`koclaw.identities`): `telegram:222` as it is, a bare `alice` as
    the terminal's `cli:alice`. Bytes that are not UTF-8, control characters (an escape, a newline)
    and identities over :data:`MAX_IDENTITY` characters are refused, exit 2."""
    if value is None:
        return None
    if problem := text_problem(value, "a user id", max_chars=MAX_IDENTITY):
        raise typer.BadParameter(f"{problem} E.g. --user cli:alice.")
    try:
        found = terminal_identity(value)
    except InputError as exc:
        raise typer.BadParameter(str(exc)) from None
    if len(found) > MAX_IDENTITY:  # `alice` becomes `cli:alice`
        raise typer.BadParameter(
            f"a user id is at most {MAX_IDENTITY} characters with its channel; give a shorter one."
        )
    return found


def user_option(default: Any, help: str) -> Any:
    """A `--user/-u` option taking an identity (see :func:`user_id`)."""
    return typer.Option(default, "--user", "-u", help=help, callback=user_id)


def person(settings: Settings, user: str, whose: str) -> str:
    """The person `user` stands for, as the runtime answers them (`koclaw identity link`): a linked
    alias's reminders and check-ins are the person's. Says so on stderr when they differ (stdout stays
    JSON for --json). `whose` names what is acted on, e.g. "reminders"."""
    if not settings.session_db.exists():  # no links yet; do not create the session store for a lookup
        return user
    store = SessionStore(settings.session_db)
    try:
        found = store.resolve_identity(user)
    finally:
        store.close()
    if found != user:
        shown_as = terminal_safe(found)
        typer.echo(f"{user} is linked to {shown_as}; acting on {shown_as}'s {whose}.", err=True)
    return found
