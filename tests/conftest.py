"""Shared fixtures: every test gets its own KOCLAW_HOME and, when asked, a scripted model server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.openai_server import FakeOpenAIServer

KOCLAW = str(Path(sys.executable).parent / "koclaw")


def pytest_configure(config: pytest.Config) -> None:
    """Markers of this suite beyond pyproject's (`--strict-markers` refuses unregistered ones)."""
    config.addinivalue_line(
        "markers",
        "training_e2e: trains the tiny model end to end (CPU minutes); for everyday work run "
        'python -m pytest -q -m "not training_e2e"',
    )


@pytest.fixture(autouse=True)
def koclaw_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("KOCLAW_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    monkeypatch.setenv("KOCLAW_HOME", str(home))
    return home


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as srv:
        monkeypatch.setenv("KOCLAW_LLM__BASE_URL", srv.url)
        monkeypatch.setenv("KOCLAW_LLM__CONNECT_TIMEOUT_S", "2")
        yield srv


@pytest.fixture
def dead_url(monkeypatch: pytest.MonkeyPatch) -> str:
    """A localhost URL where nothing listens."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    monkeypatch.setenv("KOCLAW_LLM__BASE_URL", url)
    monkeypatch.setenv("KOCLAW_LLM__MAX_RETRIES", "0")
    return url


@pytest.fixture
def dead_teacher() -> str:
    """A teacher URL where nothing listens (retrain runs fail fast at `generate`)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


def run_koclaw(*args: str, stdin: bytes = b"", timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the real installed `koclaw` command with the test's environment."""
    proc = subprocess.run(
        [KOCLAW, *args], input=stdin, capture_output=True, timeout=timeout, env=os.environ.copy()
    )
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    )
