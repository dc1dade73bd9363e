"""Showing one reply in Telegram while the model writes it.

Private chats get a draft (`sendMessageDraft`), an animated preview updated as the text grows,
and the reply is made permanent with `sendMessage` at the end (a draft is an ephemeral ~30 s
preview). Groups, and chats where drafts fail, get a first message that is edited as the text
grows. Either way:

* the model is never held up by Telegram: events only append to a buffer; a pump task sends
  the newest state at most once per interval per chat (Telegram's per-chat limit is about one
  message a second; flood waits (`RetryAfter`) pause only that chat);
* a reply longer than one message is cut (see `telegram_format`) and the finished pieces are
  sent as soon as they are complete, with the same cuts as a reply split at the end;
* the typing action shows until the first text (it lasts ~5 s, so it is repeated);
* thinking and tool calls are never shown: only `TextDelta` reaches the chat;
* a reply cut before `finish` (shutdown, a failed turn) is finished by `abort` with what was said
  and a short note that it was interrupted: a draft alone would vanish from a private chat;
* `finish` sits out a flood wait only up to `Pacing.flood_s`, and not at all once `give_up` was
  called (shutdown out of grace): the reply is already in the session database, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from telegram import Bot, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBDeprecationWarning

from channels.telegram_format import MAX_MESSAGE, escape, split_spans, split_text
from character import analyse_language
from koclaw.events import Event, TextDelta

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Pacing:
    """How often a reply may touch a chat. Tests shorten these; production keeps the defaults."""

    draft_s: float = 0.4  # between draft updates (drafts are cheap, animated previews)
    edit_s: float = 1.0  # between message edits in one chat (Telegram: ~1 message/s per chat)
    typing_s: float = 4.0  # a typing action shows for ~5 s
    retries: int = 3  # attempts for a final message hit by flood control or a network blip
    cut_s: float = 5.0  # longest `abort` spends making a cut reply permanent (it runs at shutdown)
    flood_s: float = 600.0  # longest flood wait `finish` sits out (past it, Telegram is refusing the bot)


_CUT_NOTE = {
    "zh": "（回复被打断了，只能先说到这里。）",
    "ja": "（返事が途中で中断されました。）",
    "en": "(My reply was interrupted here.)",
}


def cut_note(text: str) -> str:
    """The note under a reply cut short, in the reply's language."""
    return _CUT_NOTE.get(analyse_language(text).dominant, _CUT_NOTE["en"])


def retry_seconds(exc: RetryAfter) -> float:
    """`RetryAfter.retry_after` in seconds, without PTB 22's int-vs-timedelta deprecation warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _transient(exc: TelegramError) -> bool:
    """A network blip (worth retrying later), as opposed to Telegram refusing the call."""
    return isinstance(exc, TimedOut) or type(exc) is NetworkError


def _not_modified(exc: BadRequest) -> bool:
    return "message is not modified" in exc.message.lower()


class _GaveUp(Exception):
    """A final message not sent: its flood wait was too long, or shutdown gave up on it."""


class ReplyStream:
    """One reply in one chat. `start()`, feed `on_event` to the runtime, then `finish()` or `abort()`."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        *,
        pacing: Pacing,
        last_update: dict[int, float],
        new_draft_id: Callable[[], int] | None = None,
        on_draft_failure: Callable[[int, TelegramError], None] | None = None,
        reply_to: int | None = None,
        limit: int = MAX_MESSAGE,
    ) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.pacing = pacing
        self.limit = limit
        self._last_update = last_update  # shared by every stream: chat id -> monotonic time
        self._new_draft_id = new_draft_id
        self._draft_id = new_draft_id() if new_draft_id else None
        self._on_draft_failure = on_draft_failure
        self._reply_to = reply_to
        self._parts: list[str] = []
        self._text = ""
        self._committed = 0  # offset in the text up to which pieces are final
        self._shown = ""  # escaped text of the current draft or message
        self._message_id: int | None = None  # the message being edited (edit mode)
        self._hold_until = 0.0  # flood control: nothing to this chat before then
        self._wake = asyncio.Event()
        self._closed = asyncio.Event()
        self._text_seen = asyncio.Event()
        self._typing_task: asyncio.Task[None] | None = None
        self._pump_task: asyncio.Task[None] | None = None
        self._ended = False  # `finish` or `abort` made the reply final
        self._given_up = asyncio.Event()  # shutdown ran out of grace: wait out no more flood control

    @property
    def drafting(self) -> bool:
        return self._draft_id is not None

    def start(self) -> None:
        self._typing_task = asyncio.create_task(self._typing(), name=f"typing {self.chat_id}")
        self._pump_task = asyncio.create_task(self._pump(), name=f"reply {self.chat_id}")

    async def on_event(self, event: Event) -> None:
        """The runtime's event handler: cheap, never waits on Telegram."""
        if isinstance(event, TextDelta) and event.text:
            self._parts.append(event.text)
            self._wake.set()

    async def finish(self, final_text: str) -> None:
        """Make the reply permanent. `final_text` is used when nothing was streamed."""
        self._ended = True
        await self._stop_background()
        text = self._current()
        if not text.strip():
            text = final_text
        try:
            await self._wait_hold()
            await self._send_rest(text)
        except _GaveUp as exc:
            log.warning(
                "gave up sending the reply in chat %s (%s); it is kept in the session", self.chat_id, exc
            )

    def give_up(self) -> None:
        """Shutdown ran out of grace: `finish` stops waiting out flood control (at once, if waiting)."""
        self._given_up.set()

    async def abort(self) -> None:
        """Stop showing anything more (shutdown or failure); idempotent.

        A reply that streamed text and was never finished is made permanent with what was said and
        a short note (within `Pacing.cut_s`, never waiting out flood control): in a private chat
        the draft would otherwise vanish, leaving no trace of it.
        """
        self._text_seen.set()
        self._closed.set()
        tasks = [t for t in (self._typing_task, self._pump_task) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._ended:
            return
        self._ended = True
        text = self._current()
        said = text[self._committed :].rstrip()
        if not said.strip():
            return
        try:
            async with asyncio.timeout(self.pacing.cut_s):
                await self._send_rest(text[: self._committed] + said + "\n\n" + cut_note(said), wait=False)
        except (TelegramError, TimeoutError) as exc:
            log.info("could not finish the cut reply in chat %s: %s", self.chat_id, exc)

    async def _send_rest(self, text: str, *, wait: bool = True) -> None:
        """Make the text after the finished pieces permanent: the message being edited, then new ones."""
        pieces = split_text(text[self._committed :], self.limit)
        if pieces and not self.drafting and self._message_id is not None:
            await self._final_edit(pieces.pop(0), wait=wait)
        for piece in pieces:
            await self._send(piece, wait=wait)

    # -- background ----------------------------------------------------------------------------
    async def _stop_background(self) -> None:
        self._text_seen.set()
        self._closed.set()
        self._wake.set()
        if self._typing_task is not None:
            self._typing_task.cancel()
            await asyncio.gather(self._typing_task, return_exceptions=True)
        if self._pump_task is not None:
            await self._pump_task  # lets a request in flight complete, so the message id is known

    async def _typing(self) -> None:
        while not self._text_seen.is_set():
            try:
                await self.bot.send_chat_action(self.chat_id, ChatAction.TYPING)
            except TelegramError as exc:
                log.debug("typing action in chat %s failed: %s", self.chat_id, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._text_seen.wait(), self.pacing.typing_s)

    async def _pump(self) -> None:
        while True:
            await self._wake.wait()
            if self._closed.is_set():
                return
            delay = self._next_allowed() - time.monotonic()
            if delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closed.wait(), delay)
                if self._closed.is_set():
                    return
            self._wake.clear()
            await self._push()

    def _next_allowed(self) -> float:
        interval = self.pacing.draft_s if self.drafting else self.pacing.edit_s
        return max(self._hold_until, self._last_update.get(self.chat_id, 0.0) + interval)

    def _current(self) -> str:
        if len(self._parts) > 1:
            self._parts = ["".join(self._parts)]
        self._text = self._parts[0] if self._parts else ""
        return self._text

    async def _push(self) -> None:
        """Send finished pieces, then show the newest state of the piece being written."""
        text = self._current()
        while True:
            rest = text[self._committed :]
            spans = split_spans(rest, self.limit)
            if not spans:
                return
            if len(spans) == 1:
                start, end = spans[0]
                await self._preview(rest[start:end])
                return
            start, end = spans[0]
            if not await self._commit(rest[start:end]):
                return
            self._committed += spans[1][0]

    # -- Telegram calls ------------------------------------------------------------------------
    def _touched(self) -> None:
        self._last_update[self.chat_id] = time.monotonic()
        self._text_seen.set()
        if self._typing_task is not None:
            self._typing_task.cancel()  # a typing action sent after the text would linger ~5 s

    def _hold(self, exc: RetryAfter) -> None:
        seconds = retry_seconds(exc)
        log.info("flood control in chat %s: waiting %.1f s", self.chat_id, seconds)
        self._hold_until = time.monotonic() + seconds
        self._wake.set()  # try again with the newest text once the wait is over

    async def _wait_hold(self) -> None:
        delay = self._hold_until - time.monotonic()
        if delay > 0:
            await self._flood_wait(delay)

    async def _flood_wait(self, seconds: float) -> None:
        """Sit out flood control before a final message; `_GaveUp` if too long or given up."""
        if seconds > self.pacing.flood_s:
            raise _GaveUp(f"flood control asks for {seconds:.0f} s, over {self.pacing.flood_s:g} s")
        if not self._given_up.is_set():
            log.info("flood control in chat %s: waiting %.1f s to send the reply", self.chat_id, seconds)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._given_up.wait(), seconds)
        if self._given_up.is_set():
            raise _GaveUp("shutting down during a flood wait")

    async def _preview(self, piece: str) -> None:
        shown = escape(piece)
        if shown == self._shown:
            return
        if self._draft_id is not None:
            await self._draft(shown)
        else:
            await self._show_in_message(shown)

    async def _draft(self, shown: str) -> None:
        assert self._draft_id is not None
        try:
            await self.bot.send_message_draft(self.chat_id, self._draft_id, shown, parse_mode=ParseMode.HTML)
        except RetryAfter as exc:
            self._hold(exc)
            return
        except TelegramError as exc:
            if _transient(exc):
                log.debug("draft update in chat %s failed: %s", self.chat_id, exc)
                return
            # Drafts are refused here: edit a message instead, from now on.
            self._draft_id = None
            if self._on_draft_failure is not None:
                self._on_draft_failure(self.chat_id, exc)
            self._wake.set()
            return
        self._shown = shown
        self._touched()

    async def _show_in_message(self, shown: str) -> None:
        try:
            if self._message_id is None:
                message = await self.bot.send_message(
                    self.chat_id, shown, parse_mode=ParseMode.HTML, reply_parameters=self._reply()
                )
                self._message_id = message.message_id
                self._reply_to = None
            else:
                await self.bot.edit_message_text(
                    shown, chat_id=self.chat_id, message_id=self._message_id, parse_mode=ParseMode.HTML
                )
        except RetryAfter as exc:
            self._hold(exc)
            return
        except BadRequest as exc:
            if not _not_modified(exc):
                # e.g. the message was deleted: carry on in a new one.
                log.info("editing message in chat %s failed (%s); starting a new one", self.chat_id, exc)
                self._message_id = None
                self._shown = ""
                return
        except TelegramError as exc:
            if not _transient(exc):
                raise
            log.debug("update in chat %s failed: %s", self.chat_id, exc)
            return
        self._shown = shown
        self._touched()

    async def _commit(self, piece: str) -> bool:
        """Make a finished piece permanent; False if flood control says to try later."""
        try:
            if self._message_id is not None and not self.drafting:
                await self._final_edit(piece, wait=False)
            else:
                await self._send(piece, wait=False)
        except RetryAfter as exc:
            self._hold(exc)
            return False
        if self._new_draft_id is not None and self.drafting:
            self._draft_id = self._new_draft_id()  # a fresh preview for the next piece
        self._message_id = None
        self._shown = ""
        return True

    def _reply(self) -> ReplyParameters | None:
        """Only the first message of a group reply quotes the message it answers."""
        if self._reply_to is None:
            return None
        return ReplyParameters(self._reply_to, allow_sending_without_reply=True)

    async def _send(self, piece: str, *, wait: bool = True) -> None:
        for attempt in range(self.pacing.retries + 1):
            try:
                await self.bot.send_message(
                    self.chat_id, escape(piece), parse_mode=ParseMode.HTML, reply_parameters=self._reply()
                )
            except RetryAfter as exc:
                if not wait or attempt == self.pacing.retries:
                    raise
                await self._flood_wait(retry_seconds(exc))
            except TelegramError as exc:
                if not _transient(exc) or attempt == self.pacing.retries:
                    raise
                await asyncio.sleep(min(2.0**attempt, 5.0) * 0.5)
            else:
                self._reply_to = None
                self._touched()
                return

    async def _final_edit(self, piece: str, *, wait: bool = True) -> None:
        shown = escape(piece)
        if shown == self._shown:
            return
        for attempt in range(self.pacing.retries + 1):
            try:
                await self.bot.edit_message_text(
                    shown, chat_id=self.chat_id, message_id=self._message_id, parse_mode=ParseMode.HTML
                )
            except RetryAfter as exc:
                if not wait or attempt == self.pacing.retries:
                    raise
                await self._flood_wait(retry_seconds(exc))
            except BadRequest as exc:
                if _not_modified(exc):
                    break
                log.info("final edit in chat %s failed (%s); sending the text anew", self.chat_id, exc)
                self._message_id = None
                await self._send(piece, wait=wait)
                return
            except TelegramError as exc:
                if not _transient(exc) or attempt == self.pacing.retries:
                    raise
                await asyncio.sleep(min(2.0**attempt, 5.0) * 0.5)
            else:
                break
        self._shown = shown
        self._touched()
