"""Tools Kokoron can call, behind one small class (principle 1).

A tool names a pydantic model of its arguments (`Args`); the JSON schema sent as the native
`tools` parameter and listed in the prompt's "Tools" section is generated from it, and every
call's arguments are validated with it before the tool runs.

Calls arrive as `ToolCall` events: from native server tool calls, from `<tool_call>` blocks in
the text, or from a prompt-style JSON object the model wrote as its reply (see
`koclaw.llm.tool_calls.JsonCallDetector`). Every call gets an answer, even a bad one, so the model
can recover: a parse failure, an unknown tool, invalid arguments and a failing tool all come back
as a JSON `{"error": ...}` text, never as an exception.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from koclaw.events import ToolCall


def _now() -> datetime:
    return datetime.now().astimezone()


@dataclass(frozen=True, slots=True)
class ToolContext:
    """Who is calling, and when: tools act only within this person's scope."""

    channel: str
    chat_id: str
    user_id: str
    conversation_id: int
    now: datetime = field(default_factory=_now)  # the turn's time (aware), so one turn sees one clock
    language: str = "en"  # the detected language of the person's message
    user_name: str | None = None
    message_id: int | None = None  # the person's stored message that started this turn


class NoArgs(BaseModel):
    """For tools that take no arguments."""

    model_config = ConfigDict(extra="forbid")


ArgsT = TypeVar("ArgsT", bound=BaseModel)


class Tool(ABC, Generic[ArgsT]):
    """One tool. Subclasses set `name`, `description` and `Args`, and implement `run`."""

    name: str
    description: str
    Args: type[ArgsT]

    @abstractmethod
    async def run(self, args: ArgsT, context: ToolContext) -> str:
        """Do the work with validated arguments; return the result as text for the model."""

    @classmethod
    def schema(cls) -> dict[str, Any]:
        """The JSON schema of the arguments, without pydantic's titles (they only cost tokens)."""
        schema: dict[str, Any] = _untitled(cls.Args.model_json_schema())
        return schema

    @classmethod
    def spec(cls) -> dict[str, Any]:
        """The OpenAI `tools` entry (class-level: training renders it without the tool's services)."""
        return {
            "type": "function",
            "function": {"name": cls.name, "description": cls.description, "parameters": cls.schema()},
        }


AnyTool = Tool[Any]


class ToolRegistry:
    """The tools of one agent. Built-in ones are registered like any extra one (`default_tools`)."""

    def __init__(self, tools: Iterable[AnyTool] = ()) -> None:
        self.tools: dict[str, AnyTool] = {}
        self._specs: list[dict[str, Any]] | None = None
        for tool in tools:
            self.register(tool)

    def register(self, tool: AnyTool) -> None:
        if not tool.name or not tool.name.replace("_", "").isalnum():
            raise ValueError(f"tool name {tool.name!r} must be letters, digits and underscores")
        if tool.name in self.tools:
            raise ValueError(f"tool {tool.name!r} is registered twice")
        self.tools[tool.name] = tool
        self._specs = None

    def __contains__(self, name: object) -> bool:
        return name in self.tools

    def __len__(self) -> int:
        return len(self.tools)

    def specs(self) -> list[dict[str, Any]]:
        """The tools' OpenAI entries, built once: pydantic's schema generation costs ~1 ms a tool."""
        if self._specs is None:
            self._specs = [tool.spec() for tool in self.tools.values()]
        return self._specs

    async def execute(self, call: ToolCall, context: ToolContext) -> str:
        """Run a call; failures come back as an error text for the model, never as an exception."""
        if call.error:
            return tool_error(f"could not parse the tool call: {call.error}")
        tool = self.tools.get(call.name)
        if tool is None:
            known = ", ".join(sorted(self.tools)) or "none"
            return tool_error(f"unknown tool {call.name!r}; available tools: {known}")
        try:
            args = tool.Args.model_validate(call.arguments)
        except ValidationError as exc:
            return tool_error(f"invalid arguments for {call.name}: {_validation_text(exc)}")
        try:
            return await tool.run(args, context)
        except Exception as exc:  # a tool's failure is reported to the model, not raised
            return tool_error(f"{call.name} failed: {type(exc).__name__}: {exc}")


def tool_error(message: str) -> str:
    """The result text of a failed call."""
    return json.dumps({"error": message}, ensure_ascii=False)


def _validation_text(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_url=False, include_context=False, include_input=False):
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def _untitled(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _untitled(v) for k, v in schema.items() if not (k == "title" and isinstance(v, str))}
    if isinstance(schema, list):
        return [_untitled(v) for v in schema]
    return schema
