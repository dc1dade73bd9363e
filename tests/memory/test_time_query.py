"""Time expressions in recall queries: windows at a fixed clock, "when" questions, dated turns."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from memory.time_query import TimeWindow, asks_when, mentions_time, time_window

NOW = datetime(2024, 3, 13, 15, 0, tzinfo=UTC)  # a Wednesday afternoon
TOKYO = ZoneInfo("Asia/Tokyo")


def span(query: str, now: datetime = NOW) -> tuple[str, str] | None:
    """The window as two UTC strings: dates when it is whole days, else date and hour."""
    w = time_window(query, now)
    if w is None:
        return None
    whole = w.start.time() == w.end.time() == datetime.min.time()
    fmt = "%Y-%m-%d" if whole else "%Y-%m-%d %H:%M"
    return w.start.strftime(fmt), w.end.strftime(fmt)


ENGLISH = [
    ("What did I eat yesterday?", ("2024-03-12", "2024-03-13")),
    ("today", ("2024-03-13", "2024-03-14")),
    ("the day before yesterday", ("2024-03-11", "2024-03-12")),
    ("What did we do last week?", ("2024-03-04", "2024-03-11")),
    ("this week", ("2024-03-11", "2024-03-18")),
    ("last weekend", ("2024-03-09", "2024-03-11")),
    ("What did I cook last Tuesday?", ("2024-03-12", "2024-03-13")),
    ("on Wednesday", ("2024-03-06", "2024-03-07")),  # not today
    ("Monday", ("2024-03-11", "2024-03-12")),
    ("3 days ago", ("2024-03-09", "2024-03-12")),
    ("three days ago", ("2024-03-09", "2024-03-12")),
    ("a few days ago", ("2024-03-09", "2024-03-12")),
    ("a week ago", ("2024-03-04", "2024-03-11")),
    ("two weeks ago", ("2024-02-26", "2024-03-04")),
    ("a couple of weeks ago", ("2024-02-26", "2024-03-04")),
    ("2 months ago", ("2024-01-01", "2024-02-01")),
    ("twelve months ago", ("2023-03-01", "2023-04-01")),
    ("a year ago", ("2023-01-01", "2024-01-01")),
    ("last month", ("2024-02-01", "2024-03-01")),
    ("this month", ("2024-03-01", "2024-04-01")),
    ("last year", ("2023-01-01", "2024-01-01")),
    ("this year", ("2024-01-01", "2025-01-01")),
    ("What did we do in May?", ("2023-05-01", "2023-06-01")),
    ("in March", ("2024-03-01", "2024-04-01")),
    ("in May 2022", ("2022-05-01", "2022-06-01")),
    ("in May last year", ("2023-05-01", "2023-06-01")),
    ("last May", ("2023-05-01", "2023-06-01")),
    ("since May", ("2023-05-01", "2023-06-01")),
    ("in early Sept.", ("2023-09-01", "2023-10-01")),
    ("August", ("2023-08-01", "2023-09-01")),
    ("December 2021", ("2021-12-01", "2022-01-01")),
    ("May 3", ("2023-05-03", "2023-05-04")),
    ("on May 3rd, 2023", ("2023-05-03", "2023-05-04")),
    ("3 May 2023", ("2023-05-03", "2023-05-04")),
    ("the 1st of March", ("2024-03-01", "2024-03-02")),
    ("jan 5", ("2024-01-05", "2024-01-06")),
    ("2023-05-03", ("2023-05-03", "2023-05-04")),
    ("in 2022", ("2022-01-01", "2023-01-01")),
    ("last summer", ("2023-06-01", "2023-09-01")),
    ("this spring", ("2024-03-01", "2024-06-01")),
    ("last fall", ("2023-09-01", "2023-12-01")),
    ("last winter", ("2023-12-01", "2024-03-01")),
    ("summer of 2021", ("2021-06-01", "2021-09-01")),
    ("earlier today", ("2024-03-13 00:00", "2024-03-13 15:00")),
    ("this morning", ("2024-03-13 05:00", "2024-03-13 12:00")),
    ("yesterday evening", ("2024-03-12 18:00", "2024-03-13 00:00")),
    ("last night", ("2024-03-12 18:00", "2024-03-13 06:00")),
    ("What have I been reading recently?", ("2024-02-12", "2024-03-14")),
    ("lately", ("2024-02-12", "2024-03-14")),
    ("the other day", ("2024-03-03", "2024-03-13")),
    ("in the past 3 days", ("2024-03-10", "2024-03-14")),
    ("LAST WEEK", ("2024-03-04", "2024-03-11")),
    # forward, for reminders
    ("tomorrow", ("2024-03-14", "2024-03-15")),
    ("next week", ("2024-03-18", "2024-03-25")),
    ("next Tuesday", ("2024-03-19", "2024-03-20")),
    ("next month", ("2024-04-01", "2024-05-01")),
    ("in 3 days", ("2024-03-15", "2024-03-18")),
    ("two weeks from now", ("2024-03-25", "2024-04-01")),
    ("tomorrow morning", ("2024-03-14 05:00", "2024-03-14 12:00")),
]

CHINESE = [
    ("我今天吃了什么", ("2024-03-13", "2024-03-14")),
    ("昨天我们聊了什么？", ("2024-03-12", "2024-03-13")),
    ("前天", ("2024-03-11", "2024-03-12")),
    ("大前天", ("2024-03-10", "2024-03-11")),
    ("上周", ("2024-03-04", "2024-03-11")),
    ("上星期", ("2024-03-04", "2024-03-11")),
    ("上个星期", ("2024-03-04", "2024-03-11")),
    ("上礼拜", ("2024-03-04", "2024-03-11")),
    ("这周", ("2024-03-11", "2024-03-18")),
    ("本周", ("2024-03-11", "2024-03-18")),
    ("上周末", ("2024-03-09", "2024-03-11")),
    ("上周二", ("2024-03-05", "2024-03-06")),  # Tuesday of the previous week
    ("上星期二", ("2024-03-05", "2024-03-06")),
    ("上礼拜二", ("2024-03-05", "2024-03-06")),
    ("周三我做了什么", ("2024-03-06", "2024-03-07")),  # most recent past, not today
    ("星期三", ("2024-03-06", "2024-03-07")),
    ("礼拜三", ("2024-03-06", "2024-03-07")),
    ("星期天", ("2024-03-10", "2024-03-11")),
    ("这周一", ("2024-03-11", "2024-03-12")),
    ("上个月", ("2024-02-01", "2024-03-01")),
    ("上月", ("2024-02-01", "2024-03-01")),
    ("这个月", ("2024-03-01", "2024-04-01")),
    ("本月", ("2024-03-01", "2024-04-01")),
    ("去年", ("2023-01-01", "2024-01-01")),
    ("前年", ("2022-01-01", "2023-01-01")),
    ("今年", ("2024-01-01", "2025-01-01")),
    ("5月", ("2023-05-01", "2023-06-01")),
    ("五月", ("2023-05-01", "2023-06-01")),
    ("十二月", ("2023-12-01", "2024-01-01")),
    ("2022年", ("2022-01-01", "2023-01-01")),
    ("2022年5月", ("2022-05-01", "2022-06-01")),
    ("去年5月", ("2023-05-01", "2023-06-01")),
    ("今年五月", ("2024-05-01", "2024-06-01")),
    ("5月3日", ("2023-05-03", "2023-05-04")),
    ("5月3号", ("2023-05-03", "2023-05-04")),
    ("三月一号", ("2024-03-01", "2024-03-02")),
    ("2023年5月3日", ("2023-05-03", "2023-05-04")),
    ("三天前", ("2024-03-09", "2024-03-12")),
    ("3天前", ("2024-03-09", "2024-03-12")),
    ("十二天前", ("2024-02-29", "2024-03-03")),
    ("两周前", ("2024-02-26", "2024-03-04")),
    ("两个星期前", ("2024-02-26", "2024-03-04")),
    ("两个月前", ("2024-01-01", "2024-02-01")),
    ("一年前", ("2023-01-01", "2024-01-01")),
    ("几天前", ("2024-03-09", "2024-03-12")),
    ("最近", ("2024-02-12", "2024-03-14")),
    ("近来", ("2024-02-12", "2024-03-14")),
    ("前几天", ("2024-03-03", "2024-03-13")),
    ("今天早上", ("2024-03-13 05:00", "2024-03-13 12:00")),
    ("昨晚", ("2024-03-12 18:00", "2024-03-13 06:00")),
    ("昨天晚上", ("2024-03-12 18:00", "2024-03-13 06:00")),
    ("去年夏天", ("2023-06-01", "2023-09-01")),
    ("今年春天", ("2024-03-01", "2024-06-01")),
    ("过去三天", ("2024-03-10", "2024-03-14")),
    ("明天", ("2024-03-14", "2024-03-15")),
    ("后天", ("2024-03-15", "2024-03-16")),
    ("下周", ("2024-03-18", "2024-03-25")),
    ("下个月", ("2024-04-01", "2024-05-01")),
    ("三天后", ("2024-03-15", "2024-03-18")),
]

JAPANESE = [
    ("今日何を食べた？", ("2024-03-13", "2024-03-14")),
    ("昨日", ("2024-03-12", "2024-03-13")),
    ("一昨日", ("2024-03-11", "2024-03-12")),
    ("おととい", ("2024-03-11", "2024-03-12")),
    ("先週", ("2024-03-04", "2024-03-11")),
    ("今週", ("2024-03-11", "2024-03-18")),
    ("先週末", ("2024-03-09", "2024-03-11")),
    ("先週の火曜日", ("2024-03-05", "2024-03-06")),
    ("火曜日に何をした？", ("2024-03-12", "2024-03-13")),
    ("水曜", ("2024-03-06", "2024-03-07")),
    ("先月", ("2024-02-01", "2024-03-01")),
    ("今月", ("2024-03-01", "2024-04-01")),
    ("去年", ("2023-01-01", "2024-01-01")),
    ("昨年", ("2023-01-01", "2024-01-01")),
    ("一昨年", ("2022-01-01", "2023-01-01")),
    ("おととし", ("2022-01-01", "2023-01-01")),
    ("今年", ("2024-01-01", "2025-01-01")),
    ("5月", ("2023-05-01", "2023-06-01")),
    ("五月", ("2023-05-01", "2023-06-01")),
    ("2022年", ("2022-01-01", "2023-01-01")),
    ("2022年5月", ("2022-05-01", "2022-06-01")),
    ("去年の5月", ("2023-05-01", "2023-06-01")),
    ("5月3日", ("2023-05-03", "2023-05-04")),
    ("３日前", ("2024-03-09", "2024-03-12")),  # full-width digit
    ("3日前", ("2024-03-09", "2024-03-12")),
    ("三日前", ("2024-03-09", "2024-03-12")),
    ("2週間前", ("2024-02-26", "2024-03-04")),
    ("二週間前", ("2024-02-26", "2024-03-04")),
    ("3ヶ月前", ("2023-12-01", "2024-01-01")),
    ("3か月前", ("2023-12-01", "2024-01-01")),
    ("1年前", ("2023-01-01", "2024-01-01")),
    ("数日前", ("2024-03-09", "2024-03-12")),
    ("最近", ("2024-02-12", "2024-03-14")),
    ("この前", ("2024-03-03", "2024-03-13")),
    ("先日", ("2024-03-03", "2024-03-13")),
    ("今朝", ("2024-03-13 05:00", "2024-03-13 12:00")),
    ("昨夜", ("2024-03-12 18:00", "2024-03-13 06:00")),
    ("昨晩", ("2024-03-12 18:00", "2024-03-13 06:00")),
    ("昨日の夜", ("2024-03-12 18:00", "2024-03-13 06:00")),
    ("去年の夏", ("2023-06-01", "2023-09-01")),
    ("今年の春", ("2024-03-01", "2024-06-01")),
    ("明日", ("2024-03-14", "2024-03-15")),
    ("来週", ("2024-03-18", "2024-03-25")),
    ("来月", ("2024-04-01", "2024-05-01")),
    ("3日後", ("2024-03-15", "2024-03-18")),
]


@pytest.mark.parametrize(("query", "expected"), ENGLISH + CHINESE + JAPANESE)
def test_windows(query: str, expected: tuple[str, str]) -> None:
    assert span(query) == expected


def test_window_shape_and_text() -> None:
    w = time_window("What did I cook last Tuesday?", NOW)
    assert w is not None
    assert w.text == "last Tuesday"
    assert w.start.tzinfo is UTC and w.end.tzinfo is UTC
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.text = "x"  # type: ignore[misc]
    assert time_window("我们上个月去了哪里", NOW) == TimeWindow(
        datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC), "上个月"
    )
    japanese = time_window("先週の火曜日に何を食べた？", NOW)
    assert japanese is not None and japanese.text == "先週の火曜日"


def test_tokyo_now_uses_its_own_calendar_day() -> None:
    now = datetime(2024, 3, 13, 1, 0, tzinfo=TOKYO)  # still March 12 in UTC
    w = time_window("yesterday", now)
    assert w is not None
    assert (w.start, w.end) == (datetime(2024, 3, 11, 15, tzinfo=UTC), datetime(2024, 3, 12, 15, tzinfo=UTC))
    today = time_window("今日", now)
    assert today is not None
    assert today.start == datetime(2024, 3, 12, 15, tzinfo=UTC)
    assert today.start.astimezone(TOKYO).date().isoformat() == "2024-03-13"
    assert span("last night", now) == ("2024-03-12 09:00", "2024-03-12 21:00")
    assert span("先週", now) == ("2024-03-03 15:00", "2024-03-10 15:00")


def test_naive_now_means_utc() -> None:
    assert span("yesterday", NOW.replace(tzinfo=None)) == span("yesterday", NOW)


def test_month_rollover() -> None:
    jan = datetime(2024, 1, 15, 9, tzinfo=UTC)
    for q in ("last month", "上个月", "先月"):
        assert span(q, jan) == ("2023-12-01", "2024-01-01")
    assert span("next month", datetime(2023, 12, 20, tzinfo=UTC)) == ("2024-01-01", "2024-02-01")
    assert span("last week", datetime(2024, 1, 3, tzinfo=UTC)) == ("2023-12-25", "2024-01-01")
    assert span("2 months ago", jan) == ("2023-11-01", "2023-12-01")
    assert span("this winter", jan) == ("2023-12-01", "2024-03-01")


def test_in_may_is_the_latest_may_that_has_started() -> None:
    assert span("in May", datetime(2024, 3, 13, tzinfo=UTC)) == ("2023-05-01", "2023-06-01")
    assert span("in May", datetime(2024, 6, 2, tzinfo=UTC)) == ("2024-05-01", "2024-06-01")
    assert span("in May", datetime(2024, 5, 2, tzinfo=UTC)) == ("2024-05-01", "2024-06-01")
    assert span("5月", datetime(2024, 6, 2, tzinfo=UTC)) == ("2024-05-01", "2024-06-01")
    assert span("last May", datetime(2024, 5, 20, tzinfo=UTC)) == ("2023-05-01", "2023-06-01")


def test_leap_days() -> None:
    assert span("Feb 29") == ("2024-02-29", "2024-03-01")
    assert span("Feb 29", datetime(2025, 3, 1, tzinfo=UTC)) == ("2024-02-29", "2024-03-01")
    assert span("2月29日", datetime(2027, 1, 1, tzinfo=UTC)) == ("2024-02-29", "2024-03-01")
    assert span("2024-02-29") == ("2024-02-29", "2024-03-01")
    assert time_window("Feb 29, 2023", NOW) is None
    assert time_window("Feb 30", NOW) is None
    assert time_window("2023-13-45", NOW) is None


@pytest.mark.parametrize(
    "query",
    ["What may Tom enjoy?", "May I ask you something?", "This may hurt a bit", "you may go", "mayday"],
)
def test_may_the_verb_is_not_a_month(query: str) -> None:
    assert time_window(query, NOW) is None


@pytest.mark.parametrize("query", ["in May", "during May", "of May", "this May.", "next may", "May 2021"])
def test_may_the_month(query: str) -> None:
    w = time_window(query, NOW)
    assert w is not None and w.start.month == 5


def test_most_specific_window_wins_and_ties_go_first() -> None:
    assert span("What did I do last week on Tuesday?") == ("2024-03-12", "2024-03-13")
    assert span("去年的最近") == ("2024-02-12", "2024-03-14")
    w = time_window("yesterday or today", NOW)
    assert w is not None and w.text == "yesterday"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "Do you remember my favourite movie?",
        "What is my cat's name?",
        "I like Mondays",
        "我喜欢猫",
        "每周一",
        "你还记得我的生日吗",
        "猫が好きです",
        "いつも何を食べる？",
        "2022年前",
    ],
)
def test_no_time_expression(query: str) -> None:
    assert time_window(query, NOW) is None


@pytest.mark.parametrize(
    "query",
    [
        "When did I start learning piano?",
        "when's my dentist appointment",
        "What date did we meet?",
        "Which year did I move?",
        "what month was the trip",
        "How long ago did we talk about it?",
        "Since when do I like jazz?",
        "我什么时候开始学钢琴的？",
        "我们是哪天见面的",
        "那是哪一年",
        "生日是几月",
        "何时出发",
        "いつピアノを始めた？",
        "何日に会った？",
        "何年に引っ越した？",
        "何月だった？",
    ],
)
def test_asks_when(query: str) -> None:
    assert asks_when(query)


@pytest.mark.parametrize(
    "query",
    [
        "What did I eat?",
        "Where did we go last week?",
        "Tell me about when I was a kid",
        "你喜欢什么？",
        "我们去了哪里",
        "何が好き？",
        "いつも何を食べる？",
        "何年間住んでいた？",
        "",
    ],
)
def test_does_not_ask_when(query: str) -> None:
    assert not asks_when(query)


@pytest.mark.parametrize(
    "text",
    [
        "I went hiking yesterday",
        "We moved last week",
        "The party is on May 3",
        "meet me at 2pm",
        "the call is at 14:30",
        "I saw her on Tuesday",
        "我昨天去了公园",
        "上周我们吃了火锅",
        "三天前我感冒了",
        "下午三点见",
        "昨日は雨だった",
        "先週映画を見た",
        "来月引っ越す",
        "3時に会おう",
        "2023-05-03 was fun",
        "2022年5月に結婚した",
    ],
)
def test_mentions_time(text: str) -> None:
    assert mentions_time(text)


@pytest.mark.parametrize(
    "text",
    [
        "I like pizza",
        "What may Tom enjoy?",
        "我喜欢猫",
        "有一点累",
        "猫が好きです",
        "I studied for 1時間",
        "",
    ],
)
def test_does_not_mention_time(text: str) -> None:
    assert not mentions_time(text)


def test_junk_never_raises() -> None:
    rng = random.Random(20240313)
    pieces = [
        "last", "may", "May", " ", "3", "31", "2024", "-", "年", "月", "日", "前", "十", "十十", "上周", "周",
        "ago", "days", "in", "Feb", "29", "\x00", "\ud800", "\udfff", "\u200b", "９", "ヶ", "の", "曜", "\n",
        "9999", "0000", "the", "of", "昨日", "next", "winter", "\u3000", "a few", "几", "后",
    ]  # fmt: skip
    nows = [
        NOW,
        datetime(9999, 12, 31, 23, tzinfo=UTC),
        datetime(1, 1, 1, 1, tzinfo=UTC),
        NOW.astimezone(TOKYO),
    ]
    for _ in range(3000):
        if rng.random() < 0.5:
            text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        else:
            text = "".join(chr(rng.randint(0, 0x10FFFF)) for _ in range(rng.randint(0, 20)))
        now = rng.choice(nows)
        w = time_window(text, now)
        assert w is None or (w.start < w.end and w.start.tzinfo is UTC)
        assert isinstance(asks_when(text), bool)
        assert isinstance(mentions_time(text), bool)


def test_big_input() -> None:
    big = "blah " * 20_000 + "yesterday"
    assert span(big) == ("2024-03-12", "2024-03-13")
    assert mentions_time(big)
    assert not asks_when("x" * 100_000)
    assert time_window("\x00" * 100_000, NOW) is None


def test_fast_enough() -> None:
    """Runs on every turn: a typical query stays far below a millisecond (the target is ~0.02 ms)."""
    query = "Do you remember what we had for dinner last Tuesday at that place?"
    start = datetime.now()
    for _ in range(200):
        time_window(query, NOW)
        mentions_time(query)
        asks_when(query)
    assert datetime.now() - start < timedelta(seconds=1)
