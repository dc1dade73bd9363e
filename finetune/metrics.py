"""What `koclaw finetune eval` measures in one generated reply, and over many: plain strings in, numbers out.

Why plain strings: every check must be testable on hand-written replies, without a model, and must judge
a reply exactly as the training data is judged. So the rules are :mod:`finetune.validate`'s (address
terms, "user" in thinking, wrong-language terms, the tool argument models) and the runtime's own
tool-call parser (:mod:`koclaw.llm.tool_calls`), not copies of them.

A generation is the text the model writes after the prompt. With thinking on, the chat template ends the
prompt inside ``<think>\\n``, so a well-formed output holds exactly one ``</think>`` and no other think tag;
the visible reply is what follows it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from character import BaseLang, analyse_language
from finetune.validate import (
    _USER_ADDRESS,
    _USER_IN_THINK,
    _WRONG_ADDRESS,
    ADDRESS,
    split_think,
    tool_argument_models,
)
from koclaw.errors import InputError
from koclaw.events import ToolCall
from koclaw.llm.tool_calls import detect_json_call, parse_tool_call

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
_TOOL_BLOCK = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.DOTALL)
_TOKEN = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*|\d+|\S", re.UNICODE)

Source = Literal["probe", "heldout"]
Scores = dict[str, float | None]


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    higher_is_better: bool
    rate: bool = True  # a share in [0, 1]; loss and perplexity are not


METRICS: tuple[Metric, ...] = (
    Metric("addressing", "addressing (all)", True),
    Metric("addressing_zh", "addressing zh 老师", True),
    Metric("addressing_ja", "addressing ja 先生", True),
    Metric("addressing_en", "addressing en Sensei", True),
    Metric("language_match", "reply language match", True),
    Metric("think_well_formed", "think tags well-formed", True),
    Metric("user_in_thinking", '"user" in thinking', False),
    Metric("tool_call_valid", "tool call valid (asked)", True),
    Metric("tool_call_unasked", "tool call (not asked)", False),
    Metric("distinct_1", "distinct-1", True),
    Metric("distinct_2", "distinct-2", True),
    Metric("heldout_loss", "held-out loss", False, rate=False),
    Metric("heldout_ppl", "held-out perplexity", False, rate=False),
)
BY_NAME = {metric.name: metric for metric in METRICS}


@dataclass(frozen=True)
class Sample:
    """One generation to judge: what it answered, in which language, and whether a tool was asked for."""

    id: str
    source: Source
    lang: BaseLang
    output: str
    expect_tool: str | None = None


@dataclass(frozen=True)
class Checks:
    """The verdicts on one sample; None where a check does not apply (addressing a tool-only turn)."""

    thinking: str | None
    visible: str
    think_ok: bool
    user_in_thinking: bool
    addressing_ok: bool | None
    language_ok: bool | None
    tool_called: bool
    tool_problem: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def split_output(output: str) -> tuple[str | None, str]:
    """``(thinking, visible)`` of a generation that starts inside ``<think>``; unclosed: all thinking."""
    if THINK_CLOSE not in output:
        return output.strip(), ""
    thinking, visible = split_think(THINK_OPEN + "\n" + output)
    return thinking, visible.strip()


def think_well_formed(output: str) -> bool:
    """Exactly one ``</think>`` and no ``<think>``: the template already opened the block."""
    return output.count(THINK_CLOSE) == 1 and THINK_OPEN not in output


def says_user_in_thinking(thinking: str | None) -> bool:
    return bool(thinking) and _USER_IN_THINK.search(thinking or "") is not None


def reply_text(visible: str) -> str:
    """The visible reply without its tool calls: what Sensei would read."""
    shown = _TOOL_BLOCK.sub("", visible)
    return detect_json_call(shown)[0].strip()


def addresses_correctly(visible: str, lang: BaseLang) -> bool:
    """Uses the term of `lang` (老师/先生/Sensei), never "user"/用户/ユーザー or another language's term."""
    text = reply_text(visible)
    return (
        ADDRESS[lang] in text
        and _USER_ADDRESS.search(text) is None
        and _WRONG_ADDRESS[lang].search(text) is None
    )


def language_matches(visible: str, lang: BaseLang) -> bool:
    """The reply is mostly in `lang`; a reply with no letters at all does not match anything."""
    found = analyse_language(reply_text(visible))
    return any(units for _, units in found.units) and found.dominant == lang


def tool_calls(visible: str) -> list[ToolCall]:
    """Every call in the reply: ``<tool_call>`` blocks (JSON or Qwen XML), else a prompt-style JSON call."""
    calls = []
    for match in _TOOL_BLOCK.finditer(visible):
        closed = match.group(0).endswith("</tool_call>")
        call = parse_tool_call(match.group(1))
        calls.append(call if closed else ToolCall(name="", raw=match.group(1), error="unclosed <tool_call>"))
    if not calls:
        prompt_style = detect_json_call(visible)[1]
        calls += [prompt_style] if prompt_style else []
    return calls


def tool_call_problem(visible: str, expected: str) -> str | None:
    """None when the reply calls `expected` with arguments its tool accepts; else what is wrong."""
    calls = tool_calls(visible)
    if not calls:
        return f"no tool call (expected {expected})"
    problems = []
    for call in calls:
        if call.error:
            problems.append(call.error)
        elif call.name != expected:
            problems.append(f"called {call.name!r}, expected {expected!r}")
        else:
            try:
                tool_argument_models()[expected].model_validate(call.arguments)
            except ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                field = ".".join(str(p) for p in first["loc"]) or "arguments"
                problems.append(f"{expected} {field}: {first['msg']}")
            else:
                return None
    return "; ".join(problems)


def check(sample: Sample) -> Checks:
    thinking, visible = split_output(sample.output)
    asked = sample.expect_tool
    return Checks(
        thinking=thinking,
        visible=visible,
        think_ok=think_well_formed(sample.output),
        user_in_thinking=says_user_in_thinking(thinking),
        addressing_ok=None if asked else addresses_correctly(visible, sample.lang),
        language_ok=None if asked else language_matches(visible, sample.lang),
        tool_called=bool(tool_calls(visible)),
        tool_problem=tool_call_problem(visible, asked) if asked else None,
    )


def tokens(text: str) -> list[str]:
    """Words for Latin script, one token per character otherwise (CJK has no spaces to split on)."""
    return [t.lower() for t in _TOKEN.findall(text)]


def distinct_n(texts: Iterable[str], n: int) -> float | None:
    """Unique n-grams over all n-grams of all replies (corpus level); None when there are none."""
    grams: list[tuple[str, ...]] = []
    for text in texts:
        words = tokens(text)
        grams += [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    return len(set(grams)) / len(grams) if grams else None


def _rate(values: Iterable[bool | None]) -> float | None:
    judged = [v for v in values if v is not None]
    return sum(judged) / len(judged) if judged else None


def score(samples: Sequence[Sample], checks: Sequence[Checks] | None = None) -> Scores:
    """Every generation metric of :data:`METRICS` over `samples` (None where nothing was judged)."""
    judged = list(checks) if checks is not None else [check(s) for s in samples]
    pairs = list(zip(samples, judged, strict=True))
    scores: Scores = {"addressing": _rate(c.addressing_ok for c in judged)}
    for lang in ADDRESS:
        scores[f"addressing_{lang}"] = _rate(c.addressing_ok for s, c in pairs if s.lang == lang)
    replies = [reply_text(c.visible) for s, c in pairs if not s.expect_tool]
    scores |= {
        "language_match": _rate(c.language_ok for c in judged),
        "think_well_formed": _rate(c.think_ok for c in judged),
        "user_in_thinking": _rate(c.user_in_thinking for c in judged),
        "tool_call_valid": _rate(c.tool_problem is None for s, c in pairs if s.expect_tool),
        "tool_call_unasked": _rate(c.tool_called for s, c in pairs if not s.expect_tool),
        "distinct_1": distinct_n(replies, 1),
        "distinct_2": distinct_n(replies, 2),
    }
    return scores


def perplexity(loss: float | None) -> float | None:
    if loss is None:
        return None
    return math.exp(min(loss, 50.0))  # a random model's loss is ~9; exp overflows near 710


def gain(metric: str, candidate: float | None, other: float | None) -> float | None:
    """How much better the candidate is (positive = better, whichever way the metric points)."""
    if candidate is None or other is None:
        return None
    return candidate - other if BY_NAME[metric].higher_is_better else other - candidate


def difference(candidate: float | None, other: float | None) -> float | None:
    """candidate - other, as the table shows it (the arrow in the label says which way is better)."""
    return None if candidate is None or other is None else candidate - other


def fmt(value: float | None, metric: str) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if BY_NAME[metric].rate else f"{value:.2f}"


def table_rows(models: Mapping[str, Scores], candidate: str = "candidate") -> list[list[str]]:
    """Rows of metric, each model's value, then candidate minus each other model."""
    others = [key for key in models if key != candidate]
    rows = []
    for metric in METRICS:
        name = metric.name
        values = [fmt(models[key].get(name), name) for key in models]
        deltas = []
        for key in others:
            d = difference(models[candidate].get(name), models[key].get(name))
            deltas.append("-" if d is None else f"{d:+.3f}" if metric.rate else f"{d:+.2f}")
        arrow = "↑" if metric.higher_is_better else "↓"
        rows.append([f"{metric.label} {arrow}", *values, *deltas])
    return rows


def load_yaml(path: Path, what: str) -> Any:
    """A YAML file's data, or an InputError that names the file and the problem."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"Cannot read the {what} file {path}: {exc.strerror or exc}.") from None
    except yaml.YAMLError as exc:
        raise InputError(f"The {what} file {path} is not valid YAML: {exc}") from None


def invalid_file(path: Path, exc: ValidationError) -> InputError:
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "top level"
    return InputError(f"{path}: {where}: {first['msg']} ({exc.error_count()} problem(s) in all).")


class GateConfig(BaseModel):
    """When a candidate may replace the active Soul (all thresholds in the metric's own units)."""

    model_config = ConfigDict(extra="forbid")

    max_drop_vs_active: float = Field(0.05, ge=0, description="allowed loss on any rate metric vs active")
    max_drop: dict[str, float] = Field(default_factory=dict, description="per-metric overrides of the above")
    must_beat_base: list[str] = Field(default_factory=lambda: ["addressing", "language_match"])
    max_perplexity_ratio: float = Field(1.10, gt=0, description="candidate ppl <= this x the active's")
    limits: dict[str, float] = Field(default_factory=dict, description="absolute bounds, e.g. floors")

    @model_validator(mode="after")
    def _known_metrics(self) -> GateConfig:
        unknown = {*self.max_drop, *self.must_beat_base, *self.limits} - set(BY_NAME)
        if unknown:
            raise ValueError(f"unknown metric(s) {sorted(unknown)}; known: {', '.join(BY_NAME)}")
        return self


def load_gate(path: Path | None = None) -> GateConfig:
    """The gate from a YAML file (any key left out keeps its default), or the defaults."""
    if path is None:
        return GateConfig()
    try:
        return GateConfig.model_validate(load_yaml(path, "gate") or {})
    except ValidationError as exc:
        raise invalid_file(path, exc) from None


def gate(results: Mapping[str, Mapping[str, float | None]], config: GateConfig) -> tuple[bool, list[str]]:
    """Whether ``results["candidate"]`` may go live, and every reason it may not.

    Against the active Soul (when compared): no rate metric worse by more than its allowed drop and
    perplexity at most ``max_perplexity_ratio`` times the active's. Against the base: strictly better on
    each of ``must_beat_base`` (a perfect score also passes). ``limits`` are absolute bounds.
    """
    candidate = results["candidate"]
    reasons: list[str] = []
    if (active := results.get("active")) is not None:
        reasons += _against_active(candidate, active, config)
    if (base := results.get("base")) is not None:
        reasons += _against_base(candidate, base, config)
    for name, bound in config.limits.items():
        value, metric = candidate.get(name), BY_NAME[name]
        if value is None:
            reasons.append(f"{metric.label}: not measured (limit {bound:g})")
        elif (value < bound) if metric.higher_is_better else (value > bound):
            side = "below the floor" if metric.higher_is_better else "above the ceiling"
            reasons.append(f"{metric.label}: {fmt(value, name)} is {side} {bound:g}")
    return not reasons, reasons


def _against_active(
    candidate: Mapping[str, float | None], active: Mapping[str, float | None], config: GateConfig
) -> list[str]:
    reasons = []
    for metric in METRICS:
        name = metric.name
        allowed = config.max_drop.get(name, config.max_drop_vs_active)
        gained = gain(name, candidate.get(name), active.get(name))
        if metric.rate and gained is not None and -gained > allowed + 1e-9:
            reasons.append(
                f"{metric.label}: {fmt(candidate[name], name)} is {-gained:.3f} worse than the active "
                f"Soul's {fmt(active[name], name)} (allowed {allowed:.3f})"
            )
    mine, theirs = candidate.get("heldout_ppl"), active.get("heldout_ppl")
    if mine is not None and theirs is not None and mine > config.max_perplexity_ratio * theirs:
        reasons.append(
            f"held-out perplexity {mine:.2f} is above {config.max_perplexity_ratio:g} x the active "
            f"Soul's {theirs:.2f}"
        )
    return reasons


def _against_base(
    candidate: Mapping[str, float | None], base: Mapping[str, float | None], config: GateConfig
) -> list[str]:
    reasons = []
    for name in config.must_beat_base:
        metric, mine, theirs = BY_NAME[name], candidate.get(name), base.get(name)
        gained = gain(name, mine, theirs)
        perfect = mine == (1.0 if metric.higher_is_better else 0.0)
        if gained is None:
            reasons.append(f"{metric.label}: not measured, so it cannot beat the base")
        elif gained <= 0 and not perfect:
            reasons.append(f"{metric.label}: {fmt(mine, name)} does not beat the base's {fmt(theirs, name)}")
    return reasons
