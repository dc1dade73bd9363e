"""The hand-written seed set: enough of it, covering every language and scenario, all valid."""

from __future__ import annotations

from collections import Counter

from character.conversation import LANGUAGES, SCENARIOS, SEED_DIR, load_seeds
from finetune.validate import split_think, validate


def test_there_are_at_least_120_multi_turn_seeds_with_unique_ids() -> None:
    seeds = load_seeds()
    assert len(seeds) >= 120
    assert len({s.id for s in seeds}) == len(seeds)
    assert all(len(s.user_turns()) >= 2 for s in seeds)
    assert all(s.source == "seed" for s in seeds)


def test_every_seed_passes_the_validator() -> None:
    rejected = {s.id: [str(p) for p in validate(s).problems] for s in load_seeds() if not validate(s).ok}
    assert rejected == {}


def test_seeds_cover_every_language_and_scenario() -> None:
    seeds = load_seeds()
    assert set(Counter(s.language for s in seeds)) == set(LANGUAGES)
    assert set(Counter(s.scenario for s in seeds)) == set(SCENARIOS)
    for language in ("zh", "ja", "en"):  # every base language has all eight scenarios
        assert {s.scenario for s in seeds if s.language == language} == set(SCENARIOS), language


def test_some_seeds_think_and_some_call_tools() -> None:
    seeds = load_seeds()
    thinking = [s for s in seeds if any(split_think(m.content)[0] for m in s.assistant_turns())]
    tools = [s for s in seeds if any(m.tool_calls for m in s.messages)]
    assert len(thinking) >= 0.2 * len(seeds)
    assert len(tools) >= 0.1 * len(seeds)
    assert {call.name for s in tools for m in s.messages for call in m.tool_calls or ()} == {
        "memory_save", "memory_search", "memory_forget", "current_time"
    }  # fmt: skip


def test_seeds_ship_with_the_package() -> None:
    assert sorted(p.name for p in SEED_DIR.glob("*.jsonl")) == [
        "en.jsonl",
        "ja.jsonl",
        "mixed.jsonl",
        "zh.jsonl",
    ]
