"""An OpenAI-compatible server on transformers + peft: vLLM's API where vLLM cannot run.

Why it exists: production serves Kokoron with vLLM on a GPU, which cannot run on these machines. The
runtime's client, `koclaw soul activate`, the benches and the tests still need a real server that serves
the base model and LoRA adapters by name, hot-loads them through vLLM's own endpoints and bodies, and
streams in vLLM's chunk shapes. This is that server, for one model (see :mod:`finetune.serve_engine`):

    GET  /v1/models               the base name and every loaded adapter, as vLLM's model cards
    POST /v1/chat/completions     streaming (SSE) or not; `model` picks the adapter (base name: none)
    POST /v1/load_lora_adapter    {"lora_name", "lora_path"}      (vLLM's answers and status codes)
    POST /v1/unload_lora_adapter  {"lora_name"}

A stream is vLLM's: a role delta, content deltas, a chunk with `finish_reason`, a usage chunk when
`stream_options.include_usage`, then `data: [DONE]`. Output is what Qwen3.5 emits with no reasoning
parser: with thinking on (`chat_template_kwargs.enable_thinking`, default on) the prompt already opens
`<think>`, so the text holds `...</think>` and no opener, and the runtime's think filter splits it.
`reasoning_parser="qwen3"` splits thinking into `delta.reasoning` instead, as vLLM's parser does.
Not served: `n` > 1, `stop` strings, logprobs, a tool-call parser (tool calls stay in the content).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from finetune.serve_engine import Engine, Job, Qwen3Parser, ServeError
from koclaw.errors import ConfigError

log = logging.getLogger(__name__)
DEFAULT_MAX_TOKENS = 1024
REASONING_PARSERS = ("qwen3",)


class ChatBody(BaseModel):
    """The fields we honour; anything else an OpenAI client sends is accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: str | None = None
    messages: list[dict[str, Any]] = Field(min_length=1)
    stream: bool = False
    stream_options: dict[str, Any] | None = None
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    seed: int | None = None
    tools: list[dict[str, Any]] | None = None
    chat_template_kwargs: dict[str, Any] | None = None


class LoadBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    lora_name: str = ""
    lora_path: str = ""


class UnloadBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    lora_name: str = ""


class _Reply:
    """One completion's envelope (id, model, created) and its reasoning split, if any."""

    def __init__(self, model: str, thinking: bool, parser: str | None) -> None:
        self.head = {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
        }
        self.parser = Qwen3Parser(thinking) if parser == "qwen3" else None

    def split(self, text: str) -> list[dict[str, str]]:
        return self.parser.feed(text) if self.parser else [{"content": text}] if text else []

    def flush(self) -> list[dict[str, str]]:
        return self.parser.flush() if self.parser else []

    def chunk(self, delta: dict[str, str], finish: str | None = None) -> str:
        choice: dict[str, Any] = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        if finish is not None:
            choice["stop_reason"] = None
        return _data({**self.head, "choices": [choice]})


def create_app(engine: Engine, *, reasoning_parser: str | None = None, api_key: str | None = None) -> FastAPI:
    """The ASGI app over `engine`. With `api_key`, every /v1 route wants `Authorization: Bearer KEY`."""
    if reasoning_parser not in (None, *REASONING_PARSERS):
        raise ConfigError(f"Unknown reasoning parser {reasoning_parser!r}: use one of {REASONING_PARSERS}.")
    app = FastAPI(title="Koclaw test server", docs_url=None, redoc_url=None, openapi_url=None)
    if api_key:
        app.add_middleware(_BearerAuth, key=api_key)
    app.add_exception_handler(ServeError, _error)
    app.add_exception_handler(RequestValidationError, _error)

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return engine.models()

    @app.post("/v1/load_lora_adapter")
    async def load(body: LoadBody) -> Response:
        await asyncio.to_thread(engine.load, body.lora_name, body.lora_path)
        return Response(f"Success: LoRA adapter '{body.lora_name}' added successfully.", 200)

    @app.post("/v1/unload_lora_adapter")
    async def unload(body: UnloadBody) -> Response:
        await asyncio.to_thread(engine.unload, body.lora_name)
        return Response(f"Success: LoRA adapter '{body.lora_name}' removed successfully.", 200)

    @app.post("/v1/chat/completions")
    async def chat(body: ChatBody, request: Request) -> Response:
        adapter = engine.resolve(body.model)
        kwargs = body.chat_template_kwargs or {}
        prompt = await asyncio.to_thread(engine.prompt, body.messages, body.tools, kwargs)
        room = engine.max_len - len(prompt)
        max_tokens = body.max_completion_tokens or body.max_tokens or min(DEFAULT_MAX_TOKENS, room)
        if not 0 < max_tokens <= room:
            raise ServeError(
                400,
                f"This model's maximum context length is {engine.max_len} tokens. However, you requested "
                f"{len(prompt) + max_tokens} tokens ({len(prompt)} in the messages, {max_tokens} in the "
                "completion). Please reduce the length of the messages or completion.",
            )
        loop = asyncio.get_running_loop()
        job = Job(prompt, adapter, max_tokens, body.temperature, body.top_p, body.seed, loop)
        threading.Thread(
            target=engine.generate, args=(job,), name="koclaw-serve-generate", daemon=True
        ).start()
        thinking = kwargs.get("enable_thinking", True) is not False  # Qwen's templates think by default
        reply = _Reply(body.model or engine.name, thinking, reasoning_parser)
        if body.stream:
            usage = bool((body.stream_options or {}).get("include_usage"))
            return _Stream(job, _sse(job, reply, usage))
        return await _complete(job, reply, request.receive)

    return app


async def _texts(job: Job) -> AsyncIterator[str]:
    """The job's text as it arrives; pieces that piled up meanwhile come out as one."""
    while True:
        item = await job.out.get()
        pieces = []
        while item is not None:
            pieces.append(item)
            if job.out.empty():
                break
            item = job.out.get_nowait()
        if pieces:
            yield "".join(pieces)
        if item is None:
            return


async def _sse(job: Job, reply: _Reply, usage: bool) -> AsyncIterator[str]:
    """vLLM's stream: role delta, text deltas, the finish chunk, usage if asked for, [DONE]."""
    yield reply.chunk({"role": "assistant", "content": ""})
    async for text in _texts(job):
        for delta in reply.split(text):
            yield reply.chunk(delta)
    if job.error is not None:  # the status line has gone: vLLM reports it as an `error` event
        yield _data(_failure(job.error).body())
    else:
        for delta in reply.flush():
            yield reply.chunk(delta)
        yield reply.chunk({"content": ""}, job.finish_reason())
        if usage:
            yield _data({**reply.head, "choices": [], "usage": job.usage()})
    yield "data: [DONE]\n\n"


class _Stream(StreamingResponse):
    """Stops the generation however the response ends. When a client leaves, Starlette's failed send
    leaves the body generator suspended (its `finally` would run only when it is collected)."""

    def __init__(self, job: Job, body: AsyncIterator[str]) -> None:
        super().__init__(body, media_type="text/event-stream")
        self.job = job

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.job.cancel.set()


async def _complete(job: Job, reply: _Reply, receive: Receive) -> Response:
    """The whole reply at once, cancelling generation if the client hangs up first."""

    async def collect() -> str:
        return "".join([text async for text in _texts(job)])

    async def gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    text, watch = asyncio.ensure_future(collect()), asyncio.ensure_future(gone())
    try:
        await asyncio.wait({text, watch}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watch.cancel()
        job.cancel.set()
    if not text.done():
        text.cancel()
        return _respond(ServeError(400, "Client disconnected"))
    if job.error is not None:
        return _respond(_failure(job.error))
    deltas = [*reply.split(text.result()), *reply.flush()]
    content = "".join(d.get("content", "") for d in deltas)
    reasoning = "".join(d.get("reasoning", "") for d in deltas)
    message: dict[str, Any] = {"role": "assistant", "content": content, "reasoning": None, "tool_calls": []}
    if reply.parser is not None:
        message |= {"content": content or None, "reasoning": reasoning or None}
    choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": job.finish_reason()}
    choice |= {"stop_reason": None}
    return JSONResponse(
        {**reply.head, "object": "chat.completion", "choices": [choice], "usage": job.usage()}
    )


def _failure(exc: BaseException) -> ServeError:
    if isinstance(exc, ServeError):
        return exc
    log.error("generation failed", exc_info=exc)
    return ServeError(500, f"Generation failed: {type(exc).__name__}: {exc}", "InternalServerError")


async def _error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, RequestValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if p != "body") or "body"
        exc = ServeError(400, f"Invalid request: {where}: {first['msg']}")
    return _respond(_failure(exc))


def _respond(error: ServeError) -> JSONResponse:
    return JSONResponse(error.body(), error.status)


def _data(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False, separators=(',', ':'))}\n\n"  # as vLLM


class _BearerAuth:
    """vLLM's `--api-key`: /v1 routes want the key as a bearer token; pure ASGI, before any body is read."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app, self.key = app, key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/v1"):
            given = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
            scheme, _, token = given.partition(b" ")
            if scheme.lower() != b"bearer" or not hmac.compare_digest(token.strip(), self.key):
                await JSONResponse({"error": "Unauthorized"}, 401)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def listen(host: str, port: int) -> socket.socket:
    """Bind here, not in uvicorn, so a taken port is one clear error (and port 0 picks a free one)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ConfigError(f"Cannot listen on {host}:{port} ({exc}).") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"Cannot listen on {host}:{port} ({exc.strerror or exc}); pick another --port."
        ) from None
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/v1"


@contextlib.contextmanager
def running(app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `app` from a background thread until the block ends; yields the base URL (`.../v1`)."""
    sock = listen(host, port)
    config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False, log_config=None)
    config.timeout_graceful_shutdown = 5
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="koclaw-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise ConfigError("The test server did not start; see the log above.")
        time.sleep(0.005)
    try:
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def serve(
    engine: Engine,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    reasoning_parser: str | None = None,
    api_key: str | None = None,
) -> None:
    """Serve until Ctrl-C (uvicorn handles the signals), with uvicorn's access log.

    The heap is frozen first, as vLLM does: torch and transformers leave ~400k objects that every full
    garbage collection would walk again (a few hundred ms each, measured mid-adapter-load).
    """
    app = create_app(engine, reasoning_parser=reasoning_parser, api_key=api_key)
    sock = listen(host, port)
    gc.collect()
    gc.freeze()
    names = ", ".join([engine.name, *engine.adapters])
    print(f"Serving {names} on {url_of(sock)} (transformers engine). Ctrl-C to stop.", flush=True)
    uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="info")).run(sockets=[sock])
