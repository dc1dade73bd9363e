"""Parse the body of a `<tool_call>...</tool_call>` block emitted in the model's text.

Two forms are accepted:

* the JSON form Qwen uses: `{"name": "...", "arguments": {...}}`, where `arguments` may also be a
  JSON string that decodes to an object;
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
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        return _error(body, 'tool call JSON has no "name" string')
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
