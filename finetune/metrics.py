"""What `koclaw finetune eval` measures in one generated reply, and over many: plain strings in, numbers out.

Why plain strings: every check must be testable on hand-written replies, without a model, and must judge
a reply exactly as the training data is judged. So the rules are :mod:`finetune.validate`'s (address
terms, "user" in thinking, wrong-language terms, the tool argument models) and the runtime's own
tool-call parser (:mod:`koclaw.llm.tool_calls`), not copies of them.

A generation is the text the model writes after the prompt. With thinking on, the chat template ends the
prompt inside ``<think>\\n``, so a well-formed output holds non-empty thinking, exactly one ``</think>`` and
no other think tag (an empty block is what :mod:`finetune.render` never trains, so it is a fault); the
visible reply is what follows it. With thinking off the template has closed an empty block already, so a
well-formed output holds no think tag at all.

Tool calls are judged in the one format the runtime parses: the Tools section's JSON object alone at
the end of the reply (:func:`koclaw.llm.tool_calls.detect_json_call`). A ``<tool_call>`` block (Qwen's
native JSON or XML) is reported as the wrong format: the runtime would show it to Sensei as text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

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
    Metric("memory_use", "memory section used", True),
    Metric("soul_memory_confusion", "Sensei's likes claimed as hers", False),
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
    thinking: bool = True  # whether the request had thinking on (the template opened <think>)
    must_mention: tuple[str, ...] = ()  # memory probes: the remembered fact's key terms (any one)
    not_her_own: tuple[str, ...] = ()  # identity probes: Sensei's likes from the memory section


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
    memory_used: bool | None = None
    confused: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def split_output(output: str, thinking: bool = True) -> tuple[str | None, str]:
    """``(thinking, visible)`` of a generation; with thinking on it starts inside ``<think>`` (unclosed:
    all thinking), with thinking off it is the reply (a stray block in it is split off all the same)."""
    if THINK_CLOSE not in output:
        return (output.strip(), "") if thinking else (None, output.strip())
    text = output if output.lstrip().startswith(THINK_OPEN) else THINK_OPEN + "\n" + output
    found, visible = split_think(text)
    return found, visible.strip()


def think_well_formed(output: str, thinking: bool = True) -> bool:
    """Thinking on: non-empty thinking closed by exactly one ``</think>``, no ``<think>`` (the template
    opened it). Thinking off: no think tag at all (the template already closed an empty block)."""
    if not thinking:
        return THINK_CLOSE not in output and THINK_OPEN not in output
    head = output.split(THINK_CLOSE, 1)[0]
    return output.count(THINK_CLOSE) == 1 and THINK_OPEN not in output and bool(head.strip())


def says_user_in_thinking(thinking: str | None) -> bool:
    """Whether thinking calls Sensei "user", "the user", "the person", 用户, 使用者, ユーザー/ユーザ or
    利用者 (finetune.validate's rule, so data and replies are judged alike)."""
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
    """Every call in the reply: the runtime's JSON call, and any ``<tool_call>`` block (a wrong format)."""
    calls = []
    for match in _TOOL_BLOCK.finditer(visible):
        closed = match.group(0).endswith("</tool_call>")
        call = parse_tool_call(match.group(1))
        calls.append(call if closed else ToolCall(name="", raw=match.group(1), error="unclosed <tool_call>"))
    prompt_style = detect_json_call(_TOOL_BLOCK.sub("", visible))[1]
    return [prompt_style, *calls] if prompt_style else calls


def tool_call_problem(visible: str, expected: str) -> str | None:
    """None when the reply ends in the runtime's JSON call of `expected` with arguments its tool
    accepts (:func:`detect_json_call`, as the runtime parses it); else what is wrong."""
    call = detect_json_call(visible)[1]
    if call is None:
        if _TOOL_BLOCK.search(visible):
            return (
                "a <tool_call> block, not the runtime's JSON call "
                f'({{"tool": "{expected}", "arguments": {{...}}}} at the end)'
            )
        return f"no tool call (expected {expected})"
    if call.error:
        return call.error
    if call.name != expected:
        return f"called {call.name!r}, expected {expected!r}"
    try:
        tool_argument_models()[expected].model_validate(call.arguments)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in first["loc"]) or "arguments"
        return f"{expected} {field}: {first['msg']}"
    return None


def mentions(visible: str, terms: Sequence[str]) -> bool:
    """The reply (tool call left out) names one of `terms` (case-insensitive): the memory was used."""
    text = reply_text(visible).casefold()
    return any(term.casefold() in text for term in terms)


_SENTENCE = re.compile(r"[^.!?。！？\n]+")
_FIRST_PERSON = re.compile(r"(?i)\b(?:i|i'm|i've|i'd|me|my|mine|myself)\b|我|私|わたし|あたし|ココロン")
_LIKING = re.compile(r"(?i)\b(?:like|likes|love|loves|favou?rite|enjoy|fan)\b|喜欢|喜歡|爱|愛|好き|ファン")
_SENSEI_OR_YOU = re.compile(r"(?i)\b(?:sensei|you|your|yours)\b|老师|老師|你|您|先生|あなた")
_NEGATION = re.compile(r"(?i)\b(?:not|never|no)\b|n't|不|没|沒|ない|ません|じゃな")


def claims_as_her_own(visible: str, terms: Sequence[str]) -> bool:
    """Whether a sentence of the reply claims one of Sensei's likes (`terms`) as Kokoron's own.

    Deterministic, sentence by sentence: the sentence names a term, speaks in the first person or of
    liking (好き with the subject dropped is how Japanese claims it), and neither refers to Sensei or
    "you" nor negates. Limits: it misses a claim that also names Sensei ("I love natto, just like
    Sensei") and a claim spread over two sentences, and it counts an affirmative first-person sentence
    that only reports ("I remember natto!"), so read it as a rough rate, not a proof.
    """
    for sentence in _SENTENCE.findall(reply_text(visible)):
        low = sentence.casefold()
        if not any(term.casefold() in low for term in terms):
            continue
        if _SENSEI_OR_YOU.search(sentence) or _NEGATION.search(sentence):
            continue
        if _FIRST_PERSON.search(sentence) or _LIKING.search(sentence):
            return True
    return False


def check(sample: Sample) -> Checks:
    thinking, visible = split_output(sample.output, sample.thinking)
    asked = sample.expect_tool
    return Checks(
        thinking=thinking,
        visible=visible,
        think_ok=think_well_formed(sample.output, sample.thinking),
        user_in_thinking=says_user_in_thinking(thinking),
        addressing_ok=None if asked else addresses_correctly(visible, sample.lang),
        language_ok=None if asked else language_matches(visible, sample.lang),
        tool_called=bool(tool_calls(visible)),
        tool_problem=tool_call_problem(visible, asked) if asked else None,
        memory_used=mentions(visible, sample.must_mention) if sample.must_mention else None,
        confused=claims_as_her_own(visible, sample.not_her_own) if sample.not_her_own else None,
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


def _judged(samples: Sequence[Sample], checks: Sequence[Checks]) -> dict[str, list[bool | None]]:
    """Per rate metric, the verdict on each sample (None: the check does not apply to it)."""
    pairs = list(zip(samples, checks, strict=True))
    verdicts: dict[str, list[bool | None]] = {"addressing": [c.addressing_ok for c in checks]}
    for lang in ADDRESS:
        verdicts[f"addressing_{lang}"] = [c.addressing_ok for s, c in pairs if s.lang == lang]
    verdicts |= {
        "language_match": [c.language_ok for c in checks],
        "think_well_formed": [c.think_ok for c in checks],
        "user_in_thinking": [c.user_in_thinking for c in checks],
        "tool_call_valid": [c.tool_problem is None for s, c in pairs if s.expect_tool],
        "tool_call_unasked": [c.tool_called for s, c in pairs if not s.expect_tool],
        "memory_use": [c.memory_used for c in checks],
        "soul_memory_confusion": [c.confused for c in checks],
    }
    return verdicts


def score(samples: Sequence[Sample], checks: Sequence[Checks] | None = None) -> Scores:
    """Every generation metric of :data:`METRICS` over `samples` (None where nothing was judged)."""
    judged = list(checks) if checks is not None else [check(s) for s in samples]
    scores: Scores = {name: _rate(values) for name, values in _judged(samples, judged).items()}
    replies = [reply_text(c.visible) for s, c in zip(samples, judged, strict=True) if not s.expect_tool]
    scores |= {"distinct_1": distinct_n(replies, 1), "distinct_2": distinct_n(replies, 2)}
    return scores


def counts(samples: Sequence[Sample], checks: Sequence[Checks] | None = None) -> dict[str, int]:
    """How many samples each rate metric judged: the n the gate's confidence rule needs."""
    judged = list(checks) if checks is not None else [check(s) for s in samples]
    return {name: sum(v is not None for v in values) for name, values in _judged(samples, judged).items()}


def wilson(rate: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval (95% at z=1.96) of a share `rate` of `n` samples: (low, high)."""
    if n <= 0:
        return 0.0, 1.0
    denominator = 1 + z * z / n
    centre = (rate + z * z / (2 * n)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


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
    except UnicodeDecodeError:
        raise InputError(f"The {what} file {path} is not UTF-8 text: save it as UTF-8 YAML.") from None
    except yaml.YAMLError as exc:
        raise InputError(f"The {what} file {path} is not valid YAML: {exc}") from None


def invalid_file(path: Path, exc: ValidationError) -> InputError:
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "top level"
    return InputError(f"{path}: {where}: {first['msg']} ({exc.error_count()} problem(s) in all).")
