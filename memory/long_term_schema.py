"""The long-term database's schema: named, append-only migrations (principle 5).

`memories` is the source of truth (text, who, when, session, links); two FTS5 indexes follow it by
triggers: `memories_fts` (trigram, over the text: CJK substrings and verbatim matches) and
`memories_words` (porter words, over `search_text`: the date, the speaker and the text).
"""

from __future__ import annotations

import sqlite_utils

from memory import episode_context
from memory.db import Migrations
from memory.lexical import index_words

migrations = Migrations("long_term")


@migrations
def m001_memories(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE memories (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            text TEXT NOT NULL,
            norm_text TEXT NOT NULL,
            timestamp TEXT NOT NULL,
            speaker TEXT,
            conversation_id TEXT,
            message_id TEXT,
            importance INTEGER NOT NULL DEFAULT 3,
            category TEXT,
            language TEXT,
            source_ids TEXT NOT NULL DEFAULT '[]',
            metadata TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX memories_user_kind_time ON memories (user_id, kind, timestamp)")
    db.execute("CREATE INDEX memories_user_norm ON memories (user_id, kind, norm_text)")
    # The trigram tokenizer matches substrings, which CJK needs (no spaces to split words on).
    db.table("memories").enable_fts(["text"], tokenize="trigram", create_triggers=True)


@migrations
def m002_index_meta(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE index_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


@migrations
def m003_episode_context(db: sqlite_utils.Database) -> None:
    # The episode said just before this one in its conversation: its pair vector embeds both.
    db.execute("ALTER TABLE memories ADD COLUMN prev_id TEXT")
    db.execute("CREATE INDEX memories_prev ON memories (prev_id)")
    db.execute("CREATE INDEX memories_user_conversation ON memories (user_id, conversation_id)")


@migrations
def m004_who_and_when(db: sqlite_utils.Database) -> None:
    """Episodes indexed with who said them and when (a word index), sessions, idempotent imports,
    and each person's speakers (so a question that names someone favours what they said)."""
    for column in ("session TEXT", "search_text TEXT NOT NULL DEFAULT ''", "import_key TEXT"):
        db.execute(f"ALTER TABLE memories ADD COLUMN {column}")
    db.execute(
        "CREATE UNIQUE INDEX memories_import_key ON memories (user_id, import_key) "
        "WHERE import_key IS NOT NULL"
    )
    db.execute("CREATE INDEX memories_user_speaker ON memories (user_id, speaker)")
    db.execute("CREATE INDEX memories_user_message ON memories (user_id, message_id)")  # /forget <id>
    rows = db.execute("SELECT rowid, kind, text, speaker, timestamp, conversation_id FROM memories")
    db.conn.executemany(
        "UPDATE memories SET search_text = ?, session = ? WHERE rowid = ?",
        [(search_text(r[1], r[2], r[3], r[4]), r[5], r[0]) for r in rows.fetchall()],
    )
    db.execute(
        "CREATE VIRTUAL TABLE memories_words USING fts5(search_text, content='memories', "
        "content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2')"
    )
    old, new = (
        "INSERT INTO memories_words(memories_words, rowid, search_text) "
        "VALUES ('delete', old.rowid, old.search_text);",
        "INSERT INTO memories_words(rowid, search_text) VALUES (new.rowid, new.search_text);",
    )
    db.execute(f"CREATE TRIGGER memories_words_ai AFTER INSERT ON memories BEGIN {new} END")
    db.execute(f"CREATE TRIGGER memories_words_ad AFTER DELETE ON memories BEGIN {old} END")
    db.execute(
        f"CREATE TRIGGER memories_words_au AFTER UPDATE OF search_text ON memories BEGIN {old} {new} END"
    )
    db.execute("INSERT INTO memories_words(memories_words) VALUES ('rebuild')")
    db.execute(
        "CREATE TABLE speakers (user_id TEXT NOT NULL, speaker TEXT NOT NULL, "
        "PRIMARY KEY (user_id, speaker)) WITHOUT ROWID"
    )
    db.execute(
        "CREATE TRIGGER speakers_ai AFTER INSERT ON memories WHEN new.speaker IS NOT NULL "
        "BEGIN INSERT OR IGNORE INTO speakers VALUES (new.user_id, new.speaker); END"
    )
    db.execute(
        "CREATE TRIGGER speakers_ad AFTER DELETE ON memories WHEN old.speaker IS NOT NULL BEGIN "
        "DELETE FROM speakers WHERE user_id = old.user_id AND speaker = old.speaker AND NOT EXISTS "
        "(SELECT 1 FROM memories WHERE user_id = old.user_id AND speaker = old.speaker); END"
    )
    db.execute(
        "INSERT OR IGNORE INTO speakers "
        "SELECT DISTINCT user_id, speaker FROM memories WHERE speaker IS NOT NULL"
    )


def search_text(kind: str, text: str, speaker: str | None, timestamp: str | None) -> str:
    if kind != "episode":
        return index_words(text)
    return episode_context.search_text(text, speaker, timestamp)
