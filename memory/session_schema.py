"""The session database's schema: named, append-only migrations (principle 5).

`conversations` and `messages` are the tier itself; `messages_fts` (trigram) follows `messages.content`
by triggers. `inbox` holds received messages whose turn has not started, `episode_outbox` the turns
waiting to become long-term episodes, `consolidation` how far each conversation became facts,
`identity_links` who is whom, `training_consent` who opted in.
"""

from __future__ import annotations

import sqlite_utils

from memory.db import Migrations

migrations = Migrations("session")


@migrations
def m001_conversations_and_messages(db: sqlite_utils.Database) -> None:
    db.table("conversations").create(
        {
            "id": int,
            "channel": str,
            "chat_id": str,
            "user_id": str,
            "user_name": str,
            "started_at": str,
            "updated_at": str,
            "ended_at": str,
            "summary": str,
        },
        pk="id",
    )
    db.table("conversations").create_index(["channel", "chat_id", "user_id", "ended_at"])
    db.table("messages").create(
        {
            "id": int,
            "conversation_id": int,
            "user_id": str,
            "role": str,
            "content": str,
            "reasoning": str,
            "tool_calls": str,
            "tool_call_id": str,
            "notice": str,
            "status": str,
            "error": str,
            "language": str,
            "model": str,
            "adapter": str,
            "created_at": str,
            "completed_at": str,
            "latency_ms": float,
            "first_token_ms": float,
            "prompt_tokens": int,
            "completion_tokens": int,
            "tokens": int,
        },
        pk="id",
        foreign_keys=[("conversation_id", "conversations", "id")],
        not_null={"conversation_id", "role", "content", "status", "created_at"},
        defaults={"content": ""},
    )
    db.table("messages").create_index(["conversation_id", "id"])


@migrations
def m002_message_search(db: sqlite_utils.Database) -> None:
    # The trigram tokenizer matches substrings, which is what CJK text needs (no spaces to split on).
    db.table("messages").enable_fts(["content"], tokenize="trigram", create_triggers=True)


@migrations
def m003_conversation_summary_upto(db: sqlite_utils.Database) -> None:
    # The rolling summary in `conversations.summary` covers the messages up to this id.
    db.table("conversations").add_column("summary_upto_id", int)


@migrations
def m004_training_consent(db: sqlite_utils.Database) -> None:
    # Whose conversations may become training data: one row per person, absent = no (the default).
    db.table("training_consent").create(
        {"user_id": str, "opted_in": int, "updated_at": str, "by": str}, pk="user_id"
    )


@migrations
def m005_inbox(db: sqlite_utils.Database) -> None:
    # Received messages whose turn has not started (queued behind a running one): kept here, not
    # in `messages`, so that a reply written meanwhile does not end up before them in id order.
    db.table("inbox").create(
        {
            "id": int,
            "channel": str,
            "chat_id": str,
            "user_id": str,
            "user_name": str,
            "speaker_id": str,
            "content": str,
            "received_at": str,
        },
        pk="id",
        not_null={"channel", "chat_id", "user_id", "content", "received_at"},
    )


@migrations
def m006_episode_outbox(db: sqlite_utils.Database) -> None:
    # Turns waiting to become long-term episodes (`memory.outbox`): a row per message, kept a while
    # after it is indexed so that the indexing rate can be read back.
    db.table("episode_outbox").create(
        {
            "id": int,
            "user_id": str,
            "conversation_id": int,
            "message_id": int,
            "queued_at": str,
            "indexed_at": str,
            "attempts": int,
            "error": str,
        },
        pk="id",
        not_null={"user_id", "conversation_id", "message_id", "queued_at", "attempts"},
        defaults={"attempts": 0},
    )
    db.execute("CREATE INDEX episode_outbox_waiting ON episode_outbox (indexed_at, id)")


@migrations
def m007_identity_links(db: sqlite_utils.Database) -> None:
    # Two identities of one person (`koclaw.identities`): messages from `alias` are answered as `person`.
    db.execute(
        "CREATE TABLE identity_links (alias TEXT PRIMARY KEY, person TEXT NOT NULL, "
        "linked_at TEXT NOT NULL, by TEXT NOT NULL)"
    )


@migrations
def m008_partial_replies(db: sqlite_utils.Database) -> None:
    # A streaming reply's text so far, saved about every second so that a kill -9 loses little of what
    # the person saw, lives in its own column until the reply ends. The word index's update trigger
    # now fires on `content` only: re-indexing the whole growing reply at every save cost 5x the write
    # itself (about 140 against 28 us for a 1,200-character reply), on the event loop, per stream.
    db.execute("ALTER TABLE messages ADD COLUMN partial TEXT")
    db.execute("DROP TRIGGER IF EXISTS messages_au")
    db.execute(
        "CREATE TRIGGER messages_au AFTER UPDATE OF content ON messages BEGIN "
        "INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content); "
        "INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content); END"
    )


@migrations
def m009_consolidation_state(db: sqlite_utils.Database) -> None:
    # How far each conversation has been consolidated into facts (`memory.consolidation`). Until
    # this step the consolidator created the table itself, so a store may have it already.
    db.execute(
        "CREATE TABLE IF NOT EXISTS consolidation (conversation_id INTEGER PRIMARY KEY, "
        "upto_message_id INTEGER, failures INTEGER, ran_at TEXT)"
    )


@migrations
def m010_message_sources(db: sqlite_utils.Database) -> None:
    # The channel's own id of a received message (Telegram: "chat:message"). Telegram hands out again
    # what it was not told was read; after a crash the same message could arrive while its first copy
    # waits in the inbox (answered by recovery) or after it was answered. The id makes it count once.
    for table in ("inbox", "messages"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN source_id TEXT")
        db.execute(f"CREATE INDEX {table}_source ON {table} (source_id) WHERE source_id IS NOT NULL")
