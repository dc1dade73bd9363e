"""The dense half of recall: nearest vectors in one person's spaces (`memory.vector_index`), episodes
scored with their neighbours (`memory.episode_context.scores`), within a scope built by
`memory.scope.for_person` and passed in.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from koclaw.errors import ModelError
from koclaw.throttle import Every
from memory import episode_context, lexical_search
from memory.embeddings import Embedder
from memory.lexical_search import Rows
from memory.vector_index import COLLECTIONS, Hit, VectorIndex

log = logging.getLogger(__name__)
WARN_EVERY_S = 60.0  # how often a failing embedder is logged


class QueryEmbedder:
    """A question's vector, or None while the embedder fails (unreachable, or answering another
    dimension): recall then goes on with the word index alone, and says so once a minute."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._warning = Every(WARN_EVERY_S)

    def __call__(self, text: str) -> Sequence[float] | None:
        try:
            return self.embedder.embed_query(text)
        except ModelError as exc:
            if self._warning.due():
                log.warning("recall is lexical only until the embedder works again: %s", exc)
            return None


class Scope(lexical_search.Scope, Protocol):
    """The lexical scope, plus whose spaces to search and the SQL filter for lookups by id."""

    @property
    def user_id(self) -> str: ...

    @property
    def kinds(self) -> tuple[str, ...]: ...

    @property
    def sql_by_id(self) -> str: ...


def search(
    rows: Rows, index: VectorIndex, scope: Scope, qvec: Sequence[float], n: int, *, context: bool = False
) -> list[Hit]:
    """(id, cosine distance), nearest first; `context`: episodes scored with their neighbours."""
    hits: list[Hit] = []
    for kind in _held(rows, scope):
        found = index.nearest(COLLECTIONS[kind], scope.user_id, qvec, n)
        if kind == "episode" and context:
            found = _with_neighbours(rows, index, scope, qvec, found, n)
        hits.extend(found)
    hits.sort(key=lambda h: h[1])
    return hits[:n]


def _held(rows: Rows, scope: Scope) -> list[str]:
    """The kinds this person has any memory of: a search of an empty collection still costs ~1 ms."""
    return [
        kind
        for kind in scope.kinds
        if rows("SELECT 1 FROM memories m WHERE m.user_id = ? AND m.kind = ? LIMIT 1", [scope.user_id, kind])
    ]


def _with_neighbours(
    rows: Rows, index: VectorIndex, scope: Scope, qvec: Sequence[float], turns: list[Hit], n: int
) -> list[Hit]:
    """Re-score the nearest turns and the turns of the nearest pairs (`episode_context.scores`),
    from the two searches' similarities alone: no vector is read back."""
    pairs = index.nearest(episode_context.COLLECTION, scope.user_id, qvec, n)
    ids = list(dict.fromkeys([*(m for m, _ in turns), *(m for m, _ in pairs)]))
    links = _links(rows, scope, ids, following=True)
    earlier = [b for m, _ in pairs if (b := links.get(m)) is not None and b not in links]
    links |= _links(rows, scope, earlier)  # the turns before listed pairs are candidates too
    complete = (len(turns) < n, len(pairs) < n)
    scored = episode_context.scores(
        [(m, 1.0 - d) for m, d in turns], [(m, 1.0 - d) for m, d in pairs], links, complete
    )
    return sorted(((mid, 1.0 - sim) for mid, sim in scored.items()), key=lambda h: h[1])[:n]


def _links(rows: Rows, scope: Scope, ids: list[str], *, following: bool = False) -> dict[str, str | None]:
    """Episode id -> the id of the turn before it, for `ids` (and, `following`, the turns after them)."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    select = "SELECT m.id, m.prev_id FROM memories m WHERE m.{} IN (" + marks + ") AND " + scope.sql_by_id
    sql, args = select.format("id"), [*ids, *scope.args]
    if following:
        sql += " UNION ALL " + select.format("prev_id")
        args += [*ids, *scope.args]
    return {r["id"]: r["prev_id"] for r in rows(sql, args)}
