"""`koclaw chat --tiny` and `--model`: a model served in the chat's own process, end to end.

The built-in Kokoron must answer with model text (stored `ok`, no fallback notice) in the language of
each message, and stop at end-of-turn; a model that cannot load is one line and exit 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="the local extra (torch) is not installed")

from character import analyse_language
from koclaw.cli.embedded import TINY_WARNING
from tests.cli.test_chat_cli import rows
from tests.conftest import run_koclaw

MESSAGES = ["hello, Kokoron!", "今天好累啊", "週末は何をしようかな"]


def test_the_built_in_kokoron_answers_every_message_in_its_language(koclaw_home: Path) -> None:
    stdin = "".join(f"{m}\n" for m in MESSAGES).encode()
    result = run_koclaw("chat", "--tiny", "-u", "sensei", stdin=stdin, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert TINY_WARNING in result.stderr and "Traceback" not in result.stderr
    assert (koclaw_home / "models" / "tiny-kokoron" / "manifest.json").is_file()
    stored = rows(
        koclaw_home,
        "SELECT role, content, model, status, notice, completion_tokens FROM messages ORDER BY id",
    )
    assert [content for role, content, *_ in stored if role == "user"] == MESSAGES
    replies = [row for row in stored if row[0] == "assistant"]
    assert [(model, status, notice) for _, _, model, status, notice, _ in replies] == [
        ("tiny", "ok", None)
    ] * 3
    for message, (_, content, _, _, _, tokens) in zip(MESSAGES, replies, strict=True):
        assert isinstance(content, str) and content.strip(), replies
        assert analyse_language(content).dominant == analyse_language(message).dominant, replies
        assert isinstance(tokens, int) and tokens < 200, replies  # ends at end-of-turn, never runs on
    assert len(result.stdout.splitlines()) == 3 and result.stdout.strip("\n") == result.stdout.rstrip("\n")
    # one reply per line, from the first: the progress bar draws on stderr


def test_chat_serves_a_model_folder_by_path(koclaw_home: Path, tmp_path: Path) -> None:
    built = run_koclaw("chat", "--tiny", stdin=b"hi\n", timeout=600)
    assert built.returncode == 0, built.stderr[-2000:]
    folder = tmp_path / "my-model"
    shutil.copytree(koclaw_home / "models" / "tiny-kokoron", folder)
    result = run_koclaw("chat", "--model", str(folder), "-u", "sensei", stdin=b"hello\n", timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"Loading {folder}" in result.stderr and TINY_WARNING not in result.stderr
    models = rows(koclaw_home, "SELECT model FROM messages WHERE role = 'assistant' ORDER BY id")
    assert models[-1] == (str(folder),)

    weights = koclaw_home / "models" / "tiny-kokoron" / "model.safetensors"  # a build cut short on disk
    weights.write_bytes(weights.read_bytes()[:100])
    again = run_koclaw("chat", "--tiny", stdin=b"hi again\n", timeout=600)
    assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr[-2000:]
    assert "does not load" in again.stderr and "building it again" in again.stderr
    assert again.stdout.strip() and weights.stat().st_size > 100


def test_a_tiny_model_that_cannot_be_built_is_one_line_and_exit_2(koclaw_home: Path) -> None:
    koclaw_home.mkdir(parents=True)
    (koclaw_home / "models").write_text("not a folder")
    result = run_koclaw("chat", "--tiny", stdin=b"hello\n", timeout=300)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "koclaw: cannot load tiny" in result.stderr and "writable folder" in result.stderr


def test_a_model_that_cannot_load_is_one_line_and_exit_2(koclaw_home: Path, tmp_path: Path) -> None:
    result = run_koclaw("chat", "--model", str(tmp_path / "no-such-model"), stdin=b"hello\n", timeout=300)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("koclaw: cannot load")]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert not (koclaw_home / "session.db").exists() or not rows(koclaw_home, "SELECT 1 FROM messages")
