"""The working tier: the context for one turn, assembled in labelled sections within a token budget.

Order: who she is (Soul reminder, the stable system prompt, so servers can cache its prefix),
the conversation so far (session tier), then the latest message, led by this turn's note
(time, channel, reply language and form of address). Only the last part changes every turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from memory.session import Message
from memory.tokens import estimate_tokens

SOUL_HEADER = "# Who you are (Soul)"
SAFETY_MARGIN_TOKENS = 64


@dataclass(frozen=True, slots=True)
class Budget:
    """Token shares of one turn, derived from the model's context size."""

    context: int
    reply: int
    history_share: float

    def for_input(self, persona_tokens: int) -> int:
        """What the newest message may take at most."""
        return max(64, self.context - self.reply - persona_tokens - SAFETY_MARGIN_TOKENS)

    def for_history(self, persona_tokens: int, message_tokens: int) -> int:
        left = self.context - self.reply - persona_tokens - message_tokens - SAFETY_MARGIN_TOKENS
        return max(0, min(int(self.context * self.history_share), left))


def fit_text(text: str, max_tokens: int, max_chars: int) -> tuple[str, int]:
    """Cut an over-long message in the middle, keeping its start and end; returns (text, chars cut)."""
    if len(text) <= max_chars and estimate_tokens(text) <= max_tokens:
        return text, 0
    keep = min(max_chars, len(text))
    while keep > 0 and estimate_tokens(text[: keep // 2] + text[-(keep - keep // 2) :]) > max_tokens - 16:
        keep = int(keep * 0.8)
    head, tail = text[: keep // 2], text[len(text) - (keep - keep // 2) :]
    cut = len(text) - len(head) - len(tail)
    return f"{head}\n[... {cut} characters omitted: the message was too long to read whole ...]\n{tail}", cut


def assemble(
    *, persona: str, history: Sequence[Message], now_note: str, message: str
) -> list[dict[str, Any]]:
    """The chat messages for one turn."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": f"{SOUL_HEADER}\n{persona}"}]
    messages.extend({"role": m.role, "content": m.content} for m in history)
    messages.append({"role": "user", "content": f"{now_note}\n\n{message}"})
    return messages
