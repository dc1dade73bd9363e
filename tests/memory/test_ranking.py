"""Recall's ordering as a pure function: fusion, the evidence multipliers, pinning and diversity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from memory import ranking
from memory.ranking import Candidate
from memory.speakers import named_speakers, without_speakers

NOW = datetime(2024, 3, 13, 15, 0, tzinfo=UTC)
TODAY = NOW.isoformat()


def order(candidates: list[Candidate], k: int = 10) -> list[str]:
    return [c.id for c, _ in ranking.rank(candidates, NOW, k)]


def test_both_retrievers_agreeing_beat_either_alone() -> None:
    both = Candidate("both", dense_rank=3, lexical_rank=3, timestamp=TODAY)
    dense = Candidate("dense", dense_rank=1, timestamp=TODAY)
    lexical = Candidate("lexical", lexical_rank=1, timestamp=TODAY)
    assert order([dense, lexical, both])[0] == "both"


def test_an_exact_match_is_pinned_above_everything() -> None:
    exact = Candidate("exact", exact=True, importance=1, timestamp="2001-01-01T00:00:00+00:00")
    top = Candidate("top", dense_rank=1, lexical_rank=1, importance=5, timestamp=TODAY, speaker_named=True)
    assert order([top, exact]) == ["exact", "top"]


def test_named_speaker_and_asked_period_lift_a_turn() -> None:
    plain = Candidate("plain", dense_rank=1, timestamp=TODAY)
    for lifted in (
        Candidate("lifted", dense_rank=4, timestamp=TODAY, speaker_named=True),
        Candidate("lifted", dense_rank=8, timestamp=TODAY, in_window=True),
    ):
        assert order([plain, lifted])[0] == "lifted"
    assert order([plain, Candidate("far", dense_rank=40, timestamp=TODAY, speaker_named=True)])[0] == "plain"


def test_recency_is_gentle() -> None:
    old = (NOW - timedelta(days=720)).isoformat()
    assert 0.9 <= ranking.recency(old, NOW) < ranking.recency(TODAY, NOW) == 1.0
    assert ranking.recency("not a time", NOW) == 0.9
    # a two-year-old answer at rank 1 still beats today's rank-10 turn
    new, first = (
        Candidate("new", dense_rank=10, timestamp=TODAY),
        Candidate("old", dense_rank=1, timestamp=old),
    )
    assert order([new, first]) == ["old", "new"]


def test_a_lexical_hit_counts_by_the_share_of_the_question_it_holds() -> None:
    dense = Candidate("dense", dense_rank=2, timestamp=TODAY)
    partial = Candidate("partial", dense_rank=6, lexical_rank=1, coverage=0.2, timestamp=TODAY)
    full = Candidate("full", dense_rank=6, lexical_rank=1, coverage=1.0, timestamp=TODAY)
    assert order([dense, partial]) == ["dense", "partial"]  # a shared name alone does not win
    assert order([dense, full]) == ["full", "dense"]


def test_merged_ranks_favour_agreement() -> None:
    assert list(ranking.merge_ranks(["a", "b", "c"], ["c", "d"])) == ["c", "a", "b", "d"]


def test_named_speakers_in_three_scripts() -> None:
    speakers = ["Aiko Tanaka", "Tom", "田中", "Sensei", "Kokoron"]
    assert named_speakers("What did Aiko research?", speakers) == {"Aiko Tanaka"}
    assert named_speakers("when did tom start painting", speakers) == {"Tom"}
    assert named_speakers("Tomorrow's plan?", speakers) == set()  # a word, not a substring
    assert named_speakers("田中さんは何を買いましたか", speakers) == {"田中"}
    assert named_speakers("老师上周去哪儿了？", speakers) == {"Sensei"}
    assert named_speakers("", speakers) == set()


def test_the_topic_query_leaves_out_the_named_speakers() -> None:
    speakers = ["Maya", "Daniel", "Chen Jing", "陈静", "刘洋", "美咲", "Sensei", "Kokoron"]

    def topic(query: str) -> str:
        return without_speakers(query, named_speakers(query, speakers))

    assert topic("What pets do Maya and Daniel have?") == "What pets do and have?"
    assert topic("What breed is Daniel's dog?") == "What breed is dog?"
    assert topic("How long did it take Chen Jing to pass grade 4?") == "How long did it take to pass grade 4?"
    assert topic("陈静和刘洋各养了什么宠物？") == "和各养了什么宠物?"
    assert topic("美咲さんの猫は？") == "の猫は?"
    assert topic("老师上周去哪儿了？") == "上周去哪儿了?"
    assert topic("Which cities has Sensei lived in?") == "Which cities has lived in?"


def test_the_topic_query_keeps_a_question_it_would_empty_or_that_names_no_one() -> None:
    assert without_speakers("Daniel?", {"Daniel"}) == "Daniel?"
    assert without_speakers("What did Danielle say？", {"Daniel"}) == "What did Danielle say？"
    assert without_speakers("What did she say？", set()) == "What did she say？"
