"""Hostile input to `koclaw memory long-term|session ...`: refused with a line that says what to do
(exit 2), never a traceback, and never a memory blow-up or a silently short export."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from koclaw.cli import long_term
from koclaw.errors import InputError
from tests.conftest import KOCLAW, run_koclaw

DOUBLED = re.compile(r"[^.]\.\.[^.]")


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def import_file(path: Path, user: str = "u", *extra: str) -> tuple[int, str, str]:
    done = run_koclaw("memory", "long-term", "import", str(path), "--user", user, *extra)
    return done.returncode, done.stdout, done.stderr


def refused(stderr: str) -> bool:
    """One line that says what to do; a doubled period ("...Z.. Each") was a bug."""
    return "Traceback" not in stderr and "Nothing was imported" in stderr and not DOUBLED.search(stderr)


def test_lone_surrogates_anywhere_in_a_row_are_refused_per_line(tmp_path: Path) -> None:
    for field, value in (
        ("metadata", {"k": "\udc80"}),
        ("metadata", {"\udc80": 1}),
        ("metadata", {"k": [{"deep": "a\ud800"}]}),
        ("conversation_id", "c\udc80"),
        ("message_id", "m\udc80"),
    ):
        data = tmp_path / "s.jsonl"
        data.write_text(
            json.dumps({"text": "ok", "speaker": "A"})
            + "\n"
            + json.dumps({"text": "t", "speaker": "A", field: value})
            + "\n"
        )
        rc, _, err = import_file(data)
        assert rc == 2 and "Line 2" in err and field in err and refused(err), err
    assert run_koclaw("memory", "long-term", "export", "--user", "u").stdout == ""


def test_metadata_is_bounded_in_depth_and_size(tmp_path: Path) -> None:
    def nested(depth: int) -> dict[str, object]:
        value: dict[str, object] = {"leaf": 1}
        for _ in range(depth - 1):
            value = {"k": value}
        return value

    rc, _, err = import_file(
        write_jsonl(tmp_path / "d.jsonl", [{"text": "t", "speaker": "A", "metadata": nested(17)}])
    )
    assert rc == 2 and "nested deeper than 16 levels" in err and refused(err), err
    rc, _, err = import_file(
        write_jsonl(tmp_path / "b.jsonl", [{"text": "t", "speaker": "A", "metadata": {"k": "x" * 20_000}}])
    )
    assert rc == 2 and "longer than 10,000 characters" in err and refused(err), err
    rc, _, err = import_file(
        write_jsonl(tmp_path / "ok.jsonl", [{"text": "t", "speaker": "A", "metadata": nested(16)}])
    )
    assert rc == 0, err


def test_export_keeps_going_past_a_row_it_cannot_write(tmp_path: Path, koclaw_home: Path) -> None:
    rows = [
        {"text": f"turn {i}", "speaker": "A", "timestamp": f"2024-01-0{i}T00:00:00Z"} for i in range(1, 5)
    ]
    assert import_file(write_jsonl(tmp_path / "t.jsonl", rows))[0] == 0
    deep = "[" * 600 + "]" * 600  # stored before depth was bounded: json reads it, asdict did not
    with sqlite3.connect(koclaw_home / "long_term.db") as db:
        ids = [r[0] for r in db.execute("SELECT id FROM memories ORDER BY rowid")]
        db.execute("UPDATE memories SET metadata = ? WHERE id = ?", ['{"k": ' + deep + "}", ids[1]])
        db.execute("UPDATE memories SET metadata = ? WHERE id = ?", ['{"k": "\\udc80"}', ids[0]])
    done = run_koclaw("memory", "long-term", "export", "--user", "u")
    exported = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e["text"] for e in exported] == ["turn 2", "turn 3", "turn 4"]
    assert done.returncode == 1 and ids[0] in done.stderr and "Traceback" not in done.stderr
    listed = run_koclaw("memory", "long-term", "list", "--user", "u", "--json", "-n", "3")
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 3, listed.stderr


def test_a_number_is_not_a_timestamp(tmp_path: Path) -> None:
    for stamp in (17, 1.5e9, True):
        rc, _, err = import_file(
            write_jsonl(tmp_path / "n.jsonl", [{"text": "t", "speaker": "A", "timestamp": stamp}])
        )
        assert rc == 2 and "timestamp" in err and "ISO 8601" in err and refused(err), err
    rc, _, err = import_file(
        write_jsonl(tmp_path / "x.jsonl", [{"text": "t", "speaker": "A", "timestamp": "soon"}])
    )
    assert rc == 2 and "12:00:00Z. Each line" in err and refused(err), err


def test_a_file_saved_with_a_byte_order_mark_imports(tmp_path: Path) -> None:
    """Notepad and Excel write one; it was refused with Python's "decode using utf-8-sig"."""
    path = tmp_path / "bom.jsonl"
    path.write_text(json.dumps({"text": "BOM turn", "speaker": "Aiko"}) + "\n", encoding="utf-8-sig")
    rc, out, err = import_file(path, "bom")
    assert rc == 0 and "Imported 1" in out, err


def test_impossible_numbers_and_unmatched_queries() -> None:
    huge = "99999999999999999999"
    for args in (
        ("session", "list", "-n", huge),
        ("long-term", "list", "--user", "u", "-n", huge),
        ("session", "show", huge),
        ("session", "search", "abc", "-n", huge),
        ("long-term", "similar", "abc", "--user", "u", "-n", huge),
    ):
        done = run_koclaw("memory", *args)
        assert done.returncode == 2 and "Traceback" not in done.stderr and "Error" in done.stderr, (
            args,
            done.stderr,
        )
    none = run_koclaw("memory", "session", "list", "-q", "zzz")
    assert none.returncode == 0 and "No conversation has a message containing 'zzz'" in none.stdout


def test_text_that_is_not_utf8_is_refused() -> None:
    bad = os.fsdecode(b"a\xffb")  # as the shell passes `$(printf 'a\xffb')`
    for args in (
        ("session", "search", bad),
        ("session", "list", "-q", bad),
        ("long-term", "forget", bad, "--user", "u"),
        ("long-term", "similar", bad, "--user", "u"),
    ):
        done = run_koclaw("memory", *args)
        assert done.returncode == 2 and "not valid UTF-8" in done.stderr and "Traceback" not in done.stderr, (
            done.stderr
        )


def test_an_over_long_import_line_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(long_term, "MAX_IMPORT_LINE", 1000)
    data = tmp_path / "big.jsonl"
    data.write_text(json.dumps({"text": "ok", "speaker": "A"}) + "\n" + "x" * 5_000_000 + "\n")
    tracemalloc.start()
    try:
        result = CliRunner().invoke(long_term.app, ["import", str(data), "--user", "u"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(result.exception, InputError)
    assert "line 2: longer than 1,000 characters" in str(result.exception)
    assert peak < 2_000_000  # the 5 MB line was never held


def test_an_import_file_is_bounded_in_total(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(long_term, "MAX_IMPORT_FILE", 10_000)
    data = write_jsonl(tmp_path / "many.jsonl", [{"text": f"turn {i}", "speaker": "A"} for i in range(1000)])
    result = CliRunner().invoke(long_term.app, ["import", str(data), "--user", "u"])
    assert isinstance(result.exception, InputError)
    assert "split it into smaller files" in str(result.exception) and "Nothing was imported" in str(
        result.exception
    )


def test_a_queries_file_is_read_a_bounded_line_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(long_term, "MAX_QUERY_LINE", 1000)
    monkeypatch.setattr(long_term, "MAX_QUERIES", 3)
    runner = CliRunner()
    turns = write_jsonl(tmp_path / "t.jsonl", [{"text": "My cat Mochi sleeps all day.", "speaker": "A"}])
    assert runner.invoke(long_term.app, ["import", str(turns), "--user", "u"]).exit_code == 0
    queries = tmp_path / "q.txt"
    queries.write_text("Mochi\n" + "y" * 3_000_000 + "\n\ncat\nfish\n", encoding="utf-8")
    result = runner.invoke(long_term.app, ["search", "--user", "u", "--queries", str(queries)])
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [bool(o["hits"]) for o in out] == [True, False, True]
    assert len(out[1]["query"]) <= long_term.ECHOED and "Line 2 is longer than 1,000" in out[1]["error"]
    assert isinstance(result.exception, InputError) and "more than 3 queries" in str(result.exception)
    monkeypatch.setattr(long_term, "MAX_QUERIES_FILE", 100_000)
    result = runner.invoke(long_term.app, ["search", "--user", "u", "--queries", str(queries)])
    assert isinstance(result.exception, InputError) and "split it" in str(result.exception)


def test_long_term_and_session_commands_act_on_the_linked_person(tmp_path: Path) -> None:
    assert run_koclaw("identity", "link", "cli:alice", "telegram:999").returncode == 0
    rc, _, err = import_file(
        write_jsonl(tmp_path / "a.jsonl", [{"text": "my cat is named Mochi", "speaker": "Alice"}]), "alice"
    )
    assert rc == 0 and "acting on telegram:999" in err, err
    exported = run_koclaw("memory", "long-term", "export", "--user", "telegram:999").stdout.splitlines()
    assert [json.loads(line)["user_id"] for line in exported] == ["telegram:999"]
    found = run_koclaw("memory", "long-term", "search", "Mochi", "--user", "alice", "--json")
    assert json.loads(found.stdout)[0]["text"] == "my cat is named Mochi"
    listed = run_koclaw("memory", "long-term", "list", "--user", "alice", "--json")
    assert len(json.loads(listed.stdout)) == 1 and "acting on telegram:999" in listed.stderr
    assert "acting on telegram:999" in run_koclaw("memory", "session", "list", "--user", "alice").stderr
    gone = run_koclaw("memory", "long-term", "forget", "Mochi", "--user", "alice", "--json")
    assert len(json.loads(gone.stdout)["forgotten"]) == 1


def test_an_export_restores_episodes_and_facts_once(tmp_path: Path) -> None:
    rows: list[object] = [
        {
            "text": "We saw herons at the lake.",
            "speaker": "Tom",
            "timestamp": "2023-05-06T10:00:00Z",
            "metadata": {"n": 1},
        },
        {
            "id": "fa_old",
            "user_id": "cli:somebody",
            "kind": "fact",
            "text": "Tom is allergic to peanuts.",
            "importance": 5,
            "category": "health",
            "language": "en",
            "source_ids": ["ep_x"],
            "metadata": {},
            "timestamp": "2023-05-06T10:00:00Z",
            "speaker": None,
            "conversation_id": None,
            "message_id": None,
            "created_at": "2023-05-06T10:00:00Z",
            "updated_at": "2023-05-06T10:00:00Z",
        },
    ]
    assert import_file(write_jsonl(tmp_path / "t.jsonl", rows))[0] == 0
    backup = tmp_path / "backup.jsonl"
    backup.write_text(run_koclaw("memory", "long-term", "export", "--user", "u").stdout, encoding="utf-8")
    exported = [json.loads(line) for line in backup.read_text().splitlines()]
    assert sorted(e["kind"] for e in exported) == ["episode", "fact"]
    fact = next(e for e in exported if e["kind"] == "fact")
    assert (fact["importance"], fact["category"], fact["language"]) == (5, "health", "en")
    for user, imported in (("u", 0), ("v", 2), ("v", 0)):
        rc, out, err = import_file(backup, user, "--json")
        assert rc == 0 and json.loads(out) == {"imported": imported, "already_there": 2 - imported}, err
    restored = [
        json.loads(line)
        for line in run_koclaw("memory", "long-term", "export", "--user", "v").stdout.splitlines()
    ]
    assert sorted((r["kind"], r["text"]) for r in restored) == sorted(
        (e["kind"], e["text"]) for e in exported
    )
    bad = write_jsonl(tmp_path / "bad.jsonl", [{**fact, "importance": 9}])
    rc, _, err = import_file(bad)
    assert rc == 2 and "importance" in err and "Nothing was imported" in err, err


@pytest.mark.slow
def test_the_losing_side_of_two_imports_is_told_to_run_again(tmp_path: Path) -> None:
    rows: list[object] = [
        {"text": f"Turn {i} about the garden and the rain.", "speaker": "A"} for i in range(80)
    ]
    data = write_jsonl(tmp_path / "t.jsonl", rows)
    assert run_koclaw("memory", "long-term", "list", "--user", "u").returncode == 0  # stores made, not raced
    command = [KOCLAW, "memory", "long-term", "import", str(data), "--user", "u", "--json"]
    both = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in "ab"
    ]
    done = [(*reversed(p.communicate(timeout=300)), p.returncode) for p in both]
    assert all("UNIQUE" not in err and "Traceback" not in err for err, _, _ in done), done
    lost = [err for err, _, rc in done if rc != 0]
    assert all("ran at the same time" in err and "Run the command again" in err for err in lost), done
    again = run_koclaw("memory", "long-term", "import", str(data), "--user", "u", "--json")
    assert json.loads(again.stdout) == {"imported": 0, "already_there": 80}


def test_json_output_survives_a_lone_surrogate_stored_before_inputs_were_checked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from koclaw.cli.common import print_json

    print_json({"metadata": {"k": "a\udc80b"}})
    assert json.loads(capsys.readouterr().out) == {"metadata": {"k": "a\ufffdb"}}
