"""Reminders: set by Sensei (through Kokoron's tools or the CLI), fired by the scheduler, spoken first.

Rows live in `$KOCLAW_HOME/reminders.db` (their own database and migrations: the scheduler's job
store only wakes them up). Everything is scoped to the person (`user_id`): nobody lists or
cancels another's reminders, and a wrong id reads the same as a missing one.

A row's life: pending -> firing -> delivered | undelivered, or pending -> cancelled. `fire` claims a
pending row first, so a reminder never fires twice. The message is written to the session tier as
Kokoron's (assistant) message before it is sent, in the reminder's language with Sensei's address
term; when the channel has no sender running (the CLI, or Telegram while it is down) the row stays
`undelivered` and goes out when that channel registers a sender again.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from character import BaseLang, address_for
from character.profile import Profile
from koclaw.delivery import Deliveries, DeliveryError
from koclaw.errors import InputError, StorageError
from koclaw.scheduler import Scheduler
from koclaw.when import utc_now
from memory.db import Migrations, fetch_rows, open_db, utc_iso
from memory.session import SessionStore

log = logging.getLogger(__name__)

JOB_KIND = "reminder"
LATE_AFTER = timedelta(minutes=1)  # fired later than this after its time: the message says so
OPEN_STATUSES = ("pending", "undelivered")

migrations = Migrations("reminders")


@migrations
def m001_reminders(db: sqlite_utils.Database) -> None:
    db.table("reminders").create(
        {
            "id": int,
            "user_id": str,
            "channel": str,
            "chat_id": str,
            "text": str,
            "due_at": str,  # UTC ISO
            "timezone": str,  # the zone it was set in, to show it back the same way
            "language": str,
            "status": str,
            "created_at": str,
            "fired_at": str,
            "late_s": float,
            "message_id": int,  # the session tier's row of the message she sent
            "error": str,
        },
        pk="id",
        not_null={"user_id", "channel", "chat_id", "text", "due_at", "status", "created_at"},
    )
    db.table("reminders").create_index(["user_id", "status"])


@dataclass(frozen=True, slots=True)
class Reminder:
    id: int
    user_id: str
    channel: str
    chat_id: str
    text: str
    due_at: str
    timezone: str
    language: str
    status: str
    created_at: str
    fired_at: str | None = None
    late_s: float | None = None
    message_id: int | None = None
    error: str | None = None

    @property
    def due(self) -> datetime:
        return datetime.fromisoformat(self.due_at)

    @property
    def job_id(self) -> str:
        return f"{JOB_KIND}:{self.id}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ReminderStore:
    """The reminders table: one write path for the tools, the CLI and the scheduler's handler."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = open_db(path, migrations)

    def close(self) -> None:
        self.db.conn.close()

    def add(
        self,
        user_id: str,
        channel: str,
        chat_id: str,
        text: str,
        due: datetime,
        *,
        timezone: str,
        language: str,
        now: datetime,
    ) -> Reminder:
        row = {
            "user_id": user_id,
            "channel": channel,
            "chat_id": chat_id,
            "text": text,
            "due_at": utc_iso(due),
            "timezone": timezone,
            "language": language,
            "status": "pending",
            "created_at": utc_iso(now),
        }
        with self._write():
            rowid = self.db.table("reminders").insert(row).last_rowid
        if rowid is None:
            raise StorageError(f"Inserting a reminder into {self.path} returned no row id.")
        return self.get(rowid)

    def get(self, reminder_id: int) -> Reminder:
        rows = self._all("SELECT * FROM reminders WHERE id = ?", [reminder_id])
        if not rows:
            raise StorageError(f"No reminder {reminder_id}.")
        return Reminder(**rows[0])

    def for_user(self, user_id: str, *, include_done: bool = False) -> list[Reminder]:
        """This person's reminders, soonest first; by default only those still to come or unsent."""
        done = "" if include_done else f"AND status IN ({','.join('?' * len(OPEN_STATUSES))})"
        args = [user_id, *([] if include_done else OPEN_STATUSES)]
        rows = self._all(f"SELECT * FROM reminders WHERE user_id = ? {done} ORDER BY due_at, id", args)
        return [Reminder(**r) for r in rows]

    def with_status(self, *statuses: str, channel: str | None = None) -> list[Reminder]:
        where = f"status IN ({','.join('?' * len(statuses))})"
        args: list[Any] = list(statuses)
        if channel is not None:
            where += " AND channel = ?"
            args.append(channel)
        return [Reminder(**r) for r in self._all(f"SELECT * FROM reminders WHERE {where} ORDER BY id", args)]

    def cancel(self, user_id: str, reminder_id: int) -> Reminder:
        """Cancel one of this person's pending reminders; `InputError` for anything else."""
        with self._write():
            cur = self.db.execute(
                "UPDATE reminders SET status = 'cancelled' "
                "WHERE id = ? AND user_id = ? AND status = 'pending'",
                [reminder_id, user_id],
            )
        if cur.rowcount != 1:
            raise InputError(
                f"You have no pending reminder {reminder_id}; see your reminders with list_reminders "
                "or 'koclaw reminders list --user YOU'."
            )
        return self.get(reminder_id)

    def claim(self, reminder_id: int, *, from_status: str = "pending") -> bool:
        """Move a row from `from_status` to firing; True for exactly one caller."""
        with self._write():
            cur = self.db.execute(
                "UPDATE reminders SET status = 'firing' WHERE id = ? AND status = ?",
                [reminder_id, from_status],
            )
        return cur.rowcount == 1

    def update(self, reminder_id: int, **fields: Any) -> None:
        with self._write():
            self.db.table("reminders").update(reminder_id, fields)

    def _all(self, sql: str, args: Iterable[Any]) -> list[dict[str, Any]]:
        return fetch_rows(self.db, sql, args, source=f"Reminder database {self.path}")

    @contextmanager
    def _write(self) -> Iterator[None]:
        """A committed write; SQLite errors become `StorageError` naming the file."""
        try:
            with self.db.conn:
                yield
        except sqlite3.Error as exc:
            raise StorageError(f"Cannot write to {self.path}: {exc}") from exc


# -- what she says ------------------------------------------------------------------------------
_MESSAGE = {
    "zh": "{term}，提醒时间到啦：{text}",
    "ja": "{term}、お約束の時間です：{text}",
    "en": "{term}, it's time: {text}",
}
_LATE = {
    "zh": "（抱歉晚了{late}……那时我不在线，现在才想起来提醒你。）",
    "ja": "（{late}遅れてしまってごめんなさい……その時はお休みしていました。）",
    "en": "(Sorry, I'm {late} late with this... I was offline when it was due.)",
}
_UNITS = {
    "zh": ("{n}分钟", "{n}小时", "{n}天"),
    "ja": ("{n}分", "{n}時間", "{n}日"),
    "en": ("{n} minute{s}", "{n} hour{s}", "{n} day{s}"),
}


def _lang(language: str) -> BaseLang:
    return language if language in ("zh", "ja", "en") else "en"  # type: ignore[return-value]


def _span(seconds: float, lang: BaseLang) -> str:
    minute, hour, day = _UNITS[lang]
    for size, form in ((86400, day), (3600, hour), (60, minute)):
        if seconds >= size or size == 60:
            n = max(1, round(seconds / size))
            return form.format(n=n, s="" if n == 1 else "s")
    raise AssertionError("unreachable")


def reminder_text(reminder: Reminder, *, late_s: float = 0.0, profile: Profile | None = None) -> str:
    """Kokoron's words for a reminder, in its language, with Sensei's term and a late note if due."""
    lang = _lang(reminder.language)
    text = _MESSAGE[lang].format(term=address_for(lang, profile=profile), text=reminder.text.strip())
    if late_s >= LATE_AFTER.total_seconds():
        text += "\n" + _LATE[lang].format(late=_span(late_s, lang))
    return text


# -- the service --------------------------------------------------------------------------------
class Reminders:
    """Set, list, cancel and fire reminders; owns the "reminder" jobs of the App's scheduler."""

    def __init__(
        self,
        store: ReminderStore,
        scheduler: Scheduler,
        session: SessionStore,
        deliveries: Deliveries,
        *,
        profile: Profile | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.scheduler = scheduler
        self.session = session
        self.deliveries = deliveries
        self.profile = profile
        self.clock = clock
        self._tasks: set[asyncio.Task[int]] = set()
        scheduler.handle(JOB_KIND, self._on_job)
        deliveries.on_register(self._channel_up)

    def add(
        self,
        user_id: str,
        channel: str,
        chat_id: str,
        text: str,
        due: datetime,
        *,
        timezone: str,
        language: str = "en",
    ) -> Reminder:
        """Store and schedule a reminder (the caller has checked that `due` is to come)."""
        text = text.strip()
        if not text:
            raise InputError("Say what to be reminded of.")
        reminder = self.store.add(
            user_id, channel, chat_id, text, due, timezone=timezone, language=language, now=self.clock()
        )
        self.scheduler.at(reminder.job_id, JOB_KIND, str(reminder.id), reminder.due)
        return reminder

    def list(self, user_id: str, *, include_done: bool = False) -> list[Reminder]:
        return self.store.for_user(user_id, include_done=include_done)

    def cancel(self, user_id: str, reminder_id: int) -> Reminder:
        reminder = self.store.cancel(user_id, reminder_id)
        self.scheduler.remove(reminder.job_id)
        return reminder

    def recover(self) -> int:
        """After a crash: re-schedule pending rows whose job is gone and finish half-fired ones.

        A row left `firing` without a session message was never seen: it goes back to pending. One
        with a message was stored but maybe not sent: it is marked undelivered (sent again when its
        channel registers), never fired anew. Returns how many rows were touched.
        """
        touched = 0
        for reminder in self.store.with_status("firing"):
            if reminder.message_id is None:
                self.store.update(reminder.id, status="pending")
            else:
                self.store.update(reminder.id, status="undelivered", error="interrupted while sending")
            touched += 1
        jobs = set(self.scheduler.job_ids())
        for reminder in self.store.with_status("pending"):
            if reminder.job_id not in jobs:
                self.scheduler.at(reminder.job_id, JOB_KIND, str(reminder.id), reminder.due)
                touched += 1
        return touched

    async def _on_job(self, payload: str) -> None:
        await self.fire(int(payload))

    async def fire(self, reminder_id: int) -> Reminder | None:
        """Speak a due reminder once: store her message, then send it. None if it was not pending."""
        if not self.store.claim(reminder_id):
            return None
        reminder = self.store.get(reminder_id)
        now = self.clock()
        late_s = max(0.0, (now - reminder.due).total_seconds())
        text = reminder_text(reminder, late_s=late_s, profile=self.profile)
        conv = self.session.conversation(reminder.channel, reminder.chat_id, reminder.user_id)
        message_id = self.session.add_message(
            conv.id, "assistant", text, status="ok", language=_lang(reminder.language)
        )
        self.store.update(reminder_id, fired_at=utc_iso(now), late_s=late_s, message_id=message_id)
        await self._deliver(reminder, text)
        return self.store.get(reminder_id)

    async def redeliver(self, channel: str) -> int:
        """Send the reminders of `channel` that found no sender; returns how many went out."""
        sent = 0
        for reminder in self.store.with_status("undelivered", channel=channel):
            if reminder.message_id is None or not self.store.claim(reminder.id, from_status="undelivered"):
                continue
            text = self.session.get_message(reminder.message_id).content
            sent += await self._deliver(reminder, text)
        return sent

    async def drain(self) -> None:
        """Wait for redeliveries started by channels registering (call before closing the stores)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _deliver(self, reminder: Reminder, text: str) -> int:
        """Send through the channel's sender; the row ends delivered or undelivered (with why)."""
        sender = self.deliveries.get(reminder.channel)
        if sender is None:  # no await between this look-up and the update: a channel registering sees it
            self.store.update(
                reminder.id, status="undelivered", error=f"no {reminder.channel} sender was running"
            )
            return 0
        try:
            await sender(reminder.chat_id, text)
        except DeliveryError as exc:
            log.warning("reminder %s could not be sent: %s", reminder.id, exc)
            self.store.update(reminder.id, status="undelivered", error=str(exc))
            return 0
        except BaseException:
            self.store.update(reminder.id, status="undelivered", error="sending failed or was cancelled")
            raise
        self.store.update(reminder.id, status="delivered", error=None)
        return 1

    def _channel_up(self, channel: str) -> None:
        if not self.store.with_status("undelivered", channel=channel):
            return
        task = asyncio.get_running_loop().create_task(self.redeliver(channel), name=f"redeliver {channel}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
