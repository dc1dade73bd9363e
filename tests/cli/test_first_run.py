"""A first run, as a person meets it: no model server yet, a Telegram admin who forgot to allow
themselves, the Soul tier at a glance, help screens, leaving a chat with Ctrl-D.

The real `koclaw` process where logging and exit paths matter, the real Typer app in process elsewhere.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from koclaw.cli import app
from koclaw.replies import fallback
from tests.conftest import KOCLAW, run_koclaw
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.memory.test_soul import adapter_dir

runner = CliRunner()
HOW_TO_START = "No model server answers at"
TOKEN = "434343:AAH-fake-token-for-first-run_0123456789"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- no model server: the advice once, no retries ---------------------------------------------------


@pytest.fixture
def retries_on(dead_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A dead model server with retries as a person has them (the default), not switched off."""
    monkeypatch.delenv("KOCLAW_LLM__MAX_RETRIES")
    return dead_url


@pytest.mark.slow
def test_ask_without_a_server_says_how_to_start_one_once_and_does_not_retry(retries_on: str) -> None:
    out = run_koclaw("ask", "are you there?")
    assert out.returncode == 1 and out.stdout.strip() == fallback("unavailable", "en")
    assert out.stderr.count(HOW_TO_START) == 1 and out.stderr.count("vllm serve") == 1, out.stderr
    assert "retry" not in out.stderr  # a refused connection is final at once


@pytest.mark.slow
def test_chat_script_without_a_server_says_it_once_for_every_line(retries_on: str) -> None:
    out = run_koclaw("chat", stdin=b"one\ntwo\nthree\n")
    assert out.returncode == 1
    assert out.stdout.splitlines() == [fallback("unavailable", "en")] * 3
    assert out.stderr.count(HOW_TO_START) == 1 and "retry" not in out.stderr, out.stderr


@pytest.mark.slow
def test_a_5xx_is_still_retried_in_one_line_each(server: FakeOpenAIServer) -> None:
    server.add(Reply(status=503), Reply(status=503), Reply(chunks=["</think>", "Here I am."]))
    out = run_koclaw("ask", "are you there?")
    assert out.returncode == 0 and out.stdout == "Here I am.\n", out.stderr
    assert len(server.received) == 3
    retries = [line for line in out.stderr.splitlines() if "retry" in line]
    assert len(retries) == 2 and all("answered 503" in line for line in retries), out.stderr
    assert len(out.stderr.splitlines()) == 2


# -- koclaw run: the model server and Telegram admins are checked at start --------------------------


def run_until(env: dict[str, str], wanted: list[bytes], timeout: float = 60) -> bytes:
    """Start `koclaw run`, read stderr until every `wanted` piece has shown up, then stop it."""
    proc = subprocess.Popen([KOCLAW, "run"], stderr=subprocess.PIPE, env=env)
    assert proc.stderr is not None
    seen = b""
    try:
        deadline = time.monotonic() + timeout
        while not all(w in seen for w in wanted) and time.monotonic() < deadline:
            # os.read, not readline: a buffered reader can hold a second line that select never reports
            ready, _, _ = select.select([proc.stderr], [], [], deadline - time.monotonic())
            chunk = os.read(proc.stderr.fileno(), 65536) if ready else b""
            if not chunk:
                break
            seen += chunk
    finally:
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=30)
    assert proc.returncode == 0, seen + rest
    return seen + rest


def http_env() -> dict[str, str]:
    env = os.environ.copy()
    env |= {"KOCLAW_HTTP__API_KEY": "sk-first-run-key-0123456789", "KOCLAW_HTTP__PORT": str(free_port())}
    return env


@pytest.mark.slow
def test_run_without_a_model_server_warns_in_one_line_and_starts(retries_on: str) -> None:
    said = run_until(http_env(), [b"Kokoron is up on: http", b"warning"]).decode()
    (warning,) = [line for line in said.splitlines() if "warning" in line]
    assert "not reachable" in warning and retries_on in warning
    assert "vllm serve" not in said and "Traceback" not in said


@pytest.mark.slow
def test_run_with_a_model_server_does_not_warn(server: FakeOpenAIServer) -> None:
    said = run_until(http_env(), [b"Kokoron is up on: http"]).decode()
    assert "warning" not in said


@pytest.mark.slow
def test_run_and_doctor_warn_about_an_admin_who_is_not_allowed(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOCLAW_TELEGRAM__TOKEN", TOKEN)
    monkeypatch.setenv("KOCLAW_TELEGRAM__ALLOWED_USERS", "1111")
    monkeypatch.setenv("KOCLAW_TELEGRAM__ADMIN_USERS", "1111,2222")
    with FakeBotAPI(TOKEN) as bot_api:
        monkeypatch.setenv("KOCLAW_TELEGRAM__BASE_URL", bot_api.base_url)
        said = run_until(os.environ.copy(), [b"Kokoron is up on: telegram"]).decode()
    (warning,) = [line for line in said.splitlines() if "warning" in line]
    assert "admin id(s) 2222 not in KOCLAW_TELEGRAM__ALLOWED_USERS" in warning
    assert "KOCLAW_TELEGRAM__ALLOWED_USERS=1111,2222" in warning and TOKEN not in said
    doctor = run_koclaw("doctor")
    assert "warn telegram: admin id(s) 2222 not in KOCLAW_TELEGRAM__ALLOWED_USERS" in doctor.stdout
    assert TOKEN not in doctor.stdout + doctor.stderr


# -- koclaw memory soul ---------------------------------------------------------------------------


def memory_soul(*args: str) -> list[str]:
    result = runner.invoke(app, ["memory", "soul", *args])
    assert result.exit_code == 0, result.output
    return list(result.stdout.splitlines())


def test_memory_soul_with_the_server_down_says_so_in_one_line(
    retries_on: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = memory_soul()
    assert lines[0] == "active adapter: none (0 registered; `koclaw soul register NAME PATH` adds one)"
    (server_line,) = [line for line in lines if line.startswith("model server:")]
    assert "not reachable" in server_line and retries_on in server_line
    assert lines[-1].startswith(
        "chat uses:      the first model the server lists, once it answers; until then"
    )
    assert "`koclaw chat --tiny`" in lines[-1]  # the model a chat would really use: the built-in one
    assert len(lines) == 3 and not any("vllm serve" in line for line in lines)
    monkeypatch.setenv("KOCLAW_LLM__MODEL", "qwen")
    assert memory_soul()[-1] == "chat uses:      qwen (KOCLAW_LLM__MODEL)"


def test_memory_soul_shows_the_active_adapter_served_and_used(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    assert memory_soul()[-1] == "chat uses:      kokoron (the first model the server lists)"
    folder = adapter_dir(tmp_path, "v2")
    assert runner.invoke(app, ["soul", "register", "kokoron-v2", str(folder)]).exit_code == 0
    activated = runner.invoke(app, ["soul", "activate", "kokoron-v2"])
    assert activated.exit_code == 0, activated.output
    lines = memory_soul()
    assert lines[0] == "active adapter: kokoron-v2 (of 1 registered); served by the model server"
    assert lines[-1] == "chat uses:      kokoron-v2 (the active adapter)"
    data = json.loads(runner.invoke(app, ["memory", "soul", "--json"]).stdout)
    assert (data["active"], data["active_served"], data["chat_model"]) == ("kokoron-v2", True, "kokoron-v2")
    server.models.remove("kokoron-v2")  # the server restarted without it
    lines = memory_soul()
    assert "NOT served by the model server: `koclaw soul activate kokoron-v2` loads it" in lines[0]
    assert lines[-1] == "chat uses:      kokoron-v2 (the active adapter), which the server does not serve"


# -- help screens and leaving a chat --------------------------------------------------------------


def commands() -> list[tuple[list[str], Any]]:
    """Every command and group of the real app with its argv prefix (Typer vendors its own click:
    groups are told by their `commands`)."""
    found: list[tuple[list[str], Any]] = []

    def walk(command: Any, path: list[str]) -> None:
        found.append((path, command))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def test_help_screens_show_no_type_on_flags_and_every_help_text_whole() -> None:
    listed = commands()
    assert len(listed) > 40 and ["memory", "soul"] in [path for path, _ in listed]
    for path, command in listed:
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "<bool>" not in result.output, (path, result.output)
        said = "".join(result.output.split())  # wrapping aside (it may break after a hyphen)
        for param in command.params:  # nothing read as markup: "[vllm: qwen3, else none]" stays
            assert "".join((getattr(param, "help", None) or "").split()) in said, (path, param.name)


@pytest.mark.slow
def test_ctrl_d_leaves_the_shell_prompt_on_a_new_line(server: FakeOpenAIServer) -> None:
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [KOCLAW, "chat", "--user", "ann"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=os.environ.copy(),
    )
    os.close(follower)
    seen = b""
    try:
        seen = read_pty(leader, proc, until=PROMPT)
        os.write(leader, b"\x04")  # Ctrl-D at the prompt
        seen += read_pty(leader, proc, until=None)
        assert proc.wait(timeout=30) == 0, seen
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    assert seen.endswith(PROMPT + b"\r\n"), seen  # whatever the shell prints next starts on its own line


PROMPT = "You › ".encode()


def read_pty(fd: int, proc: subprocess.Popen[bytes], until: bytes | None, timeout: float = 60) -> bytes:
    """What the terminal shows until `until` appears, or (None) until the process has ended."""
    seen = b""
    deadline = time.monotonic() + timeout
    while until is None or until not in seen:
        assert time.monotonic() < deadline, f"waited for {until!r}; saw {seen!r}"
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:  # the process closed the terminal
                break
        elif until is None and proc.poll() is not None:
            break
    return seen


# -- every command the CLI suggests exists -----------------------------------------------------------

SUGGESTION = re.compile(r"(?<![\w./-])koclaw((?: [a-z][a-z0-9_-]*)+)")
SOURCES = ["koclaw", "channels", "memory", "character", "finetune"]


def suggestions() -> list[tuple[str, str]]:
    """`koclaw ...` commands named in the code's strings and the README: (where, command words)."""
    import ast

    root = Path(__file__).resolve().parents[2]
    found = []
    files = [p for top in SOURCES for p in sorted((root / top).rglob("*.py"))]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found += [(str(path.relative_to(root)), m.group(1)) for m in SUGGESTION.finditer(node.value)]
    readme = (root / "README.md").read_text(encoding="utf-8")
    found += [("README.md", m.group(1)) for m in SUGGESTION.finditer(readme)]
    return found


def test_every_suggested_command_exists() -> None:
    top = typer.main.get_command(app)
    wrong = []
    for where, words in suggestions():
        command: Any = top
        for word in words.split():
            if hasattr(command, "commands"):
                sub = command.commands.get(word)
                if sub is None:
                    if command is not top:  # prose after "koclaw" names no command: ignore it
                        wrong.append(f"{where}: koclaw{words}")
                    break
                command = sub
            else:  # a word after a command must be one of its arguments
                if not any(p.param_type_name == "argument" for p in command.params):
                    wrong.append(f"{where}: koclaw{words}")
                break
    assert not wrong, wrong
