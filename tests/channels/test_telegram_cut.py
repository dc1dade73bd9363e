"""A reply cut at shutdown stays in the chat, with what was said and a note that it was cut.

The real channel (PTB against the fake Bot API over HTTP), the scripted model server, real SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from channels.telegram_stream import cut_note
from tests.channels.test_telegram import ALICE, GROUP, TOKEN, Bot, run_bot, stored
from tests.fakes.bot_api import BOT_USERNAME, FakeBotAPI
from tests.fakes.openai_server import FakeOpenAIServer, Reply


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI(TOKEN) as fake:
        yield fake


def story() -> Reply:
    return Reply(chunks=["</think>", *[f"part {i}. " for i in range(200)]], delay_s=0.1)


def test_a_private_draft_cut_at_shutdown_is_sent_with_a_note(
    server: FakeOpenAIServer, api: FakeBotAPI, koclaw_home: Path
) -> None:
    server.add(story())

    async def body(bot: Bot) -> None:
        api.push_message(ALICE, ALICE, "tell me a long story")
        await api.wait_for(
            lambda: any("part 1." in c.text for c in api.calls_to("sendMessageDraft", ALICE)),
            timeout=60,
            what="a draft with text",
        )

    assert run_bot(api, body, grace_s=0.2) == 0
    (final,) = api.plain_texts(ALICE)  # a draft alone would have vanished: now a message stays
    _, messages = stored(koclaw_home)
    assert [(m.role, m.status) for m in messages] == [("user", "unanswered"), ("assistant", "interrupted")]
    said = messages[1].content
    assert said.startswith("part 0. part 1.")
    assert final == said + "\n\n" + cut_note(said)


def test_a_group_reply_cut_at_shutdown_ends_with_the_note(
    server: FakeOpenAIServer, api: FakeBotAPI, koclaw_home: Path
) -> None:
    server.add(story())

    async def body(bot: Bot) -> None:
        api.push_message(GROUP, ALICE, f"@{BOT_USERNAME} tell me a long story", chat_type="group")
        await api.wait_for(
            lambda: any("part 1." in m.plain for m in api.sent(GROUP)), timeout=60, what="an edited message"
        )

    assert run_bot(api, body, grace_s=0.2) == 0
    (final,) = api.sent(GROUP)  # the message being edited, not a second one
    said = stored(koclaw_home)[1][1].content
    assert final.plain == said + "\n\n" + cut_note(said)


def test_a_finished_reply_gets_no_note(server: FakeOpenAIServer, api: FakeBotAPI) -> None:
    server.add(Reply(chunks=["</think>", "All ", "done."]))

    async def body(bot: Bot) -> None:
        api.push_message(ALICE, ALICE, "short one")
        await bot.said(ALICE, "All done.")

    assert run_bot(api, body) == 0
    assert api.plain_texts(ALICE) == ["All done."]
