"""What happens around a turn for the long-term tier: recall before, episodes and consolidation after.

Recall feeds working memory; every stored user and assistant turn becomes an episode; and when a
conversation has been quiet for `consolidate_after_s`, its new turns are consolidated into facts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from koclaw.agent import Inbound, TurnResult
from koclaw.config import MemorySettings
from koclaw.llm.base import ChatModel
from memory import working
from memory.consolidation import Consolidator
from memory.long_term import EpisodeIn, LongTermMemory
from memory.session import SessionStore

log = logging.getLogger(__name__)


class Rememberer:
    def __init__(
        self, settings: MemorySettings, store: SessionStore, long_term: LongTermMemory, model: ChatModel
    ) -> None:
        self.settings = settings
        self.store = store
        self.long_term = long_term
        self.consolidator = Consolidator(store, long_term, model)
        self._idle: dict[int, asyncio.Task[None]] = {}

    async def recall(self, user_id: str, text: str) -> Sequence[working.MemoryRecord]:
        if self.settings.recall_k <= 0:
            return []
        hits = self.long_term.recall(user_id, text, k=self.settings.recall_k)
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
        if episodes:
            self.long_term.add_episodes(inbound.user_id, episodes)
        previous = self._idle.pop(result.conversation_id, None)
        if previous is not None:
            previous.cancel()
        self._idle[result.conversation_id] = asyncio.create_task(self._when_idle(result.conversation_id))

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
        """Stop the idle timers; their conversations are consolidated after their next turn."""
        for task in self._idle.values():
            task.cancel()
        for task in list(self._idle.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._idle.clear()
