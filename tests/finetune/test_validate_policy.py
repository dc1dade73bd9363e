"""The thinking-policy, mojibake and invented-memory checks, each in zh/ja/en, with clean look-alikes."""

from __future__ import annotations

from typing import Any

import pytest

from finetune.validate import validate_data

SENSEI = {
    "zh": ("今天好累啊，加班到现在才回家。", "辛苦了，老师！先喝点温水，晚饭我帮你想好了。"),
    "ja": (
        "今日は本当に疲れたよ、残業でこんな時間だ。",
        "お疲れさまでした、先生。温かいお茶を入れて、ゆっくり休んでください。",
    ),
    "en": (
        "What a day, I only just got home from work.",
        "Welcome home, Sensei! Have some warm tea first; I have dinner ideas ready.",
    ),
}
THINK = {
    "zh": "老师加班很累，先让老师放松，再说晚饭。",
    "ja": "先生は残業で疲れているので、まず休んでもらおう。",
    "en": "Sensei worked late and is tired; comfort first, dinner second.",
}


def _conversation(
    lang: str, reply: str | None = None, *, think: str | None = None, **extra: Any
) -> dict[str, Any]:
    said, answer = SENSEI[lang]
    thinking = THINK[lang] if think is None else think
    content = reply if reply is not None else f"<think>\n{thinking}\n</think>\n\n{answer}"
    return {
        "id": f"p-{lang}",
        "language": lang,
        "scenario": "daily",
        "messages": [{"role": "user", "content": said}, {"role": "assistant", "content": content}],
        **extra,
    }


def _codes(data: dict[str, Any]) -> list[str]:
    return [p.code for p in validate_data(data).problems]


@pytest.mark.parametrize("lang", ["zh", "ja", "en"])
def test_clean_conversations_with_thinking_pass(lang: str) -> None:
    assert _codes(_conversation(lang)) == []


@pytest.mark.parametrize("lang", ["zh", "ja", "en"])
def test_an_empty_think_block_is_never_valid(lang: str) -> None:
    for empty in ("<think></think>", "<think>\n\n</think>", "<think> \t </think>"):
        data = _conversation(lang, f"{empty}\n\n{SENSEI[lang][1]}")
        assert _codes(data) == ["empty_think"], empty


@pytest.mark.parametrize("lang", ["zh", "ja", "en"])
def test_no_think_block_at_all_is_a_valid_thinking_off_turn(lang: str) -> None:
    assert _codes(_conversation(lang, SENSEI[lang][1])) == []


@pytest.mark.parametrize(
    ("lang", "thinking"),
    [
        ("en", "The user is tired; comfort first, Sensei needs rest."),
        ("en", "Users like this want comfort; Sensei needs rest."),
        ("en", "The person is tired; comfort Sensei first."),
        ("zh", "用户加班很累，先让老师放松。"),
        ("zh", "使用者加班很累，先让老师放松。"),
        ("zh", "用戶加班很累，先讓老師放鬆一下吧。"),
        ("ja", "ユーザーは残業で疲れているので、先生を休ませよう。"),
        ("ja", "ユーザは残業で疲れているので、先生を休ませよう。"),
        ("ja", "利用者は残業で疲れているので、先生を休ませよう。"),
    ],
)
def test_thinking_never_calls_sensei_a_user(lang: str, thinking: str) -> None:
    assert _codes(_conversation(lang, think=thinking)) == ["addressing"]


def test_user_like_words_inside_other_words_are_not_flagged() -> None:
    thinking = "Sensei asked about usernames and the personal budget; answer plainly, Sensei first."
    assert _codes(_conversation("en", think=thinking)) == []


@pytest.mark.parametrize(
    ("lang", "thinking"),
    [
        ("zh", "Sensei is tired after working late; comfort first, dinner second."),
        ("ja", "老师加班很累，我先让老师放松一下，再说晚饭的事。"),
        ("en", "老师加班很累，我先让老师放松一下，再说晚饭的事。"),
        ("en", "先生は残業で疲れているので、まずゆっくり休んでもらいましょう。"),
    ],
)
def test_thinking_in_another_language_is_rejected(lang: str, thinking: str) -> None:
    assert _codes(_conversation(lang, think=thinking)) == ["think_language"]


def test_short_thinking_and_mixed_conversations_are_tolerated() -> None:
    assert _codes(_conversation("ja", think="OK、先生。")) == []
    mixed = _conversation("en", think="先生は疲れているので、まずゆっくり休んでもらいましょう。")
    mixed["language"] = "mixed"
    mixed["scenario"] = "language_switching"
    mixed["messages"] += [
        {"role": "user", "content": "明日は何時に起きればいいかな？"},
        {"role": "assistant", "content": "先生、明日は七時に起きれば十分間に合いますよ。"},
    ]
    assert "think_language" not in _codes(mixed)


@pytest.mark.parametrize(
    ("lang", "reply"),
    [
        ("zh", "老师，我查了三遍???还是没找到那家店。"),
        ("en", "Sensei, I found it ??? near the station."),
        ("ja", "先生、お疲れさま\ufffdでした。"),
        ("en", "Sensei, the cafÃ© is open until nine."),
        ("en", "Sensei, that’s lovely â€” rest now."),
        ("ja", "先生、" + "お疲れさま".encode().decode("latin-1")),
        ("zh", "老师，" + "辛苦了".encode().decode("cp1252", errors="replace").replace("\ufffd", "")),
    ],
)
def test_mojibake_and_lost_characters_are_encoding_rejects(lang: str, reply: str) -> None:
    data = _conversation(lang, reply)
    assert validate_data(data).problems[0].code == "encoding", validate_data(data).problems


@pytest.mark.parametrize(
    ("lang", "reply"),
    [
        ("en", "Really?? Sensei, café crème and a piña colada at 9 pm? Sure!"),
        ("zh", "老师？？？真的吗？那我们周末就去吧！"),
        ("ja", "先生、本当ですか？ では週末に行きましょう！"),
    ],
)
def test_accents_and_question_marks_in_normal_text_pass(lang: str, reply: str) -> None:
    assert _codes(_conversation(lang, reply)) == []


MEMORY = {
    "zh": {"text": "老师喜欢喝不加糖的美式咖啡", "date": "2024-05-03", "kind": "preference"},
    "ja": {"text": "先生は辛いカレーが大好き", "date": "2024-05-03", "kind": "preference"},
    "en": {"text": "Sensei loves spicy curry", "date": "2024-05-03", "kind": "preference"},
}
INVENTED = {
    "zh": [
        "老师，你2024年3月9日说过想去看樱花，我们周末去吧！",
        "老师，你说过「我最讨厌下雨天」，今天带把伞吧。",
        "老师，上次你说想学游泳，今天要不要去问问价格？",
    ],
    "ja": [
        "先生、3月9日におっしゃっていた桜の件、週末に行きませんか？",
        "先生、前に「雨の日は嫌い」と言っていましたよね。傘を持っていきましょう。",
        "先生、この前おっしゃっていた水泳教室、今日調べてみましょうか？",
    ],
    "en": [
        "Sensei, you told me on 2024-03-09 that you wanted to see the cherry blossoms!",
        'Sensei, you said "I hate rainy days", so take an umbrella today.',
        "Last time you mentioned swimming lessons, Sensei; shall I look up prices?",
    ],
}
RECALLED = {
    "zh": "老师，你2024年5月3日说过喜欢不加糖的美式咖啡，我给你点一杯吧！",
    "ja": "先生、5月3日に辛いカレーが大好きだとおっしゃっていましたね。今夜はカレーにしましょう！",
    "en": "Sensei, you told me on May 3 that you love spicy curry, so let's have curry tonight!",
}


@pytest.mark.parametrize("lang", ["zh", "ja", "en"])
@pytest.mark.parametrize("case", [0, 1, 2])
def test_a_reply_that_recalls_what_no_memory_holds_is_rejected(lang: str, case: int) -> None:
    data = _conversation(lang, INVENTED[lang][case], memories=[MEMORY[lang]] if case != 2 else [])
    assert _codes(data) == ["invented_memory"], validate_data(data).problems


@pytest.mark.parametrize("lang", ["zh", "ja", "en"])
def test_recalling_a_real_memory_or_an_earlier_turn_passes(lang: str) -> None:
    assert _codes(_conversation(lang, RECALLED[lang], memories=[MEMORY[lang]])) == []
    # The same recall without the memory section is an invention.
    assert _codes(_conversation(lang, RECALLED[lang])) == ["invented_memory"]


def test_dates_without_a_recall_cue_are_plans_not_memories() -> None:
    for lang, reply in {
        "zh": "老师，我5月20日早上八点提醒你交报告。",
        "ja": "先生、5月20日の朝8時にお知らせしますね。",
        "en": "Sensei, I'll remind you on May 20 at 8 am.",
    }.items():
        assert _codes(_conversation(lang, reply)) == [], lang


def test_what_sensei_said_earlier_in_the_conversation_may_be_recalled() -> None:
    data = _conversation("en")
    data["messages"] += [
        {"role": "user", "content": 'My sister says "never skip breakfast" and she visits on June 2.'},
        {"role": "assistant", "content": 'You said "never skip breakfast", Sensei, and June 2 is close!'},
    ]
    assert _codes(data) == []
