"""Proactive delivery: how Kokoron speaks first (reminders), through whichever channels can.

A channel that can send unprompted (Telegram, with its bot) registers a `Deliver` under its name
while it runs; channels that cannot (the CLI, HTTP) register none. Whoever delivers looks the
sender up by the channel a message belongs to and keeps what could not be sent (see
`koclaw.reminders`), so nothing is lost while a channel is down.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from koclaw.errors import KoclawError

log = logging.getLogger(__name__)

WRITES_FIRST = frozenset({"telegram"})
"""The channels that register a sender in `koclaw run`; a reminder asked for elsewhere could never arrive."""


class DeliveryError(KoclawError):
    """A channel could not send a proactive message (network, blocked bot, ...)."""


class Deliver(Protocol):
    def __call__(self, chat_id: str, text: str) -> Awaitable[None]:
        """Send `text` to `chat_id` on this channel; raise `DeliveryError` when it cannot."""


Listener = Callable[[str], None]


class Deliveries:
    """The senders of the channels running now, by channel name."""

    def __init__(self) -> None:
        self._senders: dict[str, Deliver] = {}
        self._listeners: list[Listener] = []

    def register(self, channel: str, sender: Deliver) -> None:
        """Make `channel` deliverable; listeners hear of it (to send what waited for it)."""
        self._senders[channel] = sender
        for listener in list(self._listeners):
            try:
                listener(channel)
            except Exception:  # a listener's trouble must not stop the channel from starting
                log.exception("a delivery listener failed for %s", channel)

    def unregister(self, channel: str, sender: Deliver | None = None) -> None:
        """Forget `channel`'s sender (only `sender`, when given: a newer one stays)."""
        if sender is None or self._senders.get(channel) is sender:
            self._senders.pop(channel, None)

    def get(self, channel: str) -> Deliver | None:
        return self._senders.get(channel)

    def on_register(self, listener: Listener) -> None:
        self._listeners.append(listener)

    @property
    def channels(self) -> list[str]:
        return sorted(self._senders)
