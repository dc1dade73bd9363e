"""Background consolidation: after a conversation goes idle, turn what was said into facts.

The model reads the new part of the conversation and the person's most similar existing facts,
and answers with JSON operations (ADD / UPDATE / DELETE / NOOP). They are validated with
pydantic; bad JSON is retried once with the error shown, then the pass is skipped without
advancing, so the same messages are tried again next time and nothing is lost. The long-term
store merges duplicates, and its scoping means an operation can only touch this person's facts.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from koclaw.errors import KoclawError
from koclaw.llm.base import ChatModel, ChatRequest
from memory.long_term import LongTermMemory
from memory.session import Message, SessionStore

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 2  # per pass: the first answer, then one retry that shows the error
GIVE_UP_AFTER = 3  # failed passes over the same messages before they are skipped for good


class Add(BaseModel):
    op: Literal["ADD"]
    text: str = Field(min_length=1, max_length=500)
    importance: int = Field(3, ge=1, le=5)
    category: str = Field("general", max_length=40)
    source_ids: list[int] = Field(default_factory=list)


class Update(BaseModel):
    op: Literal["UPDATE"]
    id: str
    text: str = Field(min_length=1, max_length=500)
    importance: int | None = Field(None, ge=1, le=5)


class Delete(BaseModel):
    op: Literal["DELETE"]
    id: str


class Noop(BaseModel):
    op: Literal["NOOP"]


Operation = Annotated[Add | Update | Delete | Noop, Field(discriminator="op")]


class Plan(BaseModel):
    operations: list[Operation]


_PLAN = TypeAdapter(Plan)


@dataclass(slots=True)
class Outcome:
    applied: dict[str, int]
    skipped: bool = False
    error: str | None = None


PROMPT = """You maintain Kokoron's long-term memory of one person (Sensei).
Read the new conversation excerpt and the existing facts. Answer with JSON only:
{"operations": [ ... ]} where each operation is one of
  {"op": "ADD", "text": "...", "importance": 1-5, "category": "...", "source_ids": [message ids]}
  {"op": "UPDATE", "id": "existing fact id", "text": "...", "importance": 1-5}
  {"op": "DELETE", "id": "existing fact id"}   (only when Sensei said it is no longer true)
  {"op": "NOOP"}
Rules: facts are short statements about Sensei (preferences, plans, people, history, feelings);
write each fact in the language Sensei used for it; prefer UPDATE over ADD when an existing fact
covers the same thing; importance 5 = must never be forgotten, 1 = trivia; nothing to keep -> NOOP."""


def _excerpt(messages: list[Message]) -> str:
    who = {"user": "Sensei", "assistant": "Kokoron"}
    return "\n".join(
        f"[#{m.id} {m.created_at[:16]}] {who.get(m.role, m.role)}: {m.content}" for m in messages
    )


def _json_text(text: str) -> str:
    """The JSON object in an answer that may wrap it in a code fence or prose."""
    fenced = re.search(r"```(?:json)?\s*(\{.*\})\s*```", text, re.DOTALL)
    if fenced:
        return fenced.group(1)
    start, end = text.find("{"), text.rfind("}")
    return text[start : end + 1] if start != -1 and end > start else text


MemoryRunner = Callable[[Callable[[LongTermMemory], Any]], Awaitable[Any]]
"""Runs work against a `LongTermMemory`; the runtime passes its writer thread, so embedding and Chroma
calls never block the event loop."""


def inline(memory: LongTermMemory) -> MemoryRunner:
    """Run store calls on the caller's thread (tests, one-shot CLI commands)."""

    async def run(work: Callable[[LongTermMemory], Any]) -> Any:
        return work(memory)

    return run


class Consolidator:
    def __init__(self, store: SessionStore, facts: MemoryRunner, model: ChatModel) -> None:
        self.store = store
        self.facts = facts
        self.model = model

    async def run(self, conversation_id: int) -> Outcome:
        """Consolidate what this conversation said since the last successful pass."""
        conv = self.store.get_conversation(conversation_id)
        upto, failures = self.store.consolidated(conversation_id)
        new = [
            m
            for m in self.store.messages(conversation_id)
            if m.id > upto and m.role in ("user", "assistant") and m.content
        ]
        if not any(m.role == "user" for m in new):
            return Outcome(applied={})
        last = new[-1].id
        user_text = "\n".join(m.content for m in new if m.role == "user")
        existing = await self.facts(lambda lt: lt.similar(conv.user_id, user_text, 8, kinds=("fact",)))
        facts = "\n".join(
            f"- id={f.id} ({f.timestamp[:10] if f.timestamp else '?'}): {f.text}" for f in existing
        )
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": PROMPT},
            {
                "role": "user",
                "content": f"Existing facts:\n{facts or '(none)'}\n\nNew excerpt:\n{_excerpt(new)}",
            },
        ]
        error = "no answer"
        for _ in range(MAX_ATTEMPTS):
            answer, error_event = await self._complete(messages)
            if error_event is not None:
                error = error_event
                break  # the model server is the problem: retrying the JSON will not help
            try:
                plan = _PLAN.validate_json(_json_text(answer))
            except ValidationError as exc:
                error = str(exc).splitlines()[0] + ": " + "; ".join(e["msg"] for e in exc.errors()[:3])
                messages += [
                    {"role": "assistant", "content": answer},
                    {"role": "user", "content": f"That was not valid ({error}). Answer with the JSON only."},
                ]
                continue
            known = {m.id for m in new}
            applied = await self.facts(partial(_apply, user_id=conv.user_id, plan=plan, known_ids=known))
            self.store.set_consolidated(conversation_id, last, 0)
            return Outcome(applied=applied)
        failures += 1
        if failures >= GIVE_UP_AFTER:  # the excerpt stays in session and episodes; stop retrying it
            log.warning(
                "consolidation of conversation %s skipped after %d failures: %s", conv.id, failures, error
            )
            self.store.set_consolidated(conversation_id, last, 0)
        else:
            self.store.set_consolidated(conversation_id, upto, failures)
        return Outcome(applied={}, skipped=True, error=error)

    async def _complete(self, messages: list[dict[str, Any]]) -> tuple[str, str | None]:
        return await self.model.complete(ChatRequest(messages=messages, thinking=False, max_tokens=1024))


def _apply(facts: LongTermMemory, user_id: str, plan: Plan, known_ids: set[int]) -> dict[str, int]:
    counts = {"ADD": 0, "UPDATE": 0, "DELETE": 0, "NOOP": 0}
    for op in plan.operations:
        if isinstance(op, Add):
            sources = tuple(str(i) for i in op.source_ids if i in known_ids)
            facts.save_fact(
                user_id, op.text, importance=op.importance, category=op.category, source_ids=sources
            )
        elif isinstance(op, Update):
            try:
                facts.update_fact(user_id, op.id, text=op.text, importance=op.importance)
            except KoclawError:  # an id that is not this person's fact: nothing to update
                continue
        elif isinstance(op, Delete) and not facts.delete(user_id, op.id):
            continue  # not this person's fact, or already gone
        counts[op.op] += 1
    return counts


def plan_schema() -> str:
    """The operations' JSON schema, for documentation and prompts."""
    return json.dumps(Plan.model_json_schema(), ensure_ascii=False)
