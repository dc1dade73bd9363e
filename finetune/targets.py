"""The mix the Soul tier's training data should have: shares (percent) per language and per scenario.

One small model shared by `koclaw finetune stats` (actual vs target) and the generator (what to ask
for next), so the two can never disagree about the plan. A file may override either table:

    languages: {zh: 40, ja: 35, en: 20, mixed: 5}
    scenarios: {daily: 30, emotional_support: 20, ...}

A table that is given must name only known keys and sum to 100; keys it leaves out get 0.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from character.conversation import LANGUAGES, SCENARIOS
from koclaw.errors import InputError

DEFAULT_LANGUAGES: dict[str, float] = {"zh": 41, "ja": 34, "en": 20, "mixed": 5}
DEFAULT_SCENARIOS: dict[str, float] = {
    "daily": 25,
    "emotional_support": 20,
    "work_assistance": 20,
    "deep_discussion": 10,
    "playful": 10,
    "boundary": 5,
    "language_switching": 5,
    "special_event": 5,
}
_TOLERANCE = 0.01


def _check_shares(shares: dict[str, float], known: tuple[str, ...]) -> dict[str, float]:
    unknown = sorted(set(shares) - set(known))
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(unknown)}; known: {', '.join(known)}")
    if any(share < 0 for share in shares.values()):
        raise ValueError("shares must not be negative")
    total = sum(shares.values())
    if abs(total - 100) > _TOLERANCE:
        raise ValueError(f"shares sum to {total:g}, not 100")
    return {key: float(shares.get(key, 0.0)) for key in known}


class Targets(BaseModel):
    """Percent shares; every known key is present after validation (missing ones are 0)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    languages: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_LANGUAGES))
    scenarios: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_SCENARIOS))

    @field_validator("languages")
    @classmethod
    def _languages_sum(cls, value: dict[str, float]) -> dict[str, float]:
        return _check_shares(value, LANGUAGES)

    @field_validator("scenarios")
    @classmethod
    def _scenarios_sum(cls, value: dict[str, float]) -> dict[str, float]:
        return _check_shares(value, SCENARIOS)

    def counts(self, total: int, kind: str) -> dict[str, int]:
        """How many of `total` conversations each key should get (largest remainder, sums to total)."""
        from finetune.plan import apportion

        return apportion(total, self.languages if kind == "languages" else self.scenarios)


def load_targets(path: Path | None = None) -> Targets:
    """The defaults, or a YAML/JSON file's tables; a bad file raises InputError naming the problem."""
    if path is None:
        return Targets()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"Cannot read targets file {path}: {exc.strerror or exc}.") from exc
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text: save it as UTF-8 YAML or JSON.") from None
    try:
        data: Any = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"{path} is not valid {path.suffix.lstrip('.').upper() or 'YAML'}: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path} must hold a mapping with 'languages' and/or 'scenarios'.")
    try:
        return Targets.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InputError(
            f"{path}: {where}: {first['msg']}. Known languages: {', '.join(LANGUAGES)}; "
            f"scenarios: {', '.join(SCENARIOS)}; each table sums to 100."
        ) from exc
