"""Dataset statistics against the targets, the chart, and the targets file."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest

from finetune.dataset import read_records
from finetune.stats import compute, default_chart_path, tables, write_chart
from finetune.targets import DEFAULT_LANGUAGES, DEFAULT_SCENARIOS, Targets, load_targets
from koclaw.errors import InputError
from memory.tokens import estimate_tokens
from tests.finetune.conftest import ZH, make, write_jsonl


def dataset(tmp_path: Path, distinct: list[dict[str, Any]]) -> Path:
    reject = make("calls-user", pairs=ZH[0:2])
    reject["messages"][1]["content"] = "亲爱的用户，今天能早点回家真好，晚饭想吃点什么呢？"
    reject["messages"][3]["content"] = "没有被碎片划到吧？先把地上扫干净比较安全。"
    return write_jsonl(tmp_path / "data.jsonl", [*distinct, reject, '{"id": "broken"'])


def test_numbers_for_a_known_dataset(tmp_path: Path, distinct: list[dict[str, Any]]) -> None:
    records = read_records([dataset(tmp_path, distinct)])
    stats = compute(records)
    assert (stats["records"], stats["conversations"], stats["invalid_lines"]) == (10, 9, 1)
    assert (stats["accepted"], stats["rejected"]) == (8, 2)
    assert {k: v["count"] for k, v in stats["languages"].items()} == {"zh": 5, "ja": 2, "en": 2, "mixed": 0}
    assert stats["languages"]["zh"] == {"count": 5, "share": 55.56, "target": 41.0, "diff": 14.56}
    assert {k: v["count"] for k, v in stats["scenarios"].items() if v["count"]} == {
        "daily": 4,
        "emotional_support": 1,
        "work_assistance": 2,
        "deep_discussion": 1,
        "playful": 1,
    }
    assert list(stats["scenarios"]) == list(DEFAULT_SCENARIOS)
    assert stats["think"] == {
        "assistant_turns": 18,
        "with_think": 4,
        "turn_ratio": round(4 / 18, 4),
        "conversations_with_think": 3,
        "conversation_ratio": round(3 / 9, 4),
    }
    assert stats["addressing_errors"] == {"conversations": 1, "share": 11.11}
    assert stats["rejects_by_code"] == {"addressing": 1, "schema": 1}
    assert stats["turns"] == {"min": 3, "median": 4, "mean": 3.89, "p90": 4, "max": 4, "total": 35}
    conversations = [r.conversation for r in records if r.conversation is not None]
    expected = [
        sum(estimate_tokens(m.content) for m in c.messages)
        + sum(
            estimate_tokens(json.dumps({"name": t.name, "arguments": t.arguments}))
            for m in c.messages
            for t in m.tool_calls or ()
        )
        for c in conversations
    ]
    assert stats["tokens"]["total"] == sum(expected) and stats["tokens"]["max"] == max(expected)
    json.dumps(stats)  # --json prints it as is


def test_custom_targets_change_only_the_targets(tmp_path: Path, distinct: list[dict[str, Any]]) -> None:
    records = read_records([dataset(tmp_path, distinct)])
    targets = Targets(languages={"zh": 50, "ja": 50})
    stats = compute(records, targets)
    assert {k: v["target"] for k, v in stats["languages"].items()} == {
        "zh": 50,
        "ja": 50,
        "en": 0,
        "mixed": 0,
    }
    assert stats["languages"]["en"]["diff"] == 22.22


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and data[-8:-4] == b"IEND"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_chart_is_a_real_png(tmp_path: Path, distinct: list[dict[str, Any]]) -> None:
    path = dataset(tmp_path, distinct)
    chart = default_chart_path(path)
    assert chart == tmp_path / "data.stats.png"
    assert write_chart(compute(read_records([path])), chart) == chart
    assert png_size(chart) == (1200, 480)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_tables_show_every_key_and_the_rejects(tmp_path: Path, distinct: list[dict[str, Any]]) -> None:
    from rich.console import Console

    console = Console(record=True, width=160)
    for table in tables(compute(read_records([dataset(tmp_path, distinct)]))):
        console.print(table)
    out = console.export_text()
    for word in (
        "Languages",
        "Scenarios",
        "mixed",
        "special_event",
        "think tags",
        "addressing errors",
        "schema",
    ):
        assert word in out
    assert "55.6" in out and "+14.6" in out


def test_default_targets() -> None:
    targets = load_targets()
    assert targets.languages == DEFAULT_LANGUAGES and sum(targets.scenarios.values()) == 100
    assert targets.counts(1000, "languages") == {"zh": 410, "ja": 340, "en": 200, "mixed": 50}
    counts = targets.counts(7, "scenarios")
    assert sum(counts.values()) == 7 and counts["daily"] == 2


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("t.yaml", "languages: {zh: 60, ja: 40}\n"),
        ("t.json", json.dumps({"languages": {"zh": 60, "ja": 40}})),
    ],
)
def test_targets_from_yaml_or_json(tmp_path: Path, name: str, body: str) -> None:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    targets = load_targets(path)
    assert targets.languages == {"zh": 60, "ja": 40, "en": 0, "mixed": 0}
    assert targets.scenarios == DEFAULT_SCENARIOS


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("languages: {zh: 60, ja: 30}\n", "sum to 90, not 100"),
        ("languages: {zh: 60, ko: 40}\n", "unknown key"),
        ("scenarios: {daily: 110, playful: -10}\n", "must not be negative"),
        ("languages: [zh]\n", "languages"),
        ("- zh\n", "must hold a mapping"),
        ("languages: {zh: 100}\nextra: 1\n", "extra"),
        ("languages: {zh: [\n", "not valid YAML"),
    ],
)
def test_bad_targets_name_the_file_and_the_problem(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        load_targets(path)
    assert str(path) in str(caught.value)


def test_missing_targets_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Cannot read targets file"):
        load_targets(tmp_path / "nope.yaml")
