"""Any OpenAI-compatible server (vLLM, llama.cpp, SGLang, ...) through the official async client.

The only module that touches the `openai` package: its exceptions become ours here
(principle 3), and its chunks become typed events through the think filter.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncIterator
from typing import Any

import openai
from openai import AsyncOpenAI, AsyncStream
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from koclaw.config import LLMSettings
from koclaw.errors import ModelError, ModelRejected, ModelStreamBroken, ModelUnavailable
from koclaw.events import Done, ErrorEvent, Event, ToolCall, Usage
from koclaw.llm.base import ChatModel, ChatRequest
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


def translate(exc: Exception, base_url: str) -> ModelError:
    """Turn an `openai` exception into ours, with what to do next."""
    if isinstance(exc, openai.APITimeoutError):
        return ModelUnavailable(f"The model server at {base_url} timed out. {_check(base_url)}")
    if isinstance(exc, openai.APIConnectionError):
        return ModelUnavailable(how_to_start(base_url))
    if isinstance(exc, openai.APIStatusError):
        detail = _error_detail(exc)
        if exc.status_code in (408, 429) or exc.status_code >= 500:
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


class _NativeToolCalls:
    """Accumulates `delta.tool_calls` fragments (servers with a tool-call parser) by index."""

    def __init__(self) -> None:
        self.parts: dict[int, dict[str, str]] = {}

    def add(self, fragments: list[Any]) -> None:
        for frag in fragments:
            part = self.parts.setdefault(frag.index, {"id": "", "name": "", "arguments": ""})
            part["id"] = frag.id or part["id"]
            if frag.function is not None:
                part["name"] += frag.function.name or ""
                part["arguments"] += frag.function.arguments or ""

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
        self.client = AsyncOpenAI(
            base_url=settings.base_url,
            api_key=settings.api_key.get_secret_value() or "EMPTY",
            max_retries=0,  # we retry ourselves, and only before the first token
            timeout=openai.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s),
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

    async def _open(self, body: dict[str, Any]) -> AsyncStream[ChatCompletionChunk]:
        # The client's low-level `post`: `chat.completions.create` first walks every message
        # through its type-driven transform, ~60 ms for a 400-message history, while our
        # messages are already plain JSON. Same HTTP, same stream parsing, same errors.
        return await self.client.post(
            "/chat/completions",
            body=body,
            cast_to=ChatCompletion,
            stream=True,
            stream_cls=AsyncStream[ChatCompletionChunk],
        )

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
                if not produced and exc.retryable and attempt < self.settings.max_retries:
                    attempt += 1
                    delay = min(8.0, 0.5 * 2 ** (attempt - 1)) * (0.75 + random.random() / 2)
                    log.warning("model request failed (%s); retry %d in %.1fs", exc, attempt, delay)
                    await asyncio.sleep(delay)
                    continue
                kind = {ModelUnavailable: "unavailable", ModelRejected: "rejected"}.get(type(exc), "broken")
                yield ErrorEvent(message=str(exc), kind=kind, partial=produced)
                return

    async def _stream_once(self, request: ChatRequest) -> AsyncIterator[Event]:
        """One attempt. Raises `ModelError`; a failure after text arrived is not retried by the caller."""
        model = request.model or await self.model_name()
        think = ThinkFilter(request.thinking)
        native = _NativeToolCalls()
        finish_reason: str | None = None
        usage = Usage()
        served = model
        started = False
        try:
            stream = await self._open(self._body(request, model))
            async with stream:
                async for chunk in stream:
                    started = True
                    served = chunk.model or served
                    if chunk.usage is not None:
                        usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                    for choice in chunk.choices[:1]:
                        delta = choice.delta
                        extra = delta.model_extra or {}
                        reasoning = extra.get("reasoning") or extra.get("reasoning_content")
                        if reasoning:
                            for event in think.feed_reasoning(str(reasoning)):
                                yield event
                        if delta.content:
                            for event in think.feed(delta.content):
                                yield event
                        if delta.tool_calls:
                            native.add(delta.tool_calls)
                        if choice.finish_reason:
                            finish_reason = choice.finish_reason
        except (openai.OpenAIError, ModelError) as exc:
            # Whatever was held back as possible thinking stays hidden: finish as if cut by length.
            for event in think.finish("length"):
                if not isinstance(event, ToolCall):
                    yield event
            if started and not isinstance(exc, ModelError):
                raise ModelStreamBroken(
                    f"The stream from {self.base_url} broke after it had started: {type(exc).__name__}: {exc}"
                ) from exc
            raise translate(exc, self.base_url) from exc
        except (ValueError, json.JSONDecodeError) as exc:  # malformed SSE payloads
            raise ModelStreamBroken(f"The server at {self.base_url} sent a malformed stream: {exc}") from exc
        for event in think.finish(finish_reason):
            yield event
        for call in native.events():
            yield call
        yield Done(
            finish_reason=finish_reason,
            usage=usage,
            model=served,
            ended_in_thinking=think.result().ended_in_thinking,
        )
