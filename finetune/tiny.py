"""The tiny Kokoron: a Qwen3.5-architecture model and tokenizer built offline from the project's own text.

Why it exists: no hub model can be downloaded here, yet the training, evaluation and serving code must run
on a real ``qwen3_5_text`` model with Qwen's ChatML, think tokens and tool blocks. This module builds one
from nothing: a byte-level BPE tokenizer trained on Kokoron's trilingual text (seed conversations, small
talk and the character profile, so Chinese and Japanese get real merges) and a model of about 0.6M
parameters (2.4 MB). Its weights are the shipped ones of :mod:`finetune.builtin` (trained here to speak
short in-character lines), or random when built from other texts. It knows no facts.

The chat template follows Qwen3.5's in every byte the runtime and the trainer depend on (ChatML turns, the
``<think>`` generation prompt, ``<tool_call><function=...>`` blocks, tool results as ``<tool_response>``
user turns) with two deliberate differences: assistant content is kept verbatim, think block included, in
every turn, and assistant output is wrapped in ``{% generation %}`` so trl's ``assistant_only_loss=True``
works. (The tools preamble is Qwen's, shortened.) Training renders one sample per model round with this
template's generation prompt (:mod:`finetune.render`), as on the real template.

torch, transformers and tokenizers are imported inside the functions: the runtime imports ``finetune``
without the training stack.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from finetune.builtin import load_into, small_talk_texts

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerFast

TINY_NAME = "tiny-kokoron"
TINY_FORMAT = 3
# The tied embedding is also the output head. At the usual init (std 0.02, row norm ~0.16 at hidden 64)
# logits stay within about +-1.3, so a LoRA on the frozen base cannot move the loss far from uniform;
# at std 1/sqrt(hidden) they can reach the range a trained model uses.
EMBEDDING_STD = 0.125
"""Bumped when the build changes shape: a saved model of another format is rebuilt."""

ENDOFTEXT, IM_START, IM_END = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
CONTROL_TOKENS = (ENDOFTEXT, IM_START, IM_END)
"""Special in the strict sense: ``skip_special_tokens`` drops them."""
MARKUP_TOKENS = (
    THINK_OPEN,
    THINK_CLOSE,
    "<tool_call>",
    "</tool_call>",
    "<tool_response>",
    "</tool_response>",
)
"""Single ids, but text the runtime parses, so decoding keeps them (as in Qwen's tokenizer)."""
SPECIAL_TOKENS = CONTROL_TOKENS + MARKUP_TOKENS

DEFAULT_VOCAB = 6000
DEFAULT_SEED = 0
MAX_POSITIONS = 8192

# Qwen3.5's pre-tokenizer (transformers' Qwen3_5Tokenizer): letter runs stay whole, so CJK merges form
# within a phrase, and digits are split one by one.
PRETOKENIZE_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}"
    r"| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

CHAT_TEMPLATE = r"""{%- macro text(content) -%}
    {%- if content is string -%}{{- content -}}
    {%- elif content is iterable and content is not mapping -%}
        {%- for part in content -%}{%- if part.text is defined -%}{{- part.text -}}{%- endif -%}{%- endfor -%}
    {%- endif -%}
{%- endmacro -%}
{%- if not messages -%}{{- raise_exception('No messages provided.') -}}{%- endif -%}
{%- if tools and tools is iterable and tools is not mapping -%}
    {{- '<|im_start|>system\n# Tools\n\nYou have access to the following functions:\n\n<tools>' -}}
    {%- for tool in tools -%}{{- '\n' + (tool | tojson) -}}{%- endfor -%}
    {{- '\n</tools>\n\nIf you choose to call a function ONLY reply in the following format' -}}
    {{- ' with NO suffix:\n\n<tool_call>\n<function=example_function_name>\n' -}}
    {{- '<parameter=example_parameter_1>\nvalue_1\n</parameter>\n</function>\n</tool_call>' -}}
    {%- if messages[0].role == 'system' and text(messages[0].content) -%}
        {{- '\n\n' + text(messages[0].content) -}}
    {%- endif -%}
    {{- '<|im_end|>\n' -}}
{%- elif messages[0].role == 'system' -%}
    {{- '<|im_start|>system\n' + text(messages[0].content) + '<|im_end|>\n' -}}
{%- endif -%}
{%- for message in messages -%}
    {%- set content = text(message.content) -%}
    {%- if message.role == 'system' -%}
        {%- if not loop.first -%}
            {{- raise_exception('System message must be at the beginning.') -}}
        {%- endif -%}
    {%- elif message.role == 'user' -%}
        {{- '<|im_start|>user\n' + content + '<|im_end|>\n' -}}
    {%- elif message.role == 'assistant' -%}
        {{- '<|im_start|>assistant\n' -}}
        {%- generation -%}
        {%- if message.reasoning_content is string and '</think>' not in content -%}
            {{- '<think>\n' + message.reasoning_content | trim + '\n</think>\n\n' -}}
        {%- endif -%}
        {{- content -}}
        {%- if message.tool_calls and message.tool_calls is iterable and message.tool_calls is not mapping -%}
            {%- for call in message.tool_calls -%}
                {%- if call.function is defined -%}{%- set call = call.function -%}{%- endif -%}
                {%- if not loop.first -%}{{- '\n' -}}
                {%- elif content.split('</think>')[-1] | trim -%}{{- '\n\n' -}}
                {%- endif -%}
                {{- '<tool_call>\n<function=' + call.name + '>\n' -}}
                {%- if call.arguments is defined and call.arguments is not mapping -%}
                    {{- raise_exception('Tool call arguments must be a mapping, not a JSON string.') -}}
                {%- endif -%}
                {%- for name, value in (call.arguments or {}) | items -%}
                    {{- '<parameter=' + name + '>\n' -}}
                    {%- if value is mapping or (value is sequence and value is not string) -%}
                        {{- value | tojson -}}
                    {%- else -%}
                        {{- value | string -}}
                    {%- endif -%}
                    {{- '\n</parameter>\n' -}}
                {%- endfor -%}
                {{- '</function>\n</tool_call>' -}}
            {%- endfor -%}
        {%- endif -%}
        {{- '<|im_end|>' -}}
        {%- endgeneration -%}
        {{- '\n' -}}
    {%- elif message.role == 'tool' -%}
        {%- if loop.first or loop.previtem.role != 'tool' -%}{{- '<|im_start|>user' -}}{%- endif -%}
        {{- '\n<tool_response>\n' + (content if message.content is string else message.content | tojson) -}}
        {{- '\n</tool_response>' -}}
        {%- if loop.last or loop.nextitem.role != 'tool' -%}{{- '<|im_end|>\n' -}}{%- endif -%}
    {%- else -%}
        {{- raise_exception('Unexpected message role: ' + message.role) -}}
    {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{- '<|im_start|>assistant\n<think>\n' -}}
    {%- if enable_thinking is defined and enable_thinking is false -%}{{- '\n</think>\n\n' -}}{%- endif -%}
{%- endif -%}"""
"""Qwen3.5 ChatML with verbatim assistant turns and generation markers (see the module docstring)."""

WHAT_TRAINED = "tiny Kokoron: trained on this machine's Kokoron text to speak short lines"
WHAT_RANDOM = "tiny Kokoron, randomly initialised: proves the pipeline only"

_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")

Progress = Callable[[str], None]


def corpus_texts() -> list[str]:
    """The project's own trilingual text: the character profile, the small talk, every seed conversation."""
    from character.conversation import load_seeds

    package = resources.files("character")
    texts = [
        package.joinpath(name).read_text(encoding="utf-8")
        for name in ("kokoron.yaml", "CHARACTER_PROFILE.md")
    ]
    texts += small_talk_texts()
    for conversation in load_seeds():
        for message in conversation.messages:
            texts.append(message.content)
            for call in message.tool_calls or ():
                texts.append(json.dumps({"name": call.name, "arguments": call.arguments}, ensure_ascii=False))
    return texts


def text_hash(texts: Iterable[str]) -> str:
    """sha256 over the texts in order: the manifest's record of what the tokenizer learned from."""
    digest = hashlib.sha256()
    for text in texts:
        data = text.encode("utf-8")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def build_tokenizer(texts: Iterable[str], vocab_size: int = DEFAULT_VOCAB) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE on `texts` and wrap it with Qwen's special tokens and chat template.

    Special-token strings are cut out of the training text so no merge is spent on spelling them; the
    tokens themselves get ids 0-8. Training is deterministic for the same texts and vocabulary size.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    def stripped() -> Iterable[str]:
        for text in texts:
            for token in SPECIAL_TOKENS:
                text = text.replace(token, "\n")
            yield text

    backend = Tokenizer(models.BPE())
    backend.normalizer = normalizers.NFC()
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(stripped(), trainer=trainer)

    # The trainer adds every special token as "special"; Qwen marks the markup tokens non-special so that
    # decode(skip_special_tokens=True) keeps <think> and <tool_call> for the runtime to parse.
    spec = json.loads(backend.to_str())
    for added in spec["added_tokens"]:
        added["special"] = added["content"] in CONTROL_TOKENS
    backend = Tokenizer.from_str(json.dumps(spec, ensure_ascii=False))

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        eos_token=IM_END,
        pad_token=ENDOFTEXT,
        unk_token=None,
        bos_token=None,
        model_max_length=MAX_POSITIONS,
        clean_up_tokenization_spaces=False,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_tiny_model(
    tokenizer: PreTrainedTokenizerFast,
    *,
    hidden_size: int = 64,
    num_layers: int = 4,
    seed: int = DEFAULT_SEED,
    embedding_std: float = EMBEDDING_STD,
) -> PreTrainedModel:
    """A randomly initialised ``Qwen3_5ForCausalLM``: Gated DeltaNet and full attention layers alternating.

    The global torch RNG is left as it was; the same seed and tokenizer give the same weights.
    """
    import torch
    from transformers import GenerationConfig, Qwen3_5ForCausalLM, Qwen3_5TextConfig

    if hidden_size % 16 or num_layers < 2:
        raise ValueError("hidden_size must be a multiple of 16 and num_layers at least 2")
    eos_id, pad_id = token_id(tokenizer, IM_END), token_id(tokenizer, ENDOFTEXT)
    heads = hidden_size // 16
    config = Qwen3_5TextConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 3,
        num_hidden_layers=num_layers,
        layer_types=[("linear_attention", "full_attention")[i % 2] for i in range(num_layers)],
        num_attention_heads=heads,
        num_key_value_heads=max(1, heads // 2),
        head_dim=16,
        linear_num_key_heads=max(1, heads // 2),
        linear_num_value_heads=heads,
        linear_key_head_dim=16,
        linear_value_head_dim=16,
        max_position_embeddings=MAX_POSITIONS,
        tie_word_embeddings=True,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
        bos_token_id=None,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen3_5ForCausalLM(config)
        with torch.no_grad():  # see EMBEDDING_STD
            embeddings = cast("torch.Tensor", model.get_input_embeddings().weight)
            embeddings.normal_(0.0, embedding_std)
            embeddings[pad_id].zero_()
    # As Qwen's generation config: either end token stops, and the greedy default keeps demos repeatable.
    model.generation_config = GenerationConfig.from_dict(
        {"eos_token_id": [eos_id, pad_id], "pad_token_id": pad_id, "do_sample": False, "max_new_tokens": 64}
    )
    model.eval()
    return model


def token_id(tokenizer: PreTrainedTokenizerFast, token: str) -> int:
    """The single id of `token` (one of :data:`SPECIAL_TOKENS`)."""
    found = tokenizer.convert_tokens_to_ids(token)
    if not isinstance(found, int):
        raise ValueError(f"{token!r} is not a single token")
    return found


def default_path() -> Path:
    """``$KOCLAW_HOME/models/tiny-kokoron``."""
    from koclaw.config import load_settings

    return load_settings().home / "models" / TINY_NAME


def is_complete(path: Path) -> bool:
    """True when `path` holds a finished build of this format (the manifest is written last)."""
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(manifest, dict) or manifest.get("format") != TINY_FORMAT:
        return False
    files = {*_REQUIRED_FILES, *manifest.get("files", ())}
    return all((path / name).is_file() for name in files)


def ensure_tiny(path: Path | None = None, progress: Progress | None = None) -> Path:
    """The tiny Kokoron's directory, built on first use (atomically: a temp dir renamed into place)."""
    target = Path(path) if path is not None else default_path()
    say = progress or (lambda _message: None)
    if is_complete(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    build_dir = Path(tempfile.mkdtemp(prefix=f".{target.name}.building-", dir=target.parent))
    try:
        say(f"Building the tiny Kokoron model in {target} (once)...")
        save_tiny(build_dir, say)
        if is_complete(target):  # a concurrent build finished first
            return target
        if target.exists():
            shutil.rmtree(target)  # an interrupted or outdated build
        try:
            os.rename(build_dir, target)
        except OSError:
            if not is_complete(target):  # not a concurrent build that finished first
                raise
    finally:
        shutil.rmtree(build_dir, ignore_errors=True)
    say(f"Tiny Kokoron ready in {time.monotonic() - started:.1f}s: {target}")
    return target


def save_tiny(
    directory: Path, progress: Progress | None = None, texts: Sequence[str] | None = None
) -> dict[str, Any]:
    """Build the tokenizer and model into `directory` and write manifest.json last; returns the manifest."""
    say = progress or (lambda _message: None)
    started = time.monotonic()
    corpus = list(texts) if texts is not None else corpus_texts()
    say(f"Training a byte-level BPE tokenizer on {len(corpus)} texts...")
    tokenizer = build_tokenizer(corpus)
    say(f"Building a Qwen3.5 model ({len(tokenizer)} tokens)...")
    model = build_tiny_model(tokenizer)
    trained = load_into(model, tokenizer) if texts is None else None  # the shipped weights, if any
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(directory)
    with _quiet_progress_bars():  # a one-shard "Writing model shards" bar is noise in a CLI's output
        model.save_pretrained(directory)
    config = model.config
    manifest = {
        "name": TINY_NAME,
        "what": WHAT_TRAINED if trained else WHAT_RANDOM,
        "trained": trained,
        "format": TINY_FORMAT,
        "model_type": config.model_type,
        "architecture": type(model).__name__,
        "vocab_size": len(tokenizer),
        "hidden_size": config.hidden_size,
        "num_hidden_layers": config.num_hidden_layers,
        "layer_types": list(config.layer_types),
        "parameters": sum(p.numel() for p in model.parameters()),
        "special_tokens": list(SPECIAL_TOKENS),
        "seed": DEFAULT_SEED,
        "source_texts": len(corpus),
        "source_sha256": text_hash(corpus),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_bytes": (directory / "model.safetensors").stat().st_size,
        "built_with": {name: metadata.version(name) for name in ("torch", "transformers", "tokenizers")},
        "build_seconds": round(time.monotonic() - started, 2),
        "files": sorted(p.name for p in directory.iterdir() if p.is_file()),
    }
    (directory / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return manifest


@contextmanager
def _quiet_progress_bars() -> Iterator[None]:
    from transformers.utils import logging

    was_enabled = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            logging.enable_progress_bar()
