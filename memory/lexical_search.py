"""The lexical half of recall: SQL over the two FTS5 indexes (see `memory.long_term_schema`),
always within one person's scope (built by `LongTermMemory._scope`, passed in).

Alphabetic terms go to the word index (with who said each turn and when), CJK runs to the trigram
index; terms of one or two CJK characters are below trigrams and are matched by scanning the person's
newest SHORT_SCAN_ROWS memories, which bounds the latency at any size (older memories are still
reached through the dense index).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from memory.lexical import cjk_part, fts_terms, word_terms
from memory.ranking import merge_ranks
from memory.records import timestamp_iso
from memory.time_query import TimeWindow

MAX_FTS_TERMS = 48
SHORT_SCAN_ROWS = 5000  # 1-2 character terms (the trigram index cannot) scan this many newest memories

Rows = Callable[[str, Iterable[Any]], list[dict[str, Any]]]


class Scope(Protocol):
    """One person's slice: an SQL filter on `memories` aliased `m`, and its arguments."""

    @property
    def sql(self) -> str: ...

    @property
    def args(self) -> list[Any]: ...


def search(rows: Rows, scope: Scope, query: str, n: int, window: TimeWindow | None = None) -> list[str]:
    """Ids by the word index (alphabetic terms, with who and when) and the trigram index (CJK),
    interleaved by reciprocal rank; `window` keeps only memories from that period."""
    period, period_args = "", []
    if window is not None:
        period = " AND m.timestamp >= ? AND m.timestamp < ?"
        period_args = [timestamp_iso(window.start), timestamp_iso(window.end)]
    lists: list[list[str]] = []
    words = word_terms(query, MAX_FTS_TERMS)
    if words:
        lists.append(_fts(rows, "memories_words", words, scope, n, period, period_args))
    cjk = cjk_part(query)
    if cjk:
        trigrams, short = fts_terms(cjk, MAX_FTS_TERMS)
        if trigrams:
            lists.append(_fts(rows, "memories_fts", trigrams, scope, n, period, period_args))
        elif short:
            lists.append(_short_scan(rows, scope, short, n, period, period_args))
    if len(lists) == 1:
        return lists[0]
    return list(merge_ranks(*lists))[:n]


def exact(rows: Rows, scope: Scope, query: str, n: int) -> list[str]:
    """Memories containing the whole query (case-insensitive), newest first: the newest stored `n`
    (the index walks back from the newest row and stops there, instead of sorting every match)."""
    if len(query) >= 3:
        found = rows(
            "SELECT m.id FROM memories_fts JOIN memories m ON m.rowid = memories_fts.rowid "
            f"WHERE memories_fts MATCH ? AND {scope.sql} ORDER BY memories_fts.rowid DESC LIMIT ?",
            ['"' + query.replace('"', '""') + '"', *scope.args, n],
        )
    else:
        found = rows(
            f"{_recent(scope)} SELECT m.id FROM memories m WHERE m.rowid IN recent "
            "AND instr(lower(m.text), lower(?)) > 0 ORDER BY m.timestamp DESC LIMIT ?",
            [*scope.args, SHORT_SCAN_ROWS, query, n],
        )
    return [r["id"] for r in found]


def _fts(
    rows: Rows, table: str, terms: list[str], scope: Scope, n: int, period: str, period_args: list[Any]
) -> list[str]:
    match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
    found = rows(
        f"SELECT m.id FROM {table} JOIN memories m ON m.rowid = {table}.rowid "
        f"WHERE {table} MATCH ? AND {scope.sql}{period} ORDER BY bm25({table}) LIMIT ?",
        [match, *scope.args, *period_args, n],
    )
    return [r["id"] for r in found]


def _short_scan(
    rows: Rows, scope: Scope, short: list[str], n: int, period: str, period_args: list[Any]
) -> list[str]:
    """Trigrams need three characters: short terms scan this person's newest rows, most terms first."""
    hits = " + ".join("(instr(lower(m.text), lower(?)) > 0)" for _ in short)
    found = rows(
        f"{_recent(scope)} SELECT m.id, ({hits}) AS h FROM memories m "
        f"WHERE m.rowid IN recent AND h > 0{period} ORDER BY h DESC, m.timestamp DESC LIMIT ?",
        [*scope.args, SHORT_SCAN_ROWS, *short, *period_args, n],
    )
    return [r["id"] for r in found]


def _recent(scope: Scope) -> str:
    """A CTE `recent`: the rowids of this person's newest memories (args: the scope's, the limit)."""
    newest = f"SELECT m.rowid FROM memories m WHERE {scope.sql} ORDER BY m.timestamp DESC LIMIT ?"
    return f"WITH recent AS ({newest})"
