"""The HTTP channel for real: uvicorn on a free port, real SQLite, the scripted model server over HTTP,
and the official openai client (plus raw httpx2 for requests no client would send)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai import OpenAI
from pydantic import SecretStr

from channels.http import HTTPChannel, create_app
from koclaw.app import App, open_app
from koclaw.config import HTTPSettings, load_settings
from koclaw.errors import ConfigError
from koclaw.replies import fallback
from memory.session import Message
from tests.fakes.openai_server import FakeOpenAIServer, Reply, text_reply

KEY = "sk-koclaw-test-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Harness:
    """The channel serving in its own thread and event loop, as `koclaw run` would serve it."""

    url: str
    app: App
    loop: asyncio.AbstractEventLoop

    def client(self, key: str = KEY, *, timeout: float = 10, **kwargs: Any) -> OpenAI:
        return OpenAI(base_url=self.url + "/v1", api_key=key, max_retries=0, timeout=timeout, **kwargs)

    def raw(self, key: str | None = KEY) -> httpx2.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx2.Client(base_url=self.url, headers=headers, timeout=10)

    def on_loop(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """Run on the server's loop: the store belongs to that thread."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    def messages(self, user: str) -> list[Message]:
        async def read() -> list[Message]:
            convs = self.app.store.list_conversations(user_id=f"http:{user}")
            assert [c["chat_id"] for c in convs] == [f"http:{user}"]
            return self.app.store.messages(convs[0]["id"])

        result: list[Message] = self.on_loop(read())
        return result


@pytest.fixture
def start(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], Harness]]:
    running: list[tuple[threading.Thread, Harness, asyncio.Event, dict[str, BaseException]]] = []

    def go() -> Harness:
        port = free_port()
        monkeypatch.setenv("KOCLAW_HTTP__API_KEY", KEY)
        monkeypatch.setenv("KOCLAW_HTTP__PORT", str(port))
        settings = load_settings()
        ready = threading.Event()
        box: dict[str, Any] = {}
        errors: dict[str, BaseException] = {}

        async def serve() -> None:
            async with open_app(settings) as app:
                box.update(app=app, loop=asyncio.get_running_loop(), stop=asyncio.Event())
                ready.set()
                await HTTPChannel(settings.http).run(app.runtime, box["stop"])

        def main() -> None:
            try:
                asyncio.run(serve())
            except BaseException as exc:
                errors["error"] = exc
                ready.set()

        thread = threading.Thread(target=main, daemon=True)
        thread.start()
        assert ready.wait(10), "the app did not open"
        deadline = time.monotonic() + 10
        while "error" not in errors:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the channel did not start listening"
                time.sleep(0.02)
        if "error" in errors:
            raise errors["error"]
        harness = Harness(f"http://127.0.0.1:{port}", box["app"], box["loop"])
        running.append((thread, harness, box["stop"], errors))
        return harness

    yield go
    for thread, harness, stop, errors in running:
        harness.loop.call_soon_threadsafe(stop.set)
        thread.join(15)
        assert not thread.is_alive(), "the channel did not stop"
        assert not errors, errors


def user_says(text: str) -> list[Any]:
    return [{"role": "user", "content": text}]


# -- replies ------------------------------------------------------------------------------------


def test_non_streaming_reply_and_both_sides_are_stored(server: FakeOpenAIServer, start: Any) -> None:
    server.add(Reply(chunks=["老师累了", "</think>\n\n", "老师，", "今天辛苦了！"]))
    h = start()
    reply = h.client().chat.completions.create(
        model="anything-at-all", messages=user_says("今天好累啊"), user="alice"
    )
    assert reply.object == "chat.completion" and reply.model == "anything-at-all"
    choice = reply.choices[0]
    assert (choice.message.role, choice.message.content) == ("assistant", "老师，今天辛苦了！")
    assert choice.finish_reason == "stop"
    assert getattr(choice.message, "reasoning", None) is None  # thinking stays hidden
    assert reply.usage is not None and (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (10, 5)
    user_row, reply_row = h.messages("alice")
    assert (user_row.role, user_row.content, user_row.status) == ("user", "今天好累啊", "answered")
    assert (reply_row.role, reply_row.content, reply_row.status) == ("assistant", "老师，今天辛苦了！", "ok")
    assert reply_row.reasoning == "老师累了"


def test_streaming_reply_is_assembled_from_chunks(server: FakeOpenAIServer, start: Any) -> None:
    server.add(Reply(chunks=["hmm", "</think>", "Hello", ", ", "Sensei", "!"]))
    h = start()
    stream = h.client().chat.completions.create(
        model="kokoron",
        messages=user_says("Hi there"),
        user="alice",
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" and c.model == "kokoron" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello, Sensei!"
    finals = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finals == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == 15
    assert not any(c.choices and (c.choices[0].delta.model_extra or {}).get("reasoning") for c in chunks)
    assert [m.content for m in h.messages("alice")] == ["Hi there", "Hello, Sensei!"]


def test_reasoning_is_hidden_unless_asked_for(server: FakeOpenAIServer, start: Any) -> None:
    thinking = ["secret plan", "</think>\n\n", "Good morning, Sensei."]
    server.add(*(Reply(chunks=list(thinking)) for _ in range(4)))
    h = start()
    raw = h.raw().post(
        "/v1/chat/completions", json={"messages": user_says("morning"), "user": "a", "stream": True}
    )
    assert raw.status_code == 200 and "secret" not in raw.text and "Good morning" in raw.text
    plain = h.client().chat.completions.create(model="kokoron", messages=user_says("morning"), user="a")
    assert "secret" not in plain.model_dump_json()

    ask = {"include_reasoning": True}
    shown = h.client().chat.completions.create(
        model="kokoron", messages=user_says("morning"), user="a", extra_body=ask
    )
    assert shown.choices[0].message.content == "Good morning, Sensei."
    assert (shown.choices[0].message.model_extra or {}).get("reasoning") == "secret plan"
    stream = h.client().chat.completions.create(
        model="kokoron", messages=user_says("morning"), user="a", stream=True, extra_body=ask
    )
    deltas = [c.choices[0].delta for c in stream if c.choices]
    assert "".join((d.model_extra or {}).get("reasoning") or "" for d in deltas) == "secret plan"
    assert "".join(d.content or "" for d in deltas) == "Good morning, Sensei."


def test_truncated_reply_finishes_with_length(server: FakeOpenAIServer, start: Any) -> None:
    server.add(Reply(chunks=["</think>", "Once upon a"], finish_reason="length"))
    server.add(Reply(chunks=["</think>", "Once upon a"], finish_reason="length"))
    h = start()
    reply = h.client().chat.completions.create(model="k", messages=user_says("story?"), user="a")
    assert (reply.choices[0].message.content, reply.choices[0].finish_reason) == ("Once upon a", "length")
    stream = h.client().chat.completions.create(
        model="k", messages=user_says("story?"), user="a", stream=True
    )
    assert [c.choices[0].finish_reason for c in stream if c.choices][-1] == "length"


def test_model_server_down_is_a_503_carrying_the_apology(dead_url: str, start: Any) -> None:
    h = start()
    with pytest.raises(openai.APIStatusError) as caught:
        h.client().chat.completions.create(model="k", messages=user_says("Are you there?"), user="a")
    assert caught.value.status_code == 503
    error = error_of(caught.value.response)
    assert error["message"] == fallback("unavailable", "en") and error["type"] == "server_error"
    assert error["code"] == "model_unavailable" and dead_url not in caught.value.response.text
    user_row, reply_row = h.messages("a")
    assert (user_row.content, user_row.status) == ("Are you there?", "unanswered")
    assert reply_row.status == "error" and reply_row.error and dead_url in reply_row.error
    with pytest.raises(openai.APIStatusError) as streamed:  # nothing streamed yet: the same 503
        h.client().chat.completions.create(model="k", messages=user_says("Hello?"), user="a", stream=True)
    assert streamed.value.status_code == 503
    assert error_of(streamed.value.response)["message"] == fallback("unavailable", "en")


def test_a_stream_that_breaks_mid_reply_ends_with_an_error_event(
    server: FakeOpenAIServer, start: Any
) -> None:
    server.add(Reply(chunks=["</think>", "Half ", "an answer", " never sent"], break_after=3))
    h = start()
    raw = h.raw().post(
        "/v1/chat/completions", json={"messages": user_says("story?"), "user": "a", "stream": True}
    )
    assert raw.status_code == 200  # the status line went out with the first words
    events = [line.removeprefix("data: ") for line in raw.text.split("\n\n") if line]
    assert events[-1] == "[DONE]"
    error = json.loads(events[-2])["error"]
    assert (error["message"], error["type"]) == (fallback("broken", "en"), "server_error")
    chunks = [json.loads(e) for e in events[:-2]]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == "Half an answer"
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks)  # no finish: it did not finish
    server.add(Reply(chunks=["</think>", "Half ", "an answer", " never sent"], break_after=3))
    seen: list[str] = []
    with pytest.raises(openai.APIError) as caught:  # what an OpenAI client does with the event
        stream = h.client().chat.completions.create(
            model="k", messages=user_says("again?"), user="a", stream=True
        )
        for chunk in stream:
            seen += [chunk.choices[0].delta.content or ""] if chunk.choices else []
    assert "".join(seen) == "Half an answer" and caught.value.message == fallback("broken", "en")
    assert [m.status for m in h.messages("a") if m.role == "assistant"] == ["error", "error"]


def test_models_lists_kokoron(start: Any) -> None:
    h = start()
    assert [m.id for m in h.client().models.list()] == ["kokoron"]


# -- memory -------------------------------------------------------------------------------------


def test_history_comes_from_memory_not_from_the_client(server: FakeOpenAIServer, start: Any) -> None:
    h = start()
    client = h.client()
    client.chat.completions.create(model="k", messages=user_says("I love ramen"), user="alice")
    fake = [
        {"role": "system", "content": "FAKE system prompt"},
        {"role": "user", "content": "FAKE earlier question"},
        {"role": "assistant", "content": "FAKE earlier answer"},
        {"role": "user", "content": [{"type": "text", "text": "What do I love?"}]},
    ]
    reply = client.chat.completions.create(model="k", messages=fake, user="alice")
    assert reply.choices[0].message.content == "echo: What do I love?"
    sent = server.chat_requests[-1]["messages"]
    contents = [m["content"] for m in sent]
    assert not any("FAKE" in c for c in contents)
    assert sent[0]["role"] == "system" and contents[1:3] == ["I love ramen", "echo: I love ramen"]
    assert contents[-1].endswith("What do I love?")
    assert [m.content for m in h.messages("alice")][2] == "What do I love?"


def test_each_user_has_their_own_memory(server: FakeOpenAIServer, start: Any) -> None:
    h = start()
    client = h.client()
    client.chat.completions.create(model="k", messages=user_says("My locker code is 4417"), user="alice")
    bob = h.client(default_headers={"X-Koclaw-User": "bob"})
    bob.chat.completions.create(model="k", messages=user_says("What is Alice's locker code?"))
    assert not any("4417" in m["content"] for m in server.chat_requests[-1]["messages"])
    assert h.messages("bob")[0].content == "What is Alice's locker code?"
    assert h.messages("alice")[0].content == "My locker code is 4417"
    client.chat.completions.create(model="k", messages=user_says("And my code?"), user="alice")
    assert any("4417" in m["content"] for m in server.chat_requests[-1]["messages"])
    # a header carries UTF-8 bytes: the person is 老师, not mojibake
    body = {"messages": user_says("你好")}
    answer = h.raw().post("/v1/chat/completions", json=body, headers={"X-Koclaw-User": "老师".encode()})
    assert answer.status_code == 200 and h.messages("老师")[0].content == "你好"


# -- refusals -----------------------------------------------------------------------------------


def error_of(response: httpx2.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert body["error"]["type"] in ("invalid_request_error", "server_error")
    return dict(body["error"])


def test_bad_or_missing_key_is_401_everywhere(server: FakeOpenAIServer, start: Any) -> None:
    h = start()
    with pytest.raises(openai.AuthenticationError) as caught:
        h.client(key="sk-wrong").chat.completions.create(model="k", messages=user_says("hi"), user="a")
    assert caught.value.status_code == 401 and caught.value.code == "invalid_api_key"
    with pytest.raises(openai.AuthenticationError):
        h.client(key=KEY + "x").models.list()
    for path in ("/v1/models", "/v1/chat/completions", "/nowhere"):
        response = h.raw(key=None).post(path, content=b"{not json")
        assert response.status_code == 401 and KEY not in response.text
        assert error_of(response)["code"] == "invalid_api_key"
    assert h.raw(key="x" + KEY).get("/v1/models").status_code == 401
    assert h.raw().get("/v1/models").status_code == 200
    assert server.chat_requests == []


def test_missing_user_is_400(server: FakeOpenAIServer, start: Any) -> None:
    h = start()
    with pytest.raises(openai.BadRequestError) as caught:
        h.client().chat.completions.create(model="k", messages=user_says("hi"))
    assert caught.value.code == "missing_user" and "X-Koclaw-User" in caught.value.message
    with pytest.raises(openai.BadRequestError):
        h.client().chat.completions.create(model="k", messages=user_says("hi"), user="   ", stream=True)
    assert server.chat_requests == []


@pytest.mark.parametrize(
    ("messages", "code"),
    [
        ([{"role": "system", "content": "be nice"}], "missing_user_message"),
        ([], "missing_user_message"),
        (user_says("   \n "), "empty_message"),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}], "empty_message"),
    ],
)
def test_nothing_to_answer_is_400(
    server: FakeOpenAIServer, start: Any, messages: list[Any], code: str
) -> None:
    h = start()
    with pytest.raises(openai.BadRequestError) as caught:
        h.client().chat.completions.create(model="k", messages=messages, user="a", stream=True)
    assert caught.value.code == code
    assert server.chat_requests == []


def test_malformed_json_is_400(start: Any) -> None:
    h = start()
    with h.raw() as http:
        for body in (b'{"messages": [', b"\xff\xfe\x00garbage", b"", b"nan", b"[1, 2]", b'"text"'):
            response = http.post(
                "/v1/chat/completions", content=body, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 400, body
            assert error_of(response)["code"] == "invalid_json"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"messages": "hello", "user": "a"}, "messages"),
        ({"user": "a"}, "messages"),
        ({"messages": [{"content": "hi"}], "user": "a"}, "messages[0].role"),
        ({"messages": user_says("hi"), "user": 42}, "user"),
        ({"messages": user_says("hi"), "user": "a", "stream": "maybe"}, "stream"),
        ({"messages": user_says("hi"), "user": "a", "stream": "yes"}, "stream"),  # was read as true
        ({"messages": user_says("hi"), "user": "a", "include_reasoning": "false"}, "include_reasoning"),
        ({"messages": user_says("hi"), "user": "a", "stream_options": []}, "stream_options"),
        ({"messages": [{"role": "user", "content": 5}], "user": "a"}, "content"),
        ({"messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}], "user": "a"}, "text"),
        ({"messages": user_says("hi"), "user": "a" * 300}, "user"),
    ],
)
def test_wrong_types_are_400_in_openai_shape(
    server: FakeOpenAIServer, start: Any, body: dict[str, Any], where: str
) -> None:
    h = start()
    response = h.raw().post("/v1/chat/completions", json=body)
    assert response.status_code == 400
    assert where in error_of(response)["message"]
    assert server.chat_requests == []


def test_unknown_route_and_method_are_openai_shaped(start: Any) -> None:
    h = start()
    missing = h.raw().get("/v1/embeddings")
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"
    wrong = h.raw().get("/v1/chat/completions")
    assert wrong.status_code == 405 and error_of(wrong)["code"] == "method_not_allowed"


def test_shutting_down_is_503(server: FakeOpenAIServer, start: Any) -> None:
    h = start()
    h.on_loop(h.app.runtime.shutdown(grace_s=1))
    with pytest.raises(openai.InternalServerError) as caught:
        h.client().chat.completions.create(model="k", messages=user_says("hi"), user="a")
    assert caught.value.status_code == 503


def test_one_person_past_their_share_is_429_and_another_is_answered(
    server: FakeOpenAIServer, start: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOCLAW_SESSION__PER_MINUTE", "1")
    server.add(text_reply("</think>First."), text_reply("</think>Hello, Bob."))
    h = start()
    body = {"model": "k", "messages": user_says("hi"), "user": "alice"}
    assert h.raw().post("/v1/chat/completions", json=body).status_code == 200
    refused = h.raw().post("/v1/chat/completions", json=body)
    assert refused.status_code == 429 and error_of(refused)["code"] == "rate_limit_exceeded"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    answered = h.client().chat.completions.create(model="k", messages=user_says("hi"), user="bob")
    assert answered.choices[0].message.content == "Hello, Bob."
    assert [m.content for m in h.messages("alice")] == ["hi", "First."]  # the refused one was not taken


def test_no_key_no_app_and_a_taken_port_is_a_clear_error(start: Any) -> None:
    h = start()
    with pytest.raises(ConfigError, match="KOCLAW_HTTP__API_KEY"):
        create_app(h.app.runtime, HTTPSettings())
    port = int(h.url.rsplit(":", 1)[1])
    taken = HTTPSettings(api_key=SecretStr(KEY), port=port)
    with pytest.raises(ConfigError, match="KOCLAW_HTTP__PORT"):
        h.on_loop(HTTPChannel(taken).run(h.app.runtime, asyncio.Event()))


# -- hanging up ---------------------------------------------------------------------------------


def wait_for_status(h: Harness, user: str, status: str) -> Message:
    deadline = time.monotonic() + 60  # generous: a loaded 2-core CI box is slow to notice a hang-up
    while True:
        reply = h.messages(user)[-1]
        if reply.status == status or time.monotonic() > deadline:
            return reply
        time.sleep(0.05)


def test_client_hanging_up_a_stream_interrupts_the_turn(server: FakeOpenAIServer, start: Any) -> None:
    server.add(Reply(chunks=["</think>", *(f"word{i} " for i in range(200))], delay_s=0.05))
    h = start()
    stream = h.client().chat.completions.create(
        model="k", messages=user_says("Tell me a long story"), user="a", stream=True
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            break
    stream.close()
    reply = wait_for_status(h, "a", "interrupted")
    assert reply.status == "interrupted" and reply.content.startswith("word0")
    assert "word199" not in reply.content


def test_client_hanging_up_a_plain_request_interrupts_the_turn(server: FakeOpenAIServer, start: Any) -> None:
    server.add(Reply(chunks=["</think>", *(f"word{i} " for i in range(200))], delay_s=0.05))
    h = start()
    body = json.dumps({"model": "k", "messages": user_says("Long story"), "user": "a"}).encode()
    with socket.create_connection(("127.0.0.1", port_of(h)), timeout=10) as sock:
        sock.sendall(request_head(len(body)) + body)
        # Hang up once the turn is asking the model (not before it started: a busy machine may take a
        # while to get there, and a message given up before its turn is another case).
        deadline = time.monotonic() + 60
        while not server.received and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.received, "the turn never reached the model"
    reply = wait_for_status(h, "a", "interrupted")
    assert reply.status == "interrupted" and "word199" not in reply.content


# -- no body makes it crash -----------------------------------------------------------------------

json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
message = st.fixed_dictionaries(
    {},
    optional={
        "role": st.sampled_from(["user", "assistant", "system", ""]) | json_value,
        "content": st.text(max_size=12)
        | json_value
        | st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": json_value})),
    },
)
request_body = st.fixed_dictionaries(
    {},
    optional={
        "messages": st.lists(message, max_size=3) | json_value,
        "user": st.sampled_from(["alice", ""]) | json_value,
        "stream": st.booleans() | json_value,
        "stream_options": st.fixed_dictionaries({"include_usage": json_value}) | json_value,
        "include_reasoning": st.booleans() | json_value,
        "model": st.text(max_size=6) | json_value,
        "extra_body": json_value,
    },
)


def test_no_request_body_gets_a_server_error(server: FakeOpenAIServer, start: Any) -> None:
    h = start()
    http = h.raw()

    @settings(max_examples=60, deadline=None)
    @given(body=request_body)
    def check(body: Any) -> None:
        response = http.post("/v1/chat/completions", content=json.dumps(body))
        assert response.status_code in (200, 400), response.text
        if response.status_code == 400:
            error_of(response)
        elif response.headers["content-type"].startswith("text/event-stream"):
            assert response.text.endswith("data: [DONE]\n\n") and '"error"' not in response.text
        else:
            assert response.json()["object"] == "chat.completion"

    check()


# -- what reaching the port costs (before and after the key) --------------------------------------


def port_of(h: Harness) -> int:
    return int(h.url.rsplit(":", 1)[1])


def read_until_closed(sock: socket.socket, deadline: float) -> bytes | None:
    """Everything the server sends until it closes (a reset counts), or None if still open at `deadline`."""
    data = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            part = sock.recv(65536)
        except ConnectionResetError:
            return data
        except TimeoutError:
            return None
        if not part:
            return data
        data += part


def raw_exchange(h: Harness, head: bytes, *pieces: bytes) -> tuple[int, dict[str, Any]]:
    """Send raw bytes, read the response until the server closes, return its status and JSON body."""
    with socket.create_connection(("127.0.0.1", port_of(h)), timeout=10) as sock:
        sock.sendall(head)
        for piece in pieces:
            sock.sendall(piece)
        data = read_until_closed(sock, time.monotonic() + 30)
    assert data is not None, "the server kept the connection open"
    status_line, _, rest = data.partition(b"\r\n")
    body = rest.partition(b"\r\n\r\n")[2]
    return int(status_line.split()[1]), json.loads(body)


def request_head(length: int | None = None, *, chunked: bool = False) -> bytes:
    lines = [b"POST /v1/chat/completions HTTP/1.1", b"Host: localhost", b"Content-Type: application/json"]
    lines.append(f"Authorization: Bearer {KEY}".encode())
    if length is not None:
        lines.append(f"Content-Length: {length}".encode())
    if chunked:
        lines.append(b"Transfer-Encoding: chunked")
    return b"\r\n".join(lines) + b"\r\n\r\n"


def test_half_open_connections_are_capped_and_closed(
    server: FakeOpenAIServer, start: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOCLAW_HTTP__MAX_CONNECTIONS", "8")
    monkeypatch.setenv("KOCLAW_HTTP__HEADER_TIMEOUT_S", "3")
    h = start()
    socks = [socket.create_connection(("127.0.0.1", port_of(h)), timeout=10) for _ in range(50)]
    try:
        for sock in socks:  # headers that never finish, sent before the key could be checked
            with contextlib.suppress(OSError):  # one refused at once may already be gone
                sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
        deadline = time.monotonic() + 30
        answers = [read_until_closed(sock, deadline) for sock in socks]
    finally:
        for sock in socks:
            sock.close()
    assert all(a is not None for a in answers), f"{answers.count(None)} of 50 connections were left open"
    statuses = [a.split(b" ", 2)[1] for a in answers if a]
    assert b"408" in statuses  # admitted, then timed out waiting for headers
    assert len(statuses) < 50 or b"503" in statuses  # over the cap: refused at once (or reset)
    assert h.client().models.list().data[0].id == "kokoron"  # the key still gets in


def test_accept_errors_are_logged_once_not_per_retry(start: Any, caplog: pytest.LogCaptureFixture) -> None:
    h = start()
    emfile = OSError(errno.EMFILE, "Too many open files")

    async def flood() -> None:
        loop = asyncio.get_running_loop()
        context = {"message": "socket.accept() out of system resource", "exception": emfile}
        for _ in range(200):  # what the loop reports each time accept() fails with EMFILE
            loop.call_exception_handler(context)

    with caplog.at_level(logging.ERROR):
        h.on_loop(flood())
    noted = [r for r in caplog.records if "Too many open files" in r.getMessage()]
    assert len(noted) == 1 and "KOCLAW_HTTP__MAX_CONNECTIONS" in noted[0].getMessage()


def test_oversized_bodies_are_413_before_they_are_read(
    server: FakeOpenAIServer, start: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KOCLAW_HTTP__MAX_BODY_BYTES", "16384")
    monkeypatch.setenv("KOCLAW_HTTP__HEADER_TIMEOUT_S", "2")
    h = start()
    status, body = raw_exchange(h, request_head(50_000_000))  # declared: refused without a byte read
    assert status == 413 and body["error"]["code"] == "request_too_large"
    assert "KOCLAW_HTTP__MAX_BODY_BYTES" in body["error"]["message"]
    piece = b"1000\r\n" + b"x" * 4096 + b"\r\n"  # chunked: refused once the 16,385th byte is in
    status, body = raw_exchange(h, request_head(chunked=True), piece * 4, b"1\r\nx\r\n")
    assert status == 413 and body["error"]["type"] == "invalid_request_error"
    status, body = raw_exchange(h, request_head(100), b'{"messages": ')  # a body that stops coming
    assert status == 408 and body["error"]["code"] == "request_timeout"
    assert server.chat_requests == []
    ok = h.client().chat.completions.create(model="k", messages=user_says("still here?"), user="a")
    assert ok.choices[0].message.content == "echo: still here?"


def test_a_large_body_under_the_cap_is_answered(server: FakeOpenAIServer, start: Any) -> None:
    h = start()  # parsed in a thread (past 64 KB): the answer is the same
    history = [{"role": "assistant", "content": "earlier " * 2000} for _ in range(20)]
    reply = h.client().chat.completions.create(
        model="k", messages=[*history, *user_says("and now?")], user="a"
    )
    assert reply.choices[0].message.content == "echo: and now?"


@pytest.mark.parametrize("where", ["extra", "content"])
def test_deeply_nested_json_is_400(server: FakeOpenAIServer, start: Any, where: str) -> None:
    h = start()
    deep = "[" * 100_000 + "]" * 100_000
    if where == "extra":
        raw = '{"messages": [{"role": "user", "content": "hi"}], "user": "a", "x": ' + deep + "}"
    else:
        raw = '{"messages": [{"role": "user", "content": ' + deep + '}], "user": "a"}'
    response = h.raw().post("/v1/chat/completions", content=raw.encode())
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_json" and "nested too deeply" in error["message"]
    assert server.chat_requests == []


def test_a_long_model_name_is_400_not_echoed(server: FakeOpenAIServer, start: Any) -> None:
    h = start()
    body = {"model": "m" * 300, "messages": user_says("hi"), "user": "a", "stream": True}
    response = h.raw().post("/v1/chat/completions", json=body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["param"] == "model" and "m" * 300 not in response.text
    assert server.chat_requests == []
    fine = h.client().chat.completions.create(model="m" * 256, messages=user_says("hi"), user="a")
    assert fine.model == "m" * 256


@pytest.mark.parametrize(
    "user",
    [
        "a\ud800",  # half of a surrogate pair: valid JSON, and no UTF-8 store can hold it (was a 500)
        "ab\x00c",  # taken, then refused by long-term memory on every turn
        "x\nkoclaw ERROR forged log line",
        "u" * 252,  # http: + 252 is past the 256 characters a person's id may have
    ],
)
def test_a_user_that_cannot_name_a_person_is_400(server: FakeOpenAIServer, start: Any, user: str) -> None:
    h = start()
    body = json.dumps({"model": "k", "user": user, "messages": user_says("hi")})
    with h.raw() as http:
        response = http.post(
            "/v1/chat/completions", content=body, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 400 and error_of(response)["param"] == "user", response.text
    assert server.chat_requests == []


def test_a_lone_surrogate_in_the_message_is_stored_as_a_replacement_character(
    server: FakeOpenAIServer, start: Any
) -> None:
    server.add(Reply(chunks=["</think>", "Yes, Sensei."]))
    h = start()
    body = json.dumps({"model": "k", "user": "alice", "messages": user_says("hi \ud800 there")})
    with h.raw() as http:
        response = http.post(
            "/v1/chat/completions", content=body, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == "Yes, Sensei."
    assert h.messages("alice")[0].content == "hi \ufffd there"


def test_a_trailing_slash_is_an_openai_shaped_404_not_a_redirect(start: Any) -> None:
    """The 307 pointed wherever the client's Host header said, and the openai client does not follow it."""
    h = start()
    with h.raw() as http:
        response = http.post("/v1/chat/completions/", content=b"{}", headers={"Host": "evil.example"})
    assert response.status_code == 404 and "location" not in response.headers
    assert error_of(response)


def test_a_full_disk_is_a_503_that_says_storage_and_is_logged(
    server: FakeOpenAIServer, start: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """It was a 500 "internal error (logged)" with nothing logged."""
    h = start()

    async def fill() -> None:  # SQLite's own "database or disk is full", as on a full disk
        conn = h.app.store.db.conn
        conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")

    h.on_loop(fill())
    with caplog.at_level("ERROR", logger="channels.http"), h.raw() as http:
        body = json.dumps({"model": "k", "user": "alice", "messages": user_says("x" * 200_000)})
        response = http.post(
            "/v1/chat/completions", content=body, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 503 and error_of(response)["code"] == "storage_unavailable", response.text
    assert any("disk is full" in r.getMessage() for r in caplog.records), caplog.records
    assert server.chat_requests == []
