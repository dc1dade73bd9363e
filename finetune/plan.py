"""Turn targets into a fixed list of generation jobs.

Why a plan up front: the run must hit its language and scenario targets exactly and resume after a
kill without duplicates. A plan that is a pure function of (count, targets, seed) gives every job a
stable id, so a resumed run knows which jobs are done by id alone.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from character.conversation import Language, Scenario


@dataclass(frozen=True)
class Job:
    """One conversation to generate."""

    id: str
    language: Language
    scenario: Scenario
    user_turns: int
    think: bool = False
    tools: bool = False
    recipe: str | None = None
    sensei: tuple[str, ...] = ()  # Sensei's real messages (an opted-in excerpt): Phase 1 is skipped

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


NO_THINK_SHARE = 0.1
"""The thinking policy: the runtime asks for thinking by default, so most conversations think on every
turn; a small share has no think block at all (the thinking-off requests). An empty block is never valid."""
THINK_SHARE = 1.0 - NO_THINK_SHARE


@dataclass(frozen=True)
class PlanSettings:
    count: int
    seed: int = 0
    run_id: str = "gen"
    min_turns: int = 2
    max_turns: int = 4
    think_share: float = THINK_SHARE
    tool_share: float = 0.12

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError("count must be 0 or more")
        if not 1 <= self.min_turns <= self.max_turns:
            raise ValueError("need 1 <= min_turns <= max_turns")
        for name in ("think_share", "tool_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")


def apportion(count: int, shares: Mapping[str, float]) -> dict[str, int]:
    """Split `count` by `shares` (any positive scale) with the largest-remainder method.

    The result sums to `count` exactly and each part is within one of its exact share, which is what
    makes a ±2-point target reachable at any run size.
    """
    total = sum(shares.values())
    if total <= 0:
        raise ValueError("shares must add up to more than zero")
    exact = {key: count * share / total for key, share in shares.items()}
    parts = {key: int(value) for key, value in exact.items()}
    by_remainder = sorted(shares, key=lambda key: (-(exact[key] - parts[key]), list(shares).index(key)))
    for key in by_remainder[: count - sum(parts.values())]:
        parts[key] += 1
    return parts


def spread(count: int, shares: Mapping[str, float], rng: random.Random) -> list[str]:
    """`count` labels in the apportioned numbers, shuffled so any prefix is roughly on target too."""
    labels = [key for key, n in apportion(count, shares).items() for _ in range(n)]
    rng.shuffle(labels)
    return labels


def make_plan(
    settings: PlanSettings,
    languages: Mapping[str, float],
    scenarios: Mapping[str, float],
    *,
    recipe: str | None = None,
) -> list[Job]:
    """The jobs for a run: each axis hits its targets exactly; the pairing of the two is random."""
    rng = random.Random(f"{settings.seed}:{settings.run_id}:{recipe}")
    langs = spread(settings.count, languages, rng)
    scens = spread(settings.count, scenarios, rng)
    thinks = _flags(settings.count, settings.think_share, rng)
    tools = _flags(settings.count, settings.tool_share, rng)
    prefix = f"{settings.run_id}-{recipe}" if recipe else settings.run_id
    return [
        Job(
            id=f"{prefix}-{i:06d}",
            language=langs[i],  # type: ignore[arg-type]
            scenario=scens[i],  # type: ignore[arg-type]
            user_turns=rng.randint(settings.min_turns, settings.max_turns),
            think=thinks[i],
            tools=tools[i],
            recipe=recipe,
        )
        for i in range(settings.count)
    ]


def _flags(count: int, share: float, rng: random.Random) -> list[bool]:
    return [label == "yes" for label in spread(count, {"yes": share, "no": 1.0 - share}, rng)]
