"""The Telegram channel: a python-telegram-bot Application feeding the runtime.

* Each chat is its own conversation and memory scope: a private chat is the person's; a group
  is shared (`user_id="telegram:group:<chat id>"`, with the writer as `speaker_id`). In a group she
  answers only when mentioned or replied to. Chats run concurrently; the runtime keeps each
  chat's messages in order.
* Only `allowed_users` (and `admin_users`) reach the model or memory. Anyone else gets one
  polite refusal per cooldown, then silence.
* Replies stream (see `telegram_stream`) as escaped HTML; thinking is never shown.
* The token never reaches a log line while the channel runs (`telegram_logs`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from telegram import BotCommand, Chat, Message, ReplyParameters, Update, User
from telegram.constants import ChatType, MessageEntityType, ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    TypeHandler,
    filters,
)

from channels.base import Channel
from channels.telegram_format import escape, split_text
from channels.telegram_logs import guard_logs
from channels.telegram_stream import Pacing, ReplyStream
from koclaw import phrases, soul
from koclaw.agent import Inbound, TurnResult
from koclaw.checkins import CheckIns
from koclaw.commands import Commands, Scope
from koclaw.config import Settings
from koclaw.delivery import Deliver, Deliveries, DeliveryError
from koclaw.errors import AlreadyReceived, InputError, KoclawError, ModelError
from koclaw.identities import identity
from koclaw.inputs import row_id
from koclaw.retrain.job import Retrainer
from koclaw.retrain.report import status_text
from koclaw.runtime import Runtime, RuntimeClosed, TooManyMessages
from memory.long_term import LongTermMemory
from memory.session import SessionStore
from memory.soul import SoulRegistry

if TYPE_CHECKING:
    from koclaw.app import App

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MEDIA_KINDS = (
    "animation",  # before document: an animation also carries a document
    "photo",
    "voice",
    "audio",
    "video",
    "video_note",
    "sticker",
    "document",
    "venue",
    "location",
    "contact",
    "poll",
    "dice",
    "story",
)

Ctx = ContextTypes.DEFAULT_TYPE
Handler = Callable[[Update, Ctx], Coroutine[Any, Any, None]]


# -- message helpers -----------------------------------------------------------------------------
def media_kind(message: Message) -> str | None:
    return next((kind for kind in MEDIA_KINDS if getattr(message, kind, None)), None)


def command_of(message: Message) -> tuple[str, str, str] | None:
    """(command, @target or "", arguments) when the message is a bot command."""
    text = message.text or ""
    entities = message.entities
    if not entities or entities[0].type != MessageEntityType.BOT_COMMAND or entities[0].offset != 0:
        return None
    head, _, args = text.partition(" ")
    name, _, target = head[1:].partition("@")
    return name.lower(), target, args.strip()


def _mention(username: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w@])@{re.escape(username)}(?!\w)", re.IGNORECASE)


def _strip_mention(text: str, username: str) -> str:
    """The message without her @name (and a comma or colon right after it)."""
    bare = re.sub(_mention(username).pattern + r"[,:，：]?", "", text, flags=re.IGNORECASE)
    return re.sub(r"[ \t]{2,}", " ", bare).strip()


class TelegramChannel(Channel):
    name = CHANNEL

    def __init__(
        self,
        settings: Settings,
        store: SessionStore,
        *,
        soul: SoulRegistry | None = None,
        long_term: LongTermMemory | None = None,
        deliveries: Deliveries | None = None,
        retrainer: Retrainer | None = None,
        checkins: CheckIns | None = None,
        pacing: Pacing | None = None,
        poll_timeout_s: int = 30,
        refusal_cooldown_s: float = 600.0,
        grace_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        forget_confirm_s: float = 300.0,
    ) -> None:
        self.settings = settings
        self.tg = settings.telegram
        self.store = store
        self.soul = soul
        self.retrainer = retrainer
        self.checkins = checkins
        self.long_term = long_term
        self.deliveries = deliveries  # where the bot registers itself to send reminders
        self.pacing = pacing or Pacing()
        self.poll_timeout_s = poll_timeout_s
        self.refusal_cooldown_s = refusal_cooldown_s
        self.grace_s = grace_s
        self.clock = clock
        self._runtime: Runtime | None = None
        self._started = clock()
        self._refused: dict[int, float] = {}  # user id -> when they were last refused
        self._no_drafts: set[int] = set()  # chats where sendMessageDraft failed
        self._last_update: dict[int, float] = {}  # chat id -> last draft/edit/send (pacing)
        self._languages: dict[int, str] = {}  # chat id -> language of the last message
        self._inflight: set[asyncio.Future[TurnResult]] = set()
        self._replies: dict[ReplyStream, asyncio.Task[Any] | None] = {}  # each reply -> its handler
        self._delivering: set[asyncio.Task[Any]] = set()  # tasks sending through `deliveries` now
        self._giving_up = False  # shutdown's grace is over: replies stop waiting out flood control
        self._draft_ids = itertools.count(1)
        self.forget_confirm_s = forget_confirm_s
        self.commands = Commands(
            store, long_term, checkins=checkins, clock=lambda: self.clock(), forget_confirm_s=forget_confirm_s
        )

    # -- lifecycle ---------------------------------------------------------------------------
    async def run(self, runtime: Runtime, stop: asyncio.Event) -> int:
        token = self.tg.token.get_secret_value()
        if not token:
            log.error("Telegram is not configured: set KOCLAW_TELEGRAM__TOKEN to the token from @BotFather.")
            return 2
        undo = guard_logs(token)
        try:
            return await self._serve(token, runtime, stop)
        finally:
            undo()

    @classmethod
    def for_app(cls, settings: Settings, app: App, **options: Any) -> TelegramChannel:
        """The channel wired to every App service it serves (as `koclaw run` starts it)."""
        return cls(
            settings,
            app.store,
            soul=app.soul,
            long_term=app.long_term,
            deliveries=app.deliveries,
            retrainer=app.retrainer,
            checkins=app.checkins,
            **options,
        )

    def build(self, token: str) -> Application[Any, Any, Any, Any, Any, Any]:
        base = self.tg.base_url
        file_url = base[: -len("bot")] + "file/bot" if base.endswith("/bot") else base
        app = (
            ApplicationBuilder()
            .token(token)
            .base_url(base)
            .base_file_url(file_url)
            .rate_limiter(AIORateLimiter(max_retries=0))  # flood waits are handled per chat
            .concurrent_updates(True)
            .job_queue(None)
            .build()
        )
        app.add_handler(TypeHandler(Update, self._gate), group=-1)
        commands: dict[str, Handler] = {
            "start": self._start,
            "help": self._help,
            "reset": self._reset,
            "memory": self._memory,
            "forget": self._forget,
            "training": self._training,
            "checkin": self._checkin,
            "retrain": self._admin(self._retrain),
            "retrain_status": self._admin(self._retrain_status),
            "retrain_cancel": self._admin(self._retrain_cancel),
            "soul": self._admin(self._soul),
            "stats": self._admin(self._stats),
        }
        for command, callback in commands.items():
            app.add_handler(CommandHandler(command, callback))
        app.add_handler(MessageHandler(filters.COMMAND, self._unknown_command))
        app.add_handler(MessageHandler(filters.TEXT | filters.CAPTION, self._on_text))
        app.add_handler(MessageHandler(filters.ALL, self._on_media))
        app.add_error_handler(self._on_error)
        return app

    async def _serve(self, token: str, runtime: Runtime, stop: asyncio.Event) -> int:
        app = self.build(token)
        self._runtime = runtime
        self._started = self.clock()
        try:
            await app.initialize()
        except InvalidToken:
            await app.bot.shutdown()
            log.error(
                "Telegram rejected the bot token (KOCLAW_TELEGRAM__TOKEN). Get a valid one from @BotFather."
            )
            return 2
        except TelegramError as exc:
            await app.bot.shutdown()
            log.error(
                "Cannot reach the Telegram Bot API at %s (%s). "
                "Check the network and KOCLAW_TELEGRAM__BASE_URL.",
                self.tg.base_url,
                exc,
            )
            return 1
        sender = self._sender(app.bot)
        try:
            await self._announce_commands(app)
            if self.deliveries is not None:
                self.deliveries.register(CHANNEL, sender)
            await app.start()
            if app.updater is not None:
                await app.updater.start_polling(
                    timeout=self.poll_timeout_s,
                    allowed_updates=[Update.MESSAGE],
                    error_callback=self._polling_failed,
                )
            log.info("Telegram: polling as @%s", app.bot.username)
            await stop.wait()
        finally:
            await self._wind_down(app)
        return 0

    async def _announce_commands(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        try:
            await app.bot.set_my_commands([BotCommand(name, text) for name, text in phrases.USER_COMMANDS])
        except TelegramError as exc:
            log.warning("could not register the command list with Telegram: %s", exc)

    def _polling_failed(self, exc: TelegramError) -> None:
        log.warning("polling Telegram failed (%s); retrying", exc)

    def _sender(self, bot: ExtBot[None]) -> Deliver:
        """The `Deliver` of this channel: plain text (escaped) to a chat, split at Telegram's limit."""

        async def send(chat_id: str, text: str) -> None:
            task = asyncio.current_task()
            tracked = {task} if task is not None else set()
            self._delivering |= tracked  # shutdown waits for it (`_end_deliveries`)
            try:
                for piece in split_text(text):
                    await bot.send_message(int(chat_id), escape(piece), parse_mode=ParseMode.HTML)
            except TelegramError as exc:
                raise DeliveryError(f"Telegram refused the message to chat {chat_id}: {exc}") from exc
            finally:
                self._delivering -= tracked

        return send

    async def _wind_down(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Stop fetching, give running replies `grace_s` to finish, cancel the rest, close PTB."""
        if self.deliveries is not None:
            self.deliveries.unregister(CHANNEL)
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        deadline = asyncio.get_running_loop().time() + self.grace_s
        pending = {f for f in self._inflight if not f.done()}
        if pending:
            _, late = await asyncio.wait(pending, timeout=self.grace_s)
            for future in late:
                future.cancel()  # the turn stores what it had as 'interrupted'
        await self._end_deliveries(deadline)
        if app.running:
            await app.stop()
        await app.shutdown()

    async def _end_deliveries(self, deadline: float) -> None:
        """Give replies still being sent (a flood wait) the rest of the grace, then give them up.

        Their turns are done and stored, and `app.stop()` waits for every handler: a flood wait
        sat out here would hold shutdown for as long as Telegram asks. Late answers and reminders
        sent through `deliveries` get the same grace: closing the bot under one that Telegram had
        already taken failed it, and it was kept as unsent and sent again after the restart.
        """
        handlers = {t for t in self._replies.values() if t is not None and not t.done()}
        handlers |= {t for t in self._delivering if not t.done()}
        if handlers:
            await asyncio.wait(handlers, timeout=max(0.0, deadline - asyncio.get_running_loop().time()))
        self._giving_up = True
        for stream in list(self._replies):
            stream.give_up()

    # -- gate ------------------------------------------------------------------------------------
    async def _gate(self, update: Update, context: Ctx) -> None:
        """Runs before every handler: drops what is not for her, refuses who may not talk to her."""
        message, chat, user = update.message, update.effective_chat, update.effective_user
        if message is None or chat is None or user is None or user.is_bot or chat.type == ChatType.CHANNEL:
            raise ApplicationHandlerStop
        if not self._addressed(message, chat, context.bot):
            raise ApplicationHandlerStop
        if not phrases.may_talk(self.tg.allowed_users, user.id):
            await self._refuse(message, chat, user, context.bot)
            raise ApplicationHandlerStop

    def _addressed(self, message: Message, chat: Chat, bot: ExtBot[None]) -> bool:
        text = message.text or message.caption or ""
        if not text and media_kind(message) is None:
            return False  # service messages: joins, pins, titles...
        if chat.type == ChatType.PRIVATE:
            return True
        command = command_of(message)
        if command is not None:
            return not command[1] or command[1].lower() == bot.username.lower()
        reply = message.reply_to_message
        if reply is not None and reply.from_user is not None and reply.from_user.id == bot.id:
            return True
        return bool(_mention(bot.username).search(text))

    async def _refuse(self, message: Message, chat: Chat, user: User, bot: ExtBot[None]) -> None:
        now = self.clock()
        last = self._refused.get(user.id)
        if last is not None and now - last < self.refusal_cooldown_s:
            return
        self._refused[user.id] = now
        log.info(
            "refused Telegram user %s in chat %s: not in KOCLAW_TELEGRAM__ALLOWED_USERS", user.id, chat.id
        )
        lang = phrases.reply_language(message.text or message.caption or "", user.language_code)
        try:
            await self._say(bot, message, phrases.not_allowed_text(lang, user.id))
        except TelegramError as exc:  # not worth the error handler's apology to a stranger
            log.warning("could not send the refusal to chat %s: %s", chat.id, exc)

    # -- conversation ------------------------------------------------------------------------------
    async def _on_text(self, update: Update, context: Ctx) -> None:
        message, chat, user = _parts(update)
        text = message.text or message.caption or ""
        if chat.type != ChatType.PRIVATE:
            text = _strip_mention(text, context.bot.username)
        lang = self._language(chat, user, text)
        if not text.strip():
            await self._say(context.bot, message, phrases.called_text(lang))
            return
        await self._converse(context.bot, message, self.inbound(chat, user, text), lang)

    def inbound(self, chat: Chat, user: User, text: str) -> Inbound:
        return Inbound(
            channel=CHANNEL,
            chat_id=str(chat.id),
            user_id=_scope(chat, user),
            text=text,
            user_name=user.first_name,
            speaker_id=identity(CHANNEL, str(user.id)),
        )

    async def _converse(self, bot: ExtBot[None], message: Message, inbound: Inbound, lang: str) -> None:
        assert self._runtime is not None, "run() sets the runtime before any update arrives"
        chat_id = message.chat.id
        # Telegram re-sends updates it was not told were read (a crash between fetching and the next
        # poll): the message's own id makes the second delivery count for nothing.
        inbound = replace(inbound, source_id=f"{chat_id}:{message.message_id}")
        drafts = message.chat.type == ChatType.PRIVATE and chat_id not in self._no_drafts
        stream = ReplyStream(
            bot,
            chat_id,
            pacing=self.pacing,
            last_update=self._last_update,
            new_draft_id=(lambda: next(self._draft_ids)) if drafts else None,
            on_draft_failure=self._drafts_failed,
            reply_to=None if message.chat.type == ChatType.PRIVATE else message.message_id,
        )
        stream.start()
        self._replies[stream] = asyncio.current_task()
        if self._giving_up:
            stream.give_up()
        try:
            try:
                future = self._runtime.submit(inbound, stream.on_event)
            except RuntimeClosed:
                await stream.finish(phrases.restarting_text(lang))
                return
            except TooManyMessages:
                await stream.finish(phrases.slow_down_text(lang))
                return
            self._inflight.add(future)
            future.add_done_callback(self._inflight.discard)
            try:
                result = await future
            except InputError as exc:
                await stream.finish(str(exc))
                return
            except AlreadyReceived as exc:
                log.info("ignoring a message Telegram delivered again: %s", exc)
                await stream.abort()
                return
            except KoclawError as exc:  # storage trouble and the like: the model had nothing to do with it
                log.warning("turn in chat %s failed: %s", chat_id, exc)
                await stream.finish(phrases.trouble_text(lang))
                return
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if future.cancelled() and (task is None or not task.cancelling()):
                    return  # shutdown cancelled the turn; it is stored as 'interrupted'
                raise
            await stream.finish(result.text)
        finally:
            self._replies.pop(stream, None)  # `abort` never waits out flood control
            await stream.abort()

    def _drafts_failed(self, chat_id: int, exc: TelegramError) -> None:
        log.warning("sendMessageDraft failed in chat %s (%s); editing messages there instead", chat_id, exc)
        self._no_drafts.add(chat_id)

    async def _on_media(self, update: Update, context: Ctx) -> None:
        message, chat, user = _parts(update)
        kind = media_kind(message) or "other"
        await self._say(
            context.bot, message, phrases.unsupported_media_text(self._language(chat, user), kind)
        )

    # -- user commands -----------------------------------------------------------------------------
    async def _start(self, update: Update, context: Ctx) -> None:
        message, chat, user = _parts(update)
        lang = self._language(chat, user, _args(message))
        await self._say(context.bot, message, phrases.start_text(lang, admin=self._is_admin(user)))

    async def _help(self, update: Update, context: Ctx) -> None:
        message, chat, user = _parts(update)
        lang = self._language(chat, user, _args(message))
        await self._say(context.bot, message, phrases.help_text(lang, admin=self._is_admin(user)))

    async def _reset(self, update: Update, context: Ctx) -> None:
        message, chat, user = _parts(update)
        lang = self._language(chat, user, _args(message))
        await self._say(context.bot, message, self.commands.reset(self._where(chat, user), lang))

    async def _memory(self, update: Update, context: Ctx) -> None:
        message, chat, user = _parts(update)
        lang = self._language(chat, user, _args(message))
        await self._say(context.bot, message, self.commands.memory(self._where(chat, user), lang))

    async def _forget(self, update: Update, context: Ctx) -> None:
        """/forget <id or text>: see `Commands.forget`; in a group only admins may forget."""
        message, chat, user = _parts(update)
        target = _args(message)
        answer = target.lower()
        wordless = row_id(target) is not None or answer in ("yes", "no")  # no language to read in it
        lang = self._language(chat, user, "" if wordless else target)
        if chat.type != ChatType.PRIVATE and not self._is_admin(user):
            await self._say(context.bot, message, phrases.forget_in_group_text(lang))
            return
        text = self.commands.forget(self._where(chat, user), target, lang, asker=(chat.id, user.id))
        await self._say(context.bot, message, text)

    async def _unknown_command(self, update: Update, context: Ctx) -> None:
        message, chat, user = _parts(update)
        command = command_of(message)
        name = command[0] if command else (message.text or "?").split()[0].lstrip("/")
        await self._say(context.bot, message, phrases.unknown_command_text(self._language(chat, user), name))

    # -- admin commands ----------------------------------------------------------------------------
    def _where(self, chat: Chat, user: User) -> Scope:
        return Scope(CHANNEL, str(chat.id), self._person(chat, user))

    def _person(self, chat: Chat, user: User) -> str:
        """Whose memory a command in this chat reaches: the chat's scope, after the owner's links."""
        return self.store.resolve_identity(_scope(chat, user))

    def _is_admin(self, user: User) -> bool:
        return phrases.is_admin(self.tg.admin_users, user.id)

    def _admin(self, command: Callable[[Update, Ctx], Awaitable[str]]) -> Handler:
        """Wrap an admin command: others are refused politely and the attempt is logged."""

        async def guarded(update: Update, context: Ctx) -> None:
            message, chat, user = _parts(update)
            if not self._is_admin(user):
                name = command_of(message)
                log.warning(
                    "admin command /%s refused for Telegram user %s in chat %s "
                    "(not in KOCLAW_TELEGRAM__ADMIN_USERS)",
                    name[0] if name else "?",
                    user.id,
                    chat.id,
                )
                await self._say(context.bot, message, phrases.admin_only_text(self._language(chat, user)))
                return
            await self._say(context.bot, message, await command(update, context))

        return guarded

    async def _retrain(self, update: Update, context: Ctx) -> str:
        """/retrain WHEN: schedule (or start) a Soul retrain; the report comes back to this chat."""
        message, chat, user = _parts(update)
        when = _args(message)
        if self.retrainer is None:
            return "Retraining is not set up in this process."
        if not when:
            return phrases.RETRAIN_USAGE + "\n\n" + await self._retrain_status(update, context)
        try:
            run = self.retrainer.schedule(when, f"telegram:{user.id}", channel=CHANNEL, chat_id=str(chat.id))
        except InputError as exc:
            return f"Not scheduled: {exc}"
        self.retrainer.kick()
        due = run.due.astimezone(self.retrainer.zone)
        return phrases.retrain_scheduled_text(run.id, due, self.retrainer.clock(), run.cron)

    async def _retrain_status(self, update: Update, context: Ctx) -> str:
        if self.retrainer is None:
            return "Retraining is not set up in this process."
        now = self.retrainer.clock()
        return status_text(self.retrainer.current(), self.retrainer.history(5), now)

    async def _retrain_cancel(self, update: Update, context: Ctx) -> str:
        if self.retrainer is None:
            return "Retraining is not set up in this process."
        _, _, user = _parts(update)
        try:
            run = self.retrainer.cancel(f"telegram:{user.id}")
        except InputError as exc:
            return str(exc)
        return phrases.retrain_cancelled_text(run.id, run.status)

    async def _checkin(self, update: Update, context: Ctx) -> None:
        """/checkin on HH:MM-HH:MM [zone] | off | (status): daily check-ins, set in a private chat."""
        message, chat, user = _parts(update)
        lang = self._language(chat, user)
        words = _args(message).split()
        if chat.type != ChatType.PRIVATE:
            text = phrases.checkin_text(lang, "usage")
        else:
            text = self.commands.checkin(self._where(chat, user), words, lang, zone=self.settings.timezone)
        await self._say(context.bot, message, text)

    async def _training(self, update: Update, context: Ctx) -> None:
        """/training on|off: may this person's own messages become training data (default: no)."""
        message, chat, user = _parts(update)
        person = self.store.resolve_identity(identity(CHANNEL, str(user.id)))
        text = self.commands.training(
            person, _args(message).lower(), self._language(chat, user), by=f"telegram:{user.id}"
        )
        await self._say(context.bot, message, text)

    async def _soul(self, update: Update, context: Ctx) -> str:
        """/soul [list | activate NAME | rollback]: the Soul registry, through the one activation path."""
        assert self._runtime is not None
        if self.soul is None:
            return "The Soul registry is not open in this process."
        message, _, user = _parts(update)
        model = self._runtime.agent.model
        words = _args(message).split()
        try:
            if words[:1] == ["activate"] and len(words) == 2:
                adapter = await soul.activate(self.soul, model, words[1], f"telegram:{user.id}")
                return f"Activated {adapter.name}: new replies come from it."
            if words == ["rollback"]:
                adapter = await soul.rollback(self.soul, model, f"telegram:{user.id}")
                return f"Rolled back to {adapter.name}: new replies come from it."
            if words not in ([], ["list"]):
                return phrases.SOUL_USAGE
        except KoclawError as exc:
            return f"Could not do that: {exc}"
        try:
            served: list[str] | None = await model.list_models()
            note = ""
        except ModelError as exc:
            served, note = None, f"\nCannot reach the model server: {exc}"
        return soul.describe(self.soul, served) + note

    async def _stats(self, update: Update, context: Ctx) -> str:
        busy = self._runtime.busy if self._runtime is not None else 0
        return phrases.stats_text(self.store.stats(), uptime_s=self.clock() - self._started, busy=busy)

    # -- plumbing ----------------------------------------------------------------------------------
    def _language(self, chat: Chat, user: User, text: str = "") -> str:
        """Her language for a canned line: the text's, else this chat's last, else the client's."""
        lang = phrases.reply_language(text, self._languages.get(chat.id), user.language_code)
        if text.strip():
            self._languages[chat.id] = lang
        return lang

    async def _say(self, bot: ExtBot[None], message: Message, text: str) -> None:
        """A canned line, escaped; in groups it answers the message that called her."""
        reply = None if message.chat.type == ChatType.PRIVATE else ReplyParameters(message.message_id)
        for piece in split_text(text):
            await bot.send_message(
                message.chat.id, escape(piece), parse_mode=ParseMode.HTML, reply_parameters=reply
            )
            reply = None

    async def _on_error(self, update: object, context: Ctx) -> None:
        """A failed update is logged (redacted) and apologised for; the others carry on."""
        if not isinstance(update, Update) or update.effective_chat is None:
            log.error("Telegram error outside an update: %s", context.error, exc_info=context.error)
            return
        chat = update.effective_chat
        log.error("handling a Telegram update in chat %s failed", chat.id, exc_info=context.error)
        user = update.effective_user
        lang = (
            self._languages.get(chat.id)
            or phrases.language_hint(user.language_code if user else None)
            or "en"
        )
        try:
            await context.bot.send_message(
                chat.id, escape(phrases.trouble_text(lang)), parse_mode=ParseMode.HTML
            )
        except TelegramError as exc:
            log.warning("could not tell chat %s about the failure: %s", chat.id, exc)


def _parts(update: Update) -> tuple[Message, Chat, User]:
    """The message, chat and sender of an update the gate let through."""
    message, chat, user = update.message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None:
        raise ValueError("an update without message, chat or sender got past the gate")
    return message, chat, user


def _scope(chat: Chat, user: User) -> str:
    """The memory scope, in Telegram's namespace: the person in a private chat, the chat in a group."""
    return identity(CHANNEL, str(user.id) if chat.type == ChatType.PRIVATE else f"group:{chat.id}")


def _args(message: Message) -> str:
    return (message.text or "").partition(" ")[2].strip()
