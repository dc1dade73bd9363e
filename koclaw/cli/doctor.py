"""`koclaw doctor`: the resolved configuration (secrets masked) and whether each dependency answers."""

from __future__ import annotations

import asyncio
import json
import shlex
import stat
import tomllib
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel, SecretStr

from koclaw.cli.common import settings_or_exit
from koclaw.cli.doctor_services import check_disk, server_checks
from koclaw.config import Settings, masked, read_config_text
from koclaw.errors import ConfigError, KoclawError
from memory.outbox import EpisodeOutbox
from memory.session import SessionStore


def register(app: typer.Typer) -> None:
    app.command()(doctor)


def doctor() -> None:
    """Print the configuration and check the disk, the storage and every server Koclaw is set to use."""
    settings = settings_or_exit()
    typer.echo(
        f"Configuration (file: {settings.config_file}{'' if settings.config_file.exists() else ', absent'}):"
    )
    typer.echo(json.dumps(masked(settings), ensure_ascii=False, indent=2))
    checks = [
        check_disk(settings.home),
        _check_storage(settings),
        asyncio.run(_check_model(settings)),
        *server_checks(settings),
    ]
    for ok, line in checks:
        typer.echo(f"{'ok  ' if ok else 'FAIL'} {line}")
    for line in [*_permission_notes(settings), *_channel_notes(settings)]:
        typer.echo(line)
    raise typer.Exit(0 if all(ok for ok, _ in checks) else 1)


def _channel_notes(settings: Settings) -> list[str]:
    """Which channels `koclaw run` would start, and what is odd about them."""
    tg, http = settings.telegram, settings.http
    notes = []
    if not tg.enabled:
        notes.append("off  telegram: set KOCLAW_TELEGRAM__TOKEN to turn it on")
    elif not tg.allowed_users:
        notes.append(
            "warn telegram: on, but KOCLAW_TELEGRAM__ALLOWED_USERS is empty, so nobody is allowed to talk "
            "to Kokoron. Add numeric Telegram user ids, comma-separated."
        )
    else:
        notes.append(
            f"ok   telegram: on, {len(tg.allowed_users)} allowed user(s), {len(tg.admin_users)} admin(s)"
        )
    if tg.enabled and (warning := admins_not_allowed(settings)):
        notes.append(f"warn telegram: {warning}")
    if http.enabled:
        exposed = "" if http.host in ("127.0.0.1", "localhost", "::1") else " (reachable from other machines)"
        notes.append(f"ok   http: on at http://{http.host}:{http.port}/v1{exposed}")
    else:
        notes.append("off  http: set KOCLAW_HTTP__API_KEY to turn it on")
    return notes


def admins_not_allowed(settings: Settings) -> str | None:
    """Admins must be allowed users too (admin rights grant commands, not access): say who is not."""
    tg = settings.telegram
    missing = [uid for uid in tg.admin_users if uid not in tg.allowed_users]
    if not missing:
        return None
    ids = ", ".join(str(uid) for uid in missing)
    fixed = ",".join(str(uid) for uid in [*tg.allowed_users, *missing])
    return (
        f"admin id(s) {ids} not in KOCLAW_TELEGRAM__ALLOWED_USERS: Telegram refuses them like strangers, "
        f"admin commands included. Allow them: KOCLAW_TELEGRAM__ALLOWED_USERS={fixed}"
    )


def _permission_notes(settings: Settings) -> list[str]:
    """A warning, with the chmod to run, for a home or a config file with secrets that others can open."""
    notes = []
    home, config = settings.home, settings.config_file
    if (mode := _mode(home)) is not None and mode & 0o077:
        notes.append(
            f"warn storage: {home} (mode {mode:04o}) is open to other users, and it holds conversations "
            f"and memories. Run: chmod 700 {shlex.quote(str(home))}"
        )
    if (mode := _mode(config)) is not None and mode & 0o077 and (secrets := _secrets_in(config)):
        notes.append(
            f"warn config: {config} (mode {mode:04o}) holds secrets ({', '.join(secrets)}) that other "
            f"users can read. Run: chmod 600 {shlex.quote(str(config))}"
        )
    return notes


def _mode(path: Path) -> int | None:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None


def _secrets_in(config: Path) -> list[str]:
    """The secret keys (the settings typed `SecretStr`) that `config` sets to a real value."""
    try:
        data: dict[str, Any] = tomllib.loads(read_config_text(config))
    except ConfigError:
        return []
    found = []
    for section, field in Settings.model_fields.items():
        model = field.annotation
        table = data.get(section)
        if not (isinstance(model, type) and issubclass(model, BaseModel) and isinstance(table, dict)):
            continue
        for key, sub in model.model_fields.items():
            value = table.get(key)
            if sub.annotation is SecretStr and isinstance(value, str) and value not in ("", "EMPTY"):
                found.append(f"{section}.{key}")
    return found


def _check_storage(settings: Settings) -> tuple[bool, str]:
    """The session database, opened only if it is there: doctor creates nothing (a new empty one would
    hide that a running Koclaw's had been deleted)."""
    if not settings.session_db.exists():
        return True, f"storage: {settings.session_db} not created yet (the first message creates it)"
    try:
        store = SessionStore(settings.session_db)
        count = store.db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        indexing = EpisodeOutbox(store).status().describe()
        store.close()
    except KoclawError as exc:
        return False, f"storage: {exc}"
    return True, f"storage: {settings.session_db} ({count} messages); episode indexing: {indexing}"


async def _check_model(settings: Settings) -> tuple[bool, str]:
    from koclaw.llm.openai_compat import OpenAICompatModel  # openai: 0.5 s that other commands skip

    model = OpenAICompatModel(settings.llm)
    try:
        served = await model.list_models()
    except KoclawError as exc:
        return False, f"model server: {exc}"
    finally:
        await model.aclose()
    wanted = settings.llm.model
    if wanted and wanted not in served:
        return False, (
            f"model server {settings.llm.base_url} serves {served}, not {wanted!r}. "
            "Set KOCLAW_LLM__MODEL to one of those."
        )
    chosen = wanted or (served[0] if served else "?")
    return True, f"model server: {settings.llm.base_url} serves {served}; Kokoron uses {chosen!r}"
