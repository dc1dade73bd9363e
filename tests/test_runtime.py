"""Ordering within a conversation, concurrency across conversations, failure isolation, shutdown."""

from __future__ import annotations

import asyncio

import pytest

from koclaw.agent import Agent, Inbound, TurnResult
from koclaw.config import load_settings
from koclaw.errors import InputError
from koclaw.events import Event
from koclaw.llm.openai_compat import OpenAICompatModel
from koclaw.runtime import Runtime, RuntimeClosed, TooManyMessages
from memory.session import SessionStore
from tests.fakes.openai_server import FakeOpenAIServer, Reply


async def _noop(event: Event) -> None:
    pass


def with_runtime(body):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        settings = load_settings()
        store = SessionStore(settings.session_db)
        model = OpenAICompatModel(settings.llm)
        runtime = Runtime(Agent(settings, store, model))
        try:
            return await body(runtime, store)
        finally:
            await runtime.shutdown(grace_s=5)
            await model.aclose()

    return asyncio.run(go())


def slow(text: str) -> Reply:
    return Reply(chunks=["</think>", *text.split(" ")], delay_s=0.05)


def test_one_conversation_is_answered_in_order(server: FakeOpenAIServer) -> None:
    server.add(slow("one a b c"), slow("two a b c"), slow("three a b c"))

    async def body(runtime: Runtime, store: SessionStore) -> list[TurnResult]:
        futures = [runtime.submit(Inbound("cli", "c", "u", f"message {i}"), _noop) for i in range(3)]
        return list(await asyncio.gather(*futures))

    results = with_runtime(body)
    assert [r.text for r in results] == ["oneabc", "twoabc", "threeabc"]
    # each request was sent only after the previous reply was stored: it carries that reply
    second, third = server.chat_requests[1]["messages"], server.chat_requests[2]["messages"]
    assert [m["content"] for m in second[1:3]] == ["message 0", "oneabc"]
    assert [m["content"] for m in third[3:5]] == ["message 1", "twoabc"]
    assert server.received[1].at > server.received[0].chunk_times[-1]


def test_conversations_run_concurrently(server: FakeOpenAIServer) -> None:
    server.add(slow("a " * 10), slow("b " * 10))

    async def body(runtime: Runtime, store: SessionStore) -> None:
        first = runtime.submit(Inbound("cli", "c1", "u1", "hi"), _noop)
        second = runtime.submit(Inbound("cli", "c2", "u2", "hi"), _noop)
        await asyncio.gather(first, second)

    with_runtime(body)
    a, b = server.received
    assert b.at < a.chunk_times[-1]  # the second began before the first had finished


def test_a_failing_turn_does_not_stop_the_others(server: FakeOpenAIServer) -> None:
    async def body(runtime: Runtime, store: SessionStore) -> tuple[BaseException | None, TurnResult]:
        async def explode(event: Event) -> None:
            raise RuntimeError("channel crashed")

        bad = runtime.submit(Inbound("cli", "c", "u", "boom"), explode)
        good = runtime.submit(Inbound("cli", "c", "u", "still fine"), _noop)
        outcome = await asyncio.gather(bad, return_exceptions=True)
        return outcome[0] if isinstance(outcome[0], BaseException) else None, await good

    error, good = with_runtime(body)
    assert isinstance(error, RuntimeError)
    assert good.text == "echo: still fine"


def test_cancelling_a_turn_stores_it_as_interrupted(server: FakeOpenAIServer) -> None:
    server.add(Reply(chunks=["</think>", *["word "] * 40], delay_s=0.05))

    async def body(runtime: Runtime, store: SessionStore) -> list[tuple[str, str]]:
        seen = asyncio.Event()

        async def watch(event: Event) -> None:
            seen.set()

        future = runtime.submit(Inbound("cli", "c", "u", "long one"), watch)
        await seen.wait()
        future.cancel()
        await asyncio.sleep(0.2)
        rows = store.db.execute("SELECT role, status FROM messages ORDER BY id").fetchall()
        return [tuple(r) for r in rows]

    assert with_runtime(body) == [("user", "unanswered"), ("assistant", "interrupted")]


def test_shutdown_refuses_new_messages(server: FakeOpenAIServer) -> None:
    async def body(runtime: Runtime, store: SessionStore) -> None:
        await runtime.shutdown()
        with pytest.raises(RuntimeClosed, match="shutting down"):
            runtime.submit(Inbound("cli", "c", "u", "late"), _noop)

    with_runtime(body)


def test_one_person_past_their_waiting_share_is_refused_and_others_go_on(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOCLAW_SESSION__MAX_WAITING", "2")
    server.add(slow("one"), slow("two"), slow("theirs"), slow("three"))

    async def body(runtime: Runtime, store: SessionStore) -> tuple[list[str], str]:
        flood = [runtime.submit(Inbound("http", "c", "u", f"message {i}"), _noop) for i in range(2)]
        with pytest.raises(TooManyMessages, match="already waiting") as refused:
            runtime.submit(Inbound("http", "c2", "u", "one too many"), _noop)  # any of their chats
        assert refused.value.retry_after_s > 0
        other = await runtime.submit(Inbound("http", "d", "v", "hello"), _noop)
        answered = [r.text for r in await asyncio.gather(*flood)]
        later = await runtime.submit(Inbound("http", "c", "u", "message 2"), _noop)  # room again
        return [*answered, later.text], other.text

    texts, other = with_runtime(body)  # replies go to requests in the order they reach the server
    assert sorted([*texts, other]) == ["one", "theirs", "three", "two"]


def test_one_person_past_their_messages_a_minute_is_refused(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOCLAW_SESSION__PER_MINUTE", "2")
    server.add(slow("a"), slow("b"), slow("c"))

    async def body(runtime: Runtime, store: SessionStore) -> list[str]:
        sent = [runtime.submit(Inbound("http", f"c{i}", "u", "hi"), _noop) for i in range(2)]
        with pytest.raises(TooManyMessages, match="in a minute") as refused:
            runtime.submit(Inbound("http", "c9", "u", "hi"), _noop)
        assert 0 < refused.value.retry_after_s <= 60
        other = runtime.submit(Inbound("http", "d", "v", "hi"), _noop)
        return sorted(r.text for r in await asyncio.gather(*sent, other))

    assert with_runtime(body) == ["a", "b", "c"]


def test_a_person_no_store_can_name_is_refused_and_bad_text_is_repaired(server: FakeOpenAIServer) -> None:
    """Whatever a channel misses: an id with a lone surrogate was a UnicodeEncodeError from SQLite."""
    server.add(slow("fine thanks"))

    async def body(runtime: Runtime, store: SessionStore) -> tuple[str, str]:
        refused = runtime.submit(Inbound("cli", "c", "u\ud800", "hi"), _noop)
        with pytest.raises(InputError, match="not valid UTF-8"):
            await refused
        result = await runtime.submit(Inbound("cli", "c", "u", "hi \udce9", user_name="k\udce9"), _noop)
        conv = store.get_conversation(result.conversation_id)
        return store.messages(result.conversation_id)[0].content, conv.user_name

    assert with_runtime(body) == ("hi \ufffd", "k\ufffd")
