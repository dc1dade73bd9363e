"""On start: answer the messages a restart or crash left waiting, or say sorry for them.

Every message is kept in the session's inbox when it is received, and leaves it when its turn
starts (`Runtime.submit`, `Agent.turn`). What the inbox holds at start-up was queued behind a
running turn when the process stopped: SIGTERM (every deploy), kill -9 or an OOM. Telegram had
already confirmed those updates, so they will not come again. `koclaw run` (the process that runs
the timed jobs) sorts them out, within bounds:

* A message from the last `ANSWER_WITHIN_S` on a channel that can speak first (Telegram) is
  answered as an ordinary turn as soon as that channel's sender registers (before it fetches new
  updates, so each chat keeps its order), and the reply is sent through the sender. At most
  `ANSWER_PER_CHAT` per chat and `ANSWER_MAX` in all, oldest first; a chat with more gets one short
  apology, and the others are kept in the session as unanswered.
* An older one, or one on a channel that cannot reach the person any more (HTTP: the client that
  asked is gone), is moved into the session as unanswered: the words are kept, nothing is sent.
* One of a channel that can speak first but does not run in this process stays in the inbox for a
  start that runs it (until it is too old).

The turn interrupted mid-reply is not answered again: its reply row holds what was shown and is
marked interrupted (`SessionStore.recover_interrupted`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any

from character import analyse_language
from koclaw.agent import Inbound, TurnResult
from koclaw.delivery import Deliveries, DeliveryError
from koclaw.errors import KoclawError
from koclaw.events import Event
from koclaw.runtime import ANSWERED_LATER, Runtime, RuntimeClosed
from memory.session import Received, SessionStore

log = logging.getLogger(__name__)

ANSWER_WITHIN_S = 6 * 3600.0  # older messages are kept as unanswered, not answered hours late
ANSWER_PER_CHAT = 5
ANSWER_MAX = 50
QUOTE_CHARS = 80  # a group's late answer opens with this much of the message it answers

_SORRY = {
    "zh": "抱歉，老师，我刚才重启了，没来得及回复你的几条消息。如果还需要我回答，请再发一次。",
    "ja": "ごめんなさい、先生、再起動の間にいくつかのメッセージにお返事できませんでした。"
    "まだ必要なものがあれば、もう一度送ってください。",
    "en": "Sorry, Sensei, I restarted and couldn't answer some of your messages. "
    "If one still needs an answer, please send it again.",
}


def sorry_text(lang: str) -> str:
    return _SORRY.get(lang, _SORRY["en"])


class Recovery:
    """What the inbox held at start-up, answered or kept as unanswered (see the module's text)."""

    def __init__(
        self,
        store: SessionStore,
        runtime: Runtime,
        deliveries: Deliveries,
        *,
        answer_within_s: float = ANSWER_WITHIN_S,
        per_chat: int = ANSWER_PER_CHAT,
        most: int = ANSWER_MAX,
    ) -> None:
        self.store = store
        self.runtime = runtime
        self.deliveries = deliveries
        self.answer_within_s = answer_within_s
        self.per_chat = per_chat
        self.most = most
        self._waiting: dict[str, list[Received]] = defaultdict(list)  # channel -> to answer
        self._sorry: dict[str, dict[str, str]] = defaultdict(dict)  # channel -> chat -> a message's text
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self) -> int:
        """Sort the inbox; what will be answered waits for its channel's sender. Returns how many wait."""
        since = datetime.now(UTC) - timedelta(seconds=self.answer_within_s)
        cutoff = since.isoformat(timespec="milliseconds")  # as `received_at` is written
        per_chat: dict[tuple[str, str], int] = defaultdict(int)
        answering = 0
        for row in self.store.inbox():
            if row.received_at < cutoff:
                self._keep(row, "received before a restart, too long ago to answer")
            elif row.channel not in ANSWERED_LATER:
                self._keep(row, f"received before a restart; {row.channel} cannot reach the sender now")
            elif per_chat[row.channel, row.chat_id] >= self.per_chat or answering >= self.most:
                self._keep(row, "received before a restart; too many waited to answer them all")
                self._sorry[row.channel].setdefault(row.chat_id, row.content)
            else:
                per_chat[row.channel, row.chat_id] += 1
                answering += 1
                self._waiting[row.channel].append(row)
        if answering or self._sorry:
            log.info("%d message(s) received before the restart will be answered", answering)
        self.deliveries.on_register(self._channel_up)
        for channel in self.deliveries.channels:  # already up
            self._channel_up(channel)
        return answering

    def _keep(self, row: Received, why: str) -> None:
        try:
            self.store.take(row.id, status="unanswered", error=why)
        except KoclawError:
            log.warning("could not keep received message %s as unanswered", row.id, exc_info=True)

    def _channel_up(self, channel: str) -> None:
        """Queue the channel's waiting messages now, before it fetches anything new (this runs
        while the channel registers its sender, with no await in between)."""
        rows = self._waiting.pop(channel, [])
        last: dict[str, asyncio.Task[None]] = {}  # chat -> the task sending its previous late answer
        for row in rows:
            try:
                future = self.runtime.submit(_inbound(row), _ignore)
            except RuntimeClosed:
                return  # still in the inbox, for the next start
            answer = self._answer(channel, row, future, after=last.get(row.chat_id))
            last[row.chat_id] = self._spawn(answer, f"answer {row.id}")
        for chat_id, text in self._sorry.pop(channel, {}).items():
            sorry = self._send(channel, chat_id, sorry_text(_language(text)), after=last.get(chat_id))
            self._spawn(sorry, f"sorry {chat_id}")

    def _spawn(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _answer(
        self,
        channel: str,
        row: Received,
        future: asyncio.Future[TurnResult],
        after: asyncio.Task[None] | None,
    ) -> None:
        """Send the reply to `row` once its turn is done and the chat's earlier late answer (`after`)
        has been sent: the turns run in order, but a slow send let the next answer overtake it."""
        try:
            result = await future
        except KoclawError as exc:
            log.warning("answering message %s after the restart failed: %s", row.id, exc)
            return
        except Exception:
            log.exception("answering message %s after the restart failed", row.id)
            return
        text = result.text
        if row.user_id.startswith("group:"):  # in a group, say which message this answers
            quote = row.content if len(row.content) <= QUOTE_CHARS else row.content[:QUOTE_CHARS] + "…"
            text = f"“{quote}”\n\n{text}"
        if not await self._send(channel, row.chat_id, text, after=after):
            self.store.update_message(result.user_message_id, status="unanswered")

    async def _send(
        self, channel: str, chat_id: str, text: str, after: asyncio.Task[None] | None = None
    ) -> bool:
        if after is not None:
            await asyncio.wait({after})  # its outcome is its own
        sender = self.deliveries.get(channel)
        if sender is None:
            log.warning("no %s sender to deliver a late answer to chat %s", channel, chat_id)
            return False
        try:
            await sender(chat_id, text)
        except DeliveryError as exc:
            log.warning("a late answer to chat %s could not be sent: %s", chat_id, exc)
            return False
        return True

    async def close(self, timeout: float) -> None:
        """Wait up to `timeout` s for answers being sent, then cancel them (a message whose turn
        never started stays in the inbox for the next start)."""
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=max(0.0, timeout))
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)


def _inbound(row: Received) -> Inbound:
    return Inbound(
        channel=row.channel,
        chat_id=row.chat_id,
        user_id=row.user_id,
        text=row.content,
        user_name=row.user_name,
        speaker_id=row.speaker_id,
        inbox_id=row.id,
    )


def _language(text: str) -> str:
    return analyse_language(text).dominant


async def _ignore(event: Event) -> None:
    """A late answer is sent whole when it is done, not streamed."""
