"""Reading conversation files line by line, and merging them with provenance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from finetune.dataset import iter_records, merge, read_records, to_json_line, write_lines_atomic
from koclaw.errors import InputError
from tests.conftest import run_koclaw
from tests.finetune.conftest import JA, ZH, make, near_copy, write_jsonl


def test_bad_lines_become_located_rejects_and_never_stop_the_read(tmp_path: Path) -> None:
    good = make("zh-1")
    path = tmp_path / "part.jsonl"
    body = "\n".join(
        [
            json.dumps(good, ensure_ascii=False),
            "{not json",
            "",
            "[1, 2]",
            json.dumps({**good, "id": "no-messages", "messages": []}),
            json.dumps(make("ja-1", language="ja", pairs=JA[:2]), ensure_ascii=False),
        ]
    )
    path.write_bytes(body.encode("utf-8") + b"\n\xff\xfe broken bytes\n")
    records = read_records([path])
    assert [(r.line, r.ok) for r in records] == [
        (1, True),
        (2, False),
        (4, False),
        (5, False),
        (6, True),
        (7, False),
    ]
    by_line = {r.line: r for r in records}
    assert by_line[2].where == f"{path}:2" and by_line[2].id == f"{path}:2"
    assert by_line[2].verdict.codes == ("schema",) and "not JSON" in by_line[2].verdict.problems[0].detail
    assert "expected a JSON object" in by_line[4].verdict.problems[0].detail
    assert by_line[5].id == "no-messages" and by_line[5].conversation is None
    assert by_line[7].verdict.codes == ("encoding",) and "UTF-8" in by_line[7].verdict.problems[0].detail


def test_schema_only_read_skips_content_checks(tmp_path: Path) -> None:
    unaddressed = make(
        "zh-x", pairs=[("今天天气真好，我们出去走走吧。", "好呀，我们去公园散步吧，顺便买杯奶茶。")]
    )
    path = write_jsonl(tmp_path / "a.jsonl", [unaddressed])
    assert [r.verdict.codes for r in read_records([path])] == [("addressing",)]
    assert [r.ok for r in read_records([path], check=False)] == [True]


def test_json_array_items_keep_their_line_numbers(tmp_path: Path) -> None:
    one, two = make("zh-1"), make("zh-2", pairs=ZH[2:4])
    path = tmp_path / "seeds.json"
    path.write_text(json.dumps([one, two], ensure_ascii=False, indent=2), encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    expected = [i + 1 for i, line in enumerate(lines) if line == "  {"]
    records = list(iter_records(path))
    assert [r.line for r in records] == expected and [r.id for r in records] == ["zh-1", "zh-2"]
    assert all(r.ok for r in records)


def test_a_broken_json_array_reports_where_it_broke(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[\n  {"id": "a"},\n  {"id": \n', encoding="utf-8")
    records = list(iter_records(path, check=False))
    assert [r.line for r in records] == [2, 3]
    assert records[0].verdict.codes == ("schema",)  # parsed, but not a conversation
    assert "not JSON" in records[1].verdict.problems[0].detail


def test_a_single_pretty_printed_object_in_a_json_file(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(make("zh-1"), ensure_ascii=False, indent=2), encoding="utf-8")
    assert [(r.id, r.line, r.ok) for r in iter_records(path)] == [("zh-1", 1, True)]


def test_unreadable_inputs_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.jsonl.*Check the path"):
        read_records([tmp_path / "missing.jsonl"])
    with pytest.raises(InputError, match="is a directory"):
        read_records([tmp_path])
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="No conversations"):
        read_records([empty])


def sources(conversation: Any) -> list[tuple[str, int, str]]:
    return [(Path(s["file"]).name, s["line"], s["id"]) for s in conversation.provenance["sources"]]


def test_merge_drops_exact_and_near_duplicates_and_keeps_every_source(tmp_path: Path) -> None:
    base = make("zh-1", pairs=ZH[0:3])
    exact = {**base, "id": "other-id", "tags": ["from-b"]}  # same messages: an exact duplicate
    exact["messages"] = [{**m, "content": "  " + m["content"].upper() + " "} for m in base["messages"]]
    near = near_copy(base, "zh-1-rerun")
    distinct = make("ja-1", language="ja", pairs=JA[0:2])
    a = write_jsonl(tmp_path / "a.jsonl", [base, distinct, "{oops"])
    b = write_jsonl(tmp_path / "b.jsonl", [exact, near, make("zh-2", pairs=ZH[3:5])])
    result = merge(read_records([a, b], check=False))
    assert result.counts() == {
        "read": 6,
        "invalid_lines": 1,
        "exact_dups": 1,
        "near_dups": 1,
        "kept": 3,
        "renamed_ids": 0,
    }
    assert [c.id for c in result.kept] == ["zh-1", "ja-1", "zh-2"]
    assert sources(result.kept[0]) == [
        ("a.jsonl", 1, "zh-1"),
        ("b.jsonl", 1, "other-id"),
        ("b.jsonl", 2, "zh-1-rerun"),
    ]
    assert sources(result.kept[1]) == [("a.jsonl", 2, "ja-1")]
    assert sorted((r.id, kind, kept) for r, kind, kept in result.dropped) == [
        ("other-id", "exact", "zh-1"),
        ("zh-1-rerun", "near", "zh-1"),
    ]


def test_a_second_merge_keeps_the_first_merges_sources(tmp_path: Path) -> None:
    base = make("zh-1", pairs=ZH[0:3])
    a = write_jsonl(tmp_path / "a.jsonl", [base])
    b = write_jsonl(tmp_path / "b.jsonl", [near_copy(base, "zh-1b")])
    first = tmp_path / "first.jsonl"
    write_lines_atomic(first, (to_json_line(c) for c in merge(read_records([a, b], check=False)).kept))
    c = write_jsonl(tmp_path / "c.jsonl", [{**base, "id": "zh-1c"}])
    again = merge(read_records([first, c], check=False))
    assert sources(again.kept[0]) == [
        ("a.jsonl", 1, "zh-1"),
        ("b.jsonl", 1, "zh-1b"),
        ("c.jsonl", 1, "zh-1c"),
    ]


def test_clashing_ids_of_different_conversations_are_renamed(tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", [make("gen-1", pairs=ZH[0:2]), make("gen-1.2", pairs=ZH[4:6])])
    b = write_jsonl(tmp_path / "b.jsonl", [make("gen-1", pairs=ZH[2:4])])
    result = merge(read_records([a, b], check=False))
    assert [c.id for c in result.kept] == ["gen-1", "gen-1.2", "gen-1.3"] and result.renamed == 1
    assert sources(result.kept[2]) == [("b.jsonl", 1, "gen-1")]


def test_merge_prefers_a_clean_twin_over_a_reject(tmp_path: Path) -> None:
    clean = make("clean", pairs=ZH[0:3])
    rejected = json.loads(json.dumps(clean))
    rejected["id"] = "rejected"
    rejected["messages"][1]["content"] = rejected["messages"][1]["content"].replace("老师", "亲爱的用户", 1)
    path = write_jsonl(tmp_path / "a.jsonl", [rejected, clean])
    result = merge(read_records([path]))
    assert [c.id for c in result.kept] == ["clean"] and result.near_dups == 1


def test_atomic_write_leaves_no_temp_file_and_replaces_whole(tmp_path: Path) -> None:
    target = tmp_path / "out" / "merged.jsonl"
    assert write_lines_atomic(target, ["a", "b"]) == 2
    with pytest.raises(RuntimeError):
        write_lines_atomic(target, _failing_lines())
    assert target.read_text(encoding="utf-8") == "a\nb\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["merged.jsonl"]


def _failing_lines() -> Any:
    yield "half"
    raise RuntimeError("generator died")


DEEP = "[" * 100_000 + "]" * 100_000  # parses only with unbounded recursion


@pytest.mark.parametrize("name", ["deep.jsonl", "deep.json", "object.json"])
def test_deeply_nested_json_is_a_located_reject_not_a_crash(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    body = '{"a": ' * 100_000 + "1" + "}" * 100_000 if name == "object.json" else DEEP
    path.write_text(body + "\n" + json.dumps(make("zh-1"), ensure_ascii=False) + "\n")
    records = read_records([path])
    assert not records[0].ok and "nested too deeply" in records[0].verdict.problems[0].detail


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("validate", "nested too deeply"),
        ("merge", "nested too deeply"),
        ("stats", "invalid lines"),  # these two count rejects (export names the command that says why)
        ("export", "koclaw finetune validate"),
    ],
)
def test_every_finetune_command_refuses_deep_json_clearly(tmp_path: Path, command: str, says: str) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_text(DEEP + "\n")
    output = ["-o", str(tmp_path / "out")] if command in ("merge", "export") else []
    out = run_koclaw("finetune", command, str(path), *output)
    assert "Traceback" not in out.stderr and "RecursionError" not in out.stderr + out.stdout
    assert out.returncode in (0, 1, 2) and says in out.stdout + out.stderr
