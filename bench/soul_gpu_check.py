"""One-shot GPU check for the Soul tier: what one LoRA step of Qwen3.5-27B costs here, and a real CUDA run.

Why: the dev machines have no GPU, and a GPU lease is short and offline. This script does every check in
one go and writes what it saw, so one run answers "does the recipe in finetune/configs/qwen3.5-27b.yaml
fit, and how fast is it?".

(a) Step bench. A randomly initialised ``Qwen3_5ForCausalLM`` with Qwen3.5-27B's text shapes, LoRA r64 /
alpha 128 on every text linear layer (``finetune.train.TARGET_MODULES``), gradient checkpointing, one
sequence of ``--seq`` (2048) random tokens per step, in bf16 and with int8 weights (optimum-quanto, the
output head kept in bf16 as ``finetune.hf.load_base`` does). Each run is a child process (so CUDA peaks
and out-of-memory errors stay separate): tokens/s is the median over the steps after the first, peak
memory is ``torch.cuda.max_memory_allocated`` from the end of model set-up (weights resident) to the last
step. When flash-linear-attention or causal-conv1d is installed, each mode also runs with them blocked,
to show what they buy. The optimizer is bitsandbytes' PagedAdamW8bit when present, else torch AdamW.

Shapes (``QWEN35_27B``): hidden 5120, MLP 17408, 64 layers (every 4th full attention, the rest Gated
DeltaNet), 24 query / 4 KV heads of 256, linear attention 16 key / 48 value heads of 128, vocabulary
248320, untied output head. transformers' ``Qwen3_5TextConfig()`` defaults describe a smaller model
(hidden 4096, 32 layers), so they are not used; these come from public configs of the 27B checkpoint
(THUDM/slime's qwen3.5-27B model script: 64 layers, hidden 5120, ffn 17408, 24 heads, 4 query groups,
kv channels 256, vocabulary 248320, untied). Check them against the checkpoint's config.json when you
have it; each is a flag. With ``--layers N`` below 64 the figures are also scaled to 64 layers: time by
64/N (the embedding and output head are counted as if they scaled too, so scaled tokens/s errs low) and
memory by adding (64-N)/N of everything but the embedding, the output head and the logits (an estimate).

(b) Trainer run. ``python -m finetune.train`` with the shipped 27B config on the tiny Kokoron (offline,
``--set base_model=PATH``) for a few optimizer steps: the real data path, LoRA, optimizer choice, bf16 on
CUDA and the manifest, whose tokens/s must be the trained tokens over the training loop's time.

(c) A summary beside the targets (bf16 r64 seq 2048 >= 2,000 tokens/s with the fast kernels and peak
<= 70 GiB; int8 peak <= 45 GiB), and JSON in ``--out`` (default ``$OUT``).

Run on a GPU machine: ``bash bench/soul_gpu_check.sh`` (installs carried wheels first), or
``python bench/soul_gpu_check.py [--layers 64] [--steps 3]``. CPU smoke (seconds, shapes reduced, no
targets judged): ``python bench/soul_gpu_check.py --cpu --layers 2 --hidden 256``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.lora_steps import (  # noqa: E402
    FULL_LAYERS,
    QWEN35_27B,
    lora_model,
    lora_optimizer,
    timed_steps,
)

SMOKE: dict[str, int] = {
    "hidden_size": 256,
    "num_hidden_layers": 4,
    "intermediate_size": 512,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 64,
    "linear_num_key_heads": 2,
    "linear_num_value_heads": 4,
    "linear_key_head_dim": 32,
    "linear_value_head_dim": 32,
    "vocab_size": 1024,
}
"""The ``--cpu`` shapes: every code path of the GPU run, in seconds."""
TARGETS = {"bf16_tokens_per_s": 2000.0, "bf16_peak_gib": 70.0, "int8_peak_gib": 45.0}
KERNEL_MODULES = ("fla", "causal_conv1d")
"""Import names of flash-linear-attention and causal-conv1d, Gated DeltaNet's fast kernels."""
CONFIG = ROOT / "finetune" / "configs" / "qwen3.5-27b.yaml"
RESULT_PREFIX = "SOUL_CHECK_RESULT "
GIB = 2**30


class CheckError(Exception):
    """A check that cannot run here; the message says what to do."""


def kernels_installed() -> dict[str, bool]:
    return {name: importlib.util.find_spec(name) is not None for name in KERNEL_MODULES}


def block_kernels() -> None:
    """Hide the fast kernels from this process (before transformers is imported): the reference path runs.

    A ``None`` entry in ``sys.modules`` makes ``import fla`` fail and ``find_spec("fla")`` return None,
    which is how every transformers version decides whether the kernels exist.
    """
    for name in KERNEL_MODULES:
        sys.modules[name] = None  # type: ignore[assignment]


def lift_fla_triton_guard() -> bool:
    """Let fla 0.6 run its gated backward kernel under Triton < 3.7.1 on Hopper, for timing only.

    fla refuses there (its issue 640: that Triton miscompiles the kernel's results). The project's pinned
    torch 2.13 ships Triton 3.7.1, where the guard does not fire; a GPU image with an older torch can still
    time the same kernel. The result says so (``fla_guard_lifted``): its loss is not to be trusted.
    """
    try:
        from fla.ops.common import chunk_o  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return False
    if getattr(chunk_o, "TRITON_ABOVE_3_7_1", True):
        return False
    chunk_o.TRITON_ABOVE_3_7_1 = True
    return True


def step_bench(mode: str, shapes: dict[str, int], seq: int, steps: int, device: str) -> dict[str, Any]:
    """One LoRA r64 training step, repeated: tokens/s, seconds per step and peak memory."""
    import torch

    cuda = device.startswith("cuda")
    layers = shapes["num_hidden_layers"]
    dtype = torch.bfloat16 if cuda else torch.float32
    started = time.perf_counter()
    model, peft_model, params = lora_model(shapes, seq, device, int8=mode == "int8")
    guard_lifted = cuda and lift_fla_triton_guard()
    fixed_bytes = sum(
        p.numel() * p.element_size()
        for p in (*model.get_input_embeddings().parameters(), *model.lm_head.parameters())
    ) + seq * shapes["vocab_size"] * (2 + 4 + 4)  # logits in bf16, their fp32 upcast and its gradient
    optimizer, optim_name = lora_optimizer(params, cuda)
    setup_s = time.perf_counter() - started
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    ids = torch.randint(0, shapes["vocab_size"], (1, seq), device=device)
    timed = timed_steps(peft_model, optimizer, ids, steps)
    step_s = timed.step_s
    peak = torch.cuda.max_memory_allocated() / GIB if cuda else None
    quantized = [n for n, m in model.named_modules() if type(m).__module__.startswith("optimum.quanto")]
    result: dict[str, Any] = {
        "mode": mode,
        "dtype": str(dtype).removeprefix("torch."),
        "layers": layers,
        "seq": seq,
        "steps": steps,
        "step_s": step_s,
        "step_s_all": timed.times,
        "tokens_per_s": timed.tokens_per_s(seq),
        "peak_gib": peak,
        "setup_s": setup_s,
        "trainable_m": sum(p.numel() for p in params) / 1e6,
        "optimizer": optim_name,
        "loss": timed.loss,
        "quantized_modules": len(quantized),
        "lm_head_quantized": "lm_head" in quantized,
        "kernels_visible": kernels_installed(),
        "fla_guard_lifted": guard_lifted,
    }
    if layers < FULL_LAYERS and all(
        shapes[k] == v for k, v in QWEN35_27B.items() if k != "num_hidden_layers"
    ):
        factor = FULL_LAYERS / layers
        result["scaled_to_layers"] = FULL_LAYERS
        result["tokens_per_s_scaled"] = seq / (step_s * factor)
        if peak is not None:
            fixed = fixed_bytes / GIB
            result["peak_gib_scaled"] = fixed + (peak - fixed) * factor if peak > fixed else peak * factor
    return result


def run_step(
    mode: str, kernels: bool, shapes: dict[str, int], seq: int, steps: int, device: str, *,
    in_process: bool, timeout: float,
) -> dict[str, Any]:  # fmt: skip
    """`step_bench` in a child process (own CUDA context and peak), or here for the CPU smoke."""
    label = {"mode": mode, "fast_kernels": kernels}
    if in_process:
        try:
            return {**label, **step_bench(mode, shapes, seq, steps, device)}
        except Exception as exc:  # the summary reports it; the other checks still run
            return {**label, "error": f"{type(exc).__name__}: {exc}"}
    command = [
        sys.executable, str(Path(__file__).resolve()), "--worker", mode, "--seq", str(seq),
        "--steps", str(steps), "--device", device, "--shapes", json.dumps(shapes),
    ]  # fmt: skip
    if not kernels:
        command.append("--block-kernels")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {**label, "error": f"timed out after {timeout:.0f}s: lower --steps or --layers"}
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return {**label, **json.loads(line[len(RESULT_PREFIX) :])}
    tail = (done.stderr or done.stdout).strip().splitlines()[-12:]
    if any("OutOfMemoryError" in t or "out of memory" in t for t in tail):
        return {**label, "error": "out of GPU memory: rerun with --layers 16 (figures are then scaled)"}
    return {**label, "error": f"exit {done.returncode}: " + " | ".join(tail)}


def worker(args: argparse.Namespace) -> int:
    """The child side of `run_step`: one result line on stdout."""
    if args.block_kernels:
        block_kernels()
    result = step_bench(args.worker, json.loads(args.shapes), args.seq, args.steps, args.device)
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


@contextlib.contextmanager
def _env(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def trainer_entry() -> list[str]:
    """How to start ``finetune.train``: as a module, or with the fast kernels hidden where fla would refuse
    its backward pass (Triton < 3.7.1 on a Hopper GPU, see `lift_fla_triton_guard`): a trainer must not
    run a kernel known to miscompute, so there it runs the reference path and the manifest says so."""
    import torch

    old_triton = False
    if torch.cuda.is_available() and torch.cuda.get_device_capability() == (9, 0):
        try:
            from importlib import metadata

            old_triton = tuple(int(x) for x in metadata.version("triton").split(".")[:3]) < (3, 7, 1)
        except (metadata.PackageNotFoundError, ValueError):
            old_triton = False
    if not old_triton or not any(kernels_installed().values()):
        return ["-m", "finetune.train"]
    hide = "; ".join(f"sys.modules[{name!r}] = None" for name in KERNEL_MODULES)
    return [
        "-c",
        f"import runpy, sys; {hide}; runpy.run_module('finetune.train', run_name='__main__', alter_sys=True)",
    ]


def trainer_run(
    work: Path, *, cpu: bool, steps: int, tiny_dir: Path | None, in_process: bool, timeout: float
) -> dict[str, Any]:
    """`python -m finetune.train` with the shipped 27B config on the tiny model; reads back its manifest."""
    from finetune.tiny import ensure_tiny

    if importlib.util.find_spec("trl") is None:
        raise CheckError("trl is not installed: carry its wheels (bash bench/soul_gpu_check.sh fetch).")
    tiny = ensure_tiny(tiny_dir) if tiny_dir else ensure_tiny(work / "tiny-kokoron")
    output = work / "run"
    shutil.rmtree(output, ignore_errors=True)
    argv = [
        "--tiny", "--config", str(CONFIG), "--set", f"base_model={tiny}", "--set", "optim=auto",
        "--set", "save_steps=1000", "--set", "logging_steps=1", "--set", "heldout=0.2",
        "--max-steps", str(steps), "--output", str(output),
    ]  # fmt: skip
    if cpu:  # the recipe's bf16, 16-step accumulation and evaluations are for the GPU; keep the smoke quick
        quick = [
            "dtype=fp32",
            "grad_accum=1",
            "batch_size=2",
            "max_length=256",
            "heldout=0.05",
            "eval_before=false",
        ]
        argv += [arg for pair in quick for arg in ("--set", pair)]
        argv += ["--data", str(ROOT / "character" / "seeds" / "en.jsonl")]  # one language is enough here
    env = {"KOCLAW_HOME": str(work / "home")}
    if cpu:
        env["CUDA_VISIBLE_DEVICES"] = ""
    started = time.perf_counter()
    log = work / "trainer.log"
    if in_process:
        from finetune.train import main

        with _env(**env), open(log, "w", encoding="utf-8") as sink, contextlib.redirect_stderr(sink):
            code = main(argv)
    else:
        with open(log, "w", encoding="utf-8") as sink:
            try:
                code = subprocess.run(
                    [sys.executable, *trainer_entry(), *argv], cwd=ROOT, stdout=sink, stderr=sink,
                    env={**os.environ, **env}, timeout=timeout,
                ).returncode  # fmt: skip
            except subprocess.TimeoutExpired:
                code = 124
    took = time.perf_counter() - started
    manifest_file = output / "adapter" / "manifest.json"
    if code != 0 or not manifest_file.is_file():
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-8:]
        raise CheckError(f"finetune.train exited {code}: " + " | ".join(tail))
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    metrics, env_info = manifest["metrics"], manifest["training"]
    expected = metrics["tokens_trained"] / max(metrics["train_seconds"], 1e-9)
    return {
        "wall_s": took,
        "steps": metrics["steps"],
        "device": env_info["device"],
        "bf16": env_info["bf16"],
        "optim": env_info["optim"],
        "fast_kernels": env_info.get("fast_kernels"),
        "tokens_per_second": metrics["tokens_per_second"],
        "tokens_trained": metrics["tokens_trained"],
        "train_seconds": metrics["train_seconds"],
        "runtime_s": metrics["runtime_s"],
        "manifest_rate_is_loop_only": abs(metrics["tokens_per_second"] - expected) <= 1e-6 * max(expected, 1),
        "first_loss": metrics["first_loss"],
        "last_loss": metrics["last_loss"],
        "manifest": str(manifest_file),
        "log": str(log),
    }


def verdicts(steps: list[dict[str, Any]], full_shapes: bool) -> list[dict[str, Any]]:
    """Each target beside the figure that answers it (scaled figures when --layers was reduced)."""
    if not full_shapes:
        return [{"target": "all", "verdict": "not judged: reduced shapes (smoke run)"}]

    def pick(mode: str, kernels: bool | None) -> dict[str, Any] | None:
        ok = [r for r in steps if r["mode"] == mode and "error" not in r]
        if kernels is not None:
            ok = [r for r in ok if r["fast_kernels"] == kernels]
        return ok[0] if ok else None

    def figure(r: dict[str, Any], key: str) -> float | None:
        value = r.get(f"{key}_scaled", r.get(key))
        return None if value is None else float(value)

    out: list[dict[str, Any]] = []
    fast = pick("bf16", True)
    if fast is None:
        hint = "not measured: install flash-linear-attention + causal-conv1d (the gpu extra)"
        out.append({"target": "bf16 tokens/s >= 2,000 with fast kernels", "verdict": hint})
    else:
        rate = figure(fast, "tokens_per_s") or 0.0
        verdict = "met" if rate >= TARGETS["bf16_tokens_per_s"] else "MISSED"
        out.append({"target": "bf16 tokens/s >= 2,000 with fast kernels", "value": rate, "verdict": verdict})
    for mode, key in (("bf16", "bf16_peak_gib"), ("int8", "int8_peak_gib")):
        runs = [r for r in steps if r["mode"] == mode and "error" not in r and r.get("peak_gib") is not None]
        name = f"{mode} peak <= {TARGETS[key]:.0f} GiB"
        if not runs:
            out.append({"target": name, "verdict": "not measured (see the errors above)"})
            continue
        peak = max(figure(r, "peak_gib") or 0.0 for r in runs)
        out.append({"target": name, "value": peak, "verdict": "met" if peak <= TARGETS[key] else "MISSED"})
    return out


def versions() -> dict[str, str | None]:
    from importlib import metadata

    found: dict[str, str | None] = {}
    for name in ("torch", "transformers", "peft", "trl", "optimum-quanto", "bitsandbytes",
                 "flash-linear-attention", "fla-core", "causal-conv1d"):  # fmt: skip
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def summary_lines(report: dict[str, Any]) -> list[str]:
    lines = [f"Soul GPU check on {report['device_name']} ({report['device']})"]
    lines.append(f"  shapes: {report['shapes_note']}, seq {report['seq']}, LoRA r64")
    for r in report["steps"]:
        name = f"{r['mode']}{' + fast kernels' if r['fast_kernels'] else ' (reference kernels)'}"
        name += f" [{r['dtype']}]" if r.get("dtype") not in (None, "bfloat16") else ""
        if "error" in r:
            lines.append(f"  {name}: ERROR {r['error']}")
            continue
        peak = "n/a (CPU)" if r["peak_gib"] is None else f"{r['peak_gib']:.1f} GiB"
        line = f"  {name}: {r['tokens_per_s']:,.0f} tok/s, {r['step_s']:.2f} s/step, peak {peak}"
        if "tokens_per_s_scaled" in r:
            scaled_peak = r.get("peak_gib_scaled")
            line += f"; scaled to {FULL_LAYERS} layers: {r['tokens_per_s_scaled']:,.0f} tok/s"
            line += f", peak ~{scaled_peak:.1f} GiB" if scaled_peak is not None else ""
        if r.get("fla_guard_lifted"):
            line += " (speed only: fla's Triton < 3.7.1 Hopper guard lifted)"
        lines.append(line + f" [{r['optimizer']}, {r['quantized_modules']} int8 modules]")
    t = report["trainer"]
    if "error" in t:
        lines.append(f"  trainer: ERROR {t['error']}")
    else:
        lines.append(
            f"  trainer (finetune.train, 27B config on the tiny model): {t['steps']} steps on {t['device']}, "
            f"bf16={t['bf16']}, optim {t['optim']}, {t['tokens_per_second']:,.0f} tok/s in the manifest "
            f"(loop only: {t['manifest_rate_is_loop_only']}), "
            f"loss {t['first_loss']:.3f} -> {t['last_loss']:.3f}"
        )
    lines.append("Targets:")
    for v in report["targets"]:
        value = f" ({v['value']:,.1f})" if "value" in v else ""
        lines.append(f"  {v['target']}: {v['verdict']}{value}")
    return lines


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench/soul_gpu_check.py", description=__doc__.split("\n")[0])
    p.add_argument("--cpu", action="store_true", help="smoke run on the CPU with reduced shapes (seconds)")
    p.add_argument("--layers", type=int, help=f"decoder layers (default {FULL_LAYERS}; CPU 4)")
    p.add_argument("--hidden", type=int, help="hidden size (default 5120; CPU 256)")
    p.add_argument("--intermediate", type=int, help="MLP size (default 17408; CPU 2 x hidden)")
    p.add_argument("--vocab", type=int, help="vocabulary (default 248320; CPU 1024)")
    p.add_argument("--seq", type=int, help="tokens per step (default 2048; CPU 64)")
    p.add_argument("--steps", type=int, default=3, help="steps per mode; the first is warm-up (default 3)")
    p.add_argument("--modes", default="bf16,int8", help="comma-separated: bf16, int8")
    p.add_argument("--trainer-steps", type=int, default=3, help="optimizer steps of the trainer run")
    p.add_argument("--skip-trainer", action="store_true", help="only the step bench")
    p.add_argument("--tiny-dir", type=Path, help="a built tiny Kokoron folder (else built under --out)")
    p.add_argument("--out", type=Path, help="results folder (default $OUT, else a new temp folder)")
    p.add_argument("--timeout", type=float, default=420, help="seconds per child run (default 420)")
    p.add_argument("--in-process", action="store_true", help="no child processes (default with --cpu)")
    # The child side of run_step.
    p.add_argument("--worker", choices=("bf16", "int8"), help=argparse.SUPPRESS)
    p.add_argument("--shapes", help=argparse.SUPPRESS)
    p.add_argument("--device", default="cuda", help=argparse.SUPPRESS)
    p.add_argument("--block-kernels", action="store_true", help=argparse.SUPPRESS)
    return p


def shapes_for(args: argparse.Namespace) -> dict[str, int]:
    shapes = dict(SMOKE if args.cpu else QWEN35_27B)
    for flag, key in (("layers", "num_hidden_layers"), ("hidden", "hidden_size"),
                      ("intermediate", "intermediate_size"), ("vocab", "vocab_size")):  # fmt: skip
        if getattr(args, flag) is not None:
            shapes[key] = getattr(args, flag)
    if args.cpu and args.intermediate is None:
        shapes["intermediate_size"] = 2 * shapes["hidden_size"]
    if shapes["num_hidden_layers"] < 1:
        raise CheckError("--layers must be at least 1.")
    return shapes


def run_trainer(args: argparse.Namespace, out: Path, in_process: bool) -> dict[str, Any]:
    """`trainer_run` in a scratch folder; its manifest and log are copied to `out`."""
    print("trainer run: python -m finetune.train ...", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="soul-trainer-") as tmp:
        try:
            trainer = trainer_run(
                Path(tmp), cpu=args.cpu, steps=args.trainer_steps, tiny_dir=args.tiny_dir,
                in_process=in_process, timeout=args.timeout,
            )  # fmt: skip
            shutil.copy2(trainer["manifest"], out / "trainer_manifest.json")
            shutil.copy2(trainer["log"], out / "trainer.log")
            return trainer
        except CheckError as exc:
            if (Path(tmp) / "trainer.log").is_file():
                shutil.copy2(Path(tmp) / "trainer.log", out / "trainer.log")
            return {"error": str(exc)}


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.worker:
        return worker(args)
    try:
        import torch
    except ImportError:
        print("Error: torch is not installed; run this where the training stack is.", file=sys.stderr)
        return 2
    try:
        shapes = shapes_for(args)
    except CheckError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    if not args.cpu and not torch.cuda.is_available():
        print("Error: no CUDA device here. Run on the GPU machine, or add --cpu for the smoke run.",
              file=sys.stderr)  # fmt: skip
        return 2
    device = "cpu" if args.cpu else "cuda"
    seq = args.seq or (64 if args.cpu else 2048)
    in_process = args.in_process or args.cpu
    out = args.out or (Path(os.environ["OUT"]) if os.environ.get("OUT") else None)
    out = out or Path(tempfile.mkdtemp(prefix="soul-gpu-check-"))
    out.mkdir(parents=True, exist_ok=True)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if bad := [m for m in modes if m not in ("bf16", "int8")]:
        print(f"Error: unknown mode(s) {bad}; use --modes bf16,int8.", file=sys.stderr)
        return 2
    installed = kernels_installed()
    kernel_runs = [True, False] if any(installed.values()) and not args.cpu else [False]
    full_shapes = all(shapes[k] == v for k, v in QWEN35_27B.items() if k != "num_hidden_layers")
    note = "Qwen3.5-27B" if full_shapes else "reduced (smoke)"
    note += f", {shapes['num_hidden_layers']} of {FULL_LAYERS} layers" if full_shapes else f" {shapes}"
    steps: list[dict[str, Any]] = []
    trainer: dict[str, Any] = {"error": "skipped (--skip-trainer)" if args.skip_trainer else "not run yet"}

    def report() -> dict[str, Any]:
        """Written after every stage, so a lease that ends mid-run still leaves what was measured."""
        done = {
            "device": device,
            "device_name": torch.cuda.get_device_name() if device == "cuda" else "CPU",
            "shapes": shapes,
            "shapes_note": note,
            "seq": seq,
            "kernels_installed": installed,
            "versions": versions(),
            "steps": steps,
            "trainer": trainer,
            "targets": verdicts(steps, full_shapes and not args.cpu),
        }
        (out / "soul_gpu_check.json").write_text(json.dumps(done, indent=2) + "\n", encoding="utf-8")
        (out / "summary.txt").write_text("\n".join(summary_lines(done)) + "\n", encoding="utf-8")
        return done

    # Most telling first: the fast-kernel runs (the targets), the trainer, then the reference-kernel runs.
    for kernels in kernel_runs:
        for mode in modes:
            print(
                f"step bench: {mode}{' + fast kernels' if kernels else ''} ...", file=sys.stderr, flush=True
            )
            steps.append(
                run_step(
                    mode,
                    kernels,
                    shapes,
                    seq,
                    args.steps,
                    device,
                    in_process=in_process,
                    timeout=args.timeout,
                )
            )
            print(summary_lines(report())[2 + len(steps) - 1], file=sys.stderr, flush=True)
        if kernels is kernel_runs[0] and not args.skip_trainer:
            trainer = run_trainer(args, out, in_process)
            report()
    lines = summary_lines(report())
    print("\n".join(lines))
    print(f"Results: {out / 'soul_gpu_check.json'}")
    failed = [r for r in steps if "error" in r] + (
        [trainer] if not args.skip_trainer and "error" in trainer else []
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
