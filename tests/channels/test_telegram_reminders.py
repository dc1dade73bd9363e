"""Reminders over Telegram: set in a real turn (the model calls `set_reminder`), fired by the scheduler,
sent by the channel's registered sender through the fake Bot API, and stored in the session tier."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from channels.telegram import TelegramChannel
from channels.telegram_stream import Pacing
from koclaw.app import App, open_app
from koclaw.config import load_settings
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.openai_server import FakeOpenAIServer, text_reply

TOKEN = "424242:AAH-fake-token-for-tests_0123456789abcdef"
ALICE, BOB = 1001, 1002


@pytest.fixture
def bot_api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI(TOKEN) as api:
        yield api


def run_bot(api: FakeBotAPI, body: Callable[[App], Awaitable[None]]) -> None:
    """Run the Telegram channel, wired to the App's deliveries as `koclaw run` does, around `body`."""

    async def main() -> None:
        settings = load_settings(
            telegram={"token": TOKEN, "base_url": api.base_url, "allowed_users": [ALICE, BOB]}
        )
        async with open_app(settings) as app:
            channel = TelegramChannel(
                settings,
                app.store,
                deliveries=app.deliveries,
                pacing=Pacing(draft_s=0.02, edit_s=0.05, typing_s=0.2),
                poll_timeout_s=1,
                grace_s=5,
            )
            stop = asyncio.Event()
            task = asyncio.create_task(channel.run(app.runtime, stop))
            try:
                await api.wait_for(lambda: api.polling, what="polling to start")
                assert app.deliveries.channels == ["telegram"]
                await body(app)
                await api.wait_for(api.all_delivered, what="every update fetched")
            finally:
                stop.set()
                assert await asyncio.wait_for(task, 30) == 0
            assert app.deliveries.channels == []  # the sender goes with the channel

    asyncio.run(main())


def test_a_reminder_set_in_japanese_is_sent_to_that_chat_in_japanese(
    server: FakeOpenAIServer, bot_api: FakeBotAPI
) -> None:
    call = {"tool": "set_reminder", "arguments": {"text": "薬を飲む", "when": "in 1 hour"}}
    server.add(
        text_reply("</think>" + json.dumps(call, ensure_ascii=False)),
        text_reply("</think>はい、先生！一時間後にお知らせしますね。"),
    )
    reminder_line = "先生、お約束の時間です：薬を飲む"

    async def body(app: App) -> None:
        bot_api.push_message(ALICE, ALICE, "一時間後に薬を飲むのを思い出させてください", first_name="Alice")
        await bot_api.wait_for(
            lambda: "はい、先生！一時間後にお知らせしますね。" in bot_api.plain_texts(ALICE),
            what="her answer",
        )
        [reminder] = app.reminders.list(f"telegram:{ALICE}")
        assert (reminder.channel, reminder.chat_id, reminder.language) == ("telegram", str(ALICE), "ja")
        assert app.reminders.list(f"telegram:{BOB}") == []
        due_in = reminder.due - datetime.now(UTC)
        assert timedelta(minutes=59) < due_in <= timedelta(hours=1)

        assert app.scheduler.reschedule(reminder.job_id, datetime.now(UTC))  # an hour passes
        await bot_api.wait_for(lambda: reminder_line in bot_api.plain_texts(ALICE), what="the reminder")
        await bot_api.wait_for(
            lambda: app.reminders.store.get(reminder.id).status == "delivered", what="delivered"
        )

        conv = app.store.conversation("telegram", str(ALICE), f"telegram:{ALICE}")
        last = app.store.messages(conv.id)[-1]
        assert (last.role, last.content, last.language, last.status) == (
            "assistant",
            reminder_line,
            "ja",
            "ok",
        )
        assert last.id == app.reminders.store.get(reminder.id).message_id

    run_bot(bot_api, body)
    assert bot_api.plain_texts(BOB) == []
    sends = [c for c in bot_api.calls_to("sendMessage", ALICE) if "お約束" in c.text]
    assert len(sends) == 1 and sends[0].params.get("parse_mode") == "HTML"


def test_a_reminder_that_fired_while_telegram_was_down_is_sent_when_it_comes_up(bot_api: FakeBotAPI) -> None:
    async def down() -> int:
        async with open_app(load_settings()) as app:  # e.g. `koclaw chat`: no Telegram sender
            due = datetime.now(UTC) + timedelta(hours=1)
            reminder = app.reminders.add(
                "telegram:1001", "telegram", str(ALICE), "会议", due, timezone="UTC", language="zh"
            )
            fired = await app.reminders.fire(reminder.id)
            assert fired is not None and fired.status == "undelivered"
            return reminder.id

    rid = asyncio.run(down())

    async def body(app: App) -> None:
        await bot_api.wait_for(lambda: bot_api.plain_texts(ALICE) == ["老师，提醒时间到啦：会议"], what="it")
        await app.reminders.drain()
        assert app.reminders.store.get(rid).status == "delivered"

    run_bot(bot_api, body)
