"""ThinkFilter edge cases that once showed thinking: nested `<think>` openers."""

from __future__ import annotations

import pytest

from koclaw.events import Event, TextDelta
from koclaw.llm.think_filter import FilterResult
from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.llm.test_think_filter import run
from tests.test_agent import turn

NESTED = "<think>a<think>SECRETJ1</think>SECRETJ2</think>Visible J"


def shown(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


# -- nested <think> --------------------------------------------------------------------------------


@pytest.mark.parametrize("thinking", [True, False])
def test_nested_think_ends_at_the_outer_closer_however_split(thinking: bool) -> None:
    expected = FilterResult("Visible J", "a<think>SECRETJ1</think>SECRETJ2")
    for i in range(len(NESTED) + 1):
        for j in range(i, len(NESTED) + 1, 3):
            res, events = run([NESTED[:i], NESTED[i:j], NESTED[j:]], thinking)
            assert res == expected, (i, j)
            assert "SECRET" not in shown(events)


def test_nested_think_inside_template_opened_thinking() -> None:
    res, events = run(NESTED.removeprefix("<think>"), thinking=True)
    assert res == FilterResult("Visible J", "a<think>SECRETJ1</think>SECRETJ2")
    assert "SECRET" not in shown(events)


def test_nested_think_after_visible_text() -> None:
    res, events = run("Hi <think>a<think>SECRET</think>SECRET</think> there", thinking=False)
    assert (res.visible, res.reasoning) == ("Hi  there", "a<think>SECRET</think>SECRET")
    assert "SECRET" not in shown(events)


# -- end to end: the real client and turn, the scripted server -------------------------------------


@pytest.mark.parametrize(
    ("thinking", "chunks", "answer"),
    [
        (True, ["<think>a<think>SECRETJ1</th", "ink>SECRETJ2</think>", "Visible J"], "Visible J"),
        (False, [NESTED[:20], NESTED[20:]], "Visible J"),
    ],
)
def test_turn_never_streams_the_thinking(
    server: FakeOpenAIServer, thinking: bool, chunks: list[str], answer: str
) -> None:
    server.add(Reply(chunks=chunks, delay_s=0.01))
    result, events, store = turn("hello", llm={"thinking": thinking})
    assert "SECRET" not in shown(events)
    assert result.text == answer == shown(events)
    stored = store.get_message(result.reply_message_id)
    assert stored.content == answer
    assert stored.reasoning == "a<think>SECRETJ1</think>SECRETJ2"
