"""Episodes are recalled with their neighbours: each turn is also embedded together with the turn
before it, and a turn's dense score is the mean of its own similarity and of the two pair vectors it
belongs to (with the turn before, with the turn after).

Why: a turn alone is often too short to say what it is about ("Oh, the one with the red door." or an
assistant's answer to a question it does not repeat); the pair carries the topic. On the hard recall
set (`python bench/recall_bench.py --data bench/data/hard.json --skip-scale`) it lifted English
held-out recall@10 from 0.634 to 0.762 (dense) and from 0.584 to 0.703 (hybrid).
A pair is stored under the later turn's id in the person's "contexts" collection; a turn with no
earlier turn in its conversation has none, and missing vectors are left out of the mean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

COLLECTION = "contexts"


def pair_text(previous: str, text: str) -> str:
    """What the pair vector of `text` embeds (the embedder cuts it to its own length)."""
    return f"{previous}\n{text}"


def scores(
    turns: Sequence[tuple[str, float]],
    pairs: Sequence[tuple[str, float]],
    links: Mapping[str, str | None],
    complete: tuple[bool, bool] = (False, False),
) -> dict[str, float]:
    """Episode id -> the mean similarity of the query to it, its pair and the next turn's pair.

    `turns` and `pairs` are the two nearest-neighbour lists (id, cosine similarity); `links` maps an
    episode id to the id of the turn before it (None: the first of its conversation). A similarity
    missing from a list that was cut off is below that list's last one, so the last one stands in
    (an upper bound); from a `complete` list (everything was returned) it does not exist and is
    left out. Candidates: every listed turn, and both turns of every listed pair.
    """
    turn_sim, pair_sim = dict(turns), dict(pairs)
    floor_turn = turns[-1][1] if turns and not complete[0] else None
    floor_pair = pairs[-1][1] if pairs and not complete[1] else None
    following = {before: after for after, before in links.items() if before is not None}
    candidates = [*turn_sim, *(m for m in pair_sim), *(links.get(m) for m in pair_sim)]
    out: dict[str, float] = {}
    for mid in dict.fromkeys(c for c in candidates if c is not None):
        sims = [turn_sim.get(mid, floor_turn)]
        if links.get(mid) is not None:  # it has a pair (with the turn before it)
            sims.append(pair_sim.get(mid, floor_pair))
        if mid in following:  # the next turn's pair holds it too
            sims.append(pair_sim.get(following[mid], floor_pair))
        known = [v for v in sims if v is not None]
        if known:
            out[mid] = sum(known) / len(known)
    return out
