"""Opening SQLite databases, and named append-only migrations recorded in a table (principle 5)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from koclaw.errors import StorageError

Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS_TABLE = "_koclaw_migrations"


class Migrations:
    """An ordered list of named steps for one database; each runs once, in order, in a transaction."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.steps: list[tuple[str, Migration]] = []

    def __call__(self, fn: Migration) -> Migration:
        self.steps.append((fn.__name__, fn))
        return fn

    def apply(self, db: sqlite_utils.Database) -> list[str]:
        """Run the steps not yet recorded, each in its own write transaction.

        Each step takes the write lock first (BEGIN IMMEDIATE) and checks again that it is still to
        do: two processes opening a new store at once (two CLI commands, a command beside `koclaw
        run`) apply each step once instead of both running it. Its schema changes roll back with
        it when it fails, so a step killed halfway is simply run again on the next open.
        """
        db.execute(
            f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} "
            "(migration_set TEXT, name TEXT, applied_at TEXT, PRIMARY KEY (migration_set, name))"
        )
        if not self._pending(db):
            return []
        applied = []
        for name, fn in self.steps:
            db.conn.execute("BEGIN IMMEDIATE")
            try:
                if name in self._pending(db):
                    fn(db)
                    db.execute(
                        f"INSERT INTO {MIGRATIONS_TABLE} VALUES (?, ?, ?)",
                        [self.name, name, datetime.now(UTC).isoformat()],
                    )
                    applied.append(name)
            except BaseException:
                db.conn.rollback()
                raise
            db.conn.commit()
        return applied

    def _pending(self, db: sqlite_utils.Database) -> set[str]:
        rows = db.execute(f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ?", [self.name])
        return {name for name, _ in self.steps} - {row[0] for row in rows.fetchall()}


def open_db(path: Path, migrations: Migrations) -> sqlite_utils.Database:
    """Open (creating if needed) a WAL-mode database and bring its schema up to date.

    A new database is owner-only (folders 0700, file 0600) whatever the umask: it holds private
    conversations. SQLite gives its -wal and -shm files the database file's mode.
    """
    try:
        _private_parents(path.parent)
        _create_private(path)
        conn = sqlite3.connect(path, timeout=10.0)
        db = sqlite_utils.Database(conn)
        _wal(conn)
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        migrations.apply(db)
    except (OSError, sqlite3.Error) as exc:
        raise StorageError(f"Cannot open the database {path}: {exc}. {_advice(exc)}") from exc
    return db


def _create_private(path: Path) -> None:
    """Create `path` empty and owner-only (an empty file is an empty database) if it is not there.

    Never open and close an existing one: closing any descriptor of a file drops every POSIX lock this
    process holds on it, SQLite's included. `koclaw run` opens long_term.db from several threads, so
    each later open released its locks; another process then took itself for the last user, folded
    the write-ahead log into the file and deleted it, and `run` went on writing into the deleted log:
    its episodes were invisible to others and lost at kill -9, and a forget from the CLI came back.
    """
    if path.exists():
        return
    with contextlib.suppress(FileExistsError):  # another process made it first
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))


def _wal(conn: sqlite3.Connection, wait_s: float = 10.0) -> None:
    """Switch to WAL. SQLite answers "locked" at once, without its busy timeout, while another
    connection opens the same new file (two commands started together on a new home): wait for it."""
    deadline, pause = time.monotonic() + wait_s, 0.01
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL").fetchall()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


def _advice(exc: Exception) -> str:
    """What to do: a damaged file needs another remedy than a folder Koclaw may not write."""
    damaged = ("file is not a database", "malformed", "corrupt")
    if isinstance(exc, sqlite3.DatabaseError) and any(word in str(exc) for word in damaged):
        return (
            "The file is damaged or is not one of Koclaw's databases: restore it from a backup, or "
            "move it aside and Koclaw starts an empty one (what it held is then not available)."
        )
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return "Another Koclaw process holds it busy: try again in a moment."
    return "Check that KOCLAW_HOME points to a writable folder."


def _private_parents(folder: Path) -> None:
    """Create `folder` and any missing folders above it as 0700 (`mkdir(parents=True)` would not)."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for part in reversed(missing):
        part.mkdir(mode=0o700, exist_ok=True)


def fetch_rows(
    db: sqlite_utils.Database, sql: str, args: Iterable[Any], *, source: str
) -> list[dict[str, Any]]:
    """Run a query and return its rows as dicts; a failure names `source` (the database and file)."""
    try:
        cur = db.execute(sql, list(args))
    except sqlite3.Error as exc:
        raise StorageError(f"{source} failed: {exc}") from exc
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def utc_iso(moment: datetime) -> str:
    """An aware moment as UTC ISO text to the second: how timed rows store times (they sort as text)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")
