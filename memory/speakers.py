"""Which of a person's speakers a question names: "What did Aiko research?" favours Aiko's turns.

Names are matched as whole words in alphabetic text (any part of a full name, "Aiko" for "Aiko
Tanaka") and as substrings in CJK text ("田中さんは" names 田中). Kokoron's own chats store their two
sides as "Sensei" and "Kokoron"; the ways people write those names in three languages count too.

`without_speakers` takes the named speakers out of a question before it is embedded: a turn is embedded
as "Speaker: text", so a question that names someone is nearest to everything they said and the topic
drowns (see `memory.ranking`, "topic query"); the name still counts through the speaker boost.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from memory.lexical import CJK

ALIASES: dict[str, tuple[str, ...]] = {
    "sensei": ("老师", "老師", "先生", "せんせい", "センセイ"),
    "kokoron": ("ココロン", "心心"),
}
_CJK = re.compile(f"[{CJK}]")
_WORD = re.compile(f"[^\\W{CJK}]+")
_LETTER = f"[^\\W{CJK}]"  # a word character outside CJK
_POSSESSIVE = "(?:['’]s\\b|['’](?!\\w))?"
_HONORIFIC = "(?:さん|くん|君|ちゃん|様|さま)?"


def named_speakers(query: str, speakers: Iterable[str]) -> set[str]:
    """The speakers (as stored) that `query` names."""
    text = unicodedata.normalize("NFKC", query).casefold()
    words = set(_WORD.findall(text))
    named: set[str] = set()
    for speaker in speakers:
        name = unicodedata.normalize("NFKC", speaker).casefold().strip()
        if not name:
            continue
        parts = [p for p in _WORD.findall(name) if len(p) >= 2]
        cjk = [p for p in re.findall(f"[{CJK}]+", name) if len(p) >= 2 or len(name) == 1]
        aliases = ALIASES.get(name, ())
        if words.intersection(parts) or any(p in text for p in cjk) or any(a in text for a in aliases):
            named.add(speaker)
    return named


def without_speakers(query: str, named: Iterable[str]) -> str:
    """`query` with the names of the `named` speakers taken out: every part of a full name as a whole
    word (with a possessive "'s"), CJK names and the aliases of Sensei and Kokoron as substrings (with
    an honorific after them). A question that would be left with no word at all comes back whole."""
    text = unicodedata.normalize("NFKC", query)
    patterns: list[str] = []
    for speaker in named:
        name = unicodedata.normalize("NFKC", speaker).casefold().strip()
        parts = [p for p in _WORD.findall(name) if len(p) >= 2]
        patterns += [f"(?<!{_LETTER}){re.escape(p)}(?!{_LETTER}){_POSSESSIVE}" for p in parts]
        spelled = [*re.findall(f"[{CJK}]+", name), *ALIASES.get(name, ())]
        patterns += [re.escape(p) + _HONORIFIC for p in spelled]
    if not patterns:
        return query
    # longest first, so "Chen Jing" goes before "Chen" and a name before a shorter alias
    pattern = "|".join(sorted(patterns, key=len, reverse=True))
    left = re.sub(pattern, " ", text, flags=re.IGNORECASE)
    if left == text:
        return query
    left = re.sub(f"(?<=[{CJK}]) +(?=[{CJK}])", "", re.sub(r"\s+", " ", left)).strip()
    left = re.sub(r"\s+([?？.,，、。!！])", r"\1", left)
    return left if _WORD.search(left) or _CJK.search(left) else query
