"""Any OpenAI-compatible server (vLLM, llama.cpp, SGLang, ...) through the official async client.

The only module that touches the `openai` package: its exceptions become ours here
(principle 3), and its chunks become typed events through the think filter.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import openai
from openai import AsyncOpenAI

from koclaw.config import LLMSettings
from koclaw.errors import (
    ModelBusy,
    ModelError,
    ModelRejected,
    ModelStreamBroken,
    ModelUnavailable,
    ModelUnreachable,
)
from koclaw.events import Done, ErrorEvent, Event, ToolCall, Usage
from koclaw.llm.base import ChatModel, ChatRequest
from koclaw.llm.sse import EventStream
from koclaw.llm.think_filter import ThinkFilter

log = logging.getLogger(__name__)


def how_to_start(base_url: str) -> str:
    """What to do when no model server answers at `base_url`."""
    return (
        f"No model server answers at {base_url}.\n"
        "Start one (on a GPU machine, vLLM >= 0.17):\n"
        "  vllm serve Qwen/Qwen3.5-27B --port 8000 --reasoning-parser qwen3 \\\n"
        "      --enable-lora --max-lora-rank 64 --lora-modules kokoron=/path/to/adapter\n"
        "or point Koclaw at a running one:\n"
        "  export KOCLAW_LLM__BASE_URL=http://HOST:PORT/v1\n"
        "  export KOCLAW_LLM__MODEL=kokoron        # optional: default is the first model it lists\n"
        "  export KOCLAW_LLM__API_KEY=...          # if the server wants one\n"
        "Then check with: koclaw doctor"
    )


MAX_RETRY_AFTER_S = 30.0  # a longer Retry-After fails the turn at once: the person is waiting


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (a number; an HTTP date is read as "soon": 1 s), or None."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return 1.0
    return min(max(seconds, 0.0), 3600.0) if seconds == seconds else None  # NaN: none


def translate(exc: Exception, base_url: str) -> ModelError:
    """Turn an `openai` exception into ours, with what to do next."""
    if _cannot_connect(exc):
        return ModelUnreachable(how_to_start(base_url))
    if isinstance(exc, openai.APITimeoutError | httpx2.TimeoutException):
        return ModelUnavailable(f"The model server at {base_url} timed out. {_check(base_url)}")
    if isinstance(exc, openai.APIConnectionError | httpx2.ConnectError):
        return ModelUnavailable(how_to_start(base_url))  # a reset or a dropped connection: worth a retry
    if isinstance(exc, openai.APIStatusError):
        detail = _error_detail(exc)
        wait = retry_after(exc.response.headers.get("retry-after"))
        if exc.status_code == 429 or (exc.status_code == 503 and wait is not None):
            return ModelBusy(
                f"The model server at {base_url} is busy ({exc.status_code}: {detail}); "
                f"it asks to wait {wait or 0:.0f} s. If this lasts, give it fewer requests or more capacity.",
                wait,
            )
        if exc.status_code == 408 or exc.status_code >= 500:
            return ModelUnavailable(f"The model server at {base_url} answered {exc.status_code}: {detail}")
        hint = {
            401: "Set KOCLAW_LLM__API_KEY to the key the server expects.",
            403: "Set KOCLAW_LLM__API_KEY to the key the server expects.",
            404: "Check KOCLAW_LLM__MODEL against 'koclaw doctor', which lists the served models.",
        }.get(exc.status_code, "Check the request settings with 'koclaw doctor'.")
        return ModelRejected(f"The model server refused the request ({exc.status_code}: {detail}). {hint}")
    if isinstance(exc, ModelError):
        return exc
    return ModelStreamBroken(f"The stream from {base_url} broke: {type(exc).__name__}: {exc}")


_KINDS: dict[type[ModelError], str] = {
    ModelBusy: "busy",
    ModelUnavailable: "unavailable",
    ModelUnreachable: "unavailable",
    ModelRejected: "rejected",
}


def _cannot_connect(exc: BaseException) -> bool:
    """Whether the root of `exc` is a refused or unresolvable connection.

    Walks the cause chain because transports disagree: the aiohttp transport reports a refused
    connection as a connect *timeout*, which would send people looking at the wrong setting.
    """
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, ConnectionRefusedError | socket.gaierror | httpx2.ConnectError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _check(base_url: str) -> str:
    return f"Check it with 'curl {base_url}/models' or raise KOCLAW_LLM__READ_TIMEOUT_S."


def _error_detail(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])[:300]
        if isinstance(body.get("message"), str):
            return str(body["message"])[:300]
    return str(exc.message)[:300]


class Malformed(ValueError):
    """A chunk whose fields have the wrong types: the stream is treated as broken."""


def _field(value: Any, kind: type, what: str) -> Any:
    if value is not None and not isinstance(value, kind):
        raise Malformed(f"{what} is a {type(value).__name__}, not a {kind.__name__}")
    return value


def _count(value: Any) -> int | None:
    """A token count, or None for anything that is not a non-negative integer (usage is advisory)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


class _NativeToolCalls:
    """Accumulates `delta.tool_calls` fragments (servers with a tool-call parser) by index."""

    def __init__(self) -> None:
        self.parts: dict[int, dict[str, str]] = {}

    def add(self, fragments: list[dict[str, Any]]) -> None:
        for frag in fragments:
            frag = _field(frag, dict, "a tool_calls fragment") or {}
            index = _field(frag.get("index", 0), int, "tool_calls[].index") or 0
            part = self.parts.setdefault(index, {"id": "", "name": "", "arguments": ""})
            part["id"] = _field(frag.get("id"), str, "tool_calls[].id") or part["id"]
            function = _field(frag.get("function"), dict, "tool_calls[].function") or {}
            part["name"] += _field(function.get("name"), str, "function.name") or ""
            part["arguments"] += _field(function.get("arguments"), str, "function.arguments") or ""

    def events(self) -> list[ToolCall]:
        calls = []
        for _, part in sorted(self.parts.items()):
            raw = part["arguments"]
            try:
                args = json.loads(raw) if raw.strip() else {}
                error = None if isinstance(args, dict) else "arguments are not a JSON object"
            except json.JSONDecodeError as exc:
                args, error = {}, f"arguments are not valid JSON: {exc}"
            calls.append(
                ToolCall(
                    name=part["name"],
                    arguments=args if isinstance(args, dict) else {},
                    raw=raw,
                    id=part["id"],
                    error=error,
                )
            )
        return calls


class OpenAICompatModel(ChatModel):
    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        self.base_url = settings.base_url
        timeout = openai.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s)
        self.client = AsyncOpenAI(
            base_url=settings.base_url,
            api_key=settings.api_key.get_secret_value() or "EMPTY",
            max_retries=0,  # we retry ourselves, and only before the first token
            timeout=timeout,
            # aiohttp's C parser reads a token stream for a fraction of h11's cost per chunk.
            http_client=openai.DefaultAioHttpClient(timeout=timeout),
        )
        self._model = settings.model or None

    async def list_models(self) -> list[str]:
        try:
            page = await self.client.models.list()
        except openai.OpenAIError as exc:
            raise translate(exc, self.base_url) from exc
        return [m.id for m in page.data]

    async def model_name(self) -> str:
        if self._model is None:
            models = await self.list_models()
            if not models:
                raise ModelRejected(
                    f"The server at {self.base_url} lists no models. "
                    "Set KOCLAW_LLM__MODEL to the served name."
                )
            self._model = models[0]
        return self._model

    async def aclose(self) -> None:
        await self.client.close()

    def use(self, name: str) -> None:
        self._model = name

    async def load_adapter(self, name: str, path: str) -> None:
        """vLLM's runtime LoRA loading; an adapter already loaded under that name is fine."""
        try:
            await self.client.post(
                "/load_lora_adapter", body={"lora_name": name, "lora_path": path}, cast_to=httpx2.Response
            )
        except openai.APIStatusError as exc:
            detail = _error_detail(exc)
            if exc.status_code == 400 and "already" in detail.lower():
                return
            if exc.status_code == 404 and "adapter" in detail.lower():  # vLLM: the path holds none
                raise ModelRejected(
                    f"The model server at {self.base_url} found no adapter at {path}: {detail}. The path is "
                    "read by the server, so it must exist on the server's machine."
                ) from exc
            if exc.status_code in (404, 405):
                raise ModelRejected(
                    f"The model server at {self.base_url} cannot load adapters at run time. Start vLLM with "
                    "VLLM_ALLOW_RUNTIME_LORA_UPDATING=True and --enable-lora --max-lora-rank 64."
                ) from exc
            raise translate(exc, self.base_url) from exc
        except openai.OpenAIError as exc:
            raise translate(exc, self.base_url) from exc

    @staticmethod
    def _body(request: ChatRequest, model: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": model,
            "messages": request.messages,
            "stream": True,
            "stream_options": {"include_usage": True},
            # Always explicit: without it vLLM's parser may put the whole answer in `reasoning`.
            "chat_template_kwargs": {"enable_thinking": request.thinking},
        }
        if request.max_tokens is not None:
            body["max_tokens"] = request.max_tokens
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.tools:
            body["tools"] = request.tools
        return body

    async def _open(self, body: dict[str, Any]) -> httpx2.Response:
        """POST through the openai client (its auth, headers, status errors), keeping the raw stream.

        Its typed paths cost too much per turn: `chat.completions.create` walks every message
        through a type-driven transform (~60 ms for a 400-message history), and its stream
        builds a pydantic object per chunk (~65 µs per token, which caps how many conversations
        one process can stream). Our messages are plain JSON already, and chunks are read as
        plain JSON below.
        """
        return await self.client.post("/chat/completions", body=body, cast_to=httpx2.Response, stream=True)

    async def stream(self, request: ChatRequest) -> AsyncIterator[Event]:
        attempt = 0
        while True:
            produced = False
            try:
                async for event in self._stream_once(request):
                    produced = True
                    yield event
                return
            except ModelError as exc:
                wait = exc.retry_after_s if isinstance(exc, ModelBusy) else None
                if (
                    not produced
                    and exc.retryable
                    and attempt < self.settings.max_retries
                    and (wait or 0) <= MAX_RETRY_AFTER_S
                ):
                    attempt += 1
                    delay = min(8.0, 0.5 * 2 ** (attempt - 1)) * (0.75 + random.random() / 2)
                    delay = max(delay, wait or 0)  # sooner, and the server refuses again
                    # One line: the full advice is said once, with the final error, by the channel.
                    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                    log.warning("model request failed (%s); retry %d in %.1fs", reason, attempt, delay)
                    await asyncio.sleep(delay)
                    continue
                kind = _KINDS.get(type(exc), "broken")
                yield ErrorEvent(message=str(exc), kind=kind, partial=produced, retry_after_s=wait)
                return

    async def _stream_once(self, request: ChatRequest) -> AsyncIterator[Event]:
        """One attempt. Raises `ModelError`; a failure after text arrived is not retried by the caller."""
        model = request.model or await self.model_name()
        reply = _Reply(ThinkFilter(request.thinking), model)
        started = False
        try:
            response = await self._open(self._body(request, model))
            try:
                stream = EventStream(response, self.base_url)
                await stream.check()
                async for chunk in stream.chunks():
                    started = True
                    for event in reply.feed(chunk):
                        yield event
                if not stream.done and reply.finish_reason is None:
                    raise ModelStreamBroken(
                        f"The stream from {self.base_url} stopped without a finish signal (neither [DONE] "
                        "nor a finish_reason): the reply was cut off. Check the model server's log."
                    )
            finally:
                await response.aclose()
        except (openai.OpenAIError, httpx2.HTTPError, ModelError, ValueError) as exc:
            # Whatever was held back as possible thinking stays hidden: finish as if cut by length.
            for event in reply.think.finish("length"):
                if not isinstance(event, ToolCall):
                    yield event
            if isinstance(exc, ValueError):  # malformed SSE payloads (JSONDecodeError included)
                raise ModelStreamBroken(f"{self.base_url} sent a malformed stream: {exc}") from exc
            if started and not isinstance(exc, ModelError):
                raise ModelStreamBroken(
                    f"The stream from {self.base_url} broke after it had started: {type(exc).__name__}: {exc}"
                ) from exc
            raise translate(exc, self.base_url) from exc
        for event in reply.finish():
            yield event


class _Reply:
    """One streamed completion: chunks in, typed events out."""

    def __init__(self, think: ThinkFilter, model: str) -> None:
        self.think = think
        self.native = _NativeToolCalls()
        self.model = model
        self.finish_reason: str | None = None
        self.usage = Usage()

    def feed(self, chunk: dict[str, Any]) -> list[Event]:
        """Raises `Malformed` for fields of the wrong type; a bad `usage` is only ignored."""
        model = chunk.get("model")
        self.model = model if isinstance(model, str) and model else self.model
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.usage = Usage(_count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens")))
        elif usage:
            log.warning("ignoring a usage field that is a %s", type(usage).__name__)
        choices = _field(chunk.get("choices"), list, "choices")
        if not choices:
            return []
        choice = _field(choices[0], dict, "choices[0]") or {}
        delta = _field(choice.get("delta"), dict, "delta") or {}
        events: list[Event] = []
        reasoning = delta.get("reasoning") or delta.get("reasoning_content")
        if reasoning:
            events += self.think.feed_reasoning(_field(reasoning, str, "delta.reasoning"))
        content = _field(delta.get("content"), str, "delta.content")
        if content:
            events += self.think.feed(content)
        if delta.get("tool_calls"):
            self.native.add(_field(delta["tool_calls"], list, "delta.tool_calls"))
        reason = _field(choice.get("finish_reason"), str, "finish_reason")
        if reason:
            self.finish_reason = reason
        return events

    def finish(self) -> list[Event]:
        events: list[Event] = [*self.think.finish(self.finish_reason), *self.native.events()]
        result = self.think.result()
        if result.ended_in_thinking and self.finish_reason != "length" and not result.visible:
            log.warning(
                "the model ended (finish_reason=%r) without closing its thinking; it was kept as reasoning. "
                "If this model does not think, set KOCLAW_LLM__THINKING=false.",
                self.finish_reason,
            )
        events.append(
            Done(
                finish_reason=self.finish_reason,
                usage=self.usage,
                model=self.model,
                ended_in_thinking=result.ended_in_thinking,
            )
        )
        return events
