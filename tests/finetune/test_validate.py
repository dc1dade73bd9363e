"""Each reject rule, on conversations that differ from a good one in exactly one way."""

from __future__ import annotations

import json
from typing import Any

import pytest

from character.conversation import SCHEMA_FILE, Conversation, json_schema
from finetune.validate import validate_data, validate_line

_REPLY = "辛苦了，老师！先喝点温水，饭我帮你想好了。"


def _good(**changes: Any) -> dict[str, Any]:
    conversation: dict[str, Any] = {
        "id": "v-1",
        "language": "zh",
        "scenario": "daily",
        "messages": [
            {"role": "user", "content": "今天好累啊，加班到现在才回家"},
            {
                "role": "assistant",
                "content": f"<think>\n老师累坏了，先让他休息。\n</think>\n\n{_REPLY}",
            },
            {"role": "user", "content": "帮我记住周五要交季度报告"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"name": "memory_save", "arguments": {"fact": "老师周五要交季度报告", "importance": 4}}
                ],
            },
            {"role": "tool", "name": "memory_save", "content": "saved m_1"},
            {"role": "assistant", "content": "记好了，老师。周四晚上八点我提醒你检查一遍。"},
        ],
    }
    conversation.update(changes)
    return conversation


def _with_reply(text: str, index: int = 5, **changes: Any) -> dict[str, Any]:
    conversation = _good(**changes)
    conversation["messages"][index]["content"] = text
    return conversation


def _codes(data: dict[str, Any]) -> list[str]:
    return [p.code for p in validate_data(data).problems]


def test_a_good_conversation_passes() -> None:
    assert validate_data(_good()).ok


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (_with_reply("记好了，老师。".encode().decode("latin-1")), "encoding"),
        (_with_reply("记好了，老师\ufffd周四提醒你。"), "encoding"),
        (_with_reply("你好老师今天天气不错".encode().decode("gbk")), "encoding"),
        (_with_reply("记好了\x07，老师。周四提醒你。"), "encoding"),
        (_with_reply("记好了，老师。선생님 안녕하세요"), "script"),
        (_with_reply("Got it, Sensei. I'll remind you on Thursday evening."), "language"),
        (_with_reply("記録しました、先生。木曜日の夜にお知らせしますね。"), "language"),
        (_good(language="ja"), "language"),
        (_good(language="mixed"), "language"),
        (_with_reply("<think>\nThe user is tired.\n</think>\n\n辛苦了，老师！先喝点温水。", 1), "addressing"),
        (_with_reply("<think>\n用户很累。\n</think>\n\n辛苦了，老师！先喝点温水。", 1), "addressing"),
        (_with_reply("亲爱的用户，记好了。周四晚上提醒你。"), "addressing"),
        (_with_reply("记好了，先生。周四晚上提醒你检查。"), "addressing"),
        (_with_reply("<think>\n老师累了。\n辛苦了，老师！先喝点温水。", 1), "think"),
        (_with_reply("辛苦了，老师！<think>\n老师累了\n</think>\n\n先喝点温水。", 1), "think"),
        (_with_reply("<think>\n\n</think>\n\n辛苦了，老师！先喝点温水。", 1), "empty_think"),
        (_with_reply("<think>\n老师累了。\n</think>\n\n", 1), "empty"),
        (_with_reply("<think>\n老师\n</think>\n\n好<think>x</think>", 1), "think"),
        (_with_reply("<think>\n在想\n</think>\n\n今天好累", 0), "think"),
        (_with_reply("   "), "empty"),
        (_with_reply("老师，" + "记好了。" * 400), "runaway"),
        (_with_reply("老师，好的好的。" * 12), "runaway"),
    ],
)
def test_each_corruption_is_rejected_with_its_reason(data: dict[str, Any], code: str) -> None:
    verdict = validate_data(data)
    assert not verdict.ok
    assert verdict.problems[0].code == code, verdict.problems


def test_tool_calls_must_be_ones_the_runtime_accepts() -> None:
    unknown = _good()
    unknown["messages"][3]["tool_calls"][0]["name"] = "send_email"
    unknown["messages"][4]["name"] = "send_email"
    assert _codes(unknown) == ["tool"]
    bad_args = _good()
    bad_args["messages"][3]["tool_calls"][0]["arguments"] = {"fact": "x", "importance": 9}
    (problem,) = validate_data(bad_args).problems
    assert problem.code == "tool" and "importance" in problem.detail


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c["messages"].pop(),  # ends on a tool result
        lambda c: c["messages"].insert(1, {"role": "user", "content": "还有"}),  # two user turns in a row
        lambda c: c["messages"].pop(4),  # a call without its result
        lambda c: c.update(language="fr"),
        lambda c: c["messages"][0].update(tool_calls=[]),
        lambda c: c.update(id="has space"),
    ],
)
def test_schema_violations_are_schema_rejects(change: Any) -> None:
    data = _good()
    change(data)
    assert _codes(data)[:1] == ["schema"]


def test_a_line_that_is_not_json_is_a_schema_reject_not_a_crash() -> None:
    verdict = validate_line('{"id": "x", "messages": [', where="f.jsonl:3")
    assert verdict.id == "f.jsonl:3" and verdict.codes == ("schema",)


def test_ordinary_words_are_not_mistaken_for_addressing() -> None:
    fine = _with_reply("记好了，老师。王先生的报告我也放进用户手册的附录了。")
    assert validate_data(fine).ok


def test_mixed_conversations_may_switch_languages() -> None:
    mixed = _good(language="mixed", scenario="language_switching")
    mixed["messages"][2]["content"] = "Please remember the quarterly report is due Friday."
    mixed["messages"][3]["tool_calls"][0]["arguments"]["fact"] = "Quarterly report due Friday"
    mixed["messages"][5]["content"] = "Saved, Sensei. I'll nudge you on Thursday at 8 pm."
    assert validate_data(mixed).ok


def test_the_checked_in_json_schema_matches_the_model() -> None:
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == json_schema()
    assert Conversation.model_validate(_good()).id == "v-1"
