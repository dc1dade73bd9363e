"""`koclaw chat` and `koclaw ask`: the terminal channel."""

from __future__ import annotations

import asyncio
import signal
import sys

import typer

from channels.cli import TerminalChannel, decode_line
from koclaw.app import open_app
from koclaw.cli.common import default_user, settings_or_exit
from koclaw.cli.embedded import OFFER, tiny_server
from koclaw.config import Settings
from koclaw.errors import ModelError, ModelUnavailable

SHUTDOWN_GRACE_S = 10.0
NO_SERVER = -1  # _chat's answer when no model server answers (exit 2 unless the tiny one is taken)

UserOption = typer.Option(None, "--user", "-u", help="who is speaking (default: $KOCLAW_USER or your login)")


def register(app: typer.Typer) -> None:
    app.command()(chat)
    app.command()(ask)


def chat(
    user: str | None = UserOption,
    tiny: bool = typer.Option(
        False, "--tiny", help="serve the built-in tiny Kokoron here (proves the pipeline only; needs [train])"
    ),
) -> None:
    """Chat with Kokoron. Interactive in a terminal; otherwise one message per stdin line, one reply each.

    With no model server answering, an interactive chat offers the built-in tiny Kokoron instead."""
    settings = settings_or_exit()
    who, interactive = user or default_user(), sys.stdin.isatty()
    code = NO_SERVER if tiny else asyncio.run(_chat(settings, who, interactive))
    if code == NO_SERVER and (tiny or typer.confirm(OFFER, default=False, err=True)):
        with tiny_server(settings) as local:
            code = asyncio.run(_chat(local, who, interactive))
    raise typer.Exit(2 if code == NO_SERVER else code)


def ask(
    text: str = typer.Argument(..., help="the message; '-' reads it from stdin"),
    user: str | None = UserOption,
) -> None:
    """Send one message and print the reply."""
    settings = settings_or_exit()
    if text == "-":
        text, note = decode_line(sys.stdin.buffer.read())
        if note:
            typer.echo(f"koclaw: {note}", err=True)
    code = asyncio.run(_ask(settings, user or default_user(), text))
    raise typer.Exit(code)


async def _ask(settings: Settings, user: str, text: str) -> int:
    """One turn; SIGINT and SIGTERM both stop it the same way, keeping what was said (exit 1)."""
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
    async with open_app(settings, run_jobs=False) as app:
        if interactive:
            try:
                await app.model.model_name()
            except ModelError as exc:
                typer.echo(str(exc), err=True)
                return NO_SERVER if isinstance(exc, ModelUnavailable) else 2
        channel = TerminalChannel(user, interactive=interactive)
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
