"""Writes dev.json: 12 multi-session conversations (zh/ja/en) with facts planted in specific turns,
and questions (about half asked in another language) whose answers are those turns."""

from __future__ import annotations

import json
import random
from pathlib import Path

FACTS = [  # (zh, ja, en) statement, question in zh/ja/en
    (
        ("我的狗叫豆豆。", "うちの犬の名前は豆豆です。", "My dog is called Doudou."),
        ("我的狗叫什么名字？", "私の犬の名前は？", "What is my dog's name?"),
    ),
    (
        ("我对花生过敏。", "ピーナッツアレルギーがあります。", "I'm allergic to peanuts."),
        ("我对什么过敏？", "何にアレルギーがありますか？", "What am I allergic to?"),
    ),
    (
        ("我在一家银行上班。", "銀行で働いています。", "I work at a bank."),
        ("我在哪里工作？", "私の職場はどこ？", "Where do I work?"),
    ),
    (
        ("我妹妹住在大阪。", "妹は大阪に住んでいます。", "My sister lives in Osaka."),
        ("我妹妹住在哪里？", "妹はどこに住んでいますか？", "Where does my sister live?"),
    ),
    (
        (
            "我最喜欢的食物是豚骨拉面。",
            "一番好きな食べ物は豚骨ラーメンです。",
            "My favourite food is tonkotsu ramen.",
        ),
        ("我最喜欢吃什么？", "好きな食べ物は何？", "What's my favourite food?"),
    ),
    (
        ("我的生日是三月三日。", "誕生日は三月三日です。", "My birthday is on March 3rd."),
        ("我的生日是哪天？", "私の誕生日はいつ？", "When is my birthday?"),
    ),
    (
        ("我在学弹吉他。", "ギターを習っています。", "I'm learning to play the guitar."),
        ("我在学什么乐器？", "何の楽器を習っている？", "Which instrument am I learning?"),
    ),
    (
        ("我下个月要去北海道旅行。", "来月北海道へ旅行します。", "Next month I'm travelling to Hokkaido."),
        ("我下个月去哪里旅行？", "来月どこへ旅行する？", "Where am I travelling next month?"),
    ),
    (
        ("我的猫叫年糕。", "猫の名前はもちです。", "My cat's name is Mochi."),
        ("我的猫叫什么？", "猫の名前は何？", "What's my cat called?"),
    ),
    (
        ("我每天早上喝乌龙茶。", "毎朝ウーロン茶を飲みます。", "I drink oolong tea every morning."),
        ("我早上喝什么？", "毎朝何を飲む？", "What do I drink in the morning?"),
    ),
    (
        ("我害怕蜘蛛。", "クモが怖いです。", "I'm scared of spiders."),
        ("我害怕什么动物？", "何が怖いですか？", "What animal am I afraid of?"),
    ),
    (
        ("我住在上海浦东。", "上海の浦東に住んでいます。", "I live in Pudong, Shanghai."),
        ("我住在哪里？", "私はどこに住んでいる？", "Where do I live?"),
    ),
]
FILLER = {
    "zh": [
        "今天天气不错。",
        "刚吃完午饭。",
        "工作有点累。",
        "晚上想看电影。",
        "你今天过得怎么样？",
        "我们聊点别的吧。",
        "周末打算在家休息。",
        "最近睡得不太好。",
    ],
    "ja": [
        "今日はいい天気ですね。",
        "お昼ご飯を食べました。",
        "仕事が少し疲れた。",
        "夜は映画を見たい。",
        "今日はどうだった？",
        "別の話をしよう。",
        "週末は家で休みます。",
        "最近よく眠れない。",
    ],
    "en": [
        "Nice weather today.",
        "Just had lunch.",
        "Work was a bit tiring.",
        "I want to watch a movie tonight.",
        "How was your day?",
        "Let's talk about something else.",
        "I'll rest at home this weekend.",
        "I haven't been sleeping well.",
    ],
}
REPLY = {"zh": "嗯嗯，我记住啦。", "ja": "うん、覚えておくね。", "en": "Got it, I'll remember that."}
LANGS = ["zh", "ja", "en"]


def main() -> None:
    rng = random.Random(7)
    conversations, questions = [], []
    for c in range(12):
        lang = LANGS[c % 3]
        li = LANGS.index(lang)
        planted = rng.sample(range(len(FACTS)), 5)
        turns = []
        for s in range(3):  # sessions
            for t in range(9):
                i = len(turns)
                if t % 2 == 1:
                    turns.append(
                        {
                            "id": f"c{c}t{i}",
                            "session": s,
                            "speaker": "assistant",
                            "text": rng.choice([REPLY[lang], *FILLER[lang]]),
                        }
                    )
                elif t in (2, 6) and planted:
                    f = planted.pop()
                    turns.append(
                        {
                            "id": f"c{c}t{i}",
                            "session": s,
                            "speaker": "user",
                            "text": FACTS[f][0][li],
                            "fact": f,
                        }
                    )
                else:
                    turns.append(
                        {"id": f"c{c}t{i}", "session": s, "speaker": "user", "text": rng.choice(FILLER[lang])}
                    )
        for turn in turns:
            if "fact" in turn:
                f = turn["fact"]
                for qlang in (lang, LANGS[(li + 1) % 3]) if c % 2 == 0 else (lang,):
                    questions.append(
                        {
                            "conversation": c,
                            "question": FACTS[f][1][LANGS.index(qlang)],
                            "lang": qlang,
                            "fact_lang": lang,
                            "answer_ids": [turn["id"]],
                        }
                    )
        conversations.append({"id": c, "lang": lang, "turns": turns})
    out = Path(__file__).with_name("dev.json")
    out.write_text(
        json.dumps({"conversations": conversations, "questions": questions}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    n_turns = sum(len(c["turns"]) for c in conversations)
    cross = sum(q["lang"] != q["fact_lang"] for q in questions)
    print(
        f"{len(conversations)} conversations, {n_turns} turns, {len(questions)} questions, {cross} cross-lingual"  # noqa: E501
    )


if __name__ == "__main__":
    main()
