"""Export: trl rows in Qwen ChatML with thinking kept, ShareGPT, and a held-out split that never leaks."""

from __future__ import annotations

import json
import re
from itertools import combinations
from pathlib import Path
from typing import Any

from character import load_profile, render_persona
from finetune.dataset import read_records
from finetune.dedupe import conversation_text
from finetune.export import chatml, export, heldout_bucket, sharegpt_row, split, trl_row
from finetune.schema import Conversation
from tests.finetune.conftest import EN, JA, ZH, make, near_copy, with_tool, write_jsonl

CALL = '{"name": "memory_save", "arguments": {"fact": "下周三去医院复查", "importance": 4}}'
TOOL_TEXT = (
    "<|im_start|>user\n我下周三要去医院复查，帮我记住这件事。<|im_end|>\n"
    "<|im_start|>assistant\n<think>\n老师要我记住复查的日子，先存下来。\n</think>\n\n"
    f"<tool_call>\n{CALL}\n</tool_call><|im_end|>\n"
    '<|im_start|>user\n<tool_response>\n{"saved": "f1", "merged": false}\n</tool_response><|im_end|>\n'
    "<|im_start|>assistant\n<think>\n存好了，告诉老师。\n</think>\n\n记好啦老师！下周二晚上我会提醒你准备病历。<|im_end|>\n"
)
_TURN = re.compile(r"<\|im_start\|>(\w+)\n(.*?)<\|im_end\|>\n", re.DOTALL)
_THINK = re.compile(r"\A<think>\n(.*?)\n</think>\n\n", re.DOTALL)
_CALL = re.compile(r"<tool_call>\n(.*?)\n</tool_call>", re.DOTALL)


def conv(raw: dict[str, Any]) -> Conversation:
    return Conversation.model_validate(raw)


def parse_chatml(text: str) -> list[dict[str, Any]]:
    """Read ChatML back: role, thinking, visible text, tool calls, tool responses."""
    turns = []
    assert "".join(m.group(0) for m in _TURN.finditer(text)) == text  # nothing outside the turns
    for role, body in _TURN.findall(text):
        think = _THINK.match(body)
        rest = body[think.end() :] if think else body
        turns.append(
            {
                "role": role,
                "think": think.group(1) if think else None,
                "calls": [json.loads(c) for c in _CALL.findall(rest)],
                "responses": re.findall(r"<tool_response>\n(.*?)\n</tool_response>", rest, re.DOTALL),
                "visible": _CALL.sub("", rest).strip(),
            }
        )
    return turns


def test_tool_conversation_renders_as_qwen_chatml() -> None:
    row = trl_row(conv(with_tool("t-1")), None)
    assert row["id"] == "t-1" and row["text"] == TOOL_TEXT
    assert [m["role"] for m in row["messages"]] == ["user", "assistant", "tool", "assistant"]
    assert row["messages"][1]["content"].endswith(f"<tool_call>\n{CALL}\n</tool_call>")
    assert row["messages"][2] == {"role": "tool", "content": '{"saved": "f1", "merged": false}'}
    assert chatml(row["messages"]) == row["text"]


def test_chatml_round_trips_think_blocks_and_tool_calls(distinct: list[dict[str, Any]]) -> None:
    for raw in distinct:
        conversation = conv(raw)
        turns = parse_chatml(trl_row(conversation, None)["text"])
        originals = [m for m in conversation.messages if m.role != "tool"]
        assert [t["role"] for t in turns if not t["responses"]] == [m.role for m in originals]
        for turn, message in zip([t for t in turns if not t["responses"]], originals, strict=True):
            if message.role != "assistant":
                assert turn["visible"] == message.content
                continue
            think = re.match(r"<think>\n(.*?)\n</think>\n\n(.*)", message.content, re.DOTALL)
            assert turn["think"] == (think.group(1) if think else None)  # kept in every turn
            assert turn["visible"] == (think.group(2) if think else message.content).strip()
            assert turn["calls"] == [
                {"name": c.name, "arguments": c.arguments} for c in message.tool_calls or []
            ]
        results = [m.content for m in conversation.messages if m.role == "tool"]
        assert [r for t in turns for r in t["responses"]] == results


def test_thinking_is_kept_in_every_assistant_turn() -> None:
    raw = make("zh-t", pairs=ZH[0:3], think="老师下班早，开心。")
    for message in raw["messages"][3::2]:
        message["content"] = "<think>\n这次也想一想。\n</think>\n\n" + message["content"]
    turns = parse_chatml(trl_row(conv(raw), None)["text"])
    assert [t["think"] for t in turns if t["role"] == "assistant"] == [
        "老师下班早，开心。",
        "这次也想一想。",
        "这次也想一想。",
    ]


def test_two_tool_results_share_one_user_turn() -> None:
    messages = [
        {"role": "user", "content": "u"},
        {"role": "assistant", "content": "a"},
        {"role": "tool", "content": "r1"},
        {"role": "tool", "content": "r2"},
    ]
    assert chatml(messages).endswith(
        "<|im_start|>user\n<tool_response>\nr1\n</tool_response>\n<tool_response>\nr2\n</tool_response><|im_end|>\n"
    )


def test_sharegpt_tags_and_tool_turns() -> None:
    row = sharegpt_row(conv(with_tool("t-1")), "SYS")
    assert row["conversations"] == [
        {"from": "system", "value": "SYS"},
        {"from": "human", "value": "我下周三要去医院复查，帮我记住这件事。"},
        {
            "from": "function_call",
            "value": f"<think>\n老师要我记住复查的日子，先存下来。\n</think>\n\n{CALL}",
        },
        {"from": "observation", "value": '{"saved": "f1", "merged": false}'},
        {
            "from": "gpt",
            "value": "<think>\n存好了，告诉老师。\n</think>\n\n记好啦老师！下周二晚上我会提醒你准备病历。",
        },
    ]


def test_sharegpt_keeps_text_beside_a_call_and_joins_results() -> None:
    raw = with_tool("t-2")
    raw["messages"][1]["content"] += "好的，我记一下。"
    raw["messages"][1]["tool_calls"].append({"name": "current_time", "arguments": {}})
    raw["messages"].insert(3, {"role": "tool", "name": "current_time", "content": "2025-01-01 10:00"})
    turns = sharegpt_row(conv(raw), None)["conversations"]
    assert [t["from"] for t in turns] == ["human", "gpt", "function_call", "observation", "gpt"]
    assert turns[1]["value"].endswith("</think>\n\n好的，我记一下。")
    assert [c["name"] for c in json.loads(turns[2]["value"])] == ["memory_save", "current_time"]
    assert (
        turns[3]["value"]
        == '{"saved": "f1", "merged": false}\n</tool_response>\n<tool_response>\n2025-01-01 10:00'
    )


def test_persona_system_prompt_and_kokoron_likely_hints(distinct: list[dict[str, Any]]) -> None:
    raw = json.loads(json.dumps(distinct[0]))
    raw["messages"][0]["kokoron_likely"] = "she would tease Sensei"
    row = trl_row(conv(raw), render_persona(load_profile()))
    assert row["messages"][0] == {"role": "system", "content": render_persona(load_profile())}
    assert "she would tease" not in json.dumps(row, ensure_ascii=False)
    assert row["text"].startswith("<|im_start|>system\n# ")


def corpus() -> list[dict[str, Any]]:
    """27 valid conversations from pairs of exchanges, plus a near copy of each."""
    rows = []
    for lang, pool in (("zh", ZH), ("ja", JA), ("en", EN)):
        for i, (a, b) in enumerate(combinations(range(len(pool)), 2)):
            rows.append(make(f"{lang}-{i}", language=lang, pairs=[pool[a], pool[b]]))
    return rows + [near_copy(r, f"{r['id']}-copy") for r in rows]


def test_split_never_puts_near_duplicates_on_both_sides() -> None:
    conversations = [conv(r) for r in corpus()]
    train, held = split(conversations, 0.3)
    assert len(train) + len(held) == 54 and 0 < len(held) < 54
    train_ids, held_ids = {c.id for c in train}, {c.id for c in held}
    assert not train_ids & held_ids
    for c in held:  # every copy went with its original
        twin = c.id.removesuffix("-copy") if c.id.endswith("-copy") else f"{c.id}-copy"
        assert twin in held_ids
    train_texts = {conversation_text(c) for c in train}
    assert not any(conversation_text(c) in train_texts for c in held)
    assert split(conversations, 0.3) == (train, held)  # deterministic


def test_bucket_is_stable_and_spread() -> None:
    assert heldout_bucket("zh-1") == heldout_bucket("zh-1")
    buckets = [heldout_bucket(f"id-{i}") for i in range(2000)]
    assert 0.08 < sum(b < 0.1 for b in buckets) / 2000 < 0.12


def test_export_writes_only_valid_conversations(tmp_path: Path) -> None:
    bad = make("bad", pairs=[("今天天气真好，我们出去走走吧。", "好呀，我们去公园散步吧，顺便买杯奶茶。")])
    source = write_jsonl(tmp_path / "data.jsonl", [*corpus(), bad, "{nope"])
    out = tmp_path / "export"
    result = export(read_records([source]), out, fmt="both", heldout=0.3, system="none")
    assert (result.train + result.heldout, result.rejected) == (54, 2)
    assert result.rejects_by_code == {"addressing": 1, "schema": 1}
    assert sorted(p.name for p in out.iterdir()) == [
        "heldout.jsonl",
        "heldout.sharegpt.jsonl",
        "train.jsonl",
        "train.sharegpt.jsonl",
    ]
    rows = {
        p.name: [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines()]
        for p in out.iterdir()
    }
    assert len(rows["train.jsonl"]) == result.train and len(rows["heldout.jsonl"]) == result.heldout
    assert [r["id"] for r in rows["train.jsonl"]] == [r["id"] for r in rows["train.sharegpt.jsonl"]]
    held = {r["id"] for r in rows["heldout.jsonl"]}
    assert not held & {r["id"] for r in rows["train.jsonl"]} and "bad" not in held
    assert all(r["messages"][0]["role"] == "user" for r in rows["train.jsonl"])  # --system none


def test_no_heldout_writes_train_only(tmp_path: Path, distinct: list[dict[str, Any]]) -> None:
    source = write_jsonl(tmp_path / "data.jsonl", distinct)
    result = export(read_records([source]), tmp_path / "out", heldout=0, system="persona")
    assert (result.train, result.heldout) == (8, 0)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["train.jsonl"]
    first = json.loads((tmp_path / "out" / "train.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["messages"][0] == {"role": "system", "content": render_persona(load_profile())}
