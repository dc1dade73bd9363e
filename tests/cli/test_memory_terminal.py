"""`koclaw memory ...` views never pass a terminal escape from stored text on (the real command)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from koclaw.terminal import control_characters, terminal_safe
from memory.session import SessionStore
from tests.conftest import run_koclaw

# Clear the screen, set the title, put "evil" on the clipboard (OSC 52), a NUL, an 8-bit CSI,
# a carriage return that would overwrite the line, and a right-to-left override.
ATTACK = "\x1b[2J\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x1b\\\x00\x9b31m\r\u202e"
EVIL_USER = "mallory\x1b]0;owned\x07"
CONTENT = f"京都の紅葉🍁{ATTACK} first line\nsecond line 你好"
REASONING = f"thinking {ATTACK}hard"
UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def assert_safe(text: str) -> None:
    found = UNSAFE.search(text)
    assert found is None, f"{found.group()!r} reached the terminal in {text!r}"


@pytest.fixture
def session(koclaw_home: Path) -> int:
    """A conversation for a hostile user id, and one for alice, both holding hostile text."""
    store = SessionStore(koclaw_home / "session.db")
    try:
        evil = store.conversation("cli", f"cli:{EVIL_USER}", EVIL_USER, EVIL_USER)
        store.add_message(evil.id, "user", CONTENT)
        store.add_message(evil.id, "assistant", f"ok{ATTACK}", reasoning=REASONING)
        alice = store.conversation("cli", "cli:alice", "alice", "alice")
        store.add_message(alice.id, "user", CONTENT)
        return evil.id
    finally:
        store.close()


def test_session_views_strip_escapes_but_keep_cjk_emoji_and_lines(session: int) -> None:
    listed = run_koclaw("memory", "session", "list")
    shown = run_koclaw("memory", "session", "show", str(session), "--reasoning")
    found = run_koclaw("memory", "session", "search", "紅葉")
    for out in (listed, shown, found):
        assert out.returncode == 0, out.stderr
        assert_safe(out.stdout)
    assert "mallory" in listed.stdout and "pwned" not in listed.stdout
    for out in (shown, found):
        assert "京都の紅葉🍁" in out.stdout and "first line\n  second line 你好" in out.stdout
        assert "ZXZpbA==" not in out.stdout
    assert "<think> thinking hard" in shown.stdout and "ok\n" in shown.stdout


def test_session_json_stays_exact(session: int) -> None:
    out = run_koclaw("memory", "session", "show", str(session), "--reasoning", "--json")
    data = json.loads(out.stdout)
    assert data["conversation"]["user_id"] == f"cli:{EVIL_USER}"  # written bare, renamed once
    assert [m["content"] for m in data["messages"]] == [CONTENT, f"ok{ATTACK}"]
    assert data["messages"][1]["reasoning"] == REASONING
    assert "\x1b" not in out.stdout  # json.dumps escapes control characters itself


def test_working_view_strips_escapes(session: int) -> None:
    out = run_koclaw("memory", "working", "hello", "--user", "alice")
    assert out.returncode == 0, out.stderr
    assert_safe(out.stdout)
    assert "京都の紅葉🍁" in out.stdout and "first line\nsecond line 你好" in out.stdout


@pytest.mark.slow
def test_long_term_views_strip_escapes(tmp_path: Path) -> None:
    rows = [{"text": CONTENT, "speaker": "user", "timestamp": "2024-11-20T10:00:00Z"}]
    data = tmp_path / "turns.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert run_koclaw("memory", "long-term", "import", str(data), "--user", "u").returncode == 0
    outs = [
        run_koclaw("memory", "long-term", "list", "--user", "u"),
        run_koclaw("memory", "long-term", "search", "紅葉", "--user", "u"),
        run_koclaw("memory", "long-term", "similar", "autumn leaves in Kyoto", "--user", "u"),
    ]
    for out in outs:
        assert out.returncode == 0, out.stderr
        assert_safe(out.stdout)
        assert "京都の紅葉🍁" in out.stdout and "second line" in out.stdout
    exported = run_koclaw("memory", "long-term", "search", "紅葉", "--user", "u", "--json")
    assert json.loads(exported.stdout)[0]["text"] == CONTENT


@pytest.mark.parametrize(
    "args",
    [
        ["memory", "session", "list", "--user"],
        ["memory", "session", "search", "hello", "-u"],
        ["memory", "long-term", "list", "--user"],
        ["memory", "long-term", "search", "hello", "--user"],
        ["memory", "working", "hello", "--user"],
        ["memory", "training-consent", "show", "--user"],
    ],
    ids=lambda args: " ".join(args[1:3]),
)
@pytest.mark.parametrize(
    "user", ["bob\x1b[31m", "bob\nroot", "bob\x9b31m"], ids=["esc", "newline", "c1"]
)  # argv holds no NUL
def test_user_ids_with_control_characters_are_refused(args: list[str], user: str) -> None:
    out = run_koclaw(*args, user)
    said = " ".join(re.sub(r"[│╭╮╰╯─]", " ", out.stderr).split())  # as read, boxes and wrapping aside
    assert out.returncode == 2
    assert "Invalid value for '--user' / '-u': a user id cannot contain control characters" in said
    assert "Traceback" not in said
    assert_safe(out.stderr.replace("\n", ""))


def test_terminal_safe_keeps_text_and_drops_controls() -> None:
    assert terminal_safe(CONTENT, multiline=True) == "京都の紅葉🍁 first line\nsecond line 你好"
    assert terminal_safe("a\r\nb\tc") == "a b c"
    assert terminal_safe("unended \x1b]0;title\nnext", multiline=True) == "unended \nnext"
    assert terminal_safe("👩‍👩‍👧 家族") == "👩‍👩‍👧 家族"  # zero-width joiners stay
    assert control_characters("cli:alice") == [] and control_characters("a\x1b\n") == ["U+000A", "U+001B"]
