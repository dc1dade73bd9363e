"""Daily check-ins: Kokoron may speak first, a few times a day, in Sensei's active hours.

Opt-in per person (`CheckinSettings`, in `$KOCLAW_HOME/checkins.db`). A recurring scheduler job calls
`CheckIns.tick`; for each enabled person the pure `decide` says whether a check-in is due: inside the
active window in their zone (a window may cross midnight: 01:30 of a 22:00-02:00 window belongs to the
evening before, so the daily cap counts per window), under the cap, past the minimum gap since the
last one and since Sensei last wrote, and not asked too recently. When due, the model writes one short
message from that person's own conversation only, or answers `<silent>`. What she says is written to
the session tier as her (assistant) message, then sent; every consideration is logged.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlite_utils

from character import LANGUAGE_NAMES, BaseLang, address_for, load_profile, render_persona
from character.profile import Profile
from koclaw.agent import RecallFn
from koclaw.delivery import Deliveries
from koclaw.errors import InputError, StorageError
from koclaw.llm.base import ChatModel, ChatRequest
from koclaw.scheduler import Scheduler
from koclaw.when import utc_now
from memory import working
from memory.db import Migrations, fetch_rows, open_db, utc_iso
from memory.session import Conversation, SessionStore

log = logging.getLogger(__name__)

JOB_KIND = "checkin"
JOB_ID = "checkin:tick"
DEFAULT_CAP = 2
DEFAULT_GAP_S = 4 * 3600
MAX_CAP = 48  # per window: she is asked at most every 30 minutes, so more could never be sent
MAX_GAP_S = 30 * 86400  # a month; far past any real wish, and timedelta (in `decide`) has a limit
CHANNELS = ("cli", "telegram")  # where a check-in can be written (http has no chat to write into)
CONSIDER_EVERY = timedelta(minutes=30)  # ask the model at most this often per person
HISTORY_MESSAGES, HISTORY_TOKENS, MEMORY_TOKENS, MAX_TOKENS = 12, 2000, 400, 200
SILENT = "<silent>"
OUTCOMES = ("sent", "silent", "skipped", "failed")

migrations = Migrations("checkins")


@migrations
def m001_checkins(db: sqlite_utils.Database) -> None:
    db.table("settings").create(
        {"user_id": str, "channel": str, "chat_id": str, "timezone": str, "start": str, "end": str,
         "daily_cap": int, "min_gap_s": int, "language": str, "enabled": int, "created_at": str,
         "updated_at": str},
        pk=("user_id", "channel"),
        not_null={"chat_id", "timezone", "start", "end", "daily_cap", "min_gap_s", "language", "enabled"},
    )  # fmt: skip
    db.table("log").create(
        {"id": int, "user_id": str, "channel": str, "chat_id": str, "at": str, "window_day": str,
         "outcome": str, "message_id": int, "text": str, "error": str},
        pk="id",
        not_null={"user_id", "channel", "at", "window_day", "outcome"},
    )  # fmt: skip
    db.table("log").create_index(["user_id", "at"])


@dataclass(frozen=True, slots=True)
class CheckinSettings:
    user_id: str
    channel: str
    chat_id: str
    timezone: str  # IANA
    start: str  # "HH:MM" local; end < start: the window crosses midnight
    end: str
    daily_cap: int = DEFAULT_CAP  # per window
    min_gap_s: int = DEFAULT_GAP_S
    language: str = "en"
    enabled: bool = True
    created_at: str = ""
    updated_at: str = ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True, slots=True)
class LogEntry:
    id: int
    user_id: str
    channel: str
    chat_id: str
    at: str  # UTC ISO
    window_day: str
    outcome: str  # sent | silent | skipped | failed
    message_id: int | None = None  # her session-tier message, when one was written
    text: str | None = None
    error: str | None = None


def parse_clock(text: str) -> time:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise InputError(f"Cannot read the time {text!r}; write it as HH:MM, e.g. 09:00 or 22:30.")
    return time(int(match[1]), int(match[2]))


def parse_hours(text: str) -> tuple[str, str]:
    """'09:00-22:00' -> ('09:00', '22:00'); '22:00-02:00' crosses midnight."""
    start, sep, end = text.partition("-")
    if not sep:
        raise InputError(f"Cannot read the hours {text!r}; write them as START-END, e.g. 09:00-22:00.")
    return parse_clock(start).strftime("%H:%M"), parse_clock(end).strftime("%H:%M")


def parse_gap(text: str) -> int:
    """'4h', '90m', '1h30m', '3600' (seconds) -> seconds."""
    raw = text.strip().lower()
    if raw.isascii() and raw.isdigit():  # '²'.isdigit() too
        return int(raw)
    parts = re.findall(r"(\d+)\s*([hms])", raw)
    if not parts or re.sub(r"\d+\s*[hms]|\s", "", raw):
        raise InputError(f"Cannot read the gap {text!r}; use e.g. 4h, 90m, 1h30m or seconds (3600).")
    return sum(int(n) * {"h": 3600, "m": 60, "s": 1}[unit] for n, unit in parts)


def validated(s: CheckinSettings) -> CheckinSettings:
    """The settings, normalised; `InputError` saying what to change."""
    try:
        ZoneInfo(s.timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file name
        raise InputError(f"Unknown time zone {s.timezone!r}; use an IANA name such as Asia/Tokyo.") from None
    start, end = parse_clock(s.start).strftime("%H:%M"), parse_clock(s.end).strftime("%H:%M")
    if start == end:
        raise InputError(f"The active hours start and end at {start}; give a real window, e.g. 09:00-22:00.")
    if s.daily_cap < 1:
        raise InputError("The daily cap must be at least 1; to stop check-ins, turn them off instead.")
    if s.daily_cap > MAX_CAP:
        raise InputError(f"The daily cap is at most {MAX_CAP} (one every 30 minutes); use e.g. 2.")
    if s.min_gap_s < 0:
        raise InputError("The minimum gap between check-ins cannot be negative; use e.g. 4h.")
    if s.min_gap_s > MAX_GAP_S:
        raise InputError(
            f"The minimum gap between check-ins is at most {MAX_GAP_S // 86400} days "
            f"({MAX_GAP_S // 3600}h); use e.g. 4h."
        )
    if s.channel not in CHANNELS:
        raise InputError(f"Check-ins cannot be written on {s.channel!r}; use one of: {', '.join(CHANNELS)}.")
    if s.language not in LANGUAGE_NAMES:
        raise InputError(f"Unknown language {s.language!r}; use zh, ja or en.")
    if not (s.user_id and s.channel and s.chat_id):
        raise InputError("Say whose check-ins these are: a user, a channel and a chat.")
    return replace(s, start=start, end=end)


# -- when ----------------------------------------------------------------------------------------
class Window(NamedTuple):
    day: date  # the local date the window opened on: what the cap counts by
    start: datetime  # aware, in the person's zone
    end: datetime


def _at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """`clock` on `day` as a real instant: an ambiguous time (DST fold) is its first occurrence, a
    skipped one (DST gap) the moment the clocks jump past it."""
    naive = datetime.combine(day, clock)
    real = naive.replace(tzinfo=zone).astimezone(UTC)
    if real.astimezone(zone).replace(tzinfo=None) == naive:
        return real.astimezone(zone)
    after = real.astimezone(zone).utcoffset()
    moment = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)  # before the jump
    while moment < real and moment.astimezone(zone).utcoffset() != after:
        moment += timedelta(minutes=1)
    return moment.astimezone(zone)


def window_for(settings: CheckinSettings, now: datetime) -> Window | None:
    """The active window containing `now` in the person's zone; None outside active hours."""
    if now.tzinfo is None:
        raise ValueError("window_for needs an aware `now`")
    zone = settings.zone
    start, end = parse_clock(settings.start), parse_clock(settings.end)
    today = now.astimezone(zone).date()
    for day in (today - timedelta(days=1), today):
        opened = _at(day, start, zone)
        closes = _at(day + timedelta(days=1 if end <= start else 0), end, zone)
        if opened <= now < closes:
            return Window(day, opened, closes)
    return None


@dataclass(frozen=True, slots=True)
class Decision:
    due: bool
    reason: str  # disabled | outside_hours | cap_reached | too_soon | sensei_active | considered | due
    window: Window | None = None


def decide(
    settings: CheckinSettings,
    now: datetime,
    sent_in_window: int,
    last_sent_at: datetime | None,
    last_considered_at: datetime | None,
    last_user_message_at: datetime | None,
) -> Decision:
    """Whether to ask the model for a check-in now, and the first reason not to."""
    window = window_for(settings, now)
    gap = timedelta(seconds=min(settings.min_gap_s, MAX_GAP_S))  # a row stored before the bound

    def within(at: datetime | None, span: timedelta) -> bool:
        return at is not None and now - at < span

    for failed, reason in (
        (not settings.enabled, "disabled"),
        (window is None, "outside_hours"),
        (sent_in_window >= settings.daily_cap, "cap_reached"),
        (within(last_sent_at, gap), "too_soon"),
        (within(last_user_message_at, gap), "sensei_active"),  # never interrupt a conversation
        (within(last_considered_at, CONSIDER_EVERY), "considered"),  # the model was asked just now
    ):
        if failed:
            return Decision(False, reason, window)
    return Decision(True, "due", window)


# -- the store -----------------------------------------------------------------------------------
class CheckinStore:
    """Check-in settings and the log of every check-in considered."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = open_db(path, migrations)

    def close(self) -> None:
        self.db.conn.close()

    def set(self, settings: CheckinSettings, *, now: datetime) -> CheckinSettings:
        s = validated(settings)
        old = self.get(s.user_id, s.channel)
        row = {**asdict(s), "enabled": int(s.enabled), "updated_at": utc_iso(now)}
        row["created_at"] = old.created_at if old else utc_iso(now)
        self._write(lambda: self.db.table("settings").upsert(row, pk=("user_id", "channel")))
        return self.get(s.user_id, s.channel) or s

    def get(self, user_id: str, channel: str) -> CheckinSettings | None:
        rows = self._settings("user_id = ? AND channel = ?", [user_id, channel])
        return rows[0] if rows else None

    def for_user(self, user_id: str) -> list[CheckinSettings]:
        return self._settings("user_id = ?", [user_id])

    def enabled(self) -> list[CheckinSettings]:
        return self._settings("enabled = 1", [])

    def disable(self, user_id: str, *, now: datetime, channel: str | None = None) -> int:
        """Turn off this person's check-ins (on one channel, or all); returns how many were on."""
        sql = "UPDATE settings SET enabled = 0, updated_at = ? WHERE user_id = ? AND enabled = 1"
        args = [utc_iso(now), user_id, *([channel] if channel else [])]
        cur = self._write(lambda: self.db.execute(sql + (" AND channel = ?" if channel else ""), args))
        return int(cur.rowcount)

    def record(
        self, s: CheckinSettings, at: datetime, window_day: date, outcome: str, **fields: Any
    ) -> LogEntry:
        assert outcome in OUTCOMES, outcome
        row = {"user_id": s.user_id, "channel": s.channel, "chat_id": s.chat_id, "at": utc_iso(at)}
        row |= {"window_day": window_day.isoformat(), "outcome": outcome, **fields}
        rowid = self._write(lambda: self.db.table("log").insert(row).last_rowid)
        rows = self._all("SELECT * FROM log WHERE id = ?", [rowid])
        if not rows:
            raise StorageError(f"Logging a check-in into {self.path} returned no row.")
        return LogEntry(**rows[0])

    def log(self, user_id: str, *, limit: int = 20) -> list[LogEntry]:
        """This person's log, newest first."""
        sql = "SELECT * FROM log WHERE user_id = ? ORDER BY at DESC, id DESC LIMIT ?"
        return [LogEntry(**r) for r in self._all(sql, [user_id, limit])]

    def sent_count(self, user_id: str, window_day: date) -> int:
        sql = "SELECT COUNT(*) AS n FROM log WHERE user_id = ? AND window_day = ? AND outcome = 'sent'"
        return int(self._all(sql, [user_id, window_day.isoformat()])[0]["n"])

    def last_sent(self, user_id: str) -> datetime | None:
        return self._last(user_id, "AND outcome = 'sent'")

    def last_considered(self, user_id: str) -> datetime | None:
        return self._last(user_id, "")

    def _last(self, user_id: str, where: str) -> datetime | None:
        rows = self._all(f"SELECT MAX(at) AS at FROM log WHERE user_id = ? {where}", [user_id])
        return datetime.fromisoformat(rows[0]["at"]) if rows[0]["at"] else None

    def _settings(self, where: str, args: list[Any]) -> list[CheckinSettings]:
        rows = self._all(f"SELECT * FROM settings WHERE {where} ORDER BY user_id, channel", args)
        return [CheckinSettings(**{**r, "enabled": bool(r["enabled"])}) for r in rows]

    def _all(self, sql: str, args: Iterable[Any]) -> list[dict[str, Any]]:
        return fetch_rows(self.db, sql, args, source=f"Check-in database {self.path}")

    def _write(self, action: Callable[[], Any]) -> Any:
        try:
            with self.db.conn:
                return action()
        except sqlite3.Error as exc:
            raise StorageError(f"Cannot write to {self.path}: {exc}") from exc


def describe(store: CheckinStore, s: CheckinSettings, now: datetime) -> dict[str, Any]:
    """Settings plus where they stand now (for /checkin, `koclaw checkins show`)."""
    window = window_for(s, now)
    last = store.last_sent(s.user_id)
    return {
        **asdict(s),
        "active_now": window is not None,
        "window_day": window.day.isoformat() if window else None,
        "sent_in_window": store.sent_count(s.user_id, window.day) if window else 0,
        "last_sent": utc_iso(last) if last else None,
    }


# -- the service ---------------------------------------------------------------------------------
def clean_reply(text: str) -> str:
    """The visible words: no `<think>` blocks (closed or not) and nothing before a stray `</think>`."""
    text = re.sub(r"<think>.*?(?:</think>|$)", "", text, flags=re.S)
    return text.rsplit("</think>", 1)[-1].strip()


def is_silent(text: str) -> bool:
    return not text or SILENT in text.lower().replace(" ", "")


class CheckIns:
    """Enable, disable and run check-ins; owns the "checkin" job of the App's scheduler."""

    def __init__(
        self,
        store: CheckinStore,
        scheduler: Scheduler,
        session: SessionStore,
        deliveries: Deliveries,
        model: ChatModel,
        *,
        profile: Profile | None = None,
        recall: RecallFn | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store, self.scheduler, self.session = store, scheduler, session
        self.deliveries, self.model, self.recall, self.clock = deliveries, model, recall, clock
        self.profile = profile or load_profile()
        scheduler.handle(JOB_KIND, self._on_job)

    def schedule(self, every_s: int = 900) -> None:
        """Store the recurring tick (replacing the old one, so a changed interval takes)."""
        self.scheduler.every(JOB_ID, JOB_KIND, "", every_s)

    def enable(
        self,
        user_id: str,
        channel: str,
        chat_id: str,
        *,
        timezone: str,
        start: str,
        end: str,
        cap: int = DEFAULT_CAP,
        min_gap_s: int = DEFAULT_GAP_S,
        language: str = "en",
    ) -> CheckinSettings:
        s = CheckinSettings(user_id, channel, chat_id, timezone, start, end, cap, min_gap_s, language)
        return self.store.set(s, now=self.clock())

    def disable(self, user_id: str, channel: str | None = None) -> int:
        return self.store.disable(user_id, now=self.clock(), channel=channel)

    def status(self, user_id: str) -> list[dict[str, Any]]:
        now = self.clock()
        return [describe(self.store, s, now) for s in self.store.for_user(user_id)]

    async def _on_job(self, payload: str) -> None:
        await self.tick()

    async def tick(self, now: datetime | None = None) -> list[LogEntry]:
        """Consider every enabled person once; returns what was logged (sent, silent, skipped, failed)."""
        now = now or self.clock()
        done: list[LogEntry] = []
        for s in self.store.enabled():
            try:
                entry = await self._consider(s, now)
            except Exception:  # one person's trouble must not stop the others' check-ins
                log.exception("the check-in for %s on %s failed", s.user_id, s.channel)
                continue
            if entry is not None:
                done.append(entry)
        return done

    async def _consider(self, s: CheckinSettings, now: datetime) -> LogEntry | None:
        window = window_for(s, now)
        if window is None:
            return None
        conv = self.session.conversation(s.channel, s.chat_id, s.user_id)
        said = [m for m in self.session.messages(conv.id, limit=50) if m.role == "user"]
        last_user = datetime.fromisoformat(said[-1].created_at) if said else None
        sent = self.store.sent_count(s.user_id, window.day)
        last_sent, considered = self.store.last_sent(s.user_id), self.store.last_considered(s.user_id)
        if not decide(s, now, sent, last_sent, considered, last_user).due:
            return None
        sender = self.deliveries.get(s.channel)
        if sender is None:  # a check-in kept for later would be stale: skip it
            return self.store.record(s, now, window.day, "skipped", error=f"no {s.channel} sender running")
        try:
            text, error = await self.model.complete(await self._request(s, conv, now))
        except Exception as exc:  # `complete` reports model trouble; anything else is logged the same
            text, error = "", f"{type(exc).__name__}: {exc}"
        if error is not None:
            log.warning("the check-in for %s got no reply from the model: %s", s.user_id, error)
            return self.store.record(s, now, window.day, "failed", error=error)
        text = clean_reply(text)
        if is_silent(text):
            return self.store.record(s, now, window.day, "silent")
        message_id = self.session.add_message(conv.id, "assistant", text, status="ok", language=s.language)
        try:
            await sender(s.chat_id, text)
        except Exception as exc:  # never seen: keep it out of her history, keep it in the log
            self.session.update_message(message_id, content="", status="error", error=f"not delivered: {exc}")
            return self.store.record(
                s, now, window.day, "failed", message_id=message_id, text=text, error=f"not delivered: {exc}"
            )
        return self.store.record(s, now, window.day, "sent", message_id=message_id, text=text)

    async def _request(self, s: CheckinSettings, conv: Conversation, now: datetime) -> ChatRequest:
        """Her persona, this person's recent turns (and memories), and the check-in note: nobody else's."""
        turns = self.session.history(conv.id, HISTORY_TOKENS)
        history = [m for m in turns if m.id > (conv.summary_upto_id or 0)][-HISTORY_MESSAGES:]
        parts = [working.render_soul(render_persona(self.profile))]
        if self.recall is not None:
            query = next((m.content for m in reversed(history) if m.role == "user"), "how Sensei is doing")
            try:
                parts.append(working.render_memories(await self.recall(s.user_id, query), MEMORY_TOKENS)[0])
            except Exception:  # memories help; a check-in does not need them
                log.warning("recall for the check-in of %s failed", s.user_id, exc_info=True)
        parts.append(working.render_session(conv.summary, bool(history)))
        lang: BaseLang = s.language if s.language in LANGUAGE_NAMES else "en"
        local = now.astimezone(s.zone)
        note = (
            f"{working.NOW_HEADER}\n(A note from Koclaw, not a message from Sensei.) It is "
            f"{local:%A, %Y-%m-%d %H:%M} for Sensei ({s.timezone}). You may check in on Sensei unprompted. "
            f"If something is worth saying now, grounded in what you know of Sensei and this conversation "
            f"(never invent events), write one short, natural check-in (one or two sentences) in "
            f"{LANGUAGE_NAMES[lang]}, addressing them as {address_for(lang, profile=self.profile)}. "
            f"If there is nothing worth saying now, reply with exactly {SILENT} and nothing else."
        )
        messages: list[dict[str, Any]] = [{"role": "system", "content": "\n\n".join(parts)}]
        messages += [{"role": m.role, "content": m.content} for m in history]
        messages.append({"role": "user", "content": note})
        return ChatRequest(messages=messages, thinking=False, max_tokens=MAX_TOKENS)
