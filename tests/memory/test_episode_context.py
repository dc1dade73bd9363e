"""Episodes are embedded with the turn before them: which pairs exist, how a turn is scored, and that
forgetting a turn removes every vector that embedded its text (its pair and the next turn's pair)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from memory import episode_context
from memory.long_term import LongTermMemory
from memory.records import EpisodeIn
from memory.tokens import clip, estimate_tokens
from tests.memory.test_long_term import EMBEDDER


@pytest.fixture
def mem(tmp_path: Path) -> LongTermMemory:
    return LongTermMemory(tmp_path / "lt", EMBEDDER)


def pair_ids(mem: LongTermMemory, user: str) -> set[str]:
    return mem.index.ids(episode_context.COLLECTION, user)


def prev_ids(mem: LongTermMemory) -> dict[str, str | None]:
    with sqlite3.connect(mem.path) as conn:
        return dict(conn.execute("SELECT id, prev_id FROM memories").fetchall())


def test_each_turn_pairs_with_the_one_before_it_in_its_own_conversation(mem: LongTermMemory) -> None:
    a = mem.add_episodes("u", [EpisodeIn(text=t, conversation_id="a") for t in ("one", "two")])
    b = mem.add_episodes("u", [EpisodeIn(text="elsewhere", conversation_id="b")])
    a3 = mem.add_episode("u", "three", speaker="assistant", conversation_id="a")  # a later batch
    assert prev_ids(mem) == {a[0]: None, a[1]: a[0], b[0]: None, a3: a[1]}
    assert pair_ids(mem, "u") == {a[1], a3}
    assert pair_ids(mem, "other") == set()


def test_a_turn_is_scored_with_its_pair_and_the_next_pair() -> None:
    links = {"t1": None, "t2": "t1", "t3": "t2"}  # t1 -> t2 -> t3 in one conversation
    turns = [("t2", 0.9), ("t1", 0.5)]  # the turn search, cut off at two
    pairs = [("t2", 0.7)]  # (t1 + t2), the pair search, complete
    scored = episode_context.scores(turns, pairs, links, complete=(False, True))
    assert scored["t1"] == pytest.approx((0.5 + 0.7) / 2)  # no pair of its own; the pair with t2
    assert scored["t2"] == pytest.approx((0.9 + 0.7) / 2)  # t3's pair is not among all the pairs
    cut = episode_context.scores(turns, pairs, links, complete=(False, False))
    assert cut["t2"] == pytest.approx((0.9 + 0.7 + 0.7) / 3)  # t3's pair: at most the list's last
    only_pair = episode_context.scores([], [("t3", 0.8)], links, complete=(False, True))
    assert set(only_pair) == {"t3", "t2"}  # both turns of a listed pair are candidates


def test_a_short_reply_is_found_through_what_it_answers(mem: LongTermMemory) -> None:
    chat = [
        "I'm adopting a puppy next week and can't decide on a name.",
        "How about Mochi? It's soft and round, like a rice cake.",
        "The train was late again this morning.",
        "Ugh, sorry to hear that. Did you make it on time?",
        "I started learning the guitar last month.",
        "That's great! Which songs are you practising?",
    ]
    ids = mem.add_episodes("u", [EpisodeIn(text=t, conversation_id="c") for t in chat])
    found = mem.recall_dense("u", "What name did you suggest for my new dog?", k=2)
    assert ids[1] in found


def test_a_pair_holds_the_end_of_the_turn_before_and_the_start_of_this_one() -> None:
    chat = ("Did you water the plants?", "Yes, this morning.")
    assert episode_context.pair_text(*chat) == "Did you water the plants?\nYes, this morning."  # whole
    before = "Opening words. " + "filler " * 200 + "the closing words"
    after = "the opening words " + "filler " * 200 + "Closing words."
    pair = episode_context.pair_text(before, after)
    head, tail = pair.split("\n")
    assert head.endswith("the closing words") and "Opening" not in head
    assert tail.startswith("the opening words") and "Closing" not in tail
    assert estimate_tokens(head) <= episode_context.PAIR_SIDE_TOKENS + 1
    assert estimate_tokens(tail) <= episode_context.PAIR_SIDE_TOKENS + 1
    cjk = clip("老师" * 100 + "最后", 64, keep="end")
    assert cjk.endswith("最后") and estimate_tokens(cjk) <= 65


def test_a_long_reply_is_found_by_what_it_says_in_its_middle(mem: LongTermMemory) -> None:
    """The pairs hold its start and its end; its own vector reads the whole reply (up to e5's 512
    tokens), so what it says between them is found too."""
    reply = (
        "Here is the plan for the week, Sensei. I went through your calendar, your mail and the notes "
        "you left on the whiteboard, and I sorted everything by day so that nothing surprises you. "
        "On Monday you have the budget review at ten, and I have "
        "put the printed reports on your desk. The finance office wants the signed forms back by noon, and "
        "the copier on the second floor is broken again, so please use the one in the staff room. "
        "Tuesday is free in the morning, so I moved the dentist there; bring your insurance card. "
        "On Wednesday evening your "
        "sister Mariko arrives from Osaka on the 18:40 shinkansen, so "
        "please do not stay late at the office that day. Thursday has the long meeting with the student "
        "council about the festival stalls and the electricity for the stage lights. On Friday you "
        "promised to help with the library inventory, and the librarian asked for an early start. I "
        "will send you a reminder every morning at eight, so you do not need to remember all of this. "
        "If anything changes, tell me and I will move the rest around it; that is what I am here for. "
        "And please eat a proper lunch every day this week, not just bread from the convenience store "
        "between two meetings."
    )
    assert estimate_tokens(reply) > 2 * episode_context.PAIR_SIDE_TOKENS
    other = (
        "Next week is calmer, Sensei. On Monday you have the budget review at ten again, and I will "
        "bring the revised reports to your desk. Tuesday is free in the morning, so I booked the car "
        "inspection there. On Wednesday evening the principal invited you to dinner at the Italian "
        "place near the station, at seven. Thursday has the meeting with the student council about "
        "the festival posters and the stage schedule. On Friday you promised to help with the library "
        "inventory again, and the librarian asked for an early start."
    )
    chat = ["What does my week look like?", reply, "And the week after?", other]
    ids = mem.add_episodes("u", [EpisodeIn(text=t, conversation_id="c") for t in chat])
    assert mem.recall_dense("u", "What time does Mariko's shinkansen get in?", k=1) == [ids[1]]
    assert mem.recall_dense("u", "When is the car inspection?", k=1) == [ids[3]]


def test_forgetting_a_turn_removes_the_vectors_that_embed_it(mem: LongTermMemory) -> None:
    ids = mem.add_episodes(
        "u", [EpisodeIn(text=t, conversation_id="c") for t in ("hello", "my PIN is 4321", "ok")]
    )
    assert pair_ids(mem, "u") == {ids[1], ids[2]}
    assert mem.forget("u", "PIN") == [ids[1]]
    assert pair_ids(mem, "u") == set()  # its own pair and the next turn's pair both held the PIN
    assert prev_ids(mem) == {ids[0]: None, ids[2]: None}
    assert {r.id for r in mem.recall("u", "PIN 4321 ok", k=3)} == {ids[0], ids[2]}


def test_rebuilding_the_index_rebuilds_the_pairs_and_links_older_episodes(tmp_path: Path) -> None:
    mem = LongTermMemory(tmp_path / "lt", EMBEDDER)
    ids = mem.add_episodes(
        "u", [EpisodeIn(text=t, conversation_id="c") for t in ("first", "second", "third")]
    )
    mem.close()
    with sqlite3.connect(tmp_path / "lt" / "long_term.db") as conn:  # as stored before pairs existed
        conn.execute("UPDATE memories SET prev_id = NULL WHERE id = ?", [ids[2]])
    rebuilt = LongTermMemory(tmp_path / "lt", EMBEDDER, rebuild_index=True)
    assert prev_ids(rebuilt) == {ids[0]: None, ids[1]: ids[0], ids[2]: ids[1]}
    assert pair_ids(rebuilt, "u") == {ids[1], ids[2]}
    assert rebuilt.recall_dense("u", "second", k=1) == [ids[1]]


def test_a_store_from_before_who_and_when_upgrades_without_losing_anything(tmp_path: Path) -> None:
    import sqlite_utils

    from memory import long_term
    from memory.db import Migrations

    home = tmp_path / "lt"
    home.mkdir()
    old = Migrations("long_term")
    for _, step in long_term.migrations.steps[:3]:  # the schema before m004_who_and_when
        old(step)
    db = sqlite_utils.Database(home / "long_term.db")
    old.apply(db)
    said = [
        ("Aiko", "I planted tomatoes in the garden.", "2023-05-08T10:00:00.000+00:00"),
        ("Tom", "Nice, I only grow basil.", "2023-05-08T10:01:00.000+00:00"),
        ("Aiko", "The tomatoes are red now!", "2023-07-01T09:00:00.000+00:00"),
    ]
    for i, (speaker, text, when) in enumerate(said):
        db["memories"].insert(
            {"id": f"ep_{i}", "user_id": "u", "kind": "episode", "text": text, "norm_text": text.lower(),
             "timestamp": when, "speaker": speaker, "conversation_id": None, "created_at": when,
             "updated_at": when, "prev_id": f"ep_{i - 1}" if i else None}
        )  # fmt: skip
    db["index_meta"].insert_all([{"key": "embedder", "value": EMBEDDER.name}, {"key": "dim", "value": "384"}])
    db.conn.close()
    mem = LongTermMemory(home, EMBEDDER)  # runs the migration: the word index and speakers exist at once
    assert mem.needs_reindex
    assert mem.recall_lexical("u", "Tom", k=3) == ["ep_1"]  # who said it is searchable
    assert mem.recall_lexical("u", "July", k=3) == ["ep_2"]  # and when
    mem.close()
    upgraded = LongTermMemory(home, EMBEDDER, rebuild_index=True)
    assert not upgraded.needs_reindex and upgraded.index_count("episode") == 3
    assert [e["text"] for e in upgraded.export("u")] == [t for _, t, _ in said]
    assert prev_ids(upgraded) == {"ep_0": None, "ep_1": "ep_0", "ep_2": None}  # July is another session
    assert pair_ids(upgraded, "u") == {"ep_1"}
    assert upgraded.recall("u", "What does Tom grow?", k=1)[0].id == "ep_1"
