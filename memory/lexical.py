"""Query terms for the lexical half of recall: two SQLite FTS5 indexes.

Alphabetic words go to the word index (porter stemming, so "painting" finds "painted"), which also
holds who said each turn and when. CJK has no spaces to split words on: its runs go to the trigram
index as overlapping trigrams, and anything shorter (common two-character Chinese and Japanese words)
is returned apart, to be matched by a scan. English stopwords are dropped: they match everything.
"""

from __future__ import annotations

import re
import unicodedata

CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_SEGMENT = re.compile(f"[{CJK}]+|[^\\W{CJK}]+")
_WORD = re.compile(f"[^\\W{CJK}_]+")
_CJK_RUN = re.compile(f"[{CJK}]+")
# fmt: off
STOPWORDS = frozenset({
    "the", "and", "for", "are", "was", "were", "you", "your", "what", "when", "where", "which",
    "who", "whom", "how", "why", "did", "does", "has", "have", "had", "that", "this", "with",
    "from", "about", "into", "they", "them", "their", "there", "then", "than", "our", "ours", "his",
    "her", "hers", "its", "not", "but", "can", "could", "would", "should", "will", "any", "all",
    "some", "tell", "remember", "know", "is", "am", "be", "been", "do", "of", "to", "in", "on", "at",
    "it", "me", "my", "we", "us", "he", "him", "she", "an", "or", "as", "by", "so", "if", "up",
})
# fmt: on


def word_terms(query: str, max_terms: int) -> list[str]:
    """Alphabetic and numeric words for the word index (2+ characters, stopwords dropped)."""
    words = _WORD.findall(unicodedata.normalize("NFKC", query).casefold())
    return list(dict.fromkeys(w for w in words if len(w) >= 2 and w not in STOPWORDS))[:max_terms]


def cjk_part(query: str) -> str:
    """The CJK runs of a query, space-separated (what the trigram index is asked)."""
    return " ".join(_CJK_RUN.findall(unicodedata.normalize("NFKC", query)))


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
