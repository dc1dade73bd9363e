"""`koclaw ask` against a misbehaving world: signals mid-reply, malformed model output."""

from __future__ import annotations

import os
import pty
import select
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from koclaw.replies import fallback
from tests.conftest import KOCLAW, run_koclaw
from tests.fakes.openai_server import FakeOpenAIServer, Reply


def rows(home: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(home / "session.db") as conn:
        return conn.execute(sql).fetchall()


def read_until(fd: int, wanted: bytes, timeout: float = 60) -> bytes:
    """Read a pty until `wanted` shows up (the reply is streaming to a terminal)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"never saw {wanted!r}; got {seen!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            seen += os.read(fd, 4096)
    return seen


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ask_stops_on_sigint_and_sigterm_keeping_what_was_said(
    server: FakeOpenAIServer, koclaw_home: Path, sig: signal.Signals
) -> None:
    server.add(Reply(chunks=["</think>", "Once upon ", "a time"], endless=" and", delay_s=0.05))
    master, slave = pty.openpty()  # a terminal, so that the reply streams as it arrives
    proc = subprocess.Popen(
        [KOCLAW, "ask", "tell me a story"],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    os.close(slave)
    try:
        read_until(master, b"a time")
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert proc.returncode == 1, stderr
    assert b"Traceback" not in stderr
    ((status, content),) = rows(koclaw_home, "SELECT status, content FROM messages WHERE role = 'assistant'")
    assert status == "interrupted" and str(content).startswith("Once upon a time")
    assert rows(koclaw_home, "SELECT content, status FROM messages WHERE role = 'user'") == [
        ("tell me a story", "unanswered")
    ]


def test_ask_survives_a_lone_surrogate(server: FakeOpenAIServer, koclaw_home: Path) -> None:
    server.add(
        Reply(chunks=[b'{"choices": [{"index": 0, "delta": {"content": "</think>Hi \\ud800 Sensei"}}]}'])
    )
    out = run_koclaw("ask", "hi")
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    assert out.stdout == "Hi \ufffd Sensei\n"
    assert rows(koclaw_home, "SELECT status FROM messages ORDER BY id") == [("answered",), ("ok",)]


def test_ask_reports_a_200_that_is_not_a_stream(server: FakeOpenAIServer, koclaw_home: Path) -> None:
    server.add(*[Reply(body=b"<html>502 Bad Gateway</html>", content_type="text/html")] * 3)
    out = run_koclaw("ask", "hi")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "KOCLAW_LLM__BASE_URL" in out.stderr and out.stdout == fallback("unavailable", "en") + "\n"
    assert rows(koclaw_home, "SELECT status FROM messages ORDER BY id") == [("unanswered",), ("error",)]
