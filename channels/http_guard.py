"""Connection limits for the HTTP channel, below the app (which only sees finished headers).

uvicorn keeps a connection open for as long as its client dribbles headers, and accepts every
connection it is offered; a few thousand idle sockets then use up the process's file descriptors
and every channel (Telegram too) goes down with it. `guarded_protocol` wraps uvicorn's own HTTP
protocol with two limits: at most `max_connections` open at once (more are answered 503 and
closed at once), and `header_timeout_s` to send a request's headers (else 408 and closed).
`quiet_accept_errors` keeps the event loop's "out of file descriptors" log to one line a minute.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from koclaw.throttle import Every

ACCEPT_ERROR = "socket.accept() out of system resource"
ACCEPT_LOG_EVERY_S = 60.0
log = logging.getLogger(__name__)


@dataclass(slots=True)
class Limits:
    max_connections: int
    header_timeout_s: float
    open: set[asyncio.BaseProtocol] = field(default_factory=set)


def _refusal(status: int, reason: str, message: str, code: str) -> bytes:
    """A whole HTTP response that closes the connection, its body in OpenAI's error shape."""
    kind = "server_error" if status >= 500 else "invalid_request_error"
    error = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    body = json.dumps(error).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


BUSY = _refusal(
    503, "Service Unavailable", "Too many open connections; retry in a moment.", "too_many_connections"
)
SLOW = _refusal(408, "Request Timeout", "The request headers took too long to arrive.", "request_timeout")


class _Guarded(asyncio.Protocol):
    """One connection: refused when over the cap, closed when its headers do not arrive in time."""

    limits: Limits  # set per server by `guarded_protocol`

    def __init__(self, **options: Any) -> None:
        self.inner: Any = AutoHTTPProtocol(**options)  # uvicorn's protocol (httptools or h11)
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.serving = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if len(self.limits.open) >= self.limits.max_connections:
            transport.write(BUSY)
            transport.close()
            return
        self.limits.open.add(self)
        self.serving = True
        self.inner.connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if not self.serving:
            return
        self.inner.data_received(data)
        if self._awaiting_headers():
            self._arm()  # keeps the first deadline while headers trickle in
        else:
            self._disarm()

    def eof_received(self) -> bool | None:
        return bool(self.inner.eof_received()) if self.serving else None

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.limits.open.discard(self)
        if self.serving:
            self.serving = False
            self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self.serving:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.serving:
            self.inner.resume_writing()

    def _awaiting_headers(self) -> bool:
        """No request is being answered: the next bytes are (part of) a request's headers."""
        cycle = getattr(self.inner, "cycle", None)
        return cycle is None or bool(getattr(cycle, "response_complete", True))

    def _arm(self) -> None:
        if self.timer is None:
            loop = asyncio.get_running_loop()
            self.timer = loop.call_later(self.limits.header_timeout_s, self._too_slow)

    def _disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _too_slow(self) -> None:
        self.timer = None
        transport = self.transport
        if transport is None or transport.is_closing() or not self._awaiting_headers():
            return
        if getattr(self.inner, "cycle", None) is None:  # nothing answered yet: say why
            transport.write(SLOW)
        transport.close()  # between requests, an idle keep-alive just closes


def guarded_protocol(limits: Limits) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol class with `limits` applied (pass it as `uvicorn.Config(http=...)`)."""
    return type("GuardedHTTPProtocol", (_Guarded,), {"limits": limits})


class _AcceptLog:
    """The loop's exception handler, with accept-time resource errors logged once a minute."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.previous = loop.get_exception_handler()
        self.report = Every(ACCEPT_LOG_EVERY_S)
        self.dropped = 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if context.get("message") != ACCEPT_ERROR:
            self._pass_on(context)
            return
        if not self.report.due():
            self.dropped += 1
            return
        dropped, self.dropped = self.dropped, 0
        more = f" ({dropped} more since the last report)" if dropped else ""
        log.error(
            "The HTTP channel cannot accept connections: %s%s. Lower KOCLAW_HTTP__MAX_CONNECTIONS "
            "or raise the open-file limit (ulimit -n).",
            context.get("exception") or "out of resources",
            more,
        )

    def _pass_on(self, context: dict[str, Any]) -> None:
        if self.previous is not None:
            self.previous(self.loop, context)
        else:
            self.loop.default_exception_handler(context)

    def restore(self) -> None:
        if self.loop.get_exception_handler() is self:
            self.loop.set_exception_handler(self.previous)


def quiet_accept_errors(loop: asyncio.AbstractEventLoop) -> _AcceptLog:
    """Install the rate-limited handler on `loop`; call `.restore()` on the result when done."""
    handler = _AcceptLog(loop)
    loop.set_exception_handler(handler)
    return handler
