"""Daily check-ins: the active window (across midnight, across zones and DST), the decision, and the
service over real SQLite, a real scheduler and the real openai client against a scripted HTTP server.

Time is simulated: `now` is passed to `window_for`, `decide` and `CheckIns.tick`; nothing sleeps.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from koclaw.agent import RecallFn
from koclaw.checkins import (
    JOB_ID,
    JOB_KIND,
    CheckIns,
    CheckinSettings,
    CheckinStore,
    LogEntry,
    Window,
    clean_reply,
    decide,
    is_silent,
    parse_gap,
    parse_hours,
    validated,
    window_for,
)
from koclaw.cli.checkins import app as checkins_cli
from koclaw.config import load_settings
from koclaw.delivery import Deliveries
from koclaw.errors import InputError
from koclaw.llm.openai_compat import OpenAICompatModel
from koclaw.scheduler import Scheduler, dispatch
from memory.session import Message, Role, SessionStore
from memory.working import MemoryRecord
from tests.fakes.openai_server import FakeOpenAIServer, Reply, text_reply
from tests.test_reminders import Outbox

TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")


def cfg(**overrides: Any) -> CheckinSettings:
    base = CheckinSettings("alice", "cli", "cli:alice", "UTC", "22:00", "02:00", 2, 4 * 3600, "en")
    return replace(base, **overrides)


# -- the window ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("local", "window_day"),
    [
        (datetime(2030, 7, 1, 21, 59), None),
        (datetime(2030, 7, 1, 22, 0), date(2030, 7, 1)),
        (datetime(2030, 7, 1, 23, 30), date(2030, 7, 1)),
        (datetime(2030, 7, 2, 1, 30), date(2030, 7, 1)),  # after midnight: still the evening's window
        (datetime(2030, 7, 2, 1, 59), date(2030, 7, 1)),
        (datetime(2030, 7, 2, 2, 0), None),
        (datetime(2030, 7, 2, 3, 0), None),
        (datetime(2030, 7, 2, 22, 0), date(2030, 7, 2)),
    ],
)
def test_a_window_across_midnight(local: datetime, window_day: date | None) -> None:
    window = window_for(cfg(timezone="Asia/Tokyo"), local.replace(tzinfo=TOKYO))
    if window_day is None:
        assert window is None
        return
    assert window == Window(
        window_day,
        datetime.combine(window_day, datetime.min.time(), TOKYO).replace(hour=22),
        datetime.combine(window_day + timedelta(days=1), datetime.min.time(), TOKYO).replace(hour=2),
    )


@pytest.mark.parametrize(
    ("hour", "minute", "inside"),
    [(8, 59, False), (9, 0, True), (12, 0, True), (21, 59, True), (22, 0, False), (23, 30, False)],
)
def test_a_normal_window(hour: int, minute: int, inside: bool) -> None:
    now = datetime(2030, 7, 1, hour, minute, tzinfo=UTC)
    window = window_for(cfg(start="09:00", end="22:00"), now)
    assert (window is not None) == inside
    if window is not None:
        assert window.day == date(2030, 7, 1) and window.end == datetime(2030, 7, 1, 22, 0, tzinfo=UTC)


def test_the_window_is_in_the_persons_zone_with_dst() -> None:
    tokyo = cfg(timezone="Asia/Tokyo", start="09:00", end="22:00")
    assert window_for(tokyo, datetime(2030, 7, 1, 0, 0, tzinfo=UTC)) is not None  # 09:00 in Tokyo
    assert window_for(tokyo, datetime(2030, 7, 1, 12, 59, tzinfo=UTC)) is not None  # 21:59
    assert window_for(tokyo, datetime(2030, 7, 1, 13, 0, tzinfo=UTC)) is None  # 22:00
    assert window_for(tokyo, datetime(2030, 6, 30, 23, 59, tzinfo=UTC)) is None  # 08:59

    ny = cfg(timezone="America/New_York", start="09:00", end="17:00")
    winter, summer = datetime(2030, 1, 15, tzinfo=UTC), datetime(2030, 7, 15, tzinfo=UTC)
    assert window_for(ny, winter.replace(hour=13, minute=59)) is None  # 08:59 EST
    assert window_for(ny, winter.replace(hour=14)) is not None  # 09:00 EST
    assert window_for(ny, winter.replace(hour=21, minute=30)) is not None  # 16:30 EST
    assert window_for(ny, summer.replace(hour=13)) is not None  # 09:00 EDT
    assert window_for(ny, summer.replace(hour=21, minute=30)) is None  # 17:30 EDT
    # The same instant is in Tokyo's evening window and outside New York's.
    both = datetime(2030, 7, 15, 12, 0, tzinfo=UTC)
    assert window_for(tokyo, both) is not None and window_for(ny, both) is None


def test_dst_gaps_and_folds() -> None:
    # 2030-03-10: New York skips 02:00-03:00. A start in the gap opens when the clocks jump.
    gap = cfg(timezone="America/New_York", start="02:30", end="04:00")
    assert window_for(gap, datetime(2030, 3, 10, 6, 59, tzinfo=UTC)) is None  # 01:59 EST
    window = window_for(gap, datetime(2030, 3, 10, 7, 0, tzinfo=UTC))  # 03:00 EDT
    assert window is not None and window.day == date(2030, 3, 10)
    assert window.start == datetime(2030, 3, 10, 7, 0, tzinfo=UTC)
    assert window.end == datetime(2030, 3, 10, 8, 0, tzinfo=UTC)  # 04:00 EDT
    # 2030-11-03: 01:00-02:00 happens twice. An end in it is its first occurrence; no reopening.
    fold = cfg(timezone="America/New_York", start="22:00", end="01:30")
    window = window_for(fold, datetime(2030, 11, 3, 5, 29, tzinfo=UTC))  # 01:29 EDT
    assert window is not None and window.day == date(2030, 11, 2)
    # (compared in UTC: by PEP 495 an ambiguous local time never equals a time in another zone)
    assert window.end.astimezone(UTC) == datetime(2030, 11, 3, 5, 30, tzinfo=UTC)
    assert window.end.fold == 0 and window.end.utcoffset() == timedelta(hours=-4)
    assert window_for(fold, datetime(2030, 11, 3, 5, 30, tzinfo=UTC)) is None  # 01:30 EDT
    assert window_for(fold, datetime(2030, 11, 3, 6, 15, tzinfo=UTC)) is None  # 01:15 EST


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"start": "09:00", "end": "09:00"}, "start and end at 09:00"),
        ({"start": "9:00", "end": "09:00"}, "start and end at 09:00"),
        ({"timezone": "Mars/Olympus"}, "Unknown time zone"),
        ({"start": "25:00"}, "write it as HH:MM"),
        ({"daily_cap": 0}, "at least 1"),
        ({"min_gap_s": -1}, "cannot be negative"),
        ({"language": "fr"}, "use zh, ja or en"),
        ({"chat_id": ""}, "Say whose check-ins"),
    ],
)
def test_settings_that_cannot_work_are_refused(overrides: dict[str, Any], expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        validated(cfg(**overrides))


def test_parsing_hours_and_gaps() -> None:
    assert parse_hours("9:00-22:30") == ("09:00", "22:30")
    assert parse_hours(" 22:00 - 02:00 ") == ("22:00", "02:00")
    assert [parse_gap(g) for g in ("4h", "90m", "1h30m", "3600", "45s")] == [14400, 5400, 5400, 3600, 45]
    for bad, message in (("22:00", "START-END"), ("9-5", "HH:MM")):
        with pytest.raises(InputError, match=message):
            parse_hours(bad)
    for bad in ("soon", "4x", "h", "4h later"):
        with pytest.raises(InputError, match="Cannot read the gap"):
            parse_gap(bad)


# -- the decision --------------------------------------------------------------------------------
def test_decide_says_why() -> None:
    s = cfg(timezone="Asia/Tokyo", start="09:00", end="22:00", daily_cap=2, min_gap_s=2 * 3600)
    now = datetime(2030, 7, 1, 15, 0, tzinfo=TOKYO)
    hours = timedelta(hours=1)

    def reason(**kw: Any) -> str:
        args: dict[str, Any] = {"sent_in_window": 0, "last_sent_at": None, "last_considered_at": None}
        args |= {"last_user_message_at": None, "now": now} | kw
        return decide(s, **args).reason

    assert reason() == "due" and decide(s, now, 0, None, None, None).window is not None
    assert reason(now=now.replace(hour=23)) == "outside_hours"
    assert reason(sent_in_window=2) == "cap_reached"
    assert reason(sent_in_window=1, last_sent_at=now - hours) == "too_soon"
    assert reason(sent_in_window=1, last_sent_at=now - 2 * hours) == "due"
    assert reason(last_user_message_at=now - hours) == "sensei_active"
    assert reason(last_user_message_at=now - 3 * hours) == "due"
    assert reason(last_considered_at=now - timedelta(minutes=10)) == "considered"
    assert reason(last_considered_at=now - timedelta(minutes=31)) == "due"
    assert decide(replace(s, enabled=False), now, 0, None, None, None).reason == "disabled"


def test_her_reply_is_cleaned_and_silence_is_recognised() -> None:
    assert clean_reply("<think>maybe?</think>\n Sensei, lunch? ") == "Sensei, lunch?"
    assert clean_reply("thinking aloud</think>老师，吃饭了吗？") == "老师，吃饭了吗？"
    assert clean_reply("<think>never closed") == ""
    assert all(is_silent(t) for t in ("<silent>", "<SILENT>", "< silent >", "", "<silent>\n(nothing now)"))
    assert not is_silent("Sensei, are you still up?")


# -- the service ---------------------------------------------------------------------------------
EVENING = datetime(2030, 7, 1, 21, 0, tzinfo=TOKYO)  # a Monday


@dataclass
class Rig:
    checkins: CheckIns
    store: CheckinStore
    session: SessionStore
    deliveries: Deliveries
    scheduler: Scheduler
    outbox: Outbox

    def enable(self, user: str = "alice", **kw: Any) -> CheckinSettings:
        args: dict[str, Any] = {"timezone": "Asia/Tokyo", "start": "20:00", "end": "01:00", "min_gap_s": 3600}
        return self.checkins.enable(user, "cli", f"cli:{user}", **(args | kw))

    def say(self, user: str, *turns: tuple[Role, str]) -> None:
        conv = self.session.conversation("cli", f"cli:{user}", user)
        for role, text in turns:
            self.session.add_message(conv.id, role, text)

    def assistant_rows(self, user: str = "alice") -> list[Message]:
        conv = self.session.conversation("cli", f"cli:{user}", user)
        return [m for m in self.session.messages(conv.id) if m.role == "assistant"]


def with_rig(
    body: Callable[[Rig], Awaitable[Any]],
    *,
    register: bool = True,
    recall: RecallFn | None = None,
) -> Any:
    async def go() -> Any:
        settings = load_settings()
        session, store = SessionStore(settings.session_db), CheckinStore(settings.checkins_db)
        model, scheduler = OpenAICompatModel(settings.llm), Scheduler(settings.scheduler_db)
        deliveries, outbox = Deliveries(), Outbox()
        if register:
            deliveries.register("cli", outbox)
        checkins = CheckIns(
            store, scheduler, session, deliveries, model, recall=recall, clock=lambda: EVENING
        )
        try:
            return await body(Rig(checkins, store, session, deliveries, scheduler, outbox))
        finally:
            await scheduler.shutdown()
            await model.aclose()
            store.close()
            session.close()

    return asyncio.run(go())


def test_a_check_in_is_written_to_the_session_then_delivered(server: FakeOpenAIServer) -> None:
    server.add(text_reply("<think>she had a talk</think>Sensei, how did your talk go today?"))
    seen_at_send: list[list[str]] = []

    async def body(rig: Rig) -> None:
        async def sender(chat_id: str, text: str) -> None:
            seen_at_send.append([m.content for m in rig.assistant_rows()])
            await rig.outbox(chat_id, text)

        rig.deliveries.register("cli", sender)
        rig.enable()
        rig.say("alice", ("user", "I give a talk tomorrow afternoon."), ("assistant", "Good luck, Sensei!"))
        [entry] = await rig.checkins.tick(EVENING)
        text = "Sensei, how did your talk go today?"
        assert (entry.outcome, entry.text, entry.window_day) == ("sent", text, "2030-07-01")
        assert rig.outbox.sent == [("cli:alice", text)]
        assert seen_at_send == [["Good luck, Sensei!", text]]  # stored before it was sent
        row = rig.assistant_rows()[-1]
        assert (row.id, row.role, row.content, row.status, row.language) == (
            entry.message_id,
            "assistant",
            text,
            "ok",
            "en",
        )
        assert rig.store.log("alice") == [entry]

    with_rig(body)
    [body_sent] = server.chat_requests
    assert body_sent["chat_template_kwargs"] == {"enable_thinking": False}
    assert body_sent["max_tokens"] == 200
    messages = body_sent["messages"]
    assert messages[0]["role"] == "system" and "Who you are" in messages[0]["content"]
    assert [m["content"] for m in messages[1:3]] == [
        "I give a talk tomorrow afternoon.",
        "Good luck, Sensei!",
    ]
    note = messages[-1]["content"]
    assert messages[-1]["role"] == "user" and "Monday, 2030-07-01 21:00" in note and "Asia/Tokyo" in note
    assert "in English, addressing them as Sensei" in note and "<silent>" in note


def test_the_cap_counts_per_window_and_the_gap_holds(server: FakeOpenAIServer) -> None:
    server.default = lambda body: text_reply("Sensei, still up?")

    async def body(rig: Rig) -> list[tuple[str, list[str]]]:
        rig.enable(cap=2, min_gap_s=3600)
        at = EVENING.replace(hour=20, minute=30)
        steps: list[tuple[str, list[str]]] = []
        for label, moment in [
            ("20:30", at),
            ("21:00 too soon", at + timedelta(minutes=30)),
            ("21:31", at + timedelta(minutes=61)),
            ("23:30 cap", at + timedelta(hours=3)),
            ("00:45 same window, cap", at + timedelta(hours=4, minutes=15)),
            ("01:30 outside", at + timedelta(hours=5)),
            ("next evening", at + timedelta(days=1)),
        ]:
            steps.append((label, [f"{e.outcome} {e.window_day}" for e in await rig.checkins.tick(moment)]))
        return steps

    assert with_rig(body) == [
        ("20:30", ["sent 2030-07-01"]),
        ("21:00 too soon", []),
        ("21:31", ["sent 2030-07-01"]),
        ("23:30 cap", []),
        ("00:45 same window, cap", []),
        ("01:30 outside", []),
        ("next evening", ["sent 2030-07-02"]),
    ]
    assert len(server.chat_requests) == 3


def test_she_may_stay_silent_and_is_not_asked_again_at_once(server: FakeOpenAIServer) -> None:
    server.add(text_reply("  <SILENT>\n"), text_reply("Sensei, don't forget to eat!"))

    async def body(rig: Rig) -> None:
        rig.enable()
        [entry] = await rig.checkins.tick(EVENING)
        assert (entry.outcome, entry.message_id, entry.text) == ("silent", None, None)
        assert rig.outbox.sent == [] and rig.assistant_rows() == []
        assert await rig.checkins.tick(EVENING + timedelta(minutes=20)) == []  # considered recently
        [later] = await rig.checkins.tick(EVENING + timedelta(minutes=31))
        assert later.outcome == "sent" and rig.outbox.sent == [("cli:alice", "Sensei, don't forget to eat!")]

    with_rig(body)
    assert len(server.chat_requests) == 2


def test_a_recent_message_from_sensei_defers_the_check_in(server: FakeOpenAIServer) -> None:
    now = datetime.now(UTC)  # the session stamps messages with the real clock

    async def body(rig: Rig) -> None:
        start, end = (
            (now - timedelta(hours=2)).strftime("%H:%M"),
            (now + timedelta(hours=8)).strftime("%H:%M"),
        )
        rig.enable(timezone="UTC", start=start, end=end, min_gap_s=4 * 3600)
        rig.say("alice", ("user", "working on the slides"))
        assert await rig.checkins.tick(now + timedelta(minutes=5)) == []
        assert await rig.checkins.tick(now + timedelta(hours=3, minutes=50)) == []
        [entry] = await rig.checkins.tick(now + timedelta(hours=4, minutes=5))
        assert entry.outcome == "sent"

    with_rig(body)
    assert len(server.chat_requests) == 1


def test_without_a_sender_it_is_skipped_and_the_model_is_not_asked(server: FakeOpenAIServer) -> None:
    async def body(rig: Rig) -> None:
        rig.enable()
        [entry] = await rig.checkins.tick(EVENING)
        assert (entry.outcome, entry.error) == ("skipped", "no cli sender running")
        assert await rig.checkins.tick(EVENING + timedelta(minutes=10)) == []  # not logged every tick
        assert rig.assistant_rows() == []

    with_rig(body, register=False)
    assert server.chat_requests == []


def test_model_and_delivery_failures_are_logged_not_raised(server: FakeOpenAIServer) -> None:
    server.add(Reply(status=400), text_reply("Sensei, good night!"))

    async def body(rig: Rig) -> None:
        rig.enable()
        [failed] = await rig.checkins.tick(EVENING)
        assert failed.outcome == "failed" and "refused the request (400" in (failed.error or "")
        assert rig.assistant_rows() == []
        rig.deliveries.register("cli", Outbox(fail=True))
        [undelivered] = await rig.checkins.tick(EVENING + timedelta(minutes=31))
        assert (undelivered.outcome, undelivered.text) == ("failed", "Sensei, good night!")
        assert undelivered.error == "not delivered: the chat is gone"
        [row] = rig.assistant_rows()  # kept out of her history: Sensei never saw it
        assert (row.id, row.content, row.status) == (undelivered.message_id, "", "error")
        assert rig.store.last_sent("alice") is None

    with_rig(body)


def test_nobody_elses_conversation_reaches_the_prompt(server: FakeOpenAIServer) -> None:
    server.add(text_reply("Sensei, the party is close!"), text_reply("老师，今天累吗？"))

    async def body(rig: Rig) -> list[LogEntry]:
        rig.enable("alice")
        rig.enable("bob", language="zh", timezone="Asia/Shanghai", start="19:00", end="23:00")
        rig.say(
            "alice",
            ("user", "ALICE-SECRET: a surprise party for Carol"),
            ("assistant", "My lips are sealed."),
        )
        rig.say("bob", ("user", "BOB-NOTE: 今天加班"), ("assistant", "老师辛苦了。"))
        entries: list[LogEntry] = await rig.checkins.tick(EVENING)
        assert sorted(rig.outbox.sent) == [
            ("cli:alice", "Sensei, the party is close!"),
            ("cli:bob", "老师，今天累吗？"),
        ]
        return entries

    entries = with_rig(body)
    assert [(e.user_id, e.outcome) for e in entries] == [("alice", "sent"), ("bob", "sent")]
    alice, bob = (json.dumps(b, ensure_ascii=False) for b in server.chat_requests)
    assert "ALICE-SECRET" in alice and "BOB-NOTE" not in alice and "今天加班" not in alice
    assert "BOB-NOTE" in bob and "ALICE-SECRET" not in bob and "surprise party" not in bob
    assert (
        "in Chinese, addressing them as 老师" in bob and "2030-07-01 20:00 for Sensei (Asia/Shanghai)" in bob
    )


def test_memories_come_from_that_persons_recall_only(server: FakeOpenAIServer) -> None:
    server.default = lambda body: text_reply("Sensei, how is the cat?")
    asked: list[tuple[str, str]] = []

    async def recall(user_id: str, text: str) -> list[MemoryRecord]:
        asked.append((user_id, text))
        if user_id == "bob":
            raise RuntimeError("the memory store is down")
        return [MemoryRecord(f"{user_id} adopted a cat named Mochi", "2030-06-01")]

    async def body(rig: Rig) -> list[str]:
        rig.enable("alice")
        rig.enable("bob")
        rig.say("alice", ("user", "Mochi knocked over my tea"), ("assistant", "Oh no, Sensei!"))
        return [e.outcome for e in await rig.checkins.tick(EVENING)]

    assert with_rig(body, recall=recall) == ["sent", "sent"]  # a failing recall costs only memories
    assert asked == [("alice", "Mochi knocked over my tea"), ("bob", "how Sensei is doing")]
    alice, bob = (b["messages"][0]["content"] for b in server.chat_requests)
    assert "alice adopted a cat named Mochi" in alice and "What you remember" in alice
    assert "Mochi" not in bob and "What you remember" not in bob


def test_the_recurring_job_runs_the_tick(server: FakeOpenAIServer) -> None:
    server.add(text_reply("Sensei, tea break?"))

    async def body(rig: Rig) -> None:
        rig.scheduler.start(paused=True)
        rig.checkins.schedule(every_s=600)
        assert JOB_ID in rig.scheduler.job_ids()
        next_run = rig.scheduler.next_run(JOB_ID)
        assert next_run is not None and timedelta(0) < next_run - datetime.now(UTC) <= timedelta(seconds=600)
        rig.enable()
        await dispatch(rig.scheduler.key, JOB_KIND, "")  # what the stored job calls; uses the clock
        assert rig.outbox.sent == [("cli:alice", "Sensei, tea break?")]

    with_rig(body)


def test_enable_disable_and_status() -> None:
    async def body(rig: Rig) -> None:
        made = rig.enable(cap=3)
        assert rig.checkins.status("alice")[0] | {"created_at": "", "updated_at": ""} == {
            **{k: getattr(made, k) for k in made.__slots__},
            "created_at": "", "updated_at": "", "active_now": True, "window_day": "2030-07-01",
            "sent_in_window": 0, "last_sent": None,
        }  # fmt: skip
        again = rig.enable(cap=1)  # changing keeps when it was first set
        assert again.daily_cap == 1 and again.created_at == made.created_at
        assert rig.checkins.disable("alice") == 1 and rig.checkins.disable("alice") == 0
        assert rig.store.enabled() == [] and rig.checkins.status("bob") == []
        with pytest.raises(InputError, match="start and end"):
            rig.enable(start="10:00", end="10:00")

    with_rig(body)


# -- the CLI -------------------------------------------------------------------------------------
def test_the_cli_sets_shows_logs_and_turns_off() -> None:
    runner = CliRunner()
    base = ["set", "--user", "alice", "--chat", "42", "--channel", "telegram"]
    done = runner.invoke(
        checkins_cli,
        [*base, "--hours", "22:00-02:00", "--tz", "Asia/Tokyo", "--cap", "3", "--gap", "90m", "--lang", "ja"],
    )
    assert done.exit_code == 0, done.output
    assert "22:00-02:00 Asia/Tokyo, at most 3 per window, 90 min apart, in ja" in done.stdout
    shown = json.loads(runner.invoke(checkins_cli, ["show", "--user", "alice", "--json"]).stdout)
    assert [
        (r["channel"], r["chat_id"], r["start"], r["end"], r["daily_cap"], r["min_gap_s"], r["enabled"])
        for r in shown
    ] == [("telegram", "42", "22:00", "02:00", 3, 5400, True)]
    table = runner.invoke(checkins_cli, ["show", "--user", "alice"]).stdout
    assert "22:00-02:00" in table and "Asia/Tokyo" in table

    for args, expected in [
        (["--hours", "09:00-09:00", "--tz", "UTC"], "start and end at 09:00"),
        (["--hours", "09:00-22:00"], "Say which time zone"),
        (["--hours", "09:00-22:00", "--tz", "UTC", "--gap", "soon"], "Cannot read the gap"),
    ]:
        refused = runner.invoke(checkins_cli, [*base, *args])
        assert refused.exit_code == 2 and expected in refused.stderr, refused.output

    settings = load_settings()
    store = CheckinStore(settings.checkins_db)
    try:
        s = store.for_user("cli:alice")[0]
        store.record(s, datetime(2030, 7, 1, 13, 0, tzinfo=UTC), date(2030, 7, 1), "silent")
        store.record(
            s, datetime(2030, 7, 1, 14, 0, tzinfo=UTC), date(2030, 7, 1), "sent", text="先生、まだ起きてる？"
        )
    finally:
        store.close()
    log = json.loads(runner.invoke(checkins_cli, ["log", "--user", "alice", "-n", "1", "--json"]).stdout)
    assert [(e["outcome"], e["text"], e["at"]) for e in log] == [
        ("sent", "先生、まだ起きてる？", "2030-07-01T14:00:00+00:00")
    ]
    assert "先生、まだ起きてる？" in runner.invoke(checkins_cli, ["log", "--user", "alice"]).stdout
    assert (
        "No check-ins considered for cli:bob" in runner.invoke(checkins_cli, ["log", "--user", "bob"]).stdout
    )
    assert "No check-ins for cli:bob" in runner.invoke(checkins_cli, ["show", "--user", "bob"]).stdout

    off = runner.invoke(checkins_cli, ["off", "--user", "alice"])
    assert off.exit_code == 0 and "Check-ins off for cli:alice" in off.stdout
    again = runner.invoke(checkins_cli, ["off", "--user", "alice"])
    assert again.exit_code == 2 and "has no check-ins on" in again.stderr
    assert (
        json.loads(runner.invoke(checkins_cli, ["show", "--user", "alice", "--json"]).stdout)[0]["enabled"]
        is False
    )
