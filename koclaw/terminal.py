"""Text that is safe to show on a terminal, and user ids that are safe to store.

Why: names and messages come from people and models. An escape sequence in them (ESC ... , OSC 52
"set the clipboard", a NUL, a carriage return that overwrites the line) would be acted on by the
terminal of whoever runs `koclaw memory ...`. Every human-readable view passes text through
:func:`terminal_safe`; JSON output needs nothing, since `json.dumps` escapes control characters.
"""

from __future__ import annotations

import re

# Whole escape sequences go, so no "]0;title" is left behind: CSI, OSC / DCS / PM / APC / SOS
# strings (ended by BEL or ST, else by the end of the line), in their 7-bit (ESC) and 8-bit (C1)
# forms, then any other ESC and the byte after it.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\n]*?(?:\x07|\x1b\\|\x9c|(?=\n)|$)"
    r"|\x1b[ -~]?",
)
# C0 (tab and newline are decided per view), DEL, C1 (\x9b is CSI on 8-bit terminals) and the
# bidi overrides/isolates that can make text read differently from what it is.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"\r\n|[\n\t]")


def terminal_safe(text: str, *, multiline: bool = False) -> str:
    """`text` without escape sequences or control characters; CJK and emoji stay as they are.

    `multiline` keeps newlines and tabs (message bodies); otherwise they become spaces (a name, a cell).
    """
    text = _SEQUENCE.sub("", text)
    if multiline:
        return _CONTROL.sub("", text.replace("\r\n", "\n"))
    return _CONTROL.sub("", _LINE_BREAKS.sub(" ", text))


def control_characters(text: str) -> list[str]:
    """The control characters in `text` (as `U+XXXX`), for an error that says what to remove."""
    found = {f"U+{ord(ch):04X}" for ch in text if ch in ("\n", "\t") or _CONTROL.match(ch)}
    return sorted(found)
