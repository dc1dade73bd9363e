"""Text for Telegram: HTML-escaping and splitting long replies into messages.

Model output is sent as escaped HTML (parse_mode HTML), so a stray `<`, `&` or half-finished
Markdown can never break message parsing, mid-stream or final.

Telegram allows 4096 characters per message, counted after entity parsing. The splitter
measures each piece *escaped* and in UTF-16 code units, which is never less than what Telegram
counts, so every piece is accepted whatever the text holds. It splits the raw text (escaping
each piece afterwards), so an HTML entity can never be cut in half, and it cuts at the best
boundary in the window: paragraph > line > sentence > space > hard cut (which steps back off
combining marks, joiners and variation selectors rather than tear a character apart).
"""

from __future__ import annotations

import html
import re
import unicodedata

MAX_MESSAGE = 4096

# A boundary only counts when it leaves at least this share of the window in the piece;
# otherwise a stray early newline would produce a tiny message.
_MIN_FILL = 0.5
_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n")
_LINE = re.compile(r"\n")
# CJK enders need no space after them; ASCII ones do (so "3.14" and "e.g.x" stay whole).
_SENTENCE = re.compile(r"[。！？]+[」』）)\"'”’]*|[.!?]+[)\"'”’]*(?=\s)")
_SPACE = re.compile(r"\s")
_ESCAPED_COST = {"&": len("&amp;"), "<": len("&lt;"), ">": len("&gt;")}


def escape(text: str) -> str:
    """Text safe for parse_mode HTML: only `&`, `<` and `>` need escaping in a message body."""
    return html.escape(text, quote=False)


def telegram_length(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram's limits and entity offsets use."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _cost(char: str) -> int:
    """What one raw character costs once escaped, in UTF-16 code units."""
    return _ESCAPED_COST.get(char, 2 if ord(char) > 0xFFFF else 1)


def _glued(char: str) -> bool:
    """Characters that belong to the one before them (a cut must not go right before one)."""
    code = ord(char)
    return (
        unicodedata.combining(char) != 0
        or code == 0x200D  # zero-width joiner
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # skin-tone modifiers
        or 0xE0020 <= code <= 0xE007F  # tag characters (flag sequences)
        or 0xDC00 <= code <= 0xDFFF  # a lone low surrogate follows its high half
    )


def _window(text: str, start: int, limit: int) -> int:
    """The end of the longest run from `start` whose escaped form fits in `limit`."""
    used = 0
    end = start
    while end < len(text):
        used += _cost(text[end])
        if used > limit:
            break
        end += 1
    return end


def _best_cut(text: str, start: int, end: int) -> tuple[int, int]:
    """Where to cut text[start:end] (which is known to be followed by more): (piece end, next start)."""
    window = text[start:end]
    floor = int(len(window) * _MIN_FILL)
    for pattern, keep in ((_PARAGRAPH, False), (_LINE, False), (_SENTENCE, True), (_SPACE, False)):
        # A sentence ender right at the window's edge is checked against the text that follows.
        haystack = text[start : min(end + 1, len(text))] if keep else window
        best: re.Match[str] | None = None
        for match in pattern.finditer(haystack):
            cut = match.end() if keep else match.start()
            if floor <= cut <= len(window) and cut > 0:
                best = match
        if best is not None:
            cut = best.end() if keep else best.start()
            return start + cut, start + (cut if keep else best.end())
    cut = end
    while cut - 1 > start and cut < len(text) and (_glued(text[cut]) or text[cut - 1] == "\u200d"):
        cut -= 1
        if end - cut > 32:  # a pathological run of joiners: cut through rather than shrink forever
            cut = end
            break
    return cut, cut


def split_spans(text: str, limit: int = MAX_MESSAGE) -> list[tuple[int, int]]:
    """(start, end) of each piece of `text`; pieces are stripped, non-empty and fit once escaped."""
    if limit < 8:
        raise ValueError("limit must leave room for at least one escaped character")
    spans: list[tuple[int, int]] = []
    pos = 0
    n = len(text)
    while True:
        while pos < n and text[pos].isspace():
            pos += 1
        if pos >= n:
            return spans
        end = _window(text, pos, limit)
        if end >= n:
            stop = n
            while text[stop - 1].isspace():
                stop -= 1
            spans.append((pos, stop))
            return spans
        cut, resume = _best_cut(text, pos, end)
        stop = cut
        while stop > pos and text[stop - 1].isspace():
            stop -= 1
        if stop == pos:  # only whitespace before the cut: take the hard window instead
            stop = resume = end
        spans.append((pos, stop))
        pos = resume


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """The pieces of `text`, raw (escape each with `escape` before sending)."""
    return [text[start:end] for start, end in split_spans(text, limit)]


def fits(text: str, limit: int = MAX_MESSAGE) -> bool:
    """Whether `text`, escaped, fits in one message."""
    return telegram_length(escape(text)) <= limit
