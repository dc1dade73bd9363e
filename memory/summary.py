"""The rolling summary: old turns folded into one paragraph per conversation, in the background.

After a turn is stored, the turns that outgrew the session's share of the budget are folded into the
conversation's summary by the model. Each fold runs as a background task, one per conversation at a
time, within `SUMMARY_DEADLINE_S` (a hung model server must not block the next one for minutes);
`Summaries.drain` waits for them at shutdown only until its deadline and cancels the rest. Nothing is
lost either way: the turns are marked summarised only when a summary is stored, so a summary that
failed, timed out or was cancelled is simply redone after the conversation's next turn.
"""

from __future__ import annotations

import asyncio
import logging

from koclaw.llm.base import ChatModel, ChatRequest
from memory import working
from memory.session import Conversation, Message, SessionStore
from memory.tokens import estimate_tokens

log = logging.getLogger(__name__)

MIN_FOLD_MESSAGES = 4  # fold at least this many old messages at once, so summaries are not redone every turn
SUMMARY_MAX_TOKENS = 400
SUMMARY_DEADLINE_S = 120.0  # a summary on a hung model server gives up, so the next one can start
SUMMARY_PROMPT = (
    "You keep the running summary of a conversation between Sensei and Kokoron. Merge the summary so "
    "far (if any) with the new turns into one concise summary in the third person, at most about 150 "
    "words, in the language the conversation mostly uses. Keep facts, names, dates, plans, promises and "
    "feelings that matter; drop small talk. Reply with the summary only."
)


class Summaries:
    """The background summaries of one agent."""

    def __init__(
        self, store: SessionStore, model: ChatModel, budget: working.Budget, deadline_s: float
    ) -> None:
        """`deadline_s`: the longest one summary may take (capped at `SUMMARY_DEADLINE_S`)."""
        self.store = store
        self.model = model
        self.budget = budget
        self.deadline_s = min(deadline_s, SUMMARY_DEADLINE_S)
        self._tasks: dict[int, asyncio.Task[bool]] = {}

    def later(self, conversation_id: int) -> None:
        """Fold old turns into the summary in the background, one task per conversation at a time."""
        if conversation_id in self._tasks:
            return
        task = asyncio.create_task(self._within_deadline(conversation_id), name=f"summary {conversation_id}")
        self._tasks[conversation_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(conversation_id, None))

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def _within_deadline(self, conversation_id: int) -> bool:
        try:
            async with asyncio.timeout(self.deadline_s):
                return await self.summarise(conversation_id)
        except TimeoutError:
            log.warning(
                "summarising conversation %s passed its %g s deadline; it is redone after a later turn",
                conversation_id,
                self.deadline_s,
            )
            return False

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for the summaries still running, at most `timeout` seconds (None: no limit), then
        cancel the rest: a cancelled summary is redone after the conversation's next turn."""
        loop = asyncio.get_running_loop()
        end = None if timeout is None else loop.time() + timeout
        while self._tasks:
            left = None if end is None else max(0.0, end - loop.time())
            _, late = await asyncio.wait(list(self._tasks.values()), timeout=left)
            if late:
                log.info("cancelling %d unfinished summaries at shutdown (redone later)", len(late))
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)

    async def summarise(self, conversation_id: int) -> bool:
        """Fold the turns that outgrew the session's share into the rolling summary; True if stored.

        Never raises for model trouble: without a summary the turns are only cut from the prompt,
        and every message stays in the session tier.
        """
        try:
            conv = self.store.get_conversation(conversation_id)
            fold = self._to_fold(conv)
            if not fold:
                return False
            return await self._fold(conv, fold)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("summarising conversation %s failed", conversation_id, exc_info=True)
            return False

    def _to_fold(self, conv: Conversation) -> list[Message]:
        """The oldest unsummarised turns, when the session outgrew its share; [] when it did not."""
        messages = after_summary(self.store.history(conv.id, 10**9), conv.summary_upto_id)
        share = self.budget.for_session()
        sizes = [m.tokens or estimate_tokens(m.content) for m in messages]
        if sum(sizes) + estimate_tokens(conv.summary or "") <= share:
            return []
        kept, cut = 0, len(messages)
        for i in range(len(messages) - 1, -1, -1):
            kept += sizes[i]
            if kept > share // 2:
                break
            cut = i
        fold = messages[:cut]
        while fold and fold[-1].role != "assistant":  # what stays opens with Sensei's turn
            fold.pop()
        return fold if len(fold) >= MIN_FOLD_MESSAGES else []

    async def _fold(self, conv: Conversation, fold: list[Message]) -> bool:
        room = max(256, self.budget.context - SUMMARY_MAX_TOKENS - working.SAFETY_MARGIN_TOKENS - 512)
        room -= estimate_tokens(SUMMARY_PROMPT) + estimate_tokens(conv.summary or "")
        lines: list[str] = []
        upto = 0
        for message in fold:
            text, _ = working.fit_text(message.content, max(64, room // 4), 8000)
            line = f"{'Sensei' if message.role == 'user' else 'Kokoron'}: {text}"
            if lines and estimate_tokens(line) > room:
                break
            room -= estimate_tokens(line)
            lines.append(line)
            upto = message.id
        earlier = f"The summary so far:\n{conv.summary}\n\n" if conv.summary else ""
        request = ChatRequest(
            messages=[
                {"role": "system", "content": SUMMARY_PROMPT},
                {"role": "user", "content": earlier + "The turns to add:\n" + "\n".join(lines)},
            ],
            thinking=False,
            max_tokens=SUMMARY_MAX_TOKENS,
        )
        text, error = await self.model.complete(request)
        if error is not None:
            log.warning("summarising conversation %s failed: %s", conv.id, error)
            return False
        summary = text.strip()
        if not summary:
            return False
        self.store.set_summary(conv.id, summary, upto)
        return True


def after_summary(history: list[Message], upto: int | None) -> list[Message]:
    """The turns the summary does not cover yet, opening with Sensei's turn."""
    if not upto:
        return history
    kept = [m for m in history if m.id > upto]
    while kept and kept[0].role == "assistant":
        kept.pop(0)
    return kept
