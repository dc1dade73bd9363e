"""The turn, in process: real SQLite, the real openai client, a scripted server over HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from koclaw.agent import Agent, Inbound, TurnResult
from koclaw.config import load_settings
from koclaw.errors import InputError
from koclaw.events import ErrorEvent, Event, ReasoningDelta, TextDelta
from koclaw.llm.openai_compat import OpenAICompatModel
from koclaw.replies import fallback
from memory.session import SessionStore
from tests.fakes.openai_server import FakeOpenAIServer, Reply, text_reply


def turn(text: str, *, user: str = "alice", **env: Any) -> tuple[TurnResult, list[Event], SessionStore]:
    async def go() -> tuple[TurnResult, list[Event], SessionStore]:
        settings = load_settings(**env)
        store = SessionStore(settings.session_db)
        model = OpenAICompatModel(settings.llm)
        events: list[Event] = []

        async def emit(event: Event) -> None:
            events.append(event)

        try:
            result = await Agent(settings, store, model).turn(Inbound("cli", f"cli:{user}", user, text), emit)
        finally:
            await model.aclose()
        return result, events, store

    return asyncio.run(go())


def visible(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def test_reply_streams_and_both_sides_are_stored(server: FakeOpenAIServer) -> None:
    server.add(Reply(chunks=["老师累", "了吗", "</th", "ink>\n\n", "老师，", "今天辛苦了！"]))
    result, events, store = turn("今天好累啊")
    assert visible(events) == "老师，今天辛苦了！" == result.text
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)).strip() == "老师累了吗"
    user = store.get_message(result.user_message_id)
    reply = store.get_message(result.reply_message_id)
    assert (user.role, user.content, user.status, user.language) == ("user", "今天好累啊", "answered", "zh")
    assert (reply.content, reply.reasoning, reply.status) == ("老师，今天辛苦了！", "老师累了吗", "ok")
    assert reply.model == "kokoron" and reply.latency_ms is not None and reply.first_token_ms is not None
    assert (reply.prompt_tokens, reply.completion_tokens) == (10, 5)


def test_request_carries_thinking_flag_persona_and_address(server: FakeOpenAIServer) -> None:
    server.add(text_reply("</think>はい、先生！"))
    turn("明日の会議は何時ですか", llm={"thinking": True})
    body = server.chat_requests[-1]
    assert body["chat_template_kwargs"] == {"enable_thinking": True}
    assert body["stream"] is True and body["model"] == "kokoron"
    system, last = body["messages"][0], body["messages"][-1]
    assert system["role"] == "system" and "Soul" in system["content"]
    assert (
        last["role"] == "user" and "先生" in last["content"] and "明日の会議は何時ですか" in last["content"]
    )

    server.add(text_reply("Sure, Sensei."))
    turn("What is on my calendar?", llm={"thinking": False})
    assert server.chat_requests[-1]["chat_template_kwargs"] == {"enable_thinking": False}
    assert "Sensei" in server.chat_requests[-1]["messages"][-1]["content"]


def test_history_is_sent_on_the_next_turn(server: FakeOpenAIServer) -> None:
    server.add(text_reply("</think>Noted, Sensei."), text_reply("</think>Ramen, Sensei."))
    turn("I love ramen")
    turn("What do I love?")
    contents = [m["content"] for m in server.chat_requests[-1]["messages"][1:]]
    assert contents[0] == "I love ramen" and contents[1] == "Noted, Sensei."
    assert contents[2].endswith("What do I love?")


@pytest.mark.parametrize("cut", range(1, len("<think>plan</think>\n\nHi Sensei")))
def test_tags_split_at_every_position(server: FakeOpenAIServer, cut: int) -> None:
    whole = "<think>plan</think>\n\nHi Sensei"
    server.add(Reply(chunks=[whole[:cut], whole[cut:]]))
    result, events, store = turn("hello")
    assert visible(events) == result.text == "Hi Sensei"
    assert store.get_message(result.reply_message_id).reasoning == "plan"


def test_server_side_reasoning_fields(server: FakeOpenAIServer) -> None:
    server.add(Reply(chunks=[{"reasoning": "vLLM "}, {"reasoning_content": "parser"}, "Hello, Sensei."]))
    result, _, store = turn("hi")
    assert result.text == "Hello, Sensei."
    assert store.get_message(result.reply_message_id).reasoning == "vLLM parser"


def test_thinking_only_stream_gets_fallback(server: FakeOpenAIServer) -> None:
    server.add(Reply(chunks=["<think>", "Sensei asked... hmm", "</think>"]))
    result, events, store = turn("Tell me something")
    assert result.text == fallback("empty", "en") == visible(events)
    reply = store.get_message(result.reply_message_id)
    assert reply.content == "" and reply.notice == result.text and reply.reasoning == "Sensei asked... hmm"


def test_length_inside_thinking_never_leaks(server: FakeOpenAIServer) -> None:
    server.add(Reply(chunks=["secret plan ", "about 老师"], finish_reason="length"))
    result, events, store = turn("你好")
    assert "secret" not in visible(events)
    assert result.text == fallback("thought_too_long", "zh")
    reply = store.get_message(result.reply_message_id)
    assert (reply.status, reply.reasoning) == ("truncated", "secret plan about 老师")


def test_no_thinking_at_all_is_shown_whole(server: FakeOpenAIServer) -> None:
    server.add(Reply(chunks=["Hi Sensei, ", "no thoughts today."]))
    result, _, _ = turn("hi")
    assert result.text == "Hi Sensei, no thoughts today."


def test_break_mid_stream_keeps_partial_and_apologises(server: FakeOpenAIServer) -> None:
    server.add(Reply(chunks=["</think>", "Let me ", "explain", " the rest"], break_after=3))
    result, events, store = turn("explain please")
    assert [e.kind for e in events if isinstance(e, ErrorEvent)] == ["broken"]
    assert result.text == "Let me explain\n\n" + fallback("broken", "en")
    reply = store.get_message(result.reply_message_id)
    assert (reply.status, reply.content) == ("error", "Let me explain") and reply.error
    assert store.get_message(result.user_message_id).status == "unanswered"
    assert len(server.chat_requests) == 1  # text had streamed: no retry


def test_5xx_before_first_token_is_retried(server: FakeOpenAIServer) -> None:
    server.add(Reply(status=503), text_reply("</think>Back again, Sensei."))
    result, _, _ = turn("hi", llm={"max_retries": 2, "base_url": server.url})
    assert result.text == "Back again, Sensei." and len(server.chat_requests) == 2


def test_4xx_is_not_retried_and_says_what_to_do(server: FakeOpenAIServer) -> None:
    server.add(Reply(status=404))
    result, events, _ = turn("hi")
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert errors[0].kind == "rejected" and "KOCLAW_LLM__MODEL" in errors[0].message
    assert result.text == fallback("rejected", "en") and len(server.chat_requests) == 1


def test_server_down_keeps_the_message(dead_url: str) -> None:
    result, events, store = turn("还在吗？")
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert errors and errors[0].kind == "unavailable" and "vllm serve" in errors[0].message
    assert result.text == fallback("unavailable", "zh")
    assert store.get_message(result.user_message_id).content == "还在吗？"


def test_read_timeout_before_first_token(server: FakeOpenAIServer) -> None:
    server.add(Reply(hang_s=1.5, chunks=["late"]))
    result, events, _ = turn("hi", llm={"read_timeout_s": 0.3, "max_retries": 0, "base_url": server.url})
    assert [e.kind for e in events if isinstance(e, ErrorEvent)] == ["unavailable"]
    assert result.status == "error"


def test_tool_call_is_recorded_answered_and_the_loop_continues(server: FakeOpenAIServer) -> None:
    call = '<tool_call>{"name": "memory_save", "arguments": {"fact": "likes ramen"}}</tool_call>'
    server.add(text_reply("</think>" + call), text_reply("</think>Got it, Sensei."))
    result, _, store = turn("remember I like ramen")
    assert result.text == "Got it, Sensei."
    reply = store.get_message(result.reply_message_id)
    assert reply.tool_calls[0]["name"] == "memory_save"
    assert "unknown tool" in reply.tool_calls[0]["result"]  # no tools exist yet: the model is told
    second = server.chat_requests[1]["messages"]
    assert second[-1]["role"] == "tool" and "unknown tool" in second[-1]["content"]


def test_empty_and_control_only_input_is_refused_before_storage(server: FakeOpenAIServer) -> None:
    for text in ["", "   \n ", "\x00\x07\x1b[2J"]:
        with pytest.raises(InputError, match="Empty message"):
            turn(text)
    assert server.chat_requests == []


def test_control_characters_are_removed_and_noted(server: FakeOpenAIServer) -> None:
    result, _, store = turn("hello\x00 \x1b[31mred\x1b[0m Sensei")
    assert store.get_message(result.user_message_id).content == "hello red Sensei"
    assert any("control" in note for note in result.notes)


def test_huge_message_is_stored_whole_and_cut_for_the_prompt(server: FakeOpenAIServer) -> None:
    text = "This is a very long document. " * 3500  # ~100 KB
    result, _, store = turn(text, llm={"context_tokens": 8192, "base_url": server.url})
    assert store.get_message(result.user_message_id).content == text
    sent = server.chat_requests[-1]["messages"][-1]["content"]
    assert "characters omitted" in sent and len(sent) < 40_000
    assert any("too long" in note for note in result.notes)


def test_error_event_mid_stream_is_a_broken_reply(server: FakeOpenAIServer) -> None:
    server.add(
        Reply(chunks=["</think>Half ", b'{"error": {"message": "engine died", "code": 500}}', "never"])
    )
    result, events, store = turn("hi")
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert [e.kind for e in errors] == ["broken"] and "engine died" in errors[0].message
    assert store.get_message(result.reply_message_id).content == "Half"


def test_malformed_chunk_is_a_broken_reply(server: FakeOpenAIServer) -> None:
    server.add(Reply(chunks=["</think>Half ", b"{not json", "never"]))
    result, events, _ = turn("hi")
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert [e.kind for e in errors] == ["broken"] and "malformed" in errors[0].message
    assert result.text.startswith("Half\n\n")


def test_native_tool_call_fragments_are_assembled(server: FakeOpenAIServer) -> None:
    first = {"index": 0, "id": "c1", "function": {"name": "memory_save", "arguments": '{"fa'}}
    rest = {"index": 0, "function": {"arguments": 'ct": "likes tea"}'}}
    server.add(
        Reply(chunks=[{"tool_calls": [first]}, {"tool_calls": [rest]}], finish_reason="tool_calls"),
        text_reply("</think>Noted, Sensei."),
    )
    result, _, store = turn("remember I like tea")
    call = store.get_message(result.reply_message_id).tool_calls[0]
    assert (call["id"], call["name"], call["arguments"]) == ("c1", "memory_save", {"fact": "likes tea"})
    assert server.chat_requests[1]["messages"][-1]["tool_call_id"] == "c1"
