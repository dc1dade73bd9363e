"""Cleaning what people type before it is stored or sent, with notes on what was changed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from koclaw.errors import InputError
from koclaw.identities import MAX_IDENTITY
from koclaw.terminal import control_characters

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


MAX_ROW_ID = 2**63 - 1  # SQLite's largest integer: a longer number of digits names no row


def row_id(text: str) -> int | None:
    """`text` as a row id when it is all ASCII digits, else None. `str.isdigit` is true of '²' and
    '٣' too, which `int` refuses; a number past MAX_ROW_ID comes back as -1, an id no row has."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    return int(text) if len(text) <= 19 and int(text) <= MAX_ROW_ID else -1


IN_A_UTF8_TERMINAL = "type it again in a UTF-8 terminal (a UTF-8 locale such as LANG=C.UTF-8)"


def text_problem(
    value: str, what: str, *, max_chars: int = MAX_IDENTITY, fix: str = IN_A_UTF8_TERMINAL
) -> str | None:
    """Why `value` cannot be used as `what` (None when it can): bytes that are not UTF-8 (Python
    passes them on as lone surrogates, which SQLite and the terminal cannot take), control
    characters, or more than `max_chars` characters. The message says what to give instead (`fix`:
    how to send UTF-8 where `value` came from)."""
    if LONE_SURROGATE.search(value):
        return f"{what} is not valid UTF-8 text (it holds bytes that are not UTF-8); {fix}."
    if bad := control_characters(value):
        return f"{what} cannot contain control characters (found {', '.join(bad)}); give it as plain text."
    if len(value) > max_chars:
        return f"{what} is {len(value):,} characters long; at most {max_chars:,} are allowed."
    return None
