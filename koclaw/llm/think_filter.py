"""Split a streamed reply into visible text, reasoning and tool calls.

`ThinkFilter` is a streaming state machine over the content deltas of one reply. It recognises
`<think>`, `</think>`, `<tool_call>` and `</tool_call>` however the server splits them across chunks,
and it looks only at the new chunk plus a carry shorter than the longest tag, so its cost per chunk
stays flat however long the reply grows.

States:

* ``PENDING``: the reply may start inside thinking the chat template opened in the prompt, so we
  cannot yet tell reasoning from a reply: the text is buffered and nothing is shown. `</think>` turns
  the buffer into reasoning: thinking is private, so text we cannot tell apart from it is never shown.
  A `<think>` after only whitespace is the template's opener re-emitted. A server reasoning delta (the
  server parses the thinking itself, so content is the reply) turns the buffer into visible text,
  replayed through the visible state.
  PENDING is the start with thinking on (Qwen3.5's template opened `<think>`), and lasts until
  `</think>`: the end of the stream (whatever the finish reason, or none) leaves the buffer as
  reasoning too. A model that never thinks therefore needs thinking off (KOCLAW_LLM__THINKING).
  With thinking off the reply starts VISIBLE and streams from its first token: Qwen3.5's template
  closes an empty thinking block in the prompt. A template that opens one anyway (DeepSeek-R1 style)
  needs thinking on; holding every reply back in case of it would cost each first token (about
  64 tokens for a 256-byte hold; `bench/http_load_bench.py` runs with thinking off).
* ``VISIBLE``: the reply. `<think>` opens thinking, `<tool_call>` opens a tool call, a stray
  `</think>` is dropped. Leading whitespace is dropped until something is emitted.
* ``THINK``: reasoning, closed by the `</think>` that matches its opener; any other tag in here is
  reasoning text.
* ``TOOL``: a tool-call body, closed only by `</tool_call>`, then parsed by `parse_tool_call`.

`<think>` inside thinking (PENDING or THINK) nests: thinking ends only at the `</think>` that closes
the outermost opener, and the inner tags stay in the reasoning as text. A model that re-opens thinking
inside thinking has not started its reply; taking the first `</think>` as the end would show the rest
of its thinking. Where a `<think>` inside thinking was only mentioned, the error is toward privacy:
the reply stays reasoning and the caller shows a fallback.

Text that only looks like a tag (`<thinking cap>`, `a<b`, `</thinker>`, `<tool_calls>`) passes through
unchanged; only a possible tag prefix at the end of a chunk is held back until the next chunk (or the
end of the stream) decides it.

The result is the same for every way of splitting the same content into chunks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from koclaw.events import Event, ReasoningDelta, TextDelta, ToolCall
from koclaw.llm.tool_calls import parse_tool_call

THINK_OPEN: Final = "<think>"
THINK_CLOSE: Final = "</think>"
TOOL_OPEN: Final = "<tool_call>"
TOOL_CLOSE: Final = "</tool_call>"

_VISIBLE: Final = 0
_THINK: Final = 1
_PENDING: Final = 2
_TOOL: Final = 3
_FINISHED: Final = 4

# The tags each state recognises. No tag is a prefix of another (each ends with its only '>'), so at
# most one can match at a given '<'.
_VISIBLE_TAGS: Final = (THINK_OPEN, THINK_CLOSE, TOOL_OPEN)
_THINK_TAGS: Final = (THINK_OPEN, THINK_CLOSE)  # THINK and PENDING: openers nest
_TOOL_TAGS: Final = (TOOL_CLOSE,)


@dataclass
class FilterResult:
    """What one reply amounted to, once the stream has finished."""

    visible: str  # what the user sees: the concatenated TextDelta texts (leading whitespace stripped)
    reasoning: str  # the thinking, stripped; never shown in chat
    tool_calls: list[ToolCall] = field(default_factory=list)
    ended_in_thinking: bool = False  # the stream stopped inside thinking: the caller shows a fallback


class ThinkFilter:
    """Streaming splitter for one reply. Feed content with `feed`, end with `finish`, read `result`."""

    __slots__ = (
        "_carry",
        "_depth",
        "_ended_in_thinking",
        "_pending",
        "_pending_ws",
        "_reasoning",
        "_started",
        "_state",
        "_tool_body",
        "_tool_calls",
        "_visible",
    )

    def __init__(self, thinking: bool) -> None:
        """`thinking`: whether `enable_thinking` was on for this request (the reply starts in thinking)."""
        self._state: int = _PENDING if thinking else _VISIBLE
        self._depth = 1 if thinking else 0  # open <think>s, the template's counted: PENDING is inside it
        self._carry = ""  # a possible tag prefix held back from the end of the last chunk
        self._started = False  # something visible has been emitted (leading whitespace is dropped before)
        self._visible: list[str] = []
        self._reasoning: list[str] = []
        self._pending: list[str] = []
        self._pending_ws = True  # PENDING has seen only whitespace so far (an explicit <think> may follow)
        self._tool_body: list[str] = []
        self._tool_calls: list[ToolCall] = []
        self._ended_in_thinking = False

    # -- input -------------------------------------------------------------------------------------

    def feed(self, chunk: str) -> list[Event]:
        """Consume one content delta; return the events it completes."""
        if not chunk:
            if self._state == _FINISHED:
                raise RuntimeError("ThinkFilter.feed() called after finish()")
            return []
        if not self._carry and "<" not in chunk:
            # Fast path: no tag can start or end in this chunk.
            state = self._state
            if state == _VISIBLE:
                if not self._started:
                    chunk = chunk.lstrip()
                    if not chunk:
                        return []
                    self._started = True
                self._visible.append(chunk)
                return [TextDelta(chunk)]
            if state == _THINK:
                self._reasoning.append(chunk)
                return [ReasoningDelta(chunk)]
            if state == _PENDING:
                self._pending.append(chunk)
                if self._pending_ws and not chunk.isspace():
                    self._pending_ws = False
                return []
            if state == _TOOL:
                self._tool_body.append(chunk)
                return []
        if self._state == _FINISHED:
            raise RuntimeError("ThinkFilter.feed() called after finish()")
        carry = self._carry
        self._carry = ""
        return self._scan(carry + chunk if carry else chunk)

    def feed_reasoning(self, chunk: str) -> list[Event]:
        """Consume a reasoning delta the server separated from the content (vLLM `delta.reasoning`).

        The server is then parsing the thinking itself, so content is the reply: if we were still
        buffering content as possible implicit thinking, it becomes visible now.
        """
        if self._state == _FINISHED:
            raise RuntimeError("ThinkFilter.feed_reasoning() called after finish()")
        if not chunk:
            return []
        out: list[Event] = []
        if self._state == _PENDING:
            self._pending_to_visible(out)
        self._reasoning.append(chunk)
        out.append(ReasoningDelta(chunk))
        return out

    def finish(self, finish_reason: str | None = None) -> list[Event]:
        """End the stream; return the events still held back. `finish_reason` is the server's."""
        if self._state == _FINISHED:
            raise RuntimeError("ThinkFilter.finish() called twice")
        out: list[Event] = []
        if self._state == _PENDING:
            # Ended without ever closing the template-opened thinking: cut off (length, a broken stream)
            # or a model that stopped inside it. Either way it may be private thinking, so it stays so.
            text = "".join(self._pending) + self._carry
            self._pending = []
            self._carry = ""
            self._state = _THINK
            self._sink(text, out)
        # A carry that never became a tag is plain text of the current state.
        carry = self._carry
        self._carry = ""
        self._sink(carry, out)
        if self._state == _THINK:
            self._ended_in_thinking = True
        elif self._state == _TOOL:
            body = "".join(self._tool_body)
            self._tool_body = []
            parsed = parse_tool_call(body)
            reason = f"unterminated <tool_call>: the stream ended (finish_reason={finish_reason!r})"
            reason += " before </tool_call>"
            if parsed.error:
                reason += f"; {parsed.error}"
            call = ToolCall(name=parsed.name, arguments=parsed.arguments, raw=body, error=reason)
            self._tool_calls.append(call)
            out.append(call)
        self._state = _FINISHED
        return out

    def result(self) -> FilterResult:
        """The whole reply, split. Valid after `finish()`."""
        if self._state != _FINISHED:
            raise RuntimeError("ThinkFilter.result() is only valid after finish()")
        return FilterResult(
            visible="".join(self._visible),
            reasoning="".join(self._reasoning).strip(),
            tool_calls=list(self._tool_calls),
            ended_in_thinking=self._ended_in_thinking,
        )

    # -- machinery ---------------------------------------------------------------------------------

    def _pending_to_visible(self, out: list[Event]) -> None:
        """Replay the PENDING buffer (and carry) through the visible state."""
        text = "".join(self._pending) + self._carry
        self._pending = []
        self._carry = ""
        self._state = _VISIBLE
        self._depth = 0
        out.extend(self._scan(text))

    def _scan(self, s: str) -> list[Event]:
        """Process `s` (carry + chunk) tag by tag; hold back a possible tag prefix at its end."""
        out: list[Event] = []
        n = len(s)
        start = 0  # first character not yet handed to a sink
        pos = 0  # where to look for the next '<'
        while True:
            i = s.find("<", pos)
            if i < 0:
                break
            state = self._state
            tags = _VISIBLE_TAGS if state == _VISIBLE else _TOOL_TAGS if state == _TOOL else _THINK_TAGS
            matched = ""
            hold = False
            rest = n - i
            for tag in tags:
                if s.startswith(tag, i):
                    matched = tag
                    break
                if rest < len(tag) and tag.startswith(s[i:]):
                    hold = True
            if not matched:
                if hold:
                    self._sink(s[start:i], out)
                    self._carry = s[i:]
                    return out
                pos = i + 1  # just a '<' in the text
                continue
            self._sink(s[start:i], out)
            start = pos = i + len(matched)
            self._on_tag(matched, out)
        self._sink(s[start:], out)
        return out

    def _sink(self, text: str, out: list[Event]) -> None:
        """Hand plain text to the current state."""
        if not text:
            return
        state = self._state
        if state == _VISIBLE:
            if not self._started:
                text = text.lstrip()
                if not text:
                    return
                self._started = True
            self._visible.append(text)
            out.append(TextDelta(text))
        elif state == _THINK:
            self._reasoning.append(text)
            out.append(ReasoningDelta(text))
        elif state == _PENDING:
            self._pending.append(text)
            if self._pending_ws and not text.isspace():
                self._pending_ws = False
        elif state == _TOOL:
            self._tool_body.append(text)

    def _on_tag(self, tag: str, out: list[Event]) -> None:
        """Apply a recognised tag (only tags valid in the current state reach here)."""
        state = self._state
        if state == _VISIBLE:
            if tag == THINK_OPEN:
                self._state = _THINK
                self._depth = 1
            elif tag == TOOL_OPEN:
                self._state = _TOOL
                self._tool_body = []
            # A stray THINK_CLOSE is dropped.
        elif state == _THINK:
            self._depth += 1 if tag == THINK_OPEN else -1
            if self._depth:
                self._sink(tag, out)  # a nested tag is reasoning text
            else:
                self._state = _VISIBLE
        elif state == _TOOL:
            body = "".join(self._tool_body)
            self._tool_body = []
            call = parse_tool_call(body)
            self._tool_calls.append(call)
            out.append(call)
            self._state = _VISIBLE
        elif state == _PENDING:
            if tag == THINK_OPEN and self._pending_ws:
                # The model re-emitted the template's opener itself: drop the whitespace before it.
                self._pending = []
                self._state = _THINK
                return
            self._depth += 1 if tag == THINK_OPEN else -1
            if self._depth:
                self._sink(tag, out)  # nested: kept as text, so a replay as the reply sees it again
                return
            # The </think> that closes the outermost thinking: everything so far was reasoning.
            text = "".join(self._pending)
            self._pending = []
            self._state = _THINK
            self._sink(text, out)
            self._state = _VISIBLE
