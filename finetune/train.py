"""Train Kokoron's Soul: a LoRA adapter on Qwen3.5 with trl's SFTTrainer, loss on her turns only.

Why these choices: every sample is one of her rounds rendered as the runtime sends it
(:mod:`finetune.render`: the runtime's context, the base model's own inference template, thinking only
where the data has it) and trained as trl prompt/completion text, so the loss covers her output only,
thinking included, on any template (no ``{% generation %}`` markers, no training-template swap that would
wrap every turn in an empty think block); a sample longer than ``max_length`` is left out and counted,
never cut; LoRA hits every linear layer of the language model, Gated DeltaNet
projections included, and never the vision tower; the held-out split is :func:`finetune.export.split`, so
evaluation never sees a training conversation or a near copy of one, and its loss before and after is
evaluation's own (:func:`finetune.evaluate.heldout_loss`, per completion token), so the two figures agree.
The adapter is never merged: with ``int8`` the base is quanto-quantized and a merge would give wrong
output with no error.

Output (``--output DIR``, written by :mod:`finetune.train_output`): ``checkpoint-N/`` (resume with
``--resume``), ``loss.png``, ``train_config.json``, ``adapter/`` (PEFT adapter named for
``AutoModelForCausalLM``, what evaluation and the test server load, with ``manifest.json``,
``heldout_ids.json``, ``heldout.jsonl``, ``loss.png``) and, when the base model's class keeps its text
model under ``language_model`` (Qwen3.5-27B declares ``Qwen3_5ForConditionalGeneration``),
``adapter-vllm/``: the same weights renamed for vLLM (see :mod:`finetune.vllm_compat`; serve and register
that folder with vLLM).

Usage::

    python -m finetune.train --config finetune/configs/qwen3.5-27b.yaml --output runs/v2
    python -m finetune.train --tiny --max-steps 20          # the offline tiny model, a CPU minute
    accelerate launch --multi_gpu --num_processes 4 -m finetune.train \
        --config finetune/configs/qwen3.5-27b.yaml --output runs/v2

Several GPUs (the last line; untested here, the dev machines have none): data-parallel, each process holds
a full bf16 copy on its own GPU (about 54 GB for 27B, so 80 GB cards, or ``--set int8=true``); the
effective batch is batch_size x grad_accum x GPUs, so lower grad_accum to keep 16. Only the main process
writes the adapter and manifest; ``--resume`` works the same way.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import re
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from character.conversation import Conversation
from finetune.hf import TINY, Dtype
from finetune.render import SystemMode, TurnSample, samples_of
from koclaw.errors import InputError

if TYPE_CHECKING:
    from trl.trainer.sft_trainer import SFTTrainer

Progress = Callable[[str], None]
TARGET_MODULES = (
    r"^model\.(?:language_model\.)?layers\.\d+\."
    r"(?:self_attn\.(?:q_proj|k_proj|v_proj|o_proj)"
    r"|linear_attn\.(?:in_proj_qkv|in_proj_z|in_proj_b|in_proj_a|out_proj)"
    r"|mlp\.(?:gate_proj|up_proj|down_proj))$"
)
"""Every linear layer of the text model in both Qwen3.5 classes; vision blocks never match."""
IDENTITY = ("base_model", "data", "system", "heldout", "lora_r", "lora_alpha", "target_modules", "int8")
"""Settings a resumed run must share with the run it continues."""


class TrainConfig(BaseModel):
    """Every training setting; YAML keys and ``--set`` keys are these field names."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    base_model: str = "Qwen/Qwen3.5-27B"
    data: list[Path] = Field(default_factory=list, description="conversation files (JSONL)")
    system: SystemMode = Field(
        "runtime", description="runtime: the context the runtime sends (finetune.render); none: chat only"
    )
    heldout: float = Field(0.1, ge=0, lt=1)
    history_turns: int | None = Field(
        None, ge=0, description="earlier exchanges in each sample (None: all, as a 32k context keeps them)"
    )
    dedupe_threshold: float = Field(0.8, gt=0, le=1, description="as finetune export's --threshold")
    lora_r: int = Field(64, ge=1)
    lora_alpha: int = Field(128, ge=1)
    lora_dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: str = TARGET_MODULES
    batch_size: int = Field(1, ge=1)
    grad_accum: int = Field(16, ge=1)
    learning_rate: float = Field(2e-4, gt=0)
    lr_scheduler: str = "cosine"
    warmup_ratio: float = Field(0.03, ge=0, lt=1)
    max_length: int = Field(2048, ge=16)
    gradient_checkpointing: bool = True
    optim: str = Field("auto", description="auto: paged_adamw_8bit on CUDA, adamw_torch elsewhere")
    epochs: float = Field(2.0, gt=0)
    max_steps: int = Field(-1, description="> 0 stops after this many optimizer steps")
    dtype: Dtype = "auto"
    int8: bool = False
    seed: int = 42
    output: Path | None = None
    save_steps: int = Field(100, ge=1)
    save_total_limit: int = Field(3, ge=1)
    logging_steps: int = Field(10, ge=1)
    eval_before: bool = Field(True, description="held-out loss of the untrained base, for comparison")
    assistant_only_loss: bool = Field(True, description="loss on her rounds (completions) only")

    @field_validator("target_modules")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression ({exc}); give one matching module names") from None
        return value

    @field_validator("lr_scheduler", "optim")
    @classmethod
    def _known(cls, value: str, info: ValidationInfo) -> str:
        """Names transformers knows, checked here: after the model loads, a typo is a traceback."""
        try:
            from transformers.trainer_utils import SchedulerType
            from transformers.training_args import OptimizerNames
        except ImportError:  # no training stack: `koclaw finetune train` says what to install
            return value
        names = [m.value for m in (SchedulerType if info.field_name == "lr_scheduler" else OptimizerNames)]
        if info.field_name == "optim":
            names.insert(0, "auto")
        if value not in names:
            raise ValueError(f"{value!r} is not one of {', '.join(names)}")
        return value


# fmt: off
PRESETS: dict[str, dict[str, Any]] = {
    # About a CPU minute on the seeds. No runtime context: the persona alone is ~700 tiny tokens, the seeds
    # ~330; no history either (one sample per round, ~40k tokens an epoch; with one earlier exchange 64k).
    # The base is the built-in Kokoron (trained, finetune.builtin): a gentle rate keeps what it knows.
    # Measured here (finetune eval --no-thinking --no-persona --no-tools): held-out loss 5.96 -> 5.50,
    # addressing 0.23 -> 0.56, language match 0.61 -> 0.83; lr 1e-2 (tuned for the old random base)
    # made the held-out loss worse on this one (5.65 -> 6.17).
    "tiny": dict(
        base_model=TINY, system="none", history_turns=0, lora_r=16, lora_alpha=32, batch_size=8,
        grad_accum=1,
        learning_rate=2e-3, warmup_ratio=0.05, max_length=512, gradient_checkpointing=False, epochs=3.0,
        save_steps=20, logging_steps=5,
    ),
}
# fmt: on


def seed_files() -> list[Path]:
    from character.conversation import SEED_DIR

    return sorted(SEED_DIR.glob("*.jsonl"))


def parse_sets(pairs: Sequence[str]) -> dict[str, Any]:
    """``key=value`` pairs; values are read as YAML (``3``, ``true``, ``[a.jsonl, b.jsonl]``)."""
    import yaml

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--set {pair!r}: write key=value, e.g. --set learning_rate=1e-4.")
        try:
            out[key.strip()] = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            out[key.strip()] = raw
    return out


def load_config(
    file: Path | None = None,
    sets: Sequence[str] = (),
    *,
    preset: str | None = None,
    **flags: Any,
) -> TrainConfig:
    """Defaults < preset < YAML file < ``--set`` < direct flags (those not None)."""
    import yaml

    merged: dict[str, Any] = dict(PRESETS[preset]) if preset else {}
    if preset == "tiny":
        merged["data"] = seed_files()
    if file is not None:
        try:
            loaded = yaml.safe_load(Path(file).read_text(encoding="utf-8")) or {}
        except UnicodeDecodeError:
            raise InputError(f"The config {file} is not UTF-8 text: save it as UTF-8 YAML.") from None
        except (OSError, yaml.YAMLError) as exc:
            raise InputError(f"Cannot read the config {file}: {exc}") from None
        if not isinstance(loaded, dict):
            raise InputError(f"{file} must hold a mapping of settings (key: value).")
        merged.update(loaded)
    merged.update(parse_sets(sets))
    merged.update({k: v for k, v in flags.items() if v is not None})
    try:
        return TrainConfig(**merged)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            key = ".".join(str(p) for p in err["loc"])
            problems.append(
                f"unknown setting {key!r}" if err["type"] == "extra_forbidden" else f"{key}: {err['msg']}"
            )
        known = ", ".join(TrainConfig.model_fields)
        raise InputError(f"Bad training config: {'; '.join(problems)}. Known settings: {known}.") from None


@dataclass
class Prepared:
    """The conversations to train on and to hold out, and what they came from."""

    train: list[Conversation]
    heldout: list[Conversation]
    rejected: int
    files: list[dict[str, Any]] = field(default_factory=list)
    system: SystemMode = "runtime"
    history_turns: int | None = None
    counts: dict[str, int] = field(default_factory=dict)  # samples trained / held out (build_trainer)
    too_long: dict[str, list[str]] = field(default_factory=dict)  # left out: longer than max_length

    def samples(self, which: Literal["train", "heldout"]) -> list[TurnSample]:
        """One sample per model round, rendered as the runtime sends it (see :mod:`finetune.render`)."""
        items = self.train if which == "train" else self.heldout
        return samples_of(items, self.system, history_turns=self.history_turns)


@dataclass
class Rows:
    """Prompt/completion rows for trl, and the samples left out because they do not fit `max_length`."""

    rows: list[dict[str, str]]
    too_long: list[str]


def sample_rows(samples: Sequence[TurnSample], tokenizer: Any, max_length: int) -> Rows:
    """trl's prompt/completion text rows (loss on the completion only), keeping whole samples only.

    Why not let trl cut: a cut sample trains a reply without its end (or a prompt without its question),
    silently. A sample that does not fit is left out and counted, and the manifest says how many.
    """
    rows: list[dict[str, str]] = []
    too_long: list[str] = []
    for sample in samples:
        prompt = sample.prompt(tokenizer)
        if len(tokenizer(prompt + sample.completion)["input_ids"]) > max_length:
            too_long.append(sample.id)
            continue
        rows.append({"prompt": prompt, "completion": sample.completion})
    return Rows(rows, too_long)


def prepare_data(config: TrainConfig) -> Prepared:
    """Read, validate and split exactly as ``koclaw finetune export`` does (same records, same split)."""
    from finetune.dataset import read_records
    from finetune.export import split

    if not config.data:
        raise InputError("No training data: pass --data FILE (JSONL conversations), or --tiny for the seeds.")
    records = read_records(config.data)
    accepted = [r.conversation for r in records if r.ok and r.conversation is not None]
    if not accepted:
        names = " ".join(shlex.quote(str(p)) for p in config.data)
        raise InputError(f"Every conversation was rejected; see why with: koclaw finetune validate {names}")
    train, heldout = split(accepted, config.heldout, threshold=config.dedupe_threshold)
    if not train:
        raise InputError("The held-out split took every conversation; add data or lower heldout.")
    files = []
    for path in config.data:
        mine = [r for r in records if r.file == str(path)]
        files.append(
            {
                "path": str(path),
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                "records": len(mine),
                "accepted": sum(1 for r in mine if r.ok),
            }
        )
    rejected = sum(1 for r in records if not r.ok)
    return Prepared(train, heldout, rejected, files, config.system, config.history_turns)


def warmup_steps(ratio: float, total: int) -> int:
    """Warmup steps for `ratio` of `total` optimizer steps, rounded down: a run shorter than 1/ratio has none.

    Why not transformers' ratio (``warmup_steps`` < 1): it rounds up, and warmup starts at lr 0, so every
    run with any warmup spends its first optimizer step at lr 0: half of a 2-step tiny run learns nothing.
    """
    return int(round(ratio * total, 9))  # round first: 0.29 * 100 is 28.999999999999996


def training_steps(args: Any, batches: int) -> int:
    """Optimizer steps the trainer will take: ``max_steps``, else epochs of `batches` (per process) over
    gradient accumulation, counted as transformers' ``Trainer.set_initial_training_values`` counts them."""
    if args.max_steps > 0:
        return int(args.max_steps)
    per_epoch = max(math.ceil(batches / int(args.gradient_accumulation_steps)), 1)
    return math.ceil(float(args.num_train_epochs) * per_epoch)


def resolve_optim(name: str, cuda: bool) -> str:
    import importlib.util

    if name != "auto":
        return name
    if cuda and importlib.util.find_spec("bitsandbytes") is not None:
        return "paged_adamw_8bit"
    return "adamw_torch"  # CPU, or no bitsandbytes: paged 8-bit needs it


def chat_template(tokenizer: Any, base: str) -> str:
    """The base model's own (inference) chat template: prompts are rendered with it, as the server does."""
    template = tokenizer.chat_template
    if isinstance(template, dict):
        template = template.get("default")
    if not template:
        raise InputError(
            f"The tokenizer of {base} has no chat template, so the prompts the runtime sends cannot be "
            "rendered. Use the model's instruct/chat tokenizer (Qwen3.5 ships one)."
        )
    return str(template)


def progress_callback(say: Progress) -> Any:
    """Step, loss and tokens/s; tokens are the trainer's own non-padding count (num_input_tokens_seen).

    The clock runs from ``on_train_begin`` to ``on_train_end`` only, so the manifest's tokens/s is the
    training loop's: the held-out evaluations before and after (and model loading) are left out.
    """
    from transformers import TrainerCallback

    class Callback(TrainerCallback):
        start, tokens0, tokens, steps0 = time.monotonic(), 0, 0, 0
        end: float | None = None

        def seconds(self) -> float:
            """Training-loop time: frozen at ``on_train_end``, running before it."""
            return (self.end if self.end is not None else time.monotonic()) - self.start

        def rate(self) -> float:
            return self.tokens / max(self.seconds(), 1e-9)

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.start, self.end, self.tokens0, self.steps0 = (
                time.monotonic(),
                None,
                state.num_input_tokens_seen,
                state.global_step,
            )

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.tokens = state.num_input_tokens_seen - self.tokens0

        def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.end = time.monotonic()
            self.tokens = state.num_input_tokens_seen - self.tokens0
            if state.is_world_process_zero:
                say(f"Trained to step {state.global_step} in {self.seconds():.0f}s, {self.rate():,.0f} tok/s")

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
            if state.is_world_process_zero and logs and "loss" in logs:
                spent = (time.monotonic() - self.start) / max(state.global_step - self.steps0, 1)
                say(
                    f"step {state.global_step}/{state.max_steps}  loss {logs['loss']:.4f}  "
                    f"lr {logs.get('learning_rate', 0):.2e}  {self.rate():,.0f} tok/s  "
                    f"ETA {(state.max_steps - state.global_step) * spent:.0f}s"
                )

    return Callback()


def build_trainer(
    config: TrainConfig, data: Prepared, output: Path, progress: Progress | None = None
) -> SFTTrainer:
    """The SFTTrainer with LoRA attached (nothing trained yet): `train` runs it, tests inspect its batches."""
    import datasets  # type: ignore[import-untyped]
    from datasets import Dataset
    from peft import LoraConfig
    from transformers.trainer_callback import PrinterCallback
    from transformers.utils import logging as hf_logging
    from trl.trainer.sft_config import SFTConfig
    from trl.trainer.sft_trainer import SFTTrainer

    from finetune.hf import load_base, load_tokenizer, placement

    datasets.disable_progress_bars()  # a bar per map() step is noise next to the progress lines
    hf_logging.disable_progress_bar()
    where = placement(config.dtype)
    rank = os.environ.get("LOCAL_RANK")
    device = f"cuda:{rank}" if where.cuda and rank is not None else None
    try:
        tokenizer = load_tokenizer(config.base_model)
    except (OSError, ValueError) as exc:  # no such repo / folder, or a folder without a tokenizer
        raise InputError(
            f"Cannot load the base model {config.base_model!r}: {exc}. Pass a local folder, a hub name this "
            "machine can reach, or --tiny for the offline tiny model."
        ) from None
    chat_template(tokenizer, config.base_model)
    model = load_base(config.base_model, dtype=config.dtype, int8=config.int8, device=device)
    if not any(re.fullmatch(config.target_modules, name) for name, _ in model.named_modules()):
        raise InputError(  # how PEFT matches a string; its own error comes as a traceback
            f"target_modules {config.target_modules!r} matches no module of {config.base_model}: "
            "leave it out for every linear layer of the text model, or fix the pattern."
        )
    args = SFTConfig(
        output_dir=str(output),
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.learning_rate,
        lr_scheduler_type=config.lr_scheduler,
        warmup_steps=0,  # set below from warmup_ratio, once the number of steps is known
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        max_length=config.max_length,
        activation_checkpointing=config.gradient_checkpointing,
        activation_checkpointing_kwargs={"use_reentrant": False} if config.gradient_checkpointing else None,
        optim=resolve_optim(config.optim, where.cuda),
        bf16=where.dtype_name == "bf16",
        fp16=False,  # fp16 gives NaN in Gated DeltaNet
        seed=config.seed,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
        logging_steps=config.logging_steps,
        logging_first_step=True,
        include_num_input_tokens_seen="non_padding",
        assistant_only_loss=False,  # prompt/completion rows: the loss mask is the completion
        completion_only_loss=config.assistant_only_loss,
        report_to="none",
        disable_tqdm=True,
        dataloader_pin_memory=where.cuda,
    )
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.target_modules,
        task_type="CAUSAL_LM",
    )
    samples = data.samples("train")
    train_rows = sample_rows(samples, tokenizer, config.max_length)
    heldout = sample_rows(data.samples("heldout"), tokenizer, config.max_length)  # counted; see heldout_loss
    thinking = sum(s.thinking for s in samples if s.id not in set(train_rows.too_long))
    data.counts = {"train": len(train_rows.rows), "heldout": len(heldout.rows), "train_thinking": thinking}
    data.too_long = {"train": train_rows.too_long, "heldout": heldout.too_long}
    if not train_rows.rows:
        raise InputError(
            f"No training sample fits max_length {config.max_length} (the runtime's prompt included): "
            "raise max_length, or use --set system=none for a model with a small context."
        )
    left_out = train_rows.too_long + heldout.too_long
    if progress and left_out:
        progress(
            f"{len(left_out)} samples longer than max_length {config.max_length} left out "
            f"(listed in the manifest), e.g. {left_out[0]}"
        )
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(train_rows.rows),
        processing_class=tokenizer,
        peft_config=lora,
        callbacks=[progress_callback(progress)] if progress else None,
    )
    trainer.remove_callback(PrinterCallback)  # our progress lines replace its raw log dicts
    total = training_steps(args, len(trainer.get_train_dataloader()))
    args.warmup_steps = warmup_steps(config.warmup_ratio, total)
    return trainer


def heldout_loss(trainer: Any, samples: Sequence[TurnSample], max_length: int) -> tuple[float | None, int]:
    """Held-out loss per completion token, and over how many tokens (:func:`finetune.evaluate.heldout_loss`).

    Why not ``trainer.evaluate()``: its eval_loss is a mean of per-sample means, so a short reply weighs as
    much as a long one; evaluation's loss is token-weighted, and the two must be the same figure.
    """
    import torch

    from finetune.evaluate import heldout_loss as measure

    model, training = trainer.model, trainer.model.training
    model.eval()
    try:
        with torch.no_grad():
            loss, tokens, _ = measure(model, trainer.processing_class, samples, max_length)
    finally:
        model.train(training)
    return loss, tokens


def _diverged(what: str, output: Path) -> InputError:
    return InputError(
        f"Training diverged: {what} is not finite (NaN or inf), so no adapter was written; "
        f"lower learning_rate and train again into a new --output (not {output})."
    )


def train(config: TrainConfig, *, resume: bool = False, progress: Progress | None = None) -> Path:
    """Train, save the adapter with its manifest, and return the adapter folder."""
    say = progress or (lambda _m: None)
    data = prepare_data(config)  # the quick refusals first, before torch is imported
    base = config.base_model
    if base != TINY and not Path(base).expanduser().exists() and (base[0] in "/.~" or base.count("/") != 1):
        raise InputError(f"No base model at {base!r}: pass a model folder, a hub name (org/name) or --tiny.")
    from finetune.train_output import check_output, default_output, not_finite

    output = (config.output or default_output(config)).expanduser()
    checkpoint = check_output(config, output, resume)
    if config.base_model == TINY:
        from finetune.tiny import ensure_tiny

        ensure_tiny(progress=say)
    say(
        f"{len(data.train)} conversations to train on, {len(data.heldout)} held out, {data.rejected} rejected"
    )
    trainer = build_trainer(config, data, output, say)
    held = data.samples("heldout")
    before = heldout_loss(trainer, held, config.max_length)[0] if config.eval_before and held else None
    if before is not None:
        say(f"Held-out loss before training: {before:.4f}")
    started = time.monotonic()
    try:
        result = trainer.train(resume_from_checkpoint=checkpoint)
    except RuntimeError as exc:  # torch's optimizers refuse a step too big for a float
        if "overflow" not in str(exc):
            raise
        raise _diverged("the optimizer's step", output) from None
    runtime = time.monotonic() - started
    after, held_tokens = heldout_loss(trainer, held, config.max_length) if held else (None, 0)
    state = trainer.state
    losses = [e["loss"] for e in state.log_history if "loss" in e]
    if broken := not_finite(trainer.model, [result.training_loss, *losses[-1:], after]):
        raise _diverged(broken, output)
    if not trainer.is_world_process_zero():
        return output / "adapter"
    speed = [c for c in trainer.callback_handler.callbacks if hasattr(c, "seconds")]
    # Tokens/s of the training loop alone (the progress callback's clock), not of the evaluations around it.
    trained = speed[0].tokens if speed else state.num_input_tokens_seen
    loop_s = speed[0].seconds() if speed else runtime
    metrics = {
        "train_loss": result.training_loss,
        "first_loss": losses[0] if losses else None,
        "last_loss": losses[-1] if losses else None,
        "eval_loss_before": before,
        "eval_loss": after,
        "heldout_tokens": held_tokens,  # the held-out losses are per completion token, as evaluation's
        "tokens_per_second": trained / max(loop_s, 1e-9),
        "tokens_trained": trained,
        "train_seconds": loop_s,
        "tokens_seen": state.num_input_tokens_seen,
        "steps": state.global_step,
        "epochs": state.epoch,
        "runtime_s": round(runtime, 2),
        "resumed_from": Path(checkpoint).name if checkpoint else None,
    }
    from finetune.train_output import save_run

    return save_run(trainer, config, data, output, metrics)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m finetune.train", description=__doc__.split("\n")[0])
    p.add_argument("--config", type=Path, help="YAML file of settings (TrainConfig field names)")
    p.add_argument(
        "--set", dest="sets", action="append", default=[], metavar="KEY=VALUE", help="override one setting"
    )
    p.add_argument("--tiny", action="store_true", help="the offline tiny model on the seed conversations")
    p.add_argument("--data", type=Path, nargs="+", help="conversation files (JSONL)")
    p.add_argument("--output", type=Path, help="run folder (checkpoints, adapter, loss.png)")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --output")
    p.add_argument("--max-steps", type=int, help="stop after N optimizer steps")
    p.add_argument("--epochs", type=float, help="passes over the training data")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        config = load_config(
            args.config, args.sets, preset="tiny" if args.tiny else None,
            data=args.data, output=args.output, max_steps=args.max_steps, epochs=args.epochs,
        )  # fmt: skip
        adapter = train(config, resume=args.resume, progress=lambda m: print(m, file=sys.stderr, flush=True))
    except InputError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    print(f"Adapter: {adapter}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
