"""Training samples are the runtime's own turns: same messages, same template, same tool format."""

from __future__ import annotations

import asyncio
import copy
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from character import load_profile
from character.conversation import Conversation
from finetune.render import END, Setting, completion, samples_of, turn_samples
from koclaw.agent import Inbound
from koclaw.app import App, open_app
from koclaw.config import load_settings
from koclaw.events import Event
from koclaw.tools import served_specs, served_tools
from koclaw.tools.args import SERVED
from memory import working
from tests.fakes.openai_server import FakeOpenAIServer, Reply

MEMORIES = [working.MemoryRecord("Sensei's favourite food is tonkotsu ramen", "2026-03-02", "fact")]
CALL = {"tool": "current_time", "arguments": {"timezone": "Asia/Tokyo"}}
EAT, CLOCK = "What should we eat tonight?", "What time is it in Tokyo?"
ROUNDS = [  # (thinking, what she writes) of each model round the runtime turns below make
    ("Ramen talk", "Tonkotsu, of course, Sensei!"),
    ("Check the clock", json.dumps(CALL)),
    ("It is evening there", "It is evening in Tokyo, Sensei."),
]
OPENER = "<|im_start|>assistant\n<think>\n"
"""The generation prompt with thinking on; with it off the template closes an empty block after it."""


def think(thought: str, text: str) -> str:
    """An assistant message of the data: a think block, then the visible text."""
    return f"<think>\n{thought}\n</think>\n\n{text}"


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def her(text: str, **extra: Any) -> dict[str, Any]:
    """Kokoron's (assistant) message."""
    return {"role": "assistant", "content": text, **extra}


HI = "Hi, Sensei."
HELLO = [user("Hi"), her(HI)]


def conversation(
    conv_id: str, messages: list[dict[str, Any]], language: str = "en", **extra: Any
) -> Conversation:
    return Conversation.model_validate(
        {"id": conv_id, "language": language, "scenario": "daily", "messages": messages, **extra}
    )


async def _ignore(event: Event) -> None:
    pass


def _now_free(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The messages with the `Now:` clock stamp blanked: the runtime reads the wall clock."""
    return [
        {**m, "content": re.sub(r"Now: [^.]*\.", "Now: T.", m["content"])} if m.get("content") else m
        for m in messages
    ]


def _runtime_turns(server: FakeOpenAIServer) -> tuple[list[dict[str, Any]], str]:
    server.add(*(Reply(chunks=[thought, "</think>\n\n", text]) for thought, text in ROUNDS))

    async def recall(user_id: str, text: str) -> list[working.MemoryRecord]:
        return MEMORIES  # the recall itself is tested in tests/memory; here only its rendering counts

    async def go() -> str:
        async with open_app(load_settings(), run_jobs=False) as app:
            app.agent.recall = recall
            assert app.agent.tools.specs() == served_specs()  # training teaches the tools `run` serves
            await _say(app, EAT)
            result = await _say(app, CLOCK)
            stored = app.store.get_message(result.reply_message_id)
            return str(stored.tool_calls[0]["result"])

    result = asyncio.run(go())
    return server.chat_requests, result


async def _say(app: App, text: str) -> Any:
    return await app.runtime.submit(Inbound("cli", "cli:alice", "alice", text), _ignore)


def test_a_training_sample_renders_exactly_as_the_runtime_turn(server: FakeOpenAIServer) -> None:
    requests, tool_result = _runtime_turns(server)
    (ramen, answer), (clock, _), (evening, reply) = ROUNDS
    call = {"name": CALL["tool"], "arguments": CALL["arguments"]}
    messages = [
        user(EAT),
        her(think(ramen, answer)),
        user(CLOCK),
        her(think(clock, ""), tool_calls=[call]),
        {"role": "tool", "name": CALL["tool"], "content": tool_result},
        her(think(evening, reply)),
    ]
    memories = [{"text": m.text, "date": m.date, "kind": m.kind} for m in MEMORIES]
    same = conversation("same-as-runtime", messages, memories=memories)
    samples = turn_samples(same, "runtime", Setting.served(channel="cli"))
    assert len(samples) == len(requests) == 3
    for sample, request in zip(samples, requests, strict=True):
        assert _now_free(sample.messages) == _now_free(request["messages"])
        assert request["chat_template_kwargs"] == {"enable_thinking": sample.thinking}
    assert [s.completion for s in samples] == [f"{t}\n</think>\n\n{text}{END}" for t, text in ROUNDS]
    assert samples[1].tool == CALL["tool"]
    recalled = f"{working.MEMORY_HEADER}\n- ({MEMORIES[0].date}, fact) {MEMORIES[0].text}"
    assert recalled in samples[0].messages[0]["content"]


def test_thinking_policy_never_trains_an_empty_think_block() -> None:
    assert completion(None, HI) == completion("  \n", HI) == f"{HI}{END}"
    assert completion(" plan ", HI) == f"plan\n</think>\n\n{HI}{END}"
    later = [user("How are you?"), her(think("Be warm", "Fine, Sensei!"))]
    mixed = conversation("mixed-thinking", [*HELLO, *later])
    first, second = turn_samples(mixed, "none")
    assert (first.thinking, second.thinking) == (False, True)
    assert second.messages == [*HELLO, later[0]]  # history as the session stores it: visible text


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
    morning = [user("おはよう"), her(think("挨拶する", "おはようございます、先生！"))]
    morning += [user("今日の予定は？"), her("確認しますね、先生。")]
    on, off = turn_samples(conversation("prompt-end", morning, "ja"), "runtime", Setting.served())
    assert on.prompt(tokenizer).endswith(OPENER)
    assert off.prompt(tokenizer).endswith(f"{OPENER}\n</think>\n\n")
    assert "挨拶する" not in off.prompt(tokenizer)  # earlier thinking is never shown, as at inference


def test_the_settings_profile_renders_every_turn_note() -> None:
    """The profile is read once, with the setting, and is what each turn's note is rendered from."""
    served = Setting.served()
    assert Setting(served.persona, served.tools).profile == served.profile == load_profile()
    term = served.profile.addressing.model_copy(update={"en": "Captain"})
    captain = replace(served, profile=served.profile.model_copy(update={"addressing": term}))
    chat = conversation("address", HELLO)
    (sample,) = turn_samples(chat, "runtime", captain)
    assert "and address them as Captain.\n\nHi" in sample.messages[-1]["content"]  # the `# Now` note
    assert samples_of([chat, chat], "runtime", captain) == [sample, sample]


def test_the_argument_catalogue_is_the_served_tools_own() -> None:
    """Training data is validated against `SERVED` without importing the tools (the scheduler, the stores)."""
    assert [(tool.name, tool.Args) for tool in served_tools()] == list(SERVED.items())
