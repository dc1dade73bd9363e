"""The session tier: conversations and their messages in SQLite (one write path, principle 6).

A message is written to the inbox the moment it is received, and moves into `messages` when its
turn starts, so the ids of `messages` stay in turn order however many wait behind a running turn.
The assistant's row exists from the first token and holds the text streamed so far, so a crash,
restart or kill -9 loses nothing that was received (what the inbox still holds is answered on the
next start, see `koclaw.recovery`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from koclaw.errors import AlreadyReceived, InputError, StorageError
from koclaw.inputs import row_id
from memory.db import fetch_rows, open_db
from memory.session_schema import migrations
from memory.tokens import estimate_tokens

Role = Literal["user", "assistant", "tool", "system"]

# Assistant rows: streaming -> ok | truncated | error | interrupted.
# User rows: received -> answered | unanswered.
FINAL_ASSISTANT_STATUSES = ("ok", "truncated", "error", "interrupted")
_KEPT = (
    "SELECT 1 WHERE EXISTS (SELECT 1 FROM inbox WHERE source_id = ?) "
    "OR EXISTS (SELECT 1 FROM messages WHERE source_id = ?)"
)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(slots=True)
class SessionSummary:
    """What the session tier holds for one chat scope."""

    conversations: int = 0
    messages: int = 0
    current: int = 0  # messages in the open conversation
    since: str | None = None  # ISO time of the first conversation
    recent: list[tuple[int, str]] = field(default_factory=list)  # (id, text) of the newest own messages


@dataclass(frozen=True, slots=True)
class Conversation:
    id: int
    channel: str
    chat_id: str
    user_id: str
    user_name: str | None
    started_at: str
    updated_at: str
    ended_at: str | None = None
    summary: str | None = None
    summary_upto_id: int | None = None  # the summary covers this conversation's messages up to this id


@dataclass(slots=True)
class Message:
    id: int
    conversation_id: int
    role: str
    content: str
    status: str
    created_at: str
    user_id: str | None = None
    reasoning: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    tool_call_id: str | None = None
    notice: str | None = None
    error: str | None = None
    language: str | None = None
    model: str | None = None
    adapter: str | None = None
    completed_at: str | None = None
    latency_ms: float | None = None
    first_token_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    tokens: int | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Message:
        data = {k: v for k, v in row.items() if k in cls.__slots__}
        if row.get("partial") is not None:  # a reply still streaming: its text so far
            data["content"] = row["partial"]
        data["tool_calls"] = json.loads(row["tool_calls"]) if row.get("tool_calls") else []
        return cls(**data)

    def to_dict(self, *, reasoning: bool = False) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__slots__}
        if not reasoning:
            data.pop("reasoning")
        return data


@dataclass(frozen=True, slots=True)
class Received:
    """A message in the inbox: received, its turn not started yet."""

    id: int
    channel: str
    chat_id: str
    user_id: str
    content: str
    received_at: str
    user_name: str | None = None
    speaker_id: str | None = None
    source_id: str | None = None  # the channel's own id of the message (`receive`)


MESSAGE_UPDATABLE = frozenset(Message.__slots__) - {"id", "conversation_id", "role", "created_at"}


class SessionStore:
    """Read and write the session tier. Use from one thread (the event loop's)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = open_db(path, migrations)

    def close(self) -> None:
        self.db.conn.close()

    # -- conversations -------------------------------------------------------------------------
    def conversation(
        self, channel: str, chat_id: str, user_id: str, user_name: str | None = None
    ) -> Conversation:
        """The open conversation for this channel, chat and user, started if there is none."""
        row = self._one(
            "SELECT * FROM conversations WHERE channel = ? AND chat_id = ? AND user_id = ? "
            "AND ended_at IS NULL ORDER BY id DESC LIMIT 1",
            [channel, chat_id, user_id],
        )
        if row is not None:
            return Conversation(**row)
        stamp = now_iso()
        with self._write():
            conv_id = self._insert(
                "conversations",
                {
                    "channel": channel,
                    "chat_id": chat_id,
                    "user_id": user_id,
                    "user_name": user_name,
                    "started_at": stamp,
                    "updated_at": stamp,
                },
            )
        return self.get_conversation(conv_id)

    def open_conversation(self, channel: str, chat_id: str, user_id: str) -> Conversation | None:
        """The open conversation of this scope, without starting one (as `conversation` would)."""
        row = self._one(
            "SELECT * FROM conversations WHERE channel = ? AND chat_id = ? AND user_id = ? "
            "AND ended_at IS NULL ORDER BY id DESC LIMIT 1",
            [channel, chat_id, user_id],
        )
        return Conversation(**row) if row is not None else None

    def end_open(self, channel: str, chat_id: str, user_id: str) -> bool:
        """End the open conversation of this scope (/reset); False when there was none."""
        conv = self.open_conversation(channel, chat_id, user_id)
        if conv is not None:
            self.end_conversation(conv.id)
        return conv is not None

    def summary_for(self, channel: str, chat_id: str, user_id: str, *, recent: int = 5) -> SessionSummary:
        """What the session tier holds for one chat scope (/memory): counts, and the newest own messages."""
        rows = self._all(
            "SELECT c.id, c.started_at, c.ended_at, COUNT(m.id) AS messages FROM conversations c "
            "LEFT JOIN messages m ON m.conversation_id = c.id "
            "WHERE c.channel = ? AND c.chat_id = ? AND c.user_id = ? GROUP BY c.id ORDER BY c.id DESC",
            [channel, chat_id, user_id],
        )
        summary = SessionSummary(conversations=len(rows), messages=sum(int(r["messages"]) for r in rows))
        if rows:
            summary.since = min(str(r["started_at"]) for r in rows)
            summary.current = sum(int(r["messages"]) for r in rows if r["ended_at"] is None)
        newest = self._all(
            "SELECT m.id, m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.channel = ? AND c.chat_id = ? AND c.user_id = ? AND m.role = 'user' "
            "ORDER BY m.id DESC LIMIT ?",
            [channel, chat_id, user_id, recent],
        )
        summary.recent = [(int(r["id"]), str(r["content"])) for r in newest]
        return summary

    def end_conversation(self, conversation_id: int) -> None:
        """Close a conversation so the next message starts a fresh one (long-term memory stays)."""
        with self._write():
            self.db.table("conversations").update(conversation_id, {"ended_at": now_iso()})

    def set_summary(self, conversation_id: int, summary: str, upto_message_id: int) -> None:
        """Store the rolling summary of this conversation's messages up to `upto_message_id`."""
        with self._write():
            self.db.table("conversations").update(
                conversation_id, {"summary": summary, "summary_upto_id": upto_message_id}
            )

    def get_conversation(self, conversation_id: int) -> Conversation:
        row = self._one("SELECT * FROM conversations WHERE id = ?", [conversation_id])
        if row is None:
            raise StorageError(
                f"No conversation {conversation_id}. List them with 'koclaw memory session list'."
            )
        return Conversation(**row)

    def list_conversations(
        self, *, limit: int = 20, user_id: str | None = None, query: str | None = None
    ) -> list[dict[str, Any]]:
        """Newest first, with message counts; `query` keeps conversations with a matching message."""
        where: list[str] = ["1 = 1"]
        args: list[Any] = []
        if user_id is not None:
            where.append("c.user_id = ?")
            args.append(user_id)
        if query:
            ids = {m.conversation_id for m in self.search(query, limit=1000, user_id=user_id)}
            if not ids:
                return []
            where.append(f"c.id IN ({','.join('?' * len(ids))})")
            args.extend(sorted(ids))
        sql = (
            "SELECT c.*, COUNT(m.id) AS messages FROM conversations c "
            "LEFT JOIN messages m ON m.conversation_id = c.id "
            f"WHERE {' AND '.join(where)} GROUP BY c.id ORDER BY c.updated_at DESC, c.id DESC LIMIT ?"
        )
        return self._all(sql, [*args, limit])

    # -- messages ------------------------------------------------------------------------------
    def add_message(self, conversation_id: int, role: Role, content: str, **fields: Any) -> int:
        """Append a message; returns its id. Committed before this returns."""
        bad = set(fields) - MESSAGE_UPDATABLE
        if bad:
            raise ValueError(f"unknown message fields: {sorted(bad)}")
        stamp = now_iso()
        row = {
            "conversation_id": conversation_id,
            "role": role,
            "content": content,
            "created_at": stamp,
            "status": fields.pop("status", "ok"),
            "tokens": estimate_tokens(content),
            **self._encode(fields),
        }
        with self._write():
            msg_id = self._insert("messages", row)
            self.db.table("conversations").update(conversation_id, {"updated_at": stamp})
        return msg_id

    def update_message(self, message_id: int, **fields: Any) -> None:
        bad = set(fields) - MESSAGE_UPDATABLE
        if bad:
            raise ValueError(f"unknown message fields: {sorted(bad)}")
        if "content" in fields:
            fields["tokens"] = estimate_tokens(fields["content"])
            fields["partial"] = None  # the reply's text is final from here on
        fields = self._encode(fields)
        # Plain SQL (names from MESSAGE_UPDATABLE only): sqlite_utils' update looks the table's
        # columns up first, three times the cost of the write, and replies save often.
        assignments = ", ".join(f"{name} = ?" for name in fields)
        with self._write():
            cur = self.db.execute(
                f"UPDATE messages SET {assignments} WHERE id = ?", [*fields.values(), message_id]
            )
        if not cur.rowcount:
            raise StorageError(f"No message {message_id}.")

    def consolidated(self, conversation_id: int) -> tuple[int, int]:
        """The last message id consolidated into facts, and the failed passes since (0, 0: none yet)."""
        row = self._one(
            "SELECT upto_message_id, failures FROM consolidation WHERE conversation_id = ?", [conversation_id]
        )
        return (int(row["upto_message_id"]), int(row["failures"])) if row else (0, 0)

    def set_consolidated(self, conversation_id: int, upto: int, failures: int) -> None:
        with self._write():
            self.db.execute(
                "INSERT OR REPLACE INTO consolidation (conversation_id, upto_message_id, failures, ran_at) "
                "VALUES (?, ?, ?, ?)",
                [conversation_id, upto, failures, now_iso()],
            )

    def save_partial(self, message_id: int, text: str) -> None:
        """What a streaming reply has shown so far (read back as its content until it ends)."""
        with self._write():
            self.db.execute("UPDATE messages SET partial = ? WHERE id = ?", [text, message_id])

    def get_message(self, message_id: int) -> Message:
        row = self._one("SELECT * FROM messages WHERE id = ?", [message_id])
        if row is None:
            raise StorageError(f"No message {message_id}.")
        return Message.from_row(row)

    def messages(self, conversation_id: int, *, limit: int | None = None) -> list[Message]:
        """Oldest first; with `limit`, the newest `limit` of them."""
        sql = "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id DESC"
        rows = self._all(sql + (" LIMIT ?" if limit else ""), [conversation_id, *([limit] if limit else [])])
        return [Message.from_row(r) for r in reversed(rows)]

    def history(
        self, conversation_id: int, budget_tokens: int, *, before_id: int | None = None
    ) -> list[Message]:
        """The most recent user/assistant turns that fit in `budget_tokens`, oldest first.

        Failed or interrupted replies keep only what the model actually said; rows still
        streaming and empty replies are left out. Reads at most a few hundred rows, so a
        long session costs the same as a short one.
        """
        rows = self._all(
            "SELECT id, conversation_id, role, content, status, created_at, tokens, language FROM messages "
            "WHERE conversation_id = ? AND role IN ('user', 'assistant') AND status != 'streaming' "
            "AND content != '' AND id < ? ORDER BY id DESC LIMIT 400",
            [conversation_id, before_id if before_id is not None else 2**62],
        )
        picked: list[Message] = []
        used = 0
        for row in rows:
            used += row["tokens"] or estimate_tokens(row["content"])
            if used > budget_tokens:
                break
            picked.append(Message.from_row(row))
        picked.reverse()
        # A history must not open with a reply to a turn that was cut away.
        while picked and picked[0].role == "assistant":
            picked.pop(0)
        return picked

    def search(self, query: str, *, limit: int = 20, user_id: str | None = None) -> list[Message]:
        """Messages whose text contains `query` (any language), newest first."""
        query = query.strip()
        if not query:
            return []
        scope, args = ("AND c.user_id = ?", [user_id]) if user_id is not None else ("", [])
        if len(query) >= 3:
            phrase = '"' + query.replace('"', '""') + '"'
            sql = (
                "SELECT m.* FROM messages m JOIN messages_fts f ON f.rowid = m.id "
                "JOIN conversations c ON c.id = m.conversation_id "
                f"WHERE messages_fts MATCH ? {scope} ORDER BY m.id DESC LIMIT ?"
            )
            rows = self._all(sql, [phrase, *args, limit])
        else:  # trigrams need three characters; short queries scan
            sql = (
                "SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                f"WHERE instr(m.content, ?) > 0 {scope} ORDER BY m.id DESC LIMIT ?"
            )
            rows = self._all(sql, [query, *args, limit])
        return [Message.from_row(r) for r in rows]

    def forget(self, user_id: str, target: str) -> list[int]:
        """Delete this user's messages: by id, or every one containing `target`. Returns the ids.

        Scoped to conversations whose user is `user_id`, so nobody can delete another's words.
        """
        return self.forget_ids(user_id, [m.id for m in self.forget_preview(user_id, target)])

    def forget_preview(self, user_id: str, target: str) -> list[Message]:
        """What `forget(user_id, target)` would delete, deleting nothing: a broad text match is
        shown to the person before it goes. All digits is a message id only, never text."""
        target = target.strip()
        if not target:
            raise InputError("Say what to forget: a message id, or some text it contains.")
        if (number := row_id(target)) is not None:
            rows = self._all(
                "SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                "WHERE m.id = ? AND c.user_id = ?",
                [number, user_id],
            )
            return [Message.from_row(r) for r in rows]
        return self.search(target, limit=10_000, user_id=user_id)

    def forget_ids(self, user_id: str, ids: Iterable[int]) -> list[int]:
        """Delete these messages, those of them that are this user's: what a confirmed preview
        showed, and nothing that arrived since. Returns the deleted ids."""
        wanted = list(dict.fromkeys(ids))
        mine: list[int] = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self._all(
                "SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                f"WHERE m.id IN ({','.join('?' * len(chunk))}) AND c.user_id = ?",
                [*chunk, user_id],
            )
            mine.extend(r["id"] for r in rows)
        if mine:
            with self._write():
                for start in range(0, len(mine), 500):
                    chunk = mine[start : start + 500]
                    self.db.execute(f"DELETE FROM messages WHERE id IN ({','.join('?' * len(chunk))})", chunk)
        return mine

    # -- training consent ------------------------------------------------------------------------
    def set_training_consent(self, user_id: str, opted_in: bool, *, by: str) -> None:
        """Record whether this person's conversations may be used to retrain the Soul."""
        with self._write():
            self.db.table("training_consent").upsert(
                {"user_id": user_id, "opted_in": int(opted_in), "updated_at": now_iso(), "by": by},
                pk="user_id",
            )

    def training_consent(self, user_id: str) -> bool:
        row = self._one("SELECT opted_in FROM training_consent WHERE user_id = ?", [user_id])
        return bool(row and row["opted_in"])

    # -- identities ----------------------------------------------------------------------------
    def resolve_identity(self, identity: str) -> str:
        """The person an identity is linked to, else the identity itself (read per message: a link
        made from the CLI applies to the next message without a restart)."""
        row = self._one("SELECT person FROM identity_links WHERE alias = ?", [identity])
        return str(row["person"]) if row else identity

    def identity_links(self) -> list[dict[str, Any]]:
        return self._all("SELECT * FROM identity_links ORDER BY person, alias", [])

    def opted_in_users(self) -> list[str]:
        rows = self._all("SELECT user_id FROM training_consent WHERE opted_in = 1 ORDER BY user_id", [])
        return [r["user_id"] for r in rows]

    def sensei_messages(self, user_id: str, *, since: str | None = None) -> list[Message]:
        """This person's own answered messages (oldest first), optionally only those after `since`."""
        rows = self._all(
            "SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id "
            "WHERE c.user_id = ? AND m.role = 'user' AND m.content != '' AND m.created_at > ? "
            "ORDER BY m.conversation_id, m.id",
            [user_id, since or ""],
        )
        return [Message.from_row(r) for r in rows]

    def stats(self) -> dict[str, Any]:
        """Counts and recent reply latency, for admins."""
        one = self._one(
            "SELECT (SELECT COUNT(*) FROM conversations) AS conversations, "
            "(SELECT COUNT(DISTINCT user_id) FROM conversations) AS users, "
            "(SELECT COUNT(*) FROM messages) AS messages, "
            "(SELECT COUNT(*) FROM messages WHERE role = 'assistant' AND status = 'error') AS failed_replies",
            [],
        )
        recent = self._all(
            "SELECT latency_ms, first_token_ms FROM messages WHERE role = 'assistant' AND status = 'ok' "
            "AND first_token_ms IS NOT NULL ORDER BY id DESC LIMIT 200",
            [],
        )
        firsts = sorted(r["first_token_ms"] for r in recent)
        return {
            **(one or {}),
            "first_token_ms_p50": firsts[len(firsts) // 2] if firsts else None,
            "replies_measured": len(firsts),
        }

    def recover_interrupted(self) -> int:
        """After a crash: replies left streaming become interrupted (keeping the text saved so far),
        and the messages they answered unanswered, as a cancelled turn leaves them. Returns how many
        replies. The inbox is not touched: `koclaw.recovery` answers what waits there."""
        with self._write():
            cur = self.db.execute(
                "UPDATE messages SET status = 'interrupted', completed_at = ?, "
                "content = coalesce(partial, content), partial = NULL WHERE status = 'streaming'",
                [now_iso()],
            )
            self.db.execute("UPDATE messages SET status = 'unanswered' WHERE status = 'received'")
        return cur.rowcount

    # -- the inbox: received, not yet taken by a turn ------------------------------------------
    def receive(
        self,
        channel: str,
        chat_id: str,
        user_id: str,
        content: str,
        *,
        user_name: str | None = None,
        speaker_id: str | None = None,
        source_id: str | None = None,
    ) -> int:
        """Keep a message the moment it arrives; returns its inbox id. Committed before this returns.

        Raises `AlreadyReceived` when `source_id` (the channel's own id of the message) was kept before.
        """
        row = {
            "channel": channel,
            "chat_id": chat_id,
            "user_id": user_id,
            "user_name": user_name,
            "speaker_id": speaker_id,
            "content": content,
            "received_at": now_iso(),
            "source_id": source_id,
        }
        with self._write():
            if source_id is not None and self._one(_KEPT, [source_id, source_id]):
                raise AlreadyReceived(f"{channel} message {source_id} was received before")
            return self._insert("inbox", row)

    def take(self, inbox_id: int, *, status: str = "received", **fields: Any) -> tuple[Conversation, int]:
        """Move a received message into its chat's open conversation, as its turn starts (or, with
        status "unanswered", when it will get no turn). Returns the conversation and the message id.

        `fields` are stored on the message (`content` replaces the received text, e.g. cleaned).
        """
        row = self._one("SELECT * FROM inbox WHERE id = ?", [inbox_id])
        if row is None:
            raise StorageError(f"No received message {inbox_id} in the inbox of {self.path}.")
        got = Received(**row)
        conv = self.conversation(got.channel, got.chat_id, got.user_id, got.user_name)
        bad = set(fields) - MESSAGE_UPDATABLE
        if bad:
            raise ValueError(f"unknown message fields: {sorted(bad)}")
        content = fields.pop("content", got.content)
        message = {
            "conversation_id": conv.id,
            "role": "user",
            "content": content,
            "created_at": got.received_at,  # when the person said it, not when it was answered
            "status": status,
            "user_id": got.speaker_id or got.user_id,
            "source_id": got.source_id,
            "tokens": estimate_tokens(content),
            **self._encode(fields),
        }
        with self._write():
            msg_id = self._insert("messages", message)
            self.db.execute("DELETE FROM inbox WHERE id = ?", [inbox_id])
            self.db.table("conversations").update(conv.id, {"updated_at": now_iso()})
        return conv, msg_id

    def inbox(self, *, limit: int = 10_000) -> list[Received]:
        """What was received and never taken by a turn, oldest first."""
        rows = self._all("SELECT * FROM inbox ORDER BY id LIMIT ?", [limit])
        return [Received(**r) for r in rows]

    # -- plumbing ------------------------------------------------------------------------------
    def _insert(self, table: str, row: dict[str, Any]) -> int:
        rowid = self.db.table(table).insert(row).last_rowid
        if rowid is None:
            raise StorageError(f"Inserting into {table} in {self.path} returned no row id.")
        return rowid

    @staticmethod
    def _encode(fields: dict[str, Any]) -> dict[str, Any]:
        if "tool_calls" in fields:
            calls = fields["tool_calls"]
            fields = {**fields, "tool_calls": json.dumps(calls, ensure_ascii=False) if calls else None}
        return fields

    def _one(self, sql: str, args: Iterable[Any]) -> dict[str, Any] | None:
        rows = self._all(sql, args)
        return rows[0] if rows else None

    def _all(self, sql: str, args: Iterable[Any]) -> list[dict[str, Any]]:
        return fetch_rows(self.db, sql, args, source=f"Session database {self.path}")

    def _write(self) -> _Write:
        return _Write(self)


class _Write:
    """A committed write; SQLite errors become `StorageError` with the file named."""

    def __init__(self, store: SessionStore) -> None:
        self.store = store

    def __enter__(self) -> None:
        self.store.db.conn.__enter__()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.store.db.conn.__exit__(exc_type, exc, tb)
        if isinstance(exc, sqlite3.Error):
            raise StorageError(f"Cannot write to {self.store.path}: {exc}") from exc
