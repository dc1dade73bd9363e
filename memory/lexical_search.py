"""The lexical half of recall: SQL over the two FTS5 indexes (see `memory.long_term_schema`),
always within one person's scope (built by `memory.scope.for_person`, passed in).

`search` ranks by BM25 over the word index (words, CJK bigrams, who said each turn and when). `exact`
finds memories containing the whole query through the trigram index, or for one or two characters
(below trigrams) through the word index. Both are index lookups: no scan, at any size.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from memory.lexical import word_terms
from memory.records import timestamp_iso
from memory.time_query import TimeWindow

MAX_FTS_TERMS = 48
MAX_WEIGHTED_TERMS = 16  # idf lookups per query (a longer query's further terms do not count)

Rows = Callable[[str, Iterable[Any]], list[dict[str, Any]]]


class Scope(Protocol):
    """One person's slice: an SQL filter on `memories` aliased `m`, and its arguments."""

    @property
    def sql(self) -> str: ...

    @property
    def args(self) -> list[Any]: ...


def search(rows: Rows, scope: Scope, query: str, n: int, window: TimeWindow | None = None) -> list[str]:
    """Ids by BM25 over the word index (words and CJK bigrams, with who and when); `window` keeps
    only memories from that period. A query of one or two characters is its own only term: `exact`."""
    if len(query) < 3:
        return exact(rows, scope, query, n)
    terms = word_terms(query, MAX_FTS_TERMS)
    if not terms:
        return []
    period, period_args = "", []
    if window is not None:
        period = " AND m.timestamp >= ? AND m.timestamp < ?"
        period_args = [timestamp_iso(window.start), timestamp_iso(window.end)]
    match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
    found = rows(
        "SELECT m.id FROM memories_words JOIN memories m ON m.rowid = memories_words.rowid "
        f"WHERE memories_words MATCH ? AND {scope.sql}{period} ORDER BY bm25(memories_words) LIMIT ?",
        [match, *scope.args, *period_args, n],
    )
    return [r["id"] for r in found]


def term_weights(rows: Rows, query: str) -> dict[str, float]:
    """Each query term's inverse document frequency in the word index (BM25's idf): a rare term
    ("pottery", a name) says more than a common one. One indexed count per term."""
    terms = word_terms(query, MAX_WEIGHTED_TERMS)
    if not terms:
        return {}
    total = rows("SELECT max(rowid) AS n FROM memories", [])[0]["n"] or 0
    weights = {}
    for term in terms:
        df = rows(
            "SELECT count(*) AS n FROM memories_words WHERE memories_words MATCH ?",
            ['"' + term.replace('"', '""') + '"'],
        )[0]["n"]
        weights[term] = math.log(1 + (total - df + 0.5) / (df + 0.5))
    return weights


def exact(rows: Rows, scope: Scope, query: str, n: int) -> list[str]:
    """Memories containing the whole query (case-insensitive), the newest stored `n` first (the index
    walks back from the newest row and stops there, instead of sorting every match). Trigrams need
    three characters: a shorter query is looked up in the word index, which holds every CJK character
    and pair, and every word."""
    table, phrase = ("memories_fts", query) if len(query) >= 3 else ("memories_words", query.casefold())
    found = rows(
        f"SELECT m.id FROM {table} JOIN memories m ON m.rowid = {table}.rowid "
        f"WHERE {table} MATCH ? AND {scope.sql} ORDER BY {table}.rowid DESC LIMIT ?",
        ['"' + phrase.replace('"', '""') + '"', *scope.args, n],
    )
    return [r["id"] for r in found]
