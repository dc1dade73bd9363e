"""`koclaw identity link|unlink|list`: one person on several channels, sharing one memory.

Each channel has its own namespace (`telegram:222`, `http:alice`, `cli:alice`; see `koclaw.identities`),
so nothing a client of one channel sends reaches another's memories. Only the owner, who can run this
CLI on KOCLAW_HOME, says that two identities are one person.
"""

from __future__ import annotations

import typer

from koclaw.cli.common import (
    EXIT_FAILED,
    JsonOption,
    fail,
    plain_console,
    print_json,
    settings_or_exit,
    shown,
)
from koclaw.errors import InputError, StorageError
from koclaw.identity_stores import link, unlink
from koclaw.serving import serving_alone
from memory.session import SessionStore

app = typer.Typer(
    help="One person on several channels: link identities to share one memory.", no_args_is_help=True
)


@app.command("link")
def link_identities(
    alias: str = typer.Argument(..., help="the identity to fold in, e.g. telegram:222"),
    person: str = typer.Argument(..., help="the person it is, e.g. cli:alice"),
    as_json: bool = JsonOption,
) -> None:
    """ALIAS is PERSON from now on: ALIAS's memories, conversations, reminders and check-ins move to
    PERSON, and ALIAS's next messages are answered with PERSON's memory. Not while `koclaw run` serves
    this home: it would go on writing under ALIAS what the link moves."""
    settings = settings_or_exit()
    try:
        with serving_alone(settings.home, "link identities"):  # it moves what the server is writing
            done = link(settings, alias, person, by="cli")
    except (InputError, StorageError) as exc:
        raise fail(exc) from None
    if as_json:
        print_json(done)
        return
    moved = ", ".join(f"{n} {table}" for table, n in done["moved"].items()) or "nothing stored yet"
    plain_console().print(f"Linked {shown(done['alias'])} to {shown(done['person'])}; moved: {moved}.")


@app.command("unlink")
def unlink_identity(alias: str = typer.Argument(..., help="a linked identity, e.g. telegram:222")) -> None:
    """ALIAS is its own identity again; what moved to the person stays with them."""
    settings = settings_or_exit()
    try:
        with serving_alone(settings.home, "unlink identities"):
            person = unlink(settings, alias)
    except (InputError, StorageError) as exc:
        raise fail(exc) from None
    if person is None:
        typer.echo(f"{alias} was not linked to anyone ('koclaw identity list' shows the links).", err=True)
        raise typer.Exit(EXIT_FAILED)
    plain_console().print(f"Unlinked {shown(alias)} from {shown(person)}.")


@app.command("list")
def list_links(as_json: bool = JsonOption) -> None:
    """Every link: which identities are answered as which person."""
    store = SessionStore(settings_or_exit().session_db)
    try:
        links = store.identity_links()
    finally:
        store.close()
    if as_json:
        print_json(links)
        return
    console = plain_console()
    if not links:
        console.print("No links: every identity is its own person.")
    for row in links:
        when = f"linked {row['linked_at']} by {shown(row['by'])}"
        console.print(f"{shown(row['alias'])} -> {shown(row['person'])}  ({when})")
