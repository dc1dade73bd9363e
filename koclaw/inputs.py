"""Cleaning what people type before it is stored or sent, with notes on what was changed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from koclaw.errors import InputError

# C0/C1 controls, DEL, and lone surrogates; newline and tab are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # bytes that were not UTF-8, or a bare \ud800 escape
_ESCAPE_SEQ = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


@dataclass(slots=True)
class CleanInput:
    text: str
    notes: list[str] = field(default_factory=list)


def clean_input(raw: str) -> CleanInput:
    """Drop control characters and terminal escape sequences; refuse a message with nothing left."""
    notes = []
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    stripped = _CONTROL.sub("", _ESCAPE_SEQ.sub("", text))
    if stripped != text:
        notes.append(f"removed {len(text) - len(stripped)} control character(s)")
    if not stripped.strip():
        raise InputError("Empty message: there is nothing for Kokoron to answer. Type some text.")
    return CleanInput(stripped.strip("\n"), notes)


def safe_for_terminal(text: str) -> str:
    """Model output shown in a terminal must not carry escape sequences that move or recolour it."""
    return _CONTROL.sub("", _ESCAPE_SEQ.sub("", text))


def repair_text(text: str) -> str:
    """`text` with lone surrogates replaced by U+FFFD: no UTF-8 store, stream or terminal can take them."""
    if LONE_SURROGATE.search(text) is None:
        return text
    return LONE_SURROGATE.sub("\ufffd", text)
