"""The built-in Kokoron's weights: the tiny model trained on this machine to speak short, in-character lines.

Why: a first `koclaw chat` with no model server should get words from Kokoron, not a fallback line. The
tiny Qwen3.5 model (:mod:`finetune.tiny`) is trained here, every weight, on the project's own trilingual
text: the small-talk lines of ``finetune/data/small_talk.yaml`` and the seed conversations cut to their
first sentences, rendered exactly as the runtime sends a turn to the built-in model (the short persona, no
tools, thinking off, the ``# Now`` note, earlier turns and recalled memories; :mod:`finetune.render`). It
learns patterns, not facts: greetings, care, its own nature, the address term and register of each
language, and stopping at ``<|im_end|>``.

The result is a small weights file shipped in the package (``finetune/weights``), so first use costs
seconds; ``python -m finetune.builtin`` regenerates it (deterministic for the same corpus and library
versions, ~10 minutes on 2 cores). :func:`finetune.tiny.save_tiny` loads it when the tokenizer it builds
is the one the weights were trained with, and says how to regenerate them when not.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from character.conversation import Conversation, MemoryNote, Message
from finetune.render import Setting, TurnSample, turn_samples

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerFast

WEIGHTS = "tiny-kokoron.safetensors"
META = "tiny-kokoron.json"
LANGS = ("zh", "ja", "en")
HISTORY_TURNS = 3
MAX_TOKENS = 640
"""Longest training sequence; the rare longer sample (a long seed turn) is left out, not cut."""
SEED_REPLY_CHARS = {"zh": 60, "ja": 70, "en": 160}
"""A seed reply is cut to its first sentences within this many characters: the built-in model speaks
in short lines, and a tiny model rambles on long targets."""
_SENTENCE_END = re.compile(r"(?<=[。！？!?…])|(?<=[.!?])\s")

Say = Callable[[str], None]


@dataclass(frozen=True)
class Example:
    """One training sequence: prompt ids (no loss) then completion ids (loss)."""

    ids: list[int]
    prompt_len: int


def weights_dir() -> Path:
    """Where the shipped weights live (inside the installed package)."""
    return Path(str(resources.files("finetune"))) / "weights"


def small_talk() -> list[dict[str, Any]]:
    """The small-talk intents: each with user lines and replies per language."""
    text = resources.files("finetune").joinpath("data/small_talk.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, list):
        raise ValueError("finetune/data/small_talk.yaml must be a list of intents")
    return data


def small_talk_texts() -> list[str]:
    """Every line of the small talk, for the tokenizer's corpus."""
    return [line for intent in small_talk() for lang in LANGS for part in ("user", "reply")
            for line in intent[lang][part]]  # fmt: skip


def setting() -> Setting:
    """What the runtime sends the built-in model: the short persona, no tools (see koclaw.cli.embedded)."""
    from character import load_profile, render_short_persona

    return Setting(render_short_persona(load_profile()), [])


def conversations(seed: int = 0) -> list[Conversation]:
    """The training conversations: every small-talk pair, chains of them, and the seeds cut short."""
    rng = random.Random(seed)
    intents = small_talk()
    pairs = {
        lang: [(u, r) for i in intents for u in i[lang]["user"] for r in i[lang]["reply"]] for lang in LANGS
    }
    made: list[Conversation] = []

    everything = [pair for lang in LANGS for pair in pairs[lang]]

    def add(lang: str, exchanges: Sequence[tuple[str, str]], tag: str) -> None:
        messages = [Message(role=role, content=text) for u, r in exchanges
                    for role, text in (("user", u), ("assistant", r))]  # fmt: skip
        # Recalled memories in any language: the reply's language comes from the message, not from them.
        notes = _memories(rng, everything) if rng.random() < 0.3 else []
        made.append(
            Conversation(
                id=f"builtin-{tag}-{len(made)}", language=lang, scenario="daily",
                source="excerpt", messages=messages, memories=notes,
            )
        )  # fmt: skip

    for lang in LANGS:
        for pair in pairs[lang]:
            add(lang, [pair], "pair")
        for _ in range(len(pairs[lang]) // 2):
            add(lang, rng.sample(pairs[lang], rng.randint(2, HISTORY_TURNS + 1)), "chain")
    # People switch languages: in these chains each exchange may be in another language than the one
    # before, so the model learns to answer in the message's language, not in the history's.
    for _ in range(len(everything) // 2):
        langs = [rng.choice(LANGS)]
        for _ in range(rng.randint(1, HISTORY_TURNS)):
            langs.append(
                langs[-1] if rng.random() < 0.3 else rng.choice([x for x in LANGS if x != langs[-1]])
            )
        add("mixed", [rng.choice(pairs[lang]) for lang in langs], "switch")
    for conversation in _short_seeds():
        made.append(conversation)
    return made


def _memories(rng: random.Random, pairs: Sequence[tuple[str, str]]) -> list[MemoryNote]:
    """A few earlier exchanges as the runtime recalls them (episodes), so a recalled section is familiar."""
    notes = []
    for user, reply in rng.sample(list(pairs), rng.randint(1, 3)):
        day = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        notes += [
            MemoryNote(text=user, date=day, kind="episode"),
            MemoryNote(text=reply, date=day, kind="episode"),
        ]
    return notes


def _short_seeds() -> Iterator[Conversation]:
    """The seed conversations with thinking and tool rounds dropped and each reply cut to its first
    sentences (mixed-language seeds are left out: their address rule is too subtle for a tiny model)."""
    from character.conversation import load_seeds
    from finetune.validate import split_think

    for conversation in load_seeds():
        if conversation.language not in LANGS:
            continue
        limit = SEED_REPLY_CHARS[conversation.language]
        messages: list[Message] = []
        for message in conversation.messages:
            if message.role == "user":
                if messages and messages[-1].role == "user":
                    messages.pop()  # its reply was a tool call only
                messages.append(Message(role="user", content=message.content))
            elif message.role == "assistant" and not message.tool_calls:
                visible = split_think(message.content)[1].strip()
                short = first_sentences(visible, limit)
                if short and messages and messages[-1].role == "user":
                    messages.append(Message(role="assistant", content=short))
        if messages and messages[-1].role == "user":
            messages.pop()
        if len(messages) >= 2:
            yield conversation.model_copy(update={"messages": messages, "memories": []})


def first_sentences(text: str, limit: int) -> str:
    """The longest run of whole first sentences within `limit` characters (the first one if it alone is
    longer: then cut at a comma, else empty)."""
    parts = [p.strip() for p in _SENTENCE_END.split(text.split("\n")[0]) if p and p.strip()]
    kept = ""
    for part in parts:
        joined = f"{kept} {part}" if kept and part[:1].isascii() else kept + part
        if len(joined) > limit:
            break
        kept = joined
    return kept


def samples(seed: int = 0) -> list[TurnSample]:
    """Every reply round of :func:`conversations`, rendered as the runtime sends it."""
    found: list[TurnSample] = []
    served = setting()
    for conversation in conversations(seed):
        found += turn_samples(conversation, "runtime", served, history_turns=HISTORY_TURNS)
    return [s for s in found if s.tool is None and not s.thinking]


def encode(tokenizer: PreTrainedTokenizerFast, rounds: Sequence[TurnSample]) -> list[Example]:
    """Token ids of each sample; those over :data:`MAX_TOKENS` are left out."""
    examples = []
    for sample in rounds:
        prompt = tokenizer(sample.prompt(tokenizer), add_special_tokens=False)["input_ids"]
        completion = tokenizer(sample.completion, add_special_tokens=False)["input_ids"]
        if len(prompt) + len(completion) <= MAX_TOKENS:
            examples.append(Example(list(prompt) + list(completion), len(prompt)))
    return examples


def _batches(examples: Sequence[Example], size: int, rng: random.Random) -> Iterator[list[Example]]:
    """Endless shuffled epochs of batches of similar length (less padding: the prompt dominates)."""
    ordered = sorted(examples, key=lambda e: len(e.ids))
    while True:
        batches = [ordered[i : i + size] for i in range(0, len(ordered), size)]
        rng.shuffle(batches)
        yield from batches


def tokenizer_sha256(tokenizer: PreTrainedTokenizerFast) -> str:
    """The tokenizer the weights belong to (its vocabulary, merges and special tokens)."""
    return hashlib.sha256(tokenizer.backend_tokenizer.to_str().encode("utf-8")).hexdigest()


def train(
    steps: int = 1500, batch: int = 16, lr: float = 3e-3, seed: int = 0, say: Say = print
) -> tuple[PreTrainedModel, PreTrainedTokenizerFast, dict[str, Any]]:
    """Build the tiny model and train every weight on :func:`samples`; returns model, tokenizer, facts."""
    import torch

    from finetune.tiny import build_tiny_model, build_tokenizer, corpus_texts

    started = time.monotonic()
    tokenizer = build_tokenizer(corpus_texts())
    model = build_tiny_model(tokenizer)
    rounds = samples(seed)
    examples = encode(tokenizer, rounds)
    say(f"{len(examples)} samples ({len(rounds) - len(examples)} over {MAX_TOKENS} tokens left out)")
    pad = tokenizer.pad_token_id
    rng = random.Random(seed)
    torch.manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.98), weight_decay=0.01)
    warmup = max(1, steps // 20)

    def rate(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    model.train()
    losses: list[float] = []
    for step, chosen in zip(range(steps), _batches(examples, batch, rng), strict=False):
        width = max(len(e.ids) for e in chosen)
        ids = torch.full((len(chosen), width), pad, dtype=torch.long)
        labels = torch.full((len(chosen), width), -100, dtype=torch.long)
        mask = torch.zeros((len(chosen), width), dtype=torch.long)
        for row, example in enumerate(chosen):
            n = len(example.ids)
            ids[row, :n] = torch.tensor(example.ids)
            labels[row, example.prompt_len : n] = ids[row, example.prompt_len : n]
            mask[row, :n] = 1
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        losses.append(float(loss.detach()))
        if step % 50 == 0 or step == steps - 1:
            recent = losses[-50:]
            mean = sum(recent) / len(recent)
            say(f"step {step + 1}/{steps}: loss {mean:.3f} ({time.monotonic() - started:.0f}s)")
    model.eval()
    facts = {
        "steps": steps, "batch": batch, "lr": lr, "seed": seed, "samples": len(examples),
        "final_loss": round(sum(losses[-50:]) / len(losses[-50:]), 4),
        "tokenizer_sha256": tokenizer_sha256(tokenizer),
        "seconds": round(time.monotonic() - started, 1),
        "trained_with": {n: metadata.version(n) for n in ("torch", "transformers", "tokenizers")},
    }  # fmt: skip
    return model, tokenizer, facts


def save(model: PreTrainedModel, facts: dict[str, Any], directory: Path) -> None:
    """The weights (safetensors, shared embedding stored once) and what they were trained with."""
    from safetensors.torch import save_model

    directory.mkdir(parents=True, exist_ok=True)
    save_model(model, str(directory / WEIGHTS))
    (directory / META).write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")


def load_into(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast, directory: Path | None = None
) -> dict[str, Any] | None:
    """Load the shipped weights into a freshly built tiny `model`; None when none are shipped.

    Raises ValueError when they were trained with another tokenizer (the corpus changed since)."""
    from safetensors.torch import load_model

    where = directory or weights_dir()
    if not (where / WEIGHTS).is_file():
        return None
    facts: dict[str, Any] = json.loads((where / META).read_text(encoding="utf-8"))
    if facts.get("tokenizer_sha256") != tokenizer_sha256(tokenizer):
        raise ValueError(
            "The built-in Kokoron's weights were trained with another tokenizer (the corpus changed since): "
            "regenerate them with `python -m finetune.builtin` (about 10 minutes on 2 cores)."
        )
    load_model(model, str(where / WEIGHTS))
    return facts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--out", type=Path, default=None, help="default: the package's finetune/weights")
    args = parser.parse_args(argv)
    model, _, facts = train(args.steps, args.batch, args.lr)
    save(model, facts, args.out or weights_dir())
    print(json.dumps(facts, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
