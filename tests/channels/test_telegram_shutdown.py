"""Flood waits (429 `retry_after`) on a reply's final message: sat out while running, but never past
the shutdown grace or `Pacing.flood_s`; a reply given up stays in the session database. A message
sent through `deliveries` (a late answer, a reminder) gets the grace too.

The real channel (PTB against the fake Bot API over HTTP), the scripted model server, real SQLite.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from channels.telegram import TelegramChannel
from koclaw.app import open_app
from koclaw.config import load_settings
from tests.channels.test_telegram import ALICE, FAST, TOKEN, Bot, run_bot, stored
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.openai_server import FakeOpenAIServer, text_reply

# PTB itself reads `RetryAfter.retry_after` while building the exception, which warns.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI(TOKEN) as fake:
        yield fake


def gave_up(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == logging.WARNING and "gave up sending" in r.message]


def test_a_flood_wait_on_the_final_message_gives_way_to_shutdown_after_the_grace(
    server: FakeOpenAIServer, api: FakeBotAPI, koclaw_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server.add(text_reply("</think>Here is my answer."))
    api.retry_after["sendMessage"] = [45]
    stopped: list[float] = []

    async def body(bot: Bot) -> None:
        api.push_message(ALICE, ALICE, "hello")
        await api.wait_for(lambda: bool(api.calls_to("sendMessage", ALICE)), what="the final message refused")
        stopped.append(time.monotonic())

    with caplog.at_level(logging.INFO):
        assert run_bot(api, body, grace_s=2) == 0
    assert time.monotonic() - stopped[0] < 30  # not the 45 s flood wait: only a hang would miss this
    assert [c.status for c in api.calls_to("sendMessage", ALICE)] == [429]
    assert not api.sent(ALICE)
    (warning,) = gave_up(caplog)
    assert str(ALICE) in warning.message
    _, messages = stored(koclaw_home)  # nothing said is lost
    assert [(m.role, m.status, m.content) for m in messages][-1] == ("assistant", "ok", "Here is my answer.")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_flood_wait_longer_than_the_cap_gives_the_reply_up_while_running(
    server: FakeOpenAIServer, api: FakeBotAPI, koclaw_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server.add(text_reply("</think>First answer."))
    server.add(text_reply("</think>Second answer."))
    api.retry_after["sendMessage"] = [45]

    async def body(bot: Bot) -> None:
        api.push_message(ALICE, ALICE, "one")
        await api.wait_for(lambda: bool(gave_up(caplog)), what="the reply given up")
        api.push_message(ALICE, ALICE, "two")
        await bot.said(ALICE, "Second answer.")  # the chat goes on

    with caplog.at_level(logging.INFO):
        assert run_bot(api, body, pacing=replace(FAST, flood_s=5)) == 0
    assert [c.status for c in api.calls_to("sendMessage", ALICE)] == [429, 200]
    assert str(ALICE) in gave_up(caplog)[0].message
    _, messages = stored(koclaw_home)
    assert [m.content for m in messages if m.role == "assistant"] == ["First answer.", "Second answer."]


def test_a_short_flood_wait_on_the_final_message_is_sat_out(
    server: FakeOpenAIServer, api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    server.add(text_reply("</think>Worth the wait."))
    api.retry_after["sendMessage"] = [1]

    async def body(bot: Bot) -> None:
        api.push_message(ALICE, ALICE, "hello")
        await bot.said(ALICE, "Worth the wait.")

    with caplog.at_level(logging.INFO):
        assert run_bot(api, body) == 0
    assert [c.status for c in api.calls_to("sendMessage", ALICE)] == [429, 200]
    assert not gave_up(caplog)


def test_a_late_answer_being_sent_at_shutdown_is_waited_for(
    api: FakeBotAPI, server: FakeOpenAIServer
) -> None:
    """Telegram has taken the message but not answered yet when shutdown starts: the channel waits (within
    the grace) instead of closing the bot under it. It did not: the send failed with a ReadError, and a
    late answer after a restart was kept as unsent and sent a second time at the next start."""
    release = threading.Event()
    api.held["sendMessage"] = release
    delivered: list[str] = []

    async def main() -> tuple[bool, int]:
        settings = load_settings(
            telegram={"token": TOKEN, "base_url": api.base_url, "allowed_users": [ALICE]}
        )
        async with open_app(settings) as app:
            channel = TelegramChannel.for_app(settings, app, pacing=FAST, poll_timeout_s=1, grace_s=60)
            stop = asyncio.Event()
            running = asyncio.create_task(channel.run(app.runtime, stop))
            await api.wait_for(lambda: app.deliveries.get("telegram") is not None, what="the sender")
            send = app.deliveries.get("telegram")
            assert send is not None

            async def deliver() -> None:
                await send(str(ALICE), "Sensei, the late answer.")
                delivered.append("sent")

            sending = asyncio.create_task(deliver())
            await api.wait_for(lambda: bool(api.calls_to("sendMessage", ALICE)), what="Telegram took it")
            stop.set()
            # Before the fix the channel closed in well under a second here, failing the send.
            done, _ = await asyncio.wait({running}, timeout=2)
            release.set()
            await sending
            return not done, await asyncio.wait_for(running, 30)

    still_waiting, code = asyncio.run(main())
    assert still_waiting and code == 0
    assert delivered == ["sent"] and api.plain_texts(ALICE) == ["Sensei, the late answer."]
