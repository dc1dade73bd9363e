"""Whose memories a query may touch: a person and the kinds asked for, as SQL and as index names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from koclaw.errors import InputError

Kind = Literal["episode", "fact"]
KINDS: tuple[Kind, ...] = ("fact", "episode")


@dataclass(frozen=True, slots=True)
class Scope:
    """One person's slice of both indexes. Built only by `for_person`."""

    user_id: str
    kinds: tuple[Kind, ...]

    @property
    def sql(self) -> str:
        """SQL filter on the `memories` table aliased `m`; its arguments are `args`."""
        return f"m.user_id = ? AND m.kind IN ({','.join('?' * len(self.kinds))})"

    @property
    def sql_by_id(self) -> str:
        """The same filter for lookups by id: unary + keeps SQLite on the primary key."""
        return f"+m.user_id = ? AND +m.kind IN ({','.join('?' * len(self.kinds))})"

    @property
    def args(self) -> list[Any]:
        return [self.user_id, *self.kinds]


def for_person(user_id: str, kinds: Iterable[str] = KINDS) -> Scope:
    """One person's slice of the long-term tier: the one place that scopes to a person (a bad id or
    kind is refused here, before any query)."""
    if not isinstance(user_id, str) or not user_id.strip() or "\x00" in user_id or len(user_id) > 256:
        raise InputError(f"Bad user id {user_id!r}: memories belong to a named person.")
    picked: list[Kind] = []
    for kind in kinds:
        if kind not in KINDS:
            raise InputError(f"Unknown memory kind {kind!r}: use 'fact' or 'episode'.")
        if kind not in picked:
            picked.append(kind)  # checked against KINDS above
    if not picked:
        raise InputError("Say which kinds of memory to use: 'fact', 'episode' or both.")
    return Scope(user_id, tuple(picked))
