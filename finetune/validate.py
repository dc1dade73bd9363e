"""Reject a training conversation for every reason it would teach the Soul tier something wrong.

Each check returns :class:`Problem` s with a stable `code` (what `stats` and the rejects file count)
and a `detail` a person can act on. Codes:

- ``schema``     the JSON does not fit :mod:`character.conversation`
- ``encoding``   mojibake (ftfy's detector, UTF-8 read as Latin-1/cp1252 or Shift-JIS/GBK/Big5, runs of
                 3+ '?' where characters were lost), U+FFFD, control chars
- ``script``     letters from a script none of her languages use (Hangul, Cyrillic, Thai, ...)
- ``language``   a reply not in the language of the message it answers, or not the declared language
- ``addressing`` "user"/用户/ユーザー for Sensei (in thinking: also "the person"/使用者/用戶/利用者/ユーザ),
                 another language's term, or never addressing Sensei
- ``think``      malformed ``<think>`` structure (not first, unclosed, nested, in Sensei's turn)
- ``empty_think`` an explicit but empty ``<think></think>``: never valid data under the thinking policy
                 (a turn thinks, or has no block at all)
- ``think_language`` thinking in another language than the conversation's (zh/ja/en conversations)
- ``invented_memory`` a reply recalls a dated or quoted fact found in no memory and no earlier turn
- ``empty``      an empty turn
- ``runaway``    a reply over the length limit, a repetition loop, or too many turns
- ``tool``       an unknown tool or arguments its tool would refuse

Why this is strict: a few hundred bad samples undo the character; the generator retries a job whose
output is rejected, so strictness costs tokens, not data.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

import ftfy.badness
from pydantic import BaseModel, ValidationError

from character import BaseLang, analyse_language
from character.conversation import Conversation, Message

MAX_REPLY_CHARS = 1200
MAX_MESSAGES = 40
MAX_CONVERSATION_CHARS = 8 * MAX_MESSAGES * MAX_REPLY_CHARS  # thinking and tool results included
MIN_CHECKED_CHARS = 6  # shorter replies ("OK!", "好") carry too little signal to judge the language
MIN_THINK_CHARS = 12  # shorter thinking ("好。", "OK, Sensei.") is not judged for its language

ADDRESS: dict[BaseLang, str] = {"zh": "老师", "ja": "先生", "en": "Sensei"}
_THINK_TAG = re.compile(r"</?think>")
_THINK_BLOCK = re.compile(r"\A<think>\n?(.*?)\n?</think>\s*", re.DOTALL)
_USER_IN_THINK = re.compile(r"(?i)\b(?:the\s+)?users?\b|\bthe\s+person\b|使用者|用户|用戶|ユーザー?|利用者")
# Visible text: only address-like uses, because 用户/ユーザー/user are ordinary words too.
_USER_ADDRESS = re.compile(
    r"(?i)\b(?:dear|the|hi|hello|hey)\s+users?\b|^users?\b|\busers?[,!]|亲爱的用户|用户您|尊敬的用户"
    r"|ユーザー(?:さん|様)"
)
_WRONG_ADDRESS: dict[BaseLang, re.Pattern[str]] = {
    # 王先生 (Mr Wang) is ordinary Chinese; a bare 先生 or "Sensei" addresses her Japanese/English way.
    "zh": re.compile(r"(?<![\u4e00-\u9fff])先生|\bSensei\b"),
    "ja": re.compile(r"老师|\bSensei\b"),
    "en": re.compile(r"老师|先生"),
}
_REPEAT = re.compile(r"(.{6,80}?)\1{3,}", re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_CJK_CODECS = ("shift_jis", "gbk", "big5")
_LOST_CHARS = re.compile(r"\?{3,}")  # characters an encoder could not represent
# UTF-8 read as Latin-1/cp1252: a lead byte (Â-ß for 2-byte, à-ï for 3-byte sequences) followed by
# continuation bytes, which show as C1 controls, Latin-1 punctuation (\xa0-\xbf) or cp1252 symbols.
_CONT = (
    "\x80-\xbf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013-\u2026\u2030\u2039\u203a\u20ac\u2122"
)
_LATIN1_MOJIBAKE = re.compile(f"â€|[ÂÃ][{_CONT}]|[à-ï][{_CONT}]{{2}}")
_FOREIGN_SCRIPTS = (
    "HANGUL", "CYRILLIC", "ARABIC", "HEBREW", "THAI", "DEVANAGARI", "BENGALI", "TAMIL", "ARMENIAN",
    "GEORGIAN", "ETHIOPIC", "KHMER", "LAO", "MYANMAR", "TIBETAN", "SYRIAC", "GUJARATI", "GURMUKHI",
)  # fmt: skip


@dataclass(frozen=True)
class Problem:
    code: str
    detail: str
    where: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "where": self.where, "detail": self.detail}

    def __str__(self) -> str:
        return f"{self.code}: {self.where + ': ' if self.where else ''}{self.detail}"


@dataclass(frozen=True)
class Verdict:
    """The result for one conversation (`conversation` is None when it did not even parse)."""

    id: str
    problems: tuple[Problem, ...]
    conversation: Conversation | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.code for p in self.problems))

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "ok": self.ok, "problems": [p.as_dict() for p in self.problems]}


def validate_line(line: str, *, where: str = "") -> Verdict:
    """Parse one JSONL line and validate it; a parse failure is a ``schema`` problem."""
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        return Verdict(where or "?", (Problem("schema", f"not JSON: {exc.msg} at column {exc.colno}"),))
    except RecursionError:
        return Verdict(where or "?", (Problem("schema", "not JSON this program reads: nested too deeply"),))
    return validate_data(raw, where=where)


def validate_data(raw: Any, *, where: str = "") -> Verdict:
    fallback_id = str(raw.get("id")) if isinstance(raw, dict) and raw.get("id") else (where or "?")
    if problem := surrogate_problem(raw):
        return Verdict(where or "?", (problem,))  # not the id: it may be the bad text itself
    try:
        conversation = Conversation.model_validate(raw)
    except ValidationError as exc:
        return Verdict(fallback_id, tuple(_schema_problems(exc)))
    return validate(conversation)


def validate(conversation: Conversation) -> Verdict:
    problems = [
        *check_encoding(conversation),
        *check_length(conversation),
        *check_think(conversation),
        *check_language(conversation),
        *check_addressing(conversation),
        *check_think_language(conversation),
        *check_memories(conversation),
        *check_tools(conversation),
    ]
    return Verdict(conversation.id, tuple(problems), conversation)


def surrogate_problem(raw: Any) -> Problem | None:
    """An ``encoding`` problem when parsed JSON holds a lone surrogate (a ``\\ud800`` escape): no UTF-8
    file, tokenizer or terminal can take it, so it must never get past reading. Iterative: any depth."""
    stack = [raw]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                detail = "a lone surrogate escape (\\ud800-\\udfff) is not text; fix the line"
                return Problem("encoding", detail)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def conversation_chars(conversation: Conversation) -> int:
    """Characters of every turn and tool call: what reading, dedupe and tokenizing cost grows with."""
    return sum(
        len(m.content) + sum(len(json.dumps(c.arguments, ensure_ascii=False)) for c in m.tool_calls or ())
        for m in conversation.messages
    )


def _schema_problems(exc: ValidationError) -> list[Problem]:
    return [
        Problem("schema", err["msg"], ".".join(str(part) for part in err["loc"]))
        for err in exc.errors(include_url=False)[:5]
    ]


def split_think(content: str) -> tuple[str | None, str]:
    """``(thinking, visible)`` of an assistant turn; thinking is None when there is no block."""
    match = _THINK_BLOCK.match(content)
    if match is None:
        return None, content
    return match.group(1).strip(), content[match.end() :]


def _turns(conversation: Conversation) -> list[tuple[str, Message]]:
    return [(f"messages[{i}]", m) for i, m in enumerate(conversation.messages)]


def check_encoding(conversation: Conversation) -> list[Problem]:
    problems: list[Problem] = []
    for where, message in _turns(conversation):
        text = message.content + (message.kokoron_likely or "")
        problem = _encoding_problem(text) or _script_problem(text)
        if problem:
            problems.append(Problem(problem[0], problem[1], where))
    return problems


def _encoding_problem(text: str) -> tuple[str, str] | None:
    if "\ufffd" in text:
        return "encoding", "contains U+FFFD (bytes were lost in decoding)"
    if hit := _LOST_CHARS.search(text):
        return "encoding", f"{hit.group(0)!r}: characters lost to an encoder (write real text, not '???')"
    if hit := _LATIN1_MOJIBAKE.search(text):
        return "encoding", f"mojibake {hit.group(0)!r} (UTF-8 decoded as Latin-1/Windows-1252)"
    if _CONTROL.search(text):
        return "encoding", "contains control characters"
    if ftfy.badness.is_bad(text):
        return "encoding", "mojibake (UTF-8 decoded as Latin-1/Windows-1252; ftfy can often repair it)"
    codec = _cjk_mojibake(text)
    if codec:
        return "encoding", f"mojibake (UTF-8 bytes decoded as {codec})"
    return None


def _cjk_mojibake(text: str) -> str | None:
    """UTF-8 read as a CJK codec re-encodes to valid UTF-8 with multibyte text: real CJK text doesn't.

    (Single-byte round trips such as ¥ -> 0x5C in Shift-JIS are not evidence, hence the checks.)
    """
    wide = "".join(ch for ch in text if ord(ch) > 0x7F)
    if len(wide) < 4:
        return None
    for codec in _CJK_CODECS:
        try:
            decoded = wide.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if len(decoded) < len(wide) and sum(ord(ch) > 0x7F for ch in decoded) >= 2:
            return codec  # multibyte sequences collapsed back into real characters
    return None


def _script_problem(text: str) -> tuple[str, str] | None:
    scripts = {script for ch in text if ord(ch) > 0x24F and (script := _foreign_script(ch))}
    if scripts:
        return "script", f"letters in {', '.join(sorted(scripts)).title()} script"
    return None


@cache
def _foreign_script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    return next((s for s in _FOREIGN_SCRIPTS if name.startswith(s)), None)


def check_length(conversation: Conversation) -> list[Problem]:
    problems: list[Problem] = []
    if len(conversation.messages) > MAX_MESSAGES:
        problems.append(Problem("runaway", f"{len(conversation.messages)} messages (limit {MAX_MESSAGES})"))
    if (chars := conversation_chars(conversation)) > MAX_CONVERSATION_CHARS:
        problems.append(Problem("runaway", f"{chars:,} characters (limit {MAX_CONVERSATION_CHARS:,})"))
    for where, message in _turns(conversation):
        visible = split_think(message.content)[1] if message.role == "assistant" else message.content
        if not visible.strip() and not message.tool_calls:
            thinking_only = " (thinking only)" if message.content.strip() else ""
            problems.append(Problem("empty", f"empty {message.role} turn{thinking_only}", where))
        elif message.role in ("user", "assistant") and len(visible) > MAX_REPLY_CHARS:
            problems.append(Problem("runaway", f"{len(visible)} characters (limit {MAX_REPLY_CHARS})", where))
        elif loop := _REPEAT.search(message.content[: 4 * MAX_REPLY_CHARS]):
            problems.append(Problem("runaway", f"repetition loop: {loop.group(1)[:30]!r} x4+", where))
    return problems


def check_think(conversation: Conversation) -> list[Problem]:
    problems: list[Problem] = []
    for where, message in _turns(conversation):
        tags = _THINK_TAG.findall(message.content)
        if message.role != "assistant":
            if tags:
                problems.append(Problem("think", f"think tags in a {message.role} turn", where))
            continue
        if not tags:
            continue
        thinking, visible = split_think(message.content)
        if thinking is None:
            detail = "unclosed <think>" if tags == ["<think>"] else "<think> block is not at the start"
            problems.append(Problem("think", detail, where))
        elif _THINK_TAG.search(thinking) or _THINK_TAG.search(visible):
            problems.append(Problem("think", "more than one <think> block, or a stray tag", where))
        elif not thinking:
            detail = "empty <think></think>: think for real, or leave the block out entirely"
            problems.append(Problem("empty_think", detail, where))
    return problems


def check_language(conversation: Conversation) -> list[Problem]:
    """Replies mirror the message they answer; a fixed-language conversation opens in that language."""
    problems: list[Problem] = []
    seen: set[BaseLang] = set()
    asked: BaseLang | None = None
    for where, message in _turns(conversation):
        if message.role == "user":
            found = analyse_language(message.content)
            seen.update(lang for lang, units in found.units if units and found.lang == "mixed")
            seen.add(found.dominant)
            asked = found.dominant if len(message.content.strip()) >= MIN_CHECKED_CHARS else None
            declared = conversation.language
            if asked and declared not in ("mixed", asked) and where == _first_user(conversation):
                problems.append(Problem("language", f"opens in {asked}, declared {declared}", where))
        elif message.role == "assistant":
            visible = split_think(message.content)[1].strip()
            if len(visible) < MIN_CHECKED_CHARS:
                continue
            said = analyse_language(visible).dominant
            seen.add(said)
            if asked and said != asked and conversation.language != "mixed":
                problems.append(Problem("language", f"replies in {said} to a message in {asked}", where))
    if conversation.language == "mixed" and len(seen) < 2:
        problems.append(Problem("language", f"declared mixed but only {'/'.join(sorted(seen))} is used"))
    return problems


def _first_user(conversation: Conversation) -> str:
    return next(where for where, m in _turns(conversation) if m.role == "user")


def check_addressing(conversation: Conversation) -> list[Problem]:
    problems: list[Problem] = []
    addressed = False
    for where, message in _turns(conversation):
        if message.role != "assistant":
            continue
        thinking, visible = split_think(message.content)
        if thinking and (hit := _USER_IN_THINK.search(thinking)):
            problems.append(Problem("addressing", f"thinking calls Sensei {hit.group(0)!r}", where))
        if hit := _USER_ADDRESS.search(visible):
            problems.append(Problem("addressing", f"calls Sensei {hit.group(0)!r}", where))
        lang = _reply_language(visible)
        if lang and (hit := _WRONG_ADDRESS[lang].search(visible)):
            problems.append(Problem("addressing", f"{hit.group(0)!r} in a {lang} reply", where))
        addressed = addressed or any(term in message.content for term in ADDRESS.values())
    if not addressed:
        problems.append(Problem("addressing", "never addresses Sensei (老师 / 先生 / Sensei)"))
    return problems


def _reply_language(visible: str) -> BaseLang | None:
    if len(visible.strip()) < MIN_CHECKED_CHARS:
        return None
    found = analyse_language(visible)
    return None if found.lang == "mixed" else found.lang


def check_think_language(conversation: Conversation) -> list[Problem]:
    """Thinking is in the conversation's language (the runtime's thinking follows the reply).

    Tolerant on purpose: mixed conversations are skipped (their replies switch language), short
    thinking (under MIN_THINK_CHARS) carries too little signal, and thinking the detector itself reads
    as mixed (a Japanese plan quoting an English title) passes.
    """
    if conversation.language == "mixed":
        return []
    problems: list[Problem] = []
    for where, message in _turns(conversation):
        if message.role != "assistant":
            continue
        thinking = split_think(message.content)[0]
        if not thinking or len(thinking) < MIN_THINK_CHARS:
            continue
        found = analyse_language(thinking)
        if found.lang not in ("mixed", conversation.language):
            detail = f"thinking in {found.lang} in a {conversation.language} conversation"
            problems.append(Problem("think_language", detail, where))
    return problems


def check_memories(conversation: Conversation) -> list[Problem]:
    """A reply that recalls something must find it in the memories or in an earlier turn.

    The heuristic is deterministic and conservative; it only looks at sentences of a visible reply
    that contain a recall cue ("you told me", "上次你说", "前に先生が", ...) and flags:

    - a date (2024-05-03, 2024/5/3, 5月3日, May 3, 3 May) that no memory (text or date) and no earlier
      turn mentions;
    - a quoted phrase (「...」, "...", “...”) that appears in no memory and no earlier turn;
    - a reference to a past conversation ("last time you", 上次你, 前回...おっしゃった) when nothing was
      recalled at all (no memories, no tool result before it).

    Limits: an invented fact said in plain words, without a date or quotes, passes; relative dates
    ("last Tuesday") are not checked; a real memory quoted in other words than it was stored is
    flagged (which the generator answers with a retry). Earlier turns include tool results, so a
    memory_search result is a valid source.
    """
    problems: list[Problem] = []
    seen = [f"{note.date} {note.text}" for note in conversation.memories]
    recalled = bool(seen)  # a memory section, or a tool result (memory_search) earlier on
    for where, message in _turns(conversation):
        if message.role == "assistant":
            visible = split_think(message.content)[1]
            if detail := _invented(visible, seen, recalled):
                problems.append(Problem("invented_memory", detail, where))
        recalled = recalled or message.role == "tool"
        seen.append(message.content)
    return problems


def _invented(reply: str, sources: list[str], has_memories: bool) -> str | None:
    source_text = _plain("\n".join(sources))
    known_dates = {d for text in sources for d in _dates(text)}
    for sentence in _SENTENCE.split(reply):
        if not _RECALL.search(sentence):
            continue
        for date in _dates(sentence):
            if not any(_same_date(date, known) for known in known_dates):
                return f"recalls the date {_show_date(date)} that no memory or earlier turn mentions"
        for quoted in _QUOTED.findall(sentence):
            phrase = _plain(next(q for q in quoted if q))
            if len(phrase) >= 2 and phrase not in source_text:
                return f"recalls {phrase!r}, which no memory or earlier turn says"
        if not has_memories and (hit := _PAST_SESSION.search(sentence)):
            return f"{hit.group(0)!r} recalls a past conversation, but no memories were shown"
    return None


_RECALL = re.compile(
    r"(?i)\byou\s+(?:once\s+)?(?:told|said|mentioned|wrote|promised|asked)\b|\blast\s+time\b"
    r"|\bremember\s+(?:when|that|how)\b|\bthe\s+other\s+day\b|\byou\s+were\s+saying\b"
    r"|上次|上回|那天|之前你|你之前|说过|你说你|提过|告诉过|你跟我说|讲过|记得你"
    r"|前回|この前|先日|おっしゃって(?:い|た)|おっしゃった|言って(?:い|た)|話して(?:い|た)|教えてくれ"
)
_PAST_SESSION = re.compile(
    r"(?i)\b(?:last\s+time|the\s+other\s+day),?\s+you\b|上次你|你上次|上回你|你上回|那天你"
    r"|(?:前回|この前|先日)[^。！？]{0,12}?(?:おっしゃ|言って|話して|教えて)"
)
_SENTENCE = re.compile(r"(?<=[.!?。！？\n])")
_QUOTED = re.compile(r"「([^」]{1,80})」|『([^』]{1,80})』|“([^”]{1,80})”|\"([^\"]{1,80})\"")
_MONTH_NAMES = (
    "Jan January|Feb February|Mar March|Apr April|May|Jun June|Jul July|Aug August|Sep Sept September"
    "|Oct October|Nov November|Dec December"
)
_MONTHS = {name: i + 1 for i, names in enumerate(_MONTH_NAMES.split("|")) for name in names.split()}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_PATTERNS = (
    (re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"), "ymd"),
    (re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号號]"), "ymd"),
    (re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?"), "mdy"),
    (re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\b\.?(?:,?\s+(\d{{4}}))?"), "dmy"),
)
Date = tuple[int | None, int, int]  # (year or None, month, day)


def _dates(text: str) -> set[Date]:
    found: set[Date] = set()
    for pattern, order in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if order == "ymd":
                year, month, day = m.group(1), int(m.group(2)), int(m.group(3))
            elif order == "mdy":
                month, day, year = _MONTHS[m.group(1)], int(m.group(2)), m.group(3)
            else:
                day, month, year = int(m.group(1)), _MONTHS[m.group(2)], m.group(3)
            if 1 <= month <= 12 and 1 <= day <= 31:
                found.add((int(year) if year else None, month, day))
    return found


def _same_date(a: Date, b: Date) -> bool:
    return a[1:] == b[1:] and (a[0] is None or b[0] is None or a[0] == b[0])


def _show_date(date: Date) -> str:
    return f"{date[0] or '?'}-{date[1]:02d}-{date[2]:02d}"


def _plain(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def check_tools(conversation: Conversation) -> list[Problem]:
    models = tool_argument_models()
    problems: list[Problem] = []
    for where, message in _turns(conversation):
        for call in message.tool_calls or ():
            model = models.get(call.name)
            if model is None:
                known = ", ".join(models)
                problems.append(Problem("tool", f"unknown tool {call.name!r} (known: {known})", where))
                continue
            try:
                model.model_validate(call.arguments)
            except ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                field = ".".join(str(p) for p in first["loc"]) or "arguments"
                problems.append(Problem("tool", f"{call.name} {field}: {first['msg']}", where))
    return problems


def tool_argument_models() -> dict[str, type[BaseModel]]:
    """The runtime's own argument models, so training data can only teach calls the runtime accepts."""
    from koclaw.tools.args import SERVED

    return SERVED
