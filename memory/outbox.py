"""The episode outbox: turns waiting to become long-term episodes, kept in the session database.

As a turn ends, its two messages are queued here (one committed insert on the event loop), and a
background task embeds them in batches (`koclaw.remember`). Because the queue is a table, a restart
or kill -9 loses nothing (what was not indexed is indexed after the next start), memory holds one
batch however long the queue, and another process (`koclaw doctor`, `koclaw memory long-term
status`) can read how it is doing. Rows stay an hour after they are indexed, to give the rate.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from koclaw.errors import StorageError
from memory.db import fetch_rows
from memory.records import EpisodeIn
from memory.session import SessionStore, now_iso

MAX_ATTEMPTS = 5  # a row that failed this often, for a reason that does not pass, is set aside
KEEP_INDEXED = timedelta(hours=1)
WAITING = f"indexed_at IS NULL AND attempts < {MAX_ATTEMPTS}"  # queued, and not set aside
SET_ASIDE = f"indexed_at IS NULL AND attempts >= {MAX_ATTEMPTS}"
FORGOTTEN = "forgotten before it was indexed"  # the error of a row a forget skipped
SPEAKERS = {"user": "Sensei", "assistant": "Kokoron"}


@dataclass(frozen=True, slots=True)
class Queued:
    """One queued message; `episode` is None when it has nothing to index (forgotten, or empty)."""

    id: int
    user_id: str
    episode: EpisodeIn | None


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    queued: int
    failed: int
    oldest_s: float | None  # how long the oldest queued turn has waited
    indexed_last_minute: int

    @property
    def per_second(self) -> float:
        return self.indexed_last_minute / 60.0

    def describe(self) -> str:
        oldest = f", oldest {self.oldest_s:.0f} s" if self.oldest_s is not None else ""
        failed = (
            f", {self.failed} failed (see `koclaw memory long-term status`; retried at the next start)"
            if self.failed
            else ""
        )
        return (
            f"{self.queued} turns queued{oldest}, {self.per_second:.1f} indexed/s in the last minute{failed}"
        )


class EpisodeOutbox:
    """The queue's reads and writes. Use from the session store's thread."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    def put(self, user_id: str, conversation_id: int, message_ids: Iterable[int]) -> None:
        stamp = now_iso()
        rows = [(user_id, conversation_id, mid, stamp) for mid in message_ids]
        self._execute(
            "INSERT INTO episode_outbox (user_id, conversation_id, message_id, queued_at) "
            "VALUES (?, ?, ?, ?)",
            rows,
        )

    def next_batch(self, limit: int) -> list[Queued]:
        """The oldest waiting rows, with their messages as episodes (oldest first)."""
        rows = self._rows(
            "SELECT o.id, o.user_id, o.conversation_id, o.message_id, m.role, m.content, m.created_at "
            f"FROM episode_outbox o LEFT JOIN messages m ON m.id = o.message_id WHERE {WAITING} "
            "ORDER BY o.id LIMIT ?",
            [limit],
        )
        return [Queued(r["id"], r["user_id"], _episode(r)) for r in rows]

    def indexed(self, ids: Sequence[int]) -> None:
        stamp = now_iso()
        self._execute("UPDATE episode_outbox SET indexed_at = ? WHERE id = ?", [(stamp, i) for i in ids])
        cutoff = (datetime.now(UTC) - KEEP_INDEXED).isoformat(timespec="milliseconds")
        self._execute("DELETE FROM episode_outbox WHERE indexed_at < ?", [(cutoff,)])

    def failed(self, ids: Sequence[int], error: str) -> None:
        self._execute(
            "UPDATE episode_outbox SET attempts = attempts + 1, error = ? WHERE id = ?",
            [(error[:500], i) for i in ids],
        )

    def skip_matching(self, user_id: str, text: str) -> int:
        """Never index this person's queued turns whose text contains `text` (as a long-term forget
        matches it), and return how many: forgotten from long-term memory, a turn still in the queue
        would otherwise come back as a memory seconds later. The session keeps the message."""
        where = (
            "user_id = ? AND indexed_at IS NULL AND message_id IN "
            "(SELECT id FROM messages WHERE instr(lower(content), lower(?)) > 0)"
        )
        skip = "UPDATE episode_outbox SET indexed_at = ?, error = ?"
        return self._execute(f"{skip} WHERE {where}", [(now_iso(), FORGOTTEN, user_id, text)])

    def forgotten(self, ids: Sequence[int]) -> list[int]:
        """Of these rows (a batch just indexed), the messages forgotten while it was embedded:
        skipped by a forget, or deleted from the session. Their new episodes must go again."""
        rows = self._rows(
            "SELECT o.message_id FROM episode_outbox o LEFT JOIN messages m ON m.id = o.message_id "
            f"WHERE o.id IN ({','.join('?' * len(ids))}) AND (o.error = ? OR m.id IS NULL)",
            [*ids, FORGOTTEN],
        )
        return [int(r["message_id"]) for r in rows]

    def retry_set_aside(self) -> int:
        """Queue the set-aside rows again (each start does, once): what failed for a reason that has
        since passed is indexed then, and a row that still fails is set aside after MAX_ATTEMPTS more."""
        return self._execute(f"UPDATE episode_outbox SET attempts = 0 WHERE {SET_ASIDE}", [()])

    def waiting(self) -> int:
        rows = self._rows(f"SELECT COUNT(*) AS n FROM episode_outbox WHERE {WAITING}", [])
        return int(rows[0]["n"])

    def status(self, now: datetime | None = None) -> OutboxStatus:
        now = now or datetime.now(UTC)
        minute_ago = (now - timedelta(minutes=1)).isoformat(timespec="milliseconds")
        row = self._rows(
            f"SELECT SUM({WAITING}) AS queued, SUM({SET_ASIDE}) AS failed, "
            f"MIN(CASE WHEN {WAITING} THEN queued_at END) AS oldest, "
            "SUM(indexed_at >= ?) AS recent FROM episode_outbox",
            [minute_ago],
        )[0]
        oldest = (now - datetime.fromisoformat(row["oldest"])).total_seconds() if row["oldest"] else None
        return OutboxStatus(row["queued"] or 0, row["failed"] or 0, oldest, row["recent"] or 0)

    def failures(self, limit: int = 20) -> list[dict[str, Any]]:
        return list(
            self._rows(
                "SELECT id, user_id, message_id, queued_at, attempts, error FROM episode_outbox "
                f"WHERE {SET_ASIDE} ORDER BY id LIMIT ?",
                [limit],
            )
        )

    def _rows(self, sql: str, args: Sequence[object]) -> list[dict[str, Any]]:
        return fetch_rows(self.store.db, sql, args, source=f"The episode outbox in {self.store.path}")

    def _execute(self, sql: str, rows: Sequence[tuple[object, ...]]) -> int:
        """Run `sql` once per row in one transaction; returns how many rows it changed."""
        try:
            with self.store.db.conn:
                return self.store.db.conn.executemany(sql, rows).rowcount
        except sqlite3.Error as exc:
            raise StorageError(f"The episode outbox in {self.store.path} failed: {exc}") from exc


def _episode(row: dict[str, Any]) -> EpisodeIn | None:
    content, role = row["content"], row["role"]
    if not isinstance(content, str) or not content.strip() or role not in SPEAKERS:
        return None
    return EpisodeIn(
        text=content,
        speaker=SPEAKERS[str(role)],
        timestamp=str(row["created_at"]),
        conversation_id=str(row["conversation_id"]),
        message_id=str(row["message_id"]),
    )
