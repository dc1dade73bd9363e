"""LoRA training throughput: the tiny model on the CPU, and Qwen3.5-27B's shapes on a GPU when there is one.

Run: python bench/train_bench.py [--steps 10] [--runs 3] [--gpu] [--gpu-steps 4] [--seq 2048]

CPU mode (always): the `--tiny` preset (LoRA r16, batch 8, max_length 512) on the seed conversations,
through the real trainer (`finetune.train.build_trainer`). Each run trains `steps` optimizer steps;
tokens/s counts non-padding tokens (the trainer's own count) from the end of step 2 to the last step, so
model loading and the first steps' warm-up are left out. Figures are medians over the runs.

GPU mode (`--gpu`, CUDA only): a randomly initialised ``Qwen3_5ForCausalLM`` with the text shapes of
Qwen3.5-27B, built directly on the GPU, LoRA r64/alpha 128 on every text linear layer (finetune.train's
TARGET_MODULES), gradient checkpointing, one sequence of `--seq` random tokens per step, in bf16 and with
int8 weights (optimum-quanto, output head kept, as finetune.hf.load_base does). Reports tokens/s over the
steps after the first and torch.cuda.max_memory_allocated; the model and the timed loop are
bench/lora_steps.py's, shared with bench/soul_gpu_check.py. The 27B shapes (hidden 5120, 64 layers with
three Gated DeltaNet layers to one gated attention layer, 24 query / 4 KV heads of 256, MLP 17408, linear
attention 16 key / 48 value heads of 128, vocabulary 248320) come from public configs (THUDM/slime's
qwen3.5-27B model script and Qwen3.5 configs reproduced in open code), not from the checkpoint itself:
each is a flag, check them against the checkpoint's config.json when you have it. Without the
fla/causal-conv1d kernels Gated DeltaNet runs a slow reference implementation, and the bench prints which
one ran.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.lora_steps import QWEN35_27B, lora_model, lora_optimizer, timed_steps
from finetune.train import build_trainer, load_config, prepare_data


def cpu_run(steps: int) -> dict[str, float]:
    from transformers import TrainerCallback

    marks: list[tuple[float, int]] = []

    class Marks(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            marks.append((time.perf_counter(), state.num_input_tokens_seen))

    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(preset="tiny", heldout=0.0, max_steps=steps, save_steps=10**6, output=Path(tmp))
        trainer = build_trainer(config, prepare_data(config), Path(tmp))
        trainer.add_callback(Marks())
        trainer.train()
    (t0, n0), (t1, n1) = marks[1], marks[-1]
    return {"tokens_per_s": (n1 - n0) / (t1 - t0), "s_per_step": (t1 - t0) / (len(marks) - 2)}


def gpu_run(int8: bool, steps: int, seq: int, shapes: dict[str, Any], device: str = "cuda") -> dict[str, Any]:
    """One mode on `device` (the smoke test passes "cpu" and small shapes)."""
    import torch

    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    _, peft_model, params = lora_model(shapes, seq, device, int8)
    optimizer, _ = lora_optimizer(params, cuda)
    ids = torch.randint(0, shapes["vocab_size"], (1, seq), device=device)
    timed = timed_steps(peft_model, optimizer, ids, steps)
    return {
        "mode": "int8" if int8 else ("bf16" if cuda else "fp32"),
        "tokens_per_s": timed.tokens_per_s(seq),
        "s_per_step": timed.step_s,
        "max_memory_gib": torch.cuda.max_memory_allocated() / 2**30 if cuda else float("nan"),
        "trainable_m": sum(p.numel() for p in params) / 1e6,
        "loss": timed.loss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=10, help="optimizer steps per CPU run (at least 3)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--gpu", action="store_true", help="also run the 27B-shaped GPU mode (needs CUDA)")
    parser.add_argument("--gpu-steps", type=int, default=4)
    parser.add_argument("--seq", type=int, default=2048)
    for key, value in QWEN35_27B.items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=int, default=value, dest=key)
    args = parser.parse_args()

    runs = [cpu_run(max(args.steps, 3)) for _ in range(args.runs)]
    rate = statistics.median(r["tokens_per_s"] for r in runs)
    step = statistics.median(r["s_per_step"] for r in runs)
    print(
        f"CPU tiny (--tiny preset, {args.steps} steps x {args.runs} runs): "
        f"{rate:,.0f} tokens/s, {step:.2f} s/step"
    )
    print("  runs: " + ", ".join(f"{r['tokens_per_s']:,.0f}" for r in runs))

    if not args.gpu:
        print("GPU mode: pass --gpu (it needs a CUDA device).")
        return
    import torch

    if not torch.cuda.is_available():
        print("GPU mode needs a CUDA device; none is available here.")
        return
    kernels = "fla" if importlib.util.find_spec("fla") else "torch reference (no fla kernels)"
    shapes = {key: getattr(args, key) for key in QWEN35_27B}
    print(
        f"GPU {torch.cuda.get_device_name()}: Qwen3.5-27B shapes {shapes}, seq {args.seq}, "
        f"LoRA r64; Gated DeltaNet: {kernels}"
    )
    for int8 in (False, True):
        try:
            r = gpu_run(int8, args.gpu_steps, args.seq, shapes)
        except torch.cuda.OutOfMemoryError:
            print(f"  {'int8' if int8 else 'bf16'}: out of GPU memory")
            continue
        print(
            f"  {r['mode']}: {r['tokens_per_s']:,.0f} tokens/s, {r['s_per_step']:.2f} s/step, "
            f"max memory {r['max_memory_gib']:.1f} GiB, {r['trainable_m']:.0f}M trainable, "
            f"loss {r['loss']:.3f}"
        )


if __name__ == "__main__":
    main()
