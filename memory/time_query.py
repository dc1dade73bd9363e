"""Time expressions in recall queries (Chinese, Japanese, English), parsed without a model.

Why: time-aware recall. A question with an explicit or relative time ("last Tuesday", 去年, 先週) is
resolved against the question's own clock, and recall favours memories from that window; a "when"
question (いつ, 什么时候) should surface the turns that carry a date. This runs on every chat turn,
so it is a few regex tables compiled at import: no model call on the hot path, and it never raises.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_Span = tuple[datetime, datetime]  # naive local [start, end)
_Groups = tuple[str | None, ...]
_Rule = Callable[[_Groups, datetime], _Span | None]
_DAY, _HOUR = timedelta(days=1), timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A period a query asks about: [start, end) in UTC, and the expression that named it."""

    start: datetime  # inclusive, tz-aware UTC
    end: datetime  # exclusive, tz-aware UTC
    text: str  # the matched expression, e.g. "last Tuesday", "去年", "先週"


def _midnight(t: datetime) -> datetime:
    return datetime(t.year, t.month, t.day)


def _days(t: datetime, n: int = 1) -> _Span:
    start = _midnight(t)
    return start, start + n * _DAY


def _add_months(y: int, m: int, k: int) -> tuple[int, int]:
    i = y * 12 + m - 1 + k
    return i // 12, i % 12 + 1


def _month(y: int, m: int, n: int = 1) -> _Span:
    y2, m2 = _add_months(y, m, n)
    return datetime(y, m, 1), datetime(y2, m2, 1)


def _shift(now: datetime, unit: str, k: int) -> datetime:
    if unit in ("hour", "day", "week"):
        return now + k * {"hour": _HOUR, "day": _DAY, "week": 7 * _DAY}[unit]
    return datetime(*_add_months(now.year, now.month, k if unit == "month" else 12 * k), 1)


def _span_of(t: datetime, unit: str) -> _Span:
    """The tolerance window around one point: ±1 h, its day, week, month or year."""
    if unit == "hour":
        return t - _HOUR, t + _HOUR
    if unit == "day":
        return _days(t)
    if unit == "week":
        return _days(t - t.weekday() * _DAY, 7)
    return _month(t.year, t.month) if unit == "month" else _month(t.year, 1, 12)


def _offset(now: datetime, unit: str, lo: int, hi: int, sign: int) -> _Span:
    """`lo`..`hi` units ago (sign -1) or ahead (+1); a single day count gets ±1 day of tolerance."""
    a, b = _span_of(_shift(now, unit, sign * lo), unit), _span_of(_shift(now, unit, sign * hi), unit)
    start, end = min(a[0], b[0]), max(a[1], b[1])
    if unit == "day" and lo == hi:
        start, end = start - _DAY, end + _DAY
    return start, end


def _weekday(now: datetime, wd: int, week: int | None, forward: bool = False) -> _Span:
    """Weekday `wd` of the week `week` weeks away, else the nearest past (or next) one, never today."""
    today = _midnight(now)
    if week is not None:
        delta = 7 * week + wd - today.weekday()
    elif forward:
        delta = (wd - today.weekday()) % 7 or 7
    else:
        delta = -((today.weekday() - wd) % 7 or 7)
    return _days(today + delta * _DAY)


def _pick(now: datetime, span: Callable[[int], _Span], rel: str) -> _Span:
    """A yearly period: "last" = latest ended, "next" = first not started, "this" = the one running
    or this year's, else the latest started ("in May" asked in March is last May)."""
    y = now.year + 1
    if rel == "this":
        return span(y - 2) if span(y - 2)[1] > now else span(y - 1)
    if rel == "next":
        y -= 2
        while span(y)[0] <= now:
            y += 1
        return span(y)
    while (span(y)[1] if rel == "last" else span(y)[0]) > now:
        y -= 1
    return span(y)


def _recent_day(now: datetime, m: int, d: int) -> _Span | None:
    """The latest (m, d) on or before today; Feb 29 looks back to a leap year."""
    for y in range(now.year, now.year - 9, -1):
        try:
            day = datetime(y, m, d)
        except ValueError:
            continue
        if day <= now:
            return _days(day)
    return None


_EN_NUMBERS = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
_NUM_WORDS = {w: i for i, w in enumerate(_EN_NUMBERS.split("|"), 1)} | {"a": 1, "an": 1}
_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_FEW = {"couple": (2, 2), "few": (2, 4), "several": (3, 7)} | dict.fromkeys("几幾数數", (2, 4))


def _int(s: str) -> int:
    """Digits of any script, English "one".."twelve", or Chinese numerals below 100."""
    if s.isdecimal():
        return int(s)
    if s.lower() in _NUM_WORDS:
        return _NUM_WORDS[s.lower()]
    tens, sep, ones = s.partition("十")
    if sep:
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    return _CN_DIGITS[s]


def _count(num: str | None, few: str | None) -> tuple[int, int]:
    if num:
        n = _int(num)
        return n, n
    low = (few or "").lower()
    return next(v for k, v in _FEW.items() if k in low)


_CJK_UNITS = {"小时": "hour", "小時": "hour", "钟头": "hour", "鐘頭": "hour", "時間": "hour", "天": "day"}
_CJK_UNITS |= {"日": "day", "周": "week", "週": "week", "週間": "week", "星期": "week", "礼拜": "week"}
_CJK_UNITS |= {"禮拜": "week", "月": "month", "年": "year"}
_COUNTERS = str.maketrans("", "", "个個ヶケかカヵ箇 \t\u3000")
_REL_YEAR = {"今年": 0, "この": 0, "去年": -1, "昨年": -1, "前年": -2, "一昨年": -2, "おととし": -2}
_REL_YEAR |= {"明年": 1, "来年": 1, "來年": 1}
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
_SEASONS |= {"春": 3, "夏": 6, "秋": 9, "冬": 12}
_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9}
_MONTHS |= {"oct": 10, "nov": 11, "dec": 12}
_WEEKDAYS_EN = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WEEKDAYS_CJK = {c: i for i, c in enumerate("一二三四五六")} | {"日": 6, "天": 6}
_WEEKDAYS_CJK |= {c: i for i, c in enumerate("月火水木金土日")}  # Japanese 月曜..日曜
_WEEK_PREFIX = {"上上": -2, "上": -1, "这": 0, "這": 0, "本": 0, "下": 1, "先週": -1, "先々週": -2}
_WEEK_PREFIX |= {"今週": 0, "来週": 1, "來週": 1, "再来週": 2}


def _unit(raw: str) -> str:
    return _CJK_UNITS.get(raw.translate(_COUNTERS), raw.lower())


# ---- resolvers: a rule's groups and the naive local now -> a naive local span ----


def _r_cjk_date(g: _Groups, now: datetime) -> _Span | None:
    year, rel, m, d = g
    month = _int(m or "")
    if not 1 <= month <= 12:
        return None
    if year or rel:
        y = int(year) if year else now.year + _REL_YEAR[rel or ""]
        return _days(datetime(y, month, _int(d))) if d else _month(y, month)
    return _recent_day(now, month, _int(d)) if d else _pick(now, lambda y: _month(y, month), "")


def _r_ago(sign: int) -> _Rule:
    def rule(g: _Groups, now: datetime) -> _Span | None:
        num, few, unit = g[0] or g[1], g[2], _unit(g[3] or "")
        lo, hi = _count(num, few)
        back = sign or (1 if (g[4] or "").lower().endswith(("now", "后", "後")) else -1)
        return _offset(now, unit, lo, hi, back) if hi > 0 else None

    return rule


def _r_rolling(g: _Groups, now: datetime) -> _Span | None:
    num, few, unit = g[0] or g[1], g[2], _unit(g[3] or "")
    _, hi = _count(num, few) if (num or few) else (1, 1)
    if unit == "hour":
        return now - hi * _HOUR, now
    return _span_of(_shift(now, unit, -hi), unit)[0], _midnight(now) + _DAY


def _r_cjk_weekday(g: _Groups, now: datetime) -> _Span | None:
    prefix, day = g[0] or g[2], _WEEKDAYS_CJK[g[1] or g[3] or ""]
    return _weekday(now, day, _WEEK_PREFIX[prefix] if prefix else None)


def _r_en_weekday(g: _Groups, now: datetime) -> _Span | None:
    rel, day = (g[0] or "").lower(), _WEEKDAYS_EN.index((g[1] or "").lower()[:3])
    return _weekday(now, day, 0 if rel == "this" else None, rel in ("next", "coming"))


def _season(sm: int) -> Callable[[int], _Span]:
    return lambda y: _month(y, sm, 3)  # northern seasons; the winter of Y is Dec Y - Feb Y+1


def _r_cjk_season(g: _Groups, now: datetime) -> _Span | None:
    year, rel, season = g
    span = _season(_SEASONS[(season or "")[:1]])
    offset = 0 if year else _REL_YEAR[rel or ""]
    return span(int(year)) if year else _pick(now, span, "this") if offset == 0 else span(now.year + offset)


def _r_en_season(g: _Groups, now: datetime) -> _Span | None:
    rel, season, season2, year, rel_year = (x.lower() if x else "" for x in g)
    if season:
        return _pick(now, _season(_SEASONS[season]), {"past": "last", "coming": "next"}.get(rel, rel))
    offset = {"this": 0, "last": -1, "next": 1}.get(rel_year, 0)
    return _season(_SEASONS[season2])(int(year) if year else now.year + offset)


def _r_month_day(g: _Groups, now: datetime) -> _Span | None:
    name, d, y = (g[0] or "").lower(), _int(g[1] or ""), g[2]
    m = _int(name) if name.isdecimal() else _MONTHS[name[:3]]
    return _days(datetime(int(y), m, d)) if y else _recent_day(now, m, d)


def _r_month_ctx(g: _Groups, now: datetime) -> _Span | None:
    prefix, name, year, rel_year = ((x or "").lower() for x in g)
    m = _MONTHS[name[:3]]
    if year or rel_year:
        return _month(int(year) if year else now.year + {"this": 0, "last": -1, "next": 1}[rel_year], m)
    return _pick(now, lambda y: _month(y, m), prefix if prefix in ("last", "this", "next") else "")


_FIXED: dict[str, Callable[[datetime], _Span]] = {}
# fmt: off
_MON = (
    r"(january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?(?![a-z])"
)
_MON_NO_MAY = _MON.replace("|may|", "|")
_NUM = rf"(?:(\d{{1,3}})|({_EN_NUMBERS}|an?))"
_FEW_EN = r"(a\s+couple(?:\s+of)?|couple\s+of|a\s+few|few|several)"
_UNIT_EN = r"(hour|day|week|month|year)s?(?![a-z])"
_CN_NUM = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"
_CJK_COUNT = r"(?<!\d)(?:(\d{1,3}|[一二两兩三四五六七八九十]{1,3})()|(几|幾|数|數))\s*"
_CJK_UNIT = (r"((?:[个個]\s*)?(?:小时|小時|钟头|鐘頭|星期|礼拜|禮拜)"
             r"|時間|天|日|周|週間|週|[个個ヶケかカヵ箇]\s*月|年)")
_REL_YEARS = "今年|去年|昨年|一昨年|前年|明年|来年|來年|おととし"
_DAY_WORDS = {"this": 0, "last": -1, "yesterday": -1, "tomorrow": 1, "今天": 0, "今日": 0, "昨天": -1}
_DAY_WORDS |= {"昨日": -1, "明天": 1, "明日": 1, "前天": -2}
_PARTS = {"morning": (5, 12), "afternoon": (12, 18), "evening": (18, 24), "night": (18, 30), "凌晨": (0, 5)}
_PARTS |= dict.fromkeys(("中午", "昼"), (11, 14)) | dict.fromkeys(("傍晚", "夕方"), (16, 19))
_PARTS |= dict.fromkeys(("下午", "午後"), (12, 18)) | dict.fromkeys(("上午", "午前", "朝"), (5, 12))
_PARTS |= dict.fromkeys(("早上", "早晨"), (5, 12))
_PARTS |= dict.fromkeys(("晚上", "夜里", "夜裡", "夜", "晩"), (18, 30))
# fmt: on


def _part_of_day(g: _Groups, now: datetime) -> _Span | None:
    word, part = (g[0] or "").lower(), (g[1] or "").lower()
    if word == "last" and part != "night":
        return None
    h0, h1 = _PARTS[part]
    day = _midnight(now) + _DAY_WORDS[word] * _DAY
    return day + h0 * _HOUR, day + h1 * _HOUR


def _r_fixed(g: _Groups, now: datetime) -> _Span | None:
    fixed = _FIXED.get(" ".join((g[0] or "").lower().split()))
    return fixed(now) if fixed else None


# Rules are tried in order at each word start (English) or trigger character (Chinese, Japanese).
# fmt: off
_EN_RULES: list[tuple[str, _Rule]] = [
    (rf"(?<![a-z0-9])(?:{_NUM}|{_FEW_EN})\s+{_UNIT_EN}\s+(ago|back|from\s+now)(?![a-z])", _r_ago(0)),
    (rf"(?<![a-z])in\s+(?:{_NUM}|{_FEW_EN})\s+{_UNIT_EN}", _r_ago(1)),
    (r"(?<![a-z])(?:the\s+)?(?:past|last|previous)\s+"  # the past 3 days, last few weeks
     rf"(?:(\d{{1,3}})|({_EN_NUMBERS})|(few|couple(?:\s+of)?|several))\s+{_UNIT_EN}", _r_rolling),
    (r"(?<![a-z])(?:the\s+)?past()()()\s+(hour|day|week|month|year)(?![a-z])", _r_rolling),
    (r"(?<![a-z])(?:(last|this|next|past|coming)\s+(spring|summer|autumn|fall|winter)|(spring|summer|autumn"
     r"|fall|winter)\s+(?:of\s+)?(?:((?:19|20)\d\d)(?!\d)|(this|last|next)\s+year))(?![a-z])", _r_en_season),
    (r"(?<![a-z])(?:(last|this|next|on|past|coming)\s+)?"
     r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?![a-z])", _r_en_weekday),
    (rf"(?<![a-z]){_MON}\s+(\d{{1,2}})(?:st|nd|rd|th)?(?![\d:a-z])(?:(?:,\s*|\s+)(\d{{4}})(?!\d))?",
     _r_month_day),
    (rf"(?<![\da-z])(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MON}(?:,?\s+(\d{{4}})(?!\d))?",
     lambda g, n: _r_month_day((g[1], g[0], g[2]), n)),
    (rf"(?<![a-z])(){_MON},?\s+(\d{{4}})(?!\d)()", _r_month_ctx),
    (  # in May, last May, in May last year; "this may" only before punctuation; "on May 3" is a day
        r"(?<![a-z])(in|on|since|during|of|last|next|until|till|this|early|late|mid)(?:[-\s]+(?:early|late|mid))?"
        rf"[-\s]+(?:{_MON_NO_MAY}|(?<!this\s)(may)(?![a-z])|(may)(?!\s*[a-z]))"
        r"(?![\s,]*\d{1,2}(?:st|nd|rd|th)?(?![\d:a-z]))(?:,?\s+(\d{4})(?!\d)|\s+(this|last|next)\s+year(?![a-z]))?",
        lambda g, now: _r_month_ctx((g[0], g[1] or g[2] or g[3], g[4], g[5]), now),
    ),
    (r"(?<![a-z])()(january|february|march|april|june|july|august|september|october|november|december)"
     r"(?![a-z])()()", _r_month_ctx),
    (r"(?<![a-z])(?:in|during|since|of|from|back\s+in|around)\s+(?:the\s+year\s+)?((?:1[89]|2\d)\d\d)(?!\d)",
     lambda g, n: _month(int(g[0] or ""), 1, 12)),
    (r"(?<![a-z])(this|yesterday|tomorrow|last)\s+(morning|afternoon|evening|night)(?![a-z])", _part_of_day),
]
_CJK_RULES: list[tuple[str, _Rule]] = [
    (rf"(?:(?:(?<!\d)(\d{{4}})\s*年|({_REL_YEARS}))\s*の?\s*)?(?<!\d){_CN_NUM}\s*月份?"  # 2022年5月3日, 五月
     rf"(?:\s*{_CN_NUM}\s*[日号號])?", _r_cjk_date),
    (r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)", lambda g, now: _r_month_day(g[1:] + g[:1], now)),
    (rf"(?:(?<!\d)(\d{{4}})\s*年|({_REL_YEARS}|この))\s*の?\s*(春天|夏天|秋天|冬天|[春夏秋冬]季?)(?![节節至])",
     _r_cjk_season),
    (r"(?<!\d)((?:1[89]|2\d)\d\d)\s*年(?![前后後以之间間代])", lambda g, n: _month(int(g[0] or ""), 1, 12)),
    (r"(?<![\d一二两三四五六七八九十每几幾])(上上|上|这|這|本|下)?\s*(?:个|個)?\s*(?:周|週|星期|礼拜|禮拜)\s*"
     r"([一二三四五六日天])(?![月个個一二三四五六七八九十])"  # 上周二, 星期三, 先週の火曜日, 水曜
     r"|(?:(先々週|先週|今週|来週|來週|再来週)\s*の?\s*)?([月火水木金土日])曜日?", _r_cjk_weekday),
    (rf"{_CJK_COUNT}{_CJK_UNIT}\s*(之前|以前|前|之后|之後|以后|以後|后|後)", _r_ago(0)),
    (rf"(?:过去|過去|最近|近|ここ)\s*的?\s*{_CJK_COUNT}{_CJK_UNIT}", _r_rolling),
    (r"(今天|今日|昨天|昨日|明天|明日|前天)\s*の?\s*"
     r"(早上|早晨|上午|中午|下午|傍晚|晚上|夜里|夜裡|凌晨|午前|午後|夕方|朝|昼|夜|晩)", _part_of_day),
]
# fmt: on


def _fixed(words: str, rule: Callable[[datetime], _Span]) -> None:
    for w in words.split("|"):
        _FIXED[w] = rule


def _rel(unit: str, k: int) -> Callable[[datetime], _Span]:
    return lambda now: _span_of(_shift(now, unit, k), unit)


def _hours(unit: str, k: int, h0: int, h1: int) -> Callable[[datetime], _Span]:
    """From `h0` to `h1` hours after the start of the unit `k` units away (a week's Saturday: 120)."""

    def rule(now: datetime) -> _Span:
        start = _span_of(_shift(now, unit, k), unit)[0]
        return start + h0 * _HOUR, start + h1 * _HOUR

    return rule


_fixed("today|今天|今日|本日", _rel("day", 0))
_fixed("yesterday|昨天|昨日", _rel("day", -1))
_fixed("the day before yesterday|day before yesterday|前天|一昨天|一昨日|おととい", _rel("day", -2))
_fixed("大前天|さきおととい", _rel("day", -3))
_fixed("tomorrow|明天|明日", _rel("day", 1))
_fixed("the day after tomorrow|day after tomorrow|后天|後天|明後日|あさって", _rel("day", 2))
_fixed("大后天|大後天|しあさって", _rel("day", 3))
_fixed("last week|previous week|上周|上週|上星期|上个星期|上個星期|上礼拜|上禮拜|先週|前週", _rel("week", -1))
_fixed("the week before last|上上周|上上星期|上上个星期|先々週", _rel("week", -2))
_fixed("this week|本周|本週|这周|這週|这星期|这个星期|這個星期|这礼拜|今週", _rel("week", 0))
_fixed("next week|下周|下週|下星期|下个星期|下個星期|下礼拜|下个礼拜|来週|來週|翌週", _rel("week", 1))
_fixed("last weekend|上周末|上週末|上个周末|上個週末|先週末", _hours("week", -1, 120, 168))
_fixed("this weekend|这周末|這週末|本周末|今週末", _hours("week", 0, 120, 168))
_fixed("next weekend|下周末|下週末|下个周末|来週末", _hours("week", 1, 120, 168))
_fixed("last month|previous month|上个月|上個月|上月|先月|前月", _rel("month", -1))
_fixed("this month|这个月|這個月|本月|今月", _rel("month", 0))
_fixed("next month|下个月|下個月|下月|来月|來月|翌月", _rel("month", 1))
_fixed("上上个月|上上個月|先々月", _rel("month", -2))
_fixed("last year|previous year|去年|昨年", _rel("year", -1))
_fixed("this year|今年|本年", _rel("year", 0))
_fixed("next year|明年|来年|來年|翌年", _rel("year", 1))
_fixed("the year before last|前年|一昨年|おととし", _rel("year", -2))
_fixed("后年|再来年", _rel("year", 2))
_fixed("recently|lately|these days|of late|最近|近来|近來|近期|近頃|このところ", _hours("day", 0, -720, 24))
_fixed("these past few days|这几天|這幾天|这两天|這兩天|ここ数日", _hours("day", 0, -72, 24))
_fixed("the other day|the other night|前几天|前幾天|前些天|前些日子|前两天|前兩天", _hours("day", 0, -240, 0))
_fixed("この前|先日|この間|こないだ", _hours("day", 0, -240, 0))
_fixed("earlier today", lambda now: (_midnight(now), max(now, _midnight(now) + timedelta(minutes=1))))
_fixed("tonight|今晚|今夜|今晩", _hours("day", 0, 18, 30))
_fixed("last night|昨晚|昨夜|昨晩", _hours("day", -1, 18, 30))
_fixed("今早|今晨|今朝", _hours("day", 0, 5, 12))
_fixed("明早", _hours("day", 1, 5, 12))
_fixed("明晚", _hours("day", 1, 18, 30))


_Trie = dict[str, "_Trie"]


def _trie(words: list[str]) -> str:
    """One alternation for many literal words, factored by shared prefixes so a miss fails fast."""
    tree: _Trie = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: _Trie) -> str:
        alts = [(r"\s+" if ch == " " else re.escape(ch)) + emit(sub) for ch, sub in node.items() if ch]
        body = "(?:" + "|".join(alts) + ")" if alts else ""
        return body + "?" if alts and "" in node else body

    return emit(tree)


_EN_RULES.append((r"(?<![a-z])(" + _trie([k for k in _FIXED if k.isascii()]) + r")(?![a-z])", _r_fixed))
_CJK_RULES.append(("(" + _trie([k for k in _FIXED if not k.isascii()]) + ")", _r_fixed))


def _compile(rules: list[tuple[str, _Rule]]) -> tuple[re.Pattern[str], dict[int, tuple[_Rule, int]]]:
    """One regex of all rules; each rule's own groups follow its outer group's index."""
    parts, by_index, index = [], {}, 1
    for pattern, rule in rules:
        n = re.compile(pattern, re.I).groups
        parts.append(f"({pattern})")
        by_index[index] = (rule, n)
        index += n + 1
    return re.compile("|".join(parts), re.I), by_index


_EN, _EN_INDEX = _compile(_EN_RULES)
_CJK, _CJK_INDEX = _compile(_CJK_RULES)
# Where a time expression can begin: an ASCII word start, a digit, or a CJK trigger character.
_TRIGGERS = "".join(
    {k[0] for k in _FIXED if not k.isascii()}
    | set("一二两兩三四五六七八九十几幾数數過过近こ月火水木金土日礼禮周週星")
)
_STARTS = re.compile(rf"(?<![a-z0-9])([a-z0-9])|(?<!\d)\d|[{_TRIGGERS}]", re.I)
_CLOCK = re.compile(
    r"(?<![\da-z])\d{1,2}(?::\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.)(?![a-z])|(?<!\d)\d{1,2}:\d\d(?!\d)|o'clock"
    r"|(?<![a-z])(?:noon|midnight)(?![a-z])|(?<!\d)\d{1,2}\s*[点點時时](?![间間])|午前|午後|上午|下午|凌晨|中午"
    r"|[一二两三四五六七八九十]{1,3}\s*[点點](?:钟|鐘|半|\s*[\d一二三四五六七八九十]+\s*分)",
    re.I,
)
_ASKS_WHEN = re.compile(
    r"(?<![a-z])(?:when(?:'s|’s|\s+(?:did|do|does|was|were|is|are|will|would|could|should|have|has|had|am|can)"
    r"(?![a-z]))|since\s+when|how\s+long\s+(?:ago|since|has\s+it\s+been)"
    r"|how\s+many\s+(?:days|weeks|months|years)\s+ago|(?:what|which)\s+(?:date|day|year|month|week|time)(?![a-z]))"
    r"|什么时候|什麼時候|甚么时候|啥时候|啥時候|哪一?天|哪一?年|哪一?日|哪[个個]月|哪一?周|[几幾][月号號点點时時]"
    r"|何[时時]|多久(?:以前|之前|前)|(?:星期|周|週|礼拜|禮拜)[几幾]|什么日子"
    r"|いつ(?!も|か|でも|の間|しか)|何日(?![間も])|何年(?![間も生])|何月|何曜|何時(?![間])",
    re.I,
)


def _matches(text: str) -> Iterator[tuple[re.Match[str], _Rule, _Groups]]:
    """Non-overlapping rule matches, left to right, with each match's rule and group offset."""
    pos = 0
    for start in _STARTS.finditer(text):
        if start.start() < pos:
            continue
        m = _EN.match(text, start.start()) if start.group(1) else None
        table = _EN_INDEX
        if m is None and not (start.group(1) or "0").isalpha():
            m, table = _CJK.match(text, start.start()), _CJK_INDEX
        if m is not None:
            pos = m.end()
            index = m.lastindex or 0
            rule, n = table[index]
            yield m, rule, m.groups()[index : index + n]


def time_window(query: str, now: datetime) -> TimeWindow | None:
    """The period the query asks about, resolved against `now` (tz-aware; naive means UTC), or None."""
    local, tz = now.replace(tzinfo=None), now.tzinfo or UTC
    best: TimeWindow | None = None
    for m, rule, groups in _matches(query):
        try:
            span = rule(groups, local)
            if span is None or span[1] <= span[0]:
                continue
            start, end = (t.replace(tzinfo=tz).astimezone(UTC) for t in span)
        except (ValueError, KeyError, OverflowError, StopIteration):
            continue  # Feb 30, year 0, "十十": not a date
        if best is None or end - start < best.end - best.start:
            best = TimeWindow(start, end, m.group())
    return best


def asks_when(query: str) -> bool:
    """True for questions that ask for a time: "when did...", "what year", 什么时候, 哪天, いつ, 何日..."""
    return _ASKS_WHEN.search(query) is not None


def mentions_time(text: str) -> bool:
    """True when a stored turn carries a time reference (a date, weekday, relative day, clock time)."""
    return next(_matches(text), None) is not None or _CLOCK.search(text) is not None
