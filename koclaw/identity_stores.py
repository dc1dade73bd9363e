"""Moving stored data between identities: the one-time namespacing of older stores, and links.

Why one module: an identity is written in four databases (session, long-term, reminders, check-ins)
and names a person's Chroma collections (by a hash of it). A rename that missed one would split a
person's memory or leave part of it reachable under the old name. Chroma moves first and the link row
is written last, so a move that fails half-way is finished by running it again.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from koclaw.config import Settings
from koclaw.errors import InputError, StorageError
from koclaw.identities import CHANNELS, checked, identity
from memory import long_term_schema, session_schema
from memory.db import Migrations, open_db

log = logging.getLogger(__name__)

MARKER = "identities.json"
"""Written in KOCLAW_HOME once older stores carry namespaced identities (what was renamed, and when)."""
PREFERENCE = ("telegram", "cli", "http")
"""Who keeps the memories of a bare id used on several channels: they cannot be told apart any more, and
Telegram ids are vouched for by Telegram, the terminal by the machine, HTTP only by the client."""
BARE = " AND ".join(f"{{col}} NOT LIKE '{c}:%'" for c in CHANNELS)
MOVES = {  # database -> tables whose user_id column holds an identity
    "session": ("conversations", "messages", "inbox", "episode_outbox"),
    "long_term": ("memories",),
    "reminders": ("reminders",),
    "checkins": ("log",),
}
KEYED = {"session": ("training_consent",), "long_term": ("speakers",), "checkins": ("settings",)}
"""Tables keyed by identity: the target's own row wins over the moved one."""


@dataclass
class Stores:
    """The databases that exist in one KOCLAW_HOME, and where its Chroma index is."""

    home: Path
    chroma_url: str | None
    dbs: dict[str, sqlite_utils.Database]
    _chroma: Any = None

    def move_vectors(self, old: str, new: str) -> int:
        """`old`'s Chroma vectors to `new`, when `old` has long-term memories (vectors exist only then)."""
        from memory.vector_index import move_vectors, open_client

        if not self.rows("long_term", "SELECT 1 FROM memories WHERE user_id = ? LIMIT 1", [old]):
            return 0
        if self._chroma is None:
            self._chroma = open_client(self.home, self.chroma_url)
        return move_vectors(self._chroma, old, new)

    def close(self) -> None:
        for db in self.dbs.values():
            db.conn.close()

    def rows(self, name: str, sql: str, args: list[Any] | None = None) -> list[tuple[Any, ...]]:
        db = self.dbs.get(name)
        return [] if db is None else list(db.execute(sql, args or []).fetchall())


def open_stores(settings: Settings) -> Stores:
    """Each store that exists, its schema brought up to date (nothing is created)."""
    from koclaw import checkins, reminders

    specs: dict[str, tuple[Path, Migrations]] = {
        "session": (settings.session_db, session_schema.migrations),
        "long_term": (settings.home / "long_term.db", long_term_schema.migrations),
        "reminders": (settings.reminders_db, reminders.migrations),
        "checkins": (settings.checkins_db, checkins.migrations),
    }
    dbs = {name: open_db(path, steps) for name, (path, steps) in specs.items() if path.is_file()}
    return Stores(settings.home, settings.memory.chroma_url or None, dbs)


def move_identity(stores: Stores, old: str, new: str) -> dict[str, int]:
    """Everything stored under `old` now belongs to `new`; rows moved per table."""
    moved = {"vectors": stores.move_vectors(old, new)}
    for name, db in stores.dbs.items():
        with db.conn:
            if name == "long_term":  # an import re-run for the person must not collide with the alias's
                db.execute(
                    "UPDATE memories SET import_key = NULL WHERE user_id = ? AND import_key IN "
                    "(SELECT import_key FROM memories WHERE user_id = ? AND import_key IS NOT NULL)",
                    [old, new],
                )
            for table in MOVES.get(name, ()):
                cursor = db.execute(f"UPDATE {table} SET user_id = ? WHERE user_id = ?", [new, old])
                moved[table] = cursor.rowcount
            for table in KEYED.get(name, ()):
                cursor = db.execute(f"UPDATE OR IGNORE {table} SET user_id = ? WHERE user_id = ?", [new, old])
                db.execute(f"DELETE FROM {table} WHERE user_id = ?", [old])
                moved[table] = cursor.rowcount
            if name == "session":
                db.execute("UPDATE identity_links SET person = ? WHERE person = ?", [new, old])
    return {k: v for k, v in moved.items() if v}


def link(settings: Settings, alias: str, person: str, *, by: str) -> dict[str, Any]:
    """Make `alias` the same person as `person`: its data moves there, its messages are answered as them."""
    alias, person = checked(alias), checked(person)
    stores = open_stores(settings)
    try:
        session = stores.dbs.get("session") or open_db(settings.session_db, session_schema.migrations)
        stores.dbs["session"] = session
        asked = person
        found = session.execute("SELECT person FROM identity_links WHERE alias = ?", [person]).fetchone()
        person = found[0] if found else person  # link to whom `person` already stands for
        if alias == person:
            raise InputError(f"{alias} and {asked} are already one person.")
        current = session.execute("SELECT person FROM identity_links WHERE alias = ?", [alias]).fetchone()
        if current and current[0] != person:
            raise InputError(
                f"{alias} is linked to {current[0]}: run 'koclaw identity unlink {alias}' first."
            )
        moved = move_identity(stores, alias, person)
        with session.conn:
            session.execute(
                "INSERT OR REPLACE INTO identity_links VALUES (?, ?, ?, ?)", [alias, person, _now(), by]
            )
        return {"alias": alias, "person": person, "moved": moved}
    finally:
        stores.close()


def unlink(settings: Settings, alias: str) -> str | None:
    """End a link: `alias` is its own identity again (what moved stays with the person). Returns the
    person it stood for, or None when it was not linked."""
    alias = checked(alias)
    session = open_db(settings.session_db, session_schema.migrations)
    try:
        found = session.execute("SELECT person FROM identity_links WHERE alias = ?", [alias]).fetchone()
        with session.conn:
            session.execute("DELETE FROM identity_links WHERE alias = ?", [alias])
        return str(found[0]) if found else None
    finally:
        session.conn.close()


# -- the one-time rename of stores written before namespaces --------------------------------------------
def namespace_once(settings: Settings) -> dict[str, Any] | None:
    """Give every bare id in this home its channel's namespace, once (a marker file remembers)."""
    marker = settings.home / MARKER
    if marker.is_file() or not settings.home.is_dir():
        return None
    try:
        with _locked(settings.home):
            if marker.is_file():
                return None
            stores = open_stores(settings)
            try:
                report = _namespace(stores)
            finally:
                stores.close()
            marker.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except (OSError, StorageError) as exc:  # a read-only home, a damaged store: the store that
        # opens it says what to do; `doctor` and the commands on the other stores still run
        log.warning("Could not check identities in %s (tried again next time): %s", settings.home, exc)
        return None
    if report["renamed"]:
        log.warning(
            "Identities now carry their channel (telegram:, http:, cli:): %d renamed; see %s.",
            len(report["renamed"]),
            marker,
        )
    for bare, channels in report["shared"].items():
        log.warning(
            "User id %r was used on %s: its long-term memories stay with %s. If they were different "
            "people, review them with 'koclaw memory long-term list --user %s'.",
            bare,
            " and ".join(channels),
            report["renamed"][bare],
            report["renamed"][bare],
        )
    return report


def _namespace(stores: Stores) -> dict[str, Any]:
    bare = BARE.format(col="user_id")
    seen: dict[str, set[str]] = {}
    for name, table in (("session", "conversations"), ("session", "inbox"), ("reminders", "reminders"),
                        ("checkins", "settings"), ("checkins", "log")):  # fmt: skip
        for user_id, channel in stores.rows(
            name, f"SELECT DISTINCT user_id, channel FROM {table} WHERE {bare}"
        ):
            if channel in CHANNELS:
                seen.setdefault(user_id, set()).add(channel)
    renamed = {u: identity(min(chs, key=PREFERENCE.index), u) for u, chs in seen.items()}
    shared = {u: sorted(chs, key=PREFERENCE.index) for u, chs in seen.items() if len(chs) > 1}
    known = "channel IN ({})".format(", ".join(f"'{c}'" for c in CHANNELS))
    per_row = f"user_id = channel || ':' || user_id WHERE {bare} AND {known}"
    via_conversation = (
        "user_id = (SELECT channel FROM conversations c WHERE c.id = {t}.conversation_id) || ':' || user_id "
        f"WHERE {bare} AND (SELECT {known} FROM conversations c WHERE c.id = {{t}}.conversation_id)"
    )
    # Data without a channel of its own (memories, consent): the channel the id was used on, else the
    # terminal's (memories imported with `koclaw memory long-term import --user NAME`).
    for name, table in (("long_term", "memories"), ("session", "training_consent")):
        for (user_id,) in stores.rows(name, f"SELECT DISTINCT user_id FROM {table} WHERE {bare}"):
            renamed.setdefault(user_id, identity("cli", user_id))
    for old, new in renamed.items():  # the channel-less tables and Chroma, one person at a time
        _move_channel_less(stores, old, new)
    statements = {
        "session": [f"UPDATE messages SET {via_conversation.format(t='messages')}",
                    f"UPDATE episode_outbox SET {via_conversation.format(t='episode_outbox')}",
                    f"UPDATE conversations SET {per_row}", f"UPDATE inbox SET {per_row}"],
        "reminders": [f"UPDATE reminders SET {per_row}"],
        "checkins": [f"UPDATE settings SET {per_row}", f"UPDATE log SET {per_row}"],
    }  # fmt: skip
    for name, sqls in statements.items():
        if (db := stores.dbs.get(name)) is not None:
            with db.conn:
                for sql in sqls:
                    db.execute(sql)
    return {"namespaced_at": _now(), "renamed": renamed, "shared": shared}


def _move_channel_less(stores: Stores, old: str, new: str) -> None:
    stores.move_vectors(old, new)
    for name, tables in (("long_term", ("memories", "speakers")), ("session", ("training_consent",))):
        if (db := stores.dbs.get(name)) is not None:
            with db.conn:
                for table in tables:
                    db.execute(f"UPDATE {table} SET user_id = ? WHERE user_id = ?", [new, old])


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    """One process renames at a time (`koclaw run` and a CLI command may start together)."""
    with open(home / "identities.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
