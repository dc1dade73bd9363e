"""A tiny checkpoint in Qwen3.5-27B's real on-disk format, to test the pipeline as production runs it.

Why it exists: :mod:`finetune.tiny` builds the text-only class (``Qwen3_5ForCausalLM``, tied head, a chat
template of our own), which hides three traps of the real checkpoint: it declares the multimodal wrapper
``Qwen3_5ForConditionalGeneration`` (weights under ``model.language_model.*``, a vision tower under
``model.visual.*``, an untied ``lm_head``), so adapter keys differ between transformers and vLLM; and its
chat template is Qwen's own, which strips earlier turns' thinking and which trl recognises (it swaps in
its training template when it renders whole conversations). This module writes that format in seconds
on a CPU, offline and deterministic:

* ``config.json``: ``model_type`` ``qwen3_5``, ``architectures`` ``[Qwen3_5ForConditionalGeneration]``,
  a ``text_config`` with both layer kinds (Gated DeltaNet ``linear_attention`` and ``full_attention``), a
  small ``vision_config`` and ``tie_word_embeddings: false``;
* the tokenizer of :func:`finetune.tiny.build_tokenizer` (the project's trilingual BPE) plus Qwen's vision
  tokens, with the chat template replaced by trl's copy of the hub model's template
  (``trl/chat_templates/qwen3_5_think.jinja``), byte for byte.

``AutoModelForCausalLM`` loads the folder as ``Qwen3_5ForCausalLM`` (prefix remapped, vision ignored), as it
does the real 27B. It proves the pipeline only; it knows nothing.

torch, transformers and trl are imported inside the functions (the runtime imports ``finetune`` without
the training stack).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from finetune.tiny import (
    DEFAULT_SEED,
    EMBEDDING_STD,
    ENDOFTEXT,
    IM_END,
    MARKUP_TOKENS,
    MAX_POSITIONS,
    _quiet_progress_bars,
    build_tokenizer,
    corpus_texts,
    text_hash,
    token_id,
)

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerFast

REAL_NAME = "real-format-kokoron"
ARCHITECTURE = "Qwen3_5ForConditionalGeneration"
TEMPLATE_FILE = "qwen3_5_think.jinja"
VISION_START, VISION_END = "<|vision_start|>", "<|vision_end|>"
IMAGE_PAD, VIDEO_PAD = "<|image_pad|>", "<|video_pad|>"
VISION_TOKENS = (VISION_START, VISION_END, IMAGE_PAD, VIDEO_PAD)
"""Tokens the real template writes for images and videos; special (dropped by ``skip_special_tokens``)."""
TEMPLATE_TOKENS = ("<|im_start|>", IM_END, *MARKUP_TOKENS, *VISION_TOKENS)
"""Every marker the real template writes: each must be one token."""
VISION_CONFIG: dict[str, Any] = {
    "depth": 1,
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_heads": 2,
    "patch_size": 4,
    "spatial_merge_size": 2,
    "temporal_patch_size": 2,
    "num_position_embeddings": 16,
}
"""A one-block vision tower (``out_hidden_size`` is set to the text model's hidden size)."""


def real_template() -> str:
    """Qwen3.5's chat template as trl ships it (the hub model's, verbatim)."""
    try:
        import trl
    except ImportError as exc:
        raise RuntimeError(
            f"The real Qwen3.5 template comes with trl ({exc}): install the training extra."
        ) from None
    return (Path(trl.__file__).parent / "chat_templates" / TEMPLATE_FILE).read_text(encoding="utf-8")


def build_real_tokenizer(texts: Sequence[str] | None = None) -> PreTrainedTokenizerFast:
    """The tiny tokenizer with Qwen's vision tokens and the real Qwen3.5 chat template."""
    from tokenizers import AddedToken

    tokenizer = build_tokenizer(list(texts) if texts is not None else corpus_texts())
    tokenizer.add_tokens(
        [AddedToken(t, special=True, normalized=False) for t in VISION_TOKENS], special_tokens=True
    )
    tokenizer.chat_template = real_template()
    for token in TEMPLATE_TOKENS:
        token_id(tokenizer, token)  # raises unless it is one id
    return tokenizer


def build_real_model(
    tokenizer: PreTrainedTokenizerFast,
    *,
    hidden_size: int = 64,
    num_layers: int = 2,
    seed: int = DEFAULT_SEED,
    embedding_std: float = EMBEDDING_STD,
) -> PreTrainedModel:
    """A random ``Qwen3_5ForConditionalGeneration``: text layers alternate Gated DeltaNet and full
    attention, a one-block vision tower, an untied output head. The global torch RNG is left as it was."""
    import torch
    from transformers import GenerationConfig, Qwen3_5Config, Qwen3_5ForConditionalGeneration

    if hidden_size % 16 or num_layers < 2:
        raise ValueError("hidden_size must be a multiple of 16 and num_layers at least 2")
    eos_id, pad_id = token_id(tokenizer, IM_END), token_id(tokenizer, ENDOFTEXT)
    heads = hidden_size // 16
    text = {
        "vocab_size": len(tokenizer),
        "hidden_size": hidden_size,
        "intermediate_size": hidden_size * 3,
        "num_hidden_layers": num_layers,
        "layer_types": [("linear_attention", "full_attention")[i % 2] for i in range(num_layers)],
        "num_attention_heads": heads,
        "num_key_value_heads": max(1, heads // 2),
        "head_dim": 16,
        "linear_num_key_heads": max(1, heads // 2),
        "linear_num_value_heads": heads,
        "linear_key_head_dim": 16,
        "linear_value_head_dim": 16,
        "max_position_embeddings": MAX_POSITIONS,
        "tie_word_embeddings": False,
        "eos_token_id": eos_id,
        "pad_token_id": pad_id,
        "bos_token_id": None,
    }
    config = Qwen3_5Config(
        text_config=text,
        vision_config={**VISION_CONFIG, "out_hidden_size": hidden_size},
        image_token_id=token_id(tokenizer, IMAGE_PAD),
        video_token_id=token_id(tokenizer, VIDEO_PAD),
        vision_start_token_id=token_id(tokenizer, VISION_START),
        vision_end_token_id=token_id(tokenizer, VISION_END),
        tie_word_embeddings=False,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen3_5ForConditionalGeneration(config)
        with torch.no_grad():  # as finetune.tiny: logits in the range a trained model uses
            embeddings = cast("torch.Tensor", model.get_input_embeddings().weight)
            embeddings.normal_(0.0, embedding_std)
            embeddings[pad_id].zero_()
            head = cast("torch.Tensor", model.get_output_embeddings().weight)
            head.normal_(0.0, embedding_std)
    model.generation_config = GenerationConfig.from_dict(
        {"eos_token_id": [eos_id, pad_id], "pad_token_id": pad_id, "do_sample": False, "max_new_tokens": 64}
    )
    model.eval()
    return model


def build_real_format(
    path: Path,
    *,
    texts: Sequence[str] | None = None,
    hidden_size: int = 64,
    num_layers: int = 2,
    seed: int = DEFAULT_SEED,
) -> Path:
    """Write the tokenizer and a random model in Qwen3.5-27B's on-disk format into `path`; returns it.

    ``real_format.json`` (written last) records what was built; the same texts and seed give the same
    weights and tokenizer.
    """
    started = time.monotonic()
    corpus = list(texts) if texts is not None else corpus_texts()
    tokenizer = build_real_tokenizer(corpus)
    model = build_real_model(tokenizer, hidden_size=hidden_size, num_layers=num_layers, seed=seed)
    target = Path(path)
    target.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(target)
    with _quiet_progress_bars():
        model.save_pretrained(target)
    text_config = model.config.get_text_config()
    record = {
        "name": REAL_NAME,
        "what": "tiny model in Qwen3.5-27B's on-disk format: proves the pipeline only",
        "architecture": type(model).__name__,
        "model_type": model.config.model_type,
        "layer_types": list(text_config.layer_types),
        "hidden_size": hidden_size,
        "vocab_size": len(tokenizer),
        "tie_word_embeddings": False,
        "chat_template": f"trl/chat_templates/{TEMPLATE_FILE}",
        "seed": seed,
        "source_texts": len(corpus),
        "source_sha256": text_hash(corpus),
        "built_with": {
            name: metadata.version(name) for name in ("torch", "transformers", "tokenizers", "trl")
        },
        "build_seconds": round(time.monotonic() - started, 2),
    }
    (target / "real_format.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return target
