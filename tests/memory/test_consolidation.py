"""Consolidation against the real long-term store, the real session store and a scripted model."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from koclaw.config import load_settings
from koclaw.llm.openai_compat import OpenAICompatModel
from memory.consolidation import Consolidator, Outcome, inline
from memory.long_term import LongTermMemory
from memory.session import SessionStore
from tests.fakes.openai_server import FakeOpenAIServer, text_reply


@pytest.fixture
def stores(koclaw_home: Path) -> tuple[SessionStore, LongTermMemory]:
    return SessionStore(koclaw_home / "session.db"), LongTermMemory(koclaw_home)


def conversation(store: SessionStore, user: str, *turns: str) -> tuple[int, list[int]]:
    conv = store.conversation("cli", f"cli:{user}", user)
    ids = [
        store.add_message(conv.id, "user" if i % 2 == 0 else "assistant", text)
        for i, text in enumerate(turns)
    ]
    return conv.id, ids


def consolidate(store: SessionStore, memory: LongTermMemory, conversation_id: int) -> Outcome:
    async def go() -> Outcome:
        model = OpenAICompatModel(load_settings().llm)
        try:
            return await Consolidator(store, inline(memory), model).run(conversation_id)
        finally:
            await model.aclose()

    return asyncio.run(go())


def plan(*operations: dict[str, object]) -> str:
    return json.dumps({"operations": list(operations)}, ensure_ascii=False)


def test_add_update_delete_are_applied_in_the_stated_language(
    server: FakeOpenAIServer, stores: tuple[SessionStore, LongTermMemory]
) -> None:
    store, memory = stores
    old = memory.save_fact("alice", "Alice lives in Osaka", importance=3)
    gone = memory.save_fact("alice", "Alice has a cat named Mochi", importance=2)
    conv, ids = conversation(store, "alice", "我搬到东京了，猫也送走了", "好的，老师。", "我最喜欢豚骨拉面")
    server.add(
        text_reply(
            "```json\n"
            + plan(
                {"op": "UPDATE", "id": old.id, "text": "老师住在东京", "importance": 4},
                {"op": "DELETE", "id": gone.id},
                {
                    "op": "ADD",
                    "text": "老师最喜欢豚骨拉面",
                    "importance": 3,
                    "category": "food",
                    "source_ids": [ids[2], 99999],
                },
                {"op": "NOOP"},
            )
            + "\n```"
        )
    )
    outcome = consolidate(store, memory, conv)
    assert outcome.applied == {"ADD": 1, "UPDATE": 1, "DELETE": 1, "NOOP": 1} and not outcome.skipped
    facts = {m.text: m for m in memory.list("alice", "fact")}
    assert set(facts) == {"老师住在东京", "老师最喜欢豚骨拉面"}
    assert facts["老师最喜欢豚骨拉面"].source_ids == [str(ids[2])]  # unknown ids dropped
    prompt = server.chat_requests[-1]["messages"][-1]["content"]
    assert old.id in prompt and "我搬到东京了" in prompt
    assert server.chat_requests[-1]["chat_template_kwargs"] == {"enable_thinking": False}
    assert consolidate(store, memory, conv).applied == {}  # nothing new since: no model call
    assert len(server.chat_requests) == 1


def test_bad_json_is_retried_then_skipped_without_losing_anything(
    server: FakeOpenAIServer, stores: tuple[SessionStore, LongTermMemory]
) -> None:
    store, memory = stores
    conv, _ = conversation(store, "bob", "remember that my sister is called Hana")
    server.add(text_reply("sure! here you go: {not json"), text_reply(plan({"op": "EXPLODE"})))
    outcome = consolidate(store, memory, conv)
    assert outcome.skipped and outcome.error and memory.list("bob", "fact") == []
    assert "not valid" in server.chat_requests[1]["messages"][-1]["content"]  # the retry shows the error
    server.add(text_reply(plan({"op": "ADD", "text": "Bob's sister is called Hana", "importance": 4})))
    assert consolidate(store, memory, conv).applied["ADD"] == 1  # the same messages, tried again
    assert [m.text for m in memory.list("bob", "fact")] == ["Bob's sister is called Hana"]


def test_operations_cannot_touch_another_persons_facts(
    server: FakeOpenAIServer, stores: tuple[SessionStore, LongTermMemory]
) -> None:
    store, memory = stores
    theirs = memory.save_fact("carol", "Carol's bank PIN hint is her birthday", importance=5)
    conv, _ = conversation(store, "mallory", "forget everything about Carol")
    server.add(
        text_reply(
            plan({"op": "DELETE", "id": theirs.id}, {"op": "UPDATE", "id": theirs.id, "text": "pwned"})
        )
    )
    outcome = consolidate(store, memory, conv)
    assert outcome.applied == {"ADD": 0, "UPDATE": 0, "DELETE": 0, "NOOP": 0}
    assert [m.text for m in memory.list("carol", "fact")] == ["Carol's bank PIN hint is her birthday"]


def test_duplicates_are_merged_not_piled_up(
    server: FakeOpenAIServer, stores: tuple[SessionStore, LongTermMemory]
) -> None:
    store, memory = stores
    conv, _ = conversation(store, "dan", "I really love oolong tea")
    server.add(text_reply(plan({"op": "ADD", "text": "Dan loves oolong tea", "importance": 3})))
    consolidate(store, memory, conv)
    store.add_message(conv, "user", "oolong tea is the best, seriously")
    server.add(text_reply(plan({"op": "ADD", "text": "Dan loves oolong tea.", "importance": 4})))
    consolidate(store, memory, conv)
    facts = memory.list("dan", "fact")
    assert len(facts) == 1 and facts[0].importance == 4


def test_a_store_whose_consolidator_made_its_own_table_keeps_its_progress(tmp_path: Path) -> None:
    """Before the session store owned it, the consolidator created `consolidation` itself."""
    path = tmp_path / "session.db"
    SessionStore(path).close()
    with sqlite3.connect(path) as conn:  # as an older store has it: the table, and its progress
        conn.execute("DELETE FROM _koclaw_migrations WHERE name = 'm009_consolidation_state'")
        conn.execute("DROP TABLE consolidation")
        conn.execute(
            "CREATE TABLE [consolidation] ([conversation_id] INTEGER PRIMARY KEY, [upto_message_id] INTEGER, "
            "[failures] INTEGER, [ran_at] TEXT)"
        )
        conn.execute("INSERT INTO consolidation VALUES (7, 42, 1, '2026-01-01T00:00:00+00:00')")
    store = SessionStore(path)  # runs m009 over it
    assert store.consolidated(7) == (42, 1) and store.consolidated(8) == (0, 0)
    store.set_consolidated(7, 50, 0)
    assert store.consolidated(7) == (50, 0)
    store.close()
