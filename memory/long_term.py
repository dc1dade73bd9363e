"""The long-term tier: episodes (every turn) and facts, searchable by meaning and by words.

Two stores hold every memory:

* `memory.vector_index` (Chroma; dense vectors, one collection per kind and person), whose collection
  metadata records the embedder; an index built by another embedder is refused, never mixed
  (`memory.reindex`; `LongTermMemory(..., rebuild_index=True)` re-embeds it).
* SQLite `long_term.db` (`memory.long_term_schema`): the source of truth for listing, export and
  rebuilding, with two FTS5 indexes: words (porter stemming; CJK as character pairs) over each episode
  with who said it and when, and trigrams over the text (verbatim matches).

Every read and write is scoped to one person by `memory.scope.for_person`, the single place that
builds both the vector index's collection key and the SQL user filter; nothing else filters by user.
Writes go through `_write` alone: SQLite and Chroma together, a Chroma failure rolling SQLite back.

Recall (`recall`) gathers candidates: dense top-50 (`memory.dense_search`: each turn scored with its
neighbours; the question embedded without the speakers it names, `memory.speakers.without_speakers`),
lexical top-50 (`memory.lexical_search`: BM25), the turns in the period the question names
(`memory.time_query`) and verbatim matches; `memory.ranking` orders them. Every lookup is an index
lookup: recall scans nothing, at any size.
"""

from __future__ import annotations

import builtins
import json
import logging
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from koclaw.errors import InputError, StorageError, StorageUnavailable
from memory import dense_search, episode_context, lexical_search, ranking, reindex
from memory.db import fetch_rows, open_db
from memory.embeddings import Embedder, make_embedder
from memory.lexical import coverage
from memory.long_term_schema import migrations, search_text
from memory.records import (
    EpisodeIn,
    Fact,
    Memory,
    Recalled,
    check_importance,
    check_text,
    clean_query,
    embeddable,
    fact_from_row,
    import_key,
    normalise_text,
    parse_episode,
    timestamp_iso,
)
from memory.scope import KINDS, Kind, Scope, for_person
from memory.session import now_iso
from memory.speakers import named_speakers, without_speakers
from memory.time_query import TimeWindow, asks_when, mentions_time, time_window
from memory.vector_index import COLLECTIONS, VectorIndex, disk_full, row_metadata

CANDIDATES = 50  # per retriever, before ranking
MERGE_COSINE = 0.92  # a new fact this close to an existing one updates it instead

log = logging.getLogger(__name__)


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
        self._embed_query = dense_search.QueryEmbedder(self.embedder)
        reindex.expect_recorded_dim(self.db, self.embedder)
        self.index = VectorIndex(home, self.embedder.name, self.embedder.dim, chroma_url=chroma_url)
        if rebuild_index:
            reindex.rebuild(self.db, self._rows, self.index, self.embedder)
        reindex.check_embedder(self.db, self.embedder)
        if reindex.index_format(self._rows) == reindex.REBUILDING:
            log.warning(
                "Rebuilding the long-term index at %s did not finish: recall misses what it had not "
                "re-embedded yet. Run 'koclaw memory long-term reindex' again.",
                self.path,
            )
        elif self.needs_reindex and self._rows("SELECT 1 FROM memories WHERE kind = 'episode' LIMIT 1", []):
            log.warning(
                "The long-term index at %s was built before episodes were embedded with who said them; "
                "recall works, but run 'koclaw memory long-term reindex' once to upgrade it.",
                self.path,
            )

    def close(self) -> None:
        self.db.conn.close()

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
        item = parse_episode(
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
        """Store turns in one batch (one embedding call, one transaction); returns the new ids. A turn
        whose `message_id` is already stored is skipped.

        Each turn follows the last episode of its conversation (`conversation_id`; turns without one
        follow each other) in the same session (`episode_context.same_session`), and is embedded
        alone and together with that one.
        """
        scope = for_person(user_id, ("episode",))
        stored = self._stored_messages(scope, [i.message_id for i in items if i.message_id])
        fresh = []
        for item in items:
            if item.message_id is None or item.message_id not in stored:
                fresh.append(item)
                if item.message_id is not None:
                    stored.add(item.message_id)
        items = fresh
        rows = episode_context.new_rows(items, [None] * len(items), partial(self._last_episode, scope))
        self._store(scope, rows)
        return [r["id"] for r in rows]

    def _stored_messages(self, scope: Scope, message_ids: builtins.list[str]) -> set[str]:
        """Which of these messages are already episodes: a turn queued twice is stored once."""
        if not message_ids:
            return set()
        rows = self._rows(
            f"SELECT m.message_id FROM memories m WHERE {scope.sql} AND m.message_id IN "
            f"({','.join('?' * len(message_ids))})",
            [*scope.args, *message_ids],
        )
        return {r["message_id"] for r in rows}

    def import_episodes(
        self,
        user_id: str,
        rows: Iterable[dict[str, Any] | EpisodeIn],
        batch_size: int = 64,
        progress: Progress | None = None,
    ) -> list[str]:
        """Store many turns as one transaction: every row is checked first (`InputError` names the
        bad row's number, 1-based, and nothing is stored), then all are embedded (`progress(n)` after
        each batch) and written together. Rows already imported (the same row, the same number of
        times before) are skipped, so a rerun of the same file stores nothing twice. Returns new ids."""
        scope = for_person(user_id, ("episode",))
        items = [
            r if isinstance(r, EpisodeIn) else parse_episode(r, n, strict=True) for n, r in enumerate(rows, 1)
        ]
        keys, seen = [], dict[str, int]()
        for item in items:
            key = import_key(item)
            seen[key] = seen.get(key, 0) + 1
            keys.append(f"{key}#{seen[key]}")
        done = self._imported(scope, keys)
        todo = [(item, key) for item, key in zip(items, keys, strict=True) if key not in done]
        new = episode_context.new_rows(
            [i for i, _ in todo], [k for _, k in todo], partial(self._last_episode, scope)
        )
        self._store(scope, new, batch_size=batch_size, progress=progress)
        return [r["id"] for r in new]

    def _imported(self, scope: Scope, keys: builtins.list[str]) -> set[str]:
        found: set[str] = set()
        for chunk, marks in _in_chunks(keys):
            rows = self._rows(
                f"SELECT m.import_key FROM memories m WHERE m.user_id = ? AND m.import_key IN ({marks})",
                [scope.user_id, *chunk],
            )
            found.update(r["import_key"] for r in rows)
        return found

    def _last_episode(self, scope: Scope, conversation_id: str | None) -> dict[str, Any] | None:
        """The newest episode of this person's conversation, if any."""
        rows = self._rows(
            "SELECT m.id, m.kind, m.text, m.speaker, m.timestamp, m.session FROM memories m "
            f"WHERE {scope.sql} AND m.conversation_id IS ? ORDER BY m.rowid DESC LIMIT 1",
            [*scope.args, conversation_id],
        )
        return rows[0] if rows else None

    def _store(
        self,
        scope: Scope,
        rows: builtins.list[dict[str, Any]],
        *,
        batch_size: int = 64,
        progress: Progress | None = None,
    ) -> None:
        """Embed new episodes (each alone, and paired with the turn before it), then write them all."""
        vectors: builtins.list[builtins.list[float]] = []
        pairs: dict[str, builtins.list[float]] = {}
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            paired = [r for r in batch if "_prev_dense" in r]
            texts = [episode_context.embedded_text(r) for r in batch] + [
                episode_context.pair_text(r.pop("_prev_dense"), episode_context.embedded_text(r))
                for r in paired
            ]
            embedded = self.embedder.embed_documents([embeddable(t) for t in texts])
            vectors.extend(embedded[: len(batch)])
            pairs.update(zip((r["id"] for r in paired), embedded[len(batch) :], strict=True))
            if progress:
                progress(len(batch))
        if rows:
            self._write(scope, rows, vectors, pairs=pairs)

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
        scope = for_person(user_id, ("fact",))
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
                "search_text": search_text("fact", text, None, None),
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
            "search_text": search_text("fact", text, None, None),
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
        scope = for_person(user_id, ("fact",))
        row = self._get(scope, fact_id)
        changed = dict(row)
        vector: list[float] | None = None
        if text is not None:
            changed["text"] = check_text(text)
            changed["norm_text"] = normalise_text(changed["text"])
            changed["search_text"] = search_text("fact", changed["text"], None, None)
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
        return bool(self._delete(for_person(user_id), [memory_id]))

    def forget(self, user_id: str, target: str) -> list[str]:
        """Delete this user's memories: the one with id `target`, or every one whose text
        contains `target`. Returns the deleted ids."""
        scope = for_person(user_id)
        return self._delete(scope, [r["id"] for r in self._forget_rows(scope, target)])

    def forget_preview(self, user_id: str, target: str) -> builtins.list[Memory]:
        """What `forget(user_id, target)` would delete, deleting nothing (the same match), so a
        broad match can be shown to the person before it goes."""
        return [Memory.from_row(r) for r in self._forget_rows(for_person(user_id), target)]

    def forget_message(self, user_id: str, message_id: int) -> builtins.list[str]:
        """Delete this user's episodes stored from session message `message_id`: a message id is
        only ever matched against `memories.message_id`, never against text."""
        return self.forget_messages(user_id, [message_id])

    def forget_messages(self, user_id: str, message_ids: Iterable[int]) -> builtins.list[str]:
        """`forget_message` for several messages at once."""
        scope = for_person(user_id, ["episode"])
        wanted = [str(i) for i in dict.fromkeys(message_ids)]
        found: builtins.list[str] = []
        for chunk, marks in _in_chunks(wanted):
            rows = self._rows(
                f"SELECT m.id FROM memories m WHERE {scope.sql} AND m.message_id IN ({marks})",
                [*scope.args, *chunk],
            )
            found += [r["id"] for r in rows]
        return self._delete(scope, found)

    def forget_ids(self, user_id: str, ids: Iterable[str]) -> builtins.list[str]:
        """Delete these memories, those of them that are this user's: what a confirmed preview
        showed, and nothing stored since. Returns the deleted ids."""
        return self._delete(for_person(user_id), list(dict.fromkeys(ids)))

    def _forget_rows(self, scope: Scope, target: str) -> builtins.list[dict[str, Any]]:
        """The rows `forget` deletes and `forget_preview` shows: one place, so they agree."""
        target = target.strip()
        if not target:
            raise InputError("Say what to forget: a memory id, or some text it contains.")
        rows = self._rows(f"SELECT m.* FROM memories m WHERE {scope.sql} AND m.id = ?", [*scope.args, target])
        if not rows:
            rows = self._rows(
                f"SELECT m.* FROM memories m WHERE {scope.sql} AND instr(lower(m.text), lower(?)) > 0 "
                "ORDER BY m.timestamp, m.id",
                [*scope.args, target],
            )
        return rows

    # -- reading -------------------------------------------------------------------------------
    def recall(
        self,
        user_id: str,
        query: str,
        *,
        k: int = 8,
        kinds: Iterable[str] = KINDS,
        query_vector: Sequence[float] | None = None,
        now: datetime | None = None,
        words_only: bool = False,
    ) -> list[Recalled]:
        """The `k` memories that best answer `query` (see the module doc and `memory.ranking`).

        `query_vector`: the query's embedding, if the caller has it. `words_only`: no embedding, the
        word index alone (what an overloaded machine still affords).
        `now`: when the question is asked ("last week" is resolved against it); default: now.
        """
        scope = for_person(user_id, kinds)
        query = clean_query(query)
        if not query or k <= 0:
            return []
        if not self._rows(f"SELECT 1 FROM memories m WHERE {scope.sql} LIMIT 1", scope.args):
            return []  # nothing to recall yet (a new person): no embedding, no index query
        now = _aware(now)
        named = named_speakers(query, self._speakers(scope)) if "episode" in scope.kinds else set()
        topic = without_speakers(query, named)  # embedded: the names count through the speaker boost
        if query_vector is None and not words_only:
            query_vector = self._embed_query(embeddable(topic))
        dense = self._dense(scope, query_vector, CANDIDATES, context=True) if query_vector is not None else []
        exact = lexical_search.exact(self._rows, scope, query, CANDIDATES)
        lexical = self._lexical(scope, query, CANDIDATES)
        window = time_window(query, now)
        in_window = self._lexical(scope, query, CANDIDATES, window) if window else []
        dense_rank = {mid: i for i, (mid, _) in enumerate(dense, 1)}
        lexical_rank = ranking.merge_ranks(lexical, in_window)
        ids = list(dict.fromkeys([*exact, *dense_rank, *lexical_rank]))
        rows = {r["id"]: r for r in self._fetch(scope, ids)}  # drops anything not this user's
        weights = lexical_search.term_weights(self._rows, query) if lexical_rank else {}
        when = asks_when(query)
        exact_set = set(exact)
        start, end = (timestamp_iso(window.start), timestamp_iso(window.end)) if window else ("", "")
        candidates = [
            ranking.Candidate(
                id=mid,
                dense_rank=dense_rank.get(mid),
                lexical_rank=lexical_rank.get(mid),
                coverage=coverage(row["search_text"], weights) if mid in lexical_rank else 0.0,
                exact=mid in exact_set,
                importance=row["importance"],
                timestamp=row["timestamp"],
                speaker_named=row["speaker"] in named,
                in_window=bool(window) and start <= row["timestamp"] < end,
                says_time=when and mentions_time(row["text"]),
            )
            for mid, row in rows.items()
        ]
        return [Recalled.from_row(rows[c.id], score, c) for c, score in ranking.rank(candidates, now, k)]

    def recall_dense(
        self, user_id: str, query: str, *, k: int = 8, kinds: Iterable[str] = KINDS
    ) -> list[str]:
        """Ids by vector similarity only (for evaluation)."""
        scope = for_person(user_id, kinds)
        qvec = self.embedder.embed_query(embeddable(clean_query(query)))
        return [mid for mid, _ in self._dense(scope, qvec, max(k, CANDIDATES), context=True)[:k]]

    def recall_lexical(
        self, user_id: str, query: str, *, k: int = 8, kinds: Iterable[str] = KINDS
    ) -> list[str]:
        """Ids by the lexical indexes only (for evaluation)."""
        return self._lexical(for_person(user_id, kinds), clean_query(query), k)

    def similar(self, user_id: str, text: str, k: int = 8, *, kinds: Iterable[str] = KINDS) -> list[Recalled]:
        """Dense-only neighbours of `text`; score is the cosine similarity."""
        scope = for_person(user_id, kinds)
        text = clean_query(text)
        if not text:
            return []
        dense = self._dense(scope, self.embedder.embed_query(embeddable(text)), k)
        rows = {r["id"]: r for r in self._fetch(scope, [mid for mid, _ in dense])}
        return [
            Recalled.from_row(rows[mid], 1.0 - distance, ranking.Candidate(id=mid, dense_rank=rank))
            for rank, (mid, distance) in enumerate(dense, 1)
            if mid in rows
        ]

    def get(self, user_id: str, memory_id: str) -> Memory:
        return Memory.from_row(self._get(for_person(user_id), memory_id))

    def count(self, user_id: str, kind: str | None = None) -> int:
        scope = for_person(user_id, (kind,) if kind else KINDS)
        rows = self._rows(f"SELECT COUNT(*) AS n FROM memories m WHERE {scope.sql}", scope.args)
        return int(rows[0]["n"])

    def index_count(self, kind: Kind) -> int:
        """Vectors of one kind in Chroma, all users (for admins and tests)."""
        return self.index.count(COLLECTIONS[kind])

    def export(self, user_id: str) -> Iterator[dict[str, Any]]:
        """Every memory of this user, oldest first, as JSON-ready dicts."""
        scope = for_person(user_id)
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
        self, scope: Scope, qvec: Sequence[float], n: int, *, context: bool = False
    ) -> Sequence[tuple[str, float]]:
        return dense_search.search(self._rows, self.index, scope, qvec, n, context=context)

    def _lexical(
        self, scope: Scope, query: str, n: int, window: TimeWindow | None = None
    ) -> builtins.list[str]:
        return lexical_search.search(self._rows, scope, query, n, window)

    def _speakers(self, scope: Scope) -> builtins.list[str]:
        rows = self._rows("SELECT speaker FROM speakers WHERE user_id = ? LIMIT 500", [scope.user_id])
        return [r["speaker"] for r in rows]

    def _duplicate_fact(self, scope: Scope, text: str, vector: list[float]) -> dict[str, Any] | None:
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
        scope: Scope,
        rows: builtins.list[dict[str, Any]],
        vectors: Sequence[Sequence[float]] | None,
        *,
        replace: bool = False,
        pairs: dict[str, builtins.list[float]] | None = None,
    ) -> None:
        """The one write path: SQLite and Chroma together; a Chroma failure rolls SQLite back and
        removes what Chroma had taken. `pairs`: episode id -> pair vector (with the turn before it)."""
        for row in rows:
            if row["kind"] not in scope.kinds:
                raise InputError(f"A {row['kind']} cannot be written as {scope.kinds}.")
            row["user_id"] = scope.user_id
        columns = [c for c in rows[0] if c != "rowid"]
        by_kind: dict[Kind, builtins.list[int]] = {}
        for i, row in enumerate(rows):
            by_kind.setdefault(row["kind"], []).append(i)
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
                try:
                    for kind, idx in by_kind.items():
                        ids, metas = [rows[i]["id"] for i in idx], [row_metadata(rows[i]) for i in idx]
                        if vectors is not None:
                            self.index.upsert(
                                COLLECTIONS[kind], scope.user_id, ids, [vectors[i] for i in idx], metas
                            )
                        else:
                            self.index.update_metadata(COLLECTIONS[kind], scope.user_id, ids, metas)
                    if pairs:
                        self.index.upsert(
                            episode_context.COLLECTION, scope.user_id, list(pairs), list(pairs.values())
                        )
                except StorageError as exc:
                    if not replace:
                        self._unindex(scope, rows)
                    raise type(exc)(f"{exc} (nothing was stored)") from exc  # StorageUnavailable stays so
        except sqlite3.IntegrityError as exc:
            raise StorageError(f"Long-term database {self.path} refused a write: {exc}") from exc
        except sqlite3.Error as exc:
            error = StorageUnavailable if disk_full(str(exc)) else StorageError  # a full disk passes
            raise error(f"Long-term database {self.path} failed: {exc}") from exc

    def _unindex(self, scope: Scope, rows: builtins.list[dict[str, Any]]) -> None:
        """Best effort: take back the vectors of rows whose write failed."""
        try:
            for kind in scope.kinds:
                self.index.delete(
                    COLLECTIONS[kind], scope.user_id, [r["id"] for r in rows if r["kind"] == kind]
                )
            self.index.delete(episode_context.COLLECTION, scope.user_id, [r["id"] for r in rows])
        except StorageError:
            pass  # recall only ever returns ids that SQLite holds

    def _delete(self, scope: Scope, ids: builtins.list[str]) -> builtins.list[str]:
        if not ids:
            return []
        owned = self._fetch(scope, ids)  # only this user's, whatever ids were passed
        if not owned:
            return []
        try:
            with self.db.conn:
                for kind in scope.kinds:
                    mine = [r["id"] for r in owned if r["kind"] == kind]
                    self.index.delete(COLLECTIONS[kind], scope.user_id, mine)
                self._forget_pairs(scope, [r["id"] for r in owned if r["kind"] == "episode"])
                marks = ",".join("?" * len(owned))
                self.db.execute(
                    f"DELETE FROM memories AS m WHERE {scope.sql} AND m.id IN ({marks})",
                    [*scope.args, *(r["id"] for r in owned)],
                )
        except sqlite3.Error as exc:
            raise StorageError(f"Long-term database {self.path} failed: {exc}") from exc
        except StorageError as exc:
            raise StorageError(f"{exc}. Run the forget again.") from exc
        return [r["id"] for r in owned]

    def _forget_pairs(self, scope: Scope, ids: builtins.list[str]) -> None:
        """Drop the pair vectors of deleted episodes and of the turns after them (which embed their
        text too); those turns are then recalled by their own vector until re-paired."""
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        after = self._rows(
            f"SELECT m.id FROM memories m WHERE m.prev_id IN ({marks}) AND {scope.sql}", [*ids, *scope.args]
        )
        self.index.delete(
            episode_context.COLLECTION, scope.user_id, list(dict.fromkeys([*ids, *(r["id"] for r in after)]))
        )
        self.db.execute(
            f"UPDATE memories AS m SET prev_id = NULL WHERE m.prev_id IN ({marks}) AND {scope.sql}",
            [*ids, *scope.args],
        )

    def _fetch(self, scope: Scope, ids: Sequence[str]) -> builtins.list[dict[str, Any]]:
        out: builtins.list[dict[str, Any]] = []
        for chunk, marks in _in_chunks(ids):
            out.extend(
                self._rows(
                    f"SELECT m.* FROM memories m WHERE m.id IN ({marks}) AND {scope.sql_by_id}",
                    [*chunk, *scope.args],
                )
            )
        return out

    def _get(self, scope: Scope, memory_id: str) -> dict[str, Any]:
        rows = self._fetch(scope, [memory_id])
        if not rows:
            raise StorageError(
                f"No {' or '.join(scope.kinds)} {memory_id!r} for this user. "
                "List them with 'koclaw memory long-term list --user USER'."
            )
        return rows[0]

    def _rows(self, sql: str, args: Iterable[Any]) -> builtins.list[dict[str, Any]]:
        return fetch_rows(self.db, sql, args, source=f"Long-term database {self.path}")

    # -- the index's embedder and format ------------------------------------------------------------
    @property
    def needs_reindex(self) -> bool:
        """True for an index built in an older format, or whose rebuild did not finish."""
        return reindex.needs_reindex(self._rows)

    # -- listing (last: `list` would shadow the builtin in later annotations) ----------------
    def list(self, user_id: str, kind: str | None = None, limit: int = 50) -> builtins.list[Memory]:
        """This user's memories, newest first."""
        scope = for_person(user_id, (kind,) if kind else KINDS)
        rows = self._rows(
            f"SELECT m.* FROM memories m WHERE {scope.sql} ORDER BY m.timestamp DESC, m.rowid DESC LIMIT ?",
            [*scope.args, limit],
        )
        return [Memory.from_row(r) for r in rows]


def _aware(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def _in_chunks(values: Sequence[str]) -> Iterator[tuple[builtins.list[str], str]]:
    """`values` in runs of at most 500, each with its "?,?,..." for an SQL `IN (...)`: SQLite caps
    the variables one statement may hold."""
    for start in range(0, len(values), 500):
        chunk = list(values[start : start + 500])
        yield chunk, ",".join("?" * len(chunk))
