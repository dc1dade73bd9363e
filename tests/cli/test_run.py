"""`koclaw run` says it is up only once every channel serves, and names the one that did not start."""

from __future__ import annotations

import os
import resource
import select
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import KOCLAW
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.openai_server import FakeOpenAIServer

TOKEN = "424242:AAH-fake-token-for-tests_0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_channel_that_cannot_start_stops_run_without_claiming_up(server: FakeOpenAIServer) -> None:
    env = os.environ.copy()
    env |= {
        "KOCLAW_TELEGRAM__TOKEN": TOKEN,
        "KOCLAW_TELEGRAM__BASE_URL": f"http://127.0.0.1:{free_port()}/bot",  # nothing listens
        "KOCLAW_HTTP__API_KEY": "sk-run-test-key-0123456789",
        "KOCLAW_HTTP__PORT": str(free_port()),
    }
    proc = subprocess.run([KOCLAW, "run"], capture_output=True, env=env, timeout=90)
    stderr = proc.stderr.decode("utf-8")
    assert proc.returncode != 0, stderr
    assert "is up" not in stderr
    assert "Cannot reach the Telegram Bot API" in stderr
    assert "the telegram channel failed to start" in stderr
    assert TOKEN not in stderr


def read_until(proc: subprocess.Popen[bytes], wanted: bytes, timeout: float = 60) -> bytes:
    """What `proc` wrote on stderr up to `wanted` (os.read: a buffered reader hides lines from select)."""
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stderr], [], [], deadline - time.monotonic())
        chunk = os.read(proc.stderr.fileno(), 65536) if ready else b""
        if not chunk:
            break  # it ended, or the deadline passed
        seen += chunk
    return seen


def test_up_is_said_once_every_channel_serves(server: FakeOpenAIServer) -> None:
    with FakeBotAPI(TOKEN) as bot_api:
        env = os.environ.copy()
        env |= {
            "KOCLAW_TELEGRAM__TOKEN": TOKEN,
            "KOCLAW_TELEGRAM__BASE_URL": bot_api.base_url,
            "KOCLAW_HTTP__API_KEY": "sk-run-test-key-0123456789",
            "KOCLAW_HTTP__PORT": str(free_port()),
        }
        proc = subprocess.Popen([KOCLAW, "run"], stderr=subprocess.PIPE, env=env)
        try:
            seen = read_until(proc, b"is up")
            assert b"Kokoron is up on: telegram, http." in seen, seen
            assert any(call.method == "getMe" for call in bot_api.calls)  # checked before "up"
        finally:
            proc.send_signal(signal.SIGTERM)
            _, rest = proc.communicate(timeout=30)
        assert proc.returncode == 0, seen + rest


def test_run_raises_its_open_files_limit_within_the_hard_one() -> None:
    code = (
        "import resource\n"
        "from koclaw.cli.run import more_open_files\n"
        "_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))\n"
        "print(more_open_files(), resource.getrlimit(resource.RLIMIT_NOFILE)[0], hard)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    said, soft, hard = (int(x) for x in out.stdout.split())
    wanted = 65_536 if hard == resource.RLIM_INFINITY else min(65_536, hard)
    assert said == soft == wanted


def serve_http(server: FakeOpenAIServer) -> tuple[Any, Callable[[], subprocess.Popen[bytes]]]:
    """An openai client for a `koclaw run` HTTP channel, and a function that starts one and waits
    until it answers. The model server's next reply streams forever: a turn that is still running."""
    import openai

    from tests.fakes.openai_server import Reply

    port = free_port()
    key = "sk-run-test-key-0123456789"
    env = os.environ.copy() | {"KOCLAW_HTTP__API_KEY": key, "KOCLAW_HTTP__PORT": str(port)}
    server.add(Reply(chunks=["</think>", "Once"], endless=" upon", delay_s=0.05))
    client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=key, max_retries=0, timeout=60)

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([KOCLAW, "run"], stderr=subprocess.PIPE, env=env)
        deadline = time.monotonic() + 60
        while True:
            try:
                client.models.list()
                return proc
            except openai.APIConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, "koclaw run did not start"
                time.sleep(0.1)

    return client, start


def stream_started(client: Any) -> Any:
    stream = client.chat.completions.create(
        model="k", messages=[{"role": "user", "content": "tell me a story"}], user="mei", stream=True
    )
    next(c for c in stream if c.choices and c.choices[0].delta.content)  # the reply is streaming
    return stream


def stored(home: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(home / "session.db") as db:
        return db.execute("SELECT role, content, status FROM messages ORDER BY id").fetchall()


def test_a_client_still_reading_a_stream_holds_shutdown_only_for_the_grace(
    server: FakeOpenAIServer, koclaw_home: Path
) -> None:
    """The turns' grace (10 s) ran only after the HTTP channel stopped, and uvicorn waited 30 s for the
    stream first, then cancelled it with a traceback."""
    client, start = serve_http(server)
    proc = start()
    try:
        stream = stream_started(client)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
        stream.close()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and b"graceful shutdown exceeded" not in stderr, stderr
    assert b"Traceback" not in stderr and stored(koclaw_home)[-1][2] == "interrupted", stored(koclaw_home)


def test_a_second_ctrl_c_stops_run_at_once_and_keeps_the_message(
    server: FakeOpenAIServer, koclaw_home: Path
) -> None:
    """The first starts the grace (replies may take 10 s); a person pressing it again is done waiting."""
    client, start = serve_http(server)
    proc = start()
    try:
        stream_started(client)
        proc.send_signal(signal.SIGINT)
        seen = read_until(proc, b"again to stop now")  # two signals sent at once arrive as one
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
        stderr = seen + stderr
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and b"stopped at once" in stderr and b"Traceback" not in stderr, stderr
    again = start()  # the next start sorts what the stopped one left in its inbox
    again.send_signal(signal.SIGTERM)
    again.communicate(timeout=30)
    assert stored(koclaw_home)[0] == ("user", "tell me a story", "unanswered")  # HTTP's client is gone


def test_a_second_run_and_maintenance_that_races_it_are_refused_while_run_serves(
    server: FakeOpenAIServer, koclaw_home: Path
) -> None:
    """Two servers indexed every turn twice (and would fire reminders twice); a link while serving left
    the person's memories split, a reindex could lose what the server indexed meanwhile."""
    _, start = serve_http(server)
    first = start()
    try:
        env = os.environ.copy() | {
            "KOCLAW_HTTP__API_KEY": "sk-other-key-0123456789",
            "KOCLAW_HTTP__PORT": str(free_port()),
        }
        second = subprocess.run([KOCLAW, "run"], capture_output=True, env=env, timeout=60)
        for args, doing in (
            (["identity", "link", "http:mei", "cli:mei"], b"stop it to link identities"),
            (["identity", "unlink", "http:mei"], b"stop it to unlink identities"),
            (["memory", "long-term", "reindex"], b"stop it to reindex"),
        ):
            refused = subprocess.run([KOCLAW, *args], capture_output=True, timeout=120)
            assert refused.returncode == 2 and doing in refused.stderr, refused.stderr
            assert f"(pid {first.pid})".encode() in refused.stderr and b"Traceback" not in refused.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
    assert second.returncode == 2, second.stderr
    assert f"(pid {first.pid}) is serving".encode() in second.stderr and b"is up" not in second.stderr
    again = start()  # the lock went with the first process
    again.send_signal(signal.SIGTERM)
    assert again.communicate(timeout=30) and again.returncode == 0
