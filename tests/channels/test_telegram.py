"""The Telegram channel end to end: the real PTB Application (through `TelegramChannel.run`)
against a fake Bot API over HTTP, the scripted model server, and real SQLite."""

from __future__ import annotations

import asyncio
import html
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from channels.telegram import TelegramChannel
from channels.telegram_format import MAX_MESSAGE, escape, split_text, telegram_length
from channels.telegram_logs import MASK, TokenRedactor
from channels.telegram_stream import Pacing
from koclaw import phrases, soul
from koclaw.app import App, open_app
from koclaw.config import load_settings
from koclaw.replies import fallback
from memory.session import Message, SessionStore
from tests.fakes.bot_api import BOT_USERNAME, FakeBotAPI
from tests.fakes.openai_server import FakeOpenAIServer, Reply, text_reply

TOKEN = "424242:AAH-fake-token-for-tests_0123456789abcdef"
ALICE, BOB, ADMIN, STRANGER = 1001, 1002, 1009, 6666
GROUP = -100500
FAST = Pacing(draft_s=0.02, edit_s=0.05, typing_s=0.2)


@pytest.fixture
def bot_api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI(TOKEN) as api:
        yield api


@dataclass
class Bot:
    api: FakeBotAPI
    app: App
    channel: TelegramChannel

    async def said(self, chat_id: int, text: str, count: int = 1) -> None:
        """Wait until the bot's messages in `chat_id` include `text` (as shown) `count` times."""
        await self.api.wait_for(
            lambda: self.api.plain_texts(chat_id).count(text) >= count, what=f"{text!r} in chat {chat_id}"
        )

    async def messages(self, chat_id: int, count: int) -> list[str]:
        await self.api.wait_for(lambda: len(self.api.sent(chat_id)) >= count, what=f"{count} messages")
        return self.api.plain_texts(chat_id)


def run_bot(
    api: FakeBotAPI,
    body: Callable[[Bot], Awaitable[None]],
    *,
    allowed: tuple[int, ...] = (ALICE, BOB, ADMIN),
    admins: tuple[int, ...] = (ADMIN,),
    token: str = TOKEN,
    **channel_options: Any,
) -> int:
    """Run the channel until `body` is done and every pushed update was fetched; returns its exit code.

    Stopping waits for every handler, so what was not sent by then was never going to be.
    """

    async def main() -> int:
        settings = load_settings(
            telegram={
                "token": token,
                "base_url": api.base_url,
                "allowed_users": list(allowed),
                "admin_users": list(admins),
            }
        )
        async with open_app(settings) as app:
            options: dict[str, Any] = {"pacing": FAST, "poll_timeout_s": 1, "grace_s": 5, **channel_options}
            channel = TelegramChannel.for_app(settings, app, **options)
            stop = asyncio.Event()
            task = asyncio.create_task(channel.run(app.runtime, stop))
            try:
                await api.wait_for(lambda: api.polling or task.done(), what="polling to start")
                if not task.done():
                    await body(Bot(api, app, channel))
                    await api.wait_for(api.all_delivered, what="every update fetched")
            finally:
                stop.set()
                code = await asyncio.wait_for(task, 30)
        return code

    return asyncio.run(main())


def stored(home: Path) -> tuple[list[dict[str, Any]], list[Message]]:
    store = SessionStore(home / "session.db")
    try:
        conversations = store.list_conversations(limit=100)
        messages = [m for c in sorted(conversations, key=lambda c: c["id"]) for m in store.messages(c["id"])]
        return conversations, messages
    finally:
        store.close()


def all_params(api: FakeBotAPI) -> str:
    return "\n".join(repr(c.params) for c in api.calls)


# -- conversations -------------------------------------------------------------------------------
def test_private_chat_streams_drafts_then_sends_the_reply_escaped(
    server: FakeOpenAIServer, bot_api: FakeBotAPI, koclaw_home: Path
) -> None:
    server.add(
        Reply(
            chunks=[
                "SECRET-THOUGHT about tags",
                "</think>\n\n",
                "Sensei, ",
                "<b>bold</b> ",
                "& co ",
                "are here.",
            ],
            delay_s=0.05,
        )
    )
    reply = "Sensei, <b>bold</b> & co are here."

    async def body(bot: Bot) -> None:
        bot_api.push_message(ALICE, ALICE, "Hello Kokoron, who is here?", first_name="Alice")
        await bot.said(ALICE, reply)

    assert run_bot(bot_api, body) == 0

    drafts = bot_api.calls_to("sendMessageDraft", ALICE)
    finals = bot_api.calls_to("sendMessage", ALICE)
    assert drafts and len(finals) == 1
    assert finals[0].text == "Sensei, &lt;b&gt;bold&lt;/b&gt; &amp; co are here." == escape(reply)
    assert finals[0].params["parse_mode"] == "HTML"
    assert {d.params["draft_id"] for d in drafts} != {0} and len({d.params["draft_id"] for d in drafts}) == 1
    shown = [d.text for d in drafts]
    assert all(escape(reply).startswith(text) for text in shown)  # growing previews of the reply
    assert all(d.params["parse_mode"] == "HTML" for d in drafts)
    order = [c.method for c in bot_api.calls if c.chat_id == ALICE]
    assert order.index("sendChatAction") < order.index("sendMessageDraft") < order.index("sendMessage")
    assert bot_api.calls_to("sendChatAction", ALICE)[0].params["action"] == "typing"
    assert "SECRET" not in all_params(bot_api)  # thinking never reaches the chat

    conversations, messages = stored(koclaw_home)
    assert [(c["channel"], c["chat_id"], c["user_id"], c["user_name"]) for c in conversations] == [
        ("telegram", str(ALICE), f"telegram:{ALICE}", "Alice")
    ]
    user, answer = messages
    assert (user.role, user.content, user.status, user.user_id) == (
        "user",
        "Hello Kokoron, who is here?",
        "answered",
        f"telegram:{ALICE}",
    )
    assert (answer.content, answer.status) == (reply, "ok")
    assert "SECRET-THOUGHT" in (answer.reasoning or "")  # kept in the session tier, never shown


def test_group_answers_mentions_and_replies_with_edits_in_a_shared_scope(
    server: FakeOpenAIServer, bot_api: FakeBotAPI, koclaw_home: Path
) -> None:
    server.add(
        Reply(chunks=["</think>", "Good ", "morning, ", "everyone", "!"], delay_s=0.1),
        text_reply("</think>You're welcome, Sensei."),
    )

    async def body(bot: Bot) -> None:
        bot_api.push_message(GROUP, ALICE, "nobody called her", chat_type="supergroup")
        mention = bot_api.push_message(
            GROUP, BOB, f"@{BOT_USERNAME} good morning", chat_type="supergroup", first_name="Bob"
        )
        await bot.said(GROUP, "Good morning, everyone!")
        first = bot_api.sent(GROUP)[0]
        assert first.reply_to == mention["message_id"]  # answers the message that called her
        bot_api.push_message(GROUP, ALICE, "thanks!", chat_type="supergroup", reply_to=first.message_id)
        await bot.said(GROUP, "You're welcome, Sensei.")

    assert run_bot(bot_api, body) == 0

    assert not bot_api.calls_to("sendMessageDraft")  # drafts are for private chats only
    assert bot_api.calls_to("editMessageText", GROUP)  # streamed by editing the first message
    assert len(server.received) == 2  # the unaddressed message never reached the model
    conversations, messages = stored(koclaw_home)
    assert [(c["chat_id"], c["user_id"]) for c in conversations] == [(str(GROUP), f"telegram:group:{GROUP}")]
    users = [(m.content, m.user_id) for m in messages if m.role == "user"]
    assert users == [("good morning", f"telegram:{BOB}"), ("thanks!", f"telegram:{ALICE}")]


def test_draft_failure_falls_back_to_editing_a_message(
    server: FakeOpenAIServer, bot_api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    bot_api.fail_drafts = True
    server.add(
        Reply(chunks=["</think>", "One, ", "two, ", "three, ", "four."], delay_s=0.1),
        text_reply("</think>Again, Sensei."),
    )

    async def body(bot: Bot) -> None:
        bot_api.push_message(ALICE, ALICE, "count for me")
        await bot.said(ALICE, "One, two, three, four.")
        bot_api.push_message(ALICE, ALICE, "again")
        await bot.said(ALICE, "Again, Sensei.")

    with caplog.at_level(logging.INFO):
        assert run_bot(bot_api, body) == 0

    drafts = bot_api.calls_to("sendMessageDraft", ALICE)
    assert len(drafts) == 1 and drafts[0].status == 400  # tried once; the chat is remembered
    assert bot_api.calls_to("editMessageText", ALICE)
    assert [m.plain for m in bot_api.sent(ALICE)] == ["One, two, three, four.", "Again, Sensei."]
    assert "sendMessageDraft failed" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# PTB itself reads `RetryAfter.retry_after` while building the exception, which warns.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_flood_wait_and_not_modified_are_handled(
    server: FakeOpenAIServer, bot_api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    words = [f"word{i} " for i in range(25)]
    server.add(Reply(chunks=["</think>", *words], delay_s=0.1))
    bot_api.retry_after["editMessageText"] = [1]
    bot_api.not_modified = 1

    async def body(bot: Bot) -> None:
        bot_api.push_message(GROUP, ALICE, f"@{BOT_USERNAME} list words", chat_type="group")
        await bot.said(GROUP, "".join(words).strip())

    with caplog.at_level(logging.INFO):
        assert run_bot(bot_api, body) == 0

    edits = bot_api.calls_to("editMessageText", GROUP)
    statuses = [e.status for e in edits]
    assert statuses.index(429) < statuses.index(400) < len(statuses) - 1
    assert statuses[-1] == 200  # editing went on after the flood wait and the "not modified"
    assert len(bot_api.sent(GROUP)) == 1
    assert "flood control" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def paragraph(i: int) -> str:
    sentence = f"Paragraph {i} talks about budgets & <plans> for the week. "
    return (sentence * 12).strip()


def test_a_long_reply_is_split_at_paragraphs_and_every_piece_fits(
    server: FakeOpenAIServer, bot_api: FakeBotAPI
) -> None:
    reply = "\n\n".join(paragraph(i) for i in range(15))
    assert len(reply) > 10_000
    chunks = [reply[i : i + 700] for i in range(0, len(reply), 700)]
    server.add(Reply(chunks=["</think>", *chunks], delay_s=0.01))

    async def body(bot: Bot) -> None:
        bot_api.push_message(ALICE, ALICE, "plan my week in detail")
        await bot.api.wait_for(
            lambda: "".join("".join(bot_api.plain_texts(ALICE)).split()) == "".join(reply.split()),
            what="the whole reply",
        )

    assert run_bot(bot_api, body) == 0

    sent = bot_api.calls_to("sendMessage", ALICE)
    pieces = [html.unescape(c.text) for c in sent]
    assert len(pieces) >= 3
    for call in [*sent, *bot_api.calls_to("sendMessageDraft", ALICE)]:
        assert telegram_length(call.text) <= MAX_MESSAGE  # escaped, as sent
    assert "\n\n".join(pieces) == reply  # cut only between paragraphs
    assert pieces == split_text(reply)  # streaming commits the same cuts as a split at the end


# -- access ----------------------------------------------------------------------------------------
def test_a_stranger_gets_one_refusal_per_cooldown_and_nothing_reaches_model_or_memory(
    server: FakeOpenAIServer, bot_api: FakeBotAPI, koclaw_home: Path
) -> None:
    now = [1000.0]
    server.add(text_reply("</think>Hi Alice."))

    async def body(bot: Bot) -> None:
        bot_api.push_message(STRANGER, STRANGER, "こんにちは、誰ですか？")
        await bot.messages(STRANGER, 1)
        bot_api.push_message(STRANGER, STRANGER, "hello?")
        bot_api.push_message(STRANGER, STRANGER, "/start")
        bot_api.push_message(GROUP, STRANGER, f"@{BOT_USERNAME} hi", chat_type="group")
        bot_api.push_message(ALICE, ALICE, "hi")  # handled after the stranger's messages arrived
        await bot.said(ALICE, "Hi Alice.")
        now[0] += 601  # the cooldown is over: one more refusal
        bot_api.push_message(STRANGER, STRANGER, "still there?")
        await bot.messages(STRANGER, 2)

    assert run_bot(bot_api, body, allowed=(ALICE,), clock=lambda: now[0]) == 0

    refusals = bot_api.plain_texts(STRANGER)
    assert len(refusals) == 2 and not bot_api.sent(GROUP)
    assert str(STRANGER) in refusals[0] and "KOCLAW_TELEGRAM__ALLOWED_USERS" in refusals[0]
    assert "ごめんなさい" in refusals[0]  # in the stranger's language
    assert len(server.received) == 1  # Alice's message only
    conversations, messages = stored(koclaw_home)
    assert {c["user_id"] for c in conversations} == {f"telegram:{ALICE}"}
    assert all(m.user_id in (None, f"telegram:{ALICE}") for m in messages)


def test_an_empty_allowed_list_lets_nobody_in_not_even_admins(
    server: FakeOpenAIServer, bot_api: FakeBotAPI
) -> None:
    async def body(bot: Bot) -> None:
        bot_api.push_message(ALICE, ALICE, "hello")
        await bot.messages(ALICE, 1)

    assert run_bot(bot_api, body, allowed=(), admins=(ALICE,)) == 0
    assert "KOCLAW_TELEGRAM__ALLOWED_USERS" in bot_api.plain_texts(ALICE)[0]
    assert not server.received


def test_admin_commands_are_refused_to_others_and_logged(
    server: FakeOpenAIServer, bot_api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    async def body(bot: Bot) -> None:
        bot_api.push_message(ALICE, ALICE, "/retrain now")
        await bot.messages(ALICE, 1)
        for command in ("/retrain tomorrow 3am", "/retrain_status", "/retrain_cancel", "/soul", "/stats"):
            bot_api.push_message(ADMIN, ADMIN, command)
        await bot.messages(ADMIN, 5)

    with caplog.at_level(logging.DEBUG):
        assert run_bot(bot_api, body) == 0

    assert bot_api.plain_texts(ALICE) == [phrases.admin_only_text("en")]
    refused = [
        r for r in caplog.records if r.levelno == logging.WARNING and "admin command" in r.getMessage()
    ]
    assert (
        len(refused) == 1 and str(ALICE) in refused[0].getMessage() and "/retrain" in refused[0].getMessage()
    )
    answers = bot_api.plain_texts(ADMIN)  # commands run concurrently: each answer is found by content
    refusal = next(a for a in answers if a.startswith("Not scheduled:"))
    assert "KOCLAW_RETRAIN__TEACHER_URL" in refusal  # no teacher configured: a clear refusal
    assert "No retrain is scheduled or running." in answers
    assert "No retrain is scheduled or running, so there is nothing to cancel." in answers
    assert any(a.startswith("No Soul adapters are registered yet") for a in answers)
    stats = next(a for a in answers if a.startswith("Koclaw stats"))
    assert "uptime:" in stats and "messages: 0" in stats and "conversations busy now: 0" in stats
    assert not server.received  # commands never reach the model
    assert TOKEN not in caplog.text


def test_soul_says_when_the_model_server_is_down(dead_url: str, bot_api: FakeBotAPI) -> None:
    async def body(bot: Bot) -> None:
        bot_api.push_message(ADMIN, ADMIN, "/soul")
        await bot.messages(ADMIN, 1)

    assert run_bot(bot_api, body) == 0
    assert "Cannot reach the model server" in bot_api.plain_texts(ADMIN)[0]


# -- user commands ---------------------------------------------------------------------------------
def test_user_commands_reset_memory_and_forget(
    server: FakeOpenAIServer, bot_api: FakeBotAPI, koclaw_home: Path
) -> None:
    server.add(text_reply("</think>Noted: ramen."), text_reply("</think>Fresh start!"))

    async def body(bot: Bot) -> None:
        async def ask(text: str) -> str:
            count = len(bot_api.sent(ALICE)) + 1
            bot_api.push_message(ALICE, ALICE, text)
            return (await bot.messages(ALICE, count))[-1]

        assert "/reset" in await ask("/start") and "/forget" in await ask("/help")
        assert "/stats" not in await ask("/help")  # admin commands are listed to admins only
        await ask("I love ramen")
        assert "I hold no long-term facts about you yet" in await ask("/memory")
        fact = bot.app.long_term.save_fact(f"telegram:{ALICE}", "Alice loves ramen", importance=4)
        memory = await ask("/memory")
        assert "2 messages" in memory and "I love ramen" in memory
        assert "Alice loves ramen" in memory and fact.id in memory
        assert "Tell me what to forget" in await ask("/forget")
        assert "nothing was removed" in await ask("/forget sushi")
        await bot.app.rememberer.flush()  # the turn's two episodes are stored
        # both session messages (her reply said it too), their two episodes, and the fact:
        # shown as three memories (an episode goes with its message), deleted once confirmed
        preview = await ask("/forget ramen")
        assert preview == phrases.forget_confirm_text(
            "en", ["I love ramen", "Noted: ramen.", "Alice loves ramen"]
        )
        assert len(bot.app.long_term.list(f"telegram:{ALICE}")) == 3
        assert await ask("/forget yes") == phrases.forget_text("en", 5)
        assert bot.app.long_term.list(f"telegram:{ALICE}") == []
        assert "long-term memory is untouched" in await ask("/reset")
        await ask("hello again")
        assert "I don't know /unknowncommand" in await ask("/unknowncommand")

    assert run_bot(bot_api, body) == 0

    conversations, messages = stored(koclaw_home)
    assert len(conversations) == 2 and sum(c["ended_at"] is not None for c in conversations) == 1
    assert [m.content for m in messages] == ["hello again", "Fresh start!"]


class Clock:
    """The channel's clock, moved by the test: expiry without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def asker(bot: Bot, chat_id: int, user_id: int) -> Callable[[str], Awaitable[str]]:
    """Send `text` as `user_id` and return her next message there (a generous deadline)."""

    async def ask(text: str) -> str:
        count = len(bot.api.sent(chat_id)) + 1
        bot.api.push_message(chat_id, user_id, text)
        await bot.api.wait_for(
            lambda: len(bot.api.sent(chat_id)) >= count, timeout=60, what=f"reply to {text}"
        )
        return bot.api.plain_texts(chat_id)[-1]

    return ask


def test_forget_by_number_is_a_message_id_never_text(
    server: FakeOpenAIServer, bot_api: FakeBotAPI, koclaw_home: Path
) -> None:
    server.add(text_reply("</think>Noted, Sensei: 1 bowl of ramen."))

    async def body(bot: Bot) -> None:
        alice, bob = asker(bot, ALICE, ALICE), asker(bot, BOB, BOB)
        lt = bot.app.long_term
        await alice("I ate 1 bowl of ramen")
        await bot.app.rememberer.flush()
        _, messages = stored(koclaw_home)
        assert [m.id for m in messages] == [1, 2]
        phone = lt.save_fact(f"telegram:{ALICE}", "My phone number is 555-0100")
        born = lt.save_fact(f"telegram:{ALICE}", "Alice was born in 1985")
        other = lt.add_episode(f"telegram:{ALICE}", "I have 1 cat and 1 dog", speaker="user")
        assert await bob("/forget 1") == phrases.forget_unknown_id_text("en", "1")  # not Bob's
        assert await alice("/forget 1") == phrases.forget_text("en", 2)  # message 1 and its episode
        left = {m.id: m for m in lt.list(f"telegram:{ALICE}", limit=100)}
        assert {phone.id, born.id, other} <= set(left) and len(left) == 4
        assert [m.message_id for m in left.values() if m.message_id] == ["2"]
        assert await alice("/forget 1") == phrases.forget_unknown_id_text("en", "1")  # gone already

    assert run_bot(bot_api, body) == 0
    _, messages = stored(koclaw_home)
    assert [m.id for m in messages] == [2]


def test_forget_text_confirms_broad_matches_and_the_request_expires(
    server: FakeOpenAIServer, bot_api: FakeBotAPI
) -> None:
    clock = Clock()

    async def body(bot: Bot) -> None:
        alice = asker(bot, ALICE, ALICE)
        lt = bot.app.long_term
        lt.save_fact(f"telegram:{ALICE}", "My phone number is 555-0100")
        lt.save_fact(f"telegram:{ALICE}", "Alice's phone is a red Pixel")
        keep = lt.save_fact(f"telegram:{ALICE}", "Alice likes sushi on Fridays")
        shown = phrases.forget_confirm_text(
            "en", ["My phone number is 555-0100", "Alice's phone is a red Pixel"]
        )
        assert await alice("/forget phone") == shown
        assert lt.count(f"telegram:{ALICE}") == 3  # nothing goes before the confirmation
        assert await alice("/forget no") == phrases.forget_cancelled_text("en")
        assert await alice("/forget yes") == phrases.forget_nothing_pending_text("en")
        assert lt.count(f"telegram:{ALICE}") == 3
        assert await alice("/forget phone") == shown
        clock.now += bot.channel.forget_confirm_s + 1  # too late
        assert await alice("/forget yes") == phrases.forget_nothing_pending_text("en")
        assert lt.count(f"telegram:{ALICE}") == 3
        assert await alice("/forget phone") == shown
        assert await alice("/forget yes") == phrases.forget_text("en", 2)
        assert [m.id for m in lt.list(f"telegram:{ALICE}")] == [keep.id]
        assert await alice("/forget sushi") == phrases.forget_text("en", 1)  # one match: at once
        assert lt.count(f"telegram:{ALICE}") == 0

    assert run_bot(bot_api, body, clock=clock) == 0
    assert not server.received


def test_replies_to_commands_follow_the_chat_language(server: FakeOpenAIServer, bot_api: FakeBotAPI) -> None:
    server.add(text_reply("</think>好的，老师。"))

    async def body(bot: Bot) -> None:
        bot_api.push_message(ALICE, ALICE, "今天我们聊点什么吧")
        await bot.messages(ALICE, 1)
        bot_api.push_message(ALICE, ALICE, "/help")
        await bot.messages(ALICE, 2)
        bot_api.push_message(BOB, BOB, "/help", language_code="ja")
        await bot.messages(BOB, 1)

    assert run_bot(bot_api, body) == 0
    assert bot_api.plain_texts(ALICE)[-1] == phrases.help_text("zh")
    assert bot_api.plain_texts(BOB)[-1] == phrases.help_text("ja")


def test_media_without_caption_gets_a_short_reply_and_a_caption_is_text(
    server: FakeOpenAIServer, bot_api: FakeBotAPI
) -> None:
    server.add(text_reply("</think>A lovely cat, Sensei."))

    async def body(bot: Bot) -> None:
        bot_api.push_message(ALICE, ALICE, media="photo")
        await bot.messages(ALICE, 1)
        bot_api.push_message(ALICE, ALICE, media="sticker")
        await bot.messages(ALICE, 2)
        bot_api.push_message(ALICE, ALICE, media="photo", caption="What do you think of my cat?")
        await bot.said(ALICE, "A lovely cat, Sensei.")

    assert run_bot(bot_api, body) == 0
    texts = bot_api.plain_texts(ALICE)
    assert texts[:2] == [
        phrases.unsupported_media_text("en", "photo"),
        phrases.unsupported_media_text("en", "sticker"),
    ]
    assert len(server.received) == 1
    assert "What do you think of my cat?" in server.received[0].body["messages"][-1]["content"]


# -- failures --------------------------------------------------------------------------------------
def test_model_server_down_apologises_keeps_the_message_and_goes_on(
    dead_url: str, bot_api: FakeBotAPI, koclaw_home: Path
) -> None:
    sorry = fallback("unavailable", "en")

    async def body(bot: Bot) -> None:
        bot_api.push_message(ALICE, ALICE, "Are you there?")
        await bot.said(ALICE, sorry)
        bot_api.push_message(ALICE, ALICE, "Still there?")
        await bot.said(ALICE, sorry, count=2)

    assert run_bot(bot_api, body) == 0
    _, messages = stored(koclaw_home)
    users = [(m.content, m.status) for m in messages if m.role == "user"]
    assert users == [("Are you there?", "unanswered"), ("Still there?", "unanswered")]


def test_a_person_sending_too_fast_is_told_in_her_voice_and_nothing_is_taken(
    server: FakeOpenAIServer, bot_api: FakeBotAPI, koclaw_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOCLAW_SESSION__PER_MINUTE", "1")
    server.add(text_reply("</think>Hello, Sensei!"))

    async def body(bot: Bot) -> None:
        bot_api.push_message(ALICE, ALICE, "Hello!")
        await bot.said(ALICE, "Hello, Sensei!")
        bot_api.push_message(ALICE, ALICE, "Hello again!")
        await bot.said(ALICE, phrases.slow_down_text("en"))

    assert run_bot(bot_api, body) == 0
    _, messages = stored(koclaw_home)
    assert [m.content for m in messages if m.role == "user"] == ["Hello!"]
    assert len(server.received) == 1


def test_input_the_agent_refuses_is_explained(server: FakeOpenAIServer, bot_api: FakeBotAPI) -> None:
    async def body(bot: Bot) -> None:
        bot_api.push_message(ALICE, ALICE, "\x07\x07")
        await bot.messages(ALICE, 1)

    assert run_bot(bot_api, body) == 0
    assert "Empty message" in bot_api.plain_texts(ALICE)[0]
    assert not server.received


def test_stopping_mid_reply_interrupts_it_after_the_grace_period(
    server: FakeOpenAIServer, bot_api: FakeBotAPI, koclaw_home: Path
) -> None:
    server.add(Reply(chunks=["</think>", *[f"part {i}. " for i in range(40)]], delay_s=0.25))

    async def body(bot: Bot) -> None:
        bot_api.push_message(ALICE, ALICE, "tell me a long story")
        await bot_api.wait_for(lambda: bool(bot_api.calls_to("sendMessageDraft", ALICE)), what="a draft")

    assert run_bot(bot_api, body, grace_s=0.2) == 0
    _, messages = stored(koclaw_home)
    assert [(m.role, m.status) for m in messages] == [("user", "unanswered"), ("assistant", "interrupted")]
    assert messages[1].content.startswith("part 0.")  # what streamed before the stop is kept


def test_a_crashing_update_is_apologised_for_and_the_others_go_on(
    server: FakeOpenAIServer,
    bot_api: FakeBotAPI,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    original = TelegramChannel.inbound

    def inbound(self: TelegramChannel, chat: Any, user: Any, text: str) -> Any:
        if text == "boom":
            raise RuntimeError("a bug in the handler")
        return original(self, chat, user, text)

    monkeypatch.setattr(TelegramChannel, "inbound", inbound)
    server.add(text_reply("</think>Hello Bob."), text_reply("</think>Hello again, Alice."))

    async def body(bot: Bot) -> None:
        bot_api.push_message(ALICE, ALICE, "boom")
        await bot.said(ALICE, phrases.trouble_text("en"))
        bot_api.push_message(BOB, BOB, "hi")
        await bot.said(BOB, "Hello Bob.")
        bot_api.push_message(ALICE, ALICE, "hello")
        await bot.said(ALICE, "Hello again, Alice.")

    assert run_bot(bot_api, body) == 0
    crash = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(crash) == 1 and crash[0].exc_info and "a bug in the handler" in caplog.text


def test_a_message_telegram_delivers_again_is_answered_once(
    server: FakeOpenAIServer, bot_api: FakeBotAPI, koclaw_home: Path
) -> None:
    server.add(text_reply("</think>First answer."), text_reply("</think>Second answer."))

    async def body(bot: Bot) -> None:
        first = bot_api.push_message(ALICE, ALICE, "hello")
        await bot.said(ALICE, "First answer.")
        bot_api.redeliver(first)  # fetched, never confirmed, handed out again
        bot_api.push_message(ALICE, ALICE, "and now?")
        await bot.said(ALICE, "Second answer.")

    assert run_bot(bot_api, body) == 0
    assert bot_api.plain_texts(ALICE) == ["First answer.", "Second answer."]
    assert len(server.chat_requests) == 2
    _, messages = stored(koclaw_home)
    assert [(m.role, m.content) for m in messages] == [
        ("user", "hello"),
        ("assistant", "First answer."),
        ("user", "and now?"),
        ("assistant", "Second answer."),
    ]


def test_two_chats_run_concurrently_and_each_stays_in_order(
    bot_api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    def slow_echo(body: dict[str, Any]) -> Reply:
        content = body["messages"][-1]["content"]
        said = content.rsplit("\n\n", 1)[-1]
        return Reply(chunks=["</think>\n\n", "echo: ", said, " ·", " ·", " ·"], delay_s=0.1)

    with FakeOpenAIServer(default=slow_echo) as model:
        monkeypatch.setenv("KOCLAW_LLM__BASE_URL", model.url)

        async def body(bot: Bot) -> None:
            bot_api.push_message(ALICE, ALICE, "a1")
            bot_api.push_message(ALICE, ALICE, "a2")
            bot_api.push_message(BOB, BOB, "b1")
            await bot.messages(ALICE, 2)
            await bot.messages(BOB, 1)

        assert run_bot(bot_api, body) == 0

    assert bot_api.plain_texts(ALICE) == ["echo: a1 · · ·", "echo: a2 · · ·"]
    assert bot_api.plain_texts(BOB) == ["echo: b1 · · ·"]
    by_text = {r.body["messages"][-1]["content"].rsplit("\n\n", 1)[-1]: r for r in model.received}
    a1, a2, b1 = by_text["a1"], by_text["a2"], by_text["b1"]
    assert b1.at < a1.chunk_times[-1] and a1.at < b1.chunk_times[-1]  # the chats overlapped
    assert a2.at > a1.chunk_times[-1]  # one chat's messages are answered one after the other
    for call in bot_api.calls_to("sendMessageDraft", BOB):
        assert "a1" not in call.text and "a2" not in call.text


# -- the token -------------------------------------------------------------------------------------
def test_the_token_never_reaches_the_logs(
    server: FakeOpenAIServer, bot_api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    server.add(text_reply("</think>Hi."))

    async def body(bot: Bot) -> None:
        # Undo the channel's quieting, as a debugging operator might: httpx logs every URL at INFO.
        logging.getLogger("httpx").setLevel(logging.DEBUG)
        logging.getLogger("telegram").setLevel(logging.DEBUG)
        bot_api.push_message(ALICE, ALICE, "hello")
        await bot.said(ALICE, "Hi.")
        logging.getLogger("koclaw.somewhere").error("oops at %s%s/getMe", bot_api.base_url, TOKEN)

    with caplog.at_level(logging.DEBUG):
        assert run_bot(bot_api, body) == 0

    assert "HTTP Request: POST" in caplog.text and MASK in caplog.text  # URLs were logged, redacted
    assert TOKEN not in caplog.text
    assert TOKEN not in json.dumps(server.chat_requests)  # nor the prompts
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


def test_a_rejected_token_stops_with_a_clear_line_and_never_shows_it(
    server: FakeOpenAIServer, bot_api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "999999:this-token-is-wrong-and-secret"

    async def body(bot: Bot) -> None:
        raise AssertionError("the channel should not start")

    with caplog.at_level(logging.DEBUG):
        assert run_bot(bot_api, body, token=wrong) == 2
    assert "rejected the bot token" in caplog.text and "@BotFather" in caplog.text
    assert wrong not in caplog.text


def test_an_unreachable_bot_api_is_a_clear_error(
    server: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def main() -> int:
        settings = load_settings(telegram={"token": TOKEN, "base_url": f"http://127.0.0.1:{port}/bot"})
        async with open_app(settings) as app:
            return await TelegramChannel(settings, app.store).run(app.runtime, asyncio.Event())

    with caplog.at_level(logging.DEBUG):
        assert asyncio.run(main()) == 1
    assert "Cannot reach the Telegram Bot API" in caplog.text and "KOCLAW_TELEGRAM__BASE_URL" in caplog.text
    assert TOKEN not in caplog.text


def test_the_redactor_covers_message_arguments_and_tracebacks() -> None:
    redactor = TokenRedactor(TOKEN)
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "calling %s", (f"/bot{TOKEN}/getMe",), None)
    try:
        raise ValueError(f"The token `{TOKEN}` was rejected by the server.")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert redactor.filter(record)
    text = logging.Formatter().format(record)
    assert TOKEN not in text and text.count(MASK) == 2
    quoted = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", (TOKEN.replace(":", "%3A"),), None)
    redactor.filter(quoted)
    assert quoted.getMessage() == MASK


def test_no_token_means_no_channel(bot_api: FakeBotAPI, caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> int:
        settings = load_settings()
        async with open_app(settings) as app:
            return await TelegramChannel(settings, app.store).run(app.runtime, asyncio.Event())

    assert asyncio.run(main()) == 2
    assert "KOCLAW_TELEGRAM__TOKEN" in caplog.text


# -- channel-independent pieces ----------------------------------------------------------------------
def test_admin_helpers() -> None:
    assert phrases.may_talk([1], 1) and not phrases.may_talk([1], 2) and not phrases.may_talk([], 1)
    assert phrases.is_admin([2], 2) and not phrases.is_admin([], 2)
    assert phrases.reply_language("", "zh-hans") == "zh" and phrases.reply_language("", None, "ja") == "ja"
    assert phrases.reply_language("hello there", "ja") == "en"
    assert phrases.reply_language("", "de") == "en"
    stats = phrases.stats_text(
        {"conversations": 3, "users": 2, "messages": 10, "failed_replies": 1, "first_token_ms_p50": 412.4},
        uptime_s=3723,
        busy=1,
    )
    assert "uptime: 1h 02m 03s" in stats and "412 ms" in stats and "busy now: 1" in stats
    assert "no replies measured" in phrases.stats_text({}, uptime_s=0, busy=0)


def test_admin_activates_and_rolls_back_a_soul(
    server: FakeOpenAIServer, bot_api: FakeBotAPI, tmp_path: Path
) -> None:
    from tests.memory.test_soul import adapter_dir

    async def body(bot: Bot) -> None:
        for name in ("kokoron-v1", "kokoron-v2"):
            bot.app.soul.register(name, adapter_dir(tmp_path, name))
        bot_api.push_message(ADMIN, ADMIN, "/soul activate kokoron-v1")
        await bot.said(ADMIN, "Activated kokoron-v1: new replies come from it.")
        bot_api.push_message(ADMIN, ADMIN, "/soul activate kokoron-v2")
        await bot.said(ADMIN, "Activated kokoron-v2: new replies come from it.")
        bot_api.push_message(ALICE, ALICE, "hello")
        await bot.messages(ALICE, 1)
        bot_api.push_message(ADMIN, ADMIN, "/soul rollback")
        await bot.said(ADMIN, "Rolled back to kokoron-v1: new replies come from it.")
        bot_api.push_message(ADMIN, ADMIN, "/soul")
        await bot.messages(ADMIN, 4)
        bot_api.push_message(ADMIN, ADMIN, "/soul activate nope")
        await bot.messages(ADMIN, 5)

    assert run_bot(bot_api, body) == 0
    probes = [r for r in server.chat_requests if r["messages"] == soul.PROBE]
    # Base, then candidate, for each activation (the rollback's included).
    assert [r["model"] for r in probes] == [
        "kokoron",
        "kokoron-v1",
        "kokoron",
        "kokoron-v2",
        "kokoron",
        "kokoron-v1",
    ]
    (alice,) = [r for r in server.chat_requests if r["messages"] != soul.PROBE]
    assert alice["model"] == "kokoron-v2"
    answers = bot_api.plain_texts(ADMIN)
    assert "* kokoron-v1" in answers[3] and "active: kokoron-v1" in answers[3] and "(served)" in answers[3]
    assert answers[4].startswith("Could not do that: No adapter named 'nope'")
    assert [body["lora_name"] for body in server.adapters_loaded] == [
        "kokoron-v1",
        "kokoron-v2",
        "kokoron-v1",
    ]
