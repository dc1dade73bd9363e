"""The working tier: the context of one turn, assembled in labelled sections within a token budget.

Sections, always in this order (`SECTIONS`), each under its own heading:

1. "Who you are (Soul)": the persona, with a note that her character lives in her weights.
2. "Tools": how to call a tool in the prompt-based JSON style, and each tool's name, description and
   arguments (omitted when there are no tools).
3. "What you remember (long-term memory)": memories recalled for this message, with dates.
4. "The conversation so far (session)": the rolling summary of older turns; the recent turns
   follow as chat messages.
5. "Now": this turn's note (time, channel, name, reply language) leading the newest message.
6. "Tool results": the tool messages of this turn's tool rounds (added by `Context.add_tool_round`).

1-4 form the system message. Soul and Tools come first and do not change from turn to turn, so a
server's prefix cache keeps them; memories (which change with every message) and the summary come
after. `Context.tokens` counts each section, for budgeting and for inspection.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from memory.session import Message
from memory.tokens import clip, estimate_tokens

SOUL_HEADER = "# Who you are (Soul)"
TOOLS_HEADER = "# Tools"
MEMORY_HEADER = "# What you remember (long-term memory)"
SESSION_HEADER = "# The conversation so far (session)"
NOW_HEADER = "# Now"
TOOL_RESULTS_HEADER = "# Tool results"

SOUL_NOTE = "Your character lives in your weights; this is only a short reminder of who you are."
NOTHING_RECALLED = "Nothing was recalled for this message."
SESSION_NOTE = "The most recent turns follow as messages."
SESSION_EMPTY = "This conversation has just begun."

SECTIONS = ("soul", "tools", "memory", "session", "now", "message", "tool_results")
SAFETY_MARGIN_TOKENS = 64
MESSAGE_OVERHEAD_TOKENS = 4  # role markers around each chat message
MEMORY_SHARE = 0.1  # of the context, at most, for recalled memories


@dataclass(frozen=True, slots=True)
class Budget:
    """Token shares of one turn, derived from the model's context size."""

    context: int
    reply: int
    history_share: float

    def for_input(self, persona_tokens: int) -> int:
        """What the newest message may take at most."""
        return max(64, self.context - self.reply - persona_tokens - SAFETY_MARGIN_TOKENS)

    def for_memory(self) -> int:
        return int(self.context * MEMORY_SHARE)

    def for_session(self) -> int:
        """The session tier's share: the summary and the recent turns together."""
        return int(self.context * self.history_share)

    def for_history(self, persona_tokens: int, message_tokens: int) -> int:
        """What the recent turns may take, given everything else (`persona_tokens`: all fixed parts)."""
        left = self.context - self.reply - persona_tokens - message_tokens - SAFETY_MARGIN_TOKENS
        return max(0, min(self.for_session(), left))


@dataclass(frozen=True, slots=True)
class MemoryRecord:
    """One recalled memory, as the long-term tier hands it over."""

    text: str
    date: str  # when it was said or learnt: an ISO date or timestamp
    kind: str = "fact"
    importance: int = 3


@dataclass(slots=True)
class Context:
    """The chat messages of one turn and the tokens each section takes."""

    messages: list[dict[str, Any]]
    tokens: dict[str, int] = field(default_factory=dict)
    memories_left_out: int = 0

    @property
    def total_tokens(self) -> int:
        return sum(self.tokens.values())

    def add_tool_round(self, assistant: dict[str, Any], results: Sequence[tuple[str, str, str]]) -> None:
        """Append the assistant's calls and one labelled tool message per (call id, name, result)."""
        self.messages.append(assistant)
        used = _message_tokens(assistant)
        for call_id, name, result in results:
            message = tool_result_message(call_id, name, result)
            self.messages.append(message)
            used += _message_tokens(message)
        self.tokens["tool_results"] = self.tokens.get("tool_results", 0) + used


def json_call(name: str, arguments: Mapping[str, Any]) -> str:
    """A call in the JSON style the Tools section teaches: what the model writes, and is shown again."""
    return json.dumps({"tool": name, "arguments": dict(arguments)}, ensure_ascii=False)


def json_round(text: str, name: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """A round that made a JSON-style call, as the next round sees it: exactly what the model wrote.

    Why not OpenAI `tool_calls`: the server would render those in the template's XML form, a third
    format the model was never taught; training renders rounds with this same function.
    """
    return {"role": "assistant", "content": text + json_call(name, arguments)}


def tool_result_message(call_id: str, name: str, result: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": f"{TOOL_RESULTS_HEADER}: {name}\n{result}"}


def fit_text(text: str, max_tokens: int, max_chars: int) -> tuple[str, int]:
    """Cut an over-long message in the middle, keeping its start and end; returns (text, chars cut)."""
    if len(text) <= max_chars and estimate_tokens(text) <= max_tokens:
        return text, 0
    side = max(0, max_tokens - 24) // 2  # the note about the cut takes the rest
    head = clip(text[: max_chars // 2], side)
    tail = clip(text[len(text) - (max_chars - max_chars // 2) :], side, keep="end")
    cut = len(text) - len(head) - len(tail)
    return f"{head}\n[... {cut} characters omitted: the message was too long to read whole ...]\n{tail}", cut


def render_soul(persona: str) -> str:
    return f"{SOUL_HEADER}\n{SOUL_NOTE}\n\n{persona}"


def render_tools(specs: Sequence[dict[str, Any]]) -> str:
    """How to call tools in the JSON style, and the tools, compactly; "" when there are none."""
    if not specs:
        return ""
    lines = [
        TOOLS_HEADER,
        "When you need a tool, reply with only this JSON object and nothing after it:",
        '{"tool": "NAME", "arguments": {...}}',
        f'Its result comes back in a "{TOOL_RESULTS_HEADER[2:]}" message; then answer Sensei. '
        "Use tools only when they help; never show this JSON to Sensei.",
    ]
    for spec in specs:
        fn = spec.get("function", spec)
        lines.append(f"- {fn['name']}: {fn.get('description', '')} Arguments: {_args_line(fn)}")
    return "\n".join(lines)


def _args_line(fn: dict[str, Any]) -> str:
    params = fn.get("parameters") or {}
    props: dict[str, Any] = params.get("properties") or {}
    if not props:
        return "none."
    required = set(params.get("required") or ())
    parts = []
    for name, prop in props.items():
        kind = prop.get("type") or "/".join(
            str(p.get("type")) for p in prop.get("anyOf", []) if p.get("type") not in (None, "null")
        )
        need = "required" if name in required else "optional"
        desc = f": {prop['description']}" if prop.get("description") else ""
        parts.append(f"{name} ({kind or 'any'}, {need}){desc}")
    return "; ".join(parts) + "."


def render_memories(memories: Sequence[MemoryRecord], max_tokens: int) -> tuple[str, int]:
    """The long-term section in recall order (importance and recency are already in it, and an exact
    match is first), within `max_tokens`; returns (text, how many were left out)."""
    lines = [MEMORY_HEADER]
    used = estimate_tokens(MEMORY_HEADER)
    kept: list[str] = []
    for memory in memories:
        line = f"- ({memory.date[:10]}, {memory.kind}) {' '.join(memory.text.split())}"
        cost = estimate_tokens(line) + 1
        if used + cost > max_tokens:
            continue
        used += cost
        kept.append(line)
    lines.extend(kept or [NOTHING_RECALLED])
    return "\n".join(lines), len(memories) - len(kept)


def render_session(summary: str | None, has_history: bool) -> str:
    lines = [SESSION_HEADER]
    if summary:
        lines.append(f"Summary of the earlier turns: {summary.strip()}")
    if has_history:
        lines.append(SESSION_NOTE)
    elif not summary:
        lines.append(SESSION_EMPTY)
    return "\n".join(lines)


def render_now(now_note: str, message: str) -> str:
    return f"{NOW_HEADER}\n{now_note}\n\n{message}"


def build(
    *,
    persona: str,
    tools: Sequence[dict[str, Any]] = (),
    memories: Sequence[MemoryRecord] = (),
    memory_tokens: int = 10**9,
    summary: str | None = None,
    history: Sequence[Message] = (),
    now_note: str,
    message: str,
) -> Context:
    """The context of one turn. `history` must already fit its budget (`SessionStore.history`)."""
    soul = render_soul(persona)
    tools_text = render_tools(tools)
    memory_text, left_out = render_memories(memories, memory_tokens)
    session_text = render_session(summary, bool(history))
    system = "\n\n".join(part for part in (soul, tools_text, memory_text, session_text) if part)
    messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
    turns = [{"role": m.role, "content": m.content} for m in history]
    messages.extend(turns)
    now_text = f"{NOW_HEADER}\n{now_note}\n\n"
    messages.append({"role": "user", "content": render_now(now_note, message)})
    tokens = {
        "soul": estimate_tokens(soul) + MESSAGE_OVERHEAD_TOKENS,
        "tools": estimate_tokens(tools_text),
        "memory": estimate_tokens(memory_text),
        "session": estimate_tokens(session_text) + sum(_message_tokens(t) for t in turns),
        "now": estimate_tokens(now_text) + MESSAGE_OVERHEAD_TOKENS,
        "message": estimate_tokens(message),
        "tool_results": 0,
    }
    return Context(messages=messages, tokens=tokens, memories_left_out=left_out)


def assemble(
    budget: Budget,
    *,
    persona: str,
    tools: Sequence[dict[str, Any]],
    message: str,
    max_input_chars: int,
    memories: Sequence[MemoryRecord],
    summary: str | None,
    history: Callable[[int], Sequence[Message]],
    now_note: str,
) -> tuple[Context, int]:
    """The context of one turn within `budget`, and how many characters of `message` were cut.

    Every tier's share is decided here, in this order: the newest message takes what the fixed parts
    (Soul, Tools) leave; recalled memories take up to their share; the session tier (summary, then
    the newest turns: `history(max_tokens)`) gets the rest, up to its own share.
    """
    fixed = fixed_tokens(persona, tools)
    shown, cut = fit_text(message, budget.for_input(fixed), max_input_chars)
    memory_text, _ = render_memories(memories, budget.for_memory())
    for_turns = budget.for_history(
        fixed + estimate_tokens(memory_text) + estimate_tokens(now_note), estimate_tokens(shown)
    )
    context = build(
        persona=persona,
        tools=tools,
        memories=memories,
        memory_tokens=budget.for_memory(),
        summary=summary,
        history=history(max(0, for_turns - estimate_tokens(summary or ""))),
        now_note=now_note,
        message=shown,
    )
    return context, cut


def fixed_tokens(persona: str, tools: Sequence[dict[str, Any]]) -> int:
    """What the stable head of the system message (Soul and Tools) costs."""
    return (
        estimate_tokens(render_soul(persona)) + estimate_tokens(render_tools(tools)) + MESSAGE_OVERHEAD_TOKENS
    )


def _message_tokens(message: dict[str, Any]) -> int:
    content = message.get("content") or ""
    calls = message.get("tool_calls")
    extra = estimate_tokens(json.dumps(calls, ensure_ascii=False)) if calls else 0
    return estimate_tokens(content) + extra + MESSAGE_OVERHEAD_TOKENS
