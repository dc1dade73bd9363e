"""How recall orders its candidates: a pure function of what the retrievers and the rows say.

1. Fusion: weighted reciprocal rank of the dense and the lexical list (k = RRF_K).
2. Evidence that a turn is about what was asked, each a multiplier: importance; recency (a gentle
   0.9-1.0); the question names the turn's speaker; the turn lies in the period the question names
   ("last week", "去年"); a "when" question and a turn that says a time ("yesterday", "先週").
3. Exact matches of the whole query are pinned above everything (+1.0).
4. Diversity: the k hits are picked greedily, and each further hit from a session that already has
   SESSION_QUOTA hits counts DIVERSITY times less, so a multi-session question gathers turns from
   several sessions instead of ten near-duplicates of one.

No I/O here: `memory.long_term` gathers the candidates; tests drive this with plain values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

RRF_K = 60
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 1.0
SPEAKER_BOOST = 0.3  # the question names who said the turn
WINDOW_BOOST = 1.0  # the turn lies in the period the question names
WHEN_BOOST = 0.15  # a "when" question, and the turn says a time
SESSION_QUOTA = 2
DIVERSITY = 0.7
RECENCY_HALF_LIFE_DAYS = 90.0


@dataclass(frozen=True, slots=True)
class Candidate:
    """One memory that a retriever found, with what ranking needs to know of it."""

    id: str
    dense_rank: int | None = None
    lexical_rank: int | None = None
    exact: bool = False
    importance: int = 3
    timestamp: str = ""
    session: str | None = None
    speaker_named: bool = False  # the question names this turn's speaker
    in_window: bool = False  # the turn lies in the period the question names
    says_time: bool = False  # a "when" question, and this turn mentions a time


def rank(candidates: Sequence[Candidate], now: datetime, k: int) -> list[tuple[Candidate, float]]:
    """The best `k` candidates with their scores, best first (see the module doc)."""
    scored = [(c, score(c, now)) for c in candidates]
    scored.sort(key=lambda cs: (-cs[1], cs[0].id))
    return diversify(scored, k)


def score(c: Candidate, now: datetime) -> float:
    fused = 0.0
    if c.dense_rank is not None:
        fused += DENSE_WEIGHT / (RRF_K + c.dense_rank)
    if c.lexical_rank is not None:
        fused += LEXICAL_WEIGHT / (RRF_K + c.lexical_rank)
    if fused == 0.0:  # an exact hit outside both lists
        fused = 1.0 / (RRF_K + 100)
    value = fused * (1 + 0.1 * (c.importance - 3)) * recency(c.timestamp, now)
    value *= (1 + SPEAKER_BOOST * c.speaker_named) * (1 + WINDOW_BOOST * c.in_window)
    value *= 1 + WHEN_BOOST * c.says_time
    return value + (1.0 if c.exact else 0.0)


def diversify(scored: Sequence[tuple[Candidate, float]], k: int) -> list[tuple[Candidate, float]]:
    """Pick `k` greedily from `scored` (best first); a session past its quota costs each further hit."""
    pool = list(scored)
    taken: list[tuple[Candidate, float]] = []
    per_session: dict[str, int] = {}
    while pool and len(taken) < k:
        best_i, best = 0, -math.inf
        for i, (c, s) in enumerate(pool):
            value = _discounted(c, s, per_session)
            if value > best:
                best_i, best = i, value
            if s <= best:  # sorted: nothing later can beat it
                break
        c, s = pool.pop(best_i)
        taken.append((c, s))
        if c.session is not None:
            per_session[c.session] = per_session.get(c.session, 0) + 1
    return taken


def _discounted(c: Candidate, s: float, per_session: dict[str, int]) -> float:
    if c.exact or c.session is None:
        return s
    over = per_session.get(c.session, 0) - SESSION_QUOTA + 1
    return s * DIVERSITY**over if over > 0 else s


def recency(timestamp: str, now: datetime) -> float:
    """1.0 for now, falling towards 0.9 with age (half-life RECENCY_HALF_LIFE_DAYS)."""
    try:
        then = datetime.fromisoformat(timestamp)
    except ValueError:
        return 0.9
    age_days = max(0.0, (now - then).total_seconds() / 86400)
    return 0.9 + 0.1 * math.pow(0.5, age_days / RECENCY_HALF_LIFE_DAYS)


def merge_ranks(*lists: Sequence[str]) -> dict[str, int]:
    """Several ranked id lists as one rank per id, by reciprocal rank (the first list wins ties)."""
    if len(lists) == 1:
        return {mid: i for i, mid in enumerate(lists[0], 1)}
    score: dict[str, float] = {}
    for found in lists:
        for i, mid in enumerate(found, 1):
            score[mid] = score.get(mid, 0.0) + 1.0 / (RRF_K + i)
    ordered = sorted(score, key=lambda mid: -score[mid])
    return {mid: i for i, mid in enumerate(ordered, 1)}
