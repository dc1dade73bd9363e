"""The tool registry (pydantic arguments, schema, errors as results), current_time, JSON call detection."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, Field

from koclaw.events import ToolCall
from koclaw.llm.tool_calls import JsonCallDetector, detect_json_call
from koclaw.llm.tools import Tool, ToolContext, ToolRegistry
from koclaw.tools import default_tools

CTX = ToolContext("cli", "cli:alice", "alice", 1, now=datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC))


class EchoArgs(BaseModel):
    text: str = Field(description="what to echo")
    times: int = 1


class Echo(Tool[EchoArgs]):
    name = "echo"
    description = "Says it again."
    Args = EchoArgs

    async def run(self, args: EchoArgs, context: ToolContext) -> str:
        if args.times < 0:
            raise RuntimeError("negative")
        return args.text * args.times


def run(registry: ToolRegistry, name: str, **arguments: object) -> str:
    return asyncio.run(registry.execute(ToolCall(name=name, arguments=dict(arguments)), CTX))


def test_spec_schema_comes_from_the_args_model() -> None:
    spec = ToolRegistry([Echo()]).specs()[0]
    assert spec["type"] == "function" and spec["function"]["name"] == "echo"
    params = spec["function"]["parameters"]
    assert params["required"] == ["text"] and params["properties"]["times"]["type"] == "integer"
    assert "title" not in params and params["properties"]["text"]["description"] == "what to echo"


def test_validated_arguments_run_and_bad_ones_come_back_as_errors() -> None:
    registry = ToolRegistry([Echo()])
    assert run(registry, "echo", text="ha", times=2) == "haha"
    error = json.loads(run(registry, "echo", times="many"))["error"]
    assert "invalid arguments for echo" in error and "text" in error and "times" in error
    assert "negative" in json.loads(run(registry, "echo", text="x", times=-1))["error"]
    assert "unknown tool 'nope'" in run(registry, "nope")
    bad = ToolCall(name="", raw="{", error="not json")
    assert "could not parse" in asyncio.run(registry.execute(bad, CTX))


def test_registration_rules() -> None:
    registry = default_tools(Echo())
    assert list(registry.tools) == ["current_time", "echo"]
    with pytest.raises(ValueError, match="twice"):
        registry.register(Echo())


def test_current_time_local_and_named_zone() -> None:
    registry = default_tools()
    assert run(registry, "current_time").startswith("2025-03-04 (Tuesday) 05:06:07 UTC")
    assert run(registry, "current_time", timezone="Asia/Tokyo").startswith(
        "2025-03-04 (Tuesday) 14:06:07 Asia/Tokyo (UTC+09:00)"
    )
    assert "unknown time zone" in json.loads(run(registry, "current_time", timezone="Mars/Base"))["error"]
    assert "invalid arguments" in run(registry, "current_time", zone="UTC")  # extra keys are refused


@pytest.mark.parametrize(
    "text",
    [
        '{"tool": "current_time", "arguments": {"timezone": "Asia/Tokyo"}}',
        '  {"name": "current_time", "arguments": {"timezone": "Asia/Tokyo"}}\n',
        '```json\n{"tool": "current_time", "arguments": {"timezone": "Asia/Tokyo"}}\n```',
        '```\n{"name": "current_time", "arguments": "{\\"timezone\\": \\"Asia/Tokyo\\"}"}\n```\n',
    ],
)
def test_json_calls_are_detected_and_hidden(text: str) -> None:
    shown, call = detect_json_call(text)
    assert shown.strip() == ""
    assert call is not None and (call.name, call.arguments) == ("current_time", {"timezone": "Asia/Tokyo"})


def test_json_call_at_the_end_of_text() -> None:
    shown, call = detect_json_call('Let me look.\n{"tool": "current_time", "arguments": {}}')
    assert shown == "Let me look.\n" and call is not None and call.name == "current_time"


@pytest.mark.parametrize(
    "text",
    [
        'I wrote {"tool": "current_time"} inline.',
        '{"tool": "current_time", "arguments": {}}\nand then more text',
        '{"city": "Tokyo", "name": "Kokoron"}',
        "```python\nprint({'a': 1})\n```",
        "{not json at all}",
        '```json\n{"a": 1}\n```',
    ],
)
def test_ordinary_text_is_not_a_call(text: str) -> None:
    assert detect_json_call(text) == (text, None)


def test_every_split_gives_the_same_result() -> None:
    whole = 'Sure.\n```json\n{"tool": "current_time", "arguments": {}}\n```'
    for cut in range(1, len(whole)):
        detector = JsonCallDetector()
        shown = detector.feed(whole[:cut]) + detector.feed(whole[cut:])
        rest, call = detector.finish()
        assert (shown + rest, call is not None) == ("Sure.\n", True), cut


def test_ordinary_text_passes_through_chunk_by_chunk() -> None:
    detector = JsonCallDetector()
    assert [detector.feed(c) for c in ["Hello ", "Sensei, ", "{braces} ", "fine"]] == [
        "Hello ",
        "Sensei, ",
        "{braces} ",
        "fine",
    ]
    held = detector.feed("\n{")  # a brace opening a line waits for the next chunk
    assert held == "\n" and detector.feed("x}") == "{x}"
