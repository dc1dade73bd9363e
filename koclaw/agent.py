"""One turn: store the message, build the context, stream the reply, store it (ARCHITECTURE steps 1-7).

Tools, in two styles: native calls (the server's tool-call parser, or `<tool_call>` blocks the think
filter parses) and prompt-based JSON, where the model replies with just `{"tool": NAME, "arguments":
{...}}` as the system prompt's "Tools" section teaches it. Visible text streams to the channel as it
arrives; a `JsonCallDetector` per round holds back only text that opens a line with `{` or a backtick,
and only while it can still be such a call, so a call never reaches the person and an ordinary reply
streams with no added latency. At most `MAX_TOOL_ROUNDS` rounds of tools run; then one last request
goes without tools, its last tool result saying that the limit is reached.

The message is kept from the moment it is received (`Agent.receive`, in the session's inbox) and the
reply row holds the text streamed so far (saved every `SAVE_EVERY_S` or `SAVE_EVERY_CHARS`), so
neither a restart nor a kill -9 loses what was said or shown.

What follows a turn (episodes, the rolling summary, consolidation) is the runtime's after-turn hook
(`koclaw.remember`); the history a turn sends starts after the rolling summary (`memory.summary`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from character import (
    Detection,
    analyse_language,
    load_profile,
    render_persona,
    render_short_persona,
    render_turn_note,
)
from character.profile import Profile
from koclaw.config import Settings
from koclaw.errors import StorageError
from koclaw.events import Done, ErrorEvent, Event, ReasoningDelta, TextDelta, ToolCall
from koclaw.inputs import clean_input
from koclaw.llm.base import ChatModel, ChatRequest
from koclaw.llm.tool_calls import JsonCallDetector
from koclaw.llm.tools import ToolContext, ToolRegistry, tool_error
from koclaw.replies import Situation, fallback
from koclaw.tools import default_tools
from memory import working
from memory.session import Conversation, SessionStore, now_iso
from memory.summary import SUMMARY_PROMPT as SUMMARY_PROMPT  # where it was first; tests read it here
from memory.summary import Summaries, after_summary

log = logging.getLogger(__name__)
LONG_TEXT = 4000  # characters: longer messages are analysed in a thread

EventHandler = Callable[[Event], Awaitable[None]]
# Recall from the long-term tier: (user id, the message) -> memories for the "What you remember" section.
RecallFn = Callable[[str, str], Awaitable[Sequence[working.MemoryRecord]]]

MAX_TOOL_ROUNDS = 3
TOOLS_EXHAUSTED = (
    "[Tool limit reached for this message: answer Sensei now with what you have, without tools.]"
)
NOT_RUN = "not run: the tool limit for this message is reached; answer Sensei without tools"

SAVE_EVERY_S = 1.0  # the reply row gets the text streamed so far at least this often while it grows
SAVE_EVERY_CHARS = 400  # ... or after this many new characters, whichever comes first


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
    inbox_id: int | None = None  # where it was kept on receipt (`Agent.receive`); None: not kept yet
    source_id: str | None = None  # the channel's own id of the message: one delivered twice counts once

    @property
    def conversation_key(self) -> tuple[str, str, str]:
        return (self.channel, self.chat_id, self.user_id)


@dataclass(slots=True)
class TurnResult:
    conversation_id: int
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
    row_id: int = 0  # the reply's row, which gets the text so far every so often
    chars: int = 0  # visible characters so far
    saved_chars: int = 0
    saved_at: float = 0.0
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
        recall: RecallFn | None = None,
        native_tools: bool = False,
    ) -> None:
        """`tools`: default `default_tools()`. `native_tools`: also send the OpenAI `tools` parameter
        (only for servers started with a tool-call parser; vLLM rejects it otherwise). The prompt-based
        JSON style is always taught and understood."""
        self.settings = settings
        self.store = store
        self.model = model
        self.profile = profile or load_profile()
        short = settings.llm.persona == "short"
        self.persona = (render_short_persona if short else render_persona)(self.profile)
        registry = tools if tools is not None else default_tools()
        self.tools = registry if settings.llm.tools else ToolRegistry([])
        self.recall = recall
        self.native_tools = native_tools
        self.budget = budget_for(settings)

    async def context_for(
        self,
        inbound: Inbound,
        text: str,
        found: Detection,
        conv: Conversation,
        *,
        before_id: int | None,
        now: datetime,
    ) -> tuple[working.Context, int]:
        """The exact context a turn sends for `text`, and how many characters of it were cut.

        Stores nothing, so `koclaw memory working` can show it before the turn happens.
        """
        note = render_turn_note(
            self.profile,
            lang=found.lang,
            dominant=found.dominant,
            user_name=inbound.user_name,
            now=now,
            channel=inbound.channel,
        )
        return working.assemble(
            self.budget,
            persona=self.persona,
            tools=self.tools.specs(),
            message=text,
            max_input_chars=self.settings.session.max_input_chars,
            memories=await self._recall(inbound.user_id, text),
            summary=conv.summary or None,
            history=lambda max_tokens: after_summary(
                self.store.history(conv.id, max_tokens, before_id=before_id), conv.summary_upto_id
            ),
            now_note=note,
        )

    def receive(self, inbound: Inbound) -> int:
        """Keep a message as it arrives, before it waits for its turn; returns its inbox id.

        Raises `InputError` for a message with nothing to answer (nothing is kept then), and
        `AlreadyReceived` for one whose `source_id` was kept before.
        """
        clean_input(inbound.text)
        return self.store.receive(
            inbound.channel,
            inbound.chat_id,
            inbound.user_id,
            inbound.text,
            user_name=inbound.user_name,
            speaker_id=inbound.speaker_id,
            source_id=inbound.source_id,
        )

    def abandon(self, inbound: Inbound, why: str) -> None:
        """A kept message that will get no turn: into the session as unanswered, its words kept."""
        if inbound.inbox_id is not None:
            self.store.take(inbound.inbox_id, status="unanswered", error=why)

    async def turn(self, inbound: Inbound, emit: EventHandler) -> TurnResult:
        """Answer one message, sending events to `emit` as they stream. Raises `InputError` for bad input."""
        cleaned = clean_input(inbound.text)
        text = cleaned.text
        if inbound.inbox_id is not None:  # kept on receipt: its turn takes it from the inbox
            conv, user_msg = self.store.take(inbound.inbox_id, content=text)
        else:
            conv = self.store.conversation(
                inbound.channel, inbound.chat_id, inbound.user_id, inbound.user_name
            )
            user_msg = self.store.add_message(
                conv.id, "user", text, status="received", user_id=inbound.speaker_id or inbound.user_id
            )
        # Detection is linear in the text: a long paste is read off the event loop, so it does not
        # stall every other conversation (a 1 MB body took ~0.15 s here).
        found = (
            analyse_language(text)
            if len(text) < LONG_TEXT
            else await asyncio.to_thread(analyse_language, text)
        )
        lang = found.lang
        self.store.update_message(user_msg, language=lang)

        now = datetime.now().astimezone()
        context, cut = await self.context_for(inbound, text, found, conv, before_id=user_msg, now=now)
        if cut:
            cleaned.notes.append(f"the message is too long to read whole; {cut} characters were left out")
        reply_id = self.store.add_message(conv.id, "assistant", "", status="streaming", language=lang)
        tool_context = ToolContext(
            inbound.channel,
            inbound.chat_id,
            inbound.user_id,
            conv.id,
            now=now,
            language=found.dominant,
            user_name=inbound.user_name,
            message_id=user_msg,
        )

        reply = _Reply(row_id=reply_id, saved_at=time.perf_counter())
        status = "interrupted"
        try:
            await self._within_deadline(context, reply, tool_context, inbound, emit)
            status, situation = _outcome(reply)
            if situation is not None:
                notice = fallback(situation, found.dominant)
                await emit(TextDelta(("\n\n" if reply.text else "") + notice))
            else:
                notice = None
        finally:
            # Runs on success, failure and cancellation alike: nothing received is ever lost.
            visible = "".join(reply.text).strip()
            finished = time.perf_counter()
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
                latency_ms=(finished - inbound.received_at) * 1000,
                first_token_ms=_ms(reply.first_token_at, inbound.received_at),
                prompt_tokens=reply.prompt_tokens or None,
                completion_tokens=reply.completion_tokens or None,
            )
            answered = "answered" if status in ("ok", "truncated") else "unanswered"
            self.store.update_message(user_msg, status=answered)
        shown_text = visible + (("\n\n" if visible else "") + notice if notice else "")
        return TurnResult(
            conversation_id=conv.id,
            user_message_id=user_msg,
            reply_message_id=reply_id,
            text=shown_text,
            status=status,
            language=lang,
            notes=cleaned.notes,
            error=reply.error.message if reply.error else None,
        )

    async def _recall(self, user_id: str, text: str) -> Sequence[working.MemoryRecord]:
        if self.recall is None:
            return []
        try:
            return await self.recall(user_id, text)
        except Exception:  # recall helps; a turn never fails for want of it
            log.warning("long-term recall failed for %s", user_id, exc_info=True)
            return []

    async def _within_deadline(
        self,
        context: working.Context,
        reply: _Reply,
        tool_context: ToolContext,
        inbound: Inbound,
        emit: EventHandler,
    ) -> None:
        """The model rounds, stopped at the turn's deadline: an endless stream must not keep one waiting."""
        deadline = self.settings.llm.turn_deadline_s
        timer = asyncio.timeout(deadline)
        try:
            async with timer:
                await self._rounds(context, self.tools.specs(), reply, tool_context, inbound, emit)
        except TimeoutError:
            if not timer.expired():
                raise
            log.warning("turn for %s passed its %g s deadline", inbound.conversation_key, deadline)
            reply.error = ErrorEvent(
                message=(
                    f"The reply took longer than the turn deadline ({deadline:g} s) and was stopped. If the "
                    "model is just slow, raise KOCLAW_LLM__TURN_DEADLINE_S; otherwise check the model "
                    "server (it may be generating without end)."
                ),
                kind="deadline",
                partial=bool(reply.text),
            )
            await emit(reply.error)

    async def _rounds(
        self,
        context: working.Context,
        specs: list[dict[str, Any]],
        reply: _Reply,
        tool_context: ToolContext,
        inbound: Inbound,
        emit: EventHandler,
    ) -> None:
        """Stream the model; run its tool calls and stream again, at most MAX_TOOL_ROUNDS times."""
        for round_no in range(MAX_TOOL_ROUNDS + 1):
            last = round_no == MAX_TOOL_ROUNDS
            request = ChatRequest(
                messages=context.messages,
                thinking=self.settings.llm.thinking,
                max_tokens=self.settings.llm.max_reply_tokens,
                temperature=self.settings.llm.temperature,
                tools=specs if self.native_tools and not last else [],
            )
            calls: list[ToolCall] = []
            json_style = False  # the round's call was written in the prompt's JSON style, not natively
            round_text: list[str] = []
            detector = JsonCallDetector()

            async for event in self.model.stream(request):
                if isinstance(event, TextDelta):
                    await _show(detector.feed(event.text), round_text, reply, emit)
                    self._save_partial(reply)
                    continue
                if isinstance(event, (Done, ErrorEvent)):
                    rest, json_call = detector.finish()
                    await _show(rest, round_text, reply, emit)
                    if json_call is not None:
                        json_style = not calls
                        calls.append(json_call)
                        await emit(json_call)
                if isinstance(event, ReasoningDelta):
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
            await _show(
                detector.finish()[0], round_text, reply, emit
            )  # a stream that ended with neither Done nor error
            if not calls:
                return
            ids = [call.id or f"call_{round_no}_{i}" for i, call in enumerate(calls)]
            results: list[tuple[str, str, str]] = []
            for call_id, call in zip(ids, calls, strict=True):
                if reply.error is not None:
                    result = tool_error("not run: the reply stream failed")
                elif last:
                    result = tool_error(NOT_RUN)
                else:
                    result = await self.tools.execute(call, tool_context)
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
                results.append((call_id, call.name or "?", result))
            if reply.error is not None:
                return
            if last:
                log.warning(
                    "tool rounds exhausted after %d rounds for %s", MAX_TOOL_ROUNDS, inbound.conversation_key
                )
                return
            if round_no == MAX_TOOL_ROUNDS - 1:
                call_id, name, result = results[-1]
                results[-1] = (call_id, name, f"{result}\n\n{TOOLS_EXHAUSTED}")
            text = "".join(round_text)
            written = (
                working.json_round(text, calls[0].name, calls[0].arguments)
                if json_style
                else _assistant_with_calls(text, calls, ids)
            )
            context.add_tool_round(written, results)

    def _save_partial(self, reply: _Reply) -> None:
        """Store the text shown so far in the reply row, at most every second or few hundred
        characters: a kill -9 mid-reply then loses little of what the person saw."""
        if reply.chars == reply.saved_chars or not reply.row_id:
            return
        now = time.perf_counter()
        if reply.chars - reply.saved_chars < SAVE_EVERY_CHARS and now - reply.saved_at < SAVE_EVERY_S:
            return
        reply.saved_chars, reply.saved_at = reply.chars, now
        try:
            self.store.save_partial(reply.row_id, "".join(reply.text))
        except StorageError:  # the reply goes on; the write at its end tries again
            log.warning("saving the partial reply %s failed", reply.row_id, exc_info=True)


def budget_for(settings: Settings) -> working.Budget:
    """A turn's token shares, from the model's context size and the session's share of it."""
    return working.Budget(
        context=settings.llm.context_tokens,
        reply=settings.llm.max_reply_tokens,
        history_share=settings.session.history_share,
    )


def summaries_for(settings: Settings, store: SessionStore, model: ChatModel) -> Summaries:
    """The rolling summaries of the agent's conversations: what outgrows the turn budget's session
    share is folded, each fold within the turn deadline."""
    return Summaries(store, model, budget_for(settings), settings.llm.turn_deadline_s)


async def _show(text: str, round_text: list[str], reply: _Reply, emit: EventHandler) -> None:
    """Send visible text on to the person and keep it."""
    if not text:
        return
    if reply.first_token_at is None:
        reply.first_token_at = time.perf_counter()
    round_text.append(text)
    reply.text.append(text)
    reply.chars += len(text)
    await emit(TextDelta(text))


def _assistant_with_calls(text: str, calls: list[ToolCall], ids: list[str]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": text,
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments, ensure_ascii=False)},
            }
            for call_id, call in zip(ids, calls, strict=True)
        ],
    }


_ERROR_LINES: dict[str, Situation] = {
    "unavailable": "unavailable",
    "busy": "busy",
    "rejected": "rejected",
    "deadline": "too_slow",
}


def _outcome(reply: _Reply) -> tuple[str, Situation | None]:
    """The stored status and, where the model gave nothing usable, which fallback line to show.

    Only a reply the server said it finished ("stop", "tool_calls") is "ok"; one cut by length or
    ended by `[DONE]` without a finish reason is "truncated", a broken stream an "error".
    """
    if reply.error is not None:
        return "error", _ERROR_LINES.get(reply.error.kind, "broken")
    visible = "".join(reply.text).strip()
    done = reply.done
    if done is None:  # a stream that ended with neither Done nor an error: nothing says it finished
        return "error", "broken"
    cut = done.finish_reason in (None, "length")
    if done.ended_in_thinking and not visible:
        return "truncated", "thought_too_long" if done.finish_reason == "length" else "empty"
    if not visible:
        return ("truncated" if cut else "ok"), "empty"
    return ("truncated" if cut else "ok"), None


def _ms(at: float | None, start: float) -> float | None:
    return None if at is None else (at - start) * 1000
