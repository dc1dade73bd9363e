"""`koclaw chat --tiny`: the built-in server on the tiny Kokoron, built on first use, end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch", reason="training extra not installed")

from koclaw.cli.embedded import TINY_WARNING
from tests.cli.test_chat_cli import rows
from tests.conftest import run_koclaw


def test_chat_on_the_built_in_tiny_model(koclaw_home: Path) -> None:
    result = run_koclaw("chat", "--tiny", "-u", "sensei", stdin="hello\n你好老师\n".encode(), timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert TINY_WARNING in result.stderr and "Traceback" not in result.stderr
    assert (koclaw_home / "models" / "tiny-kokoron" / "manifest.json").is_file()
    stored = rows(koclaw_home, "SELECT role, content, model FROM messages ORDER BY id")
    assert [(role, content) for role, content, _ in stored if role == "user"] == [
        ("user", "hello"),
        ("user", "你好老师"),
    ]
    assert [model for role, _, model in stored if role == "assistant"] == ["tiny", "tiny"]
    assert len(result.stdout.strip().splitlines()) == 2  # one reply per line
