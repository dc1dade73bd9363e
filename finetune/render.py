"""Training samples rendered exactly as the runtime sends a turn: the Soul learns what it is served.

One sample per model round (a reply, or one tool call): its ``messages`` are what the runtime's context
builder (:func:`memory.working.build`, the code ``koclaw memory working`` shows) would send for that
round, and its ``completion`` is the text the model writes after the chat template's generation prompt.
The trainer renders ``messages`` with the base model's own inference template (``add_generation_prompt``,
``enable_thinking`` as below), so the prompt is byte-for-byte what vLLM renders for the runtime.

**Thinking policy.** A round whose data opens with a non-empty ``<think>`` block is a thinking-on request:
the template's prompt ends in ``<think>\\n`` and the completion is ``thinking</think>\\n\\nreply<|im_end|>``.
A round without one is a thinking-off request: the prompt ends in the template's closed empty block and the
completion is the reply alone. So an empty think block is never a training target, and with thinking on
(the runtime's default) the model always thinks. Earlier turns appear as the session stores them (visible
text only, thinking and tool rounds dropped), which is also what the inference template does to them.

**Tools.** One tool-call format end to end: the JSON object the Tools section teaches
(``{"tool": ..., "arguments": ...}``, :func:`memory.working.json_call`), one call per round, as the
runtime's detector parses it; earlier rounds and their results come back in the runtime's own messages
(:func:`memory.working.json_round`, :func:`memory.working.tool_result_message`).

Why samples and not whole conversations: the inference template drops the thinking of every turn before
the newest message, so one sequence cannot hold several thinking turns the way inference shows them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

from character import BaseLang, Profile, analyse_language, load_profile, render_persona, render_turn_note
from character.conversation import Conversation, Message
from finetune.validate import split_think
from memory import working

SystemMode = Literal["runtime", "none"]
SYSTEM_MODES: tuple[SystemMode, ...] = ("runtime", "none")
END = "<|im_end|>"
"""Qwen's end of turn: the last token of every completion (the generation stops on it)."""
CHANNELS = ("telegram", "cli", "http")
ZONES = {
    "zh": timezone(timedelta(hours=8), "CST"),
    "ja": timezone(timedelta(hours=9), "JST"),
    "en": UTC,
}
TURN_GAP = timedelta(minutes=3)


@dataclass(frozen=True)
class TurnSample:
    """One model round: the messages the runtime sends, and what the model should write."""

    id: str
    messages: list[dict[str, Any]]
    thinking: bool
    completion: str
    lang: BaseLang
    tool: str | None = None  # the tool this round calls, if it calls one

    @property
    def conversation(self) -> str:
        """The id of the conversation this round is from (ids are ``<conversation>#<turn>.<round>``)."""
        return self.id.split("#", 1)[0]

    def prompt(self, tokenizer: Any) -> str:
        """The prompt as the server renders it (no native tools: the runtime teaches them in text)."""
        text: str = tokenizer.apply_chat_template(
            self.messages, tokenize=False, add_generation_prompt=True, enable_thinking=self.thinking
        )
        return text


@dataclass(frozen=True)
class Setting:
    """What the runtime would know around a conversation: persona, tools and the character (built once per
    run, so the profile is read once, not once per turn)."""

    persona: str
    tools: list[dict[str, Any]]
    channel: str | None = None  # None: each conversation gets one of CHANNELS (hash of its id)
    profile: Profile = field(default_factory=load_profile, repr=False)  # renders the `# Now` notes

    @classmethod
    def served(cls, profile: Profile | None = None, channel: str | None = None) -> Setting:
        from koclaw.tools import served_specs

        profile = profile or load_profile()
        return cls(render_persona(profile), served_specs(), channel, profile)


def setting_for(system: SystemMode, persona: bool = True, tools: bool = True) -> Setting | None:
    """The runtime's setting for `system` (persona or tools left out on request); None for the bare chat."""
    if system == "none":
        return None
    served = Setting.served()
    return replace(served, persona=served.persona if persona else "", tools=served.tools if tools else [])


def samples_of(
    conversations: Iterable[Conversation],
    system: SystemMode,
    setting: Setting | None = None,
    history_turns: int | None = None,
) -> list[TurnSample]:
    """Every round of every conversation (:func:`turn_samples`), with one setting for them all.

    Why one helper: training, export and evaluation must render the same samples the same way.
    """
    if system == "runtime" and setting is None:
        setting = setting_for(system)
    return [s for c in conversations for s in turn_samples(c, system, setting, history_turns)]


def completion(thinking: str | None, text: str) -> str:
    """The model's output for one round under the thinking policy (see the module docstring)."""
    head = f"{thinking.strip()}\n</think>\n\n" if thinking and thinking.strip() else ""
    return f"{head}{text}{END}"


def turn_samples(
    conversation: Conversation,
    system: SystemMode = "runtime",
    setting: Setting | None = None,
    history_turns: int | None = None,
) -> list[TurnSample]:
    """Every round of Kokoron's in `conversation`, rendered as the runtime would send it.

    `history_turns`: earlier exchanges kept in each sample (None: all), as the runtime's history budget
    keeps only the newest ones on a model with a small context.
    """
    if system == "runtime" and setting is None:
        setting = Setting.served()
    messages = [m for m in conversation.messages if m.role != "system"]
    samples: list[TurnSample] = []
    history: list[dict[str, Any]] = []
    turn_no = 0
    i = 0
    while i < len(messages):
        user = messages[i]
        j = i + 1
        while j < len(messages) and messages[j].role != "user":
            j += 1
        found = analyse_language(user.content)
        if history_turns is not None:
            history = history[len(history) - 2 * history_turns :] if history_turns else []
        if system == "runtime":
            assert setting is not None
            head = _runtime_head(conversation, setting, history, user.content, found, turn_no)
        else:
            head = [*history, {"role": "user", "content": user.content}]
        samples.extend(_rounds(f"{conversation.id}#{i}", head, messages[i + 1 : j], found.dominant))
        history.append({"role": "user", "content": user.content})
        shown = "".join(split_think(m.content)[1] for m in messages[i + 1 : j] if m.role == "assistant")
        history.append({"role": "assistant", "content": shown})
        turn_no += 1
        i = j
    return samples


def _runtime_head(
    conversation: Conversation,
    setting: Setting,
    history: list[dict[str, Any]],
    text: str,
    found: Any,
    turn_no: int,
) -> list[dict[str, Any]]:
    """The messages of `working.build` for this turn: the same sections and note the runtime sends."""
    from memory.session import Message as Stored

    key = int(hashlib.blake2b(conversation.id.encode(), digest_size=8).hexdigest(), 16)
    note = render_turn_note(
        setting.profile,
        lang=found.lang,
        dominant=found.dominant,
        user_name=None,
        now=when(conversation, key, turn_no),
        channel=setting.channel or CHANNELS[key % len(CHANNELS)],
    )
    memories = [working.MemoryRecord(m.text, m.date, m.kind) for m in conversation.memories]
    stored = [_stored(Stored, n, m) for n, m in enumerate(history, 1)]
    context = working.build(
        persona=setting.persona,
        tools=setting.tools,
        memories=memories,
        history=stored,
        now_note=note,
        message=text,
    )
    return context.messages


def _stored(kind: Any, number: int, message: dict[str, Any]) -> Any:
    """A history row as `SessionStore.history` hands it to `working.build` (only role and content count)."""
    return kind(
        id=number,
        conversation_id=0,
        role=message["role"],
        content=message["content"],
        status="ok",
        created_at="",
    )


def when(conversation: Conversation, key: int, turn_no: int) -> datetime:
    """The turn's time: from `started_at`, else a fixed time of its own (hash of the id) in the
    conversation's zone, so the `# Now` notes vary across samples but never across runs."""
    if conversation.started_at is not None:
        start = conversation.started_at
    else:
        zone = ZONES.get(conversation.language, UTC)
        day = datetime(2025, 1, 1, tzinfo=zone) + timedelta(days=key % 730)
        start = day + timedelta(minutes=7 * 60 + (key >> 16) % (16 * 60))
    return start + turn_no * TURN_GAP


def _rounds(
    prefix: str, head: list[dict[str, Any]], turn: Sequence[Message], lang: BaseLang
) -> list[TurnSample]:
    """One sample per reply and per tool call of one turn; later rounds see the earlier ones."""
    messages = list(head)
    results = [m for m in turn if m.role == "tool"]
    samples: list[TurnSample] = []
    round_no = 0
    for message in turn:
        if message.role != "assistant":
            continue
        thinking, visible = split_think(message.content)
        calls = list(message.tool_calls or ())
        if not calls:
            if visible.strip():
                samples.append(
                    TurnSample(
                        f"{prefix}.{round_no}",
                        list(messages),
                        bool(thinking and thinking.strip()),
                        completion(thinking, visible),
                        lang,
                    )
                )
            continue
        for n, call in enumerate(calls):
            text = visible if n == 0 and visible.strip() else ""
            text = f"{text.rstrip()}\n" if text else ""
            think = thinking if n == 0 else None
            written = text + working.json_call(call.name, call.arguments)
            samples.append(
                TurnSample(
                    f"{prefix}.{round_no}",
                    list(messages),
                    bool(think and think.strip()),
                    completion(think, written),
                    lang,
                    call.name,
                )
            )
            result = results.pop(0).content if results else ""
            messages.append(working.json_round(text, call.name, call.arguments))
            messages.append(working.tool_result_message(f"call_{round_no}_0", call.name, result))
            round_no += 1
    return samples
