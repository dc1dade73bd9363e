"""Query terms for the lexical half of recall: SQLite FTS5 with the trigram tokenizer.

Trigrams need three characters, so a CJK run becomes its overlapping trigrams and anything
shorter (common two-character Chinese and Japanese words) is returned apart, to be matched by a scan.
English stopwords are dropped: they match everything.
"""

from __future__ import annotations

import re
import unicodedata

CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_SEGMENT = re.compile(f"[{CJK}]+|[^\\W{CJK}]+")
# fmt: off
STOPWORDS = frozenset({
    "the", "and", "for", "are", "was", "were", "you", "your", "what", "when", "where", "which",
    "who", "whom", "how", "why", "did", "does", "has", "have", "had", "that", "this", "with",
    "from", "about", "into", "they", "them", "their", "there", "then", "than", "our", "ours", "his",
    "her", "hers", "its", "not", "but", "can", "could", "would", "should", "will", "any", "all",
    "some", "tell", "remember", "know",
})
# fmt: on


def fts_terms(query: str, max_terms: int) -> tuple[list[str], list[str]]:
    """FTS5 terms (3+ characters; CJK runs as overlapping trigrams) and shorter leftovers."""
    terms: list[str] = []
    short: list[str] = []
    for seg in _SEGMENT.findall(unicodedata.normalize("NFKC", query).casefold()):
        if re.match(f"[{CJK}]", seg):
            if len(seg) < 3:
                short.append(seg)
            else:
                terms.extend(seg[i : i + 3] for i in range(len(seg) - 2))
        elif len(seg) >= 3 and seg not in STOPWORDS:
            terms.append(seg)
        elif len(seg) >= 2 and seg not in STOPWORDS:
            short.append(seg)
    return list(dict.fromkeys(terms))[:max_terms], list(dict.fromkeys(short))[:max_terms]
