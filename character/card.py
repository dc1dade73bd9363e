"""Character cards: bring a character in, or take Kokoron out, as a Character Card V2.

Why this format: SillyTavern and most character frontends read and write Character Card V2
(``{"spec": "chara_card_v2", "spec_version": "2.0", "data": {...}}``), as JSON or as base64 JSON in a
PNG text chunk (keyword ``chara``; V3 cards use ``ccv3``). A card's text fields are prose and a
:class:`Profile` is structured, so the two directions differ:

* :func:`profile_to_card` renders the prose from the profile and stores the whole profile in
  ``data.extensions["koclaw"]``, so a Koclaw card comes back as exactly the same profile;
* :func:`card_to_profile` maps what a foreign card (V2, V3 read as V2, or flat V1) has and fills the
  rest with neutral values marked ``(default)``, returning notes that name every such section.

Errors: :class:`CardError` (a ``ValueError``) names the file and what is wrong with it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from .card_png import (
    CARD_CHUNKS,
    MAX_CARD_TEXT,
    PNG_SIGNATURE,
    CardError,
    card_text,
    png_text_chunks,
    text_chunks,
)
from .language import dominant_language
from .profile import BASE_LANGS, BaseLang, BigFive, Profile, load_profile
from .profile_io import (
    DEFAULT_MARK,
    STARTER_NOTES,
    atomic_write_text,
    profile_data,
    starter_profile_data,
    usable_forbidden,
)
from .prompt import LANGUAGE_NAMES, render_persona

__all__ = [
    "DEFAULT_MARK",
    "CardData",
    "CardError",
    "CharacterBook",
    "CharacterCard",
    "card_to_profile",
    "parse_card",
    "png_text_chunks",
    "profile_to_card",
    "read_card",
    "write_card",
]

SPEC, SPEC_VERSION, SPEC_V3 = "chara_card_v2", "2.0", "chara_card_v3"
KOCLAW_KEY, KOCLAW_FORMAT, CREATOR = "koclaw", 1, "Koclaw"
V1_FIELDS = ("name", "description", "personality", "scenario", "first_mes", "mes_example")
EXAMPLE_SEEDS = ("seed-en-001", "seed-en-021", "seed-zh-034", "seed-ja-006")
SEED_EXCHANGES = 2
TAGS = ("Koclaw", "AI companion", "secretary", "multilingual", "Chinese", "Japanese", "English")
_NOT_KEPT = ("tags", "creator", "creator_notes", "character_version", "character_book")
_ORIGIN_NOTES = {
    "v1": "a V1 card (flat JSON): upgraded to V2 first",
    "v3": "a V3 card: read by its V2 fields; V3-only fields were ignored",
}
_THINK = re.compile(r"<think>.*?</think>\s*", re.DOTALL)
# {{char}} / <BOT> and {{user}} / <USER>; an honorific after {{user}} goes too (先生さん is wrong).
_MACROS = re.compile(r"\{\{\s*(char|user)\s*\}\}(さん|様|さま|くん|ちゃん)?|<(bot|user)>", re.IGNORECASE)
_GREETING_ORDER: tuple[BaseLang, ...] = ("en", "zh", "ja")
_GREETINGS: dict[BaseLang, str] = {
    "en": (
        "{term}! There you are. I'm {name}, your secretary. Tell me what's on today's list and I'll sort it "
        "by deadline. And before you ask: yes, I'll be checking whether you had breakfast. Coffee doesn't "
        "count, {term}."
    ),
    "zh": (
        "{term}，你来啦！我是{name}，你的秘书。今天要做的事都告诉我，我按截止时间帮你排好。"
        "还有，早饭吃了没？只喝咖啡可不算哦。"
    ),
    "ja": (
        "{term}、お疲れさまです！秘書の{name}です。今日の予定を教えてください、締め切り順に並べておきますね。"
        "それと……朝ごはん、ちゃんと食べましたか？"
    ),
}


class _Open(BaseModel):
    """Card models keep keys they do not know: the spec forbids destroying other apps' data."""

    model_config = ConfigDict(extra="allow")


class BookEntry(_Open):
    keys: list[str] = Field(default_factory=list)
    content: str = ""
    extensions: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True
    insertion_order: int = 0


class CharacterBook(_Open):
    extensions: dict[str, Any] = Field(default_factory=dict)
    entries: list[BookEntry] = Field(default_factory=list)


class CardData(_Open):
    name: str
    description: str = ""
    personality: str = ""
    scenario: str = ""
    first_mes: str = ""
    mes_example: str = ""
    creator_notes: str = ""
    system_prompt: str = ""
    post_history_instructions: str = ""
    alternate_greetings: list[str] = Field(default_factory=list)
    character_book: CharacterBook | None = None
    tags: list[str] = Field(default_factory=list)
    creator: str = ""
    character_version: str = ""
    extensions: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _nulls_are_defaults(cls, data: Any) -> Any:
        # Cards in the wild write null where the spec says "", [] or {}.
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None or k == "character_book"}
        return data


class CharacterCard(_Open):
    spec: Literal["chara_card_v2"] = "chara_card_v2"
    spec_version: str = SPEC_VERSION
    data: CardData
    _origin: str = PrivateAttr(default="v2")  # "v1", "v2" or "v3": what the file held

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = self.model_dump(mode="json", exclude_none=True)
        return out


# --- reading -------------------------------------------------------------------------------------


def read_card(path: Path) -> CharacterCard:
    """Read a card from a ``.json`` file or a PNG with a ``chara``/``ccv3`` chunk (told by content).

    Memory stays bounded whatever the file's size: a PNG is read chunk by chunk (pictures skipped,
    not read), and a JSON card over :data:`MAX_CARD_TEXT` is refused before it is read whole.
    """
    source = str(path)
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(len(PNG_SIGNATURE))
            if head == PNG_SIGNATURE:
                text = card_text(text_chunks(handle, source, CARD_CHUNKS), source)
                return parse_card(_json(text, source, "the PNG's card chunk"), source)
            if Path(path).suffix.lower() == ".png":
                raise CardError(source, "not a PNG file (the PNG signature is missing)")
            raw = head + handle.read(MAX_CARD_TEXT + 1 - len(head))
    except OSError as exc:
        raise CardError(source, f"cannot read the file: {exc.strerror or exc}") from None
    if len(raw) > MAX_CARD_TEXT:
        raise CardError(
            source,
            f"the file is larger than {MAX_CARD_TEXT // 2**20} MB, far more than any character card; "
            "it is not imported. Check that it is the card (a .json or .png from a character app).",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CardError(source, "not JSON: the file is not UTF-8 text") from None
    return parse_card(_json(text, source, "the file"), source)


def _json(text: str, source: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CardError(
            source, f"not JSON: {what}: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise CardError(source, f"not a character card: {what} is JSON nested too deeply") from None


def parse_card(raw: Any, source: str = "<card>") -> CharacterCard:
    """Validate card data: a V2 card, a V3 card (read by its V2 fields) or a flat V1 card (upgraded)."""
    if not isinstance(raw, dict):
        raise CardError(source, f"not a character card: the JSON is {_kind(raw)}, not an object")
    spec = raw.get("spec")
    if spec in (SPEC, SPEC_V3) or (spec is None and isinstance(raw.get("data"), dict)):
        data = raw.get("data")
        if not isinstance(data, dict):
            raise CardError(source, f"not a character card: spec is {spec!r} but 'data' is {_kind(data)}")
        origin = "v3" if spec == SPEC_V3 else "v2"
        rest = {k: v for k, v in raw.items() if k not in ("spec", "spec_version", "data")}
    elif spec in (None, "chara_card_v1"):
        if not any(key in raw for key in V1_FIELDS):
            raise CardError(source, "not a character card: no 'spec', no 'data' and none of the V1 fields")
        moved = {*V1_FIELDS, "spec", "creatorcomment", "creator_notes", "tags", "creator"}
        data = {k: raw[k] for k in V1_FIELDS if k in raw}
        data["creator_notes"] = raw.get("creator_notes") or raw.get("creatorcomment") or ""
        data.update({k: raw[k] for k in ("tags", "creator") if k in raw})
        origin, rest = "v1", {k: v for k, v in raw.items() if k not in moved}
    else:
        raise CardError(
            source, f"unsupported card spec {spec!r} (expected chara_card_v2, chara_card_v3 or V1)"
        )
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise CardError(source, "missing name: the card's name (data.name) is empty or absent")
    try:
        card = CharacterCard.model_validate(
            {**rest, "spec": SPEC, "spec_version": SPEC_VERSION, "data": data}
        )
    except ValidationError as exc:
        raise CardError(source, f"not a valid card: {_first_error(exc)}") from None
    card._origin = origin
    return card


def _kind(value: Any) -> str:
    return "missing" if value is None else f"a {type(value).__name__}"


def _first_error(exc: ValidationError, prefix: str = "") -> str:
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in (prefix, *first["loc"]) if part != "")
    return f"{where}: {first['msg'].removeprefix('Value error, ')}"


# --- writing -------------------------------------------------------------------------------------


def write_card(card: CharacterCard | Mapping[str, Any], path: Path) -> None:
    """Write a card as pretty JSON, atomically (temp file + ``os.replace``)."""
    if Path(path).suffix.lower() == ".png":
        raise CardError(str(path), "cards are written as JSON; give the output a .json name")
    data = card.to_json() if isinstance(card, CharacterCard) else dict(card)
    try:
        atomic_write_text(Path(path), json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    except OSError as exc:
        raise CardError(str(path), f"cannot write the card: {exc.strerror or exc}") from None


# --- profile -> card -----------------------------------------------------------------------------


def profile_to_card(profile: Profile) -> dict[str, Any]:
    """A complete V2 card for the profile, with the profile itself in ``extensions["koclaw"]``."""
    data = profile_data(profile)
    digest = hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()
    ours = _is_bundled_character(profile)
    greets = _greetings(profile, ours)
    name, a = profile.name.en, profile.addressing
    card = CharacterCard(
        data=CardData(
            name=name,
            description=_description(profile),
            personality=_personality(profile),
            scenario=_scenario(profile),
            first_mes=greets[0] if greets else "",
            mes_example=_seed_examples() if ours else _line_examples(profile),
            creator_notes=(
                f"{name} ({profile.name.ja}): {profile.role}\n\nExported from Koclaw. The complete Koclaw "
                f"profile travels in extensions.koclaw; `koclaw character import-card` restores it exactly. "
                f"In every language {name} addresses you as {a.en} ({a.zh} / {a.ja})."
            ),
            system_prompt=render_persona(profile),
            post_history_instructions=(
                f"Stay {name}. Address them as {a.zh} in Chinese, {a.ja} in Japanese and {a.en} in English, "
                "and reply in the language of their last message."
            ),
            alternate_greetings=greets[1:],
            tags=list(TAGS if ours else TAGS[:2] + TAGS[3:]),
            creator=CREATOR,
            character_version=f"{profile.schema_version}.{digest[:8]}",
            extensions={KOCLAW_KEY: {"format": KOCLAW_FORMAT, "profile": data}},
        )
    )
    return card.to_json()


def _is_bundled_character(profile: Profile) -> bool:
    """Kokoron's own seeds and greetings fit only Kokoron, not a character imported from a card."""
    return profile.name.en == load_profile().name.en


def _description(p: Profile) -> str:
    n, ec = p.name, p.existence_cognition
    lines = [p.role, "", f"Name: {n.en} ({n.ja} in Japanese, {n.zh} in Chinese). {n.meaning}".strip(), ""]
    lines.append("Inspirations:")
    for i in p.inspirations:
        not_taken = f" Not taken: {'; '.join(i.not_taken)}." if i.not_taken else ""
        lines.append(f"- {i.source}: {'; '.join(i.traits_taken)}.{not_taken}")
    lines += ["", f"On being an AI: {ec.core}", *(f"- {s}" for s in ec.statements), ""]
    lines.append("Memory, in four tiers:")
    lines += [f"- {t.name} ({t.where}): {t.what} {t.how_she_talks}" for t in p.memory_tiers]
    return "\n".join(lines)


def _personality(p: Profile) -> str:
    scores = ", ".join(f"{trait} {score}" for trait, score in p.big_five.scores().items())
    lines = [f"Big Five (0-100): {scores}."]
    for trait in BigFive.model_fields:
        t = getattr(p.big_five, trait)
        lines += [
            "",
            f"{trait.capitalize()} {t.score} ({t.level}): {t.summary}.",
            *(f"- {s}" for s in t.in_speech),
        ]
    return "\n".join(lines)


def _scenario(p: Profile) -> str:
    name, a = p.name.en, p.addressing
    duties = "; ".join(d.duty for d in p.secretary)
    return (
        f"An ongoing private chat between {name} and {a.en}, the person {name} looks after.\n\n"
        f"{name}'s role: {p.role}\n\n"
        f"{name} calls them {a.zh} in Chinese, {a.ja} in Japanese and {a.en} in English, and replies in the "
        f"language of their message (when they mix languages: {a.mixed}).\n\n{name} helps with: {duties}."
    )


def _greetings(p: Profile, ours: bool) -> list[str]:
    """English first, then Chinese and Japanese: Kokoron's own, or a card's greetings kept as lines."""
    names = {"en": p.name.en, "zh": p.name.zh, "ja": p.name.ja}
    if ours:
        return [_GREETINGS[lg].format(term=p.addressing.term(lg), name=names[lg]) for lg in _GREETING_ORDER]
    found = [x for lg in _GREETING_ORDER for x in p.speech.for_lang(lg).example_lines]
    return [x.line for x in found if x.context.startswith("greeting")]


def _seed_examples() -> str:
    from character.conversation import load_seeds

    seeds = {s.id: s for s in load_seeds()}
    blocks = []
    for seed_id in EXAMPLE_SEEDS:
        if seed_id not in seeds:
            continue
        turns: list[list[str]] = []
        for m in seeds[seed_id].messages:
            if m.role not in ("user", "assistant"):
                continue  # tool results have no place in a SillyTavern example
            text = _THINK.sub("", m.content).strip()
            if turns and turns[-1][0] == m.role:
                turns[-1][1] = f"{turns[-1][1]} {text}".strip()
            elif text:
                turns.append([m.role, text])
        speaker = {"user": "{{user}}", "assistant": "{{char}}"}
        lines = [f"{speaker[role]}: {text}" for role, text in turns[: SEED_EXCHANGES * 2]]
        blocks.append("\n".join(["<START>", *lines]))
    return "\n".join(blocks)


def _line_examples(p: Profile) -> str:
    blocks = []
    for lang in BASE_LANGS:
        found = p.speech.for_lang(lang).example_lines
        lines = [x.line for x in found if not x.context.startswith(("greeting", DEFAULT_MARK))]
        if lines:
            blocks.append("\n".join(["<START>", *(f"{{{{char}}}}: {line}" for line in lines)]))
    return "\n".join(blocks)


# --- card -> profile -----------------------------------------------------------------------------


def card_to_profile(
    card: CharacterCard | Mapping[str, Any], source: str = "<card>"
) -> tuple[Profile, list[str]]:
    """The profile a card describes, and notes on what was defaulted or dropped (empty when exact)."""
    if not isinstance(card, CharacterCard):
        card = parse_card(dict(card), source)
    ours = card.data.extensions.get(KOCLAW_KEY)
    if ours is not None:
        return _koclaw_profile(card, ours, source)
    return _foreign_profile(card, source)


def _koclaw_profile(card: CharacterCard, ours: Any, source: str) -> tuple[Profile, list[str]]:
    if not isinstance(ours, dict) or "profile" not in ours:
        raise CardError(
            source, "extensions.koclaw holds no Koclaw profile (remove it to import the card's text)"
        )
    if ours.get("format") != KOCLAW_FORMAT:
        raise CardError(
            source,
            f"extensions.koclaw has format {ours.get('format')!r}; this Koclaw reads format {KOCLAW_FORMAT} "
            "(upgrade Koclaw, or remove extensions.koclaw to import the card's text instead)",
        )
    try:
        profile = Profile.model_validate(ours["profile"])
    except ValidationError as exc:
        raise CardError(
            source,
            f"the Koclaw profile in the card is invalid: {_first_error(exc, 'extensions.koclaw.profile')}",
        ) from None
    fresh = profile_to_card(profile)["data"]
    edited = [
        f
        for f in ("name", "description", "personality", "scenario", "system_prompt")
        if getattr(card.data, f) != fresh[f]
    ]
    notes = []
    if edited:
        notes.append(
            f"the card's {', '.join(edited)} differ from what its Koclaw profile exports (edited in another "
            "app?); the profile in extensions.koclaw was used, so copy any such edits into the YAML by hand"
        )
    return profile, notes


def _foreign_profile(card: CharacterCard, source: str) -> tuple[Profile, list[str]]:
    d, base = card.data, load_profile()
    name, terms = d.name.strip(), {lang: base.addressing.term(lang) for lang in BASE_LANGS}
    notes = [f"sections marked {DEFAULT_MARK!r} were not in the card: search the YAML for it and edit them"]
    if card._origin != "v2":
        notes.append(_ORIGIN_NOTES[card._origin])

    def fill(text: str) -> str:
        """SillyTavern's macros made concrete: {{char}} is the name, {{user}} is Sensei's term."""
        text = text.replace("{{original}}", "").strip()
        term = terms[dominant_language(text)] if text else terms["en"]
        return _MACROS.sub(lambda m: _macro(m, name, term), text)

    description, scenario, personality = fill(d.description), fill(d.scenario), fill(d.personality)
    said = [("greeting (first_mes)", d.first_mes)]
    said += [(f"greeting (alternate {i})", g) for i, g in enumerate(d.alternate_greetings, 1)]
    char_lines, others = _char_lines(d.mes_example, name)
    said += [(f"example dialogue {i}", line) for i, line in enumerate(char_lines, 1)]
    lines: dict[BaseLang, list[dict[str, str]]] = {lang: [] for lang in BASE_LANGS}
    for context, raw in said:
        if text := fill(raw):
            lines[dominant_language(text)].append({"context": context, "line": text})
    if others:
        notes.append("mes_example: only the character's lines were kept (as speech example lines)")

    data = starter_profile_data(name, base)
    prompt = data["prompt"]
    data["inspirations"][0] = {
        "source": f"the character card {name!r}",
        "traits_taken": ["everything it says"],
    }
    if role := _first_paragraph(description or scenario):
        data["role"] = role
    else:
        notes.append("role and prompt.identity: the card has no description or scenario")
    prompt["identity"] = "\n\n".join(
        x for x in (f"You are {name}.", description, scenario and f"Scenario: {scenario}") if x
    )
    if personality:
        prompt["personality"] = [x.strip() for x in personality.splitlines() if x.strip()]
    else:
        notes.append("prompt.personality: the card has no personality")
    if soul := "\n\n".join(x for x in (fill(d.system_prompt), fill(d.post_history_instructions)) if x):
        prompt["soul_note"] = soul
    else:
        notes.append("prompt.soul_note: the card has no system prompt")
    first_line = next((found[0]["line"] for found in lines.values() if found), None)
    for lang in BASE_LANGS:
        if lines[lang]:
            data["speech"][lang]["example_lines"] = lines[lang]
        else:
            notes.append(f"speech.{lang}.example_lines: the card has no {LANGUAGE_NAMES[lang]} lines")
        prompt["speech_examples"][lang] = (
            lines[lang][0]["line"] if lines[lang] else first_line or prompt["speech_examples"][lang]
        )
    notes += [*STARTER_NOTES, "addressing: the card's {{user}} became Sensei's address term"]
    forbidden, dropped = usable_forbidden(data, base.addressing.forbidden)
    if not forbidden:
        raise CardError(
            source, "the card's text uses every forbidden address term; it cannot become a profile"
        )
    if dropped:
        notes.append(f"addressing.forbidden: left out {', '.join(dropped)} because the card's text uses it")
    data["addressing"]["forbidden"] = forbidden
    if lost := [f for f in _NOT_KEPT if getattr(d, f)] + [f"extensions.{key}" for key in d.extensions]:
        notes.append(f"not kept (a profile has no place for them): {', '.join(lost)}")
    try:
        return Profile.model_validate(data), notes
    except ValidationError as exc:
        raise CardError(source, f"the card cannot become a valid profile: {_first_error(exc)}") from None


def _macro(match: re.Match[str], name: str, term: str) -> str:
    if (match.group(1) or match.group(3)).lower() in ("char", "bot"):
        return name + (match.group(2) or "")
    return term  # Sensei's address term is already an honorific: no 先生さん


def _char_lines(mes_example: str, name: str) -> tuple[list[str], bool]:
    """The character's lines from ``<START>`` blocks, and whether anyone else spoke."""
    ours, theirs = (
        re.compile(rf"^\s*(\{{\{{char\}}\}}|<bot>|{re.escape(name)})\s*:\s?(.*)$", re.I),
        re.compile(r"^\s*(\{\{user\}\}|<user>)\s*:", re.I),
    )
    found: list[str] = []
    current: list[str] | None = None
    others = False
    for line in mes_example.splitlines():
        if line.strip().lower() == "<start>" or theirs.match(line):
            others = others or bool(theirs.match(line))
            current = None
        elif m := ours.match(line):
            current = [m.group(2)]
            found.append("")
        elif current is not None:
            current.append(line)
        if current is not None:
            found[-1] = "\n".join(current).strip()
    return [x for x in found if x], others


def _first_paragraph(text: str, limit: int = 300) -> str:
    para = " ".join(text.strip().split("\n\n")[0].split())
    if len(para) <= limit:
        return para
    cut = para[:limit].rfind(". ")
    return para[: cut + 1] if cut > limit // 3 else para[: limit - 1] + "…"
