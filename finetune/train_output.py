"""What a training run leaves behind: the adapter with its manifest, the held-out set and the loss curve.

Why a module of its own: :mod:`finetune.train` runs the trainer; this writes down what the run was made of
(data, config, code, environment) and how it went, which the Soul registry and the retrain report read;
and before a run, which folder it may write to (never over another run's adapter).
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from finetune.hf import TINY
from koclaw.errors import InputError

if TYPE_CHECKING:
    from finetune.train import Prepared, TrainConfig

MANIFEST_FORMAT = 1


def save_run(
    trainer: Any, config: TrainConfig, data: Prepared, output: Path, metrics: dict[str, Any]
) -> Path:
    """Write the adapter, its manifest, the held-out set and the loss curve; returns the adapter folder."""
    from finetune.vllm_compat import serving_checks

    adapter, vllm_dir = output / "adapter", output / "adapter-vllm"
    for old in (adapter, vllm_dir):
        shutil.rmtree(old, ignore_errors=True)
    trainer.model.save_pretrained(str(adapter))  # LoRA weights only: never merged (int8 bases!)
    ids = [c.id for c in data.heldout]
    (adapter / "heldout_ids.json").write_text(json.dumps(ids, indent=1) + "\n", encoding="utf-8")
    rows = [c.model_dump_json(exclude_defaults=True) for c in data.heldout]  # evaluation re-renders them
    (adapter / "heldout.jsonl").write_text("".join(f"{r}\n" for r in rows), encoding="utf-8")
    plot_loss(trainer.state.log_history, output / "loss.png", metrics)
    shutil.copy2(output / "loss.png", adapter / "loss.png")
    checks, vllm_copy = serving_checks(adapter, vllm_dir)
    manifest = {
        "format": MANIFEST_FORMAT,
        "kind": "koclaw-lora",
        "base_model": config.base_model,
        "naming": "text",
        "vllm_adapter": str(vllm_copy or adapter),
        "adapter_checks": checks,
        "dataset": {
            "files": data.files,
            "system": config.system,
            "heldout_share": config.heldout,
            "split": "finetune.export.split",
            "train": len(data.train),
            "heldout": len(data.heldout),
            "rejected": data.rejected,
            "heldout_ids_file": "heldout_ids.json",
            "samples": data.counts,
            "too_long": {k: len(v) for k, v in data.too_long.items()},
            "too_long_ids": {k: v[:50] for k, v in data.too_long.items()},
            "prompt": "the runtime's context (finetune.render), the base model's own chat template",
            "thinking": "non-empty thinking: thinking-on request; none: thinking-off; never an empty block",
        },
        "config": json.loads(config.model_dump_json()),
        "training": environment(trainer, config),
        "metrics": metrics,
        "code": code_version(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (adapter / "manifest.json").write_text(manifest_json(manifest), encoding="utf-8")
    if vllm_copy is not None:
        copy = {**manifest, "naming": "wrapper", "for": "vllm", "transformers_adapter": str(adapter)}
        (vllm_copy / "manifest.json").write_text(manifest_json(copy), encoding="utf-8")
    return adapter


def manifest_json(data: dict[str, Any]) -> str:
    """Strict JSON (NaN and inf as null): a bare NaN is not JSON, and the registry and tools must read it."""
    return json.dumps(_finite(data), ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def not_finite(model: Any, losses: Sequence[float | None]) -> str | None:
    """What of a finished run is NaN or inf (a loss, or a trained weight), or None when all is finite:
    such an adapter loads without error and answers garbage, so it must never be saved as done."""
    import torch

    if any(loss is not None and not math.isfinite(loss) for loss in losses):
        return "the loss"
    for name, param in model.named_parameters():
        if param.requires_grad and not bool(torch.isfinite(param).all()):
            return f"the weight {name}"
    return None


def default_output(config: TrainConfig) -> Path:
    from koclaw.config import koclaw_home

    name = "tiny" if config.base_model == TINY else "kokoron"
    return koclaw_home() / "runs" / f"{name}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"


def check_output(config: TrainConfig, output: Path, resume: bool) -> str | None:
    """The checkpoint to resume from (or None); refuses to mix two runs in one folder, or to write
    over a finished run's adapter (a registered Soul may be serving it)."""
    from finetune.train import IDENTITY

    saved = output / "train_config.json"
    steps = [int(p.name[11:]) for p in output.glob("checkpoint-*") if p.is_dir() and p.name[11:].isdigit()]
    last = str(output / f"checkpoint-{max(steps)}") if steps else None
    if not resume:
        if last is not None:
            raise InputError(
                f"{output} already holds {Path(last).name}: add --resume, or pick a new --output."
            )
        if held := finished_run(output):  # a finished run's adapter may be a registered Soul's weights
            raise InputError(f"{output} already holds {held}: pick a new --output.")
        output.mkdir(parents=True, exist_ok=True)
        saved.write_text(config.model_dump_json(indent=2) + "\n", encoding="utf-8")
        return None
    if last is None:
        raise InputError(f"Nothing to resume in {output}: no checkpoint-N folder. Run without --resume.")
    if saved.is_file():
        before, now = json.loads(saved.read_text(encoding="utf-8")), json.loads(config.model_dump_json())
        if changed := [k for k in IDENTITY if before.get(k) != now.get(k)]:
            raise InputError(f"--resume with other {', '.join(changed)} than {output} was started with.")
    return last


RUN_FILES = ("adapter_model.safetensors", "adapter_config.json", "manifest.json")


def finished_run(output: Path) -> str | None:
    """The adapter file of an earlier run that `output` holds, or None.

    `output` itself holding adapter files is someone's adapter folder. In the run's own `adapter/`,
    only the manifest (written last) says the run finished: weights without it are a run killed while
    saving, and a lone train_config.json one killed before its first checkpoint; running again into
    either is how retrain recovers.
    """
    found = [output / name for name in RUN_FILES]
    found += [output / sub / "manifest.json" for sub in ("adapter", "adapter-vllm")]
    return next((str(p.relative_to(output)) for p in found if p.exists()), None)


def environment(trainer: Any, config: TrainConfig) -> dict[str, Any]:
    """How the run was made; the kernel flags explain its tokens/s (Gated DeltaNet is ~2x slower without)."""
    import importlib.util

    args = trainer.args
    return {
        "device": str(args.device),
        "world_size": args.world_size,
        "bf16": bool(args.bf16),
        "int8": config.int8,
        "optim": str(getattr(args.optim, "value", args.optim)),
        "fast_kernels": {m: importlib.util.find_spec(m) is not None for m in ("fla", "causal_conv1d")},
        "loss": "completion tokens only" if config.assistant_only_loss else "prompt and completion",
        "merge": "never into an int8 base; merge only onto the full-precision base",
    }


def code_version() -> dict[str, Any]:
    """Package versions and the git commit (with a dirty flag) the adapter was trained from."""
    found: dict[str, Any] = {}
    for name in ("koclaw", "torch", "transformers", "peft", "trl"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    root, found["git_commit"] = Path(__file__).resolve().parent.parent, None
    try:
        git = [subprocess.run(["git", *a], cwd=root, capture_output=True, text=True, timeout=5)
               for a in (["rev-parse", "HEAD"], ["status", "--porcelain"])]  # fmt: skip
        if git[0].returncode == 0:
            found.update(git_commit=git[0].stdout.strip(), git_dirty=bool(git[1].stdout.strip()))
    except (OSError, subprocess.SubprocessError):
        pass
    return found


def plot_loss(history: list[dict[str, Any]], path: Path, metrics: dict[str, Any]) -> Path:
    """Training loss per logged step, with the held-out loss before and after (matplotlib Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = [(e["step"], e["loss"]) for e in history if "loss" in e]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    if points:
        ax.plot(*zip(*points, strict=True), label="train loss", color="#c0392b")
    for key, step, label in (
        ("eval_loss_before", 0, "held-out before"),
        ("eval_loss", metrics["steps"], "held-out after"),
    ):
        if metrics.get(key) is not None:
            ax.scatter([step], [metrics[key]], label=label, zorder=3)
    rate = metrics.get("tokens_per_second") or 0
    ax.set(xlabel="optimizer step", ylabel="loss", title=f"LoRA training ({rate:,.0f} tokens/s)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
