"""Reminders through the real App: tools, per-person scope, the persistent scheduler across restarts,
the misfire policy, delivery through a registered sender, and the session row she writes.

Time is never slept away: tools get the turn's clock in their `ToolContext`, jobs are moved to "now"
with `Scheduler.reschedule`, and a job due while Koclaw was down is made by pausing the scheduler.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from koclaw.app import App, open_app
from koclaw.config import load_settings
from koclaw.delivery import DeliveryError
from koclaw.events import ToolCall
from koclaw.llm.tools import ToolContext
from koclaw.reminders import Reminder, reminder_text
from memory.session import Message

TOKYO = ZoneInfo("Asia/Tokyo")


def with_app(body: Callable[[App], Awaitable[Any]], **overrides: Any) -> Any:
    async def go() -> Any:
        async with open_app(load_settings(**overrides)) as app:
            return await body(app)

    return asyncio.run(go())


def context(
    user: str, *, now: datetime | None = None, lang: str = "en", chat: str | None = None
) -> ToolContext:
    return ToolContext(
        "telegram",
        chat or f"telegram:{user}",
        user,
        0,
        now=now or datetime.now(TOKYO),
        language=lang,
        user_name=user,
    )


async def call(app: App, name: str, args: dict[str, Any], ctx: ToolContext) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(await app.agent.tools.execute(ToolCall(name, args), ctx))
    return result


async def until(condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


class Outbox:
    """A channel's sender for tests: records what it was asked to send (the `Deliver` boundary)."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail = fail

    async def __call__(self, chat_id: str, text: str) -> None:
        if self.fail:
            raise DeliveryError("the chat is gone")
        self.sent.append((chat_id, text))


def reminder_jobs(app: App) -> list[str]:
    """The scheduler's reminder jobs (check-ins and retraining keep their own recurring jobs)."""
    return [job for job in app.scheduler.job_ids() if job.startswith("reminder:")]


def assistant_rows(app: App, reminder: Reminder) -> list[Message]:
    conv = app.store.conversation(reminder.channel, reminder.chat_id, reminder.user_id)
    return [m for m in app.store.messages(conv.id) if m.role == "assistant"]


# -- tools -----------------------------------------------------------------------------------------
def test_set_list_and_cancel_through_the_tools() -> None:
    now = datetime(2030, 7, 1, 21, 0, tzinfo=TOKYO)

    async def body(app: App) -> None:
        ctx = context("alice", now=now)
        made = await call(app, "set_reminder", {"text": "stretch", "when": "in 10 minutes"}, ctx)
        assert made["set"]["due"] == "2030-07-01T21:10+09:00" and made["set"]["status"] == "pending"
        other = await call(app, "set_reminder", {"text": "sleep", "when": "at 8am"}, ctx)
        assert other["set"]["due"] == "2030-07-02T08:00+09:00"
        zoned = await call(
            app, "set_reminder", {"text": "call mum", "when": "tomorrow 9am", "timezone": "Europe/Paris"}, ctx
        )
        assert zoned["set"]["due"] == "2030-07-02T09:00+02:00" and zoned["set"]["timezone"] == "Europe/Paris"

        listed = await call(app, "list_reminders", {}, ctx)
        assert [r["text"] for r in listed["reminders"]] == ["stretch", "sleep", "call mum"]
        first = app.reminders.store.get(made["set"]["id"])
        assert app.scheduler.next_run(first.job_id) == datetime(2030, 7, 1, 12, 10, tzinfo=UTC)

        gone = await call(app, "cancel_reminder", {"id": first.id}, ctx)
        assert gone["cancelled"]["status"] == "cancelled"
        assert app.scheduler.next_run(first.job_id) is None
        again = await call(app, "cancel_reminder", {"id": first.id}, ctx)
        assert "no pending reminder" in again["error"]
        listed = await call(app, "list_reminders", {}, ctx)
        assert [r["text"] for r in listed["reminders"]] == ["sleep", "call mum"]

    with_app(body)


def test_the_default_zone_comes_from_the_config() -> None:
    now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

    async def body(app: App) -> None:
        made = await call(app, "set_reminder", {"text": "tea", "when": "at 23:00"}, context("alice", now=now))
        assert made["set"]["due"] == "2030-01-01T23:00+08:00" and made["set"]["timezone"] == "Asia/Shanghai"

    with_app(body, timezone="Asia/Shanghai")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"text": "x", "when": "2030-07-01T20:00"}, "has already passed"),
        ({"text": "x", "when": "in 0 minutes"}, "Cannot read the time"),
        ({"text": "x", "when": "sometime soon"}, "Cannot read the time"),
        ({"text": "x", "when": "in 5 minutes", "timezone": "Mars/Olympus"}, "Unknown time zone"),
        ({"text": "", "when": "in 5 minutes"}, "invalid arguments"),
    ],
)
def test_set_reminder_refuses_what_it_cannot_keep(args: dict[str, Any], expected: str) -> None:
    now = datetime(2030, 7, 1, 21, 0, tzinfo=TOKYO)

    async def body(app: App) -> None:
        result = await call(app, "set_reminder", args, context("alice", now=now))
        assert expected in result["error"]
        assert app.reminders.list("alice", include_done=True) == []
        assert reminder_jobs(app) == []

    with_app(body)


def test_nobody_sees_or_cancels_another_persons_reminders() -> None:
    async def body(app: App) -> None:
        alice = await call(
            app, "set_reminder", {"text": "alice's secret", "when": "in 1 hour"}, context("alice")
        )
        rid = alice["set"]["id"]
        bob = context("bob")
        assert (await call(app, "list_reminders", {}, bob))["reminders"] == []
        refused = await call(app, "cancel_reminder", {"id": rid}, bob)
        assert "no pending reminder" in refused["error"] and "alice" not in refused["error"]
        # An injected argument naming someone else is not even accepted.
        sneaky = await call(app, "list_reminders", {"user_id": "alice"}, bob)
        assert "invalid arguments" in sneaky["error"]
        # Alice's reminder is untouched and still scheduled.
        assert [r.status for r in app.reminders.list("alice")] == ["pending"]
        assert app.scheduler.next_run(f"reminder:{rid}") is not None

    with_app(body)


# -- firing -----------------------------------------------------------------------------------------
def test_a_reminder_survives_a_restart_and_fires_from_the_stored_job() -> None:
    async def first(app: App) -> tuple[int, datetime]:
        made = await call(
            app, "set_reminder", {"text": "drink water", "when": "in 2 hours"}, context("alice")
        )
        reminder = app.reminders.store.get(made["set"]["id"])
        return reminder.id, reminder.due

    rid, due = with_app(first)

    async def second(app: App) -> None:
        outbox = Outbox()
        app.deliveries.register("telegram", outbox)
        job = f"reminder:{rid}"
        assert reminder_jobs(app) == [job] and app.scheduler.next_run(job) == due
        assert app.scheduler.reschedule(job, datetime.now(UTC))  # its time has come
        await until(lambda: app.reminders.store.get(rid).status == "delivered", "the reminder to fire")
        assert outbox.sent == [("telegram:alice", "Sensei, it's time: drink water")]
        reminder = app.reminders.store.get(rid)
        rows = assistant_rows(app, reminder)
        assert [(m.id, m.content, m.language, m.status) for m in rows] == [
            (reminder.message_id, "Sensei, it's time: drink water", "en", "ok")
        ]
        assert reminder_jobs(app) == []  # a date job is gone once it ran

    with_app(second)


def test_a_reminder_due_while_down_fires_once_on_start_and_says_it_is_late() -> None:
    async def down(app: App) -> int:
        app.scheduler.pause()  # Koclaw "stops" here: the job stays stored, nothing runs it
        due = datetime.now(UTC) - timedelta(hours=3)
        return app.reminders.add(
            "alice", "cli", "cli:alice", "明天的会议", due, timezone="Asia/Tokyo", language="zh"
        ).id

    rid = with_app(down)
    outbox = Outbox()

    async def up(app: App) -> None:
        app.deliveries.register("cli", outbox)
        await until(lambda: app.reminders.store.get(rid).status == "delivered", "the missed reminder")

    with_app(up)
    assert len(outbox.sent) == 1
    chat, text = outbox.sent[0]
    assert chat == "cli:alice"
    assert text == "老师，提醒时间到啦：明天的会议\n（抱歉晚了3小时……那时我不在线，现在才想起来提醒你。）"

    async def again(app: App) -> list[Message]:
        app.deliveries.register("cli", outbox)
        await asyncio.sleep(0)  # let anything due run
        reminder = app.reminders.store.get(rid)
        assert reminder.late_s is not None and reminder.late_s > 3 * 3600 - 60
        return assistant_rows(app, reminder)

    rows = with_app(again)
    assert len(outbox.sent) == 1 and [m.content for m in rows] == [text]


def test_with_no_sender_the_reminder_is_kept_undelivered_then_sent_when_the_channel_comes() -> None:
    async def body(app: App) -> None:
        due = datetime.now(UTC) + timedelta(hours=1)
        reminder = app.reminders.add("alice", "telegram", "42", "stretch", due, timezone="UTC", language="ja")
        fired = await app.reminders.fire(reminder.id)
        assert fired is not None and fired.status == "undelivered"
        assert fired.error == "no telegram sender was running"
        assert await app.reminders.fire(reminder.id) is None  # never twice
        assert [r.status for r in app.reminders.list("alice")] == ["undelivered"]

        failing = Outbox(fail=True)
        app.deliveries.register("telegram", failing)
        await app.reminders.drain()
        assert app.reminders.store.get(reminder.id).error == "the chat is gone"

        outbox = Outbox()
        app.deliveries.register("telegram", outbox)
        await app.reminders.drain()
        assert outbox.sent == [("42", "先生、お約束の時間です：stretch")]
        assert app.reminders.store.get(reminder.id).status == "delivered"
        assert len(assistant_rows(app, reminder)) == 1  # stored once, however often it was sent

    with_app(body)


def test_a_cancelled_reminder_whose_job_still_fires_says_nothing() -> None:
    async def body(app: App) -> None:
        outbox = Outbox()
        app.deliveries.register("cli", outbox)
        due = datetime.now(UTC) + timedelta(hours=1)
        reminder = app.reminders.add("alice", "cli", "cli:alice", "x", due, timezone="UTC")
        app.reminders.store.cancel("alice", reminder.id)  # as the CLI does beside a running Koclaw
        assert await app.reminders.fire(reminder.id) is None
        assert outbox.sent == [] and assistant_rows(app, reminder) == []

    with_app(body)


def test_recovery_after_a_crash_mid_fire() -> None:
    async def crashed(app: App) -> tuple[int, int]:
        app.scheduler.pause()
        due = datetime.now(UTC) + timedelta(hours=1)
        unseen = app.reminders.add("alice", "cli", "c", "unseen", due, timezone="UTC")
        stored = app.reminders.add("alice", "cli", "c", "stored", due, timezone="UTC")
        for r in (unseen, stored):  # both were claimed, then the process died
            app.reminders.store.claim(r.id)
            app.scheduler.remove(r.job_id)
        app.reminders.store.update(stored.id, message_id=1)
        return unseen.id, stored.id

    unseen, stored = with_app(crashed)

    async def restarted(app: App) -> None:
        assert app.reminders.store.get(unseen).status == "pending"
        assert reminder_jobs(app) == [f"reminder:{unseen}"]  # scheduled again
        assert app.reminders.store.get(stored).status == "undelivered"

    with_app(restarted)


def test_her_words_follow_the_language_and_address_term() -> None:
    def make(lang: str) -> Reminder:
        return Reminder(1, "u", "cli", "c", "吃药", "2030-01-01T00:00:00+00:00", "UTC", lang, "firing", "")

    assert reminder_text(make("zh")) == "老师，提醒时间到啦：吃药"
    assert reminder_text(make("ja")).startswith("先生、")
    assert reminder_text(make("en")).startswith("Sensei, ")
    assert reminder_text(make("en"), late_s=30) == "Sensei, it's time: 吃药"  # a few seconds is on time
    assert reminder_text(make("en"), late_s=90).endswith(
        "(Sorry, I'm 2 minutes late with this... I was offline when it was due.)"
    )
    assert "1日遅れて" in reminder_text(make("ja"), late_s=86400)


@pytest.mark.parametrize("channel", ["http", "cli"])
def test_set_reminder_refuses_on_a_channel_that_cannot_write_first(channel: str) -> None:
    """Kept, fired and never seen: no sender ever runs for HTTP or the terminal."""

    async def body(app: App) -> tuple[dict[str, Any], list[Any]]:
        where = ToolContext(channel, f"{channel}:alice", f"{channel}:alice", 0, now=datetime.now(TOKYO))
        made = await call(app, "set_reminder", {"text": "drink water", "when": "in 2 hours"}, where)
        return made, app.reminders.list(f"{channel}:alice")

    made, kept = with_app(body)
    assert "never reach Sensei" in made["error"] and kept == []
