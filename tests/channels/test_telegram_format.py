"""Splitting and escaping replies for Telegram: every piece fits, nothing is lost or reordered."""

from __future__ import annotations

import html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.telegram_format import MAX_MESSAGE, escape, fits, split_spans, split_text, telegram_length


def non_space(text: str) -> str:
    return "".join(text.split())


def test_escape_covers_what_telegram_html_parses() -> None:
    assert escape("<b>bold</b> & <i>") == "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;"
    assert escape('"quotes" stay') == '"quotes" stay'
    assert html.unescape(escape("a < b && c > d")) == "a < b && c > d"


def test_short_text_is_one_piece_stripped() -> None:
    assert split_text("  hello\n") == ["hello"]
    assert split_text(" \n\t ") == []
    assert split_text("") == []


def test_paragraph_beats_line_beats_sentence_beats_space() -> None:
    para = "First paragraph. It has two sentences.\n\nSecond one here."
    assert split_text(para, 45) == ["First paragraph. It has two sentences.", "Second one here."]
    lines = "line one is long enough\nline two also long"
    assert split_text(lines, 30) == ["line one is long enough", "line two also long"]
    sentences = "This is the first sentence. This is the second sentence."
    assert split_text(sentences, 40) == ["This is the first sentence.", "This is the second sentence."]
    words = "alpha beta gamma delta epsilon zeta eta theta"
    assert split_text(words, 20) == ["alpha beta gamma", "delta epsilon zeta", "eta theta"]


def test_cjk_sentences_split_after_the_full_stop() -> None:
    text = "今日はいい天気ですね。散歩に行きましょう！" * 3
    pieces = split_text(text, 25)
    assert all(p.endswith(("。", "！")) for p in pieces[:-1])
    assert "".join(pieces) == text


def test_decimal_points_are_not_sentence_ends() -> None:
    text = "Pi is 3.14159 and e is 2.71828 and more words follow here"
    for piece in split_text(text, 24)[:-1]:
        assert not piece.endswith(("3.", "2."))


def test_length_is_measured_after_escaping() -> None:
    text = "&" * 2000  # 2000 characters, 10000 once escaped
    pieces = split_text(text)
    assert len(pieces) == 3
    assert all(telegram_length(escape(p)) <= MAX_MESSAGE for p in pieces)
    assert "".join(pieces) == text


def test_astral_characters_count_two_and_are_never_torn() -> None:
    text = "😀" * 3000  # 6000 UTF-16 units
    pieces = split_text(text)
    assert all(telegram_length(escape(p)) <= MAX_MESSAGE for p in pieces)
    assert "".join(pieces) == text


def test_hard_cut_keeps_combining_marks_and_joiners_with_their_base() -> None:
    family = "👨\u200d👩\u200d👧"
    pieces = split_text(family * 40, 20)
    assert "".join(pieces) == family * 40
    for piece in pieces:
        assert not piece.startswith("\u200d") and not piece.endswith("\u200d")
    accented = "e\u0301" * 30
    for piece in split_text(accented, 9):
        assert not piece.startswith("\u0301")


def test_spans_point_into_the_original_text() -> None:
    text = "one two three four five six seven eight nine ten"
    spans = split_spans(text, 12)
    assert [text[s:e] for s, e in spans] == split_text(text, 12)
    assert spans == sorted(spans)


def test_a_tiny_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        split_text("abc", 4)


def test_fits() -> None:
    assert fits("x" * MAX_MESSAGE)
    assert not fits("x" * (MAX_MESSAGE - 1) + "&")


texts = st.text(
    alphabet=st.sampled_from(list("ab &<>.!?。！？\n \t")) | st.characters(codec="utf-8"),
    max_size=400,
)


@settings(max_examples=300, deadline=None)
@given(text=texts, limit=st.integers(min_value=8, max_value=120))
def test_pieces_fit_are_non_empty_and_keep_every_character_in_order(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    for piece in pieces:
        assert piece and piece == piece.strip()
        assert telegram_length(escape(piece)) <= limit
    assert non_space("".join(pieces)) == non_space(text)


@settings(max_examples=100, deadline=None)
@given(text=texts, limit=st.integers(min_value=8, max_value=120))
def test_pieces_are_the_text_minus_whitespace_at_the_cuts(text: str, limit: int) -> None:
    rest = text
    for piece in split_text(text, limit):
        rest = rest.lstrip()
        assert rest.startswith(piece)
        rest = rest[len(piece) :]
    assert not rest.strip()


@settings(max_examples=30, deadline=None)
@given(text=st.text(max_size=12000))
def test_full_size_pieces_fit_telegram(text: str) -> None:
    for piece in split_text(text):
        assert 0 < telegram_length(escape(piece)) <= MAX_MESSAGE
