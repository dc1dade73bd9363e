"""The teacher client against a real HTTP server on localhost: retries, truncation, both APIs, secrets."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from finetune.teacher import (
    Teacher,
    TeacherError,
    TeacherSettings,
    TeacherTruncated,
    TeacherUnusable,
    TokenBudget,
)

KEY = "sk-test-very-secret-0123456789"
MESSAGES = [{"role": "system", "content": "You write JSON."}, {"role": "user", "content": "Phase 1 job"}]


@dataclass
class Answer:
    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float


def openai_ok(text: str = "hello", finish: str = "stop") -> Answer:
    return Answer(
        body={
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
            ],
            "usage": {"prompt_tokens": 11, "completion_tokens": 5},
        }
    )


def anthropic_ok(text: str = "hello", stop: str = "end_turn") -> Answer:
    return Answer(
        body={
            "type": "message",
            "role": "assistant",
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop,
            "usage": {"input_tokens": 13, "output_tokens": 7},
        }
    )


def error(status: int, message: str = "try later", **headers: str) -> Answer:
    return Answer(status=status, body={"error": {"message": message}}, headers=headers)


class ScriptServer:
    """Answers each POST with the next scripted answer (a success for its route when none is left)."""

    def __init__(self, *answers: Answer) -> None:
        self.answers: deque[Answer] = deque(answers)
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with outer._lock:
                    outer.seen.append(Seen(self.path, dict(self.headers.items()), body, time.monotonic()))
                    answer = outer.answers.popleft() if outer.answers else None
                if answer is None:
                    answer = anthropic_ok() if self.path.endswith("/messages") else openai_ok()
                data = json.dumps(answer.body or {}).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in answer.headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def __enter__(self) -> ScriptServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def server() -> Iterator[ScriptServer]:
    with ScriptServer() as running:
        yield running


def _teacher(server: ScriptServer, api: str = "openai", **overrides: Any) -> Teacher:
    base = f"{server.base}/v1" if api == "openai" else server.base
    settings = TeacherSettings(
        base_url=base, model="teacher", api_key=KEY, api=api,  # type: ignore[arg-type]
        requests_per_minute=120_000, timeout_s=5.0, backoff_s=0.001, max_backoff_s=0.01, max_tokens=100,
    )  # fmt: skip
    for name, value in overrides.items():
        setattr(settings, name, value)
    return Teacher(settings)


def _complete(teacher: Teacher) -> str:
    async def go() -> str:
        try:
            return await teacher.complete(MESSAGES)
        finally:
            await teacher.close()

    return asyncio.run(go())


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_429_529_and_5xx_are_retried_until_an_answer(server: ScriptServer, api: str) -> None:
    server.answers.extend([error(429, retry_after="0"), error(529, "Overloaded"), error(500), error(502)])
    teacher = _teacher(server, api)
    assert _complete(teacher) == "hello"
    assert len(server.seen) == 5
    assert dict(teacher.tally.retries) == {"429": 1, "529": 1, "500": 1, "502": 1}
    # Only the answer counts tokens; failed requests cost none.
    assert (teacher.tally.prompt_tokens, teacher.tally.completion_tokens) == (
        (11, 5) if api == "openai" else (13, 7)
    )


def test_retry_after_is_honoured_instead_of_the_backoff(server: ScriptServer) -> None:
    server.answers.append(error(429, retry_after="1"))
    # Without Retry-After the jittered backoff would be far shorter than one second.
    assert _complete(_teacher(server)) == "hello"
    assert server.seen[1].at - server.seen[0].at >= 0.9


def test_retry_after_ms_is_read_too(server: ScriptServer) -> None:
    server.answers.append(error(503, retry_after_ms="300"))
    teacher = _teacher(server, backoff_s=30.0, max_backoff_s=30.0)  # a backoff would hang the test

    async def go() -> str:
        try:
            return await asyncio.wait_for(teacher.complete(MESSAGES), 10)
        finally:
            await teacher.close()

    assert asyncio.run(go()) == "hello"
    assert server.seen[1].at - server.seen[0].at >= 0.25


def test_tries_are_bounded_and_the_error_says_what_to_do(server: ScriptServer) -> None:
    server.answers.extend([error(503)] * 10)
    teacher = _teacher(server, max_retries=2)
    with pytest.raises(TeacherError) as failure:
        _complete(teacher)
    assert len(server.seen) == 3
    assert "503" in str(failure.value) and "--rpm" in str(failure.value)


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_a_cut_answer_is_retried_once_with_more_tokens(server: ScriptServer, api: str) -> None:
    cut = openai_ok('{"turns": [', "length") if api == "openai" else anthropic_ok('{"turns": [', "max_tokens")
    whole = openai_ok('{"turns": []}') if api == "openai" else anthropic_ok('{"turns": []}')
    server.answers.extend([cut, whole])
    teacher = _teacher(server, api)
    assert _complete(teacher) == '{"turns": []}'
    assert [s.body["max_tokens"] for s in server.seen] == [100, 200]
    assert teacher.tally.retries["length"] == 1 and teacher.tally.truncated == 1
    assert teacher.tally.requests == 2  # the cut answer's tokens were spent and are counted
    assert teacher.tally.completion_tokens == 2 * (5 if api == "openai" else 7)


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_a_cut_answer_is_never_accepted(server: ScriptServer, api: str) -> None:
    cut = openai_ok("{", "length") if api == "openai" else anthropic_ok("{", "max_tokens")
    server.answers.extend([cut, cut])
    with pytest.raises(TeacherTruncated) as failure:
        _complete(_teacher(server, api))
    assert len(server.seen) == 2 and "--max-tokens" in str(failure.value)


def test_the_anthropic_request_has_its_own_shape(server: ScriptServer) -> None:
    teacher = _teacher(server, "anthropic")
    assert _complete(teacher) == "hello"
    (seen,) = server.seen
    assert seen.path == "/v1/messages"
    headers = {k.lower(): v for k, v in seen.headers.items()}
    assert headers["x-api-key"] == KEY and headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in headers
    assert seen.body["system"] == "You write JSON."
    assert seen.body["messages"] == [{"role": "user", "content": "Phase 1 job"}]
    assert seen.body["model"] == "teacher" and seen.body["max_tokens"] == 100


def test_the_openai_request_is_a_chat_completion(server: ScriptServer) -> None:
    assert _complete(_teacher(server, json_mode=True)) == "hello"
    (seen,) = server.seen
    assert seen.path == "/v1/chat/completions"
    assert {k.lower(): v for k, v in seen.headers.items()}["authorization"] == f"Bearer {KEY}"
    assert seen.body["messages"] == MESSAGES and seen.body["response_format"] == {"type": "json_object"}


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_the_key_never_reaches_errors_or_logs(
    server: ScriptServer, api: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.answers.append(error(400, f"bad request with key {KEY} in it"))
    with pytest.raises(TeacherError) as refused:
        _complete(_teacher(server, api))
    assert KEY not in str(refused.value) and "[redacted]" in str(refused.value)
    server.answers.append(error(401, f"invalid x-api-key {KEY}"))
    with pytest.raises(TeacherUnusable) as unusable:
        _complete(_teacher(server, api))
    assert KEY not in str(unusable.value) and "KOCLAW_TEACHER_API_KEY" in str(unusable.value)
    server.answers.extend([error(500, KEY)] * 3)
    with pytest.raises(TeacherError) as kept_failing:
        _complete(_teacher(server, api, max_retries=2))
    assert KEY not in str(kept_failing.value)
    assert KEY not in caplog.text


def test_an_unknown_api_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="openai, anthropic"):
        TeacherSettings(base_url="http://x", model="m", api="gemini")  # type: ignore[arg-type]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_token_budget_spends_a_minute_then_spaces_requests() -> None:
    clock = Clock()
    budget = TokenBudget(6000, clock=clock)  # 100 tokens a second
    assert budget.reserve(5000) == 0.0
    assert budget.reserve(1000) == 0.0
    assert budget.reserve(500) == pytest.approx(5.0)  # the bucket is empty: wait for 500 tokens
    clock.now += 5.0
    assert budget.reserve(100) == pytest.approx(1.0)


def test_the_token_budget_charges_what_was_really_used() -> None:
    clock = Clock()
    budget = TokenBudget(6000, clock=clock)
    assert budget.reserve(6000) == 0.0
    budget.settle(6000, 1000)  # the answer was short: 5000 tokens come back
    assert budget.reserve(5000) == 0.0
    budget.settle(5000, 8000)  # longer than reserved: the debt delays the next request
    assert budget.reserve(100) == pytest.approx(31.0)


def test_a_request_larger_than_the_budget_waits_for_a_full_bucket_not_forever() -> None:
    clock = Clock()
    budget = TokenBudget(600, clock=clock)
    assert budget.reserve(10_000) == 0.0
    assert budget.reserve(10_000) == pytest.approx(60.0)


def test_a_teacher_with_a_token_budget_still_answers(server: ScriptServer) -> None:
    teacher = _teacher(server, "anthropic", tokens_per_minute=60_000)
    assert _complete(teacher) == "hello"
    assert teacher.tokens is not None
    # The reservation (prompt estimate + max_tokens) was replaced by the real 13 + 7 tokens.
    assert teacher.tokens.reserve(60_000 - 20) == 0.0
