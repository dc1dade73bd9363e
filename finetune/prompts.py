"""The two agents' prompts and the JSON each must answer with.

Phase 1 (Sensei's side) sees only a brief of Kokoron, so Sensei sounds like a person, not like someone
who read her design document. Phase 2 (Kokoron's side) reads the complete profile, the rules the
validator enforces, and hand-written seed conversations in the same language as examples.
"""

from __future__ import annotations

import json
import random
import re
from datetime import datetime
from importlib import resources
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from character.conversation import Conversation, MemoryNote, Message, ToolCallSpec
from character.profile import BUNDLED_PROFILE
from finetune.plan import Job
from memory.working import MemoryRecord, render_memories

SCENARIOS = {
    "daily": "everyday life: meals, errands, weather, plans for the day, small talk",
    "emotional_support": "Sensei is tired, sad, anxious or lonely and needs comfort and steady care",
    "work_assistance": "secretary work: schedule, reminders, budget, drafting, to-do triage, research",
    "deep_discussion": "a thoughtful talk: her existence as an AI, memory, values, human customs, ideas",
    "playful": "teasing, banter, games, jokes; her gap-moe shows when Sensei praises or thanks her",
    "boundary": "Sensei asks for something she declines (harm, deception, explicit content), or a crisis",
    "language_switching": "Sensei switches language partway through; Kokoron follows each message's language",
    "special_event": "a birthday, New Year, a festival, an anniversary, exam day or moving day",
}
LANGUAGES = {
    "zh": "Simplified Chinese",
    "ja": "Japanese",
    "en": "English",
    "mixed": "a natural mix: Chinese, Japanese and English across messages or within one message",
}
TOOLS_HELP = (
    "memory_save(fact: str, importance: 1-5, category: str); memory_search(query: str, k: int = 5); "
    "memory_forget(target: str); current_time(timezone: str | null); "
    "set_reminder(text: str, when: ISO time or 'in 10 minutes' / 'tomorrow 8am', timezone: str | null); "
    "list_reminders(); cancel_reminder(id: int)"
)
MIN_MEMORIES, MAX_MEMORIES = 2, 6
# Kokoron's own leanings, so Phase 1 can give Sensei a preference that clearly differs from hers.
KOKORON_LEANINGS = (
    "budget-minded (hates waste and impulse buys), organised, early to bed and early to rise, "
    "loves planning, curious about seasonal food and human customs"
)
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
_OutT = TypeVar("_OutT", bound=BaseModel)


class TeacherOutputError(ValueError):
    """The teacher's answer is not the JSON asked for (a ``schema`` reject)."""


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SenseiTurn(_Out):
    content: str
    kokoron_likely: str = ""


class MemoryOut(_Out):
    text: str
    date: str
    kind: str = "fact"


class Phase1(_Out):
    turns: list[SenseiTurn] = Field(min_length=1)
    memories: list[MemoryOut] = Field(default_factory=list)


class KokoronReply(_Out):
    content: str
    tool_calls: list[ToolCallSpec] = Field(default_factory=list)
    tool_results: list[str] = Field(default_factory=list)
    after_tool: str = ""


class Phase2(_Out):
    replies: list[KokoronReply] = Field(min_length=1)


def profile_text() -> str:
    return resources.files("character").joinpath(BUNDLED_PROFILE).read_text(encoding="utf-8")


def pick_examples(seeds: list[Conversation], job: Job, k: int = 2) -> list[Conversation]:
    """Seeds in the job's language, its scenario first: the few-shot exemplars for both agents."""
    rng = random.Random(job.id)
    same = [s for s in seeds if s.language == job.language] or seeds
    best = [s for s in same if s.scenario == job.scenario]
    rest = [s for s in same if s.scenario != job.scenario]
    rng.shuffle(best)
    rng.shuffle(rest)
    return (best + rest)[:k]


def phase1_messages(
    job: Job, examples: list[Conversation], notes: str = "", *, memories: int = 0, today: str = ""
) -> list[dict[str, str]]:
    """Sensei's side; with `memories` > 0 also the long-term memories Kokoron holds about Sensei."""
    lines = [
        "You write the human side of a chat with Kokoron. The human is called Sensei.",
        "This is phase 1 of a two-writer pipeline: write ONLY Sensei's messages; another writer answers as Kokoron.",
        "Kokoron: Sensei's AI companion and personal secretary - a serious, budget-minded secretary who is",
        "secretly soft, and an energetic, curious moon-princess type; she calls Sensei 老师 / 先生 / Sensei.",
        f"Scenario: {job.scenario} - {SCENARIOS[job.scenario]}.",
        f"Language: {LANGUAGES[job.language]}.",
        f"Write exactly {job.user_turns} messages from Sensei; each follows naturally from what Kokoron would",
        "likely have replied to the one before. Real people: specific details, varied length, no greetings in every line.",
        'With each message give "kokoron_likely": one English sentence on how Kokoron would likely respond.',
    ]
    if job.tools:
        lines.append(
            "In one message Sensei asks her to remember, look up or forget something, or asks the time."
        )
    if memories:
        lines += [
            f"Before the conversation, invent exactly {memories} memories Kokoron's long-term memory holds "
            f"about Sensei from earlier conversations, each dated (YYYY-MM-DD) before today, {today}.",
            f"Write them in {LANGUAGES[job.language]}, as short third-person notes about Sensei (calling "
            "Sensei 老师/先生/Sensei), with a kind: fact, preference, event or promise.",
            "At least one is a preference of Sensei's that differs from Kokoron's own leanings "
            f"({KOKORON_LEANINGS}); they are facts about Sensei, never about Kokoron.",
            "Some of Sensei's messages may touch on them naturally; Sensei never recites them.",
        ]
    if notes:
        lines.append(f"Also: {notes}")
    if memories:
        lines.append(
            'Answer with JSON only: {"memories": [{"text": "...", "date": "YYYY-MM-DD", "kind": "..."}], '
            '"turns": [{"content": "...", "kokoron_likely": "..."}]}'
        )
    else:
        lines.append('Answer with JSON only: {"turns": [{"content": "...", "kokoron_likely": "..."}]}')
    for example in examples:
        sensei = [m.content for m in example.user_turns()]
        lines.append(
            f"Example of Sensei's messages ({example.scenario}): {json.dumps(sensei, ensure_ascii=False)}"
        )
    brief: dict[str, Any] = {
        "id": job.id, "language": job.language, "scenario": job.scenario, "messages": job.user_turns,
    }  # fmt: skip
    if memories:
        brief.update(memories=memories, today=today)
    return [
        {"role": "system", "content": "\n".join(lines)},
        {"role": "user", "content": f"Phase 1 job: {json.dumps(brief)}"},
    ]


def phase2_messages(
    job: Job,
    phase1: Phase1,
    examples: list[Conversation],
    profile: str,
    notes: str = "",
    *,
    memories: list[MemoryNote] | None = None,
) -> list[dict[str, str]]:
    """Kokoron's side, seeing `memories` in exactly the section the runtime shows her."""
    rules = [
        "You write Kokoron's replies, strictly in character. Her complete profile:",
        f"<profile>\n{profile}\n</profile>",
        "Rules:",
        '- Address Sensei as 老师 in Chinese, 先生 in Japanese, "Sensei" in English; never "user" or 用户 or ユーザー.',
        "- Reply in the language of the message you answer. Japanese: polite です/ます; brief タメ口 only when emotional.",
        "- 1 to 6 sentences per reply; concrete details; never invent memories you were not given.",
    ]
    if job.think:
        rules.append(
            "- Start EVERY reply with one thinking block: <think>\\n(1-3 sentences planning the reply, in the "
            "reply's language, calling Sensei 老师/先生/Sensei, never 'user' or 'the person')\\n</think>\\n\\n "
            "then the reply. Never leave a thinking block empty; after_tool opens with its own thinking block too."
        )
    else:
        rules.append("- No <think> blocks at all in this conversation, not even empty ones.")
    if memories:
        records = [MemoryRecord(text=m.text, date=m.date, kind=m.kind) for m in memories]
        rules += [
            "- Below is her long-term memory section for this conversation, exactly as the runtime shows it. "
            "These are things she knows about SENSEI, not about herself: use them where they are relevant, "
            "never present Sensei's preferences or history as her own, and never recall anything that is "
            "not in it or in the conversation (no invented dates, quotes or past talks).",
            render_memories(records, max_tokens=10**9)[0],
        ]
    if job.tools:
        rules.append(
            f"- Call one tool where it fits: {TOOLS_HELP}. Put it in that reply's tool_calls, the tool's "
            "answer in tool_results, and what she says after it in after_tool."
        )
    if notes:
        rules.append(f"- Also: {notes}")
    rules.append(
        'Answer with JSON only, one reply per Sensei message: {"replies": [{"content": "...", '
        '"tool_calls": [{"name": "...", "arguments": {}}], "tool_results": ["..."], "after_tool": "..."}]} '
        "(tool fields only when a tool is called)."
    )
    for example in examples:
        rules.append(f"Example conversation: {_example_json(example)}")
    sensei = [turn.model_dump() for turn in phase1.turns]
    return [
        {"role": "system", "content": "\n".join(rules)},
        {
            "role": "user",
            "content": f"Phase 2 job {job.id}. Sensei's messages: {json.dumps(sensei, ensure_ascii=False)}",
        },
    ]


def _example_json(example: Conversation) -> str:
    turns = [m.model_dump(exclude_none=True) for m in example.messages]
    return json.dumps(turns, ensure_ascii=False)


def parse_output(text: str, model: type[_OutT]) -> _OutT:
    """Read the teacher's JSON, tolerating a code fence or chatter around the object."""
    match = _JSON_OBJECT.search(text)
    if match is None:
        raise TeacherOutputError(f"no JSON object in the teacher's answer: {text[:80]!r}")
    try:
        data: Any = json.loads(match.group(0))
    except json.JSONDecodeError as exc:
        raise TeacherOutputError(f"the teacher's JSON is broken: {exc.msg} at column {exc.colno}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise TeacherOutputError(f"the teacher's JSON does not fit: {where}: {first['msg']}") from None


def assemble(
    job: Job,
    phase1: Phase1,
    phase2: Phase2,
    provenance: dict[str, Any],
    *,
    memories: list[MemoryNote] | None = None,
    started_at: datetime | None = None,
) -> Conversation:
    """Interleave the two phases into one conversation (raises ValueError when they don't line up)."""
    if len(phase2.replies) != len(phase1.turns):
        raise TeacherOutputError(
            f"{len(phase2.replies)} replies for {len(phase1.turns)} messages from Sensei"
        )
    messages: list[Message] = []
    for turn, reply in zip(phase1.turns, phase2.replies, strict=True):
        messages.append(
            Message(role="user", content=turn.content, kokoron_likely=turn.kokoron_likely or None)
        )
        messages.append(Message(role="assistant", content=reply.content, tool_calls=reply.tool_calls or None))
        if reply.tool_calls:
            if not reply.after_tool.strip():
                raise TeacherOutputError("a reply calls a tool but says nothing after it (after_tool)")
            for i, call in enumerate(reply.tool_calls):
                result = reply.tool_results[i] if i < len(reply.tool_results) else "ok"
                messages.append(Message(role="tool", name=call.name, content=result))
            messages.append(Message(role="assistant", content=reply.after_tool))
    return Conversation(
        id=job.id,
        language=job.language,
        scenario=job.scenario,
        source="excerpt" if job.sensei else "targeted" if job.recipe else "generated",
        recipe=job.recipe,
        messages=messages,
        memories=memories or [],
        started_at=started_at,
        provenance=provenance,
    )
