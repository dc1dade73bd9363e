from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from koclaw.errors import AlreadyReceived, InputError, StorageError
from memory.db import MIGRATIONS_TABLE
from memory.session import SessionStore
from memory.tokens import estimate_tokens


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    return SessionStore(tmp_path / "session.db")


def test_schema_is_migrated_once_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    SessionStore(path).close()
    SessionStore(path).close()
    conn = sqlite3.connect(path)
    names = [r[0] for r in conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY rowid")]
    assert names == [
        "m001_conversations_and_messages",
        "m002_message_search",
        "m003_conversation_summary_upto",
        "m004_training_consent",
        "m005_inbox",
        "m006_episode_outbox",
        "m007_identity_links",
        "m008_partial_replies",
        "m009_consolidation_state",
        "m010_message_sources",
    ]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_message_received_twice_is_kept_once_waiting_or_answered(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "s.db")
    try:
        first = store.receive("telegram", "7", "telegram:7", "hello", source_id="7:100")
        with pytest.raises(AlreadyReceived):  # while it waits in the inbox
            store.receive("telegram", "7", "telegram:7", "hello", source_id="7:100")
        _, message_id = store.take(first)
        with pytest.raises(AlreadyReceived):  # and once its turn took it
            store.receive("telegram", "7", "telegram:7", "hello", source_id="7:100")
        other = store.receive("telegram", "7", "telegram:7", "hello", source_id="7:101")  # another message
        unkeyed = [store.receive("cli", "c", "cli:me", "hi") for _ in range(2)]  # no id: each is new
        assert [r.id for r in store.inbox()] == [other, *unkeyed]
        assert store.get_message(message_id).content == "hello"
    finally:
        store.close()


def test_new_database_its_wal_files_and_folders_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "home" / "deeper" / "session.db"
    old = os.umask(0o022)  # the usual umask: it alone would give 0644 files and 0755 folders
    try:
        store = SessionStore(path)
        store.add_message(store.conversation("cli", "cli:alice", "alice").id, "user", "a private thought")
        files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in path.parent.iterdir()}
        store.close()
    finally:
        os.umask(old)
    assert files == {"session.db": 0o600, "session.db-wal": 0o600, "session.db-shm": 0o600}
    for folder in (tmp_path / "home", tmp_path / "home" / "deeper"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_conversation_is_reused_until_ended(store: SessionStore) -> None:
    a = store.conversation("cli", "cli:alice", "alice")
    assert store.conversation("cli", "cli:alice", "alice").id == a.id
    assert store.conversation("cli", "cli:bob", "bob").id != a.id
    store.end_conversation(a.id)
    assert store.conversation("cli", "cli:alice", "alice").id != a.id


def test_message_is_committed_before_add_returns(store: SessionStore, tmp_path: Path) -> None:
    conv = store.conversation("cli", "c", "u")
    msg = store.add_message(conv.id, "user", "先生、おはようございます", status="received", language="ja")
    other = sqlite3.connect(tmp_path / "session.db")  # another connection sees it at once
    row = other.execute("SELECT content, status, language FROM messages WHERE id = ?", [msg]).fetchone()
    assert row == ("先生、おはようございます", "received", "ja")


def test_update_keeps_tool_calls_and_metrics(store: SessionStore) -> None:
    conv = store.conversation("cli", "c", "u")
    msg = store.add_message(conv.id, "assistant", "", status="streaming")
    store.update_message(
        msg,
        content="好的，老师。",
        reasoning="老师累了",
        tool_calls=[{"name": "memory_save"}],
        status="ok",
        model="kokoron-v1",
        latency_ms=12.5,
        prompt_tokens=30,
        completion_tokens=4,
    )
    got = store.get_message(msg)
    assert (got.content, got.reasoning, got.status, got.model) == (
        "好的，老师。",
        "老师累了",
        "ok",
        "kokoron-v1",
    )
    assert got.tool_calls == [{"name": "memory_save"}]
    assert got.tokens == estimate_tokens("好的，老师。")
    with pytest.raises(ValueError, match="unknown message fields"):
        store.update_message(msg, colour="red")


def test_history_is_bounded_by_tokens_and_starts_with_user(store: SessionStore) -> None:
    conv = store.conversation("cli", "c", "u")
    for i in range(50):
        store.add_message(conv.id, "user", f"question {i} " * 10)
        store.add_message(conv.id, "assistant", f"answer {i} " * 10)
    budget = 200
    history = store.history(conv.id, budget)
    assert sum(estimate_tokens(m.content) for m in history) <= budget
    assert history and history[0].role == "user"
    assert history[-1].content.startswith("answer 49")
    assert len(store.history(conv.id, 10**6)) == 100


def test_history_skips_streaming_and_empty_replies(store: SessionStore) -> None:
    conv = store.conversation("cli", "c", "u")
    store.add_message(conv.id, "user", "hello")
    store.add_message(conv.id, "assistant", "", status="error", notice="sorry")
    store.add_message(conv.id, "user", "still there?")
    store.add_message(conv.id, "assistant", "half a rep", status="streaming")
    assert [m.content for m in store.history(conv.id, 1000)] == ["hello", "still there?"]


def test_search_finds_cjk_substrings_and_short_queries(store: SessionStore) -> None:
    conv = store.conversation("cli", "c", "alice")
    store.add_message(conv.id, "user", "我今天吃了豚骨拉面，很好吃")
    store.add_message(conv.id, "user", "明日の会議は十時からです")
    other = store.conversation("cli", "c2", "bob")
    store.add_message(other.id, "user", "bob 也喜欢拉面")
    assert [m.content for m in store.search("豚骨拉面")] == ["我今天吃了豚骨拉面，很好吃"]
    assert len(store.search("拉面")) == 2  # two characters: below trigram size, scanned
    assert [m.content for m in store.search("拉面", user_id="alice")] == ["我今天吃了豚骨拉面，很好吃"]
    assert store.search("会議は十時") and not store.search("nothing like this")
    assert store.search('quote " inside') == []


def test_recover_marks_abandoned_streams(store: SessionStore) -> None:
    conv = store.conversation("cli", "c", "u")
    msg = store.add_message(conv.id, "assistant", "partial", status="streaming")
    assert store.recover_interrupted() == 1
    assert store.get_message(msg).status == "interrupted"


def test_a_streaming_reply_reads_as_its_text_so_far_and_is_word_indexed_when_it_ends(
    store: SessionStore,
) -> None:
    conv = store.conversation("cli", "c", "u")
    msg = store.add_message(conv.id, "assistant", "", status="streaming")
    store.save_partial(msg, "Sensei, the pottery class")
    assert store.get_message(msg).content == "Sensei, the pottery class"
    assert store.search("pottery") == []  # saves while streaming do not re-index the growing reply
    store.update_message(msg, content="Sensei, the pottery class starts at ten.", status="ok")
    assert [m.content for m in store.search("pottery")] == ["Sensei, the pottery class starts at ten."]
    with pytest.raises(StorageError, match="No message 999"):
        store.update_message(999, status="ok")
    killed = store.add_message(conv.id, "assistant", "", status="streaming")
    store.save_partial(killed, "Once upon a time")
    assert store.recover_interrupted() == 1  # the next start after a kill -9
    assert [m.content for m in store.search("upon a time")] == ["Once upon a time"]


def test_unwritable_home_gives_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="KOCLAW_HOME"):
        SessionStore(blocker / "session.db")


def test_token_estimate_counts_cjk_higher_than_latin() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("我喜欢拉面") >= 5
    assert estimate_tokens("hello world, Sensei") < 8


def test_forget_by_id_and_text_is_scoped_to_the_user(store: SessionStore) -> None:
    mine = store.conversation("telegram", "1", "alice")
    theirs = store.conversation("telegram", "2", "bob")
    a = store.add_message(mine.id, "user", "my password hint is ramen")
    b = store.add_message(mine.id, "user", "I like ramen a lot")
    c = store.add_message(theirs.id, "user", "bob likes ramen too")
    assert store.forget("alice", str(c)) == []  # not hers
    assert store.forget("alice", str(a)) == [a]
    assert store.forget("alice", "ramen") == [b]
    assert [m.id for m in store.search("ramen")] == [c]
    with pytest.raises(InputError, match="Say what to forget"):
        store.forget("alice", "  ")


def test_stats_counts(store: SessionStore) -> None:
    conv = store.conversation("cli", "c", "u")
    store.add_message(conv.id, "user", "hi")
    store.add_message(conv.id, "assistant", "hello", status="ok", first_token_ms=12.0)
    stats = store.stats()
    assert (stats["conversations"], stats["users"], stats["messages"]) == (1, 1, 2)
    assert stats["first_token_ms_p50"] == 12.0


def test_forget_preview_matches_forget_and_deletes_nothing(store: SessionStore) -> None:
    mine = store.conversation("telegram", "1", "alice")
    theirs = store.conversation("telegram", "2", "bob")
    a = store.add_message(mine.id, "user", "my phone is 555-0100")
    b = store.add_message(mine.id, "assistant", "Noted, your phone number.")
    c = store.add_message(theirs.id, "user", "bob's phone")
    assert sorted(m.id for m in store.forget_preview("alice", "phone")) == [a, b]
    assert [m.id for m in store.forget_preview("alice", str(a))] == [a]  # a number is an id only
    assert store.forget_preview("alice", "0100") == []  # in her text, but no message has that id
    assert store.forget_preview("alice", str(c)) == []  # not hers
    assert len(store.search("phone")) == 3  # nothing deleted
    assert sorted(store.forget("alice", "phone")) == [a, b]
    with pytest.raises(InputError, match="Say what to forget"):
        store.forget_preview("alice", "  ")


def test_forget_ids_deletes_only_the_users_own(store: SessionStore) -> None:
    mine = store.conversation("telegram", "1", "alice")
    theirs = store.conversation("telegram", "2", "bob")
    a = store.add_message(mine.id, "user", "first")
    b = store.add_message(theirs.id, "user", "second")
    assert store.forget_ids("alice", [b, a, a, 999]) == [a]
    assert store.forget_ids("alice", []) == []
    assert [m.id for m in store.messages(theirs.id)] == [b] and store.messages(mine.id) == []
