"""The asyncio runtime: one ordered queue per conversation, conversations in parallel.

A message is kept in the session's inbox the moment it is submitted (`Agent.receive`), before it
waits behind its conversation's running turn, so a restart, kill -9 or OOM never loses it: what the
inbox still holds at the next start is answered then (`koclaw.recovery`).

A failure in one turn is delivered to that turn's caller and never stops the others.
Shutdown stops taking messages, lets running turns finish for a grace period, then cancels
them; a cancelled turn stores what it had as 'interrupted'. The grace period's end is the
deadline of everything else that closes after the runtime (`shutdown_deadline`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from koclaw.agent import Agent, EventHandler, Inbound, TurnResult
from koclaw.errors import InputError, KoclawError
from koclaw.inputs import repair_text, text_problem

log = logging.getLogger(__name__)
Key = tuple[str, str, str]
# Channels that can speak first (they register a sender with `koclaw.delivery`): a message of theirs
# that never got its turn is answered at the next start (`koclaw.recovery`). Their callers stop
# waiting only when the channel shuts down, which may come before the runtime hears of it.
ANSWERED_LATER = frozenset({"telegram"})
# The terminal is the person who runs Koclaw: their messages have no share to keep (see `_admit`).
UNLIMITED = frozenset({"cli"})


class RuntimeClosed(KoclawError):
    """The runtime is shutting down and takes no new messages."""


class TooManyMessages(KoclawError):
    """One person sent more than their share (`session.max_waiting`, `session.per_minute`); the
    message was not taken. `retry_after_s`: when one would be."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(slots=True)
class _Job:
    inbound: Inbound
    emit: EventHandler
    future: asyncio.Future[TurnResult]


AfterTurn = Callable[[Inbound, TurnResult], Awaitable[None]]


class Runtime:
    def __init__(self, agent: Agent, *, after_turn: AfterTurn | None = None) -> None:
        """`after_turn` runs once a turn's result is delivered, before the conversation's next turn."""
        self.agent = agent
        self.after_turn = after_turn
        self._queues: dict[Key, deque[_Job]] = {}
        self._workers: dict[Key, asyncio.Task[None]] = {}
        self._closing = False
        self._deadline: float | None = None  # loop time by which shutdown is to be over
        self._waiting: dict[str, int] = {}  # person -> messages queued, not started
        self._sent: dict[str, deque[float]] = {}  # person -> when their messages of the last minute came

    def submit(self, inbound: Inbound, emit: EventHandler) -> asyncio.Future[TurnResult]:
        """Keep a message and queue it behind the earlier ones of its conversation; the future holds
        the result (or the `InputError` for a message with nothing to answer)."""
        if self._closing:
            raise RuntimeClosed("Koclaw is shutting down; the message was not taken. Send it again later.")
        future: asyncio.Future[TurnResult] = asyncio.get_running_loop().create_future()
        if inbound.inbox_id is None:  # a recovered message was kept (and resolved) before
            if problem := text_problem(inbound.user_id, "The user id", fix="the channel must check it"):
                future.set_exception(InputError(problem))  # a channel's miss; SQLite would raise
                return future
            inbound = replace(
                inbound,
                user_id=self.agent.store.resolve_identity(inbound.user_id),
                text=repair_text(inbound.text),  # a lone surrogate: U+FFFD, as no UTF-8 store takes it
                user_name=inbound.user_name and repair_text(inbound.user_name),
            )
            if inbound.channel not in UNLIMITED:
                self._admit(inbound.user_id)
            try:
                inbound = replace(inbound, inbox_id=self.agent.receive(inbound))
            except KoclawError as exc:  # bad input or storage trouble: the caller hears it as before
                future.set_exception(exc)
                return future
        key = inbound.conversation_key
        self._queues.setdefault(key, deque()).append(_Job(inbound, emit, future))
        self._waiting[inbound.user_id] = self._waiting.get(inbound.user_id, 0) + 1
        if key not in self._workers:
            self._workers[key] = asyncio.create_task(self._work(key), name=f"conversation {key}")
        return future

    async def _work(self, key: Key) -> None:
        queue = self._queues[key]
        try:
            while queue:
                job = queue.popleft()
                self._started(job.inbound.user_id)
                if job.future.cancelled():
                    self._gave_up(job.inbound)
                    continue
                turn = asyncio.create_task(self.agent.turn(job.inbound, job.emit))
                # A caller that cancels its future interrupts just its own turn.
                job.future.add_done_callback(_cancel_with(turn))
                try:
                    result = await turn
                except asyncio.CancelledError:
                    job.future.cancel()
                    if self._own_cancel():
                        raise
                except Exception as exc:  # delivered to the caller; the worker goes on
                    if not isinstance(exc, KoclawError):
                        log.exception("turn failed for %s", key)
                    if not job.future.done():
                        job.future.set_exception(exc)
                else:
                    if not job.future.done():
                        job.future.set_result(result)
                    await self._after(job.inbound, result)
        finally:
            for job in queue:
                self._started(job.inbound.user_id)
                job.future.cancel()
            del self._queues[key]
            del self._workers[key]

    def _admit(self, user_id: str) -> None:
        """Refuse a person's message past `session.max_waiting` queued or `session.per_minute` sent;
        conversations already run side by side, so this is what keeps one flood from the others."""
        limits, now = self.agent.settings.session, time.monotonic()
        if self._waiting.get(user_id, 0) >= limits.max_waiting:
            raise TooManyMessages(
                f"{limits.max_waiting} of your messages are already waiting for Kokoron's replies; "
                "this one was not taken. Send it again once she has answered.",
                retry_after_s=5.0,
            )
        sent = self._sent.setdefault(user_id, deque())
        while sent and sent[0] <= now - 60:
            sent.popleft()
        if len(sent) >= limits.per_minute:
            raise TooManyMessages(
                f"More than {limits.per_minute} messages in a minute; this one was not taken. "
                "Send it again in a moment.",
                retry_after_s=round(sent[0] + 60 - now, 1),
            )
        sent.append(now)
        if len(self._sent) > 10_000:  # forget people who sent nothing this last minute
            self._sent = {u: d for u, d in self._sent.items() if d and d[-1] > now - 60}

    def _started(self, user_id: str) -> None:
        left = self._waiting.get(user_id, 1) - 1
        if left > 0:
            self._waiting[user_id] = left
        else:
            self._waiting.pop(user_id, None)

    def _gave_up(self, inbound: Inbound) -> None:
        """The caller cancelled before the turn started. At shutdown, or on a channel that can speak
        first, the message stays in the inbox (answered or kept at the next start); otherwise the
        one who asked has left, and it is kept in the session as unanswered now."""
        if self._closing or inbound.channel in ANSWERED_LATER:
            return
        try:
            self.agent.abandon(inbound, "the sender stopped waiting before its turn")
        except KoclawError:
            log.warning("could not mark an abandoned message of %s", inbound.conversation_key, exc_info=True)

    async def _after(self, inbound: Inbound, result: TurnResult) -> None:
        if self.after_turn is None:
            return
        try:
            await self.after_turn(inbound, result)
        except Exception:  # the reply is out and stored; what follows must not stop the worker
            log.exception("after-turn work failed for %s", inbound.conversation_key)

    @staticmethod
    def _own_cancel() -> bool:
        task = asyncio.current_task()
        return task is not None and task.cancelling() > 0

    @property
    def busy(self) -> int:
        """Conversations with a turn running or waiting."""
        return len(self._workers)

    def shutdown_deadline(self, grace_s: float = 10.0) -> float:
        """Stop taking messages; returns the loop time by which shutdown is to be over: `grace_s`
        from the first call, so every later step of a shutdown shares one grace period."""
        self._closing = True
        if self._deadline is None:
            self._deadline = asyncio.get_running_loop().time() + grace_s
        return self._deadline

    async def shutdown(self, grace_s: float = 10.0) -> None:
        """Stop taking messages, wait up to `grace_s` (from the first call) for running turns, then
        cancel the rest. Messages still queued stay in the inbox, for the next start."""
        deadline = self.shutdown_deadline(grace_s)
        workers = list(self._workers.values())
        if not workers:
            return
        left = max(0.0, deadline - asyncio.get_running_loop().time())
        _, pending = await asyncio.wait(workers, timeout=left)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def _cancel_with(turn: asyncio.Task[TurnResult]) -> Callable[[asyncio.Future[TurnResult]], None]:
    def cancel(future: asyncio.Future[TurnResult]) -> None:
        if future.cancelled():
            turn.cancel()

    return cancel
