"""parse_tool_call: Qwen's JSON form, its XML form, and clear errors for everything else."""

from __future__ import annotations

import pytest

from koclaw.events import ToolCall
from koclaw.llm.tool_calls import parse_tool_call


def test_json_form() -> None:
    body = '\n{"name": "remember", "arguments": {"fact": "Sensei likes tea", "weight": 0.5}}\n'
    assert parse_tool_call(body) == ToolCall(
        name="remember", arguments={"fact": "Sensei likes tea", "weight": 0.5}, raw=body
    )


def test_json_string_arguments() -> None:
    call = parse_tool_call('{"name": "search", "arguments": "{\\"q\\": \\"先生\\"}"}')
    assert (call.name, call.arguments, call.error) == ("search", {"q": "先生"}, None)


def test_json_missing_or_empty_arguments() -> None:
    assert parse_tool_call('{"name": "now"}').arguments == {}
    assert parse_tool_call('{"name": "now", "arguments": ""}').arguments == {}
    assert parse_tool_call('{"name": "now", "arguments": null}').arguments == {}


def test_xml_form() -> None:
    body = (
        "\n<function=search_memory>\n"
        "<parameter=query>\n老师の好きな\nお茶\n</parameter>\n"
        "<parameter=limit>\n5\n</parameter>\n"
        '<parameter=filters>\n{"tier": "long"}\n</parameter>\n'
        "<parameter=exact>\ntrue\n</parameter>\n"
        "</function>\n"
    )
    call = parse_tool_call(body)
    assert call.error is None
    assert call.name == "search_memory"
    assert call.arguments == {
        "query": "老师の好きな\nお茶",
        "limit": 5,
        "filters": {"tier": "long"},
        "exact": True,
    }
    assert call.raw == body


def test_xml_no_parameters() -> None:
    call = parse_tool_call("<function=now>\n</function>")
    assert (call.name, call.arguments, call.error) == ("now", {}, None)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        ("call search please", "neither"),
        ('{"name": "f", "arguments": {', "not valid JSON"),
        ("[1, 2]", "neither"),
        ('{"arguments": {}}', "name"),
        ('{"name": "", "arguments": {}}', "name"),
        ('{"name": 3}', "name"),
        ('{"name": "f", "arguments": [1]}', "must be an object"),
        ('{"name": "f", "arguments": "not json"}', "not valid JSON"),
        ('{"name": "f", "arguments": "[1]"}', "must be an object"),
        ("<function=f>\n<parameter=a>\n1\n</parameter>\n", "</function>"),
        ("<function=>\n</function>", "empty name"),
        ("<function=f>\n<parameter=a>\n1\n</function>", "</parameter>"),
        ("<function=f>\n<parameter=a>1</parameter><parameter=a>2</parameter>\n</function>", "twice"),
        ("<function=f>\nhello\n<parameter=a>1</parameter>\n</function>", "unexpected text"),
        ("<function=f>\n<parameter=>1</parameter>\n</function>", "empty name"),
        ("[" * 100_000, "neither"),
        ("{" * 100_000, "JSON"),
    ],
)
def test_garbage_is_an_error_with_raw_kept(body: str, fragment: str) -> None:
    call = parse_tool_call(body)
    assert call.name == ""
    assert call.arguments == {}
    assert call.raw == body
    assert call.error is not None
    assert fragment in call.error
