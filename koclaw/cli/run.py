"""`koclaw run`: every configured channel in one process, over one runtime."""

from __future__ import annotations

import asyncio
import signal

import typer

from channels.base import Channel
from koclaw.app import App, open_app
from koclaw.cli.common import settings_or_exit
from koclaw.config import Settings

SHUTDOWN_GRACE_S = 10.0

NO_CHANNEL = """No channel is configured, so there is nothing to run. Turn one on:
  Telegram:  export KOCLAW_TELEGRAM__TOKEN=123456:ABC...      (from @BotFather)
             export KOCLAW_TELEGRAM__ALLOWED_USERS=11111111,22222222   (numeric ids; empty = nobody)
             export KOCLAW_TELEGRAM__ADMIN_USERS=11111111
  HTTP:      export KOCLAW_HTTP__API_KEY=some-long-random-secret      (clients send it as a Bearer token)
             export KOCLAW_HTTP__HOST=127.0.0.1 KOCLAW_HTTP__PORT=8088
or put the same keys in the [telegram] / [http] tables of config.toml.
To chat in this terminal instead: koclaw chat"""


def register(app: typer.Typer) -> None:
    app.command()(run)


def run() -> None:
    """Serve Kokoron on every configured channel (Telegram, HTTP) until Ctrl-C or SIGTERM."""
    settings = settings_or_exit()
    if not (settings.telegram.enabled or settings.http.enabled):
        typer.echo(NO_CHANNEL, err=True)
        raise typer.Exit(2)
    raise typer.Exit(asyncio.run(_serve(settings)))


def build_channels(settings: Settings, app: App) -> list[Channel]:
    """The configured channels; imported here so an unused channel costs nothing at start-up."""
    channels: list[Channel] = []
    if settings.telegram.enabled:
        from channels.telegram import TelegramChannel

        channels.append(TelegramChannel.for_app(settings, app))
    if settings.http.enabled:
        from channels.http import HTTPChannel

        channels.append(HTTPChannel(settings.http))
    return channels


async def _serve(settings: Settings) -> int:
    async with open_app(settings) as app:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        channels = build_channels(settings, app)
        typer.echo(f"Kokoron is up on: {', '.join(c.name for c in channels)}. Ctrl-C to stop.", err=True)
        tasks = [asyncio.create_task(c.run(app.runtime, stop), name=c.name) for c in channels]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        stop.set()  # one channel ending (or failing) stops the others
        await app.runtime.shutdown(SHUTDOWN_GRACE_S)
        results = await asyncio.gather(*tasks, return_exceptions=True)
        code = 0
        for channel, result in zip(channels, results, strict=True):
            if isinstance(result, BaseException):
                typer.echo(f"koclaw: the {channel.name} channel failed: {result}", err=True)
                code = 1
            elif result:
                code = result
        return code
