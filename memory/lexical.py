"""Terms for the lexical half of recall: the SQLite FTS5 word index (porter stemming, so
"painting" finds "painted"), which also holds who said each turn and when.

CJK has no spaces to split words on: its runs are indexed and searched as overlapping bigrams, the
usual unit for Chinese and Japanese BM25 (on bench/data/chats.json, Chinese lexical recall@10 rose
from 0.17 with trigrams to 0.44). English stopwords are dropped: they match everything.
"""

from __future__ import annotations

import re
import unicodedata

CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_SEGMENT = re.compile(f"[{CJK}]+|[^\\W{CJK}]+")
_WORD = re.compile(f"[^\\W{CJK}_]+")
_CJK_RUN = re.compile(f"[{CJK}]+")
_TOKEN = re.compile(r"\w+")
# fmt: off
STOPWORDS = frozenset({
    "the", "and", "for", "are", "was", "were", "you", "your", "what", "when", "where", "which",
    "who", "whom", "how", "why", "did", "does", "has", "have", "had", "that", "this", "with",
    "from", "about", "into", "they", "them", "their", "there", "then", "than", "our", "ours", "his",
    "her", "hers", "its", "not", "but", "can", "could", "would", "should", "will", "any", "all",
    "some", "tell", "remember", "know", "is", "am", "be", "been", "do", "of", "to", "in", "on", "at",
    "it", "me", "my", "we", "us", "he", "him", "she", "an", "or", "as", "by", "so", "if", "up",
})
# Question words, which a question holds and its answer does not ("Where did I go?" is answered by
# "I went to Kyoto"). English drops them as stopwords; a CJK question's runs are cut at them, else
# どこ or 什么 (rare in stored turns, so of high idf) would take a large share of the question's weight
# and the answer's coverage would look low.
_QUESTION_CJK = re.compile(
    "为什么|什么|怎么|哪里|哪儿|哪个|哪些|多少|[哪吗呢谁几]"
    "|どこ|いつ|だれ|誰|なぜ|どうして|どう|どの|どれ|どんな|なに|なん|何|か$"
)
# fmt: on


def bigrams(run: str) -> list[str]:
    """A CJK run as its overlapping character pairs (the usual BM25 unit for Chinese and Japanese,
    which have no spaces between words); a single character stays itself."""
    return [run[i : i + 2] for i in range(max(1, len(run) - 1))]


def index_words(text: str) -> str:
    """Text as the word index should read it: CJK runs spelled out as their bigrams, and their single
    characters too, so a one-character question (猫) is an indexed lookup rather than a scan."""
    return _CJK_RUN.sub(_spelled, unicodedata.normalize("NFKC", text))


def _spelled(run: re.Match[str]) -> str:
    chars = run.group()
    pairs = bigrams(chars) if len(chars) > 1 else []
    return f" {' '.join([*pairs, *dict.fromkeys(chars)])} "


def word_terms(query: str, max_terms: int) -> list[str]:
    """Terms for the word index: alphabetic and numeric words (2+ characters, stopwords dropped) and
    the bigrams of CJK runs."""
    terms: list[str] = []
    for seg in _SEGMENT.findall(unicodedata.normalize("NFKC", query).casefold()):
        if _CJK_RUN.fullmatch(seg):
            for run in _QUESTION_CJK.split(seg):
                terms.extend(bigrams(run) if run else [])
        else:
            terms.extend(w for w in _WORD.findall(seg) if len(w) >= 2 and w not in STOPWORDS)
    return list(dict.fromkeys(terms))[:max_terms]


def has_cjk(text: str) -> bool:
    return _CJK_RUN.search(text) is not None


_SUFFIXES = ("ing", "ed", "es", "s")


def _base(token: str) -> str:
    """A rough stem ("painting", "painted", "paints" -> "paint") for matching query terms to a stored
    text in Python; the index itself stems with porter."""
    if token.isascii() and len(token) > 4:
        for suffix in _SUFFIXES:
            if token.endswith(suffix):
                return token[: -len(suffix)]
    return token


def coverage(text: str, weights: dict[str, float]) -> float:
    """The share of the query's term weight (`weights`: term -> idf) that `text` (as indexed) holds."""
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    held = {_base(t) for t in _TOKEN.findall(text.casefold())}
    return sum(w for term, w in weights.items() if _base(term) in held) / total
