"""Migrations: each step once, whole or not at all, whoever opens the store first."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import sqlite_utils

from koclaw.errors import StorageError
from memory import long_term_schema, session_schema
from memory.db import Migrations, open_db


def _schema(fail_in_step_two: bool) -> Migrations:
    steps = Migrations("test")

    @steps
    def m001_notes(db: sqlite_utils.Database) -> None:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        db.execute("INSERT INTO notes (text) VALUES ('kept')")

    @steps
    def m002_more(db: sqlite_utils.Database) -> None:
        db.execute("ALTER TABLE notes ADD COLUMN tag TEXT")
        db.execute("CREATE TABLE tags (name TEXT)")
        db.execute("UPDATE notes SET tag = 'x'")
        if fail_in_step_two:
            raise sqlite3.OperationalError("disk I/O error (injected halfway through the step)")

    return steps


def test_a_step_that_fails_halfway_leaves_nothing_behind_and_runs_whole_next_time(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with pytest.raises(StorageError, match="disk I/O error"):
        open_db(path, _schema(fail_in_step_two=True))
    probe = sqlite_utils.Database(path)
    assert probe["notes"].columns_dict == {"id": int, "text": str}  # step 1 kept, step 2 rolled back
    assert not probe["tags"].exists()
    probe.close()

    db = open_db(path, _schema(fail_in_step_two=False))
    assert [tuple(r) for r in db.execute("SELECT text, tag FROM notes").fetchall()] == [("kept", "x")]
    assert _schema(False).apply(db) == []


@pytest.mark.parametrize(
    "schema", [session_schema.migrations, long_term_schema.migrations], ids=["session", "long-term"]
)
def test_stores_opened_at_the_same_moment_each_apply_every_step_once(
    tmp_path: Path, schema: Migrations
) -> None:
    """Two commands started together on a new home: before, one failed ("duplicate column name")."""
    for round_ in range(4):
        path = tmp_path / f"store{round_}.db"
        start, errors = threading.Barrier(4), []

        def open_it(
            path: Path = path, start: threading.Barrier = start, errors: list[Exception] = errors
        ) -> None:
            start.wait()
            try:
                open_db(path, schema).close()
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        db = sqlite_utils.Database(path)
        count = db.execute("SELECT COUNT(*) FROM _koclaw_migrations").fetchone()[0]
        assert count == len(schema.steps)
        db.close()


def test_opening_a_store_again_keeps_this_process_locks_so_another_process_sees_every_write(
    tmp_path: Path,
) -> None:
    """Opening an existing file with os.open/os.close dropped this process's SQLite locks: another
    process then folded the WAL in and deleted it, and later writes here went to the deleted log."""
    import subprocess
    import sys

    path = tmp_path / "long_term.db"
    writer = open_db(path, long_term_schema.migrations)
    writer.execute("CREATE TABLE notes (text TEXT)")
    writer.conn.execute("INSERT INTO notes VALUES ('first')")
    writer.conn.commit()
    again = open_db(path, long_term_schema.migrations)  # another thread's store, as in `koclaw run`
    read = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
        " print(c.execute('SELECT COUNT(*) FROM notes').fetchone()[0]); c.close()"
    )

    def count_elsewhere() -> str:  # another process, closing the last connection it knows of
        return subprocess.run([sys.executable, "-c", read, str(path)], capture_output=True, text=True).stdout

    assert count_elsewhere() == "1\n"
    writer.conn.execute("INSERT INTO notes VALUES ('second')")
    writer.conn.commit()
    assert count_elsewhere() == "2\n"
    again.close()
    writer.close()
