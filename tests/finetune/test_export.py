"""Export: the training samples themselves (one tool format, the runtime's), ShareGPT, a leak-free split."""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path
from typing import Any

from character import load_profile, render_persona
from character.conversation import Conversation
from finetune.dataset import read_records
from finetune.dedupe import conversation_text
from finetune.export import export, heldout_bucket, sharegpt_row, split, trl_row
from finetune.render import END, Setting, TurnSample, samples_of, turn_samples
from memory import working
from tests.finetune.conftest import EN, JA, ZH, make, near_copy, with_tool, write_jsonl

ASK = "我下周三要去医院复查，帮我记住这件事。"
SAVE = {"fact": "下周三去医院复查", "importance": 4}
CALL = working.json_call("memory_save", SAVE)  # {"tool": "memory_save", "arguments": {...}}
RESULT = '{"saved": "f1", "merged": false}'
FIRST_THOUGHT, LAST_THOUGHT = "老师要我记住复查的日子，先存下来。", "存好了，告诉老师。"
ANSWER = "记好啦老师！下周二晚上我会提醒你准备病历。"


def conv(raw: dict[str, Any]) -> Conversation:
    return Conversation.model_validate(raw)


def read_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_tool_round_trains_the_runtimes_json_call() -> None:
    call, answer = turn_samples(conv(with_tool("t-1")), "none")
    assert (call.id, call.tool, call.thinking) == ("t-1#0.0", "memory_save", True)
    assert call.completion == f"{FIRST_THOUGHT}\n</think>\n\n{CALL}{END}"
    assert call.messages == [{"role": "user", "content": ASK}]
    assert answer.messages[1:] == [
        working.json_round("", "memory_save", SAVE),  # what the model wrote, as the next round sees it
        working.tool_result_message("call_0_0", "memory_save", RESULT),
    ]
    assert answer.completion == f"{LAST_THOUGHT}\n</think>\n\n{ANSWER}{END}"
    for sample in (call, answer):
        row = trl_row(sample)
        assert TurnSample(**row) == sample  # a row is the sample, and reads back as one
        assert "<tool_call>" not in json.dumps(row, ensure_ascii=False)  # no second tool format


def test_sharegpt_rows_are_the_same_samples() -> None:
    call, answer = (sharegpt_row(s) for s in turn_samples(conv(with_tool("t-1")), "none"))
    assert call == {
        "id": "t-1#0.0",
        "conversations": [
            {"from": "human", "value": ASK},
            {"from": "gpt", "value": f"<think>\n{FIRST_THOUGHT}\n</think>\n\n{CALL}"},
        ],
    }
    assert answer["conversations"][1:] == [
        {"from": "gpt", "value": CALL},
        {"from": "observation", "value": f"{working.TOOL_RESULTS_HEADER}: memory_save\n{RESULT}"},
        {"from": "gpt", "value": f"<think>\n{LAST_THOUGHT}\n</think>\n\n{ANSWER}"},
    ]
    plain = make("en-plain", language="en", pairs=EN[0:1])
    (only,) = (sharegpt_row(s) for s in turn_samples(conv(plain), "none"))
    assert only["conversations"][-1] == {"from": "gpt", "value": EN[0][1]}  # thinking off: no think block


def test_each_round_thinks_only_its_own_thoughts() -> None:
    raw = make("zh-t", pairs=ZH[0:3], think="老师下班早，开心。")
    for message in raw["messages"][3::2]:
        message["content"] = "<think>\n这次也想一想。\n</think>\n\n" + message["content"]
    samples = turn_samples(conv(raw), "none")
    assert [s.thinking for s in samples] == [True, True, True]
    assert samples[0].completion.startswith("老师下班早，开心。\n</think>\n\n")
    for sample in samples:  # earlier turns appear as the session stores them: visible text only
        assert not any("<think>" in m["content"] for m in sample.messages)


def test_runtime_rows_carry_the_runtimes_context(tmp_path: Path, distinct: list[dict[str, Any]]) -> None:
    raw = json.loads(json.dumps(distinct[0]))
    raw["messages"][0]["kokoron_likely"] = "she would tease Sensei"
    source = write_jsonl(tmp_path / "data.jsonl", [raw, *distinct[1:]])
    result = export(read_records([source]), tmp_path / "out", heldout=0, system="runtime")
    assert (result.train, result.heldout) == (8, 0)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["train.jsonl"]
    rows = read_rows(tmp_path / "out" / "train.jsonl")
    setting = Setting.served()
    accepted = [conv(raw), *(conv(c) for c in distinct[1:])]
    assert rows == [trl_row(s) for s in samples_of(accepted, "runtime", setting)]
    assert result.samples == {"train": len(rows)}
    system = rows[0]["messages"][0]
    assert system["role"] == "system" and system["content"].startswith(working.SOUL_HEADER)
    assert render_persona(load_profile()) in system["content"] and working.TOOLS_HEADER in system["content"]
    assert "she would tease" not in json.dumps(rows, ensure_ascii=False)  # hints never reach a sample
    persona = export(read_records([source]), tmp_path / "persona", heldout=0, system="persona")
    assert read_rows(persona.files[0]) == rows  # the CLI's older name for the same context


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
    rows = {p.name: read_rows(p) for p in out.iterdir()}
    assert result.samples == {"train": len(rows["train.jsonl"]), "heldout": len(rows["heldout.jsonl"])}
    assert [r["id"] for r in rows["train.jsonl"]] == [r["id"] for r in rows["train.sharegpt.jsonl"]]
    trained = {TurnSample(**r).conversation for r in rows["train.jsonl"]}
    held = {TurnSample(**r).conversation for r in rows["heldout.jsonl"]}
    assert (len(trained), len(held)) == (result.train, result.heldout)
    assert not held & trained and "bad" not in held | trained
    assert all(r["messages"][0]["role"] == "user" for r in rows["train.jsonl"])  # --system none
