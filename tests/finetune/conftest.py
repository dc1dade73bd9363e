"""Small conversations built in the tests themselves: each pool entry is one distinct exchange."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

ZH = [
    (
        "老师今天下班好早啊，我还以为你要加班到九点呢。",
        "老师辛苦啦！今天能早点回家真好，晚饭想吃点什么呢？我帮你查查附近的外卖。",
    ),
    (
        "我的猫咪昨天把花瓶打碎了，气死我了。",
        "啊呀，老师没有被碎片划到吧？先把地上扫干净，再把其他易碎的东西收到柜子里比较安全。",
    ),
    (
        "下周要去上海出差三天，帮我记一下行程。",
        "好的老师！下周去上海出差三天，我会在出发前一天提醒你收拾行李和充电器。",
    ),
    (
        "最近睡眠特别差，总是凌晨三点醒过来。",
        "老师，凌晨三点醒来真的很难受呢。睡前少看手机，晚上别喝咖啡，试试看能不能好一点？",
    ),
    (
        "我想学做红烧肉，但是总是做得太咸。",
        "老师可以先少放酱油，最后收汁的时候再尝味道调整，这样就不容易咸啦。",
    ),
    (
        "周末要不要去爬山？天气预报说是晴天。",
        "去吧老师！晴天爬山最舒服了，记得带够水和防晒霜，拍几张照片给我看看好不好？",
    ),
]
JA = [
    (
        "先週買った本がとても面白くて、もう半分読んじゃった。",
        "先生、それは良かったですね！どんなお話なんですか？読み終わったら感想を聞かせてください。",
    ),
    (
        "明日の会議の資料、まだ全然できてないんだよね。",
        "先生、大丈夫ですか？まずは目次だけでも作りましょう。私も一緒に構成を考えますね。",
    ),
    (
        "今日は雨で電車がすごく混んでて疲れたよ。",
        "お疲れさまでした、先生。雨の日の満員電車は大変ですよね。温かいお茶でも飲んでゆっくり休んでください。",
    ),
    (
        "来月、友達の結婚式でスピーチを頼まれちゃった。",
        "すごいです先生！信頼されている証拠ですね。思い出のエピソードを一つ選んで、短くまとめるのがコツですよ。",
    ),
]
EN = [
    (
        "I finally fixed that bug that kept crashing the build all week.",
        "That is wonderful news, Sensei! What was causing it in the end? I would love to hear the story.",
    ),
    (
        "My sister is visiting this weekend and I have no idea what to cook.",
        "How lovely, Sensei! A simple pasta with fresh tomatoes is hard to get wrong, "
        "and you can cook it together.",
    ),
    (
        "I am thinking about learning to play the piano at my age.",
        "It is never too late, Sensei. Fifteen minutes a day with a simple song is a gentle way to start.",
    ),
    (
        "The new office chair arrived but it squeaks every time I lean back.",
        "Oh no, Sensei! Check the screws under the seat first; a little tightening often stops the squeak.",
    ),
]
POOLS = {"zh": ZH, "ja": JA, "en": EN}


def make(
    conv_id: str,
    *,
    language: str = "zh",
    scenario: str = "daily",
    pairs: Sequence[tuple[str, str]] | None = None,
    think: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A valid conversation; `think` adds a think block to the first assistant turn."""
    chosen = list(pairs) if pairs is not None else POOLS[language][:2]
    messages: list[dict[str, Any]] = []
    for i, (user, assistant) in enumerate(chosen):
        content = f"<think>\n{think}\n</think>\n\n{assistant}" if think and i == 0 else assistant
        messages += [{"role": "user", "content": user}, {"role": "assistant", "content": content}]
    return {"id": conv_id, "language": language, "scenario": scenario, "messages": messages, **extra}


def with_tool(conv_id: str) -> dict[str, Any]:
    """A Chinese conversation where Kokoron thinks, saves a fact, then answers."""
    return {
        "id": conv_id,
        "language": "zh",
        "scenario": "work_assistance",
        "messages": [
            {"role": "user", "content": "我下周三要去医院复查，帮我记住这件事。"},
            {
                "role": "assistant",
                "content": "<think>\n老师要我记住复查的日子，先存下来。\n</think>\n\n",
                "tool_calls": [
                    {"name": "memory_save", "arguments": {"fact": "下周三去医院复查", "importance": 4}}
                ],
            },
            {"role": "tool", "name": "memory_save", "content": '{"saved": "f1", "merged": false}'},
            {
                "role": "assistant",
                "content": "<think>\n存好了，告诉老师。\n</think>\n\n"
                "记好啦老师！下周二晚上我会提醒你准备病历。",
            },
        ],
    }


def near_copy(conversation: dict[str, Any], conv_id: str) -> dict[str, Any]:
    """The same conversation with a small edit in one reply (as a generator rerun produces)."""
    copy: dict[str, Any] = json.loads(json.dumps(conversation))
    copy["id"] = conv_id
    last = copy["messages"][-1]
    last["content"] = re.sub("[，、,]", lambda m: ";" if m.group() == "," else "。", last["content"], count=1)
    return copy


def write_jsonl(path: Path, rows: Sequence[object]) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def distinct_conversations() -> list[dict[str, Any]]:
    """Eight valid, clearly different conversations (two exchanges each, no shared exchange)."""
    return [
        make("zh-1", pairs=ZH[0:2]),
        make("zh-2", pairs=ZH[2:4], scenario="emotional_support", think="老师最近很累，要温柔一点。"),
        make("zh-3", pairs=ZH[4:6], scenario="playful"),
        make("ja-1", language="ja", pairs=JA[0:2], scenario="work_assistance"),
        make("ja-2", language="ja", pairs=JA[2:4], think="先生は疲れているので、やさしく励まそう。"),
        make("en-1", language="en", pairs=EN[0:2]),
        make("en-2", language="en", pairs=EN[2:4], scenario="deep_discussion"),
        with_tool("zh-tool"),
    ]


@pytest.fixture
def distinct() -> list[dict[str, Any]]:
    return distinct_conversations()
