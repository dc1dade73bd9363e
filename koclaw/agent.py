"""One turn: store the message, build the context, stream the reply, store it (ARCHITECTURE steps 1-7)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from character import analyse_language, load_profile, render_persona, render_turn_note
from character.profile import Profile
from koclaw.config import Settings
from koclaw.events import Done, ErrorEvent, Event, ReasoningDelta, TextDelta, ToolCall
from koclaw.inputs import clean_input
from koclaw.llm.base import ChatModel, ChatRequest
from koclaw.llm.tools import ToolContext, ToolRegistry
from koclaw.replies import Situation, fallback
from memory import working
from memory.session import SessionStore, now_iso
from memory.tokens import estimate_tokens

log = logging.getLogger(__name__)

EventHandler = Callable[[Event], Awaitable[None]]
MAX_TOOL_ROUNDS = 4


@dataclass(slots=True)
class Inbound:
    """A message from a person on some channel."""

    channel: str
    chat_id: str
    user_id: str
    text: str
    user_name: str | None = None
    speaker_id: str | None = None  # who wrote it, where `user_id` names a shared scope (a group chat)
    received_at: float = field(default_factory=time.perf_counter)

    @property
    def conversation_key(self) -> tuple[str, str, str]:
        return (self.channel, self.chat_id, self.user_id)


@dataclass(slots=True)
class TurnResult:
    user_message_id: int
    reply_message_id: int
    text: str  # everything the person saw: the reply, or a fallback line
    status: str
    language: str
    notes: list[str] = field(default_factory=list)  # what was changed in the input
    error: str | None = None


@dataclass(slots=True)
class _Reply:
    """What the model said across all tool rounds of one turn."""

    text: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    first_token_at: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model: str = ""
    done: Done | None = None
    error: ErrorEvent | None = None


class Agent:
    def __init__(
        self,
        settings: Settings,
        store: SessionStore,
        model: ChatModel,
        *,
        profile: Profile | None = None,
        tools: ToolRegistry | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.model = model
        self.profile = profile or load_profile()
        self.persona = render_persona(self.profile)
        self.persona_tokens = estimate_tokens(self.persona) + 8
        self.tools = tools or ToolRegistry()
        self.budget = working.Budget(
            context=settings.llm.context_tokens,
            reply=settings.llm.max_reply_tokens,
            history_share=settings.session.history_share,
        )

    async def turn(self, inbound: Inbound, emit: EventHandler) -> TurnResult:
        """Answer one message, sending events to `emit` as they stream. Raises `InputError` for bad input."""
        cleaned = clean_input(inbound.text)
        text = cleaned.text
        found = analyse_language(text)
        lang = found.lang
        conv = self.store.conversation(inbound.channel, inbound.chat_id, inbound.user_id, inbound.user_name)
        user_msg = self.store.add_message(
            conv.id,
            "user",
            text,
            status="received",
            language=lang,
            user_id=inbound.speaker_id or inbound.user_id,
        )

        shown, cut = working.fit_text(
            text, self.budget.for_input(self.persona_tokens), self.settings.session.max_input_chars
        )
        if cut:
            cleaned.notes.append(f"the message is too long to read whole; {cut} characters were left out")
        note = render_turn_note(
            self.profile,
            lang=lang,
            dominant=found.dominant,
            user_name=inbound.user_name,
            now=datetime.now().astimezone(),
            channel=inbound.channel,
        )
        history = self.store.history(
            conv.id,
            self.budget.for_history(self.persona_tokens, estimate_tokens(shown) + estimate_tokens(note)),
            before_id=user_msg,
        )
        messages = working.assemble(persona=self.persona, history=history, now_note=note, message=shown)
        reply_id = self.store.add_message(conv.id, "assistant", "", status="streaming", language=lang)
        context = ToolContext(inbound.channel, inbound.chat_id, inbound.user_id, conv.id)

        reply = _Reply()
        status = "interrupted"
        try:
            await self._rounds(messages, reply, context, inbound, emit)
            status, situation = _outcome(reply)
            if situation is not None:
                notice = fallback(situation, found.dominant)
                await emit(TextDelta(("\n\n" if reply.text else "") + notice))
            else:
                notice = None
        finally:
            # Runs on success, failure and cancellation alike: nothing received is ever lost.
            visible = "".join(reply.text).strip()
            now = time.perf_counter()
            self.store.update_message(
                reply_id,
                content=visible,
                reasoning="".join(reply.reasoning).strip() or None,
                tool_calls=reply.tool_calls,
                status=status,
                notice=notice if status != "interrupted" else None,
                error=reply.error.message if reply.error else None,
                model=reply.model or None,
                adapter=reply.model or None,
                completed_at=now_iso(),
                latency_ms=(now - inbound.received_at) * 1000,
                first_token_ms=_ms(reply.first_token_at, inbound.received_at),
                prompt_tokens=reply.prompt_tokens or None,
                completion_tokens=reply.completion_tokens or None,
            )
            answered = "answered" if status in ("ok", "truncated") else "unanswered"
            self.store.update_message(user_msg, status=answered)
        shown_text = visible + (("\n\n" if visible else "") + notice if notice else "")
        return TurnResult(
            user_message_id=user_msg,
            reply_message_id=reply_id,
            text=shown_text,
            status=status,
            language=lang,
            notes=cleaned.notes,
            error=reply.error.message if reply.error else None,
        )

    async def _rounds(
        self,
        messages: list[dict[str, Any]],
        reply: _Reply,
        context: ToolContext,
        inbound: Inbound,
        emit: EventHandler,
    ) -> None:
        """Stream the model; run tool calls and stream again, at most MAX_TOOL_ROUNDS times."""
        specs = self.tools.specs()
        for _ in range(MAX_TOOL_ROUNDS + 1):
            request = ChatRequest(
                messages=messages,
                thinking=self.settings.llm.thinking,
                max_tokens=self.settings.llm.max_reply_tokens,
                temperature=self.settings.llm.temperature,
                tools=specs,
            )
            calls: list[ToolCall] = []
            round_text: list[str] = []
            async for event in self.model.stream(request):
                if isinstance(event, TextDelta):
                    if reply.first_token_at is None:
                        reply.first_token_at = time.perf_counter()
                    round_text.append(event.text)
                    reply.text.append(event.text)
                elif isinstance(event, ReasoningDelta):
                    reply.reasoning.append(event.text)
                elif isinstance(event, ToolCall):
                    calls.append(event)
                elif isinstance(event, Done):
                    reply.done = event
                    reply.model = event.model or reply.model
                    reply.prompt_tokens += event.usage.prompt_tokens or 0
                    reply.completion_tokens += event.usage.completion_tokens or 0
                elif isinstance(event, ErrorEvent):
                    reply.error = event
                await emit(event)
            if reply.error is not None or not calls:
                return
            messages.append(_assistant_with_calls("".join(round_text), calls))
            for i, call in enumerate(calls):
                call_id = call.id or f"call_{len(reply.tool_calls)}_{i}"
                result = await self.tools.execute(call, context)
                reply.tool_calls.append(
                    {
                        "id": call_id,
                        "name": call.name,
                        "arguments": call.arguments,
                        "raw": call.raw,
                        "error": call.error,
                        "result": result,
                    }
                )
                messages.append({"role": "tool", "tool_call_id": call_id, "content": result})
        log.warning("tool rounds exhausted after %d rounds for %s", MAX_TOOL_ROUNDS, inbound.conversation_key)


def _assistant_with_calls(text: str, calls: list[ToolCall]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": text,
        "tool_calls": [
            {
                "id": call.id or f"call_{i}",
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments, ensure_ascii=False)},
            }
            for i, call in enumerate(calls)
        ],
    }


def _outcome(reply: _Reply) -> tuple[str, Situation | None]:
    """The stored status and, where the model gave nothing usable, which fallback line to show."""
    if reply.error is not None:
        kind = reply.error.kind
        return (
            "error",
            "unavailable" if kind == "unavailable" else "rejected" if kind == "rejected" else "broken",
        )
    visible = "".join(reply.text).strip()
    if reply.done is not None and reply.done.ended_in_thinking and not visible:
        return "truncated", "thought_too_long"
    if not visible:
        return "ok", "empty"
    if reply.done is not None and reply.done.finish_reason == "length":
        return "truncated", None
    return "ok", None


def _ms(at: float | None, start: float) -> float | None:
    return None if at is None else (at - start) * 1000
