"""Turn validated conversations into what trainers read: trl's conversational JSONL and ShareGPT.

trl rows are ``{"id", "messages", "text"}``. `messages` is what trl's SFTTrainer applies the model's
chat template to; `text` is the same conversation already rendered in Qwen's ChatML, for trainers
that take plain text, and differs from Qwen3's own template on purpose in one way: the ``<think>``
block is kept in *every* assistant turn (the template drops it from earlier turns), because the Soul
tier must learn to think the same way on turn five as on turn one. Tool calls are rendered as Qwen's
``<tool_call>`` blocks after the reply, tool results as a user turn of ``<tool_response>`` blocks,
exactly as the runtime parses and sends them.

ShareGPT follows LLaMA-Factory's tags (system, human, gpt, function_call, observation). A tool call
is a ``function_call`` whose value is the call's JSON (a list for several), preceded by the think
block when the turn has no visible text; consecutive tool results become one ``observation`` joined
so that LLaMA-Factory's qwen template reproduces the ChatML above.

The held-out split hashes a group key with blake2b: exact and near duplicates (see
:mod:`finetune.dedupe`) share the key, so no copy of a held-out conversation is ever trained on.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from finetune.dataset import Record, write_lines_atomic
from finetune.schema import Conversation, Message, ToolCallSpec
from finetune.validate import split_think

Format = Literal["trl", "sharegpt", "both"]
SystemMode = Literal["persona", "none"]
FORMATS: tuple[Format, ...] = ("trl", "sharegpt", "both")
SYSTEM_MODES: tuple[SystemMode, ...] = ("persona", "none")
_SPLIT_PERSON = b"koclaw-heldout"
_RESPONSE_JOIN = "\n</tool_response>\n<tool_response>\n"


def think_prefix(content: str) -> tuple[str, str]:
    """``(canonical think block or "", visible text)``: Qwen's ``<think>\\n...\\n</think>\\n\\n`` form."""
    thinking, visible = split_think(content)
    return (f"<think>\n{thinking}\n</think>\n\n" if thinking is not None else ""), visible


def tool_call_json(call: ToolCallSpec) -> str:
    return json.dumps({"name": call.name, "arguments": call.arguments}, ensure_ascii=False)


def assistant_content(message: Message) -> str:
    """The assistant turn as the model writes it: think block, reply, then ``<tool_call>`` blocks."""
    head, visible = think_prefix(message.content)
    blocks = [f"<tool_call>\n{tool_call_json(call)}\n</tool_call>" for call in message.tool_calls or ()]
    return head + visible + ("\n" if visible and blocks else "") + "\n".join(blocks)


def trl_messages(conversation: Conversation, system: str | None) -> list[dict[str, str]]:
    """Chat messages; `system` is added unless the conversation brings its own system turn."""
    messages: list[dict[str, str]] = []
    if system and conversation.messages[0].role != "system":
        messages.append({"role": "system", "content": system})
    for message in conversation.messages:
        content = assistant_content(message) if message.role == "assistant" else message.content
        messages.append({"role": message.role, "content": content})
    return messages


def chatml(messages: Sequence[dict[str, str]]) -> str:
    """Qwen ChatML; consecutive tool results share one user turn, as in Qwen's template."""
    parts: list[str] = []
    for i, message in enumerate(messages):
        if message["role"] != "tool":
            parts.append(f"<|im_start|>{message['role']}\n{message['content']}<|im_end|>\n")
            continue
        if i == 0 or messages[i - 1]["role"] != "tool":
            parts.append("<|im_start|>user")
        parts.append(f"\n<tool_response>\n{message['content']}\n</tool_response>")
        if i == len(messages) - 1 or messages[i + 1]["role"] != "tool":
            parts.append("<|im_end|>\n")
    return "".join(parts)


def trl_row(conversation: Conversation, system: str | None) -> dict[str, Any]:
    messages = trl_messages(conversation, system)
    return {"id": conversation.id, "messages": messages, "text": chatml(messages)}


def sharegpt_row(conversation: Conversation, system: str | None) -> dict[str, Any]:
    turns: list[dict[str, str]] = []
    if system and conversation.messages[0].role != "system":
        turns.append({"from": "system", "value": system})
    for message in conversation.messages:
        if message.role == "assistant":
            head, visible = think_prefix(message.content)
            calls = message.tool_calls or []
            if visible or not calls:
                turns.append({"from": "gpt", "value": head + visible})
                head = ""
            if calls:
                payload = [json.loads(tool_call_json(c)) for c in calls]
                value = json.dumps(payload[0] if len(payload) == 1 else payload, ensure_ascii=False)
                turns.append({"from": "function_call", "value": head + value})
        elif message.role == "tool":
            if turns and turns[-1]["from"] == "observation":
                turns[-1]["value"] += _RESPONSE_JOIN + message.content
            else:
                turns.append({"from": "observation", "value": message.content})
        else:
            turns.append({"from": "human" if message.role == "user" else "system", "value": message.content})
    return {"id": conversation.id, "conversations": turns}


def heldout_bucket(key: str) -> float:
    """A stable number in [0, 1) for a group key (blake2b, so every run and machine agrees)."""
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8, person=_SPLIT_PERSON).digest()
    return int.from_bytes(digest, "big") / 2**64


def split(
    conversations: Sequence[Conversation], heldout: float, *, threshold: float = 0.8
) -> tuple[list[Conversation], list[Conversation]]:
    """(train, heldout). A group of duplicates is keyed by its smallest id and lands on one side."""
    if heldout <= 0 or not conversations:
        return list(conversations), []
    from finetune.dedupe import conversation_text, group_labels

    labels = group_labels([conversation_text(c) for c in conversations], threshold=threshold)
    keys: dict[int, str] = {}
    for label, conversation in zip(labels, conversations, strict=True):
        keys[label] = min(keys.get(label, conversation.id), conversation.id)
    held = {label for label, key in keys.items() if heldout_bucket(key) < heldout}
    train = [c for label, c in zip(labels, conversations, strict=True) if label not in held]
    test = [c for label, c in zip(labels, conversations, strict=True) if label in held]
    return train, test


def system_prompt(mode: SystemMode) -> str | None:
    if mode == "none":
        return None
    from character import ProfileError, load_profile, render_persona
    from koclaw.errors import InputError

    try:
        return render_persona(load_profile())
    except ProfileError as exc:
        raise InputError(f"{exc} Fix the profile, or export with --system none.") from exc


@dataclass
class ExportResult:
    train: int
    heldout: int
    rejected: int
    rejects_by_code: dict[str, int]
    files: list[Path] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "train": self.train,
            "heldout": self.heldout,
            "rejected": self.rejected,
            "rejects_by_code": self.rejects_by_code,
            "files": [str(f) for f in self.files],
        }


def export(
    records: Sequence[Record],
    out_dir: Path,
    *,
    fmt: Format = "trl",
    heldout: float = 0.1,
    system: SystemMode = "persona",
    threshold: float = 0.8,
) -> ExportResult:
    """Write train (and held-out) files for the accepted records; rejects are only counted.

    Files: ``train.jsonl``/``heldout.jsonl`` (trl) and ``train.sharegpt.jsonl``/
    ``heldout.sharegpt.jsonl``; the held-out files are written only when `heldout` > 0.
    """
    if not 0 <= heldout < 1:
        raise ValueError(f"heldout must be in [0, 1), got {heldout}")
    accepted = [r.conversation for r in records if r.ok and r.conversation is not None]
    rejects = Counter(code for r in records if not r.ok for code in r.verdict.codes)
    prompt = system_prompt(system)
    train, test = split(accepted, heldout, threshold=threshold)
    result = ExportResult(
        len(train), len(test), sum(1 for r in records if not r.ok), dict(rejects.most_common())
    )
    parts: list[tuple[str, list[Conversation]]] = [("train", train)] + (
        [("heldout", test)] if heldout > 0 else []
    )
    writers = {"trl": (".jsonl", trl_row), "sharegpt": (".sharegpt.jsonl", sharegpt_row)}
    for name in ("trl", "sharegpt"):
        if fmt not in (name, "both"):
            continue
        suffix, row = writers[name]
        for part, items in parts:
            path = out_dir / f"{part}{suffix}"
            write_lines_atomic(path, (json.dumps(row(c, prompt), ensure_ascii=False) for c in items))
            result.files.append(path)
    return result
