"""ThinkFilter: tags split anywhere, implicit thinking, truncation, tool calls, chunking invariance."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from koclaw.events import Event, ReasoningDelta, TextDelta, ToolCall
from koclaw.llm.think_filter import FilterResult, ThinkFilter


def run(
    chunks: list[str] | str,
    thinking: bool,
    finish_reason: str | None = None,
    reasoning_chunks: tuple[str, ...] = (),
) -> tuple[FilterResult, list[Event]]:
    """Feed the chunks (server reasoning first, if any), finish, and check the event invariants."""
    if isinstance(chunks, str):
        chunks = [chunks]
    f = ThinkFilter(thinking)
    events: list[Event] = []
    for r in reasoning_chunks:
        events += f.feed_reasoning(r)
    for c in chunks:
        events += f.feed(c)
    events += f.finish(finish_reason)
    res = f.result()
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == res.visible
    assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)).strip() == res.reasoning
    assert [e for e in events if isinstance(e, ToolCall)] == res.tool_calls
    assert all(e.text for e in events if isinstance(e, TextDelta | ReasoningDelta)), "no empty deltas"
    return res, events


def splits(text: str, cuts: list[int]) -> list[str]:
    points = sorted({min(max(c, 0), len(text)) for c in cuts})
    out, prev = [], 0
    for p in points:
        out.append(text[prev:p])
        prev = p
    out.append(text[prev:])
    return out


def key(res: FilterResult) -> tuple[object, ...]:
    return (res.visible, res.reasoning, res.tool_calls, res.ended_in_thinking)


# -- explicit thinking -------------------------------------------------------------------------


def test_explicit_think_block() -> None:
    res, events = run("<think>plan</think>\n\nHello Sensei", thinking=True)
    assert res == FilterResult(visible="Hello Sensei", reasoning="plan", tool_calls=[])
    assert not res.ended_in_thinking
    assert events[0] == ReasoningDelta("plan")


@pytest.mark.parametrize("thinking", [True, False])
def test_every_two_and_three_way_split_of_tags(thinking: bool) -> None:
    text = "<think>plan</think>\n\nHello Sensei"
    expected: tuple[object, ...] = ("Hello Sensei", "plan", [], False)
    for i in range(len(text) + 1):
        assert key(run([text[:i], text[i:]], thinking)[0]) == expected, i
        for j in range(i, len(text) + 1):
            assert key(run([text[:i], text[i:j], text[j:]], thinking)[0]) == expected, (i, j)


def test_every_split_of_implicit_close_and_tool_call() -> None:
    text = 'mull it over</think>\n\nOK<tool_call>{"name": "f", "arguments": {"x": 1}}</tool_call> done'
    res, _ = run(text, thinking=True)
    raw = '{"name": "f", "arguments": {"x": 1}}'
    assert res == FilterResult("OK done", "mull it over", [ToolCall("f", {"x": 1}, raw=raw)], False)
    whole = key(res)
    for i in range(len(text) + 1):
        assert key(run([text[:i], text[i:]], thinking=True)[0]) == whole, i
        for j in range(i, len(text) + 1, 3):
            assert key(run([text[:i], text[i:j], text[j:]], thinking=True)[0]) == whole, (i, j)


def test_tag_split_think_ink() -> None:
    res, _ = run(["<th", "ink>", "idea", "</th", "ink>", "Hi"], thinking=False)
    assert (res.visible, res.reasoning) == ("Hi", "idea")


def test_explicit_think_with_thinking_off_is_still_extracted() -> None:
    res, events = run(["Hello ", "<think>secret", " plan</think>", " world"], thinking=False)
    assert res.visible == "Hello  world"
    assert res.reasoning == "secret plan"
    assert "secret" not in "".join(e.text for e in events if isinstance(e, TextDelta))


def test_two_think_blocks_concatenate() -> None:
    res, _ = run("<think>a\n</think>x<think>b</think>y", thinking=False)
    assert (res.visible, res.reasoning) == ("xy", "a\nb")


# -- implicit (template-opened) thinking -----------------------------------------------------------


def test_implicit_thinking_is_buffered_until_close() -> None:
    f = ThinkFilter(thinking=True)
    assert f.feed("Let me ") == []
    assert f.feed("think") == []
    assert f.feed("</think>\n\nHi") == [ReasoningDelta("Let me think"), TextDelta("Hi")]
    assert f.feed(" there") == [TextDelta(" there")]
    assert f.finish("stop") == []
    assert f.result() == FilterResult(visible="Hi there", reasoning="Let me think")


def test_explicit_opener_after_whitespace_with_thinking_on() -> None:
    res, _ = run(["\n", " <thi", "nk>\nplan\n</think>\n\nHi"], thinking=True)
    assert (res.visible, res.reasoning, res.ended_in_thinking) == ("Hi", "plan", False)


def test_think_opener_later_in_pending_nests() -> None:
    # Was: the inner <think> is plain text and its </think> ends thinking ("c" visible). That is the
    # rule that showed the rest of nested thinking; now only the outermost </think> ends it.
    res, _ = run("a <think> b</think>c", thinking=True)
    assert (res.visible, res.reasoning, res.ended_in_thinking) == ("", "a <think> b</think>c", True)
    res, _ = run("a <think> b</think>c</think>Hi", thinking=True)
    assert (res.visible, res.reasoning, res.ended_in_thinking) == ("Hi", "a <think> b</think>c", False)


@pytest.mark.parametrize("finish_reason", [None, "stop", "tool_calls"])
def test_unclosed_implicit_thinking_stays_private_at_finish(finish_reason: str | None) -> None:
    # Thinking in `content` that never closed (a model that stopped inside it, a stream cut without a
    # finish signal) cannot be told from an answer, so it is never shown.
    f = ThinkFilter(thinking=True)
    assert f.feed("\n\nsecret plan") == []
    assert f.feed(" for Sensei <3") == []
    assert f.finish(finish_reason) == [ReasoningDelta("\n\nsecret plan for Sensei <3")]
    res = f.result()
    assert res == FilterResult(visible="", reasoning="secret plan for Sensei <3", ended_in_thinking=True)


def test_server_reasoning_still_reveals_pending_content() -> None:
    res, _ = run(["Hello ", "Sensei"], thinking=True, finish_reason="stop", reasoning_chunks=("plan",))
    assert (res.visible, res.reasoning, res.ended_in_thinking) == ("Hello Sensei", "plan", False)


def test_pending_tags_stay_reasoning_at_finish() -> None:
    res, _ = run('Hi <tool_call>{"name": "f"}</tool_call> and <think>hm', thinking=True, finish_reason="stop")
    assert (res.visible, res.tool_calls, res.ended_in_thinking) == ("", [], True)
    assert res.reasoning == 'Hi <tool_call>{"name": "f"}</tool_call> and <think>hm'


def test_implicit_thinking_truncated_by_length() -> None:
    res, events = run(["I should", " say hi"], thinking=True, finish_reason="length")
    assert res == FilterResult(visible="", reasoning="I should say hi", ended_in_thinking=True)
    assert not any(isinstance(e, TextDelta) for e in events)


@pytest.mark.parametrize("finish_reason", [None, "stop", "length"])
@pytest.mark.parametrize("thinking", [True, False])
def test_explicit_think_never_closed(thinking: bool, finish_reason: str | None) -> None:
    res, events = run(["<think>", "step one", " step two <"], thinking, finish_reason)
    assert res.ended_in_thinking
    assert res.visible == ""
    assert res.reasoning == "step one step two <"
    assert not any(isinstance(e, TextDelta) for e in events)


def test_length_in_visible_text_just_stops() -> None:
    res, _ = run(["<think>p</think>", "Hello Sen", "<"], thinking=True, finish_reason="length")
    assert res == FilterResult(visible="Hello Sen<", reasoning="p", ended_in_thinking=False)


# -- stray closers and look-alikes ------------------------------------------------------------------


def test_stray_closer_with_thinking_off() -> None:
    res, _ = run(["Hello </th", "ink>world"], thinking=False)
    assert (res.visible, res.reasoning) == ("Hello world", "")


def test_stray_closer_after_thinking_closed() -> None:
    res, _ = run("plan</think>Hello</think> world", thinking=True)
    assert (res.visible, res.reasoning) == ("Hello world", "plan")


@pytest.mark.parametrize(
    "text",
    [
        "<thinking cap> on",
        "a<b",
        "x <thin",
        "</thinker> yes",
        "<tool_calls> list",
        "ends with <",
        "<",
        "a < b > c",
        "</tool_call> stray tool closer",
        "<tool_cal",
        "<</",
    ],
)
def test_lookalikes_pass_through(text: str) -> None:
    res, _ = run(text, thinking=False)
    assert res == FilterResult(visible=text.lstrip(), reasoning="")
    # and character by character
    assert run(list(text), thinking=False)[0] == res


def test_double_lt_before_think() -> None:
    res, _ = run(["<", "<", "think>x</think>y"], thinking=False)
    assert (res.visible, res.reasoning) == ("<y", "x")


def test_partial_tag_is_held_then_released() -> None:
    f = ThinkFilter(thinking=False)
    assert f.feed("Hi <thi") == [TextDelta("Hi ")]
    assert f.feed("s") == [TextDelta("<this")]


# -- leading whitespace ---------------------------------------------------------------------------


def test_leading_whitespace_stripped_only_at_start() -> None:
    res, events = run(["\n", "\n", "  Hi", "\n\n", " there  "], thinking=False)
    assert res.visible == "Hi\n\n there  "
    assert events[0] == TextDelta("Hi")


# -- server-separated reasoning ---------------------------------------------------------------------


def test_server_reasoning_makes_content_visible() -> None:
    f = ThinkFilter(thinking=True)
    assert f.feed_reasoning("plan ") == [ReasoningDelta("plan ")]
    assert f.feed_reasoning("") == []
    assert f.feed("Hello") == [TextDelta("Hello")]
    f.finish("stop")
    assert f.result() == FilterResult(visible="Hello", reasoning="plan")


def test_server_reasoning_flushes_pending_content() -> None:
    f = ThinkFilter(thinking=True)
    assert f.feed("\nHel") == []
    assert f.feed("lo <th") == []
    assert f.feed_reasoning("why") == [TextDelta("Hello "), ReasoningDelta("why")]
    assert f.feed("ey>") == [TextDelta("<they>")]
    f.finish()
    assert f.result() == FilterResult(visible="Hello <they>", reasoning="why")


def test_server_reasoning_then_length() -> None:
    res, _ = run([], thinking=True, finish_reason="length", reasoning_chunks=("deep", " thought"))
    assert res == FilterResult(visible="", reasoning="deep thought", ended_in_thinking=False)


# -- tool calls -------------------------------------------------------------------------------------


def test_tool_call_split_across_chunks() -> None:
    text = 'Sure.<tool_call>\n{"name": "remember", "arguments": {"fact": "老师"}}\n</tool_call>'
    res, events = run(list(text), thinking=False)
    assert res.visible == "Sure."
    assert len(res.tool_calls) == 1
    call = res.tool_calls[0]
    assert (call.name, call.arguments, call.error) == ("remember", {"fact": "老师"}, None)
    assert events[-1] == call


def test_tool_call_xml_form() -> None:
    body = (
        "\n<function=search>\n<parameter=query>\n先生\n</parameter>\n"
        "<parameter=k>\n3\n</parameter>\n</function>\n"
    )
    res, _ = run(["<think>x</think>", "<tool_", "call>", body, "</tool_", "call>"], thinking=True)
    assert res.visible == ""
    assert [(c.name, c.arguments, c.error) for c in res.tool_calls] == [
        ("search", {"query": "先生", "k": 3}, None)
    ]


def test_bad_tool_call_is_reported_not_dropped() -> None:
    res, _ = run("a<tool_call>not json</tool_call>b", thinking=False)
    assert res.visible == "ab"
    assert len(res.tool_calls) == 1
    assert res.tool_calls[0].error
    assert res.tool_calls[0].raw == "not json"


@pytest.mark.parametrize("finish_reason", [None, "stop", "length"])
def test_unterminated_tool_call(finish_reason: str | None) -> None:
    res, events = run(['Hi<tool_call>{"name": "f", "arguments": {}}', "</tool_ca"], False, finish_reason)
    assert res.visible == "Hi"
    assert len(res.tool_calls) == 1
    call = res.tool_calls[0]
    assert call.error is not None and "unterminated" in call.error
    assert call.raw == '{"name": "f", "arguments": {}}</tool_ca'
    assert events[-1] == call


def test_tool_call_inside_thinking_is_reasoning() -> None:
    text = '<think>maybe <tool_call>{"name": "f"}</tool_call></think>ok'
    res, _ = run(text, thinking=False)
    assert res.tool_calls == []
    assert res.reasoning == 'maybe <tool_call>{"name": "f"}</tool_call>'
    assert res.visible == "ok"
    # Same with implicit thinking.
    res2, _ = run(text[len("<think>") :], thinking=True)
    assert key(res2) == key(res)


def test_whitespace_between_tool_calls_and_leading() -> None:
    res, _ = run('\n<tool_call>{"name": "a"}</tool_call>\n\nText', thinking=False)
    assert res.visible == "Text"
    assert [c.name for c in res.tool_calls] == ["a"]


# -- lifecycle ------------------------------------------------------------------------------------


def test_result_before_finish_and_feed_after_finish_raise() -> None:
    f = ThinkFilter(thinking=False)
    f.feed("x")
    with pytest.raises(RuntimeError):
        f.result()
    f.finish()
    with pytest.raises(RuntimeError):
        f.feed("y")
    with pytest.raises(RuntimeError):
        f.feed_reasoning("y")
    with pytest.raises(RuntimeError):
        f.finish()


def test_fast_path_returns_single_delta() -> None:
    f = ThinkFilter(thinking=False)
    f.feed("Hi")
    assert f.feed(" there") == [TextDelta(" there")]
    assert f.feed("") == []


# -- property-based chunking invariance ----------------------------------------------------------------

FRAGMENTS = [
    "<think>",
    "</think>",
    "<tool_call>",
    "</tool_call>",
    '<tool_call>{"name": "f", "arguments": {"q": "老師"}}</tool_call>',
    "<tool_call>\n<function=g>\n<parameter=x>\n1\n</parameter>\n</function>\n</tool_call>",
    "<th",
    "ink>",
    "</th",
    "<thinking cap>",
    "</thinker>",
    "<tool_calls>",
    "<tool_",
    "<",
    "<<",
    ">",
    "/",
    " ",
    "\n",
    "\n\n",
    "a",
    "Hello",
    "Sensei",
    "老师",
    "先生",
    "です",
    "{",
    '"',
]

contents = st.lists(st.sampled_from(FRAGMENTS), max_size=25).map("".join)
finish_reasons = st.sampled_from([None, "stop", "length", "tool_calls"])


@settings(max_examples=1500, deadline=None)
@given(data=st.data(), text=contents, thinking=st.booleans(), finish_reason=finish_reasons)
def test_chunking_invariance(
    data: st.DataObject, text: str, thinking: bool, finish_reason: str | None
) -> None:
    whole = key(run(text, thinking, finish_reason)[0])
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=12), label="cuts")
    chunks = splits(text, cuts)
    # Sprinkle empty chunks in too.
    if data.draw(st.booleans(), label="empties"):
        chunks = [x for c in chunks for x in ("", c)] + [""]
    assert key(run(chunks, thinking, finish_reason)[0]) == whole
    assert key(run(list(text), thinking, finish_reason)[0]) == whole


@settings(max_examples=500, deadline=None)
@given(
    data=st.data(),
    before=contents,
    after=contents,
    finish_reason=finish_reasons,
)
def test_secret_thinking_never_leaks(
    data: st.DataObject, before: str, after: str, finish_reason: str | None
) -> None:
    # A closed explicit thinking block whose content marker appears nowhere else must never be visible,
    # provided `before` leaves us in the visible state (no unclosed opener in it).
    before = before.replace("<", "")
    text = before + "<think>SECRET 秘密 <tool_call> SECRET</think>" + after
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=12), label="cuts")
    for thinking in (False, True):
        res, events = run(splits(text, cuts), thinking, finish_reason)
        assert "SECRET" not in res.visible
        assert "秘密" not in res.visible
        assert "SECRET" in res.reasoning
        assert not any(isinstance(e, TextDelta) and "SECRET" in e.text for e in events)


@settings(max_examples=500, deadline=None)
@given(data=st.data(), text=st.text(alphabet=st.characters(exclude_characters="<")), thinking=st.booleans())
def test_plain_text_without_lt_is_visible(data: st.DataObject, text: str, thinking: bool) -> None:
    # With thinking on, text that never closed the template's thinking is reasoning, never visible.
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=8), label="cuts")
    res, _ = run(splits(text, cuts), thinking, data.draw(st.sampled_from([None, "stop"]), label="finish"))
    if thinking:
        assert res == FilterResult(visible="", reasoning=text.strip(), ended_in_thinking=True)
    else:
        assert res == FilterResult(visible=text.lstrip(), reasoning="")


@settings(max_examples=500, deadline=None)
@given(
    data=st.data(),
    reasoning=st.text(alphabet=st.characters(exclude_characters="<")),
    answer=st.text(alphabet=st.characters(exclude_characters="<")),
)
def test_implicit_thinking_property(data: st.DataObject, reasoning: str, answer: str) -> None:
    text = reasoning + "</think>" + answer
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=8), label="cuts")
    res, _ = run(splits(text, cuts), thinking=True)
    assert res == FilterResult(visible=answer.lstrip(), reasoning=reasoning.strip())


@settings(max_examples=300, deadline=None)
@given(text=contents, thinking=st.booleans())
def test_visible_never_starts_with_whitespace(text: str, thinking: bool) -> None:
    res, _ = run(text, thinking)
    assert res.visible == res.visible.lstrip()
