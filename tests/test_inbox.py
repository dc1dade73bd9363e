"""Messages are kept from the moment they are received, and a restart answers what was left waiting;
background summaries give up at their deadline. In process: real SQLite, the real openai client and
the scripted model server over HTTP, the real `Deliveries` with a recording sender."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from koclaw import agent as agent_module
from koclaw.agent import Agent, Inbound, TurnResult, summaries_for
from koclaw.config import Settings, load_settings
from koclaw.delivery import Deliveries
from koclaw.events import Event, TextDelta
from koclaw.llm.openai_compat import OpenAICompatModel
from koclaw.recovery import Recovery, sorry_text
from koclaw.runtime import Runtime
from memory.session import SessionStore
from tests.fakes.openai_server import FakeOpenAIServer, Reply, text_reply

T = TypeVar("T")
CHAT = "4242"
WAIT_S = 60.0  # generous: the machine may be loaded


async def _noop(event: Event) -> None:
    pass


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait (polling the real stores) until `condition()` holds."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


class World:
    """One process's worth: settings, the session store, a model client, agent and runtime, with the
    rolling summaries after each turn as `koclaw.app` wires them (through the after-turn hook)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = SessionStore(settings.session_db)
        self.model = OpenAICompatModel(settings.llm)
        self.agent = Agent(settings, self.store, self.model)
        self.summaries = summaries_for(settings, self.store, self.model)
        self.runtime = Runtime(self.agent, after_turn=self._after_turn)

    async def _after_turn(self, inbound: Inbound, result: TurnResult) -> None:
        self.summaries.later(result.conversation_id)

    async def close(self) -> None:
        await self.runtime.shutdown(grace_s=5)
        await self.summaries.drain(5)
        await self.model.aclose()
        self.store.close()


def run(body: Callable[[World], Awaitable[T]], **env: Any) -> T:
    async def go() -> T:
        world = World(load_settings(**env))
        try:
            return await asyncio.wait_for(body(world), 120)
        finally:
            await world.close()

    return asyncio.run(go())


def telegram(text: str, chat: str = CHAT) -> Inbound:
    return Inbound("telegram", chat, chat, text, user_name="Sensei", speaker_id=chat)


def endless() -> Reply:
    return Reply(chunks=["</think>", "Once upon ", "a time"], endless=" and", delay_s=0.05)


def first_text() -> tuple[asyncio.Event, Callable[[Event], Awaitable[None]]]:
    seen = asyncio.Event()

    async def watch(event: Event) -> None:
        if isinstance(event, TextDelta):
            seen.set()

    return seen, watch


# -- kept on receipt -----------------------------------------------------------------------------
def test_queued_messages_are_kept_on_receipt_and_stored_in_turn_order(server: FakeOpenAIServer) -> None:
    server.add(Reply(chunks=["</think>", "one ", "two ", "three"], delay_s=0.1))

    async def body(world: World) -> tuple[list[str], list[TurnResult]]:
        seen, watch = first_text()
        futures = [world.runtime.submit(telegram("message 0"), watch)]
        await seen.wait()  # the first turn is streaming; the next two wait behind it
        futures += [world.runtime.submit(telegram(f"message {i}"), _noop) for i in (1, 2)]
        waiting = [row.content for row in world.store.inbox()]
        return waiting, list(await asyncio.gather(*futures))

    def check(world_store: SessionStore, results: list[TurnResult]) -> None:
        conv = results[0].conversation_id
        rows = [(m.role, m.content, m.status) for m in world_store.messages(conv)]
        assert rows == [
            ("user", "message 0", "answered"),
            ("assistant", "one two three", "ok"),
            ("user", "message 1", "answered"),
            ("assistant", "echo: message 1", "ok"),
            ("user", "message 2", "answered"),
            ("assistant", "echo: message 2", "ok"),
        ]
        assert world_store.inbox() == []

    async def both(world: World) -> None:
        waiting, results = await body(world)
        assert waiting == ["message 1", "message 2"]  # stored before their turns, not only in memory
        check(world.store, results)
        # the second turn saw the first reply in its history, though its message came in before it
        second = server.chat_requests[1]["messages"]
        assert [m["content"] for m in second[1:3]] == ["message 0", "one two three"]

    run(both)


@pytest.mark.parametrize("channel", ["http", "telegram"])
def test_a_caller_that_stops_waiting_before_its_turn(server: FakeOpenAIServer, channel: str) -> None:
    """An HTTP client that left gets no late answer: its message is kept as unanswered at once. A
    Telegram caller stops waiting only when the channel shuts down: that one is answered at the next
    start, so it stays in the inbox."""
    server.add(Reply(chunks=["</think>", "one ", "two"], delay_s=0.1))

    def said(text: str) -> Inbound:
        return Inbound(channel, "c", "u", text) if channel == "http" else telegram(text)

    async def body(world: World) -> tuple[list[tuple[str, str, str]], list[str]]:
        seen, watch = first_text()
        first = world.runtime.submit(said("first"), watch)
        await seen.wait()
        second = world.runtime.submit(said("never mind"), _noop)
        third = world.runtime.submit(said("and this"), _noop)
        second.cancel()
        result = await first
        await third
        kept = [(m.role, m.content, m.status) for m in world.store.messages(result.conversation_id)]
        return kept, [row.content for row in world.store.inbox()]

    kept, waiting = run(body)
    if channel == "http":
        assert (kept[2], waiting) == (("user", "never mind", "unanswered"), [])
        assert [m[1] for m in kept[3:]] == ["and this", "echo: and this"]
    else:
        assert waiting == ["never mind"] and [m[1] for m in kept[2:]] == ["and this", "echo: and this"]


# -- answered after a restart --------------------------------------------------------------------
def test_shutdown_keeps_queued_messages_and_the_next_start_answers_them_in_order(
    server: FakeOpenAIServer,
) -> None:
    server.add(endless())

    async def before_restart(world: World) -> None:
        seen, watch = first_text()
        futures = [world.runtime.submit(telegram("tell me a story"), watch)]
        await seen.wait()
        futures += [world.runtime.submit(telegram(f"and then {i}?"), _noop) for i in (1, 2)]
        await world.runtime.shutdown(grace_s=0.2)  # the story is cut; the other two never started
        assert all(f.cancelled() for f in futures)

    run(before_restart)
    sent: list[tuple[str, str]] = []

    async def after_restart(world: World) -> None:
        assert [row.content for row in world.store.inbox()] == ["and then 1?", "and then 2?"]
        deliveries = Deliveries()
        recovery = Recovery(world.store, world.runtime, deliveries)
        assert recovery.start() == 2

        async def send(chat_id: str, text: str) -> None:
            sent.append((chat_id, text))

        deliveries.register("telegram", send)  # the channel comes up: answered then
        await until(lambda: len(sent) == 2, "two late answers")
        await recovery.close(5)

    run(after_restart)
    assert sent == [(CHAT, "echo: and then 1?"), (CHAT, "echo: and then 2?")]
    store = SessionStore(load_settings().session_db)
    conv = store.conversation("telegram", CHAT, CHAT)
    rows = [(m.role, m.content[:16], m.status) for m in store.messages(conv.id)]
    assert rows == [
        ("user", "tell me a story", "unanswered"),
        ("assistant", "Once upon a time", "interrupted"),
        ("user", "and then 1?", "answered"),
        ("assistant", "echo: and then 1", "ok"),
        ("user", "and then 2?", "answered"),
        ("assistant", "echo: and then 2", "ok"),
    ]
    assert store.inbox() == []


def test_late_answers_to_one_chat_are_sent_in_order_however_slow_a_send(server: FakeOpenAIServer) -> None:
    """The turns run in order, but each late answer was sent by a task of its own: a first send still
    waiting for Telegram let the second answer overtake it."""
    sent: list[str] = []

    async def body(world: World) -> None:
        for text in ("first?", "second?"):
            world.store.receive("telegram", CHAT, CHAT, text)
        deliveries = Deliveries()
        recovery = Recovery(world.store, world.runtime, deliveries)
        assert recovery.start() == 2

        def second_turn_done() -> bool:
            rows = world.store.db.execute("SELECT content FROM messages WHERE role = 'assistant'").fetchall()
            return ("echo: second?",) in rows

        async def send(chat_id: str, text: str) -> None:
            if not sent and text == "echo: first?":  # Telegram is slow with the first
                await until(second_turn_done, "the second turn")
            sent.append(text)

        deliveries.register("telegram", send)
        await until(lambda: len(sent) == 2, "two late answers")
        await recovery.close(5)

    run(body)
    assert sent == ["echo: first?", "echo: second?"]


def test_the_restart_answers_within_bounds_and_keeps_the_rest(server: FakeOpenAIServer) -> None:
    sent: list[tuple[str, str]] = []

    async def body(world: World) -> None:
        store = world.store
        old = store.receive("telegram", "7", "7", "from yesterday")
        store.db.execute("UPDATE inbox SET received_at = '2000-01-01T00:00:00.000+00:00' WHERE id = ?", [old])
        store.db.conn.commit()
        store.receive("http", "http:bob", "bob", "the client is gone")
        for i in range(4):
            store.receive("telegram", CHAT, CHAT, f"ramen {i}?")
        deliveries = Deliveries()
        recovery = Recovery(store, world.runtime, deliveries, per_chat=2)
        assert recovery.start() == 2

        async def send(chat_id: str, text: str) -> None:
            sent.append((chat_id, text))

        deliveries.register("telegram", send)
        await until(lambda: len(sent) == 3, "two answers and one apology")
        await recovery.close(5)
        assert store.inbox() == []
        kept = store.db.execute(
            "SELECT content, status, error FROM messages WHERE role = 'user' ORDER BY id"
        ).fetchall()
        by_text = {content: (status, error) for content, status, error in kept}
        assert by_text["from yesterday"] == (
            "unanswered",
            "received before a restart, too long ago to answer",
        )
        assert by_text["the client is gone"][0] == "unanswered" and "http" in by_text["the client is gone"][1]
        assert [by_text[f"ramen {i}?"][0] for i in range(4)] == [
            "answered",
            "answered",
            "unanswered",
            "unanswered",
        ]

    run(body)
    assert sorted(sent) == sorted(
        [(CHAT, "echo: ramen 0?"), (CHAT, "echo: ramen 1?"), (CHAT, sorry_text("en"))]
    )


def test_a_crash_leaves_no_message_received_forever(tmp_path: Any) -> None:
    store = SessionStore(tmp_path / "s.db")
    conv = store.conversation("telegram", CHAT, CHAT)
    asked = store.add_message(conv.id, "user", "a question", status="received")
    reply = store.add_message(conv.id, "assistant", "half an ans", status="streaming")
    assert store.recover_interrupted() == 1
    assert store.get_message(asked).status == "unanswered"
    assert (store.get_message(reply).status, store.get_message(reply).content) == (
        "interrupted",
        "half an ans",
    )


# -- summaries have a deadline ---------------------------------------------------------------------
LONG_TURNS = [f"Turn {i}: " + "I really like ramen with extra egg. " * 40 for i in range(6)]
SMALL = {"llm": {"context_tokens": 4096, "max_reply_tokens": 512}}


def _summaries(summary: Reply) -> Callable[[dict[str, Any]], Reply]:
    def answer(body: dict[str, Any]) -> Reply:
        if body["messages"][0]["content"] == agent_module.SUMMARY_PROMPT:
            return summary
        return text_reply("</think>Noted, Sensei.")

    return answer


def test_a_hung_summary_is_cancelled_at_the_deadline_and_redone_later(server: FakeOpenAIServer) -> None:
    server.default = _summaries(Reply(hang_s=120))  # the model server hangs on the summary

    async def body(world: World) -> tuple[float, str | None]:
        for text in LONG_TURNS:
            await world.runtime.submit(telegram(text), _noop)
        await until(lambda: world.summaries.running > 0, "a summary to start")
        started = time.monotonic()
        await world.summaries.drain(0.5)  # as shutdown does, with what is left of its grace period
        took = time.monotonic() - started
        assert world.summaries.running == 0
        conv = world.store.conversation("telegram", CHAT, CHAT)
        assert conv.summary is None  # nothing marked summarised: it is redone
        server.default = _summaries(text_reply("Sensei likes ramen with extra egg."))
        await world.runtime.submit(telegram("one more"), _noop)
        await world.summaries.drain()
        return took, world.store.conversation("telegram", CHAT, CHAT).summary

    took, summary = run(body, **SMALL)
    assert took < 30  # far less than the hang, which the client would wait out for minutes
    assert summary == "Sensei likes ramen with extra egg."


def test_one_summary_gives_up_at_its_own_deadline(server: FakeOpenAIServer) -> None:
    server.default = _summaries(Reply(hang_s=120))

    async def body(world: World) -> None:
        world.summaries.deadline_s = 0.5
        for text in LONG_TURNS:
            await world.runtime.submit(telegram(text), _noop)
        await until(
            lambda: any(
                b["messages"][0]["content"] == agent_module.SUMMARY_PROMPT for b in server.chat_requests
            ),
            "a summary request",
        )
        await until(lambda: world.summaries.running == 0, "the summary to give up by itself")

    run(body, **SMALL)
