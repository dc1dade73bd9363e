"""The real `koclaw` command against the scripted server: what the user sees and what lands in SQLite."""

from __future__ import annotations

import json
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


def test_ask_prints_reply_and_stores_both(server: FakeOpenAIServer, koclaw_home: Path) -> None:
    server.add(Reply(chunks=["ちょっと", "考える</think>\n\n", "おはようございます、", "先生！"]))
    out = run_koclaw("ask", "おはよう、先生", "--user", "alice")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "おはようございます、先生！\n"
    assert rows(koclaw_home, "SELECT role, content, reasoning, status FROM messages ORDER BY id") == [
        ("user", "おはよう、先生", None, "answered"),
        ("assistant", "おはようございます、先生！", "ちょっと考える", "ok"),
    ]


def test_chat_script_mode_splits_tags_at_every_position(server: FakeOpenAIServer, koclaw_home: Path) -> None:
    whole = "<think>plan for 老师</think>\n\n好的，老师！"
    cuts = range(1, len(whole))
    server.add(*(Reply(chunks=[whole[:i], whole[i:]]) for i in cuts))
    stdin = "".join(f"第{i}条消息\n" for i in cuts).encode()
    out = run_koclaw("chat", "--user", "bob", stdin=stdin)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["好的，老师！"] * len(cuts)
    stored = rows(koclaw_home, "SELECT content, reasoning FROM messages WHERE role = 'assistant'")
    assert stored == [("好的，老师！", "plan for 老师")] * len(cuts)


def test_chat_script_mode_bad_input(server: FakeOpenAIServer, koclaw_home: Path) -> None:
    big = ("長い文書です。" * 15000).encode()  # ~300 KB of Japanese on one line
    stdin = (
        b"\n".join([b"", b"hello \x07there\x1b[2J", b"caf\xe9 \xff bytes", big, b"   ", b"last one"]) + b"\n"
    )
    out = run_koclaw("chat", stdin=stdin)
    assert out.returncode == 0, out.stderr
    replies = out.stdout.splitlines()
    assert len(replies) == 4 and all(r.startswith("echo: ") for r in replies)
    assert "line 1: empty line skipped" in out.stderr and "line 5: empty line skipped" in out.stderr
    assert "line 2: removed 5 control character(s)" in out.stderr
    assert "line 3: invalid UTF-8 was replaced" in out.stderr
    assert "line 4: the message is too long" in out.stderr
    users = [r[0] for r in rows(koclaw_home, "SELECT content FROM messages WHERE role = 'user' ORDER BY id")]
    assert users[0] == "hello there" and users[1] == "caf\ufffd \ufffd bytes"
    assert users[2] == big.decode() and users[3] == "last one"


def test_server_down_explains_how_to_start_one(dead_url: str, koclaw_home: Path) -> None:
    out = run_koclaw("ask", "are you there?")
    assert out.returncode == 1
    assert out.stdout.strip() == fallback("unavailable", "en")
    assert "vllm serve" in out.stderr and "KOCLAW_LLM__BASE_URL" in out.stderr and dead_url in out.stderr
    assert rows(koclaw_home, "SELECT content, status FROM messages WHERE role = 'user'") == [
        ("are you there?", "unanswered")
    ]


def test_server_error_mid_stream(server: FakeOpenAIServer, koclaw_home: Path) -> None:
    server.add(Reply(chunks=["</think>", "Half ", "an answer", " never sent"], break_after=3))
    out = run_koclaw("ask", "question")
    assert out.returncode == 1
    assert out.stdout.startswith("Half an answer\n\n") and fallback("broken", "en") in out.stdout
    assert rows(koclaw_home, "SELECT content, status FROM messages WHERE role = 'assistant'") == [
        ("Half an answer", "error")
    ]


def test_bad_config_value_is_one_clear_line(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOCLAW_LLM__THINKING", "sometimes")
    out = run_koclaw("ask", "hi")
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "KOCLAW_LLM__THINKING" in lines[0] and "Traceback" not in out.stderr


def test_doctor_masks_secrets_and_checks(server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOCLAW_LLM__API_KEY", "sk-super-secret-token-42")
    out = run_koclaw("doctor")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "super-secret" not in out.stdout and "****42" in out.stdout
    assert "ok   model server" in out.stdout and "kokoron" in out.stdout and "ok   storage" in out.stdout


def test_doctor_fails_without_server(dead_url: str) -> None:
    out = run_koclaw("doctor")
    assert out.returncode == 1 and "FAIL model server" in out.stdout and "vllm serve" in out.stdout


def chat_until_streaming(server: FakeOpenAIServer, line: str) -> subprocess.Popen[bytes]:
    """Start `koclaw chat`, send one line, and return once the reply has begun streaming."""
    proc = subprocess.Popen(
        [KOCLAW, "chat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    assert proc.stdin is not None
    proc.stdin.write(line.encode() + b"\n")
    proc.stdin.flush()
    deadline = time.monotonic() + 30
    while not server.received or not server.received[0].chunk_times:
        assert time.monotonic() < deadline, "the request never reached the server"
        time.sleep(0.02)
    return proc


def test_sigterm_finishes_the_running_turn(server: FakeOpenAIServer, koclaw_home: Path) -> None:
    server.add(Reply(chunks=["</think>"] + [f"part{i} " for i in range(8)], delay_s=0.1))
    proc = chat_until_streaming(server, "tell me a long story")
    proc.send_signal(signal.SIGTERM)
    stdout, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert stdout.decode().strip() == " ".join(f"part{i}" for i in range(8))
    assert rows(koclaw_home, "SELECT status FROM messages ORDER BY id") == [("answered",), ("ok",)]


def test_killed_mid_reply_loses_nothing_received(server: FakeOpenAIServer, koclaw_home: Path) -> None:
    server.add(Reply(chunks=["</think>"] + ["slow "] * 50, delay_s=0.1))
    proc = chat_until_streaming(server, "请记住这件事")
    proc.kill()
    proc.wait(timeout=10)
    assert rows(koclaw_home, "SELECT role, content FROM messages WHERE role = 'user'") == [
        ("user", "请记住这件事")
    ]
    assert run_koclaw("ask", "还在吗").returncode == 0  # the next start recovers the abandoned reply
    assert rows(koclaw_home, "SELECT status FROM messages WHERE role = 'assistant' ORDER BY id") == [
        ("interrupted",),
        ("ok",),
    ]


def _pty_session(args: list[str], keys: list[bytes], until: bytes, timeout: float = 30) -> bytes:
    """Run `koclaw` on a pseudo-terminal, type `keys`, and read until `until` appears."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [KOCLAW, *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=os.environ.copy(),
        close_fds=True,
    )
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        for key in keys:
            os.write(leader, key)
        while until not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    seen += os.read(leader, 65536)
                except OSError:
                    break
            elif proc.poll() is not None:
                break
    finally:
        proc.kill()
        proc.wait()
        os.close(leader)
    return seen


def test_interactive_chat_streams_on_a_terminal(server: FakeOpenAIServer) -> None:
    server.add(Reply(chunks=["</think>\n\n", "Good ", "evening, ", "Sensei!"]))
    seen = _pty_session(["chat", "--user", "ann"], [b"good evening\r"], until=b"Sensei!")
    assert b"Kokoron \xe2\x80\xba Good evening, Sensei!" in seen


def test_interactive_chat_without_server_says_how_to_start_one(dead_url: str) -> None:
    seen = _pty_session(["chat"], [], until=b"koclaw doctor")
    assert b"vllm serve" in seen and b"KOCLAW_LLM__BASE_URL" in seen


def test_memory_session_commands(server: FakeOpenAIServer, koclaw_home: Path) -> None:
    server.add(Reply(chunks=["secret musing</think>", "Ramen it is, Sensei."]))
    assert run_koclaw("ask", "I want ramen tonight", "--user", "kai").returncode == 0
    listed = json.loads(run_koclaw("memory", "session", "list", "--json").stdout)
    assert [(c["user_id"], c["messages"]) for c in listed] == [("cli:kai", 2)]
    conv = str(listed[0]["id"])
    shown = json.loads(run_koclaw("memory", "session", "show", conv, "--json").stdout)
    assert [m["content"] for m in shown["messages"]] == ["I want ramen tonight", "Ramen it is, Sensei."]
    assert "reasoning" not in shown["messages"][1]
    with_thinking = json.loads(run_koclaw("memory", "session", "show", conv, "--json", "--reasoning").stdout)
    assert with_thinking["messages"][1]["reasoning"] == "secret musing"
    text = run_koclaw("memory", "session", "show", conv).stdout
    assert "Ramen it is" in text and "secret musing" not in text
    assert "secret musing" in run_koclaw("memory", "session", "show", conv, "--reasoning").stdout
    found = json.loads(run_koclaw("memory", "session", "search", "ramen", "--json").stdout)
    assert {m["role"] for m in found} == {"user", "assistant"}
    assert json.loads(run_koclaw("memory", "session", "list", "-q", "sushi", "--json").stdout) == []
    missing = run_koclaw("memory", "session", "show", "999")
    assert missing.returncode == 2 and "koclaw memory session list" in missing.stderr


def test_run_without_channels_says_how_to_configure_one() -> None:
    out = run_koclaw("run")
    assert out.returncode == 2
    assert "KOCLAW_TELEGRAM__TOKEN" in out.stderr and "KOCLAW_HTTP__API_KEY" in out.stderr


def test_doctor_warns_when_nobody_is_allowed_on_telegram(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOCLAW_TELEGRAM__TOKEN", "123456:SECRET-TOKEN-VALUE-xyz")
    out = run_koclaw("doctor")
    assert "ALLOWED_USERS is empty, so nobody is allowed" in out.stdout
    assert "SECRET-TOKEN" not in out.stdout + out.stderr


def test_run_serves_the_http_channel_until_sigterm(
    server: FakeOpenAIServer, koclaw_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    import openai

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("KOCLAW_HTTP__API_KEY", "sk-run-test-key-0123456789")
    monkeypatch.setenv("KOCLAW_HTTP__PORT", str(port))
    server.add(Reply(chunks=["</think>", "Welcome back, ", "Sensei."]))
    proc = subprocess.Popen([KOCLAW, "run"], stderr=subprocess.PIPE, env=os.environ.copy())
    client = openai.OpenAI(
        base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-run-test-key-0123456789", max_retries=0
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                client.models.list()
                break
            except openai.APIConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, "koclaw run did not start"
                time.sleep(0.1)
        reply = client.chat.completions.create(
            model="kokoron", messages=[{"role": "user", "content": "I'm home"}], user="mei"
        )
        assert reply.choices[0].message.content == "Welcome back, Sensei."
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert b"Kokoron is up on: http" in stderr and b"sk-run-test-key" not in stderr
    assert rows(koclaw_home, "SELECT role, content FROM messages ORDER BY id") == [
        ("user", "I'm home"),
        ("assistant", "Welcome back, Sensei."),
    ]


def test_the_terminal_chat_offers_telegrams_memory_commands(server: FakeOpenAIServer) -> None:
    server.add(
        Reply(chunks=["a cat!</think>", "Mochi is a lovely name, Sensei."]),
        Reply(chunks=["hi</think>", "Hello again, Sensei."]),
    )
    lines = "My cat is called Mochi\n/memory\n/forget 1\n/memory\n/reset\nhello\n"
    out = run_koclaw("chat", "--user", "kai", stdin=lines.encode())
    assert out.returncode == 0, out.stderr
    said = out.stdout.splitlines()
    assert said[0] == "Mochi is a lovely name, Sensei."
    assert "Session memory: 2 messages" in out.stdout and "#1 My cat is called Mochi" in said
    assert any(line.startswith("Done, Sensei: I forgot") for line in said)  # the message (and its episode)
    assert "Session memory: 1 messages" in out.stdout and said.count("#1 My cat is called Mochi") == 1
    assert said[-1] == "Hello again, Sensei."
    assert len(server.chat_requests) == 2  # the commands never reach the model
    listed = json.loads(run_koclaw("memory", "session", "list", "--json").stdout)
    assert [(c["user_id"], c["ended_at"] is None) for c in listed] == [("cli:kai", True), ("cli:kai", False)]


@pytest.mark.parametrize(
    "args",
    [
        ["ask", os.fsdecode(b"caf\xe9 au lait")],  # bytes that are not UTF-8: was a SQLite traceback
        ["ask", "--user", os.fsdecode(b"ev\xffil"), "hi"],
        ["chat", "--user", "evil\x1b]0;pwned\x07"],  # stored, then unreachable by every other --user
        ["ask", "--user", "k" * 300, "hi"],
    ],
)
def test_chat_and_ask_refuse_what_no_store_can_take(
    server: FakeOpenAIServer, koclaw_home: Path, args: list[str]
) -> None:
    out = run_koclaw(*args, stdin=b"hello\n")
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert server.chat_requests == []


def test_ask_as_a_full_identity_speaks_as_that_person(server: FakeOpenAIServer, koclaw_home: Path) -> None:
    """As every --user: `telegram:222` is that Telegram person, not a terminal user of that name."""
    server.add(Reply(chunks=["</think>", "Hi"]))
    assert run_koclaw("ask", "--user", "telegram:222", "hi").returncode == 0
    found = rows(koclaw_home, "SELECT user_id, chat_id FROM conversations")
    assert found == [("telegram:222", "cli:telegram:222")]


def test_a_forget_target_of_odd_digits_is_answered_and_the_chat_goes_on(
    server: FakeOpenAIServer, koclaw_home: Path
) -> None:
    """'²'.isdigit() is true and int('²') fails; 23 digits overflow SQLite: both ended the chat."""
    server.add(Reply(chunks=["</think>", "Still here, Sensei."]))
    lines = "/forget ²\n/forget 99999999999999999999999\nstill here?\n"
    out = run_koclaw("chat", "--user", "kai", stdin=lines.encode())
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    said = out.stdout.splitlines()
    assert said[-1] == "Still here, Sensei." and "99999999999999999999999" in said[1], said
