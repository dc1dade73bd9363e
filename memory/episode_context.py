"""Episodes are indexed with their context: who said them, when, and the turn before them.

Who and when: a turn is embedded as "Speaker: text" (named speakers) and lexically indexed as
"8 May 2023 Speaker: text"
(`dense_text`, `search_text`). Questions name people ("What did Aiko research?") and times ("in May");
a turn's text alone says neither. On a public multi-session benchmark, indexing the speaker moved
turn-level recall@10 from 0.51 to 0.66 (issue 12's diagnostic). Turns of one conversation belong to one
session until a gap of SESSION_GAP (`same_session`); sessions keep pairs apart and spread the top hits.

Neighbours: each turn is also embedded together with the turn
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

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from memory.lexical import index_words
from memory.records import EpisodeIn, normalise_text, timestamp_iso
from memory.session import now_iso
from memory.tokens import clip

COLLECTION = "contexts"
SESSION_GAP = timedelta(hours=3)  # a longer silence inside one conversation starts a new session
PAIR_SIDE_TOKENS = 128  # of each turn in a pair vector (`pair_text`)
FORMAT = "2"  # how episodes are rendered for the indexes; an older store upgrades with reindex


ROLES = frozenset({"sensei", "kokoron", "user", "assistant"})


def dense_text(text: str, speaker: str | None) -> str:
    """What an episode's own vector embeds: who said it, then what was said. The two sides of Kokoron's
    own chats are left out: every turn there is Sensei's or hers, so the label tells the vectors nothing
    and only pulls them together (on hard.json it cost English dense recall@10 0.90 -> 0.85)."""
    return f"{speaker}: {text}" if speaker and speaker.casefold() not in ROLES else text


def embedded_text(row: Mapping[str, Any]) -> str:
    """What a stored memory's own vector embeds (facts: their text)."""
    return dense_text(row["text"], row["speaker"]) if row["kind"] == "episode" else str(row["text"])


def search_text(text: str, speaker: str | None, timestamp: str | None) -> str:
    """What the word index reads: the date in words ("8 May 2023"), who said it, what was said (CJK
    as bigrams, `memory.lexical.index_words`)."""
    when = ""
    if timestamp:
        try:
            moment = datetime.fromisoformat(timestamp)
            when = f"{moment.day} {moment:%B %Y} "
        except ValueError:
            when = ""
    return index_words(f"{when}{dense_text(text, speaker)}")


def same_session(previous: str | None, current: str | None) -> bool:
    """Whether a turn at `current` continues the session of a turn at `previous` (ISO times)."""
    if previous is None or current is None:
        return True
    try:
        gap = datetime.fromisoformat(current) - datetime.fromisoformat(previous)
    except ValueError:
        return True
    return timedelta(0) <= gap <= SESSION_GAP


def pair_text(previous: str, text: str) -> str:
    """What the pair vector of `text` embeds: the end of the turn before and the start of this one,
    PAIR_SIDE_TOKENS of each at most.

    The pair is there for the topic a short turn leaves out, and the words nearest the seam carry it;
    a long turn's own vector already holds the rest. Chat turns fit whole (every turn of the dev sets
    is under 128 tokens), while a 300-token reply's pair costs half of the full pair's embedding:
    embedding is what limits how fast one core indexes (`bench/http_load_bench.py`).
    """
    return f"{clip(previous, PAIR_SIDE_TOKENS, keep='end')}\n{clip(text, PAIR_SIDE_TOKENS)}"


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


def new_rows(
    items: Sequence[EpisodeIn],
    keys: Sequence[str | None],
    last_of: Callable[[str | None], dict[str, Any] | None],
) -> list[dict[str, Any]]:
    """Rows for new episodes (with their import `keys`), each linked to the turn before it in its
    session: the one before it in the batch, or `last_of(conversation_id)`, the newest stored."""
    stamp = now_iso()
    rows: list[dict[str, Any]] = []
    last: dict[str | None, dict[str, Any] | None] = {}
    for item, key in zip(items, keys, strict=True):
        conv = item.conversation_id
        if conv not in last:
            last[conv] = last_of(conv)
        when = timestamp_iso(item.timestamp)
        row: dict[str, Any] = {
            "id": f"ep_{uuid.uuid4().hex}",
            "kind": "episode",
            "text": item.text,
            "norm_text": normalise_text(item.text),
            "timestamp": when,
            "speaker": item.speaker,
            "conversation_id": conv,
            "message_id": item.message_id,
            "importance": 3,
            "category": None,
            "language": None,
            "source_ids": "[]",
            "metadata": json.dumps(item.metadata, ensure_ascii=False),
            "created_at": stamp,
            "updated_at": stamp,
            "prev_id": None,
            "session": None,
            "search_text": search_text(item.text, item.speaker, when),
            "import_key": key,
        }
        before = last[conv]
        if before is not None and same_session(before["timestamp"], when):
            row["prev_id"], row["session"] = before["id"], before["session"] or before["id"]
            row["_prev_dense"] = embedded_text(before)
        else:
            row["session"] = row["id"]
        rows.append(row)
        last[conv] = row
    return rows
