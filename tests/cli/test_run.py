"""`koclaw run` says it is up only once every channel serves, and names the one that did not start."""

from __future__ import annotations

import os
import resource
import select
import signal
import socket
import subprocess
import sys
import time

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
        assert proc.stderr is not None
        seen = b""
        try:
            deadline = time.monotonic() + 60
            while b"is up" not in seen and time.monotonic() < deadline:
                # os.read, not readline: a buffered reader can hold a line that select never reports
                ready, _, _ = select.select([proc.stderr], [], [], deadline - time.monotonic())
                chunk = os.read(proc.stderr.fileno(), 65536) if ready else b""
                if not chunk:
                    break  # it ended, or the deadline passed
                seen += chunk
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
