"""Kokoron's character profile: pydantic models for `kokoron.yaml` and a cached loader.

The YAML holds two things: the rich profile (read by the training-data generator) and a compact
`prompt` subset (read by :mod:`character.prompt` to render the system-prompt reminder).

Every model is frozen and uses tuples for sequences, so a :class:`Profile` is hashable and can be a
cache key (``render_persona`` relies on that). Unknown keys are rejected, so a typo in the YAML is an
error, not a silently ignored field.

Errors: :func:`load_profile` raises :class:`ProfileError` (a ``ValueError``) naming the file, the
field path (``big_five.openness.score``) and the problem.
"""

from __future__ import annotations

import re
import threading
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

BaseLang = Literal["zh", "ja", "en"]
"""A language Kokoron speaks (the three a reply can be written in)."""

BASE_LANGS: tuple[BaseLang, ...] = ("zh", "ja", "en")

MEMORY_TIER_KEYS: tuple[str, ...] = ("soul", "long_term", "session", "working")

BUNDLED_PROFILE = "kokoron.yaml"

NonEmpty = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Name(_Model):
    en: NonEmpty
    ja: NonEmpty
    zh: NonEmpty
    meaning: str = ""


class Trait(_Model):
    score: int = Field(ge=0, le=100)
    level: Literal["low", "moderate", "high"]
    summary: NonEmpty
    in_speech: tuple[str, ...] = Field(min_length=1)


class BigFive(_Model):
    extraversion: Trait
    agreeableness: Trait
    conscientiousness: Trait
    neuroticism: Trait
    openness: Trait

    def scores(self) -> dict[str, int]:
        """``{"extraversion": 75, ...}`` in the canonical OCEAN-as-listed order."""
        return {name: getattr(self, name).score for name in type(self).model_fields}


class Inspiration(_Model):
    source: NonEmpty
    traits_taken: tuple[str, ...] = Field(min_length=1)
    not_taken: tuple[str, ...] = ()


class ExampleLine(_Model):
    context: NonEmpty
    line: NonEmpty


class LanguageSpeech(_Model):
    # `register` in the YAML (the attribute name would shadow ABCMeta.register).
    style_register: NonEmpty = Field(alias="register")
    address_term: NonEmpty
    self_reference: NonEmpty
    style_notes: tuple[str, ...] = Field(min_length=1)
    verbal_habits: tuple[str, ...] = Field(min_length=1)
    example_lines: tuple[ExampleLine, ...] = Field(min_length=1)


class Speech(_Model):
    zh: LanguageSpeech
    ja: LanguageSpeech
    en: LanguageSpeech

    def for_lang(self, lang: BaseLang) -> LanguageSpeech:
        speech: LanguageSpeech = getattr(self, lang)
        return speech


class Addressing(_Model):
    zh: NonEmpty
    ja: NonEmpty
    en: NonEmpty
    mixed: NonEmpty
    forbidden: tuple[str, ...] = Field(min_length=1)
    in_thinking: NonEmpty
    names: str = ""

    def term(self, lang: BaseLang) -> str:
        """The address term for one of the three reply languages (老师 / 先生 / Sensei)."""
        term: str = getattr(self, lang)
        return term


class RegisterExample(_Model):
    situation: NonEmpty
    polite: NonEmpty
    casual: str | None = None


class JapaneseRegister(_Model):
    default: Literal["polite"]
    rules: tuple[str, ...] = Field(min_length=1)
    casual_triggers: tuple[str, ...] = Field(min_length=1)
    examples: tuple[RegisterExample, ...] = Field(min_length=1)


class PerLanguageText(_Model):
    zh: NonEmpty
    ja: NonEmpty
    en: NonEmpty

    def get(self, lang: BaseLang) -> str:
        text: str = getattr(self, lang)
        return text


class ExistenceCognition(_Model):
    core: NonEmpty
    statements: tuple[str, ...] = Field(min_length=1)
    example_lines: PerLanguageText


class Boundary(_Model):
    topic: NonEmpty
    stance: NonEmpty
    example: NonEmpty


class MemoryTier(_Model):
    key: Literal["soul", "long_term", "session", "working"]
    name: NonEmpty
    what: NonEmpty
    where: NonEmpty
    how_she_talks: NonEmpty
    example: NonEmpty


class SecretaryDuty(_Model):
    duty: NonEmpty
    how: NonEmpty


class ReplyRules(_Model):
    """Per-turn reply instruction fragments, one per detected language (see ``render_turn_note``)."""

    zh: NonEmpty
    ja: NonEmpty
    en: NonEmpty
    mixed: NonEmpty


class PromptSubset(_Model):
    """What the runtime renders into the system prompt. Keep it compact."""

    identity: NonEmpty
    soul_note: NonEmpty
    personality: tuple[str, ...] = Field(min_length=1)
    speech: PerLanguageText
    speech_examples: PerLanguageText
    existence: tuple[str, ...] = Field(min_length=1)
    memory: NonEmpty
    secretary: NonEmpty
    boundaries: tuple[str, ...] = Field(min_length=1)
    reply_rules: ReplyRules


class Profile(_Model):
    schema_version: Literal[1]
    name: Name
    role: NonEmpty
    big_five: BigFive
    inspirations: tuple[Inspiration, ...] = Field(min_length=1)
    speech: Speech
    addressing: Addressing
    japanese_register: JapaneseRegister
    existence_cognition: ExistenceCognition
    boundaries: tuple[Boundary, ...] = Field(min_length=1)
    memory_tiers: tuple[MemoryTier, ...]
    secretary: tuple[SecretaryDuty, ...] = Field(min_length=1)
    prompt: PromptSubset

    @model_validator(mode="after")
    def _check_consistency(self) -> Profile:
        for lang in BASE_LANGS:
            term = self.addressing.term(lang)
            spoken = self.speech.for_lang(lang).address_term
            if spoken != term:
                raise ValueError(
                    f"speech.{lang}.address_term is {spoken!r} but addressing.{lang} is {term!r}; "
                    "they must be the same"
                )
            if _forbidden_hit(term, self.addressing.forbidden):
                raise ValueError(f"addressing.{lang} ({term!r}) is itself a forbidden term")
        keys = tuple(tier.key for tier in self.memory_tiers)
        if keys != MEMORY_TIER_KEYS:
            raise ValueError(
                f"memory_tiers must be exactly {list(MEMORY_TIER_KEYS)} in that order, got {list(keys)}"
            )
        core = self.existence_cognition.core
        if not any(core in line for line in self.prompt.existence):
            raise ValueError(f"prompt.existence must state existence_cognition.core ({core!r})")
        for where, text in _walk_text(self.model_dump(exclude={"addressing"})):
            hit = _forbidden_hit(text, self.addressing.forbidden)
            if hit is not None:
                raise ValueError(
                    f"{where} uses the forbidden address term {hit!r} (see addressing.forbidden): {text!r}"
                )
        return self


def _forbidden_hit(text: str, forbidden: tuple[str, ...]) -> str | None:
    """The first forbidden term found in `text`: whole-word (case-insensitive) for Latin terms,
    substring for CJK terms (CJK has no word boundaries)."""
    for term in forbidden:
        if term.isascii():
            if re.search(rf"\b{re.escape(term)}\b", text, flags=re.IGNORECASE):
                return term
        elif term in text:
            return term
    return None


def _walk_text(value: Any, where: str = "") -> list[tuple[str, str]]:
    """Every string in a dumped model, with its dotted field path."""
    found: list[tuple[str, str]] = []
    if isinstance(value, str):
        found.append((where, value))
    elif isinstance(value, dict):
        for key, item in value.items():
            found.extend(_walk_text(item, f"{where}.{key}" if where else str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found.extend(_walk_text(item, f"{where}[{index}]"))
    return found


class ProfileError(ValueError):
    """The profile file is missing, is not valid YAML, or does not match the schema.

    The message names the file, the field path and the problem; ``path`` and ``field`` hold them too.
    """

    def __init__(self, path: str, problem: str, field: str | None = None) -> None:
        self.path = path
        self.field = field
        where = f"{path}: {field}: " if field else f"{path}: "
        super().__init__(where + problem)


def parse_profile(text: str, source: str = "<string>") -> Profile:
    """Parse and validate profile YAML text. `source` names the file in error messages."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProfileError(source, f"not valid YAML{at}: {problem}") from exc
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ProfileError(
            source, f"the top level must be a mapping of profile fields, but the file is {kind}"
        )
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        raise _profile_error(source, exc) from exc


def _profile_error(source: str, exc: ValidationError) -> ProfileError:
    errors = exc.errors(include_url=False)
    first = errors[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    problem = first["msg"].removeprefix("Value error, ")
    if first["type"] not in {"missing", "value_error"} and "input" in first:
        got = repr(first["input"])
        problem += f" (got {got if len(got) <= 80 else got[:77] + '...'})"
    if len(errors) > 1:
        others = ", ".join(".".join(str(p) for p in e["loc"]) or "<top>" for e in errors[1:4])
        more = "..." if len(errors) > 4 else ""
        problem += f" [{len(errors) - 1} more problem(s): {others}{more}]"
    return ProfileError(source, problem, field)


_cache: dict[str, Profile] = {}
_cache_lock = threading.Lock()


def load_profile(path: Path | None = None) -> Profile:
    """Load and validate a profile; ``None`` means the bundled ``character/kokoron.yaml``.

    Results are cached per resolved path for the life of the process; call
    :func:`clear_profile_cache` after editing the file. Raises :class:`ProfileError` (a
    ``ValueError``) on an unreadable file, bad YAML or a schema violation.
    """
    key = "<bundled>" if path is None else str(path.resolve())
    cached = _cache.get(key)
    if cached is not None:
        return cached
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        if path is None:
            resource = resources.files(__package__ or "character").joinpath(BUNDLED_PROFILE)
            source, text = str(resource), _read(resource, str(resource))
        else:
            source, text = str(path), _read(path, str(path))
        profile = parse_profile(text, source)
        _cache[key] = profile
        return profile


def _read(resource: Traversable | Path, source: str) -> str:
    try:
        return resource.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(source, f"cannot read the profile file: {exc}") from exc


def clear_profile_cache() -> None:
    """Forget every loaded profile (the next :func:`load_profile` reads the file again)."""
    with _cache_lock:
        _cache.clear()
