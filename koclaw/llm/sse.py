"""Reading a chat-completion event stream defensively: what a server sent is data, never trusted.

A 200 that is not an event stream (a proxy's HTML error page, a JSON error) is a model-server
failure, not an empty answer. Lone UTF-16 surrogates (`"\\ud800"` in a JSON string) cannot be stored
or printed, so every string in a chunk is repaired before anyone sees it. Whether the stream ended
with `[DONE]` is recorded, because a stream that just stops may have been cut anywhere.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, Final

import httpx2

from koclaw.errors import ModelStreamBroken, ModelUnavailable
from koclaw.inputs import repair_text

_SNIPPET_CHARS: Final = 200


def repair(value: Any) -> Any:
    """Every string inside a decoded JSON value, repaired (only walked when it can hold one)."""
    if isinstance(value, str):
        return repair_text(value)
    if isinstance(value, dict):
        return {repair_text(k): repair(v) for k, v in value.items()}
    if isinstance(value, list):
        return [repair(v) for v in value]
    return value


def not_a_stream(base_url: str, what: str) -> ModelUnavailable:
    """The error for a 200 whose body is not a chat-completion event stream."""
    return ModelUnavailable(
        f"The model server at {base_url} answered 200 but sent {what} instead of an event stream. "
        "Something in between (a proxy, a gateway) or a wrong URL is answering: check that "
        "KOCLAW_LLM__BASE_URL is the model server's /v1 URL with 'koclaw doctor' or "
        f"'curl {base_url}/models'."
    )


class EventStream:
    """The JSON payloads of one server-sent-events response; `done` tells whether `[DONE]` came."""

    def __init__(self, response: httpx2.Response, base_url: str) -> None:
        self.response = response
        self.base_url = base_url
        self.done = False
        self.events = 0  # `data:` payloads seen, [DONE] included

    async def check(self) -> None:
        """Refuse a body that is not an event stream before reading it as one."""
        kind = self.response.headers.get("content-type", "")
        if not kind or "text/event-stream" in kind.lower():
            return
        body = await _head(self.response)
        media = kind.split(";")[0].strip()
        raise not_a_stream(self.base_url, f"{media} ({body!r})" if body else media)

    async def chunks(self) -> AsyncIterator[dict[str, Any]]:
        """Each payload as a repaired JSON object, up to `[DONE]`; raises on malformed ones."""
        others: list[str] = []  # non-SSE lines, to say what came if no event ever does
        async for line in self.response.aiter_lines():
            if self.done:
                continue  # after [DONE], read to the end so that the connection can be reused
            if not line.startswith("data:"):
                meta = line.startswith((":", "event:", "id:", "retry:"))
                if line.strip() and not meta and sum(map(len, others)) < _SNIPPET_CHARS:
                    others.append(line.strip())
                continue
            self.events += 1
            payload = line[5:].strip()
            if payload == "[DONE]":
                self.done = True
                continue
            chunk = json.loads(payload)
            if not isinstance(chunk, dict):
                raise ValueError(f"expected a JSON object, got {payload[:80]!r}")
            if "\\u" in payload:  # only an escape can smuggle in a lone surrogate
                chunk = repair(chunk)
            if "error" in chunk:  # vLLM reports failures mid-stream as an SSE event
                error = chunk["error"]
                detail = error.get("message", error) if isinstance(error, dict) else error
                raise ModelStreamBroken(f"The model server at {self.base_url} failed mid-reply: {detail}")
            yield chunk
        if not self.events and others:
            raise not_a_stream(self.base_url, repr(" ".join(others)[:_SNIPPET_CHARS]))


async def _head(response: httpx2.Response) -> str:
    """The first few hundred characters of a body, for an error message."""
    data = b""
    async for part in response.aiter_bytes():
        data += part
        if len(data) >= 4 * _SNIPPET_CHARS:
            break
    return repair_text(" ".join(data.decode("utf-8", "replace").split()))[:_SNIPPET_CHARS]
