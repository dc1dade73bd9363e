"""Tools Kokoron can call, behind one small class (principle 1).

Calls arrive as `ToolCall` events, from native server tool calls or from `<tool_call>` JSON in
the text. Every call gets an answer, even a bad one, so the model can recover.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from koclaw.events import ToolCall


@dataclass(frozen=True, slots=True)
class ToolContext:
    """Who is calling: tools act only within this person's scope."""

    channel: str
    chat_id: str
    user_id: str
    conversation_id: int


class Tool(ABC):
    name: str
    description: str
    parameters: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}

    @abstractmethod
    async def run(self, arguments: dict[str, Any], context: ToolContext) -> str:
        """Do the work; return the result as text for the model."""

    def spec(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }


class ToolRegistry:
    def __init__(self, tools: list[Tool] | None = None) -> None:
        self.tools: dict[str, Tool] = {}
        for tool in tools or []:
            self.register(tool)

    def register(self, tool: Tool) -> None:
        if tool.name in self.tools:
            raise ValueError(f"tool {tool.name!r} is registered twice")
        self.tools[tool.name] = tool

    def specs(self) -> list[dict[str, Any]]:
        return [tool.spec() for tool in self.tools.values()]

    async def execute(self, call: ToolCall, context: ToolContext) -> str:
        """Run a call; failures come back as an error text for the model, never as an exception."""
        if call.error:
            return _error(f"could not parse the tool call: {call.error}")
        tool = self.tools.get(call.name)
        if tool is None:
            known = ", ".join(sorted(self.tools)) or "none"
            return _error(f"unknown tool {call.name!r}; available tools: {known}")
        try:
            return await tool.run(call.arguments, context)
        except Exception as exc:  # a tool's failure is reported to the model, not raised
            return _error(f"{call.name} failed: {type(exc).__name__}: {exc}")


def _error(message: str) -> str:
    return json.dumps({"error": message}, ensure_ascii=False)
