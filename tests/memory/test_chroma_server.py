"""The long-term tier against a real Chroma server (`chroma run`, shipped with chromadb), via HttpClient.

This is the configuration for deployments that outgrow one machine (KOCLAW_MEMORY__CHROMA_URL).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from koclaw.config import load_settings
from koclaw.errors import StorageError
from koclaw.identity_stores import link
from memory.long_term import LongTermMemory
from tests.memory.test_long_term import EMBEDDER

CHROMA = str(Path(sys.executable).parent / "chroma")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def chroma_server(data: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A real `chroma run` on a free port, up (its heartbeat answers) before this yields."""
    port = _free_port()
    proc = subprocess.Popen(
        [CHROMA, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"`chroma run` did not come up on {url}") from None
                time.sleep(0.2)
        yield url, proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with chroma_server(tmp_path_factory.mktemp("chroma-server")) as (url, _):
        yield url


def test_recall_and_forget_through_a_chroma_server(tmp_path: Path, chroma_url: str) -> None:
    mem = LongTermMemory(tmp_path / "lt", EMBEDDER, chroma_url=chroma_url)
    fact = mem.save_fact("srv-alice", "老师对花生过敏。", importance=5, language="zh")
    mem.add_episode("srv-alice", "妹は大阪に住んでいます。", speaker="user")
    mem.add_episode("srv-bob", "Bob is allergic to cats.", speaker="user")

    assert mem.recall("srv-alice", "Is Sensei allergic to anything?", k=2)[0].id == fact.id
    assert mem.recall("srv-alice", "妹はどこに住んでいますか", k=1)[0].text == "妹は大阪に住んでいます。"
    bob_ids = {m.id for m in mem.list("srv-bob")}
    assert {r.id for r in mem.recall("srv-bob", "花生 allergic 大阪", k=10)} <= bob_ids
    assert mem.index_count("fact") == 1

    assert mem.forget("srv-alice", "花生") == [fact.id]
    assert mem.index_count("fact") == 0  # gone from the server's collection, not only from SQLite
    assert fact.id not in {r.id for r in mem.recall("srv-alice", "花生过敏", k=10)}


def test_a_second_process_sees_what_the_first_wrote(tmp_path: Path, chroma_url: str) -> None:
    first = LongTermMemory(tmp_path / "lt", EMBEDDER, chroma_url=chroma_url)
    saved = first.save_fact("srv-carol", "Carol's flight is on Thursday at 9:40.", importance=4)
    first.close()
    again = LongTermMemory(tmp_path / "lt", EMBEDDER, chroma_url=chroma_url)
    assert again.recall("srv-carol", "when does Carol fly?", k=1)[0].id == saved.id


def test_an_unreachable_server_is_a_clear_storage_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(StorageError, match=url.split("//")[1]):
        LongTermMemory(tmp_path / "lt", EMBEDDER, chroma_url=url)


def test_a_link_moves_a_persons_vectors_on_the_server(
    koclaw_home: Path, chroma_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOCLAW_MEMORY__CHROMA_URL", chroma_url)
    koclaw_home.mkdir(parents=True)
    mem = LongTermMemory(koclaw_home, EMBEDDER, chroma_url=chroma_url)
    episode = mem.add_episode("telegram:31", "My cat Mochi sleeps on the keyboard.", speaker="user")
    mem.close()

    assert link(load_settings(), "telegram:31", "cli:srv-carol", by="test")["moved"]["vectors"] >= 1
    mem = LongTermMemory(koclaw_home, EMBEDDER, chroma_url=chroma_url)
    assert mem.index.ids("episodes", "telegram:31") == set()
    assert mem.index.ids("episodes", "cli:srv-carol") == {episode}
    assert mem.recall("cli:srv-carol", "What is my cat called?", k=1)[0].id == episode


def test_a_write_the_server_fails_stores_nothing_in_sqlite_either(tmp_path: Path) -> None:
    """SQLite's transaction is around the Chroma call: when the server goes away, the turn that could
    not be indexed is not half-stored (it would never be found by meaning)."""
    with chroma_server(tmp_path / "data") as (url, proc):
        mem = LongTermMemory(tmp_path / "lt", EMBEDDER, chroma_url=url)
        kept = mem.add_episode("srv-dan", "My sister lives in Sapporo.", speaker="user")
        proc.terminate()
        proc.wait(timeout=10)
        with pytest.raises(StorageError, match="nothing was stored"):
            mem.add_episode("srv-dan", "I start the new job on Monday!", speaker="user")
        assert [m.id for m in mem.list("srv-dan")] == [kept] and mem.count("srv-dan") == 1
