"""The conversation format (seeds, generator, dataset tools, training) and the seeds' loader.

Why in `character/`: the seed conversations are Kokoron's character data (the card importer and the
tiny model read them too); `finetune/` writes and trains on the same format.

One conversation per JSONL line. `character/conversation.schema.json` is this model's JSON Schema,
checked in so other tools (and people) can read the format without Python; a test keeps the two equal.

Why thinking lives inline: Qwen3.5 emits ``<think>...</think>`` at the start of an assistant turn, and
the Soul tier must learn exactly that shape, so an assistant ``content`` may open with one think block
and the visible reply follows it. Tool calls are structured (``tool_calls`` on the assistant turn, the
result in a following ``tool`` turn) and rendered as ``<tool_call>`` blocks by the exporter.
"""

from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

Language = Literal["zh", "ja", "en", "mixed"]
Scenario = Literal[
    "daily",
    "emotional_support",
    "work_assistance",
    "deep_discussion",
    "playful",
    "boundary",
    "language_switching",
    "special_event",
]
Source = Literal["seed", "generated", "targeted", "excerpt"]

LANGUAGES: tuple[Language, ...] = get_args(Language)
SCENARIOS: tuple[Scenario, ...] = get_args(Scenario)

SCHEMA_FILE = Path(__file__).with_name("conversation.schema.json")
SEED_DIR = Path(str(resources.files("character").joinpath("seeds")))

Id = Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToolCallSpec(_Model):
    """A tool Kokoron calls: the JSON form the runtime parses from ``<tool_call>`` blocks."""

    name: Annotated[str, Field(min_length=1, max_length=64)]
    arguments: dict[str, Any] = Field(default_factory=dict)


class MemoryNote(_Model):
    """One line of the long-term-memory section the runtime showed when this conversation happened."""

    text: Annotated[str, Field(min_length=1, max_length=2000)]
    date: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}")] = Field(description="ISO date it was learnt")
    kind: Annotated[str, Field(min_length=1, max_length=32)] = "fact"


class Message(_Model):
    role: Literal["system", "user", "assistant", "tool"]
    content: str
    kokoron_likely: str | None = Field(
        None, description="user turns from Phase 1: a hint of how Kokoron would respond"
    )
    tool_calls: list[ToolCallSpec] | None = Field(None, description="assistant turns only")
    name: str | None = Field(None, description="tool turns only: which tool produced this result")

    @model_validator(mode="after")
    def _fields_fit_role(self) -> Message:
        if self.kokoron_likely is not None and self.role != "user":
            raise ValueError("kokoron_likely belongs on user turns only")
        if self.tool_calls is not None and self.role != "assistant":
            raise ValueError("tool_calls belong on assistant turns only")
        if self.role == "tool" and not self.name:
            raise ValueError("a tool turn needs the tool's name")
        if self.name is not None and self.role != "tool":
            raise ValueError("name belongs on tool turns only")
        return self


class Conversation(_Model):
    """One training conversation. `messages` alternate user/assistant; tool turns follow a call."""

    id: Id
    language: Language
    scenario: Scenario
    source: Source = "seed"
    recipe: str | None = Field(None, description="targeted samples: the feedback recipe that made it")
    tags: list[str] = Field(default_factory=list)
    messages: list[Message] = Field(min_length=2)
    memories: list[MemoryNote] = Field(
        default_factory=list,
        max_length=40,
        description="the long-term-memory section of every turn (recalled facts; empty: nothing recalled)",
    )
    started_at: datetime | None = Field(
        None, description="when Sensei's first message was sent; the `# Now` note counts from it"
    )
    provenance: dict[str, Any] = Field(
        default_factory=dict, description="where it came from: teacher model, run, shard, merged files"
    )

    @model_validator(mode="after")
    def _turn_order(self) -> Conversation:
        check_turn_order(self.messages)
        return self

    def assistant_turns(self) -> list[Message]:
        return [m for m in self.messages if m.role == "assistant"]

    def user_turns(self) -> list[Message]:
        return [m for m in self.messages if m.role == "user"]


def check_turn_order(messages: list[Message]) -> None:
    """System first (optional), then user -> assistant pairs; tool results only answer a call."""
    expect_user = True
    pending_tools = 0
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if message.role == "system":
            if i != 0:
                raise ValueError(f"{where}: a system turn may only come first")
            continue
        if message.role == "tool":
            if pending_tools <= 0:
                raise ValueError(f"{where}: a tool result without a preceding tool call")
            pending_tools -= 1
            continue
        if pending_tools:
            raise ValueError(f"{where}: {pending_tools} tool call(s) before it got no result")
        if message.role == "user":
            if not expect_user:
                raise ValueError(f"{where}: two user turns in a row")
            expect_user = False
        else:
            if expect_user:
                raise ValueError(f"{where}: an assistant turn must answer a user turn")
            pending_tools = len(message.tool_calls or ())
            expect_user = not pending_tools  # after tool results Kokoron speaks again
    if pending_tools:
        raise ValueError("the conversation ends with unanswered tool calls")
    if not expect_user:
        raise ValueError("the conversation must end with Kokoron's reply")


def json_schema() -> dict[str, Any]:
    schema = Conversation.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://koclaw.dev/schemas/conversation.schema.json"
    return schema


def load_seeds(directory: Path = SEED_DIR) -> list[Conversation]:
    """Every seed conversation (`character/seeds/*.jsonl`), file by file."""
    seeds: list[Conversation] = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            if line.strip():
                seeds.append(Conversation.model_validate_json(line))
    return seeds


def write_json_schema(path: Path = SCHEMA_FILE) -> None:
    """Regenerate the checked-in schema: ``python -m character.conversation``."""
    path.write_text(json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_json_schema()
