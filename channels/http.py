"""The HTTP channel: Kokoron behind an OpenAI-compatible API, so any OpenAI client can talk to her.

    POST /v1/chat/completions   streaming (SSE) or not; `model` is echoed back, whatever it names
                                (up to 256 characters)
    GET  /v1/models             one model, "kokoron"

Every route wants `Authorization: Bearer <KOCLAW_HTTP__API_KEY>`. The person is the request's
`user` field or the `X-Koclaw-User` header; each person has their own session memory
(chat `http:<user>`). Only the newest user message is read: history comes from Koclaw's memory,
never from the client, so a client cannot rewrite what she remembers. Sampling fields
(`temperature`, `max_tokens`, `tools`, ...) are accepted and ignored: her settings decide.

Thinking is never returned unless the request sets `"include_reasoning": true` (top level, which
is where the openai client's `extra_body={"include_reasoning": True}` puts it); it then arrives
as `delta.reasoning` (streaming) or `message.reasoning`. Errors are OpenAI-shaped JSON:
`{"error": {"message", "type", "param", "code"}}`.

When the model server fails (down, refusing, cut off, too slow), the answer is a 503 whose
`error.message` is her in-character apology, so a client's error handling sees an error, not a
reply (the technical reason is stored with the reply for `koclaw memory session show`; clients
never see server addresses). A stream holds its status line until its first chunk for the client:
a failure before that is the same 503; after it the status has gone, so the stream ends with an
SSE error event (`data: {"error": ...}`, which OpenAI clients raise) and `[DONE]`, and no finish
chunk.

Anyone who can reach the port can open connections before the key is checked, so the channel
bounds what that costs (see `channels.http_guard`): open connections, time to send headers and
each part of the body, and the body's size (413 past `max_body_bytes`, from Content-Length or
while a chunked body streams in). Large bodies are parsed off the event loop, so one big request
does not stall every other conversation.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import math
import secrets
import socket
import time
from collections.abc import AsyncIterator, Iterator
from json.encoder import encode_basestring_ascii
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from channels.base import Channel
from channels.http_guard import Limits, guarded_protocol, quiet_accept_errors
from koclaw.agent import Inbound, TurnResult
from koclaw.config import HTTPSettings
from koclaw.errors import ConfigError, InputError, KoclawError, StorageError
from koclaw.events import Done, ErrorEvent, Event, ReasoningDelta, TextDelta
from koclaw.identities import MAX_IDENTITY, identity
from koclaw.inputs import clean_input, text_problem
from koclaw.runtime import Runtime, RuntimeClosed, TooManyMessages

CHANNEL = "http"
USER_HEADER = "x-koclaw-user"
MAX_USER_CHARS = MAX_IDENTITY - len(CHANNEL) - 1  # `alice` is the person `http:alice`
SEND_UTF8 = r"send UTF-8 (a \ud800-\udfff escape is only valid as half of a pair)"
MAX_MODEL_CHARS = 256  # `model` is echoed in every chunk: a long one would multiply the reply
PARSE_INLINE_BYTES = 64 * 1024  # bodies past this are parsed in a thread, off the event loop
FINISH = {"truncated": "length"}  # TurnResult.status -> finish_reason; anything else is "stop"
FAILURE_CODES = {
    "unavailable": "model_unavailable",
    "busy": "model_busy",
    "rejected": "model_rejected",
    "deadline": "model_too_slow",
}
_GOING = b'},"finish_reason":null}]}\n\n'
log = logging.getLogger(__name__)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: Any = None  # checked by hand, and only on the message we read


class Options(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: StrictBool | None = None
    include_reasoning: StrictBool | None = None


class ChatRequest(BaseModel):
    """The fields we read; anything else an OpenAI client sends is allowed and ignored."""

    model_config = ConfigDict(extra="allow")
    model: str | None = Field(None, max_length=MAX_MODEL_CHARS)
    messages: list[ChatMessage]
    stream: StrictBool | None = None  # true or false: "yes" or 1 is a client's bug, as OpenAI says
    stream_options: Options | None = None
    user: str | None = None
    include_reasoning: StrictBool | None = None
    extra_body: Options | None = None  # the un-merged form of the openai client's `extra_body`


class APIError(Exception):
    """An OpenAI-shaped error response."""

    def __init__(
        self, status: int, message: str, code: str, param: str | None = None, retry_after_s: float = 0
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.param = status, message, code, param
        self.retry_after_s = retry_after_s

    def body(self) -> dict[str, Any]:
        kind = "server_error" if self.status >= 500 else "invalid_request_error"
        return {"error": {"message": self.message, "type": kind, "param": self.param, "code": self.code}}

    def response(self) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        if self.status in (408, 413):  # the rest of the body is not read: the connection must end
            headers = {"Connection": "close"}
        if self.retry_after_s:
            headers = {"Retry-After": str(max(1, math.ceil(self.retry_after_s)))}
        return _json(self.body(), self.status, headers)


def _json(payload: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """ASCII-escaped JSON: any text a model sends (even a lone surrogate) encodes, so never a 500."""
    return Response(json.dumps(payload).encode(), status, headers, media_type="application/json")


def _bad(message: str, code: str = "invalid_value", param: str | None = "messages") -> APIError:
    return APIError(400, message, code, param)


def _invalid(errors: Any) -> APIError:
    """A pydantic error list as one readable line, e.g. `messages[0].role: Field required`."""
    first = errors[0]
    loc = [p for p in first["loc"] if p != "body"]
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".") or "body"
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return _bad(f"Invalid request: {where}: {first['msg']}{more}", param=str(loc[0]) if loc else None)


async def _error_response(request: Request, exc: Exception) -> Response:
    """Every error, ours or the framework's (404, 405, validation, a bug), in OpenAI's shape."""
    if isinstance(exc, RequestValidationError):
        exc = _invalid(exc.errors())
    elif isinstance(exc, HTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "invalid_request")
        exc = APIError(exc.status_code, f"{exc.detail} ({request.method} {request.url.path})", code)
    elif not isinstance(exc, APIError):
        exc = APIError(500, "Internal error; it has been logged.", "internal_error")
    return exc.response()


class _BearerAuth:
    """Pure ASGI, so every route (unknown ones too) is checked before any body is read."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app, self.key = app, key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
            scheme, _, token = given.partition(b" ")
            if scheme.lower() != b"bearer" or not hmac.compare_digest(token.strip(), self.key):
                message = "Missing or invalid API key: send 'Authorization: Bearer <KOCLAW_HTTP__API_KEY>'."
                await APIError(401, message, "invalid_api_key").response()(scope, receive, send)
                return
        await self.app(scope, receive, send)


class _Turn:
    """One request's view of a turn: the emit callback, and the SSE bytes it queues for the client."""

    def __init__(self, reasoning: bool, streaming: bool, model: str) -> None:
        self.reasoning, self.streaming = reasoning, streaming
        self.thoughts: list[str] = []
        self.usage = [0, 0]
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.failed: ErrorEvent | None = None  # the model server failed; what follows is her apology
        self.apology: list[str] = []
        self.sent = False  # a chunk for the client has been queued (the stream's status is then 200)
        self.begun = asyncio.Event()  # the first chunk is queued, or the turn is over
        self.head: dict[str, Any] = {
            "id": f"chatcmpl-{secrets.token_hex(12)}",
            "object": "chat.completion.chunk",
        }
        self.head |= {"created": int(time.time()), "model": model}
        # Every chunk is this prefix, a small JSON delta and a fixed tail: cheap per token.
        self.prefix = b"data: " + json.dumps(self.head)[:-1].encode() + b',"choices":[{"index":0,"delta":'

    def chunk(self, delta: dict[str, str], finish: str | None = None) -> bytes:
        end = b"null" if finish is None else json.dumps(finish).encode()
        return self.prefix + json.dumps(delta).encode() + b',"finish_reason":' + end + b"}]}\n\n"

    def text(self, key: bytes, text: str) -> bytes:
        """The per-token chunk: C-escaped text between fixed bytes (~0.5 us, a json.dumps ~3 us)."""
        return b"".join((self.prefix, key, encode_basestring_ascii(text).encode(), _GOING))

    def put(self, chunk: bytes) -> None:
        self.sent = True
        self.queue.put_nowait(chunk)
        self.begun.set()

    def end(self) -> None:
        """The turn is over: everything it emitted is queued before this."""
        self.queue.put_nowait(None)
        self.begun.set()

    async def emit(self, event: Event) -> None:
        if isinstance(event, TextDelta):
            if self.failed is not None:  # the apology goes out as the error's message, not as content
                self.apology.append(event.text)
            elif self.streaming:
                self.put(self.text(b'{"content":', event.text))
        elif isinstance(event, ReasoningDelta) and self.reasoning:
            if self.streaming:
                self.put(self.text(b'{"reasoning":', event.text))
            else:
                self.thoughts.append(event.text)
        elif isinstance(event, Done):
            self.usage[0] += event.usage.prompt_tokens or 0
            self.usage[1] += event.usage.completion_tokens or 0
        elif isinstance(event, ErrorEvent):  # the agent follows it with an in-character apology as text
            self.failed = event
        # ToolCall: internal.

    def usage_json(self) -> dict[str, int]:
        prompt, completion = self.usage
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _failure(future: asyncio.Future[TurnResult]) -> APIError | None:
    """Why a finished turn has no result, if it has none."""
    if future.cancelled():
        return APIError(503, "Koclaw is shutting down; the message was not answered.", "unavailable")
    exc = future.exception()
    if exc is None:
        return None
    if isinstance(exc, InputError):
        return _bad(str(exc), "invalid_message")
    if isinstance(exc, RuntimeClosed):
        return APIError(503, str(exc), "unavailable")
    if isinstance(exc, StorageError):  # a full disk, a damaged or locked file: the operator's to fix
        log.error("http turn failed: %s", exc)
        return APIError(
            503, "Kokoron cannot answer now: her storage is failing (logged).", "storage_unavailable"
        )
    if isinstance(exc, KoclawError):
        log.error("http turn failed: %s", exc)
    else:
        log.error("http turn failed", exc_info=exc)
    return APIError(500, "Kokoron could not answer: an internal error (logged).", "internal_error")


def _model_failure(turn: _Turn, result: TurnResult) -> APIError | None:
    """A 503 carrying her apology when the model server failed the turn (its result is an "error")."""
    if result.status != "error":
        return None
    kind = turn.failed.kind if turn.failed is not None else "error"
    apology = "".join(turn.apology).strip() or result.text.strip()
    wait = (turn.failed.retry_after_s if turn.failed is not None else None) or 0
    return APIError(503, apology, FAILURE_CODES.get(kind, "model_error"), None, wait)


def _outcome_error(turn: _Turn, future: asyncio.Future[TurnResult]) -> APIError | None:
    """Why a finished turn is not a reply: no result, or a model-server failure."""
    return _failure(future) or _model_failure(turn, future.result())


async def _disconnected(receive: Receive) -> None:
    """Returns once the client has hung up."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _until_first_chunk(turn: _Turn, future: asyncio.Future[TurnResult], receive: Receive) -> None:
    """Hold the status line until the first chunk for the client or the turn's end, so that a failure
    before anything was streamed can still be a 503; a client that hangs up meanwhile cancels the turn."""
    watch = asyncio.ensure_future(_disconnected(receive))
    begun = asyncio.ensure_future(turn.begun.wait())
    try:
        await asyncio.wait({watch, begun}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watch.cancel()
        begun.cancel()
        if not turn.begun.is_set() and not future.done():
            future.cancel()  # the runtime stores what she had as 'interrupted'


def _parse(raw: bytes) -> ChatRequest:
    """The request body as a ChatRequest, or a 400 saying what is wrong with it."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise _bad("The request body is nested too deeply to read.", "invalid_json", None) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad(f"The request body is not valid JSON: {exc}", "invalid_json", None) from None
    if not isinstance(data, dict):
        raise _bad("The request body must be a JSON object.", "invalid_json", None)
    try:
        return ChatRequest.model_validate(data)
    except ValidationError as exc:
        raise _invalid(exc.errors()) from None
    except RecursionError:
        raise _bad("The request body is nested too deeply to read.", "invalid_json", None) from None


async def _body(request: Request, limit: int, idle_s: float) -> bytes:
    """The whole body, refused (413) once it passes `limit`, declared or streamed; 408 if it stalls."""
    too_big = APIError(
        413,
        f"The request body is larger than {limit} bytes. Send only the newest message: "
        "her memory holds the history (the limit is KOCLAW_HTTP__MAX_BODY_BYTES).",
        "request_too_large",
        None,
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_big
    parts: list[bytes] = []
    size = 0
    stream = request.stream()
    try:
        while True:
            try:
                async with asyncio.timeout(idle_s):
                    chunk = await anext(stream)
            except StopAsyncIteration:
                break
            size += len(chunk)
            if size > limit:
                raise too_big
            parts.append(chunk)
    except TimeoutError:
        raise APIError(408, "The request body stopped arriving.", "request_timeout", None) from None
    except ClientDisconnect:
        raise _bad("The client left before sending the whole body.", "client_disconnected", None) from None
    finally:
        await stream.aclose()
    return b"".join(parts)


def _read(body: ChatRequest, header: str | None) -> tuple[str, str]:
    """The person and the newest user message's text, or a 400 saying what is missing."""
    with contextlib.suppress(UnicodeError):  # Starlette reads headers as Latin-1; names like 老师 are UTF-8
        header = header and header.encode("latin-1").decode("utf-8")
    user = (body.user or header or "").strip()
    if not user:
        raise _bad(
            "Who is speaking? Set the 'user' field or an X-Koclaw-User header.", "missing_user", "user"
        )
    if problem := text_problem(user, "'user'", max_chars=MAX_USER_CHARS, fix=SEND_UTF8):
        raise _bad(problem, param="user")  # else a traceback from SQLite, or a person memory refuses
    newest = next((m for m in reversed(body.messages) if m.role == "user"), None)
    if newest is None:
        raise _bad("'messages' holds no message with role 'user': nothing to answer.", "missing_user_message")
    content = newest.content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if not all(isinstance(p, str) for p in parts):
            raise _bad("A text part of the newest user message has no string 'text'.")
        content = "\n".join(p for p in parts if isinstance(p, str))
    if not isinstance(content, str):
        raise _bad("The newest user message's 'content' must be a string or an array of text parts.")
    try:
        clean_input(content)  # refuse an empty message before any response has started
    except InputError as exc:
        raise _bad(str(exc), "empty_message") from None
    return user, content


def create_app(runtime: Runtime, settings: HTTPSettings, *, model_name: str = "kokoron") -> FastAPI:
    """The ASGI app. Refuses to exist without an API key: an open endpoint would expose memory."""
    key = settings.api_key.get_secret_value()
    if not key:
        raise ConfigError("KOCLAW_HTTP__API_KEY is not set: the HTTP channel needs a key for its clients.")
    # No slash redirects: a 307 built from the client's Host header, which the openai client won't follow.
    app = FastAPI(title="Koclaw", docs_url=None, redoc_url=None, openapi_url=None, redirect_slashes=False)
    app.add_middleware(_BearerAuth, key=key)
    created = int(time.time())

    for kind in (APIError, RequestValidationError, HTTPException, Exception):
        app.add_exception_handler(kind, _error_response)

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        entry = {"id": model_name, "object": "model", "created": created, "owned_by": "koclaw"}
        return {"object": "list", "data": [entry]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        raw = await _body(request, settings.max_body_bytes, settings.header_timeout_s)
        body = _parse(raw) if len(raw) <= PARSE_INLINE_BYTES else await asyncio.to_thread(_parse, raw)
        user, text = _read(body, request.headers.get(USER_HEADER))
        extra = body.extra_body.include_reasoning if body.extra_body else None
        turn = _Turn(bool(body.include_reasoning or extra), bool(body.stream), body.model or model_name)
        inbound = Inbound(
            channel=CHANNEL,
            chat_id=f"http:{user}",
            user_id=identity(CHANNEL, user),
            user_name=user,
            text=text,
        )
        try:
            future = runtime.submit(inbound, turn.emit)
        except RuntimeClosed as exc:
            raise APIError(503, str(exc), "unavailable") from None
        except TooManyMessages as exc:  # OpenAI's "rate_limit_exceeded", with when to try again
            raise APIError(429, str(exc), "rate_limit_exceeded", None, exc.retry_after_s) from None
        if body.stream:
            usage = bool(body.stream_options and body.stream_options.include_usage)
            future.add_done_callback(lambda _: turn.end())
            await _until_first_chunk(turn, future, request.receive)
            if not turn.sent and future.done() and (error := _outcome_error(turn, future)) is not None:
                return error.response()  # nothing was streamed: the status line can still say so
            headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # no proxy buffering
            return StreamingResponse(
                _sse(turn, future, usage), headers=headers, media_type="text/event-stream"
            )
        return await _complete(turn, future, request.receive)

    return app


async def _sse(turn: _Turn, future: asyncio.Future[TurnResult], usage: bool) -> AsyncIterator[bytes]:
    """Drain the turn's queue to the client. If the client leaves, Starlette cancels this generator."""
    try:
        yield turn.chunk({"role": "assistant", "content": ""})
        item: bytes | None = b""
        while item is not None:  # None: the turn is over, and everything it emitted came before it
            item = await turn.queue.get()
            batch = []  # whatever piled up meanwhile goes out in one write
            while item is not None:
                batch.append(item)
                if turn.queue.empty():
                    break
                item = turn.queue.get_nowait()
            if batch:
                yield b"".join(batch)
        error = _outcome_error(turn, future)
        if error is not None:  # the status line has gone: OpenAI clients raise on an `error` event
            yield b"data: " + json.dumps(error.body()).encode() + b"\n\n"
        else:
            yield turn.chunk({}, FINISH.get(future.result().status, "stop"))
            if usage:
                tail = {**turn.head, "choices": [], "usage": turn.usage_json()}
                yield b"data: " + json.dumps(tail).encode() + b"\n\n"
        yield b"data: [DONE]\n\n"
    finally:
        if not future.done():
            future.cancel()  # the runtime stores what she had said as 'interrupted'


async def _complete(turn: _Turn, future: asyncio.Future[TurnResult], receive: Receive) -> Response:
    """Wait for the whole reply, cancelling the turn if the client hangs up first."""

    watch = asyncio.ensure_future(_disconnected(receive))
    either: set[asyncio.Future[Any]] = {future, watch}
    try:
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watch.cancel()
        if not future.done():
            future.cancel()
    error = _outcome_error(turn, future)
    if error is not None:
        return error.response()
    result = future.result()
    message: dict[str, Any] = {"role": "assistant", "content": result.text}
    if turn.reasoning:
        message["reasoning"] = "".join(turn.thoughts).strip() or None
    choice = {"index": 0, "message": message, "finish_reason": FINISH.get(result.status, "stop")}
    payload = {**turn.head, "object": "chat.completion", "choices": [choice], "usage": turn.usage_json()}
    return _json(payload)


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, started: asyncio.Event) -> None:
        super().__init__(config)
        self.started_event = started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.started_event.set()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """The Koclaw process owns SIGINT/SIGTERM and sets `stop`; uvicorn must not replace them."""
        yield


class HTTPChannel(Channel):
    name = CHANNEL

    def __init__(self, settings: HTTPSettings, *, model_name: str = "kokoron") -> None:
        self.settings = settings
        self.model_name = model_name
        self.started = asyncio.Event()  # set once it listens (`koclaw run` says "up" after that)

    async def run(self, runtime: Runtime, stop: asyncio.Event) -> int:
        app = create_app(runtime, self.settings, model_name=self.model_name)
        host, port = self.settings.host, self.settings.port
        sock = _listen(host, port)
        # No access log (a call per request), no logging config of its own: Koclaw's logging rules.
        limits = Limits(self.settings.max_connections, self.settings.header_timeout_s)
        config = uvicorn.Config(
            app,
            host,
            port,
            http=guarded_protocol(limits),
            log_level="warning",
            lifespan="off",
            access_log=False,
            log_config=None,
            timeout_keep_alive=max(1, min(5, int(self.settings.header_timeout_s))),
        )
        config.timeout_graceful_shutdown = 30  # a safety net: `koclaw run` ends the turns first
        server = _Server(config, self.started)

        watcher = asyncio.ensure_future(stop.wait())
        watcher.add_done_callback(lambda _: setattr(server, "should_exit", True))
        accept_log = quiet_accept_errors(asyncio.get_running_loop())
        try:
            await server.serve(sockets=[sock])
        finally:
            accept_log.restore()
            watcher.cancel()
        return 0


def _listen(host: str, port: int) -> socket.socket:
    """Bind here, not in uvicorn, so a taken port is one clear error instead of `sys.exit`."""
    sock = None
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        if sock is not None:
            sock.close()
        raise ConfigError(
            f"The HTTP channel cannot listen on {host}:{port} ({exc.strerror or exc}). "
            "Set KOCLAW_HTTP__HOST / KOCLAW_HTTP__PORT to a free address."
        ) from None
    return sock
