"""How recall orders its candidates: a pure function of what the retrievers and the rows say.

1. Fusion: reciprocal rank of the dense and the lexical list (k = RRF_K), a lexical hit weighted by
   its coverage: the share of the question's term weight (idf) it holds. Why: questions that share
   only a name or a common word with many turns gave their lexical top hits a full rank-1 bonus;
   a hit that holds the question's rare words keeps all of it. Squared: a hit that holds half of
   the question's weight counts a quarter. Recall@10 against plain reciprocal rank: chats.json
   0.615 -> 0.742, fresh.json 0.895 -> 0.924, hard.json 0.733 -> 0.798 (dense alone: 0.719, 0.930,
   0.798).
2. Evidence that a turn is about what was asked, each a multiplier: importance; recency (a gentle
   0.9-1.0); the question names the turn's speaker; the turn lies in the period the question names
   ("last week", "去年"); a "when" question and a turn that says a time ("yesterday", "先週").
3. Exact matches of the whole query are pinned above everything (+1.0).

Topic query (`memory.long_term.recall`, `memory.speakers.without_speakers`): the dense query is the
question with the speakers it names taken out ("What pets do Maya and Daniel have?" is embedded as
"What pets do and have?"). Turns are embedded as "Speaker: text", so the name made every turn of that
person look alike and the topic drowned: the multi-hop misses were turns of the named person on the
asked topic at dense rank 20-50, behind near-duplicates that only shared the name. The name still counts
through SPEAKER_BOOST (raised 0.3 -> 0.5 with it: it is now the only place the name counts) and the
lexical list. One embedding as before, so no latency. Recall@10 (chats.json halves: conversations 0-4
/ 5-9; R@5 in brackets):

    variant                      chats all    half A  half B  multi  open   zh     fresh  hard   dev
    before                       .742 (.663)  .733    .751    .646   .634   .732   .924   .798   1.0
    topic query                  .776 (.713)  .783    .770    .691   .634   .767   .924   .798   1.0
    + SPEAKER_BOOST 0.5          .782 (.713)  .788    .776    .691   .650   .764   .924   .798   1.0
    (kept: the two above)
    + COVERAGE_POWER 4           .786 (.705)  .792    .779    .691   .670   .764   .930   .798   1.0
    dense alone                  .719 (.622)  .708    .731    .633   .609   .742   .930   .798   1.0

Question words are not terms (`memory.lexical`, 什么/哪里/どこ/いつ, as English drops what/where):
rare in stored turns, they took a large share of a CJK question's idf, so its answer's coverage looked
low. Recall@10: chats.json .782 -> .785 (ja .763 -> .773), fresh.json .924 -> .928, hard and dev unchanged.

dev.json cross-lingual R@5 stays 1.0; fresh.json and hard.json questions name no speaker (they say
"I" and "you"), so the topic query does not touch them. Embedding both the whole question and the
topic query and fusing the two dense lists did better on open-domain questions (chats.json .782,
open-domain .681), but a second embedding and search cost about 1.2x the embedding time per recall,
over the latency budget (p50 <= 2x the embedding alone). COVERAGE_POWER 4 (a hit holding half the
question's weight counts 1/16) lifted fresh.json to dense alone (.924 -> .930) but was left out: a CJK
question's lexical hit rarely holds its particles (どこ, か), so at 0.6 coverage the right turn fell
below an important fact that shared no word with the question (tests/memory/test_chroma_server.py).

Tried and left out: spreading the top k over sessions (at most two hits per session counting in
full) cost recall@10 on every set, multi-hop questions included (chats.json 0.742 -> 0.724); adding
the turn after each top hit gained nothing over the pair vectors. Re-tried, before the topic query,
as a soft penalty (the j-th hit of a session scores decay^j), for every question and only for
questions with a multi-hop cue ("and", "which", "how did", "might", "would", 哪些, どのように, ...):
the top 10 already spans about 7 sessions (at most 2.6 hits from one), and the gold turns of one
question often share a session (the kitten and its name), so it lost everywhere (decay 0.8, cue only:
chats .736, halves .716 / .757, multi-hop .621; fresh .915, hard .787). The opposite, lifting turns of
sessions that hold other good hits (+0.05-0.2 x the best other score in the session): R@5 up a little,
R@10 flat (.738-.745), fresh and hard down (.906-.932, .760-.798). Neighbour propagation (a turn gets
0.1-0.3 of its adjacent turn's score): chats .739-.742, hard .798 -> .758-.769. Dense pseudo-relevance
feedback (a second search with the query moved towards the mean of its top 1-5 turns, fused or
replacing): chats .711-.742, fresh .899-.911, hard .721-.775: topic drift. Fusion constants (RRF_K
20-100, lexical weight 0.5-1.5, coverage power 1-4, speaker boost 0.15-0.5, each alone): chats within
.736-.746, nothing consistent across halves. Entity-aware lexical expansion was not built: 14% of the
chats.json gold turns (19% multi-hop) are in neither candidate list, and those share no word with the
question (Kyoto for "Japan", a 5K for "a present for Priya"); the lexical top 50 already holds the turns
that share a rare word.

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
COVERAGE_POWER = 2.0
SPEAKER_BOOST = 0.5  # the question names who said the turn (its name is not in the query vector)
WINDOW_BOOST = 1.0  # the turn lies in the period the question names
WHEN_BOOST = 0.15  # a "when" question, and the turn says a time
RECENCY_HALF_LIFE_DAYS = 90.0


@dataclass(frozen=True, slots=True)
class Candidate:
    """One memory that a retriever found, with what ranking needs to know of it."""

    id: str
    dense_rank: int | None = None
    lexical_rank: int | None = None
    coverage: float = 1.0  # the share of the question's term weight this memory holds (0-1)
    exact: bool = False
    importance: int = 3
    timestamp: str = ""
    speaker_named: bool = False  # the question names this turn's speaker
    in_window: bool = False  # the turn lies in the period the question names
    says_time: bool = False  # a "when" question, and this turn mentions a time


def rank(candidates: Sequence[Candidate], now: datetime, k: int) -> list[tuple[Candidate, float]]:
    """The best `k` candidates with their scores, best first (see the module doc)."""
    scored = [(c, score(c, now)) for c in candidates]
    scored.sort(key=lambda cs: (-cs[1], cs[0].id))
    return scored[:k]


def score(c: Candidate, now: datetime) -> float:
    fused = 0.0
    if c.dense_rank is not None:
        fused += DENSE_WEIGHT / (RRF_K + c.dense_rank)
    if c.lexical_rank is not None:
        fused += LEXICAL_WEIGHT * c.coverage**COVERAGE_POWER / (RRF_K + c.lexical_rank)
    if fused == 0.0:  # an exact hit outside both lists
        fused = 1.0 / (RRF_K + 100)
    value = fused * (1 + 0.1 * (c.importance - 3)) * recency(c.timestamp, now)
    value *= (1 + SPEAKER_BOOST * c.speaker_named) * (1 + WINDOW_BOOST * c.in_window)
    value *= 1 + WHEN_BOOST * c.says_time
    return value + (1.0 if c.exact else 0.0)


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
