"""Targeted samples: turn a feedback notes file (like NEXT_FINETUNE_NOTES.md) into generator recipes.

Each known production problem maps to one recipe: how the jobs are shaped (thinking on, tools on, a
scenario), what extra instruction both agents get, and a check every sample must pass on top of the
validator, so a targeted sample actually shows the fix. A note that matches no recipe is reported,
never silently dropped.

Notes format: free Markdown. Each bullet or heading is one note. A note names its recipe either
explicitly (``recipe: missing_think``) or through the keywords below; ``count: N`` on the same line
overrides how many samples it asks for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from character.conversation import Conversation, Scenario
from finetune.plan import Job, PlanSettings, make_plan
from finetune.validate import ADDRESS, split_think

_SOUL_WORDS = re.compile(r"(?i)\bsoul\b|LoRA|weights|权重|重み|ソウル|灵魂")


@dataclass(frozen=True)
class Recipe:
    name: str
    problem: str
    keywords: tuple[str, ...]
    instruction: str
    check: Callable[[Conversation], str | None]
    think: bool = False
    tools: bool = False
    scenario: Scenario | None = None

    def shape(self, job: Job) -> Job:
        return replace(
            job,
            think=job.think or self.think,
            tools=job.tools or self.tools,
            scenario=self.scenario or job.scenario,
            recipe=self.name,
        )


def _every_reply_thinks(conversation: Conversation) -> str | None:
    spoken = [m for m in conversation.assistant_turns() if not m.tool_calls]
    missing = sum(1 for m in spoken if split_think(m.content)[0] is None)
    return f"{missing} of {len(spoken)} replies have no <think> block" if missing else None


def _thinking_addresses_sensei(conversation: Conversation) -> str | None:
    problem = _every_reply_thinks(conversation)
    if problem:
        return problem
    thoughts = [split_think(m.content)[0] or "" for m in conversation.assistant_turns()]
    if not any(term in t for t in thoughts for term in ADDRESS.values()):
        return "no thinking block refers to Sensei by 老师/先生/Sensei"
    return None


def _tells_soul_from_memory(conversation: Conversation) -> str | None:
    text = " ".join(m.content for m in conversation.assistant_turns())
    return None if _SOUL_WORDS.search(text) else "no reply explains her Soul (character in her weights)"


def _calls_a_tool(conversation: Conversation) -> str | None:
    return None if any(m.tool_calls for m in conversation.messages) else "no tool call"


RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe(
            "missing_think",
            "replies come without <think> tags",
            (
                "missing <think>",
                "no <think>",
                "without <think>",
                "<think> tag",
                "think tag",
                "thinking tag",
                "without thinking",
                "思考标签",
            ),
            "Every reply must open with a <think> block; this conversation exists to teach that habit.",
            _every_reply_thinks,
            think=True,
        ),
        Recipe(
            "user_in_thinking",
            'her thinking calls Sensei "user"',
            ('"user"', "user instead", "calls sensei user", "用户", "ユーザー"),
            "In the <think> block she thinks of the person as 老师 / 先生 / Sensei - never 'user'.",
            _thinking_addresses_sensei,
            think=True,
        ),
        Recipe(
            "soul_vs_long_term",
            "she confuses her Soul with long-term memory",
            ("soul", "long-term memory", "memory tier", "长期记忆", "灵魂"),
            "Sensei asks about her memory or character. She explains that her character is her Soul (in her "
            "LoRA weights, not something she looked up) and that long-term memory is what she knows about Sensei.",
            _tells_soul_from_memory,
            scenario="deep_discussion",
        ),
        Recipe(
            "tool_call_format",
            "tool calls come out in the wrong format",
            ("tool call", "tool_call", "tool-call", "function call", "工具调用", "ツール"),
            "Sensei's request needs a tool; she calls it with exactly the documented name and arguments.",
            _calls_a_tool,
            tools=True,
        ),
    )
}

_NOTE = re.compile(r"^\s*(?:[-*+]|\d+[.)]|#{1,6})\s+(.*\S)")
_EXPLICIT = re.compile(r"recipe:\s*([a-z_]+)")
_COUNT = re.compile(r"count:\s*(\d+)")


@dataclass(frozen=True)
class NoteMatch:
    note: str
    recipe: Recipe | None
    count: int | None = None


def read_notes(path: Path) -> list[NoteMatch]:
    """Every note in the file with the recipe it maps to (None: no recipe fits)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read the notes file {path}: {exc.strerror}") from None
    matches = []
    for line in text.splitlines():
        found = _NOTE.match(line)
        if found:
            matches.append(match_note(found.group(1)))
    return matches


def match_note(note: str) -> NoteMatch:
    lowered = note.lower()
    count = int(m.group(1)) if (m := _COUNT.search(lowered)) else None
    if explicit := _EXPLICIT.search(lowered):
        recipe = RECIPES.get(explicit.group(1))
        if recipe is None:
            raise ValueError(
                f"unknown recipe {explicit.group(1)!r} in note {note!r}; known: {', '.join(RECIPES)}"
            )
        return NoteMatch(note, recipe, count)
    hits = {name: sum(k.lower() in lowered for k in recipe.keywords) for name, recipe in RECIPES.items()}
    best = max(hits, key=lambda name: hits[name])  # the most keywords wins; ties go to the first listed
    return NoteMatch(note, RECIPES[best] if hits[best] else None, count)


def targeted_jobs(
    matches: Sequence[NoteMatch],
    settings: PlanSettings,
    languages: Mapping[str, float],
    scenarios: Mapping[str, float],
    per_note: int,
) -> tuple[list[Job], dict[str, int]]:
    """The jobs the notes ask for (`per_note` each unless a note gives `count:`), by recipe."""
    recipes: dict[str, int] = {}
    for match in matches:
        if match.recipe is not None:
            recipes[match.recipe.name] = recipes.get(match.recipe.name, 0) + (match.count or per_note)
    jobs: list[Job] = []
    for name, n in recipes.items():
        sub = PlanSettings(n, settings.seed, settings.run_id, think_share=settings.think_share)
        jobs += [RECIPES[name].shape(job) for job in make_plan(sub, languages, scenarios, recipe=name)]
    return jobs, recipes
