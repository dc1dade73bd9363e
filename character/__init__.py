"""Kokoron's character: the profile (data), language detection and the system prompt.

    from character import load_profile, analyse_language, render_system_prompt

    profile = load_profile()
    found = analyse_language(message)
    prompt = render_system_prompt(profile, lang=found.lang, dominant=found.dominant,
                                  user_name=None, now=datetime.now().astimezone(), channel="cli")

The character itself lives in the LoRA weights (her Soul); the prompt is a compact reminder.
"""

from .language import (
    ENGLISH_WORD_WEIGHT,
    MIXED_MIN_SHARE,
    Detection,
    Lang,
    address_for,
    address_for_text,
    analyse_language,
    detect_language,
    dominant_language,
    warm_up,
)
from .profile import (
    BASE_LANGS,
    BaseLang,
    Profile,
    ProfileError,
    clear_profile_cache,
    load_profile,
    parse_profile,
)
from .prompt import (
    LANGUAGE_NAMES,
    PERSONA_TOKEN_BUDGET,
    render_persona,
    render_short_persona,
    render_system_prompt,
    render_turn_note,
)

__all__ = [
    "BASE_LANGS",
    "ENGLISH_WORD_WEIGHT",
    "LANGUAGE_NAMES",
    "MIXED_MIN_SHARE",
    "PERSONA_TOKEN_BUDGET",
    "BaseLang",
    "Detection",
    "Lang",
    "Profile",
    "ProfileError",
    "address_for",
    "address_for_text",
    "analyse_language",
    "clear_profile_cache",
    "detect_language",
    "dominant_language",
    "load_profile",
    "parse_profile",
    "render_persona",
    "render_short_persona",
    "render_system_prompt",
    "render_turn_note",
    "warm_up",
]
