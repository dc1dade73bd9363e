"""Training samples are the runtime's own turns: same messages, same template, same tool format."""

from __future__ import annotations

import asyncio
import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from finetune.render import END, Setting, completion, turn_samples
from finetune.schema import Conversation
from koclaw.agent import Inbound
from koclaw.app import App, open_app
from koclaw.config import load_settings
from koclaw.events import Event
from koclaw.tools import served_specs
from memory import working
from tests.fakes.openai_server import FakeOpenAIServer, Reply

MEMORIES = [working.MemoryRecord("Sensei's favourite food is tonkotsu ramen", "2026-03-02", "fact")]
CALL = {"tool": "current_time", "arguments": {"timezone": "Asia/Tokyo"}}


async def _ignore(event: Event) -> None:
    pass


def _now_free(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages with the `Now:` clock stamp blanked: the runtime reads the wall clock."""
    return [
        {**m, "content": re.sub(r"Now: [^.]*\.", "Now: T.", m["content"])} if m.get("content") else m
        for m in messages
    ]


def _runtime_turns(server: FakeOpenAIServer) -> tuple[list[dict[str, Any]], str]:
    server.add(
        Reply(chunks=["Ramen talk", "</think>\n\n", "Tonkotsu, of course, Sensei!"]),
        Reply(chunks=["Check the clock", "</think>\n\n", json.dumps(CALL)]),
        Reply(chunks=["It is evening there", "</think>\n\n", "It is evening in Tokyo, Sensei."]),
    )

    async def recall(user_id: str, text: str) -> list[working.MemoryRecord]:
        return MEMORIES  # the recall itself is tested in tests/memory; here only its rendering counts

    async def go() -> str:
        async with open_app(load_settings(), run_jobs=False) as app:
            app.agent.recall = recall
            assert app.agent.tools.specs() == served_specs()  # training teaches the tools `run` serves
            await _say(app, "What should we eat tonight?")
            result = await _say(app, "What time is it in Tokyo?")
            stored = app.store.get_message(result.reply_message_id)
            return str(stored.tool_calls[0]["result"])

    result = asyncio.run(go())
    return server.chat_requests, result


async def _say(app: App, text: str) -> Any:
    return await app.runtime.submit(Inbound("cli", "cli:alice", "alice", text), _ignore)


def test_a_training_sample_renders_exactly_as_the_runtime_turn(server: FakeOpenAIServer) -> None:
    requests, tool_result = _runtime_turns(server)
    conversation = Conversation.model_validate(
        {
            "id": "same-as-runtime",
            "language": "en",
            "scenario": "daily",
            "memories": [{"text": m.text, "date": m.date, "kind": m.kind} for m in MEMORIES],
            "messages": [
                {"role": "user", "content": "What should we eat tonight?"},
                {
                    "role": "assistant",
                    "content": "<think>\nRamen talk\n</think>\n\nTonkotsu, of course, Sensei!",
                },
                {"role": "user", "content": "What time is it in Tokyo?"},
                {
                    "role": "assistant",
                    "content": "<think>\nCheck the clock\n</think>\n\n",
                    "tool_calls": [{"name": "current_time", "arguments": CALL["arguments"]}],
                },
                {"role": "tool", "name": "current_time", "content": tool_result},
                {
                    "role": "assistant",
                    "content": "<think>\nIt is evening there\n</think>\n\nIt is evening in Tokyo, Sensei.",
                },
            ],
        }
    )
    samples = turn_samples(conversation, "runtime", Setting.served(channel="cli"))
    assert len(samples) == len(requests) == 3
    for sample, request in zip(samples, requests, strict=True):
        assert _now_free(sample.messages) == _now_free(request["messages"])
        assert request["chat_template_kwargs"] == {"enable_thinking": sample.thinking}
    assert [s.completion for s in samples] == [
        f"Ramen talk\n</think>\n\nTonkotsu, of course, Sensei!{END}",
        f"Check the clock\n</think>\n\n{json.dumps(CALL)}{END}",
        f"It is evening there\n</think>\n\nIt is evening in Tokyo, Sensei.{END}",
    ]
    assert samples[1].tool == "current_time"
    assert (
        "# What you remember (long-term memory)\n- (2026-03-02, fact) Sensei's favourite food"
        in (samples[0].messages[0]["content"])
    )


def test_thinking_policy_never_trains_an_empty_think_block() -> None:
    assert completion(None, "Hi, Sensei.") == f"Hi, Sensei.{END}"
    assert completion("  \n", "Hi, Sensei.") == f"Hi, Sensei.{END}"
    assert completion(" plan ", "Hi.") == f"plan\n</think>\n\nHi.{END}"
    conversation = Conversation.model_validate(
        {
            "id": "mixed-thinking",
            "language": "en",
            "scenario": "daily",
            "messages": [
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hi, Sensei."},
                {"role": "user", "content": "How are you?"},
                {"role": "assistant", "content": "<think>\nBe warm\n</think>\n\nFine, Sensei!"},
            ],
        }
    )
    first, second = turn_samples(conversation, "none")
    assert (first.thinking, second.thinking) == (False, True)
    # History holds what the session stores: visible text only.
    assert second.messages == [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hi, Sensei."},
        {"role": "user", "content": "How are you?"},
    ]


@pytest.fixture(scope="module")
def tiny_tokenizer() -> Any:
    from finetune.tiny import build_tokenizer, corpus_texts

    return build_tokenizer(corpus_texts())


@pytest.mark.parametrize("template", ["tiny", "qwen3_5"])
def test_prompt_ends_as_the_server_renders_the_generation_prompt(template: str, tiny_tokenizer: Any) -> None:
    tokenizer = copy.deepcopy(tiny_tokenizer)
    if template == "qwen3_5":
        import trl

        path = Path(trl.__file__).parent / "chat_templates" / "qwen3_5_think.jinja"
        tokenizer.chat_template = path.read_text(encoding="utf-8")
    conversation = Conversation.model_validate(
        {
            "id": "prompt-end",
            "language": "ja",
            "scenario": "daily",
            "messages": [
                {"role": "user", "content": "おはよう"},
                {"role": "assistant", "content": "<think>\n挨拶する\n</think>\n\nおはようございます、先生！"},
                {"role": "user", "content": "今日の予定は？"},
                {"role": "assistant", "content": "確認しますね、先生。"},
            ],
        }
    )
    on, off = turn_samples(conversation, "runtime", Setting.served())
    assert on.prompt(tokenizer).endswith("<|im_start|>assistant\n<think>\n")
    assert off.prompt(tokenizer).endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    assert "挨拶する" not in off.prompt(tokenizer)  # earlier thinking is never shown, as at inference
