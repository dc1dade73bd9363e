"""What `koclaw finetune eval` asks: the probes and the held-out rounds, rendered as the runtime sends them.

Why through :mod:`finetune.render`: the Soul is trained on the runtime's own context (Soul, Tools,
long-term memory, session, the ``# Now`` note: :func:`memory.working.build`), so it must be judged on that
same context, or the scores measure a prompt it never sees. A probe becomes a one-turn conversation (its
``context`` as the session, its ``memories`` as the memory section) and goes through the same
:func:`finetune.render.turn_samples` as a held-out conversation; with ``system="none"`` both are the
bare chat, as the tiny model is trained.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from character import BaseLang, analyse_language
from character.conversation import Conversation, MemoryNote
from finetune.metrics import invalid_file, load_yaml
from finetune.render import Setting, SystemMode, TurnSample, samples_of, setting_for, turn_samples
from finetune.validate import (
    MAX_CONVERSATION_CHARS,
    conversation_chars,
    surrogate_problem,
    tool_argument_models,
)
from koclaw.errors import InputError

PROBES_FILE = Path(__file__).with_name("probes.yaml")
PLACEHOLDER = "…"  # the reply a probe conversation needs to be valid; never shown to the model
Source = Literal["probe", "heldout"]
T = TypeVar("T")
_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
_TOOL_BLOCK = re.compile(r"<tool_call>(.*?)</tool_call>", re.DOTALL)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Turn(_Strict):
    role: Literal["user", "assistant"]
    content: str = Field(min_length=1)


class Probe(_Strict):
    """One message from Sensei, the language the reply must be in, and what else the reply is judged on:
    the tool it must call, the remembered fact it must use (``must_mention``, any one term, with the fact
    in ``memories``), or Sensei's likes it must not claim as hers (``not_her_own``)."""

    id: str = Field(min_length=1, max_length=100, pattern=_ID)
    lang: BaseLang
    say: str = Field(min_length=1)
    context: list[Turn] = Field(default_factory=list)
    tool: str | None = None
    memories: list[MemoryNote] = Field(default_factory=list, max_length=40)
    must_mention: list[str] = Field(default_factory=list)
    not_her_own: list[str] = Field(default_factory=list)

    @field_validator("tool")
    @classmethod
    def _known_tool(cls, tool: str | None) -> str | None:
        if tool is not None and tool not in tool_argument_models():
            raise ValueError(f"unknown tool {tool!r} (known: {', '.join(tool_argument_models())})")
        return tool

    @model_validator(mode="after")
    def _consistent(self) -> Probe:
        roles = [turn.role for turn in self.context]
        if roles != ["user", "assistant"] * (len(roles) // 2) or len(roles) % 2:
            raise ValueError("context must alternate user, assistant, ... and end with Kokoron's reply")
        if (self.must_mention or self.not_her_own) and not self.memories:
            raise ValueError("must_mention / not_her_own judge the memory section: give the probe memories")
        if self.tool and (self.must_mention or self.not_her_own):
            raise ValueError("a tool probe is judged on its call only: drop must_mention / not_her_own")
        return self

    @property
    def category(self) -> str:
        if self.tool:
            return "tool"
        if self.must_mention:
            return "memory"
        return "identity" if self.not_her_own else "chat"


class ProbeSet(_Strict):
    probes: list[Probe] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ProbeSet:
        ids = [p.id for p in self.probes]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate probe ids: {sorted({i for i in ids if ids.count(i) > 1})}")
        return self


@dataclass(frozen=True)
class Prompt:
    """One generation to run: the runtime's messages for it and what the reply is judged against."""

    id: str
    source: Source
    lang: BaseLang
    sample: TurnSample
    expect_tool: str | None = None
    must_mention: tuple[str, ...] = ()
    not_her_own: tuple[str, ...] = ()
    conversation: str = ""

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.sample.messages

    def render(self, tokenizer: Any, thinking: bool) -> str:
        """The text the server would render for this request (the sample's own template call)."""
        return replace(self.sample, thinking=thinking).prompt(tokenizer)


def load_probes(path: Path | None = None) -> list[Probe]:
    source = path or PROBES_FILE
    try:
        return ProbeSet.model_validate(load_yaml(source, "probes")).probes
    except ValidationError as exc:
        raise invalid_file(source, exc) from None


eval_setting = setting_for
"""The runtime's persona and tools (either left out on request); None for the bare chat. The same
helper builds the trainer's samples, so evaluation renders what training rendered."""


def choose_system(
    explicit: SystemMode | None, persona: bool | None, tools: bool | None, trained: SystemMode | None
) -> tuple[SystemMode, str]:
    """The context to evaluate with and why: ``--system``, else ``--no-persona --no-tools`` (the old way
    to ask for the bare chat), else what the adapter was trained with, else the runtime's."""
    if explicit is not None:
        return explicit, "--system"
    if persona is False and tools is False:
        return "none", "--no-persona --no-tools"
    if trained is not None:
        return trained, "the adapter's manifest (config.system)"
    return "runtime", "the default (the adapter's manifest does not say)"


def trained_config(folder: Path | None) -> dict[str, Any]:
    """The training config the adapter's manifest.json records (``config``), or {}."""
    if folder is None:
        return {}
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    config = manifest.get("config") if isinstance(manifest, dict) else None
    return config if isinstance(config, dict) else {}


def trained_system(config: dict[str, Any]) -> SystemMode | None:
    value = config.get("system")
    return value if value in ("runtime", "none") else None


def probe_conversation(probe: Probe) -> Conversation:
    """The probe as a conversation the renderer takes: context, the message, a placeholder reply."""
    turns = [{"role": t.role, "content": t.content} for t in probe.context]
    messages = [*turns, {"role": "user", "content": probe.say}, {"role": "assistant", "content": PLACEHOLDER}]
    return Conversation.model_validate(
        {
            "id": probe.id,
            "language": probe.lang,
            "scenario": "daily",
            "messages": messages,
            "memories": [m.model_dump() for m in probe.memories],
        }
    )


def probe_prompts(probes: Sequence[Probe], system: SystemMode, setting: Setting | None) -> list[Prompt]:
    """One prompt per probe, rendered as the runtime would send its message. With ``system="none"``
    there is no memory section, so the memory checks are left out (the probe still counts for the rest)."""
    prompts = []
    for probe in probes:
        sample = turn_samples(probe_conversation(probe), system, setting)[-1]
        shown = system == "runtime"
        prompts.append(
            Prompt(
                probe.id,
                "probe",
                probe.lang,
                sample,
                probe.tool,
                tuple(probe.must_mention) if shown else (),
                tuple(probe.not_her_own) if shown else (),
                probe.id,
            )
        )
    return prompts


def read_heldout(path: Path) -> list[Conversation]:
    """The held-out conversations: one Conversation per line (what the trainer writes), or the older
    trl rows ``{"id", "messages"}`` (converted: think and ``<tool_call>`` blocks inline)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"Cannot read the held-out file {path}: {exc}.") from None
    out: list[Conversation] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise ValueError("not a JSON object")
            if "completion" in row:  # trl prompt/completion rows, or `finetune export`'s sample rows
                raise InputError(
                    f"{path}:{number} is a prompt/completion training row, not a conversation: pass the "
                    "held-out conversations (adapter/heldout.jsonl from a current `koclaw finetune train`, "
                    "one Conversation per line), or retrain to get one."
                )
            if problem := surrogate_problem(row):
                raise ValueError(str(problem))
            conversation = Conversation.model_validate(row) if "language" in row else _from_trl(row, number)
            if (chars := conversation_chars(conversation)) > MAX_CONVERSATION_CHARS:  # before tokenizing
                raise ValueError(f"{chars:,} characters, over validate's limit of {MAX_CONVERSATION_CHARS:,}")
            out.append(conversation)
        except (ValueError, TypeError, KeyError) as exc:
            raise InputError(
                f"{path}:{number} is not a held-out conversation ({type(exc).__name__}: {str(exc)[:300]}); "
                "pass adapter/heldout.jsonl from `koclaw finetune train`, or conversations (JSONL)."
            ) from None
    if not out:
        raise InputError(f"{path} holds no conversations.")
    return out


def _from_trl(row: dict[str, Any], number: int) -> Conversation:
    """An older trl export row as a Conversation: system dropped, ``<tool_call>`` blocks as tool_calls."""
    from koclaw.llm.tool_calls import parse_tool_call

    messages: list[dict[str, Any]] = []
    pending: list[str] = []
    for message in row["messages"]:
        role, content = str(message["role"]), str(message["content"])
        if role == "assistant":
            calls = [parse_tool_call(body) for body in _TOOL_BLOCK.findall(content)]
            specs = [{"name": c.name, "arguments": c.arguments} for c in calls if not c.error]
            text = _TOOL_BLOCK.sub("", content).rstrip()
            messages.append({"role": role, "content": text, **({"tool_calls": specs} if specs else {})})
            pending = [c.name for c in calls if not c.error]
        elif role == "tool":
            messages.append({"role": role, "content": content, "name": pending.pop(0) if pending else "tool"})
        elif role == "user":
            messages.append({"role": role, "content": content})
    first = next((m["content"] for m in messages if m["role"] == "user"), "")
    raw_id = str(row.get("id") or f"line-{number}")
    return Conversation.model_validate(
        {
            "id": raw_id if re.match(_ID, raw_id) else f"line-{number}",
            "language": analyse_language(first).dominant,
            "scenario": "daily",
            "messages": messages,
        }
    )


def heldout_prompts(
    conversations: Sequence[Conversation], system: SystemMode, setting: Setting | None
) -> list[Prompt]:
    """One prompt per model round of each held-out conversation: exactly the training samples."""
    return [
        Prompt(s.id, "heldout", s.lang, s, s.tool, conversation=s.conversation)
        for s in samples_of(conversations, system, setting)
    ]


def spread(items: Sequence[T], limit: int | None, key: Callable[[T], Hashable]) -> list[T]:
    """At most `limit` items, taken in turn from each group (`key`), so a limit keeps every kind."""
    if limit is None or limit >= len(items):
        return list(items)
    groups: dict[Hashable, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    chosen: list[T] = []
    while len(chosen) < limit:
        for group in groups.values():
            if group and len(chosen) < limit:
                chosen.append(group.pop(0))
    return chosen


def plan(
    probes: Sequence[Probe],
    heldout: Sequence[Conversation],
    system: SystemMode,
    setting: Setting | None,
    limit: int | None = None,
) -> tuple[list[Prompt], list[TurnSample]]:
    """The prompts to generate (``limit`` probes spread over kinds and languages, ``limit`` held-out
    rounds spread over conversations) and the samples whose loss is measured: every round of the
    held-out conversations that have a chosen round."""
    chosen = spread(probes, limit, lambda p: (p.category, p.lang))
    rounds = heldout_prompts(heldout, system, setting)
    turns = spread(rounds, limit, lambda p: p.conversation)
    turns.sort(key=lambda p: rounds.index(p))
    used = {p.conversation for p in turns}
    measured = [p.sample for p in rounds if p.conversation in used]
    return probe_prompts(chosen, system, setting) + turns, measured
