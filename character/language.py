"""Which language Sensei wrote in, and what to call them in reply.

Public API::

    Lang = Literal["zh", "ja", "en", "mixed"]
    BaseLang = Literal["zh", "ja", "en"]
    analyse_language(text, default="en") -> Detection      # one scan: lang, dominant, weights
    detect_language(text, default="en") -> Lang
    dominant_language(text, default="en") -> BaseLang
    address_for(lang, dominant=None, profile=None) -> str   # 老师 / 先生 / Sensei
    address_for_text(text, default="en", profile=None) -> str
    warm_up() -> None                                        # build the lingua detector now

How a message is classified (all of it is cheap: NFKC, a few regex passes, set look-ups)
----------------------------------------------------------------------------------------
1. The text is NFKC-normalized (full-width Latin and half-width katakana become ordinary).
   Quoted material (「…」 『…』 《…》 “…” ‘…’ "…") is set aside when the rest still has letters, so
   "What does 「いただきます」 mean?" is English and "「大丈夫」是什么意思？" is Chinese.
2. Letters are counted per script: Latin words (English is the only Latin-script language of the
   three), and CJK runs ("clauses": maximal runs of Han, kana, 々 〆 ー, split by punctuation, spaces
   and Latin). Digits, punctuation, emoji and other scripts count for nothing; a message with no
   letters at all gets `default`.
3. Each CJK clause gets a language from script facts:
     * any hiragana/katakana → Japanese (Chinese has no kana). Exception: a clause whose only kana
       is の and that carries a Chinese marker is Chinese internet style ("今天の晚饭好好吃");
     * Han-only with a Chinese-only marker (simplified forms such as 这 们 说 吗, particles such as
       呢 吧 啊, pronouns 你 她 您, traditional forms modern Japanese never uses such as 會 這 說)
       → Chinese;
     * Han-only with a Japanese-only glyph (shinjitai and kokuji that neither simplified nor
       traditional Chinese uses: 駅 関 説 読 続 様 気 実 働 込 …, or 々 〆) → Japanese;
     * otherwise undecided: it takes the language of the nearest decided clause (the previous one,
       else the next one). If no clause is decided, the Han text is Chinese unless lingua is at least
       90% sure it is Japanese. (With lingua 2.1 and these three languages, its rule engine answers
       CHINESE 1.0 for any Han-only text, so kanji-only Japanese without a Japanese-only glyph,
       e.g. "会議室予約確認", is reported as Chinese.)
4. Weights: one unit per CJK character and 1.5 units per English word (an English word carries
   about as much as 1.5 Chinese characters). A run of Title-Case/ALL-CAPS words ("Apple Watch",
   "PDF") counts as one word: it is a name, not English prose.
5. The dominant language has the most units (a tie goes to the language the message opens with).
   The message is "mixed" when some other language has at least ``MIXED_MIN_SHARE`` (25%) of all
   units *and* is substantial:
     * English: a phrase of ≥ 2 words that is not a name ("Sensei please check", "this is"), or
       ≥ 3 scattered lower-case words ("这个bug很annoying，totally无语");
     * Chinese/Japanese: ≥ 2 characters with grammar evidence (kana for Japanese, a Chinese marker
       for Chinese), or ≥ 4 characters.
   So a single loanword ("我今天去了Starbucks") or a brand ("我想买Apple Watch") does not make a
   message mixed, while "今天的meeting改到3点了，Sensei please check" and
   "先生、this is 大事なこと" are.

Why not lingua's ``detect_multiple_languages_of``: on "先生、this is 大事なこと" it returns one
Japanese section, and for these three scripts its rule engine only repeats the script facts above,
so the counting is done here, where the rule is visible and testable.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Literal

from .profile import BASE_LANGS, BaseLang, Profile, load_profile

if TYPE_CHECKING:
    from lingua import LanguageDetector

Lang = Literal["zh", "ja", "en", "mixed"]
"""The language of a message as detected: one of the three, or "mixed"."""

__all__ = [
    "ENGLISH_WORD_WEIGHT",
    "MIXED_MIN_SHARE",
    "BaseLang",
    "Detection",
    "Lang",
    "address_for",
    "address_for_text",
    "analyse_language",
    "detect_language",
    "dominant_language",
    "warm_up",
]

MIXED_MIN_SHARE = 0.25
"""The minority language must reach this share of all units for a message to be "mixed"."""

ENGLISH_WORD_WEIGHT = 1.5
"""Units per English word (each CJK character is one unit)."""

LINGUA_JAPANESE_MIN_CONFIDENCE = 0.9
"""How sure lingua must be before Han-only text without glyph evidence is called Japanese."""

_LINGUA_MAX_CHARS = 1000

# --- script tables ------------------------------------------------------------------------------

_KANA = "\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff"  # no ・ (30FB), no ゛゜
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_JA_MARKS = "々〆〇"
_CJK_RUN = re.compile(f"[{_KANA}{_HAN}{_JA_MARKS}]+")
_KANA_CHAR = re.compile(f"[{_KANA}]")
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_LATIN_WORD = re.compile(f"[{_LATIN}]+(?:['’\\-][{_LATIN}]+)*")
# Characters that may sit between the words of one English phrase.
_PHRASE_GAP = re.compile(r"[\s,;:'\"()\-–—]*")
_QUOTED = re.compile(r"「[^「」]*」|『[^『』]*』|《[^《》]*》|“[^“”]*”|‘[^‘’]*’|\"[^\"\n]*\"")

# Han characters only Chinese uses: simplified forms, Chinese particles and pronouns, and traditional
# forms modern Japanese replaced. None of them appears in ordinary modern Japanese.
_ZH_MARKERS = frozenset(
    "们这么吗呢吧说给让还时间过个为谢请问题你她您很跟呀啊哦嗯吃现后样觉认东车门长开关见边进话语读书买卖"
    "钱电脑网视频帮谁哪怎啥咱议订确场飞发头动务业经对错块岁单记该从别啦嘛哈哎哇呃嘿喂咋俩几儿什呗刚应备饭钟晚"
    "們這麼嗎說沒會點來學國對體實經發還讓氣覺樣邊關妳"
)

# Shinjitai and kokuji that neither simplified nor traditional Chinese uses.
_JA_GLYPHS = frozenset(
    "駅関説読続変様図払広歩対検験済沢県経転伝売鉄帰単発戦応楽薬悪圧囲価気権児営栄駆隠桜黒歳剤雑従縦焼畳譲"
    "嬢銭専総蔵臓騒弾遅聴闘徳悩脳廃拝髪抜晩仏辺満黙訳揺覧両緑戻涙実挙処労効収姉歯恵毎隣駄渋頼観歓絵亜戸団"
    "帯巻徴勧鶏乗剰浄穏懐拡覚枠込働畑峠匂凪辻栃"
    "々〆"
)


@dataclass(frozen=True, slots=True)
class Detection:
    """The result of one scan of a message.

    `lang` is what :func:`detect_language` returns; `dominant` the language with the most weight
    (use it to pick the address term when `lang` is "mixed"); `units` the weight per language
    (CJK characters; English words x ``ENGLISH_WORD_WEIGHT``). A message without letters has
    all-zero units and gets the caller's default.
    """

    lang: Lang
    dominant: BaseLang
    units: tuple[tuple[BaseLang, float], ...]

    @property
    def is_mixed(self) -> bool:
        return self.lang == "mixed"

    def share(self, lang: BaseLang) -> float:
        """The share (0..1) of all units written in `lang`."""
        total = sum(u for _, u in self.units)
        return dict(self.units)[lang] / total if total else 0.0


@dataclass(slots=True)
class _Evidence:
    zh_chars: int = 0
    ja_chars: int = 0
    zh_grammar: bool = False  # a Chinese marker in a Chinese clause
    ja_grammar: bool = False  # kana in a Japanese clause
    en_words: int = 0  # names count as one word
    en_longest_phrase: int = 0  # longest run of words that is not a name
    en_lower_words: int = 0
    first_at: dict[BaseLang, int] = field(default_factory=dict)  # where each language first appears


# --- lingua -------------------------------------------------------------------------------------


@cache
def _detector() -> LanguageDetector:
    """The lingua detector, built on first use and kept.

    Low-accuracy mode, lazy model loading: for these three languages lingua's rule engine decides
    CJK text from the script alone, so neither the large models nor preloading change any answer
    here; preloading the high-accuracy models costs ~270 ms and ~65 MB at build time for nothing.
    One warm-up call pays lingua's first-call cost (~4 ms) at build time instead of on a message.
    """
    from lingua import Language, LanguageDetectorBuilder

    detector = (
        LanguageDetectorBuilder.from_languages(Language.CHINESE, Language.JAPANESE, Language.ENGLISH)
        .with_low_accuracy_mode()
        .build()
    )
    detector.compute_language_confidence_values("先生、今日は会議があります。老师好。Hello, Sensei.")
    return detector


def warm_up() -> None:
    """Build the lingua detector now (e.g. at startup) instead of on the first Han-only message."""
    _detector()


def _lingua_says_japanese(han_text: str) -> bool:
    from lingua import Language

    confidence = _detector().compute_language_confidence(han_text[:_LINGUA_MAX_CHARS], Language.JAPANESE)
    return bool(confidence >= LINGUA_JAPANESE_MIN_CONFIDENCE)


# --- the scan -----------------------------------------------------------------------------------


def _clause_language(clause: str) -> BaseLang | None:
    """zh / ja from script facts, or None when a Han-only clause carries no evidence either way."""
    has_zh_marker = not _ZH_MARKERS.isdisjoint(clause)
    if _KANA_CHAR.search(clause):
        if has_zh_marker and set(_KANA_CHAR.findall(clause)) == {"の"}:
            return "zh"
        return "ja"
    if has_zh_marker:
        return "zh"
    if not _JA_GLYPHS.isdisjoint(clause):
        return "ja"
    return None


def _is_name(word: str) -> bool:
    return word[0].isupper()


def _count_latin(gap_text: str, offset: int, ev: _Evidence) -> None:
    """Count the English words of one stretch of non-CJK text (starting at `offset` in the message)."""
    phrase = 0  # words in the current non-name phrase
    name_run = False  # inside a run of Title-Case words (counted once)
    last_end = -1
    for match in _LATIN_WORD.finditer(gap_text):
        word = match.group()
        ev.first_at.setdefault("en", offset + match.start())
        joined = last_end >= 0 and _PHRASE_GAP.fullmatch(gap_text, last_end, match.start()) is not None
        if not joined:
            phrase, name_run = 0, False
        if _is_name(word):
            if not name_run:
                ev.en_words += 1
            name_run = True
            if phrase:  # "Sensei please check": a name inside a lower-case phrase still joins it
                phrase += 1
        else:
            ev.en_words += 1
            ev.en_lower_words += 1
            # A lower-case word after names ("Sensei please") turns the run into a phrase.
            phrase = phrase + 1 if phrase else (2 if name_run else 1)
            name_run = False
        ev.en_longest_phrase = max(ev.en_longest_phrase, phrase)
        last_end = match.end()


def _gather(text: str) -> _Evidence:
    ev = _Evidence()
    clauses: list[str] = []
    starts: list[int] = []
    position = 0
    for match in _CJK_RUN.finditer(text):
        _count_latin(text[position : match.start()], position, ev)
        clauses.append(match.group())
        starts.append(match.start())
        position = match.end()
    _count_latin(text[position:], position, ev)
    if not clauses:
        return ev

    decided = [_clause_language(c) for c in clauses]
    if not any(decided):
        han = "".join(clauses)
        language: BaseLang = "ja" if _lingua_says_japanese(han) else "zh"
        decided = [language] * len(clauses)
    else:
        previous: BaseLang | None = None
        filled: list[BaseLang | None] = []
        for lang in decided:
            previous = lang or previous
            filled.append(previous)
        following: BaseLang | None = None
        for index in range(len(filled) - 1, -1, -1):
            if decided[index] is not None:
                following = decided[index]
            if filled[index] is None:
                filled[index] = following
        decided = filled

    for clause, start, lang in zip(clauses, starts, decided, strict=True):
        ev.first_at.setdefault(lang or "zh", start)
        if lang == "ja":
            ev.ja_chars += len(clause)
            ev.ja_grammar = ev.ja_grammar or _KANA_CHAR.search(clause) is not None
        else:
            ev.zh_chars += len(clause)
            ev.zh_grammar = ev.zh_grammar or not _ZH_MARKERS.isdisjoint(clause)
    return ev


def _substantial(lang: BaseLang, ev: _Evidence) -> bool:
    if lang == "en":
        return ev.en_longest_phrase >= 2 or ev.en_lower_words >= 3
    chars, grammar = (ev.zh_chars, ev.zh_grammar) if lang == "zh" else (ev.ja_chars, ev.ja_grammar)
    return chars >= 4 or (chars >= 2 and grammar)


def _has_letters(text: str) -> bool:
    return _CJK_RUN.search(text) is not None or _LATIN_WORD.search(text) is not None


def analyse_language(text: str, default: Lang = "en") -> Detection:
    """Scan `text` once and return its language, dominant language and per-language weights.

    `default` is returned as `lang` when the text has no letters (empty, whitespace, punctuation,
    digits, emoji, other scripts); `dominant` is then `default`, or "en" when `default` is "mixed".
    """
    normalized = unicodedata.normalize("NFKC", text)
    fallback: BaseLang = "en" if default == "mixed" else default
    if not _has_letters(normalized):
        return Detection(default, fallback, tuple((lang, 0.0) for lang in BASE_LANGS))
    unquoted = _QUOTED.sub(" ", normalized)
    ev = _gather(unquoted if _has_letters(unquoted) else normalized)

    units: dict[BaseLang, float] = {
        "zh": float(ev.zh_chars),
        "ja": float(ev.ja_chars),
        "en": ev.en_words * ENGLISH_WORD_WEIGHT,
    }
    total = sum(units.values())
    # Most units wins; a tie goes to the language the message opens with.
    dominant = max(BASE_LANGS, key=lambda lang: (units[lang], -ev.first_at.get(lang, len(text))))
    mixed = any(
        lang != dominant
        and units[lang] > 0
        and units[lang] / total >= MIXED_MIN_SHARE
        and _substantial(lang, ev)
        for lang in BASE_LANGS
    )
    return Detection(
        "mixed" if mixed else dominant, dominant, tuple((lang, units[lang]) for lang in BASE_LANGS)
    )


def detect_language(text: str, default: Lang = "en") -> Lang:
    """The language of one message: "zh", "ja", "en", or "mixed" (see the module docstring).

    Text without letters (empty, punctuation, emoji, digits) gets `default`.
    """
    return analyse_language(text, default).lang


def dominant_language(text: str, default: BaseLang = "en") -> BaseLang:
    """The language with the most weight in `text` (for a "mixed" message: the one to address in)."""
    return analyse_language(text, default).dominant


def address_for(lang: Lang, dominant: BaseLang | None = None, *, profile: Profile | None = None) -> str:
    """How Kokoron addresses Sensei in `lang`: 老师 (zh), 先生 (ja), Sensei (en).

    For "mixed" pass `dominant` (from :func:`analyse_language` or :func:`dominant_language`): the
    term of the language Sensei mostly wrote in is used. Terms come from the profile (default: the
    bundled one).
    """
    addressing = (profile or load_profile()).addressing
    if lang == "mixed":
        if dominant is None:
            raise ValueError('address_for("mixed") needs the dominant language (zh, ja or en)')
        return addressing.term(dominant)
    return addressing.term(lang)


def address_for_text(text: str, default: BaseLang = "en", *, profile: Profile | None = None) -> str:
    """The address term for a reply to `text` (detects the language, uses the dominant one)."""
    return address_for(dominant_language(text, default), profile=profile)
