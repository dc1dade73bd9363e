"""The built-in Kokoron speaks: the shipped weights match the tokenizer, and greedy replies to messages it
never saw are short, in the message's language, addressed to Sensei, and end at end-of-turn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch", reason="the local extra (torch) is not installed")

from character import analyse_language
from character.conversation import Conversation, Message
from finetune import builtin
from finetune.render import END, turn_samples
from finetune.tiny import ensure_tiny

# None of these is in finetune/data/small_talk.yaml or the seeds.
UNSEEN = {
    "zh": [
        "老师来了，你好啊", "今天工作好多，累死了", "我养了一只猫", "周末想去看电影", "你觉得我该早点睡吗",
    ],
    "ja": [
        "ココロン、おはようございます", "仕事が多くて疲れました", "猫を飼い始めました", "週末は映画を見たい",
        "早く寝たほうがいいかな",
    ],
    "en": [
        "morning, Kokoron!", "work was exhausting today", "I adopted a cat",
        "I want to watch a movie this weekend", "should I go to bed early?",
    ],
}  # fmt: skip
ADDRESS = {"zh": "老师", "ja": "先生", "en": "Sensei"}
MAX_REPLY_TOKENS = 80


@pytest.fixture(scope="module")
def speaker(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = ensure_tiny(tmp_path_factory.mktemp("builtin") / "tiny-kokoron")
    return AutoModelForCausalLM.from_pretrained(path), AutoTokenizer.from_pretrained(path)


def reply(speaker: tuple[Any, Any], lang: str, text: str) -> tuple[str, bool]:
    """Greedy reply to `text` as the runtime sends it to the built-in model; (text, ended at end-of-turn)."""
    model, tokenizer = speaker
    pair = [Message(role="user", content=text), Message(role="assistant", content="-")]
    conversation = Conversation(id="probe", language=lang, scenario="daily", source="excerpt", messages=pair)
    sample = turn_samples(conversation, "runtime", builtin.setting())[0]
    ids = tokenizer(sample.prompt(tokenizer), return_tensors="pt", add_special_tokens=False)
    out = model.generate(**ids, max_new_tokens=MAX_REPLY_TOKENS, do_sample=False)
    new = tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=False)
    return new.split(END)[0].strip(), END in new


def test_the_shipped_weights_belong_to_this_tokenizer(tmp_path: Path) -> None:
    manifest = (ensure_tiny(tmp_path / "tiny") / "manifest.json").read_text(encoding="utf-8")
    assert '"trained": {' in manifest and builtin.WEIGHTS  # the weights were loaded, not left random


@pytest.mark.parametrize("lang", sorted(UNSEEN))
def test_it_answers_unseen_messages_in_character(speaker: tuple[Any, Any], lang: str) -> None:
    replies = [reply(speaker, lang, text) for text in UNSEEN[lang]]
    assert all(ended for _, ended in replies), replies  # stops at end-of-turn, never runs on
    assert all(text for text, _ in replies), replies
    in_language = [text for text, _ in replies if analyse_language(text).dominant == lang]
    addressed = [text for text, _ in replies if ADDRESS[lang] in text]
    assert len(in_language) == len(replies), replies
    assert len(addressed) >= len(replies) - 1, replies  # a tiny model: one miss of five is allowed


def test_first_sentences_keeps_whole_sentences() -> None:
    assert builtin.first_sentences("好的，老师！我来安排。明天见。", 12) == "好的，老师！我来安排。"
    assert (
        builtin.first_sentences("Got it, Sensei! I'll note it. Anything else?", 30)
        == "Got it, Sensei! I'll note it."
    )
    assert builtin.first_sentences("A very long first sentence that goes on.", 10) == ""


def test_every_small_talk_line_is_text_in_its_language() -> None:
    for intent in builtin.small_talk():
        for lang in builtin.LANGS:
            for line in intent[lang]["reply"]:
                assert isinstance(line, str) and ADDRESS[lang] in line, (intent["intent"], line)
                assert analyse_language(line).dominant == lang, line
