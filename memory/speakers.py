"""Which of a person's speakers a question names: "What did Aiko research?" favours Aiko's turns.

Names are matched as whole words in alphabetic text (any part of a full name, "Aiko" for "Aiko
Tanaka") and as substrings in CJK text ("田中さんは" names 田中). Kokoron's own chats store their two
sides as "Sensei" and "Kokoron"; the ways people write those names in three languages count too.
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
