"""`koclaw checkins set|off|show|log --user U`: a person's daily check-ins, through the same store as the App.

Works beside a running Koclaw: its tick reads the settings table afresh each time, so a change here
takes effect at the next tick. A linked alias (`koclaw identity link`) acts on the person it stands for,
as the runtime does.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import typer
from rich.table import Table

from koclaw.checkins import (
    CHANNELS,
    DEFAULT_CAP,
    MAX_CAP,
    CheckinSettings,
    CheckinStore,
    describe,
    parse_gap,
    parse_hours,
)
from koclaw.cli.common import (
    JsonOption,
    fail,
    person,
    plain_console,
    plain_text,
    print_json,
    settings_or_exit,
    shown,
    user_option,
)
from koclaw.errors import InputError
from koclaw.terminal import terminal_safe
from koclaw.when import utc_now

app = typer.Typer(help="Sensei's daily check-ins: when Kokoron may write first.", no_args_is_help=True)

UserOption = user_option(..., "whose check-ins: telegram:ID, or a name for the terminal")
MAX_LOG = 1000  # entries `log` shows at once
_CHANNELS = " or ".join(CHANNELS)


def _store(user: str) -> tuple[CheckinStore, str]:
    """The store and the person `user` stands for (a linked alias acts on its person)."""
    settings = settings_or_exit()
    user = person(settings, user, "check-ins")
    return CheckinStore(settings.checkins_db), user


def _channel(value: str | None) -> str | None:
    if value is not None and value not in CHANNELS:
        raise typer.BadParameter(f"check-ins are written on {_CHANNELS}; give one of those.")
    return value


def _terms(s: dict[str, Any]) -> str:
    gap = s["min_gap_s"]
    gap_text = f"{gap // 60} min" if gap % 60 == 0 else f"{gap} s"
    return (
        f"{s['start']}-{s['end']} {s['timezone']}, at most {s['daily_cap']} per window, "
        f"{gap_text} apart, in {s['language']}"
    )


@app.command("set")
def set_checkins(
    user: str = UserOption,
    chat: str = typer.Option(
        ...,
        "--chat",
        "-c",
        help="where to write (the chat id of the channel)",
        callback=plain_text("the chat id"),
    ),
    channel: str = typer.Option("cli", "--channel", help=_CHANNELS, callback=_channel),
    hours: str = typer.Option(
        ...,
        "--hours",
        help="active hours, local: 09:00-22:00 (22:00-02:00 crosses midnight)",
        callback=plain_text("the hours", max_chars=32),
    ),
    tz: str = typer.Option(
        "",
        "--tz",
        help="IANA zone, e.g. Asia/Tokyo; default: timezone in the config",
        callback=plain_text("the time zone", max_chars=64),
    ),
    cap: int = typer.Option(
        DEFAULT_CAP, "--cap", min=1, max=MAX_CAP, help="at most this many check-ins per window"
    ),
    gap: str = typer.Option(
        "4h",
        "--gap",
        help="at least this long between check-ins: 4h, 90m or seconds (at most 30 days)",
        callback=plain_text("the gap", max_chars=32),
    ),
    lang: str = typer.Option(
        "en", "--lang", help="zh, ja or en", callback=plain_text("the language", max_chars=8)
    ),
) -> None:
    """Turn on (or change) a person's daily check-ins."""
    settings = settings_or_exit()
    zone = tz or settings.timezone
    user = person(settings, user, "check-ins")
    store = CheckinStore(settings.checkins_db)
    try:
        if not zone:
            raise InputError(
                "Say which time zone the hours are in: --tz Asia/Tokyo (or set timezone in config)."
            )
        start, end = parse_hours(hours)
        wanted = CheckinSettings(user, channel, chat, zone, start, end, cap, parse_gap(gap), lang)
        saved = store.set(wanted, now=utc_now())
    except InputError as exc:
        raise fail(exc) from None
    finally:
        store.close()
    where = terminal_safe(f"{saved.channel} {saved.chat_id}")
    typer.echo(f"Check-ins on for {user} ({where}): {terminal_safe(_terms(asdict(saved)))}.")


@app.command("off")
def turn_off(
    user: str = UserOption,
    channel: str | None = typer.Option(
        None, "--channel", help=f"only this channel ({_CHANNELS}); default: all", callback=_channel
    ),
) -> None:
    """Turn off a person's check-ins (their settings and log are kept)."""
    store, user = _store(user)
    try:
        count = store.disable(user, now=utc_now(), channel=channel)
    finally:
        store.close()
    if not count:
        raise fail(
            InputError(f"{user} has no check-ins on; see them with 'koclaw checkins show --user {user}'.")
        )
    typer.echo(f"Check-ins off for {user} ({count} channel{'s' if count > 1 else ''}).")


@app.command("show")
def show(user: str = UserOption, as_json: bool = JsonOption) -> None:
    """Show a person's check-in settings and where they stand now."""
    store, user = _store(user)
    now = utc_now()
    try:
        rows = [describe(store, s, now) for s in store.for_user(user)]
    finally:
        store.close()
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo(
            f"No check-ins for {user}. Turn them on: "
            f"koclaw checkins set --user {user} --chat CHAT --hours 09:00-22:00"
        )
        return
    for r in rows:
        state = "on" if r["enabled"] else "off"
        now_text = (
            f"in the window of {r['window_day']}, {r['sent_in_window']} sent"
            if r["active_now"]
            else "outside hours"
        )
        typer.echo(terminal_safe(f"{r['channel']} {r['chat_id']} ({state}): {_terms(r)}"))
        typer.echo(terminal_safe(f"  now: {now_text}; last sent: {r['last_sent'] or 'never'}"))


@app.command("log")
def show_log(
    user: str = UserOption,
    limit: int = typer.Option(20, "-n", "--limit", min=1, max=MAX_LOG, help="how many entries, newest first"),
    as_json: bool = JsonOption,
) -> None:
    """What happened at each check-in considered: sent, silent, skipped or failed."""
    store, user = _store(user)
    try:
        entries = store.log(user, limit=limit)
    finally:
        store.close()
    if as_json:
        print_json([asdict(e) for e in entries])
        return
    if not entries:
        typer.echo(f"No check-ins considered for {user} yet.")
        return
    table = Table("at (UTC)", "window", "outcome", "text / error")
    for e in entries:
        text = shown(e.text or e.error or "", multiline=True)
        table.add_row(shown(e.at.replace("T", " ")), shown(e.window_day), shown(e.outcome), text)
    plain_console().print(table)
