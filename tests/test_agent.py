"""The turn, in process: real SQLite, the real openai client, a scripted server over HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from koclaw import agent
from koclaw.agent import Agent, Inbound, TurnResult, summaries_for
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
            answering = Agent(settings, store, model).turn(Inbound("cli", f"cli:{user}", user, text), emit)
            result = await asyncio.wait_for(answering, timeout=120)  # a turn that never ends fails
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
    # A model that never thinks is run with thinking off; with it on, unclosed text stays private.
    server.add(Reply(chunks=["Hi Sensei, ", "no thoughts today."]))
    result, _, _ = turn("hi", llm={"thinking": False, "base_url": server.url})
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


def test_a_busy_server_is_retried_after_the_wait_it_asks_for(server: FakeOpenAIServer) -> None:
    """It was retried at once (0.5 s, 1.2 s): refused again, then "I can't reach my model server"."""
    server.add(Reply(status=429, headers={"Retry-After": "2"}), text_reply("</think>Thanks for waiting."))
    result, _, _ = turn("hi", llm={"max_retries": 2, "base_url": server.url})
    assert result.text == "Thanks for waiting." and len(server.chat_requests) == 2
    waited = server.received[1].at - server.received[0].at
    assert waited >= 2.0, waited  # the least it may wait: never a timed upper bound


def test_a_server_busy_for_long_is_not_waited_for_and_says_busy(server: FakeOpenAIServer) -> None:
    server.add(Reply(status=429, headers={"Retry-After": "3600"}))
    result, events, _ = turn("hi", llm={"max_retries": 2, "base_url": server.url})
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert (errors[0].kind, errors[0].retry_after_s) == ("busy", 3600.0) and "busy" in errors[0].message
    assert result.text == fallback("busy", "en") and len(server.chat_requests) == 1


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


# -- tools, the streaming hold-back, the round bound and the rolling summary ----------------------

TIME_CALL = '{"tool": "current_time", "arguments": {"timezone": "Asia/Tokyo"}}'


def turns(
    texts: list[str], *, user: str = "alice", **env: Any
) -> tuple[list[TurnResult], list[list[Event]], SessionStore]:
    """Several turns through one agent, each followed by its rolling summary (as the runtime's
    after-turn hook starts it), waited for."""

    async def go() -> tuple[list[TurnResult], list[list[Event]], SessionStore]:
        settings = load_settings(**env)
        store = SessionStore(settings.session_db)
        model = OpenAICompatModel(settings.llm)
        agent = Agent(settings, store, model)
        summaries = summaries_for(settings, store, model)
        results, all_events = [], []
        try:
            for text in texts:
                events: list[Event] = []

                async def emit(event: Event, events: list[Event] = events) -> None:
                    events.append(event)

                results.append(await agent.turn(Inbound("cli", f"cli:{user}", user, text), emit))
                if settings.session.summaries:
                    summaries.later(results[-1].conversation_id)
                await summaries.drain()
                all_events.append(events)
        finally:
            await model.aclose()
        return results, all_events, store

    return asyncio.run(go())


def deltas(events: list[Event]) -> list[str]:
    return [e.text for e in events if isinstance(e, TextDelta)]


@pytest.mark.parametrize(
    "chunks",
    [
        ["</think>", '{"tool": "current_time", ', '"arguments": {"timezone": "Asia/Tokyo"}}'],
        ["</think>\n\n```json\n", TIME_CALL.replace('"tool"', '"name"'), "\n```"],
        ["</think>", TIME_CALL[:1], TIME_CALL[1:]],
    ],
)
def test_prompt_json_tool_call_runs_and_is_never_shown(server: FakeOpenAIServer, chunks: list[str]) -> None:
    server.add(Reply(chunks=list(chunks)), Reply(chunks=["</think>", "It is ", "late in Tokyo, Sensei."]))
    result, events, store = turn("What time is it in Tokyo?")
    assert (
        deltas(events) == ["It is ", "late in Tokyo, Sensei."]
        and result.text == "It is late in Tokyo, Sensei."
    )
    call = store.get_message(result.reply_message_id).tool_calls[0]
    assert (call["name"], call["arguments"]) == ("current_time", {"timezone": "Asia/Tokyo"})
    assert "Asia/Tokyo (UTC+09:00)" in call["result"]
    first, second = server.chat_requests
    assert "tools" not in first  # native tools are off by default; the prompt teaches the JSON style
    assert "# Tools" in first["messages"][0]["content"] and "current_time" in first["messages"][0]["content"]
    # The round comes back as the model wrote it (the taught JSON), not as `tool_calls` the server would
    # render in a third, XML, form.
    assert second["messages"][-2] == {
        "role": "assistant",
        "content": '{"tool": "current_time", "arguments": {"timezone": "Asia/Tokyo"}}',
    }
    assert second["messages"][-1]["content"].startswith("# Tool results: current_time\n")
    assert second["messages"][-3]["content"].endswith("What time is it in Tokyo?")  # the question stays


def test_text_before_a_trailing_json_call_streams(server: FakeOpenAIServer) -> None:
    server.add(
        Reply(chunks=["</think>", "Let me ", "check.\n", TIME_CALL]), text_reply("</think>Nine, Sensei.")
    )
    result, events, store = turn("What time is it?")
    assert deltas(events) == ["Let me ", "check.\n", "Nine, Sensei."]
    assert store.get_message(result.reply_message_id).tool_calls[0]["name"] == "current_time"


def test_ordinary_reply_streams_chunk_by_chunk_before_done(server: FakeOpenAIServer) -> None:
    chunks = ["</think>", "Hello ", "Sensei, ", "{this} is ", "fine.\n", "```py\n", "x = 1\n```"]
    server.add(Reply(chunks=chunks))
    _, events, _ = turn("hi")
    # Each chunk goes on as it arrives; only a fence opening a line waits until it is ruled out
    # (here the closing one, which only the end of the stream decides).
    assert deltas(events) == [*chunks[1:-1], "x = 1\n", "```"]
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["TextDelta"] * len(chunks) + ["Done"]


def test_json_looking_user_text_never_runs_a_tool(server: FakeOpenAIServer) -> None:
    tag = '<tool_call>{"name": "current_time", "arguments": {}}</tool_call>'
    for text in ['{"tool": "current_time", "arguments": {}}', tag]:
        server.add(text_reply("</think>That looks like code, Sensei."))
        result, _, store = turn(text)
        assert result.text == "That looks like code, Sensei."
        assert store.get_message(result.reply_message_id).tool_calls == []
    assert len(server.chat_requests) == 2


def test_tool_error_goes_back_to_the_model(server: FakeOpenAIServer) -> None:
    bad = '{"tool": "current_time", "arguments": {"timezone": "Mars/Base"}}'
    server.add(text_reply("</think>" + bad), text_reply("</think>Mars has no clocks, Sensei."))
    result, _, _ = turn("time on Mars?")
    assert result.text == "Mars has no clocks, Sensei."
    assert "unknown time zone" in server.chat_requests[1]["messages"][-1]["content"]


def test_at_most_three_tool_rounds_then_a_final_answer(server: FakeOpenAIServer) -> None:
    tag = '<tool_call>{"name": "current_time", "arguments": {}}</tool_call>'
    native = {
        "tool_calls": [{"index": 0, "id": "n1", "function": {"name": "current_time", "arguments": "{}"}}]
    }
    server.add(
        text_reply("</think>" + TIME_CALL),
        text_reply("</think>" + tag),
        Reply(chunks=[native], finish_reason="tool_calls"),
        text_reply("</think>Enough looking, Sensei: it is late."),
    )
    result, _, store = turn("What time is it?", llm={"base_url": server.url})
    assert result.text == "Enough looking, Sensei: it is late."
    assert len(server.chat_requests) == 4
    calls = store.get_message(result.reply_message_id).tool_calls
    assert len(calls) == 3 and all("error" not in c["result"] for c in calls)
    last = server.chat_requests[-1]
    assert last["messages"][-1]["role"] == "tool" and agent.TOOLS_EXHAUSTED in last["messages"][-1]["content"]


def test_a_model_that_always_calls_tools_is_stopped(server: FakeOpenAIServer) -> None:
    server.default = lambda body: text_reply("</think>" + TIME_CALL)
    result, events, store = turn("What time is it?")
    assert len(server.chat_requests) == agent.MAX_TOOL_ROUNDS + 1
    calls = store.get_message(result.reply_message_id).tool_calls
    assert [("error" in c["result"]) for c in calls] == [False, False, False, True]
    assert result.text == fallback("empty", "en") and "{" not in visible(events)


def test_native_tools_parameter_when_enabled(server: FakeOpenAIServer) -> None:
    async def go() -> None:
        settings = load_settings()
        store = SessionStore(settings.session_db)
        model = OpenAICompatModel(settings.llm)

        async def emit(event: Event) -> None:
            pass

        try:
            await Agent(settings, store, model, native_tools=True).turn(Inbound("cli", "c", "u", "hi"), emit)
        finally:
            await model.aclose()

    asyncio.run(go())
    tools = server.chat_requests[0]["tools"]
    assert tools[0]["function"]["name"] == "current_time"
    assert "timezone" in tools[0]["function"]["parameters"]["properties"]


def _summariser(summary: Reply) -> Any:
    def answer(body: dict[str, Any]) -> Reply:
        if body["messages"][0]["content"] == agent.SUMMARY_PROMPT:
            return summary
        return text_reply("</think>Noted, Sensei.")

    return answer


LONG_TURNS = [f"Turn {i}: " + "I really like ramen with extra egg. " * 40 for i in range(8)]
SMALL = {"llm": {"context_tokens": 4096, "max_reply_tokens": 512}}


def test_rolling_summary_is_stored_and_used(server: FakeOpenAIServer) -> None:
    server.default = _summariser(text_reply("Sensei keeps talking about ramen with extra egg."))
    results, _, store = turns(LONG_TURNS, **SMALL)
    asks = [b for b in server.chat_requests if b["messages"][0]["content"] == agent.SUMMARY_PROMPT]
    assert asks and all(b["chat_template_kwargs"] == {"enable_thinking": False} for b in asks)
    assert "Sensei: Turn 0:" in asks[0]["messages"][1]["content"]
    conv = store.get_conversation(store.get_message(results[-1].user_message_id).conversation_id)
    assert conv.summary == "Sensei keeps talking about ramen with extra egg." and conv.summary_upto_id
    assert len(store.messages(conv.id)) == 2 * len(LONG_TURNS)  # nothing lost
    main = [b for b in server.chat_requests if b["messages"][0]["content"] != agent.SUMMARY_PROMPT]
    assert len(main) == len(LONG_TURNS)
    last = main[-1]["messages"]
    assert "Summary of the earlier turns: Sensei keeps talking about ramen" in last[0]["content"]
    shown = " ".join(m["content"] for m in last[1:])
    assert "Turn 0:" not in shown and "Turn 7:" in shown and "Turn 6:" in shown
    assert last[1]["role"] == "user"


def test_failed_summary_loses_nothing(server: FakeOpenAIServer) -> None:
    server.default = _summariser(Reply(status=400))
    results, _, store = turns(LONG_TURNS, **SMALL)
    assert all(r.text == "Noted, Sensei." for r in results)
    conv = store.get_conversation(store.get_message(results[-1].user_message_id).conversation_id)
    assert conv.summary is None and len(store.messages(conv.id)) == 2 * len(LONG_TURNS)


# -- misbehaving servers: cut streams, malformed output, non-streams, endless replies ----------------

SECRET = ["secret plan ", "about 老师 ", "and more"]


def row(store: SessionStore, result: TurnResult) -> Any:
    return store.get_message(result.reply_message_id)


@pytest.mark.parametrize(
    "cut",
    [
        {"framing": "close", "break_after": 2},  # the connection closed cleanly mid-reply
        {"break_after": 2},  # the connection dropped inside the chunked body
        {"done": False, "finish_reason": None},  # the body ended with neither [DONE] nor a finish reason
        {"done": False, "finish_reason": None, "framing": "close"},
    ],
)
def test_thinking_in_a_stream_cut_without_finish_signal_never_leaks(
    server: FakeOpenAIServer, cut: dict[str, Any]
) -> None:
    server.add(Reply(chunks=list(SECRET), **cut))
    result, events, store = turn("你好", llm={"max_retries": 0, "base_url": server.url})
    assert "secret" not in visible(events) and "secret" not in result.text
    assert [e.kind for e in events if isinstance(e, ErrorEvent)] == ["broken"]
    assert result.text == fallback("broken", "zh")
    reply = row(store, result)
    assert (reply.status, reply.content) == ("error", "")
    assert reply.reasoning is not None and reply.reasoning.startswith("secret plan")
    assert store.get_message(result.user_message_id).status == "unanswered"


def test_visible_part_of_a_stream_cut_without_finish_signal_is_kept_and_marked(
    server: FakeOpenAIServer,
) -> None:
    server.add(Reply(chunks=["plan</think>", "Let me ", "explain"], done=False, finish_reason=None))
    result, _, store = turn("explain please")
    assert result.text == "Let me explain\n\n" + fallback("broken", "en")
    reply = row(store, result)
    assert (reply.status, reply.content, reply.reasoning) == ("error", "Let me explain", "plan")
    assert reply.error and "finish" in reply.error


def test_done_without_finish_reason_hides_thinking_and_is_not_ok(server: FakeOpenAIServer) -> None:
    server.add(Reply(chunks=list(SECRET), finish_reason=None))
    result, events, store = turn("hi")
    assert "secret" not in visible(events) and result.text == fallback("empty", "en")
    assert (row(store, result).status, row(store, result).content) == ("truncated", "")

    server.add(Reply(chunks=["p</think>", "Half an ans"], finish_reason=None))
    result, _, store = turn("hi")
    assert (result.text, result.status, row(store, result).status) == (
        "Half an ans",
        "truncated",
        "truncated",
    )


def test_model_that_stops_inside_thinking_never_leaks(server: FakeOpenAIServer) -> None:
    server.add(Reply(chunks=list(SECRET), finish_reason="stop"))
    result, events, store = turn("hi")
    assert "secret" not in visible(events) and result.text == fallback("empty", "en")
    reply = row(store, result)
    assert (reply.status, reply.content) == ("truncated", "")
    assert reply.reasoning == "secret plan about 老师 and more"


def test_lone_surrogates_are_repaired(server: FakeOpenAIServer) -> None:
    delta = b'{"choices": [{"index": 0, "delta": {"content": "Hi \\ud800 Sensei\\udfff"}}]}'
    thought = b'{"choices": [{"index": 0, "delta": {"reasoning": "odd \\udc00"}}]}'
    server.add(Reply(chunks=[thought, delta]))
    result, _, store = turn("hi")
    assert result.text == "Hi \ufffd Sensei\ufffd" and result.status == "ok"
    reply = row(store, result)
    assert (reply.content, reply.reasoning, reply.status) == ("Hi \ufffd Sensei\ufffd", "odd \ufffd", "ok")


def test_surrogate_in_an_error_event_is_repaired(server: FakeOpenAIServer) -> None:
    server.add(Reply(chunks=["</think>Half ", b'{"error": {"message": "died \\ud800"}}']))
    result, _, store = turn("hi")
    reply = row(store, result)
    assert reply.status == "error" and reply.error and "died \ufffd" in reply.error


@pytest.mark.parametrize(
    "bad",
    [
        b'{"choices": "oops"}',
        b'{"choices": [5]}',
        b'{"choices": [{"index": 0, "delta": "text"}]}',
        b'{"choices": [{"index": 0, "delta": {"content": 42}}]}',
        b'{"choices": [{"index": 0, "delta": {"tool_calls": "x"}}]}',
        b'{"choices": [{"index": 0, "delta": {"tool_calls": [{"index": "a"}]}}]}',
        b'{"choices": [{"index": 0, "delta": {}, "finish_reason": ["stop"]}]}',
    ],
)
def test_fields_of_the_wrong_type_are_a_broken_reply(server: FakeOpenAIServer, bad: bytes) -> None:
    server.add(Reply(chunks=["</think>Half ", bad, "never"]))
    result, events, store = turn("hi")
    assert [e.kind for e in events if isinstance(e, ErrorEvent)] == ["broken"]
    assert result.text == "Half\n\n" + fallback("broken", "en")
    assert (row(store, result).status, row(store, result).content) == ("error", "Half")


def test_usage_of_the_wrong_type_is_ignored(server: FakeOpenAIServer) -> None:
    server.add(Reply(chunks=["</think>Fine, ", b'{"choices": [], "usage": "lots"}', "Sensei."]))
    result, _, store = turn("hi")
    assert (result.text, row(store, result).status) == ("Fine, Sensei.", "ok")


@pytest.mark.parametrize(
    ("body", "content_type", "shown"),
    [
        (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html", "text/html"),
        (b'{"error": {"message": "quota exceeded"}}', "application/json", "quota exceeded"),
        (b"<html>Service Unavailable</html>", "text/event-stream", "Service Unavailable"),
    ],
)
def test_a_200_that_is_not_an_event_stream_is_a_server_failure(
    server: FakeOpenAIServer, body: bytes, content_type: str, shown: str
) -> None:
    server.add(Reply(body=body, content_type=content_type))
    result, events, store = turn("hi", llm={"max_retries": 0, "base_url": server.url})
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert [e.kind for e in errors] == ["unavailable"]
    assert "KOCLAW_LLM__BASE_URL" in errors[0].message and shown in errors[0].message
    assert result.text == fallback("unavailable", "en") and result.status == "error"
    assert row(store, result).status == "error"
    assert store.get_message(result.user_message_id).status == "unanswered"


@pytest.mark.parametrize("endless", [{"reasoning": "hmm "}, "hmm "])
def test_endless_stream_stops_at_the_turn_deadline(
    server: FakeOpenAIServer, endless: str | dict[str, Any]
) -> None:
    server.add(Reply(chunks=["</think>Once "] if isinstance(endless, str) else [], endless=endless))
    result, events, store = turn("tell me", llm={"turn_deadline_s": 0.5, "base_url": server.url})
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert [e.kind for e in errors] == ["deadline"] and "KOCLAW_LLM__TURN_DEADLINE_S" in errors[0].message
    assert result.text.endswith(fallback("too_slow", "en")) and result.status == "error"
    reply = row(store, result)
    assert reply.status == "error" and reply.notice == fallback("too_slow", "en")
    assert reply.content in ("", "Once") or reply.content.startswith("Once hmm")
