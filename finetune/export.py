"""Turn validated conversations into training files: the very samples ``koclaw finetune train`` trains on.

One code path: every row is a :class:`finetune.render.TurnSample`, one model round rendered as the runtime
sends it (:mod:`finetune.render`: the runtime's context, or the bare chat with ``--system none``), its tool
call in the runtime's one JSON format (``{"tool": ..., "arguments": ...}``, :func:`memory.working.json_call`),
thinking only where the data has it. So an exported file teaches what the runtime serves, and no second
tool format (no ``<tool_call>`` blocks): the runtime's Tools section teaches the JSON one and shows it back.

trl rows (``train.jsonl``) are the sample's fields: ``{"id", "messages", "thinking", "completion", "lang",
"tool"}``, the id being ``<conversation id>#<turn>.<round>``. Render ``messages`` with the base model's own
chat template (``add_generation_prompt=True, enable_thinking=thinking``) and train ``completion`` after
it: trl's prompt/completion text rows, as :func:`finetune.train.sample_rows` builds them
(``TurnSample(**row).prompt(tokenizer)``). Why no ready-made text: the prompt must be what the server's
template renders, which only the model's tokenizer can write; a hand-written ChatML drifts from it.

ShareGPT rows (LLaMA-Factory's tags: system, human, gpt, observation) are the same samples: the prompt
messages as turns, then the completion as the last ``gpt`` turn (with its ``<think>`` block when the round
thinks). A tool call is ``gpt`` text in the JSON format and a tool result an ``observation``, as the
runtime sends them; not ``function_call``, which LLaMA-Factory would render in a format the runtime never
parses. Train with ``mask_history: true``: the last turn is the round, the earlier ones are its context.

The held-out split hashes a group key with blake2b: exact and near duplicates (see
:mod:`finetune.dedupe`) share the key, so no copy of a held-out conversation is ever trained on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import secrets
import shutil
import stat
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from character.conversation import Conversation
from finetune.dataset import Record, write_lines_atomic
from finetune.render import END, Setting, TurnSample, samples_of, setting_for
from finetune.render import SystemMode as RenderMode

Format = Literal["trl", "sharegpt", "both"]
SystemMode = Literal["runtime", "persona", "none"]
FORMATS: tuple[Format, ...] = ("trl", "sharegpt", "both")
SYSTEM_MODES: tuple[SystemMode, ...] = ("runtime", "persona", "none")
"""``persona``, the CLI's older name, means ``runtime``: the runtime's context, persona included."""
SHAREGPT_TAGS = {"system": "system", "user": "human", "assistant": "gpt", "tool": "observation"}
_SPLIT_PERSON = b"koclaw-heldout"


def trl_row(sample: TurnSample) -> dict[str, Any]:
    """The sample as a JSON row; ``TurnSample(**row)`` reads it back."""
    return dataclasses.asdict(sample)


def reply(sample: TurnSample) -> str:
    """The round as an assistant message: think block (when the round thinks), then what the model wrote.

    The completion starts after the template's ``<think>\\n`` generation prompt, so the opener is added back.
    """
    text = sample.completion.removesuffix(END)
    return f"<think>\n{text}" if sample.thinking else text


def sharegpt_row(sample: TurnSample) -> dict[str, Any]:
    turns = [{"from": SHAREGPT_TAGS[m["role"]], "value": m["content"]} for m in sample.messages]
    return {"id": sample.id, "conversations": [*turns, {"from": "gpt", "value": reply(sample)}]}


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


def export_setting(system: SystemMode) -> Setting | None:
    """The runtime's setting for `system` (None for the bare chat); a broken profile is an InputError."""
    from character import ProfileError
    from koclaw.errors import InputError

    try:
        return None if system == "none" else setting_for("runtime")
    except ProfileError as exc:
        raise InputError(f"{exc} Fix the profile, or export with --system none.") from exc


@dataclass
class ExportResult:
    train: int
    heldout: int
    rejected: int
    rejects_by_code: dict[str, int]
    files: list[Path] = field(default_factory=list)
    samples: dict[str, int] = field(default_factory=dict)  # rounds written per part (train, heldout)

    def as_dict(self) -> dict[str, Any]:
        return {
            "train": self.train,
            "heldout": self.heldout,
            "rejected": self.rejected,
            "rejects_by_code": self.rejects_by_code,
            "samples": self.samples,
            "files": [str(f) for f in self.files],
        }


def export(
    records: Sequence[Record],
    out_dir: Path,
    *,
    fmt: Format = "trl",
    heldout: float = 0.1,
    system: SystemMode = "runtime",
    threshold: float = 0.8,
    history_turns: int | None = None,
) -> ExportResult:
    """Write train (and held-out) sample files for the accepted records; rejects are only counted.

    Files: ``train.jsonl``/``heldout.jsonl`` (trl) and ``train.sharegpt.jsonl``/
    ``heldout.sharegpt.jsonl``; the held-out files are written only when `heldout` > 0. `history_turns`
    keeps that many earlier exchanges in each sample (None: all), as ``finetune.train``'s setting does.
    """
    if not 0 <= heldout < 1:
        raise ValueError(f"heldout must be in [0, 1), got {heldout}")
    accepted = [r.conversation for r in records if r.ok and r.conversation is not None]
    rejects = Counter(code for r in records if not r.ok for code in r.verdict.codes)
    mode: RenderMode = "none" if system == "none" else "runtime"
    setting = export_setting(system)
    train, test = split(accepted, heldout, threshold=threshold)
    result = ExportResult(
        len(train), len(test), sum(1 for r in records if not r.ok), dict(rejects.most_common())
    )
    parts = [("train", train)] + ([("heldout", test)] if heldout > 0 else [])
    samples = {part: samples_of(items, mode, setting, history_turns) for part, items in parts}
    result.samples = {part: len(found) for part, found in samples.items()}
    writers = {"trl": (".jsonl", trl_row), "sharegpt": (".sharegpt.jsonl", sharegpt_row)}
    staged = _staging(out_dir)
    try:
        for name in ("trl", "sharegpt"):
            if fmt not in (name, "both"):
                continue
            suffix, row = writers[name]
            for part, found in samples.items():
                path = staged / f"{part}{suffix}"
                write_lines_atomic(path, (json.dumps(row(s), ensure_ascii=False) for s in found))
                result.files.append(out_dir / path.name)
        _swap_in(staged, out_dir)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return result


SET_FILES = ("train.jsonl", "heldout.jsonl", "train.sharegpt.jsonl", "heldout.sharegpt.jsonl")
"""Every file an export may write: one export's set is never mixed with another's."""


def _staging(out_dir: Path) -> Path:
    """An empty folder beside `out_dir` (same file system, so the swap is renames only)."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staged = out_dir.parent / f".{out_dir.name}.export-{os.getpid()}-{secrets.token_hex(4)}"
    staged.mkdir()
    return staged


def _swap_in(staged: Path, out_dir: Path) -> None:
    """Put the staged set in place of the old one, so a held-out file of an earlier export never sits
    beside this export's train file: the whole folder is swapped when it holds nothing but a set;
    otherwise the old set's files are removed and the new ones renamed in (a window of renames only)."""
    if not out_dir.is_dir():
        staged.rename(out_dir)
        return
    if not out_dir.is_symlink() and all(p.name in SET_FILES for p in out_dir.iterdir()):
        staged.chmod(stat.S_IMODE(out_dir.stat().st_mode))
        old = staged.with_name(staged.name + ".old")
        out_dir.rename(old)
        staged.rename(out_dir)
        shutil.rmtree(old, ignore_errors=True)
        return
    written = {p.name for p in staged.iterdir()}
    for name in SET_FILES:
        if name not in written:
            (out_dir / name).unlink(missing_ok=True)
    for name in written:
        os.replace(staged / name, out_dir / name)
