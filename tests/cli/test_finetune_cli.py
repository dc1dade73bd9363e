"""`koclaw finetune validate|merge|stats|export`: in process through typer, and as the real command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from koclaw.cli import app
from koclaw.errors import InputError
from tests.conftest import run_koclaw
from tests.finetune.conftest import ZH, distinct_conversations, make, near_copy, write_jsonl

runner = CliRunner()


@pytest.fixture
def distinct() -> list[dict[str, Any]]:
    return distinct_conversations()


def reject() -> dict[str, Any]:
    raw = make("calls-user", pairs=ZH[0:2])
    raw["messages"][1]["content"] = "亲爱的用户，今天能早点回家真好，晚饭想吃点什么呢？<think>"
    raw["messages"][3]["content"] = "没有被碎片划到吧？先把地上扫干净比较安全。"
    return raw


def finetune(*args: str) -> Any:
    return runner.invoke(app, ["finetune", *args])


def test_validate_prints_a_verdict_per_conversation_with_every_reason(
    tmp_path: Path, distinct: list[dict[str, Any]]
) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [distinct[0], reject(), "{nope"])
    result = finetune("validate", str(path))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"ok      zh-1  {path}:1"
    assert lines[1].startswith(f"REJECT  calls-user  {path}:2  ")
    assert "addressing: messages[1]: calls Sensei '亲爱的用户'" in lines[1]
    assert "think: messages[1]: unclosed <think>" in lines[1]
    assert "never addresses Sensei" in lines[1]
    assert lines[2].startswith(f"REJECT  (no id)  {path}:3  schema: not JSON")
    assert lines[3] == "3 conversations: 1 ok, 2 rejected (think 1, addressing 1, schema 1)"


def test_validate_json_is_one_object_per_conversation(tmp_path: Path, distinct: list[dict[str, Any]]) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [*distinct, reject()])
    result = finetune("validate", str(path), "--json")
    assert result.exit_code == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == [c["id"] for c in distinct] + ["calls-user"]
    assert [r["line"] for r in rows] == list(range(1, 10)) and all(r["file"] == str(path) for r in rows)
    assert [r["ok"] for r in rows] == [True] * 8 + [False]
    assert {p["code"] for p in rows[-1]["problems"]} == {"addressing", "think"}
    assert "1 rejected" in result.stderr


def test_validate_all_clean_exits_zero(tmp_path: Path, distinct: list[dict[str, Any]]) -> None:
    result = finetune("validate", str(write_jsonl(tmp_path / "a.jsonl", distinct)))
    assert result.exit_code == 0 and result.stdout.splitlines()[-1] == "8 conversations: 8 ok, 0 rejected"


def test_merge_counts_and_provenance(tmp_path: Path, distinct: list[dict[str, Any]]) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", [*distinct[:5], "[]"])
    b = write_jsonl(tmp_path / "b.jsonl", [*distinct[3:], near_copy(distinct[0], "zh-1-again")])
    out = tmp_path / "merged.jsonl"
    result = finetune("merge", str(a), str(b), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (f"read 12, invalid lines 1, exact dups 2, near dups 1, kept 8 -> {out}")
    assert f"skipped {a}:6: schema" in result.stderr
    merged = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [m["id"] for m in merged] == [c["id"] for c in distinct]
    assert merged[0]["provenance"]["sources"] == [
        {"file": str(a), "line": 1, "id": "zh-1"},
        {"file": str(b), "line": 6, "id": "zh-1-again"},
    ]
    assert merged[3]["provenance"]["sources"] == [
        {"file": str(a), "line": 4, "id": "ja-1"},
        {"file": str(b), "line": 1, "id": "ja-1"},
    ]
    as_json = json.loads(finetune("merge", str(a), str(b), "-o", str(out), "--force", "--json").stdout)
    assert {k: as_json[k] for k in ("read", "invalid_lines", "exact_dups", "near_dups", "kept")} == {
        "read": 12,
        "invalid_lines": 1,
        "exact_dups": 2,
        "near_dups": 1,
        "kept": 8,
    }
    assert {(d["id"], d["kind"], d["kept"]) for d in as_json["dropped"]} == {
        ("ja-1", "exact", "ja-1"),
        ("ja-2", "exact", "ja-2"),
        ("zh-1-again", "near", "zh-1"),
    }


def test_merge_threshold_one_keeps_near_duplicates(tmp_path: Path, distinct: list[dict[str, Any]]) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", [distinct[0], near_copy(distinct[0], "zh-1-again")])
    out = tmp_path / "merged.jsonl"
    result = finetune("merge", str(a), "-o", str(out), "--threshold", "1.0", "--json")
    assert json.loads(result.stdout)["kept"] == 2


def test_stats_table_json_and_chart(tmp_path: Path, distinct: list[dict[str, Any]]) -> None:
    path = write_jsonl(tmp_path / "data.jsonl", [*distinct, reject()])
    result = finetune("stats", str(path))
    assert result.exit_code == 0, result.output
    assert "Languages" in result.stdout and "special_event" in result.stdout
    assert f"Chart: {tmp_path / 'data.stats.png'}" in result.stdout
    assert (tmp_path / "data.stats.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    chart = tmp_path / "charts" / "mix.png"
    targets = tmp_path / "targets.yaml"
    targets.write_text("languages: {zh: 100}\n", encoding="utf-8")
    data = json.loads(
        finetune("stats", str(path), "--json", "--chart", str(chart), "--targets", str(targets)).stdout
    )
    assert data["chart"] == str(chart) and chart.read_bytes()[:4] == b"\x89PNG"
    assert data["languages"]["zh"] == {"count": 5, "share": 55.56, "target": 100.0, "diff": -44.44}
    assert data["addressing_errors"]["conversations"] == 1 and data["rejects_by_code"]["think"] == 1
    assert "chart" not in json.loads(finetune("stats", str(path), "--json", "--no-chart").stdout)


def test_export_both_formats(tmp_path: Path, distinct: list[dict[str, Any]]) -> None:
    path = write_jsonl(tmp_path / "data.jsonl", [*distinct, reject()])
    out = tmp_path / "out"
    result = finetune(
        "export", str(path), "-o", str(out), "--format", "both", "--heldout", "0.25", "--system", "none"
    )
    assert result.exit_code == 0, result.output
    assert (
        "Left out 1 rejected conversation (think 1, addressing 1); see why with: koclaw finetune"
        in result.stdout
    )
    names = sorted(p.name for p in out.iterdir())
    assert names == ["heldout.jsonl", "heldout.sharegpt.jsonl", "train.jsonl", "train.sharegpt.jsonl"]

    def conversations(name: str) -> set[str]:  # a row is one round: "<conversation id>#<turn>.<round>"
        rows = (out / name).read_text(encoding="utf-8").splitlines()
        return {json.loads(row)["id"].split("#")[0] for row in rows}

    train, held = conversations("train.jsonl"), conversations("heldout.jsonl")
    assert sorted(train | held) == sorted(c["id"] for c in distinct) and not train & held


def test_user_errors_are_named(tmp_path: Path, distinct: list[dict[str, Any]]) -> None:
    path = write_jsonl(tmp_path / "data.jsonl", distinct)
    bad_format = finetune("export", str(path), "-o", str(tmp_path / "o"), "--format", "alpaca")
    assert isinstance(bad_format.exception, InputError) and "trl, sharegpt, both" in str(bad_format.exception)
    missing = finetune("validate", str(tmp_path / "nope.jsonl"))
    assert isinstance(missing.exception, InputError) and "nope.jsonl" in str(missing.exception)


@pytest.mark.slow
def test_real_command_errors_without_traceback(tmp_path: Path, distinct: list[dict[str, Any]]) -> None:
    missing = run_koclaw("finetune", "stats", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2 and "nope.jsonl" in missing.stderr and "Traceback" not in missing.stderr
    targets = tmp_path / "t.yaml"
    targets.write_text("languages: {zh: 50}\n", encoding="utf-8")
    path = write_jsonl(tmp_path / "data.jsonl", distinct)
    bad = run_koclaw("finetune", "stats", str(path), "--targets", str(targets))
    assert bad.returncode == 2 and "sum to 50, not 100" in bad.stderr and "Traceback" not in bad.stderr
    ok = run_koclaw("finetune", "validate", str(path), "--json")
    assert ok.returncode == 0 and len(ok.stdout.splitlines()) == len(distinct)
