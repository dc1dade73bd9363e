"""Typed events streamed from the model to the channels.

Channels decide how to show each kind (principle 4): a terminal prints text, a bot edits a
message, nobody ever shows reasoning by default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class TextDelta:
    """Visible reply text."""

    text: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta:
    """Hidden thinking: stored in session memory, never shown in chat."""

    text: str


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A tool call, parsed from a `<tool_call>` block or from the server's native tool calls.

    `error` is set when the call could not be parsed; such calls are still reported, never dropped.
    """

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    raw: str = ""
    id: str = ""
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class Done:
    """The stream ended. `finish_reason` is the server's ("stop", "length", "tool_calls", ...)."""

    finish_reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    ended_in_thinking: bool = False  # cut off while thinking: nothing visible to show


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    """The stream failed. `message` is safe to show; `partial` tells whether text had already streamed."""

    message: str
    kind: str = "error"
    partial: bool = False
    retry_after_s: float | None = None  # the model server said when to come back (busy)


Event = TextDelta | ReasoningDelta | ToolCall | Done | ErrorEvent
