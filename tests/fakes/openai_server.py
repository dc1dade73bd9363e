"""A scripted OpenAI-compatible server on localhost: the model-server boundary for tests and benches.

It speaks real HTTP (chunked SSE for streams), so the real `openai` client and the real
`koclaw` command talk to it exactly as they would to vLLM. Each chat request takes the next
scripted `Reply`; with none left it answers with `default`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted completion.

    `chunks`: str items are `delta.content`; dict items are raw deltas (e.g. {"reasoning": "..."});
    bytes items are sent verbatim as an event's data (for error events and malformed payloads).
    `status` != 200 answers with an error body instead. `break_after` drops the connection after
    that many chunks. `hang_s` waits before the first byte (to provoke timeouts).

    Misbehaviour: `done=False` leaves out `data: [DONE]`; `framing="close"` sends the body without
    chunked encoding and ends it by closing the connection, so a `break_after` looks like a clean end;
    `body` answers 200 with those bytes as `content_type` instead of a stream (a proxy's error page);
    `endless` streams that chunk every `delay_s` (at least 10 ms) after `chunks` until the client leaves.
    """

    chunks: list[str | dict[str, Any] | bytes] = field(default_factory=list)
    finish_reason: str | None = "stop"
    status: int = 200
    delay_s: float = 0.0
    break_after: int | None = None
    hang_s: float = 0.0
    usage: tuple[int, int] | None = (10, 5)
    done: bool = True
    framing: str = "chunked"  # or "close"
    body: bytes | None = None
    content_type: str = "text/event-stream"
    endless: str | dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)  # on an error answer (e.g. Retry-After)


def text_reply(text: str, **kwargs: Any) -> Reply:
    return Reply(chunks=[text], **kwargs)


@dataclass
class Received:
    body: dict[str, Any]
    headers: dict[str, str]
    at: float  # perf_counter when the request had arrived
    chunk_times: list[float] = field(default_factory=list)


class FakeOpenAIServer:
    def __init__(
        self,
        replies: Iterable[Reply] = (),
        *,
        models: list[str] | None = None,
        default: Callable[[dict[str, Any]], Reply] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.replies: deque[Reply] = deque(replies)
        self.models = models or ["kokoron"]
        self.default = default or _echo
        self.received: list[Received] = []
        self.adapters_loaded: list[dict[str, Any]] = []  # bodies of /load_lora_adapter calls
        self.adapters_change_output = True  # False: adapters load but change nothing (the vLLM key trap)
        self._lock = threading.Lock()
        self._stopping = threading.Event()  # ends endless streams
        self._server = ThreadingHTTPServer((host, port), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def add(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self.replies:
                return self.replies.popleft()
        reply = self.default(body)
        loaded = {a.get("lora_name") for a in self.adapters_loaded}
        if self.adapters_change_output and body.get("model") in loaded:  # like a LoRA that works
            reply = replace(reply, chunks=[f"[{body['model']}] ", *reply.chunks])
        return reply

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return [r.body for r in self.received]


def _echo(body: dict[str, Any]) -> Reply:
    last = next((m for m in reversed(body.get("messages", [])) if m.get("role") == "user"), {})
    content = last.get("content", "")
    text = content if isinstance(content, str) else json.dumps(content)
    # The newest message follows the turn's "[Now]" note after a blank line: echo just that.
    return Reply(
        chunks=["</think>\n\n" if _thinking(body) else "", f"echo: {text.rsplit(chr(10) * 2, 1)[-1][:200]}"]
    )


def _thinking(body: dict[str, Any]) -> bool:
    return bool(body.get("chat_template_kwargs", {}).get("enable_thinking", True))


def _handler(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        chunked = True

        def setup(self) -> None:
            super().setup()
            # Stream chunks as written, like a real server: no Nagle delay against delayed ACKs.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                data = [{"id": m, "object": "model", "owned_by": "koclaw-test"} for m in server.models]
                self._json(200, {"object": "list", "data": data})
            else:
                self._json(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:
            at = time.perf_counter()
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path.rstrip("/").endswith("/load_lora_adapter"):
                self._load_adapter(body)
                return
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._json(404, {"error": {"message": f"no route {self.path}"}})
                return
            record = Received(body=body, headers=dict(self.headers.items()), at=at)
            server.received.append(record)
            reply = server.next_reply(body)
            if reply.hang_s:
                time.sleep(reply.hang_s)
            if reply.status != 200:
                error = {"error": {"message": f"scripted error {reply.status}"}}
                self._json(reply.status, error, reply.headers)
            elif reply.body is not None:
                self._verbatim(reply)
            elif body.get("stream"):
                try:
                    self._stream(body, reply, record)
                except (BrokenPipeError, ConnectionResetError):  # the client went away: fine
                    self.close_connection = True
            else:
                self._complete(body, reply)

        def _load_adapter(self, body: dict[str, Any]) -> None:
            """vLLM's runtime LoRA loading (VLLM_ALLOW_RUNTIME_LORA_UPDATING=True)."""
            server.adapters_loaded.append(body)
            name = body.get("lora_name", "")
            if name in server.models:
                message = f"The lora adapter '{name}' has already been loaded."
                self._json(400, {"error": {"message": message}})
                return
            server.models.append(name)
            data = f"Success: LoRA adapter '{name}' added successfully.".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client timed out and left: fine
                self.close_connection = True

        def _complete(self, body: dict[str, Any], reply: Reply) -> None:
            text = "".join(c for c in reply.chunks if isinstance(c, str))
            reasoning = "".join(str(c.get("reasoning", "")) for c in reply.chunks if isinstance(c, dict))
            message: dict[str, Any] = {"role": "assistant", "content": text}
            if reasoning:
                message["reasoning"] = reasoning
            self._json(
                200,
                _envelope(
                    body, "chat.completion", {"message": message, "finish_reason": reply.finish_reason}, reply
                ),
            )

        def _verbatim(self, reply: Reply) -> None:
            assert reply.body is not None
            self.send_response(200)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        def _stream(self, body: dict[str, Any], reply: Reply, record: Received) -> None:
            self.chunked = reply.framing == "chunked"
            self.send_response(200)
            self.send_header("Content-Type", reply.content_type)
            if self.chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Connection", "close")
            self.end_headers()
            try:
                self._stream_body(body, reply, record)
            finally:
                if not self.chunked:  # the end of the connection is the end of the body
                    self.close_connection = True
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)

        def _stream_body(self, body: dict[str, Any], reply: Reply, record: Received) -> None:
            self._event(_envelope(body, "chat.completion.chunk", {"delta": {"role": "assistant"}}, None))
            for i, chunk in enumerate(reply.chunks):
                if reply.break_after is not None and i >= reply.break_after:
                    self.wfile.flush()
                    self.close_connection = True
                    if self.chunked:
                        self.connection.shutdown(2)
                    return
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                record.chunk_times.append(time.perf_counter())
                if isinstance(chunk, bytes):
                    self._raw(b"data: " + chunk + b"\n\n")
                    continue
                delta = {"content": chunk} if isinstance(chunk, str) else chunk
                self._event(_envelope(body, "chat.completion.chunk", {"delta": delta}, None))
            if reply.endless is not None:
                delta = {"content": reply.endless} if isinstance(reply.endless, str) else reply.endless
                while not server._stopping.wait(max(reply.delay_s, 0.01)):
                    self._event(_envelope(body, "chat.completion.chunk", {"delta": delta}, None))
                return
            final = _envelope(
                body, "chat.completion.chunk", {"delta": {}, "finish_reason": reply.finish_reason}, None
            )
            self._event(final)
            if reply.usage and body.get("stream_options", {}).get("include_usage"):
                usage = _envelope(body, "chat.completion.chunk", None, reply)
                self._event(usage)
            if reply.done:
                self._raw(b"data: [DONE]\n\n")
            if self.chunked:
                self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def _event(self, payload: dict[str, Any]) -> None:
            self._raw(b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n")

        def _raw(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n" if self.chunked else data)
            self.wfile.flush()

    return Handler


def _envelope(
    body: dict[str, Any], obj: str, choice: dict[str, Any] | None, reply: Reply | None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": "chatcmpl-test",
        "object": obj,
        "created": int(time.time()),
        "model": body.get("model", "kokoron"),
        "choices": [],
    }
    if choice is not None:
        payload["choices"] = [{"index": 0, "finish_reason": None, **choice}]
    if reply is not None and reply.usage:
        prompt, completion = reply.usage
        payload["usage"] = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
    return payload


if __name__ == "__main__":  # a manual playground: echoes what you say
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    with FakeOpenAIServer(port=args.port) as srv:
        print(f"scripted echo server on {srv.url}")
        threading.Event().wait()
