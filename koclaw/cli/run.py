"""`koclaw run`: every configured channel in one process, over one runtime."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
from typing import TYPE_CHECKING, Any

import typer

from channels.base import Channel
from koclaw.cli.common import fail, settings_or_exit
from koclaw.cli.doctor import admins_not_allowed
from koclaw.config import Settings
from koclaw.errors import KoclawError
from koclaw.serving import serving_alone
from koclaw.soul import start_warning, tier_status

if TYPE_CHECKING:
    from koclaw.app import App

SHUTDOWN_GRACE_S = 10.0
EXIT_STOPPED_NOW = 130  # as a shell reports a process ended by Ctrl-C
STOP_NOW = (
    "stopped at once; every message is kept, and Telegram's unanswered ones are answered at the next start."
)

NO_CHANNEL = """No channel is configured, so there is nothing to run. Turn one on:
  Telegram:  export KOCLAW_TELEGRAM__TOKEN=123456:ABC...      (from @BotFather)
             export KOCLAW_TELEGRAM__ALLOWED_USERS=11111111,22222222   (numeric ids; empty = nobody)
             export KOCLAW_TELEGRAM__ADMIN_USERS=11111111
  HTTP:      export KOCLAW_HTTP__API_KEY=some-long-random-secret      (clients send it as a Bearer token)
             export KOCLAW_HTTP__HOST=127.0.0.1 KOCLAW_HTTP__PORT=8088
or put the same keys in the [telegram] / [http] tables of config.toml.
To chat in this terminal instead: koclaw chat"""

OPEN_FILES = 65_536


def register(app: typer.Typer) -> None:
    app.command()(run)


def run() -> None:
    """Serve Kokoron on every configured channel (Telegram, HTTP) until Ctrl-C or SIGTERM."""
    settings = settings_or_exit()
    if not (settings.telegram.enabled or settings.http.enabled):
        typer.echo(NO_CHANNEL, err=True)
        raise typer.Exit(2)
    if settings.telegram.enabled and (warning := admins_not_allowed(settings)):
        typer.echo(f"koclaw: warning: telegram: {warning}", err=True)
    more_open_files()
    with contextlib.ExitStack() as serving:
        try:
            serving.enter_context(serving_alone(settings.home, "serve it here (or use another KOCLAW_HOME)"))
        except KoclawError as exc:  # served elsewhere, or no lock file can be made
            raise fail(exc) from None
        code = asyncio.run(_serve(settings))
    raise typer.Exit(code)


def more_open_files(want: int = OPEN_FILES) -> int:
    """Raise this process's soft open-files limit towards `want` (never past the hard limit): each
    HTTP connection holds two descriptors, and embedded Chroma four per person it has searched, so
    the usual 1,024 runs out at a few hundred people. Returns the limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            return target
    return soft


async def _check_model(app: App) -> None:
    """Warn in one line when replies would fail (no model server, or the chat model not served).

    Only a warning: the channels start anyway, and answer with an apology until the server is back.
    Runs beside the channels' start, so a server that times out does not hold them up.
    """
    status = await tier_status(app.soul, app.model, app.settings.llm.base_url, app.settings.llm.model)
    if (warning := start_warning(status)) is not None:
        typer.echo(warning, err=True)


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


def _started(channel: Channel, app: App) -> asyncio.Event:
    """Set once `channel` serves: its own `started` event (HTTP) or, for a channel that speaks
    first (Telegram), its sender registering with `app.deliveries`, which follows its connection check.
    """
    event = getattr(channel, "started", None)
    if isinstance(event, asyncio.Event):
        return event
    event = asyncio.Event()
    app.deliveries.on_register(lambda name: event.set() if name == channel.name else None)
    return event


async def _all_started(started: list[asyncio.Event], tasks: list[asyncio.Task[int]]) -> bool:
    """Wait until every channel serves (True) or one of them ends first (False)."""
    ready = [asyncio.ensure_future(event.wait()) for event in started]
    all_ready = asyncio.ensure_future(asyncio.gather(*ready))
    try:
        waiting: set[asyncio.Future[Any]] = {all_ready, *tasks}
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        return all_ready.done() and not any(t.done() for t in tasks)
    finally:
        all_ready.cancel()
        for waiter in ready:
            waiter.cancel()


async def _serve(settings: Settings) -> int:
    from koclaw.app import open_app, settle_heap  # the runtime's imports only when it runs

    async with open_app(settings) as app:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        ending: list[asyncio.Future[None]] = []

        def on_signal() -> None:  # the grace period starts now, not after the channels wind down
            if stop.is_set():  # asked twice: stop now, as kill -9 would; every message is stored
                typer.echo(f"koclaw: {STOP_NOW}", err=True)
                os._exit(EXIT_STOPPED_NOW)
            # The turns' grace runs beside the channels' wind-down: a client still reading a stream
            # held the HTTP channel (and so the runtime's shutdown after it) for uvicorn's 30 s.
            ending.append(asyncio.ensure_future(app.runtime.shutdown(SHUTDOWN_GRACE_S)))
            stop.set()
            typer.echo(f"koclaw: stopping (replies get {SHUTDOWN_GRACE_S:g} s); again to stop now.", err=True)

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal)
        channels = build_channels(settings, app)
        started = [_started(c, app) for c in channels]  # before any runs: none is missed
        checking = asyncio.create_task(_check_model(app))
        tasks = [asyncio.create_task(c.run(app.runtime, stop), name=c.name) for c in channels]
        up = await _all_started(started, tasks)
        if up:
            settle_heap()
            typer.echo(f"Kokoron is up on: {', '.join(c.name for c in channels)}. Ctrl-C to stop.", err=True)
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        signalled = stop.is_set()  # Ctrl-C or SIGTERM, not a channel ending
        stop.set()  # one channel ending (or failing) stops the others
        checking.cancel()  # a no-op once it is done
        await asyncio.gather(checking, return_exceptions=True)
        await app.runtime.shutdown(SHUTDOWN_GRACE_S)
        await asyncio.gather(*ending)
        results = await asyncio.gather(*tasks, return_exceptions=True)
        how = "failed" if up else "failed to start"
        code = 0
        for channel, result in zip(channels, results, strict=True):
            if isinstance(result, BaseException):
                typer.echo(f"koclaw: the {channel.name} channel {how}: {result}", err=True)
                code = 1
            elif result:
                typer.echo(f"koclaw: the {channel.name} channel {how} (exit code {result}).", err=True)
                code = result
        if not (up or signalled or code):
            typer.echo("koclaw: a channel stopped before every channel had started.", err=True)
            code = 1
        return code
