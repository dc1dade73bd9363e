"""Each channel's own identity namespace: older stores renamed once, links made by the owner, the CLI's ids.

Real SQLite and embedded Chroma throughout: a rename that missed one store (or the per-person Chroma
collections, named by a hash of the identity) would show here as memories that recall cannot find.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from koclaw.checkins import CheckinSettings, CheckinStore
from koclaw.cli import app as koclaw_app
from koclaw.config import load_settings
from koclaw.errors import InputError, StorageError
from koclaw.identities import channel_of, terminal_identity
from koclaw.identity_stores import MARKER, link, namespace_once, unlink
from koclaw.reminders import ReminderStore
from memory.embeddings import make_embedder
from memory.long_term import LongTermMemory
from memory.session import SessionStore

EMBEDDER = make_embedder()
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def memory(home: Path) -> LongTermMemory:
    return LongTermMemory(home, EMBEDDER)


def recalled(home: Path, user: str, query: str) -> list[str]:
    lt = memory(home)
    try:
        return [r.text for r in lt.recall(user, query, k=3)]
    finally:
        lt.close()


def legacy_home(home: Path) -> None:
    """A home as Koclaw wrote it before namespaces: bare ids, "222" on Telegram *and* over HTTP."""
    store = SessionStore(home / "session.db")
    chats = [("telegram", "222", "222"), ("http", "http:222", "222"), ("cli", "cli:alice", "alice"),
             ("telegram", "-100", "group:-100")]  # fmt: skip
    for channel, chat, user in chats:
        conv = store.conversation(channel, chat, user, user)
        store.add_message(conv.id, "user", f"hello from {channel}", user_id=user)
    store.set_training_consent("222", True, by="telegram:222")
    store.close()
    lt = memory(home)
    lt.add_episode("222", "My cat Mochi sleeps on the keyboard.", speaker="user", timestamp=NOW)
    lt.add_episode("alice", "I am learning the cello.", speaker="user", timestamp=NOW)
    lt.add_episode("imported", "We hiked Mount Takao in May.", speaker="user", timestamp=NOW)
    lt.close()
    reminders = ReminderStore(home / "reminders.db")
    reminders.add("222", "telegram", "222", "call mum", NOW + timedelta(days=1),
                  timezone="UTC", language="en", now=NOW)  # fmt: skip
    reminders.db.conn.close()
    checkins = CheckinStore(home / "checkins.db")
    checkins.set(CheckinSettings("222", "telegram", "222", "UTC", "09:00", "22:00"), now=NOW)
    checkins.close()


def test_older_stores_are_renamed_once_and_recall_still_finds_everything(koclaw_home: Path) -> None:
    koclaw_home.mkdir(parents=True)
    legacy_home(koclaw_home)
    report = namespace_once(load_settings())
    assert report is not None
    assert report["renamed"] == {"222": "telegram:222", "alice": "cli:alice",
                                 "group:-100": "telegram:group:-100", "imported": "cli:imported"}  # fmt: skip
    assert report["shared"] == {"222": ["telegram", "http"]}
    assert json.loads((koclaw_home / MARKER).read_text())["renamed"]["222"] == "telegram:222"

    store = SessionStore(koclaw_home / "session.db")
    owners = {
        (r["channel"], r["user_id"]) for r in store.db.query("SELECT channel, user_id FROM conversations")
    }
    assert owners == {("telegram", "telegram:222"), ("http", "http:222"), ("cli", "cli:alice"),
                      ("telegram", "telegram:group:-100")}  # fmt: skip
    senders = {r["user_id"] for r in store.db.query("SELECT user_id FROM messages WHERE role = 'user'")}
    assert senders == {"telegram:222", "http:222", "cli:alice", "telegram:group:-100"}
    assert store.opted_in_users() == ["telegram:222"]
    store.close()

    # Dense and lexical halves both moved: the HTTP client "222" no longer reaches the cat.
    assert recalled(koclaw_home, "telegram:222", "What is the name of my cat?")[0].startswith("My cat Mochi")
    assert recalled(koclaw_home, "http:222", "What is the name of my cat?") == []
    assert recalled(koclaw_home, "222", "What is the name of my cat?") == []
    assert recalled(koclaw_home, "cli:alice", "Which instrument?") == ["I am learning the cello."]
    assert recalled(koclaw_home, "cli:imported", "Where did we hike?") == ["We hiked Mount Takao in May."]
    lt = memory(koclaw_home)
    assert lt.index.ids("episodes", "222") == set()
    assert len(lt.index.ids("episodes", "telegram:222")) == 1
    lt.close()

    reminders = ReminderStore(koclaw_home / "reminders.db")
    assert [r["user_id"] for r in reminders.db.query("SELECT user_id FROM reminders")] == ["telegram:222"]
    checkins = CheckinStore(koclaw_home / "checkins.db")
    assert checkins.get("telegram:222", "telegram") is not None
    assert namespace_once(load_settings()) is None  # once


def test_a_fresh_home_gets_only_the_marker(koclaw_home: Path) -> None:
    koclaw_home.mkdir(parents=True)
    report = namespace_once(load_settings())
    assert report is not None and report["renamed"] == {} and report["shared"] == {}
    assert sorted(p.name for p in koclaw_home.iterdir()) == [MARKER, "identities.lock"]


def test_a_damaged_store_does_not_stop_the_commands_that_do_not_need_it(koclaw_home: Path) -> None:
    """Before, `namespace_once` let the damaged file's error through and every command, `doctor`
    included, stopped on it, with advice about a writable folder."""
    koclaw_home.mkdir(parents=True, mode=0o700)
    (koclaw_home / "checkins.db").write_bytes(b"SQLite format 3\0garbage")
    runner = CliRunner()
    listed = runner.invoke(koclaw_app, ["memory", "session", "list"])
    assert listed.exit_code == 0, listed.output
    assert not (koclaw_home / MARKER).exists()  # tried again next time
    shown = runner.invoke(koclaw_app, ["checkins", "show", "--user", "alice"])
    message = str(shown.exception)  # `koclaw.cli.main` prints it as one line
    assert isinstance(shown.exception, StorageError) and "checkins.db" in message and "damaged" in message
    assert "writable folder" not in message


def test_identity_forms() -> None:
    assert terminal_identity("alice") == "cli:alice"
    assert terminal_identity("telegram:222") == "telegram:222"
    assert terminal_identity("group:-100") == "cli:group:-100"  # only the channels' own prefixes count
    assert channel_of("http:bob") == "http" and channel_of("222") is None and channel_of("cli:") is None
    with pytest.raises(InputError, match="empty"):
        terminal_identity("  ")


def test_a_link_moves_the_alias_into_the_person_and_answers_it_as_them(koclaw_home: Path) -> None:
    koclaw_home.mkdir(parents=True)
    settings = load_settings()
    lt = memory(koclaw_home)
    lt.add_episode("telegram:222", "My cat Mochi sleeps on the keyboard.", speaker="user", timestamp=NOW)
    lt.add_episode("cli:alice", "I am learning the cello.", speaker="user", timestamp=NOW)
    lt.close()
    store = SessionStore(settings.session_db)
    conv = store.conversation("telegram", "222", "telegram:222")
    store.set_training_consent("telegram:222", True, by="telegram:222")
    store.set_training_consent("cli:alice", False, by="cli")

    with pytest.raises(InputError, match="not an identity"):
        link(settings, "222", "cli:alice", by="test")
    done = link(settings, "telegram:222", "cli:alice", by="test")
    assert done["person"] == "cli:alice"
    assert (
        done["moved"]["memories"] == 1
        and done["moved"]["conversations"] == 1
        and done["moved"]["vectors"] >= 1
    )
    assert store.resolve_identity("telegram:222") == "cli:alice"
    assert store.conversation("telegram", "222", "cli:alice").id == conv.id  # the same conversation goes on
    assert store.training_consent("cli:alice") is False  # the person's own choice wins
    assert sorted(recalled(koclaw_home, "cli:alice", "cat or cello?")) == [
        "I am learning the cello.",
        "My cat Mochi sleeps on the keyboard.",
    ]
    assert recalled(koclaw_home, "telegram:222", "cat") == []

    with pytest.raises(InputError, match="cli:alice and telegram:222 are already one person"):
        link(settings, "cli:alice", "telegram:222", by="test")  # telegram:222 stands for cli:alice
    with pytest.raises(InputError, match="unlink"):
        link(settings, "telegram:222", "http:bob", by="test")
    assert link(settings, "http:bob", "telegram:222", by="test")["person"] == "cli:alice"  # no chains
    assert unlink(settings, "telegram:222") == "cli:alice"
    assert store.resolve_identity("telegram:222") == "telegram:222"
    assert unlink(settings, "telegram:222") is None
    store.close()


def test_the_cli_takes_a_name_as_the_terminal_identity_and_links_from_the_command_line(
    koclaw_home: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"text": "My cat Mochi sleeps all day.", "timestamp": "2024-11-21T10:00:00Z",
                                "speaker": "user", "metadata": {}}) + "\n", encoding="utf-8")  # fmt: skip
    assert (
        runner.invoke(koclaw_app, ["memory", "long-term", "import", str(rows), "--user", "u"]).exit_code == 0
    )
    for user in ("u", "cli:u"):
        found = runner.invoke(koclaw_app, ["memory", "long-term", "search", "cat", "--user", user, "--json"])
        assert "Mochi" in found.stdout, found.output
    for other in ("http:u", "telegram:u"):
        found = runner.invoke(koclaw_app, ["memory", "long-term", "search", "cat", "--user", other, "--json"])
        assert json.loads(found.stdout) == []

    result = runner.invoke(koclaw_app, ["identity", "link", "telegram:7", "cli:u"])
    assert result.exit_code == 0, result.output
    assert "Linked telegram:7 to cli:u" in result.stdout
    listed = json.loads(runner.invoke(koclaw_app, ["identity", "list", "--json"]).stdout)
    assert [(r["alias"], r["person"], r["by"]) for r in listed] == [("telegram:7", "cli:u", "cli")]
    bad = runner.invoke(koclaw_app, ["identity", "link", "7", "cli:u"])
    assert bad.exit_code == 2 and "<channel>:<id>" in bad.output
    assert runner.invoke(koclaw_app, ["identity", "unlink", "telegram:7"]).exit_code == 0
    assert runner.invoke(koclaw_app, ["identity", "unlink", "telegram:7"]).exit_code == 1
