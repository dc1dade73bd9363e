"""The chat commands for every channel: /reset, /memory, /forget, /checkin, /training; what she says back.

Why one place: a command must mean the same on Telegram and in the terminal. A channel parses the
line, decides who may run it (Telegram keeps a group's /forget for admins) and sends the text these
methods return; the words are her phrases in `koclaw.phrases`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable
from dataclasses import asdict, dataclass
from typing import Any

from koclaw import phrases
from koclaw.checkins import CheckIns, parse_hours
from koclaw.errors import InputError
from koclaw.inputs import row_id
from memory.long_term import LongTermMemory
from memory.session import SessionStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a command is run: the channel and chat, and the person (identity, after links) it is for."""

    channel: str
    chat_id: str
    person: str


@dataclass(frozen=True, slots=True)
class _PendingForget:
    """A broad /forget awaiting /forget yes: the ids shown, so confirming deletes only those."""

    person: str
    messages: tuple[int, ...]
    memories: tuple[str, ...]
    expires: float  # on the commands' clock


class Commands:
    """One object per app; `asker` keys a pending /forget to whoever asked (a chat and a user)."""

    def __init__(
        self,
        store: SessionStore,
        long_term: LongTermMemory | None,
        *,
        checkins: CheckIns | None = None,
        clock: Callable[[], float] = time.monotonic,
        forget_confirm_s: float = 300.0,
    ) -> None:
        self.store = store
        self.long_term = long_term
        self.checkins = checkins
        self.clock = clock
        self.forget_confirm_s = forget_confirm_s
        self._forgets: dict[Hashable, _PendingForget] = {}

    def reset(self, scope: Scope, lang: str) -> str:
        """End the open conversation: the next message starts a fresh one (long-term memory stays)."""
        self.store.end_open(scope.channel, scope.chat_id, scope.person)
        return phrases.reset_text(lang)

    def memory(self, scope: Scope, lang: str) -> str:
        """What she holds about this chat: the session's counts and newest messages, the top facts."""
        summary = self.store.summary_for(scope.channel, scope.chat_id, scope.person)
        facts = self.long_term.list(scope.person, "fact", limit=20) if self.long_term is not None else []
        ranked = sorted(facts, key=lambda f: (-f.importance, f.timestamp))[:10]
        return phrases.memory_text(lang, summary, [(f.id, f.timestamp, f.text) for f in ranked])

    def forget(self, scope: Scope, target: str, lang: str, *, asker: Hashable) -> str:
        """A number forgets that message and its episodes; text forgets one match at once, or shows
        several and waits for /forget yes, so a short word never wipes unrelated memories."""
        answer = target.lower()
        pending = self._forgets.pop(asker, None)  # any new /forget replaces or cancels it
        if answer in ("yes", "no"):
            if answer == "no":
                return phrases.forget_cancelled_text(lang)
            if pending is None or pending.person != scope.person or self.clock() >= pending.expires:
                return phrases.forget_nothing_pending_text(lang)
            return phrases.forget_text(
                lang, self._forget_now(scope.person, pending.messages, pending.memories)
            )
        try:
            messages = self.store.forget_preview(scope.person, target)
        except InputError:
            return phrases.forget_usage(lang)
        if (number := row_id(target)) is not None:  # an id, only an id: never a text search in either tier
            removed = len(self.store.forget_ids(scope.person, [m.id for m in messages]))
            if self.long_term is not None and number >= 0:
                removed += len(self.long_term.forget_message(scope.person, number))
            log.info(
                "forgot %d row(s) for %s by message id %s, asked by %s", removed, scope.person, target, asker
            )
            return (
                phrases.forget_text(lang, removed)
                if removed
                else phrases.forget_unknown_id_text(lang, target)
            )
        memories = self.long_term.forget_preview(scope.person, target) if self.long_term is not None else []
        messages = sorted(messages, key=lambda m: m.id)  # oldest first, as she shows them
        said = {str(m.id) for m in messages}  # an episode of a matched message is the same memory
        items = [m.content for m in messages] + [m.text for m in memories if m.message_id not in said]
        message_ids, memory_ids = tuple(m.id for m in messages), tuple(m.id for m in memories)
        if len(items) > 1:
            expires = self.clock() + self.forget_confirm_s
            self._forgets[asker] = _PendingForget(scope.person, message_ids, memory_ids, expires)
            return phrases.forget_confirm_text(lang, items)
        return phrases.forget_text(lang, self._forget_now(scope.person, message_ids, memory_ids))

    def checkin(self, scope: Scope, words: list[str], lang: str, *, zone: str | None) -> str:
        """/checkin on HH:MM-HH:MM [zone] | off | (status): when she may write first, in `zone` by default."""
        if self.checkins is None or words[:1] not in (["on"], ["off"], []):
            return phrases.checkin_text(lang, "usage")

        def shown(on: dict[str, Any]) -> str:
            return phrases.checkin_text(
                lang, "on", start=on["start"], end=on["end"], zone=on["timezone"], cap=on["daily_cap"]
            )

        if words[:1] == ["off"]:
            return phrases.checkin_text(lang, "off" if self.checkins.disable(scope.person) else "none")
        if words[:1] == ["on"] and len(words) in (2, 3):
            try:
                start, end = parse_hours(words[1])
                on = self.checkins.enable(
                    scope.person, scope.channel, scope.chat_id, start=start, end=end, language=lang,
                    timezone=words[2] if len(words) == 3 else (zone or "UTC"),
                )  # fmt: skip
            except InputError as exc:
                return f"{exc}\n\n{phrases.checkin_text(lang, 'usage')}"
            return shown(asdict(on))
        current = [c for c in self.checkins.status(scope.person) if c["enabled"]]
        none = phrases.checkin_text(lang, "none") + "\n" + phrases.checkin_text(lang, "usage")
        return shown(current[0]) if current else none

    def training(self, person: str, answer: str, lang: str, *, by: str) -> str:
        """/training on|off (else the current answer): may this person's own messages become training data."""
        if answer in ("on", "off"):
            self.store.set_training_consent(person, answer == "on", by=by)
        return phrases.training_text(lang, answer, self.store.training_consent(person))

    def _forget_now(self, person: str, messages: tuple[int, ...], memories: tuple[str, ...]) -> int:
        """Delete exactly what was matched (and shown): nothing stored since goes with it."""
        removed = len(self.store.forget_ids(person, messages))
        if self.long_term is not None:
            removed += len(self.long_term.forget_ids(person, memories))
            # and their episodes if a batch being indexed wrote them after the preview (then, after
            # the session's delete, the indexer finds them gone and deletes them itself)
            removed += len(self.long_term.forget_messages(person, messages))
        log.info("forgot %d row(s) for %s", removed, person)
        return removed
