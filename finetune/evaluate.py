"""Compare models side by side before a new Soul goes live: the base, the candidate adapter, the active Soul.

Each model answers the same fixed probes (``probes.yaml``: three languages, mixed messages, tool requests)
and every Sensei turn of the held-out split, greedily, with thinking on as the chat template does it; the
replies are judged by :mod:`finetune.metrics`. The held-out loss is computed on assistant tokens only
(the template's ``{% generation %}`` markers). :func:`gate` then says whether the candidate may replace
the active Soul. Why one loaded base: the adapters are switched on one PeftModel (the base is the same
model with adapters disabled), so every model sees byte-identical prompts on the same device and dtype.

torch/transformers/peft are imported inside the functions that need them (see :mod:`finetune.hf`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from character import BaseLang, analyse_language
from finetune import metrics
from finetune.hf import TINY, Dtype
from finetune.metrics import METRICS, Sample, Scores, invalid_file, load_yaml
from finetune.validate import split_think, tool_argument_models
from koclaw.errors import InputError

PROBES_FILE = Path(__file__).with_name("probes.yaml")
CPU_MAX_NEW_TOKENS, GPU_MAX_NEW_TOKENS = 48, 1024
CPU_BATCH, GPU_BATCH = 4, 16
Messages = list[dict[str, str]]
Progress = Callable[[str], None]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Turn(_Strict):
    role: Literal["user", "assistant"]
    content: str = Field(min_length=1)


class Probe(_Strict):
    """One message from Sensei, the language the reply must be in, and the tool it must call, if any."""

    id: str = Field(min_length=1)
    lang: BaseLang
    say: str = Field(min_length=1)
    context: list[Turn] = Field(default_factory=list)
    tool: str | None = None

    @field_validator("tool")
    @classmethod
    def _known_tool(cls, tool: str | None) -> str | None:
        if tool is not None and tool not in tool_argument_models():
            raise ValueError(f"unknown tool {tool!r} (known: {', '.join(tool_argument_models())})")
        return tool

    @model_validator(mode="after")
    def _alternates(self) -> Probe:
        roles = [turn.role for turn in self.context]
        if roles != ["user", "assistant"] * (len(roles) // 2) or len(roles) % 2:
            raise ValueError("context must alternate user, assistant, ... and end with Kokoron's reply")
        return self


class ProbeSet(_Strict):
    probes: list[Probe] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ProbeSet:
        ids = [p.id for p in self.probes]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate probe ids: {sorted({i for i in ids if ids.count(i) > 1})}")
        return self


class EvalSettings(_Strict):
    max_new_tokens: int | None = Field(None, ge=1, description="default: 48 on CPU, 1024 on GPU")
    limit: int | None = Field(None, ge=0, description="at most this many probes and held-out turns")
    persona: bool = True
    tools: bool = True
    thinking: bool = Field(True, description="the template's enable_thinking (off: replies start at once)")
    batch_size: int | None = Field(None, ge=1, description="default: 4 on CPU, 16 on GPU")
    max_length: int = Field(4096, ge=16, description="held-out conversations are cut to this many tokens")
    dtype: Dtype = "auto"


@dataclass(frozen=True)
class Prompt:
    """One generation to run: the chat so far and what the reply is judged against."""

    id: str
    source: metrics.Source
    lang: BaseLang
    messages: Messages
    expect_tool: str | None = None


@dataclass(frozen=True)
class Contender:
    key: str  # base | candidate | active
    label: str
    adapter: Path | None = None


@dataclass
class Report:
    base: str
    labels: dict[str, str]
    scores: dict[str, Scores]
    samples: dict[str, list[dict[str, Any]]]
    settings: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self, gate_result: tuple[bool, list[str]] | None = None) -> dict[str, Any]:
        others = [key for key in self.scores if key != "candidate"]
        deltas = {
            f"candidate-{key}": {
                m.name: metrics.difference(self.scores["candidate"][m.name], self.scores[key][m.name])
                for m in METRICS
            }
            for key in others
        }
        data: dict[str, Any] = {
            "base": self.base,
            "models": self.labels,
            "metrics": {m.name: {"label": m.label, "higher_is_better": m.higher_is_better} for m in METRICS},
            "scores": self.scores,
            "deltas": deltas,
            "settings": self.settings,
            "notes": self.notes,
            "seconds": round(self.seconds, 2),
            "samples": self.samples,
        }
        if gate_result is not None:
            data["gate"] = {"passed": gate_result[0], "reasons": gate_result[1]}
        return data


def load_probes(path: Path | None = None) -> list[Probe]:
    source = path or PROBES_FILE
    try:
        return ProbeSet.model_validate(load_yaml(source, "probes")).probes
    except ValidationError as exc:
        raise invalid_file(source, exc) from None


def system_prompt(persona: bool, tools: bool) -> str | None:
    """The persona (as training renders it) and the runtime's prompt-style tools section."""
    from character import load_profile, render_persona
    from memory.working import render_tools

    parts = [render_persona(load_profile()) if persona else "", render_tools(tool_specs()) if tools else ""]
    return "\n\n".join(part for part in parts if part) or None


def tool_specs() -> list[dict[str, Any]]:
    """The OpenAI entries of the tools the probes may ask for (built from the classes, no memory needed)."""
    from koclaw.llm.tools import _untitled
    from koclaw.tools.clock import CurrentTime
    from koclaw.tools.memory import MemoryForget, MemorySave, MemorySearch

    return [
        {
            "type": "function",
            "function": {
                "name": t.name,
                "description": t.description,
                "parameters": _untitled(t.Args.model_json_schema()),
            },
        }
        for t in (MemorySave, MemorySearch, MemoryForget, CurrentTime)
    ]


def probe_prompts(probes: Sequence[Probe], system: str | None) -> list[Prompt]:
    head: Messages = [{"role": "system", "content": system}] if system else []
    prompts = []
    for probe in probes:
        turns = [
            {"role": t.role, "content": t.content}
            for t in [*probe.context, Turn(role="user", content=probe.say)]
        ]
        prompts.append(Prompt(probe.id, "probe", probe.lang, head + turns, probe.tool))
    return prompts


def read_heldout(path: Path, system: str | None = None) -> list[tuple[str, Messages]]:
    """``(id, messages)`` per line: trl export rows as they are, conversations via the exporter."""
    from finetune.export import trl_messages
    from finetune.schema import Conversation

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read the held-out file {path}: {exc}.") from None
    out: list[tuple[str, Messages]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if "language" in row:
                conversation = Conversation.model_validate(row)
                out.append((conversation.id, trl_messages(conversation, system)))
                continue
            messages = [{"role": str(m["role"]), "content": str(m["content"])} for m in row["messages"]]
        except (ValueError, TypeError, KeyError) as exc:
            raise InputError(
                f"{path}:{number} is not a held-out conversation ({type(exc).__name__}: {exc}); "
                "pass heldout.jsonl from `koclaw finetune export`."
            ) from None
        out.append((str(row.get("id", f"line-{number}")), messages))
    if not out:
        raise InputError(f"{path} holds no conversations.")
    return out


def heldout_prompts(heldout: Sequence[tuple[str, Messages]]) -> list[Prompt]:
    """One prompt per Sensei turn: the chat up to it; the reference reply says whether a tool is due."""
    prompts = []
    for conv_id, messages in heldout:
        for i, message in enumerate(messages):
            if message["role"] != "user" or i + 1 >= len(messages):
                continue
            calls = metrics.tool_calls(split_think(messages[i + 1]["content"])[1])
            lang = analyse_language(message["content"]).dominant
            tool = calls[0].name if calls and not calls[0].error else None
            prompts.append(Prompt(f"{conv_id}#{i}", "heldout", lang, messages[: i + 1], tool))
    return prompts


def plan(
    probes: Sequence[Probe], heldout: Sequence[tuple[str, Messages]], settings: EvalSettings
) -> tuple[list[Prompt], list[tuple[str, Messages]]]:
    """The prompts to generate (``limit`` probes and ``limit`` held-out turns) and the conversations
    whose loss is measured (those with a turn in the prompts)."""
    system = system_prompt(settings.persona, settings.tools)
    chosen = list(probes)[: settings.limit] if settings.limit is not None else list(probes)
    turns = heldout_prompts(heldout)
    turns = turns[: settings.limit] if settings.limit is not None else turns
    used = {p.id.rpartition("#")[0] for p in turns}
    return probe_prompts(chosen, system) + turns, [h for h in heldout if h[0] in used]


def same_base(a: str | None, b: str) -> bool:
    """Whether two base names mean the same model (``tiny`` and its folder, relative and absolute paths)."""

    def canonical(name: str) -> str:
        if name == TINY:
            from finetune.tiny import default_path

            return str(default_path().resolve())
        path = Path(name).expanduser()
        return str(path.resolve()) if path.exists() else name

    return a is not None and canonical(a) == canonical(b)


def active_contender(base: str, candidate: Path) -> tuple[Contender | None, str | None]:
    """The active Soul when there is one worth comparing with, else None and why not."""
    from finetune.hf import check_adapter
    from koclaw.config import load_settings
    from memory.soul import SoulRegistry

    db = load_settings().soul_db
    if not db.exists():
        return None, "no Soul registry yet: compared with the base only"
    registry = SoulRegistry(db)
    try:
        name = registry.active()
        adapter = registry.get(name) if name else None
    finally:
        registry.close()
    if adapter is None:
        return None, "no active Soul: compared with the base only"
    path = Path(adapter.path)
    if path.resolve() == candidate.expanduser().resolve():
        return None, f"the candidate is the active Soul {adapter.name}"
    if not same_base(adapter.base_model, base):
        return None, f"the active Soul {adapter.name} was trained on {adapter.base_model}, not {base}"
    try:
        check_adapter(path)
    except InputError as exc:
        return None, f"the active Soul {adapter.name} cannot be loaded: {exc}"
    return Contender("active", f"active {adapter.name}", path), None


def evaluate(
    base: str,
    contenders: Sequence[Contender],
    prompts: Sequence[Prompt],
    heldout: Sequence[tuple[str, Messages]],
    settings: EvalSettings,
    progress: Progress | None = None,
) -> Report:
    """Generate and score every prompt with every contender on one loaded base; the held-out loss too."""
    try:
        import torch
        from safetensors import SafetensorError

        from finetune.hf import load_base, load_tokenizer, load_with_adapters, placement
    except ImportError as exc:
        raise InputError(f"Evaluation needs the training extra ({exc}): pip install -e '.[train]'.") from None
    say = progress or (lambda _message: None)
    started = time.monotonic()
    where = placement(settings.dtype)
    max_new = settings.max_new_tokens or (GPU_MAX_NEW_TOKENS if where.cuda else CPU_MAX_NEW_TOKENS)
    batch = settings.batch_size or (GPU_BATCH if where.cuda else CPU_BATCH)
    say(f"Loading {base} on {where.device} ({where.dtype_name})...")
    tokenizer = load_tokenizer(base)
    tokenizer.padding_side = "left"
    model: Any = load_base(base, dtype=settings.dtype)
    adapters = {c.key: c.adapter for c in contenders if c.adapter is not None}
    try:
        model = load_with_adapters(model, adapters)
    except (RuntimeError, ValueError, OSError, KeyError, SafetensorError) as exc:
        names = ", ".join(str(p) for p in adapters.values())
        raise InputError(
            f"Cannot load the adapter(s) {names} onto {base}: {str(exc)[:300]}. A broken weights file, or "
            "an adapter trained on another base? Pass the right one with --base, or retrain the adapter."
        ) from None
    report = Report(base, {c.key: c.label for c in contenders}, {}, {}, {})
    report.settings = {**settings.model_dump(), "max_new_tokens": max_new, "batch_size": batch}
    for contender in contenders:
        say(f"{contender.label}: {len(prompts)} replies, {len(heldout)} held-out conversations...")
        with torch.inference_mode(), _selected(model, contender):
            torch.manual_seed(0)
            outputs = generate(
                model,
                tokenizer,
                prompts,
                max_new_tokens=max_new,
                batch_size=batch,
                thinking=settings.thinking,
            )
            loss = heldout_loss(model, tokenizer, [m for _, m in heldout], settings.max_length)
        samples = [
            Sample(p.id, p.source, p.lang, out, p.expect_tool)
            for p, out in zip(prompts, outputs, strict=True)
        ]
        checks = [metrics.check(s) for s in samples]
        scores = metrics.score(samples, checks)
        scores |= {"heldout_loss": loss, "heldout_ppl": metrics.perplexity(loss)}
        report.scores[contender.key] = scores
        report.samples[contender.key] = [_sample_row(s, c) for s, c in zip(samples, checks, strict=True)]
    if heldout and report.scores[contenders[0].key]["heldout_loss"] is None:
        report.notes.append("no held-out loss: the chat template has no {% generation %} markers")
    report.seconds = time.monotonic() - started
    return report


@contextmanager
def _selected(model: Any, contender: Contender) -> Iterator[None]:
    """The contender's adapter switched on, or every adapter off for the base."""
    if contender.adapter is not None:
        model.set_adapter(contender.key)
        yield
        return
    with model.disable_adapter() if hasattr(model, "disable_adapter") else nullcontext():
        yield


def _sample_row(sample: Sample, checks: metrics.Checks) -> dict[str, Any]:
    row = {"id": sample.id, "source": sample.source, "lang": sample.lang, "expect_tool": sample.expect_tool}
    judged = {k: v for k, v in checks.as_dict().items() if k not in ("thinking", "visible")}
    return {**row, "output": sample.output, **judged}


def generate(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[Prompt],
    *,
    max_new_tokens: int,
    batch_size: int,
    thinking: bool = True,
) -> list[str]:
    """Greedy replies; batched by prompt length (left padding gives the same tokens).

    With thinking off the template closes an empty think block, so the output is the reply alone; it is
    prefixed with that block here so the think checks read it as Qwen would emit it."""
    import copy

    config = copy.deepcopy(model.generation_config)
    config.update(do_sample=False, temperature=None, top_p=None, top_k=None, max_new_tokens=max_new_tokens)
    config.pad_token_id = tokenizer.pad_token_id
    texts = [
        str(
            tokenizer.apply_chat_template(
                p.messages, tokenize=False, add_generation_prompt=True, enable_thinking=thinking
            )
        )
        for p in prompts
    ]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    outputs = [""] * len(texts)
    device = next(model.parameters()).device
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        enc = tokenizer(
            [texts[i] for i in chunk], return_tensors="pt", padding=True, add_special_tokens=False
        )
        enc = enc.to(device)
        generated = model.generate(**enc, generation_config=config)
        new = generated[:, enc["input_ids"].shape[1] :]
        for i, ids in zip(chunk, new, strict=True):
            text = tokenizer.decode(ids, skip_special_tokens=True)
            outputs[i] = text if thinking else f"</think>\n\n{text}"
    return outputs


def heldout_loss(
    model: Any, tokenizer: Any, conversations: Sequence[Messages], max_length: int
) -> float | None:
    """Mean cross-entropy per assistant token (the template's generation markers pick them)."""
    import torch
    import torch.nn.functional as F

    device = next(model.parameters()).device
    total, count = 0.0, 0
    for messages in conversations:
        enc = tokenizer.apply_chat_template(
            messages, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
        )
        ids = list(enc["input_ids"])[:max_length]
        mask = list(enc["assistant_masks"])[:max_length]
        targets = [i for i in range(1, len(ids)) if mask[i]]
        if not targets:
            continue
        input_ids = torch.tensor([ids], device=device)
        keep = torch.tensor([i - 1 for i in targets], device=device)  # logits at i-1 predict token i
        logits = model(input_ids=input_ids, logits_to_keep=keep).logits[0].float()
        labels = input_ids[0, keep + 1]
        total += float(F.cross_entropy(logits, labels, reduction="sum"))
        count += len(targets)
    return total / count if count else None
