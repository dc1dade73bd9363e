"""What the LoRA step benchmarks share: Qwen3.5-27B's text shapes, the model, the optimizer, the timed loop.

Why one module: ``bench/train_bench.py`` (``--gpu``) and ``bench/soul_gpu_check.py`` time the same
27B-shaped LoRA step, and their tokens/s and memory must mean the same thing. Standard library only at
import time (torch inside the functions): ``soul_gpu_check`` imports this before it may hide the fast
kernels, which must happen before transformers is imported. Both scripts put the repository root on
``sys.path``, so ``bench.lora_steps`` resolves when they run as files (``python bench/soul_gpu_check.py``,
on the GPU machine too).
"""

from __future__ import annotations

import importlib.util
import statistics
import time
from dataclasses import dataclass
from typing import Any

FULL_LAYERS = 64
QWEN35_27B: dict[str, int] = {
    "hidden_size": 5120,
    "num_hidden_layers": FULL_LAYERS,
    "intermediate_size": 17408,
    "num_attention_heads": 24,
    "num_key_value_heads": 4,
    "head_dim": 256,
    "linear_num_key_heads": 16,
    "linear_num_value_heads": 48,
    "linear_key_head_dim": 128,
    "linear_value_head_dim": 128,
    "vocab_size": 248320,
}
"""Qwen3.5-27B's text shapes, from public configs (see ``bench/soul_gpu_check.py`` for the source)."""
LEARNING_RATE = 2e-4


def layer_types(n: int) -> list[str]:
    """Qwen3.5's pattern: three Gated DeltaNet layers, then one gated full-attention layer."""
    return ["full_attention" if (i + 1) % 4 == 0 else "linear_attention" for i in range(n)]


def lora_model(shapes: dict[str, int], seq: int, device: str, int8: bool) -> tuple[Any, Any, list[Any]]:
    """A random ``Qwen3_5ForCausalLM`` of `shapes`, built on `device` (bf16 on CUDA, fp32 elsewhere) with
    int8 weights when asked (output head kept, as :func:`finetune.hf.load_base` does), activation
    checkpointing and LoRA r64 / alpha 128 on every text linear layer (``finetune.train.TARGET_MODULES``).

    Returns (the base model, the PEFT model, its trainable parameters).
    """
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import Qwen3_5ForCausalLM, Qwen3_5TextConfig

    from finetune.hf import INT8_EXCLUDE
    from finetune.train import TARGET_MODULES

    sizes: dict[str, Any] = dict(shapes)
    config = Qwen3_5TextConfig(
        **sizes, layer_types=layer_types(shapes["num_hidden_layers"]), tie_word_embeddings=False,
        use_cache=False, max_position_embeddings=max(seq, 4096),
        rope_parameters={"rope_type": "default", "rope_theta": 10_000_000.0, "partial_rotary_factor": 0.25},
    )  # fmt: skip
    torch.manual_seed(0)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16 if device.startswith("cuda") else torch.float32)
    try:
        with torch.device(device):
            model = Qwen3_5ForCausalLM(config)
    finally:
        torch.set_default_dtype(previous)
    if int8:
        from optimum.quanto import freeze, qint8, quantize

        quantize(model, weights=qint8, exclude=list(INT8_EXCLUDE))
        freeze(model)
    if hasattr(model, "activation_checkpointing_enable"):  # transformers >= 5.2x; the GPU image may be older
        model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
    else:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.enable_input_require_grads()
    lora = LoraConfig(
        r=64, lora_alpha=128, lora_dropout=0.05, target_modules=TARGET_MODULES, task_type="CAUSAL_LM"
    )
    peft_model = get_peft_model(model, lora)
    return model, peft_model, [p for p in peft_model.parameters() if p.requires_grad]


def lora_optimizer(params: list[Any], cuda: bool) -> tuple[Any, str]:
    """bitsandbytes' PagedAdamW8bit on CUDA when installed (the recipe's ``optim``), else torch AdamW."""
    import torch

    if cuda and importlib.util.find_spec("bitsandbytes") is not None:
        import bitsandbytes as bnb  # type: ignore[import-not-found, unused-ignore]

        return bnb.optim.PagedAdamW8bit(params, lr=LEARNING_RATE), "paged_adamw_8bit"
    return torch.optim.AdamW(params, lr=LEARNING_RATE), "adamw_torch"


@dataclass(frozen=True)
class StepTimes:
    """Seconds of each optimizer step and the last step's loss."""

    times: list[float]
    loss: float

    @property
    def step_s(self) -> float:
        """Median seconds per step after the first (which pays for kernel compilation and allocation)."""
        return statistics.median(self.times[1:] or self.times)

    def tokens_per_s(self, tokens_per_step: int) -> float:
        return tokens_per_step / self.step_s


def timed_steps(model: Any, optimizer: Any, ids: Any, steps: int) -> StepTimes:
    """`steps` full training steps on `ids` (forward with labels, backward, optimizer step), each timed to
    the end of its GPU work (CUDA is synchronized before the clock stops)."""
    import torch

    cuda = ids.device.type == "cuda"
    times: list[float] = []
    loss = torch.zeros(())
    for _ in range(steps):
        started = time.perf_counter()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - started)
    return StepTimes(times, float(loss.detach()))
