"""What the long-term tier stores and returns: episodes in, facts, listed rows and recalled hits.

Kept apart from `memory.long_term` so the CLI, the tools and tests can read and validate these
shapes without the index machinery.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from koclaw.errors import InputError
from koclaw.inputs import LONE_SURROGATE
from memory.session import now_iso
from memory.tokens import clip

EMBED_MAX_TOKENS = 480  # e5 reads at most 512 tokens
MAX_QUERY_CHARS = 2000  # longer queries are cut: their head says what they are about
MAX_METADATA_DEPTH = 16  # levels of nesting; deeper breaks listing and export (recursion)
MAX_METADATA_CHARS = 10_000  # as JSON; metadata tags a turn, it is not a second text
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def normalise_text(text: str) -> str:
    """For duplicate detection: NFKC, case-folded, one space, no trailing punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\s+", " ", text).strip().rstrip(".!?。！？、,，~～ ")


def timestamp_iso(value: datetime | str | None) -> str:
    """UTC ISO 8601 to the millisecond (so stored times sort and compare as text); naive means UTC."""
    if value is None:
        return now_iso()
    try:
        if isinstance(value, str):
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="milliseconds")
    except (ValueError, OverflowError) as exc:
        raise InputError(
            f"Bad timestamp {str(value)[:60]!r}: use ISO 8601 between the years 1 and 9999, "
            "e.g. 2024-05-01T12:00:00Z."
        ) from exc


class EpisodeIn(BaseModel):
    """One turn to store: what was said, when, by whom."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    timestamp: datetime | str | None = None
    speaker: str = Field(default="user", min_length=1, max_length=200)
    conversation_id: str | None = None
    message_id: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("timestamp", mode="before")
    @classmethod
    def _text_or_datetime(cls, value: Any) -> Any:
        """A number is refused, not read as Unix time: the README promises ISO 8601 or nothing."""
        if value is None or isinstance(value, str | datetime):
            return value
        raise ValueError(
            f"{repr(value)[:40]} is not a time: give it as ISO 8601 text, e.g. 2024-05-01T12:00:00Z"
        )

    @field_validator("timestamp")
    @classmethod
    def _iso(cls, value: datetime | str | None) -> str | None:
        if value is None:
            return None
        try:
            return timestamp_iso(value)
        except InputError as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("conversation_id", "message_id", mode="before")
    @classmethod
    def _as_str(cls, value: Any) -> Any:
        if isinstance(value, str):
            _no_surrogates(value)
        return str(value) if isinstance(value, int) else value

    @field_validator("metadata", mode="before")
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        """Small, shallow and encodable: storing, listing and exporting it must not fail later."""
        _check_json(value, 1)
        if len(json.dumps(value, ensure_ascii=False, default=str)) > MAX_METADATA_CHARS:
            raise ValueError(f"longer than {MAX_METADATA_CHARS:,} characters as JSON; keep the tags short")
        return value


def _no_surrogates(text: str) -> None:
    if LONE_SURROGATE.search(text):
        raise ValueError("contains a lone surrogate (not valid Unicode); re-encode the file as UTF-8")


def _check_json(value: Any, depth: int) -> None:
    """Refuse nesting deeper than MAX_METADATA_DEPTH and lone surrogates in keys and strings."""
    if isinstance(value, dict | list | tuple) and depth > MAX_METADATA_DEPTH:
        raise ValueError(f"nested deeper than {MAX_METADATA_DEPTH} levels; flatten it")
    if isinstance(value, str):
        _no_surrogates(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                _no_surrogates(key)
            _check_json(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_json(item, depth + 1)


@dataclass(frozen=True, slots=True)
class Fact:
    id: str
    user_id: str
    text: str
    importance: int
    category: str
    source_ids: list[str]
    language: str | None
    created_at: str
    updated_at: str
    merged: bool = False  # True when this call updated an existing fact instead of adding one


@dataclass(frozen=True, slots=True)
class Memory:
    """One stored row, as listed and exported."""

    id: str
    user_id: str
    kind: str
    text: str
    timestamp: str
    speaker: str | None
    conversation_id: str | None
    message_id: str | None
    importance: int
    category: str | None
    language: str | None
    source_ids: list[str]
    metadata: dict[str, Any]
    created_at: str
    updated_at: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Memory:
        data = {k: row[k] for k in cls.__slots__ if k in row}
        data["source_ids"] = json.loads(row.get("source_ids") or "[]")
        data["metadata"] = json.loads(row.get("metadata") or "{}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """Shallow, unlike `asdict`: deep metadata stored before it was bounded must not recurse."""
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class Recalled:
    id: str
    kind: str
    text: str
    score: float
    timestamp: str
    speaker: str | None
    importance: int
    metadata: dict[str, Any] = field(default_factory=dict)
    dense_rank: int | None = None
    lexical_rank: int | None = None
    exact: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: dict[str, Any], score: float, found: Found) -> Recalled:
        """A stored row as recalled, with its score and how the retrievers `found` it."""
        return cls(
            id=row["id"],
            kind=row["kind"],
            text=row["text"],
            score=score,
            timestamp=row["timestamp"],
            speaker=row["speaker"],
            importance=row["importance"],
            metadata=json.loads(row["metadata"] or "{}"),
            dense_rank=found.dense_rank,
            lexical_rank=found.lexical_rank,
            exact=found.exact,
        )


class Found(Protocol):
    """How the retrievers found a memory (`memory.ranking.Candidate`)."""

    @property
    def dense_rank(self) -> int | None: ...

    @property
    def lexical_rank(self) -> int | None: ...

    @property
    def exact(self) -> bool: ...


def parse_episode(row: dict[str, Any], number: int, *, strict: bool = False) -> EpisodeIn:
    """Validate one row; `InputError` names its line `number` and what is wrong. `strict` (imports):
    who said it is required, since recall indexes each turn with its speaker."""
    need = '{"text": ..., "speaker": ...}' if strict else '{"text": ...}'
    problems = ""
    if strict and (not isinstance(row.get("speaker"), str) or not row["speaker"].strip()):
        problems = "speaker: missing or blank (name who said it)"
    else:
        try:
            return EpisodeIn.model_validate(row)
        except ValidationError as exc:
            problems = _problems(exc)
    raise InputError(
        f"Line {number}: {problems}. Each line needs at least {need}; optional "
        '"timestamp" (ISO 8601), "speaker", "conversation_id", "message_id", "metadata" (object).'
    )


class FactIn(BaseModel):
    """A fact as `koclaw memory long-term export` writes it, to restore with `LongTermMemory.save_fact`."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=100_000)
    importance: int = Field(default=3, ge=1, le=5, strict=True)
    category: str = Field(default="general", min_length=1, max_length=100)
    language: str | None = Field(default=None, max_length=35)
    source_ids: list[str] = Field(default_factory=list, max_length=10_000)

    @field_validator("text", "category", "language", "source_ids")
    @classmethod
    def _plain(cls, value: Any) -> Any:
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str):
                _no_surrogates(text)
        if isinstance(value, str) and not value.strip():
            raise ValueError("must not be blank")
        return value


# What an export row carries besides an episode's own fields; a restore ignores it (new ids, --user).
EXPORT_ONLY = (
    "id",
    "user_id",
    "kind",
    "importance",
    "category",
    "language",
    "source_ids",
    "created_at",
    "updated_at",
)
_FACT_FIELDS = ("text", "importance", "category", "language", "source_ids")


def parse_row(row: dict[str, Any], number: int) -> EpisodeIn | FactIn:
    """An import line: a turn, or a row of an export (it has a "kind"), so an export restores."""
    if "kind" not in row:
        return parse_episode(row, number, strict=True)
    if row["kind"] == "episode":
        return parse_episode({k: v for k, v in row.items() if k not in EXPORT_ONLY}, number, strict=True)
    if row["kind"] != "fact":
        raise InputError(f'Line {number}: kind: {str(row["kind"])[:40]!r} is not "episode" or "fact".')
    try:
        return FactIn.model_validate({k: row[k] for k in _FACT_FIELDS if k in row and row[k] is not None})
    except ValidationError as exc:
        raise InputError(
            f'Line {number}: {_problems(exc)}. An exported fact needs "text"; optional "importance" '
            '(1 to 5), "category", "language", "source_ids" (list of text).'
        ) from None


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg'].removeprefix('Value error, ')}"
        for e in exc.errors()
    ).rstrip(" .")


def import_key(item: EpisodeIn) -> str:
    """What makes two imported rows the same row (a rerun of an import skips what is there)."""
    canon = [item.text, item.speaker, item.timestamp, item.conversation_id, item.message_id, item.metadata]
    return hashlib.sha256(
        json.dumps(canon, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def fact_from_row(row: dict[str, Any], *, merged: bool = False) -> Fact:
    return Fact(
        id=row["id"],
        user_id=row["user_id"],
        text=row["text"],
        importance=row["importance"],
        category=row["category"] or "general",
        source_ids=json.loads(row["source_ids"] or "[]"),
        language=row["language"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        merged=merged,
    )


def check_text(text: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InputError("A memory needs some text.")
    return text.strip()


def check_importance(importance: int) -> int:
    if isinstance(importance, bool) or not isinstance(importance, int) or not 1 <= importance <= 5:
        raise InputError(f"Importance must be a whole number from 1 to 5, not {importance!r}.")
    return importance


def clean_query(query: str) -> str:
    """A query as recall reads it: control characters and lone surrogates out, at most
    MAX_QUERY_CHARS (the head says what it is about)."""
    return _UNPRINTABLE.sub(" ", query[: MAX_QUERY_CHARS * 2]).strip()[:MAX_QUERY_CHARS]


def embeddable(text: str, max_tokens: int = EMBED_MAX_TOKENS) -> str:
    """The head of `text` that the embedder reads: e5 stops at 512 tokens anyway, and a 300 KB
    paste would otherwise cost a minute of CPU for the same vector."""
    return clip(text, max_tokens)
