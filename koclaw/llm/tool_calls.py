"""Parse the body of a `<tool_call>...</tool_call>` block emitted in the model's text.

Two forms are accepted:

* the JSON form Qwen uses: `{"name": "...", "arguments": {...}}` (or `"tool"` for `"name"`, the
  prompt-based style), where `arguments` may also be a JSON string that decodes to an object;
* the Qwen3.5 XML form::

      <function=NAME>
      <parameter=KEY>
      VALUE
      </parameter>
      </function>

  Each VALUE is stripped, then decoded as JSON when it is valid JSON; otherwise it is kept as a string.

Anything else is still reported: a `ToolCall` with an empty name, the raw body and an `error` that says
what was wrong. A tool call is never dropped silently.
"""

from __future__ import annotations

import json
import re
from typing import Any

from koclaw.events import ToolCall

_FUNCTION_RE = re.compile(r"<function=([^>\n]*)>(.*)</function>", re.DOTALL)
_PARAMETER_RE = re.compile(r"<parameter=([^>\n]*)>(.*?)</parameter>", re.DOTALL)


def parse_tool_call(body: str) -> ToolCall:
    """Parse one tool-call body (the text between `<tool_call>` and `</tool_call>`)."""
    text = body.strip()
    if not text:
        return _error(body, "empty <tool_call> body")
    if text.startswith("{"):
        return _parse_json(body, text)
    if text.startswith("<function="):
        return _parse_xml(body, text)
    return _error(body, "tool call is neither a JSON object nor a <function=NAME> block")


def _error(body: str, reason: str) -> ToolCall:
    return ToolCall(name="", raw=body, error=reason)


def _loads(text: str, what: str) -> Any:
    """Parse JSON, or return the reason it is not valid as a string prefixed by `what`."""
    try:
        return json.loads(text)
    except RecursionError:
        return _Bad(f"{what} is nested too deeply")
    except json.JSONDecodeError as exc:
        return _Bad(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")


class _Bad(str):
    """A parse failure's reason, told apart from a parsed JSON string by its type."""


def _parse_json(body: str, text: str) -> ToolCall:
    data = _loads(text, "tool call")
    if isinstance(data, _Bad):
        return _error(body, data)
    if not isinstance(data, dict):
        return _error(body, f"tool call JSON must be an object, got {type(data).__name__}")
    name = data.get("name", data.get("tool"))
    if not isinstance(name, str) or not name.strip():
        return _error(body, 'tool call JSON has no "name" (or "tool") string')
    arguments: Any = data.get("arguments", data.get("parameters", {}))
    if arguments is None or (isinstance(arguments, str) and not arguments.strip()):
        arguments = {}
    elif isinstance(arguments, str):
        arguments = _loads(arguments, 'tool call "arguments" string')
        if isinstance(arguments, _Bad):
            return _error(body, arguments)
    if not isinstance(arguments, dict):
        return _error(body, f'tool call "arguments" must be an object, got {type(arguments).__name__}')
    return ToolCall(name=name.strip(), arguments=arguments, raw=body)


def _parse_xml(body: str, text: str) -> ToolCall:
    match = _FUNCTION_RE.fullmatch(text)
    if match is None:
        return _error(body, "tool call <function=...> block is not closed with </function>")
    name = match.group(1).strip()
    if not name:
        return _error(body, "tool call <function=> has an empty name")
    inner = match.group(2)
    arguments: dict[str, Any] = {}
    last = 0
    for param in _PARAMETER_RE.finditer(inner):
        between = inner[last : param.start()]
        if between.strip():
            return _error(body, f"unexpected text in <function={name}>: {between.strip()[:40]!r}")
        last = param.end()
        key = param.group(1).strip()
        if not key:
            return _error(body, f"a <parameter=> of <function={name}> has an empty name")
        if key in arguments:
            return _error(body, f"parameter {key!r} of <function={name}> is given twice")
        arguments[key] = _xml_value(param.group(2))
    rest = inner[last:]
    if rest.strip():
        if "<parameter=" in rest:
            return _error(body, f"a <parameter=...> of <function={name}> is not closed with </parameter>")
        return _error(body, f"unexpected text in <function={name}>: {rest.strip()[:40]!r}")
    return ToolCall(name=name, arguments=arguments, raw=body)


def _xml_value(raw: str) -> Any:
    value = raw.strip()
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return value


# -- prompt-based JSON tool calls in the visible reply ---------------------------------------------
#
# The fine-tuned model has no reliable native tool calling, so the system prompt also lets it answer
# with just `{"tool": NAME, "arguments": {...}}` (or `"name"`), bare or in a ```json fence. Visible text
# streams to the person as it arrives, so such a reply must be caught before it is shown:
# `JsonCallDetector` passes text through untouched until a `{` or a backtick opens a line (the reply's
# first line included), and from there holds it back only while it can still be a tool call:
#
# * ``` must be followed by an info string that is empty or "json", then `{`;
# * `{` must be followed by `"` (an object with a key), then the object must close and parse as a
#   call: only the keys tool/name, arguments/parameters, a non-empty name;
# * after the object only whitespace (and, for a fence, the closing ```) may follow: a call counts
#   only where the reply consists of, or ends with, it.
#
# The moment one of these fails, the held text is released (and scanned again from its second
# character), so an ordinary reply streams chunk by chunk with no added latency, and a code block or a
# JSON example is delayed only until it is ruled out. A held call is decided when the stream ends.

_HOLD, _TEXT, _CALL = 0, 1, 2
_FENCE = "```"
_MAX_HELD_CHARS = 8000  # longer than any tool call: release it as text
_CALL_KEYS = frozenset({"tool", "name", "arguments", "parameters"})


class JsonCallDetector:
    """Finds a prompt-style JSON tool call at the end of one round's visible text, holding it back."""

    def __init__(self) -> None:
        self.held = ""
        self.line_blank = True  # the current line holds only whitespace so far
        self.call: ToolCall | None = None

    def feed(self, text: str) -> str:
        """Visible text in; what may be shown now out."""
        return self._pump(text, final=False)

    def finish(self) -> tuple[str, ToolCall | None]:
        """The stream ended: the text still held that turned out to be text, and the call, if any."""
        return self._pump("", final=True), self.call

    def _pump(self, text: str, *, final: bool) -> str:
        out: list[str] = []
        pending = text
        if self.held:
            self.held += pending
            pending = ""
        while True:
            if not self.held:
                start = self._candidate(pending)
                if start < 0:
                    self._emit(out, pending)
                    return "".join(out)
                self._emit(out, pending[:start])
                self.held, pending = pending[start:], ""
            verdict, call = _judge(self.held, final=final)
            if verdict == _HOLD:
                return "".join(out)
            if verdict == _CALL:
                self.call, self.held = call, ""
                return "".join(out)
            first, pending, self.held = self.held[0], self.held[1:], ""
            self._emit(out, first)

    def _emit(self, out: list[str], text: str) -> None:
        if not text:
            return
        out.append(text)
        line = text.rpartition("\n")
        if line[1]:
            self.line_blank = not line[2].strip()
        else:
            self.line_blank = self.line_blank and not text.strip()

    def _candidate(self, text: str) -> int:
        """Where a possible call starts in `text`: a `{` or backtick first on its line; -1 if none."""
        if "{" not in text and "`" not in text:
            return -1
        blank = self.line_blank
        for i, ch in enumerate(text):
            if blank and ch in "{`":
                return i
            if ch == "\n":
                blank = True
            elif not ch.isspace():
                blank = False
        return -1


def _judge(held: str, *, final: bool) -> tuple[int, ToolCall | None]:
    """Whether `held` (starting with `{` or a backtick) is a call, is not, or cannot be told yet."""
    wait = (_TEXT if final else _HOLD), None
    body = held
    fenced = held.startswith("`")
    if fenced:
        if not held.startswith(_FENCE):
            return wait if _FENCE.startswith(held) else (_TEXT, None)
        newline = held.find("\n", len(_FENCE))
        info = (held[len(_FENCE) :] if newline < 0 else held[len(_FENCE) : newline]).strip().lower()
        if newline < 0:
            return wait if "json".startswith(info) else (_TEXT, None)
        if info not in ("", "json"):
            return _TEXT, None
        body = held[newline + 1 :]
    body = body.lstrip()
    if not body:
        return wait
    if body[0] != "{":
        return _TEXT, None
    after = body[1:].lstrip()
    if not after:
        return wait
    if after[0] != '"':
        return _TEXT, None
    end = _object_end(body)
    if end is None:
        return (_TEXT, None) if len(held) > _MAX_HELD_CHARS else wait
    call = _prompt_call(body[:end])
    if call is None:
        return _TEXT, None
    tail = body[end:].strip()
    # A fence may still be closing; at the end an unclosed fence is accepted too.
    fits = (tail in ("", _FENCE) if final else _FENCE.startswith(tail)) if fenced else not tail
    if not fits:
        return _TEXT, None
    return (_CALL, call) if final else (_HOLD, None)


def _object_end(text: str) -> int | None:
    """The index just past the JSON object that opens `text`, or None while it is still open."""
    depth = 0
    in_string = escaped = False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def _prompt_call(text: str) -> ToolCall | None:
    """A tool call when `text` is an object of the call's shape, else None (ordinary JSON)."""
    data = _loads(text, "tool call")
    if not isinstance(data, dict) or not data or not set(data) <= _CALL_KEYS:
        return None
    if not ({"tool", "name"} & set(data)):
        return None
    call = parse_tool_call(text)
    return None if call.error else call


def detect_json_call(text: str) -> tuple[str, ToolCall | None]:
    """Split a whole reply into the text to show and a trailing prompt-style call (for tests, tools)."""
    detector = JsonCallDetector()
    shown = detector.feed(text)
    rest, call = detector.finish()
    return shown + rest, call
