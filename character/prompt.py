"""The system prompt: a compact reminder of Kokoron's character plus a per-turn note.

The prompt has two parts so the runtime can cache the first:

* :func:`render_persona` - deterministic, rendered only from the profile's ``prompt`` subset and
  address terms, cached per profile (profiles are frozen and hashable). Target ≤ ~1,200 tokens by
  :func:`memory.tokens.estimate_tokens`.
* :func:`render_turn_note` - this turn only: the time, the channel, Sensei's name if known, and an
  explicit line saying which language to reply in and which address term to use.

:func:`render_system_prompt` joins them. Written in English with the CJK terms inline; it never
calls Sensei "user".
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from .language import Lang
from .profile import BASE_LANGS, BaseLang, Profile

__all__ = [
    "LANGUAGE_NAMES",
    "PERSONA_TOKEN_BUDGET",
    "render_persona",
    "render_short_persona",
    "render_system_prompt",
    "render_turn_note",
]

PERSONA_TOKEN_BUDGET = 1200
"""The persona should stay under this many tokens by :func:`memory.tokens.estimate_tokens`."""

LANGUAGE_NAMES: dict[BaseLang, str] = {"zh": "Chinese", "ja": "Japanese", "en": "English"}

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_MAX_FIELD_CHARS = 64


@lru_cache(maxsize=8)
def render_persona(profile: Profile) -> str:
    """The persona part of the system prompt, rendered from ``profile.prompt`` and the address
    terms. Deterministic; cached per profile (same profile, same string object)."""
    p = profile.prompt
    a = profile.addressing
    forbidden = ", ".join(a.forbidden)
    lines = [
        f"# {profile.name.en} ({profile.name.ja})",
        p.identity,
        p.soul_note,
        "",
        "## Addressing Sensei",
        (
            f"Call the person you serve {a.zh} in Chinese, {a.ja} in Japanese and {a.en} in English; "
            f"in a mixed-language message, {a.mixed}. Never call them {forbidden}, not even in your "
            "own thinking, where they are Sensei too."
        ),
        "",
        "## Personality",
        *(f"- {line}" for line in p.personality),
        "",
        "## Speech",
        *(f"- {p.speech.get(lang)}\n  Example: {p.speech_examples.get(lang)}" for lang in BASE_LANGS),
        "",
        "## Existence",
        *(f"- {line}" for line in p.existence),
        "",
        "## Memory",
        p.memory,
        "",
        "## Secretary work",
        p.secretary,
        "",
        "## Boundaries",
        *(f"- {line}" for line in p.boundaries),
    ]
    return "\n".join(lines)


@lru_cache(maxsize=8)
def render_short_persona(profile: Profile) -> str:
    """Who she is and how she addresses Sensei, in three lines: for a small model whose character is
    all in its weights (the built-in one), where the full persona would be most of every prompt."""
    a = profile.addressing
    return "\n".join(
        [
            f"# {profile.name.en} ({profile.name.ja})",
            profile.prompt.identity,
            f"Call the person you serve {a.zh} in Chinese, {a.ja} in Japanese and {a.en} in English.",
        ]
    )


def _one_line(value: str) -> str:
    """A caller-supplied value made safe for one line of the prompt (no newlines, bounded)."""
    cleaned = " ".join(_CONTROL.sub(" ", value).split())
    if len(cleaned) > _MAX_FIELD_CHARS:
        cleaned = cleaned[: _MAX_FIELD_CHARS - 1] + "…"
    return cleaned


def _format_now(now: datetime) -> str:
    stamp = now.strftime("%Y-%m-%d (%A) %H:%M")
    if now.tzinfo is None or now.utcoffset() is None:
        return f"{stamp} (local time)"
    offset = now.strftime("%z")
    zone = now.tzname() or ""
    offset = f"UTC{offset[:3]}:{offset[3:5]}"
    return (
        f"{stamp} {zone} ({offset})"
        if zone and not zone.startswith(("UTC", "+", "-"))
        else f"{stamp} {offset}"
    )


def render_turn_note(
    profile: Profile,
    *,
    lang: Lang,
    dominant: BaseLang,
    user_name: str | None,
    now: datetime,
    channel: str,
) -> str:
    """The per-turn part of the system prompt: time, channel, Sensei's name, and the reply-language
    and address instruction for this message.

    `lang` is the detected language of Sensei's message; `dominant` the language they mostly used
    (equal to `lang` unless `lang` is "mixed"; it picks the address term for a mixed message).
    `user_name` is Sensei's name if known; the address term is used regardless.
    """
    if lang != "mixed" and dominant != lang:
        raise ValueError(
            f"dominant must equal lang for a single-language message (lang={lang!r}, dominant={dominant!r})"
        )
    term = profile.addressing.term(dominant)
    rules = profile.prompt.reply_rules
    if lang == "mixed":
        instruction = (
            f"Sensei mixed languages (mostly {LANGUAGE_NAMES[dominant]}): {rules.mixed}; "
            f"address them as {term}."
        )
    else:
        rule = getattr(rules, lang)
        instruction = f"Sensei wrote in {LANGUAGE_NAMES[lang]}: {rule}, and address them as {term}."

    facts = [f"Now: {_format_now(now)}."]
    channel_text = _one_line(channel)
    if channel_text:
        facts.append(f"Channel: {channel_text}.")
    name = _one_line(user_name) if user_name else ""
    if name:
        facts.append(f"Sensei's name: {name} (still address them as {term}).")
    return "\n".join(["## This turn", " ".join(facts), instruction])


def render_system_prompt(
    profile: Profile,
    *,
    lang: Lang,
    dominant: BaseLang,
    user_name: str | None,
    now: datetime,
    channel: str,
) -> str:
    """The full system prompt: the cached persona, a blank line, then this turn's note."""
    note = render_turn_note(
        profile, lang=lang, dominant=dominant, user_name=user_name, now=now, channel=channel
    )
    return f"{render_persona(profile)}\n\n{note}"
