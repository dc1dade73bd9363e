"""`koclaw chat` and `koclaw ask`: the terminal channel."""

from __future__ import annotations

import asyncio
import signal
import sys

import typer

from channels.cli import TerminalChannel, decode_line
from koclaw.cli.common import default_user, settings_or_exit, user_id, user_option
from koclaw.cli.embedded import INSTALL, OFFER, TINY, NotLoaded, local_server, missing_packages
from koclaw.commands import Commands
from koclaw.config import Settings
from koclaw.errors import ModelError, ModelUnavailable
from koclaw.inputs import IN_A_UTF8_TERMINAL, LONE_SURROGATE

SHUTDOWN_GRACE_S = 10.0
NO_SERVER = -1  # _chat's answer when no model server answers (exit 2 unless the tiny one is taken)

UserOption = user_option(None, "who is speaking: alice or telegram:222 (default: $KOCLAW_USER or login)")


def register(app: typer.Typer) -> None:
    app.command()(chat)
    app.command()(ask)


def chat(
    user: str | None = UserOption,
    tiny: bool = typer.Option(
        False, "--tiny", help="chat with the built-in tiny Kokoron, served here (no model server needed)"
    ),
    model: str | None = typer.Option(
        None,
        "--model",
        help="serve this model here on the CPU and chat with it: a folder or a hub name "
        "(e.g. Qwen/Qwen3.5-0.8B, downloaded once); 'tiny' is the built-in Kokoron",
    ),
) -> None:
    """Chat with Kokoron. Interactive in a terminal; otherwise one message per stdin line, one reply each.

    With no model server answering, an interactive chat offers the built-in tiny Kokoron instead."""
    settings = settings_or_exit()
    who, interactive = user or speaker(), sys.stdin.isatty()
    local = TINY if tiny else model
    if local is not None:
        raise typer.Exit(_chat_locally(settings, local, who, interactive))
    code = asyncio.run(_chat(settings, who, interactive))
    if code == NO_SERVER and _offer(interactive):
        code = _chat_locally(settings, TINY, who, interactive)
    raise typer.Exit(2 if code == NO_SERVER else code)


def _utf8(text: str) -> str:
    """A message argument the shell passed as bytes that are not UTF-8 is refused (stdin's are repaired
    with a note: `decode_line`); control characters are the turn's to remove."""
    if LONE_SURROGATE.search(text):
        raise typer.BadParameter(f"the message is not valid UTF-8 text; {IN_A_UTF8_TERMINAL}.")
    return text


def speaker() -> str:
    """The person a chat without --user speaks as: $KOCLAW_USER or the login, checked as --user is."""
    found = user_id(default_user())
    assert found is not None
    return found


def _offer(interactive: bool) -> bool:
    """Ask whether to chat with the built-in Kokoron, only where it can run (never when a package it
    needs is missing: then say how to install it)."""
    if not interactive:
        return False
    if missing := missing_packages():
        typer.echo(f"The built-in Kokoron needs {', '.join(missing)}: {INSTALL}", err=True)
        return False
    return typer.confirm(OFFER, default=True, err=True)


def _chat_locally(settings: Settings, model: str, who: str, interactive: bool) -> int:
    """Chat with `model` served in this process; a model that cannot load is one line, then the offer
    of the built-in Kokoron (which needs no network)."""
    try:
        with local_server(settings, model) as local:
            return asyncio.run(_chat(local, who, interactive))
    except NotLoaded as exc:
        typer.echo(f"koclaw: cannot load {model}: {exc}", err=True)
    if model != TINY and _offer(interactive):
        return _chat_locally(settings, TINY, who, interactive)
    return 2


def ask(
    text: str = typer.Argument(..., help="the message; '-' reads it from stdin", callback=_utf8),
    user: str | None = UserOption,
) -> None:
    """Send one message and print the reply."""
    settings = settings_or_exit()
    if text == "-":
        text, note = decode_line(sys.stdin.buffer.read())
        if note:
            typer.echo(f"koclaw: {note}", err=True)
    code = asyncio.run(_ask(settings, user or speaker(), text))
    raise typer.Exit(code)


async def _ask(settings: Settings, user: str, text: str) -> int:
    """One turn; SIGINT and SIGTERM both stop it the same way, keeping what was said (exit 1)."""
    from koclaw.app import open_app  # the runtime's imports (openai, chromadb) only for a chat

    async with open_app(settings, run_jobs=False) as app:
        channel = TerminalChannel(user, interactive=False, streaming=sys.stdout.isatty())
        sending = asyncio.create_task(channel.send(app.runtime, text))
        loop = asyncio.get_running_loop()

        def on_signal() -> None:  # the turn stores its partial reply as "interrupted" when cancelled
            if not channel.interrupt():
                sending.cancel()

        signals = (signal.SIGINT, signal.SIGTERM)
        for sig in signals:
            loop.add_signal_handler(sig, on_signal)
        try:
            await asyncio.wait({sending})
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)
            sending.cancel()  # a no-op once it is done
        return 0 if not sending.cancelled() and sending.result() else 1


async def _chat(settings: Settings, user: str, interactive: bool) -> int:
    from koclaw.app import open_app

    async with open_app(settings, run_jobs=False) as app:
        if interactive:
            try:
                await app.model.model_name()
            except ModelError as exc:
                typer.echo(str(exc), err=True)
                return NO_SERVER if isinstance(exc, ModelUnavailable) else 2
        channel = TerminalChannel(user, interactive=interactive, commands=Commands(app.store, app.long_term))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_interrupt() -> None:  # Ctrl-C stops the reply in progress, or leaves when idle
            if not (interactive and channel.interrupt()):
                stop.set()

        loop.add_signal_handler(signal.SIGINT, on_interrupt)
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        served = asyncio.create_task(channel.run(app.runtime, stop))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({served, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stop.is_set():  # finish the turn in progress within the grace period, then stop
            await app.runtime.shutdown(SHUTDOWN_GRACE_S)
        stopping.cancel()
        return await served
