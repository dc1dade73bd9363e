"""Loading base models, tokenizers and adapters with transformers + peft: one path for train, eval, serve.

Why one module: the three must agree on the device, the dtype, int8 quantization and how an adapter
folder is recognised, or an adapter evaluated one way is served another. torch/transformers/peft are
imported inside the functions (the runtime imports `finetune` without the training stack).

`TINY` (the string "tiny") names the offline tiny Kokoron wherever a base model name is accepted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from koclaw.errors import InputError
from memory.soul import check_adapter_files

check_adapter = check_adapter_files  # the finetune-side name for the one adapter-folder check

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

TINY = "tiny"
Dtype = Literal["auto", "bf16", "fp32"]
INT8_EXCLUDE = ("lm_head", "*.lm_head", "*visual*", "*vision_tower*")
"""Module-name patterns (fnmatch, as quanto's ``exclude``) that int8 leaves in full precision."""


@dataclass(frozen=True)
class Placement:
    device: str
    dtype_name: str

    @property
    def cuda(self) -> bool:
        return self.device.startswith("cuda")


def placement(dtype: Dtype = "auto", device: str | None = None) -> Placement:
    """CUDA when present; bf16 where the GPU supports it (fp16 gives NaN in Gated DeltaNet), else fp32."""
    import torch

    chosen = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if dtype == "auto":
        bf16 = chosen.startswith("cuda") and torch.cuda.is_bf16_supported()
        dtype = "bf16" if bf16 else "fp32"
    return Placement(chosen, dtype)


def resolve_base(name_or_path: str) -> str:
    """`tiny` builds (once) and returns the tiny model's folder; anything else is a hub name or path."""
    if name_or_path == TINY:
        from finetune.tiny import ensure_tiny

        return str(ensure_tiny())
    return name_or_path


def load_tokenizer(name_or_path: str) -> PreTrainedTokenizerBase:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(resolve_base(name_or_path))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_base(
    name_or_path: str, *, dtype: Dtype = "auto", int8: bool = False, device: str | None = None
) -> PreTrainedModel:
    """The base model on its device. With `int8`, quantize on the CPU first, then move (optimum-quanto).

    int8 covers the decoder layers only: the output head (and a vision tower, if the class has one) stays
    in full precision (`INT8_EXCLUDE`), as bitsandbytes' int8 loading also does, since rounding the head
    moves every logit. Never merge an adapter into an int8 base: quanto gives wrong output with no error.
    """
    import torch
    from transformers import AutoModelForCausalLM

    where = placement(dtype, device)
    torch_dtype = torch.bfloat16 if where.dtype_name == "bf16" else torch.float32
    try:
        model = AutoModelForCausalLM.from_pretrained(resolve_base(name_or_path), dtype=torch_dtype)
    except OSError as exc:
        raise InputError(
            f"Cannot load the base model {name_or_path!r}: {exc}. Pass a local folder, a hub name this "
            "machine can reach, or 'tiny' for the offline tiny model."
        ) from None
    if int8:
        from optimum.quanto import freeze, qint8, quantize

        quantize(model, weights=qint8, exclude=list(INT8_EXCLUDE))
        freeze(model)
    model.to(where.device)  # type: ignore[arg-type]  # transformers types .to oddly; it moves in place
    return model


def adapter_base(path: Path) -> str | None:
    """The base model an adapter was trained on: its manifest first, then PEFT's own config."""
    for name, key in (("manifest.json", "base_model"), ("adapter_config.json", "base_model_name_or_path")):
        file = path / name
        if file.is_file():
            try:
                value: Any = json.loads(file.read_text(encoding="utf-8")).get(key)
            except (ValueError, AttributeError):
                continue
            if value:
                return str(value)
    return None


def load_with_adapters(base: PreTrainedModel, adapters: dict[str, Path]) -> Any:
    """A PeftModel holding every adapter under its name (switch with `set_adapter`, or disable)."""
    from peft import PeftModel

    if not adapters:
        return base
    items = list(adapters.items())
    first_name, first_path = items[0]
    model = PeftModel.from_pretrained(base, str(check_adapter(first_path)), adapter_name=first_name)
    for name, path in items[1:]:
        model.load_adapter(str(check_adapter(path)), adapter_name=name)
    model.eval()
    return model
