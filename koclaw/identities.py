"""Who is who: each channel's own identity namespace, and the links the owner makes between them.

Why: a bare id ("222") used to mean the same person on every channel, so an HTTP client sending
``"user": "222"`` read, changed and forgot Telegram user 222's memories, and ``"group:<id>"`` reached a
Telegram group's. Every identity is now ``<channel>:<id>``: ``telegram:222``, ``telegram:group:-100…``,
``http:alice``, ``cli:alice``. What a channel cannot vouch for (an HTTP client's ``user`` field) can only
ever name an identity in that channel's own namespace.

One person on two channels (Telegram and the terminal) can share one memory through a *link* that only
the owner makes (``koclaw identity link``; the CLI runs with access to ``KOCLAW_HOME``): the alias's
stored data moves to the person, and the alias's later messages are answered as that person. Stores
written before namespaces are renamed once (:mod:`koclaw.identity_stores`).
"""

from __future__ import annotations

from koclaw.errors import InputError

CHANNELS = ("telegram", "http", "cli")
"""The namespaces; an identity is ``<channel>:<the channel's own id>``."""
MAX_IDENTITY = 256


def identity(channel: str, local_id: str) -> str:
    """The identity of `local_id` in `channel`'s namespace (a Telegram group: ``telegram:group:<id>``)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    return f"{channel}:{local_id}"


def channel_of(value: str) -> str | None:
    """The namespace an identity names, or None for a bare id (written before namespaces)."""
    head, sep, rest = value.partition(":")
    return head if sep and rest and head in CHANNELS else None


def terminal_identity(value: str) -> str:
    """A ``--user`` given to the CLI: a full identity as it is (``telegram:222``), a bare name as the
    terminal's own (``alice`` -> ``cli:alice``), so import and search with one name meet in one place."""
    value = value.strip()
    if not value:
        raise InputError("The user id is empty: give one, e.g. --user alice or --user telegram:222.")
    return value if channel_of(value) else identity("cli", value)


def checked(value: str) -> str:
    """A full identity for a link, or an `InputError` that shows the form."""
    value = value.strip()
    if channel_of(value) is None or len(value) > MAX_IDENTITY:
        raise InputError(
            f"{value!r} is not an identity: write <channel>:<id> with a channel of "
            f"{', '.join(CHANNELS)} (e.g. telegram:222, cli:alice), at most {MAX_IDENTITY} characters."
        )
    return value
