"""Compare models side by side before a new Soul goes live: the base, the candidate adapter, the active Soul.

Each model answers the same prompts, greedily: the fixed probes (``probes.yaml``: three languages, mixed
messages, tool requests, memory use, Soul/memory confusion) and every model round of the held-out
conversations, all rendered as the runtime sends them (:mod:`finetune.eval_prompts`). The replies are
judged by :mod:`finetune.metrics`; the held-out loss is measured on exactly the training samples
(prompt = ``sample.prompt(tokenizer)``, loss on the completion tokens only, as the trainer computes it).
:func:`finetune.eval_gate.gate` then says whether the candidate may replace the active Soul.

Why one loaded base: the adapters are switched on one PeftModel (the base is the same model with adapters
disabled), so every model sees byte-identical prompts on the same device and dtype. Why the effect check:
an adapter whose keys miss the model loads with no error and changes nothing (the vLLM key trap, and
its mirror image: a vLLM copy loaded by transformers); greedy replies and logits identical to the
base's are an error, never a pass.

torch/transformers/peft are imported inside the functions that need them (see :mod:`finetune.hf`).
:mod:`finetune.eval_server` evaluates models served by an OpenAI-compatible server instead.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from finetune import metrics
from finetune.eval_gate import GateConfig, Verdict
from finetune.eval_prompts import Prompt
from finetune.hf import TINY, Dtype
from finetune.metrics import METRICS, Sample, Scores
from finetune.render import SystemMode, TurnSample
from koclaw.errors import InputError

CPU_MAX_NEW_TOKENS, GPU_MAX_NEW_TOKENS = 48, 1024
CPU_BATCH, GPU_BATCH = 4, 16
DEFAULT_MAX_LENGTH = 4096
EFFECT_PROMPTS = 4  # prompts whose logits are compared with the base's
Progress = Callable[[str], None]


class EvalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_new_tokens: int | None = Field(None, ge=1, description="default: 48 on CPU, 1024 on GPU")
    limit: int | None = Field(None, ge=0, description="at most this many probes and held-out rounds")
    system: SystemMode = Field("runtime", description="runtime: the runtime's context; none: chat only")
    persona: bool = True
    tools: bool = True
    thinking: bool = Field(True, description="the template's enable_thinking (off: replies start at once)")
    batch_size: int | None = Field(None, ge=1, description="default: 4 on CPU, 16 on GPU")
    max_length: int = Field(
        DEFAULT_MAX_LENGTH, ge=16, description="held-out samples longer than this are left out of the loss"
    )
    dtype: Dtype = "auto"


@dataclass(frozen=True)
class Contender:
    key: str  # base | candidate | active
    label: str
    adapter: Path | None = None  # the transformers adapter folder (None: the base)
    served: str | None = None  # the model name on a server (server mode)


@dataclass
class Report:
    base: str
    labels: dict[str, str]
    scores: dict[str, Scores]
    samples: dict[str, list[dict[str, Any]]]
    settings: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    effect: dict[str, dict[str, Any]] = field(default_factory=dict)
    loss: dict[str, Any] = field(default_factory=dict)
    source: Literal["transformers", "server"] = "transformers"

    def as_dict(self, verdict: Verdict | None = None, config: GateConfig | None = None) -> dict[str, Any]:
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
            "source": self.source,
            "models": self.labels,
            "metrics": {m.name: {"label": m.label, "higher_is_better": m.higher_is_better} for m in METRICS},
            "scores": self.scores,
            "counts": self.counts,
            "deltas": deltas,
            "adapter_effect": self.effect,
            "loss": self.loss,
            "settings": self.settings,
            "notes": self.notes,
            "seconds": round(self.seconds, 2),
            "samples": self.samples,
        }
        if verdict is not None:
            data["gate"] = verdict.as_dict(config or GateConfig())
        return data


def score_outputs(
    prompts: Sequence[Prompt], outputs: Sequence[str], thinking: bool
) -> tuple[Scores, dict[str, int], list[dict[str, Any]]]:
    """The scores, the judged counts and one report row per reply."""
    samples = [
        Sample(p.id, p.source, p.lang, out, p.expect_tool, thinking, p.must_mention, p.not_her_own)
        for p, out in zip(prompts, outputs, strict=True)
    ]
    checks = [metrics.check(s) for s in samples]
    rows = []
    for sample, judged in zip(samples, checks, strict=True):
        row = {
            "id": sample.id,
            "source": sample.source,
            "lang": sample.lang,
            "expect_tool": sample.expect_tool,
        }
        verdicts = {k: v for k, v in judged.as_dict().items() if k not in ("thinking", "visible")}
        rows.append({**row, "output": sample.output, **verdicts})
    return metrics.score(samples, checks), metrics.counts(samples, checks), rows


# -- which folders to load ---------------------------------------------------------------------------------
def transformers_folder(folder: Path) -> tuple[Path, str | None]:
    """The adapter folder transformers can load: a vLLM copy (``adapter-vllm/``, wrapper key names) maps
    back to the folder its manifest names (``transformers_adapter``), else to ``adapter/`` beside it."""
    from finetune.vllm_compat import check_adapter_keys

    if check_adapter_keys(folder, "causal-lm", non_finite=[]).ok:  # names only: fit_check reads the values
        return folder, None
    manifest: Any = {}
    with suppress(OSError, ValueError):
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    named = manifest.get("transformers_adapter") if isinstance(manifest, dict) else None
    twin = Path(named) if named else folder.parent / "adapter"
    fits = (
        twin.is_dir()
        and twin.resolve() != folder.resolve()
        and check_adapter_keys(twin, "causal-lm", non_finite=[]).ok
    )
    return (
        (twin, f"{folder} is a vLLM copy: evaluated its transformers folder {twin}")
        if fits
        else (folder, None)
    )


def fit_check(folder: Path, what: str) -> Path:
    """`folder` (or its transformers twin) when every LoRA key fits the evaluation model class; else an
    InputError saying what to do. Reads key names and scans the values for NaN and inf (no torch)."""
    from finetune.vllm_compat import check_adapter_keys

    chosen, _ = transformers_folder(folder)
    report = check_adapter_keys(chosen, "causal-lm")
    if report.non_finite:
        raise InputError(f"{what} {chosen}: {report.advice}")
    if not report.ok:
        examples = ", ".join(report.unmatched_examples[:3])
        raise InputError(
            f"{what} {folder} does not fit the evaluation model ({report.naming} key names; "
            f"{report.modules - report.matched} of {report.modules} modules unmatched, e.g. {examples}): "
            "it would load and change nothing. Pass its transformers folder (adapter/, not adapter-vllm/), "
            "or rename it with `koclaw finetune check-adapter DIR --convert OUT`."
        )
    return chosen


def same_base(a: str | None, b: str) -> bool:
    """Whether two base names mean the same model (``tiny`` and its folder, relative and absolute paths)."""

    def canonical(name: str) -> str:
        if name == TINY:
            from finetune.tiny import default_path

            return str(default_path().resolve())
        path = Path(name).expanduser()
        return str(path.resolve()) if path.exists() else name

    return a is not None and canonical(a) == canonical(b)


def active_soul() -> Any:
    """The active Soul's registry entry, or None (no registry, nothing activated)."""
    from koclaw.config import load_settings
    from memory.soul import SoulRegistry

    db = load_settings().soul_db
    if not db.exists():
        return None
    registry = SoulRegistry(db)
    try:
        name = registry.active()
        return registry.get(name) if name else None
    finally:
        registry.close()


def active_contender(base: str, candidate: Path) -> tuple[Contender | None, str | None]:
    """The active Soul, fit-checked, when there is one to compare with; else None and why not.

    A Soul on another base cannot be compared (a note); an active Soul on this base that is missing,
    broken or whose keys do not fit is an error: the gate must not pass for lack of a comparison.
    """
    adapter = active_soul()
    if adapter is None:
        return None, "no active Soul: compared with the base only"
    served = Path(adapter.path)
    if not same_base(adapter.base_model, base):
        return None, f"the active Soul {adapter.name} was trained on {adapter.base_model}, not {base}"
    try:
        folder = fit_check(Path(adapter.eval_path), f"The active Soul {adapter.name}")
    except InputError as exc:
        raise InputError(
            f"{exc} Or pass --no-against-active to compare with the base only, knowingly."
        ) from None
    if folder.resolve() == candidate.expanduser().resolve():
        return None, f"the candidate is the active Soul {adapter.name}"
    note = (
        None
        if folder == served
        else f"active Soul {adapter.name}: evaluated {folder} (the server loads {served})"
    )
    return Contender("active", f"active {adapter.name}", folder), note


def no_effect_error(contender: Contender, how: str) -> InputError:
    return InputError(
        f"{contender.label} ({contender.adapter or contender.served}) changes nothing: {how} are identical "
        "to the base's. Its LoRA keys may not reach the model (a vLLM copy loaded by transformers, or the "
        "reverse), or its weights are untrained: check it with `koclaw finetune check-adapter DIR`, or "
        "retrain it."
    )


# -- the transformers path ---------------------------------------------------------------------------------
def evaluate(
    base: str,
    contenders: Sequence[Contender],
    prompts: Sequence[Prompt],
    heldout: Sequence[TurnSample],
    settings: EvalSettings,
    progress: Progress | None = None,
) -> Report:
    """Generate and score every prompt with every contender on one loaded base; the held-out loss too.
    The base comes first; an adapter whose replies and logits equal the base's raises an InputError."""
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
    texts = [p.render(tokenizer, settings.thinking) for p in prompts]
    probe_texts = texts[:EFFECT_PROMPTS]
    base_logits: list[Any] = []
    outputs_of: dict[str, list[str]] = {}
    for contender in contenders:
        say(f"{contender.label}: {len(prompts)} replies, {len(heldout)} held-out samples...")
        with torch.inference_mode(), _selected(model, contender):
            torch.manual_seed(0)
            outputs = generate(model, tokenizer, texts, max_new_tokens=max_new, batch_size=batch)
            loss, tokens, too_long = heldout_loss(model, tokenizer, heldout, settings.max_length)
            logits = last_logits(model, tokenizer, probe_texts)
        outputs_of[contender.key] = outputs
        if contender.adapter is None:
            base_logits = logits
        else:
            report.effect[contender.key] = _effect(
                contender, outputs, outputs_of.get("base"), logits, base_logits
            )
        scores, judged, rows = score_outputs(prompts, outputs, settings.thinking)
        report.scores[contender.key] = scores | {
            "heldout_loss": loss,
            "heldout_ppl": metrics.perplexity(loss),
        }
        report.counts[contender.key] = judged | {"heldout_tokens": tokens}
        report.samples[contender.key] = rows
        report.loss = {
            "measured": bool(heldout),
            "samples": len(heldout) - len(too_long),
            "too_long": too_long,
        }
    if skipped := report.loss.get("too_long"):
        report.notes.append(
            f"{len(skipped)} held-out sample(s) longer than max_length {settings.max_length} were left out "
            "of the loss, as training leaves them out"
        )
    report.seconds = time.monotonic() - started
    return report


def _effect(
    contender: Contender,
    outputs: Sequence[str],
    base_outputs: Sequence[str] | None,
    logits: Sequence[Any],
    base_logits: Sequence[Any],
) -> dict[str, Any]:
    """How far the adapter moves the base: changed replies and the largest logit difference."""
    if base_outputs is None:
        return {}
    changed = sum(a != b for a, b in zip(outputs, base_outputs, strict=True))
    diff = max((float((a - b).abs().max()) for a, b in zip(logits, base_logits, strict=True)), default=0.0)
    if changed == 0 and diff < 1e-6:
        raise no_effect_error(contender, f"its greedy replies to {len(outputs)} prompts and its logits")
    return {"replies_changed": changed, "replies": len(outputs), "max_logit_diff": round(diff, 6)}


@contextmanager
def _selected(model: Any, contender: Contender) -> Iterator[None]:
    """The contender's adapter switched on, or every adapter off for the base."""
    if contender.adapter is not None:
        model.set_adapter(contender.key)
        yield
        return
    with model.disable_adapter() if hasattr(model, "disable_adapter") else nullcontext():
        yield


def generate(
    model: Any, tokenizer: Any, texts: Sequence[str], *, max_new_tokens: int, batch_size: int
) -> list[str]:
    """Greedy replies to rendered prompts; batched by length (left padding gives the same tokens)."""
    import copy

    config = copy.deepcopy(model.generation_config)
    config.update(do_sample=False, temperature=None, top_p=None, top_k=None, max_new_tokens=max_new_tokens)
    config.pad_token_id = tokenizer.pad_token_id
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
            outputs[i] = tokenizer.decode(ids, skip_special_tokens=True)
    return outputs


def last_logits(model: Any, tokenizer: Any, texts: Sequence[str]) -> list[Any]:
    """The next-token logits after each prompt (what the effect check compares)."""
    import torch

    device = next(model.parameters()).device
    found = []
    for text in texts:
        ids = torch.tensor([tokenizer(text, add_special_tokens=False)["input_ids"]], device=device)
        found.append(model(input_ids=ids, logits_to_keep=1).logits[0, -1].float().cpu())
    return found


def completion_ids(tokenizer: Any, sample: TurnSample) -> tuple[list[int], int]:
    """The token ids of prompt + completion and where the completion starts, as trl's prompt/completion
    rows are tokenized (the completion starts where the prompt's tokens and the whole's diverge)."""
    prompt = sample.prompt(tokenizer)
    prompt_ids = list(tokenizer(prompt, add_special_tokens=False)["input_ids"])
    ids = list(tokenizer(prompt + sample.completion, add_special_tokens=False)["input_ids"])
    start = 0
    while start < min(len(prompt_ids), len(ids)) and prompt_ids[start] == ids[start]:
        start += 1
    return ids, start


def heldout_loss(
    model: Any, tokenizer: Any, samples: Sequence[TurnSample], max_length: int
) -> tuple[float | None, int, list[str]]:
    """Mean cross-entropy per completion token over the samples that fit `max_length`; also how many
    tokens that was and which samples did not fit. Works on any chat template (no generation markers)."""
    import torch
    import torch.nn.functional as F

    device = next(model.parameters()).device
    total, count = 0.0, 0
    too_long: list[str] = []
    for sample in samples:  # the caller holds torch.inference_mode (evaluate does)
        ids, start = completion_ids(tokenizer, sample)
        if len(ids) > max_length:
            too_long.append(sample.id)
            continue
        if start >= len(ids) or start == 0:
            continue
        input_ids = torch.tensor([ids], device=device)
        keep = torch.arange(start - 1, len(ids) - 1, device=device)  # logits at i-1 predict token i
        logits = model(input_ids=input_ids, logits_to_keep=keep).logits[0].float()
        total += float(F.cross_entropy(logits, input_ids[0, keep + 1], reduction="sum"))
        count += len(ids) - start
    return (total / count if count else None), count, too_long
