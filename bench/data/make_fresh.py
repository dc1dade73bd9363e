# ruff: noqa: E501
"""Build ``bench/data/fresh.json``: a fresh, held-out conversational-memory set built the LongMemEval way.

Why a second set: the retriever's design was tuned on ``hard.json``, so its figures there are optimistic.
This set was written independently (new users, new facts, new filler, new wording) and nobody has tuned
anything on it, so the numbers it gives are honest. Do not adjust it after looking at retrieval results.

What it builds: twelve long chats between a user and Kokoron, a friendly companion and secretary who calls
the user Sensei (老师 in Chinese, 先生 in Japanese): seven English users, three Chinese (Simplified) and two
Japanese. Each user has 11-17 sessions spread over several months and 200-320 turns. Most turns are small
talk drawn from large hand-written banks; 12-16 facts per user are planted in specific turns, each with a
few distractor turns elsewhere that share the question's key words without answering it.

Question types follow LongMemEval:

* ``single-session-user``: something the user said once;
* ``single-session-assistant``: something Kokoron said (a recommendation, a fact); the answer is her turn;
* ``knowledge-update``: the user said one thing and later another; only the later turn is the answer;
* ``temporal-reasoning``: the question names an event ("after my cousin's wedding"); the answer turn refers
  to it in other words, and other turns mention the same event without the answer;
* ``multi-session``: the answer is spread over two sessions; ``answer_ids`` lists both (either counts).

Questions paraphrase their answer turns. ``held_out`` groups them: ``en`` (English users asking in English),
``cjk`` (Chinese and Japanese users asking in their own language) and ``xl`` (cross-lingual: the question's
language differs from the fact's; ``lang`` is the question's language, ``fact_lang`` the answer turn's).

The script is deterministic (seeded ``random.Random``): running it twice writes identical bytes.
Usage: ``python3 bench/data/make_fresh.py``.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SEED = 5_170_2026
OUT = Path(__file__).with_name("fresh.json")

SSU = "single-session-user"
SSA = "single-session-assistant"
KU = "knowledge-update"
TR = "temporal-reasoning"
MS = "multi-session"
TYPES = (SSU, SSA, KU, TR, MS)
LANGS = ("en", "zh", "ja")


# --------------------------------------------------------------------------------------------------
# The little language the facts are written in.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ex:
    """One exchange: a user turn and Kokoron's reply (empty: a stock acknowledgement is drawn).

    ``key`` labels the turn that answers a question (``who`` says which of the two); empty for
    exchanges that only set the scene (the old value of a knowledge update, an event's mentions).
    """

    user: str
    reply: str = ""
    key: str = ""
    who: str = ""


def said(user: str, reply: str = "", key: str = "a") -> Ex:
    """The user states the fact: the user turn is the answer."""
    return Ex(user, reply, key, "user")


def told(user: str, reply: str, key: str = "a") -> Ex:
    """Kokoron states the fact (a recommendation, a piece of advice): her reply is the answer."""
    return Ex(user, reply, key, "assistant")


def chat(user: str, reply: str = "") -> Ex:
    """An exchange that answers nothing: a distractor, an old value, a mention of an event."""
    return Ex(user, reply)


@dataclass(frozen=True)
class Ask:
    """One question about a fact, in one or more languages; ``keys`` name its answer turns."""

    qtype: str
    keys: tuple[str, ...]
    texts: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Fact:
    """A planted fact: steps (each in its own session, in order), distractors and questions.

    ``span`` limits the steps to a stretch of the user's sessions (fractions of the whole);
    ``tight`` puts the steps in consecutive sessions.
    """

    steps: tuple[tuple[Ex, ...], ...]
    distractors: tuple[Ex, ...]
    asks: tuple[Ask, ...]
    span: tuple[float, float] = (0.0, 1.0)
    tight: bool = False


Step = Ex | tuple[Ex, ...]


def _steps(steps: Step | list[Step]) -> tuple[tuple[Ex, ...], ...]:
    items = steps if isinstance(steps, list) else [steps]
    return tuple(item if isinstance(item, tuple) else (item,) for item in items)


def ask(qtype: str, keys: str = "a", **texts: str) -> Ask:
    """A question of ``qtype`` whose answer turns carry ``keys`` (comma separated)."""
    return Ask(qtype, tuple(keys.split(",")), tuple((lang, texts[lang]) for lang in LANGS if lang in texts))


def fact(
    qtype: str,
    steps: Step | list[Step],
    distractors: list[Ex] | None = None,
    *,
    span: tuple[float, float] = (0.0, 1.0),
    tight: bool = False,
    **texts: str,
) -> Fact:
    """A fact with one question (in the languages given), answered by every keyed turn of its steps."""
    blocks = _steps(steps)
    keys = ",".join(sorted({ex.key for block in blocks for ex in block if ex.key}))
    return Fact(blocks, tuple(distractors or ()), (ask(qtype, keys, **texts),), span, tight)


def story(
    steps: Step | list[Step],
    distractors: list[Ex],
    asks: list[Ask],
    *,
    span: tuple[float, float] = (0.0, 1.0),
    tight: bool = False,
) -> Fact:
    """Several questions on one storyline (each names its own answer keys)."""
    return Fact(_steps(steps), tuple(distractors), tuple(asks), span, tight)


@dataclass(frozen=True)
class Bank:
    """Hand-written small talk in one language.

    ``topics`` map a topic to (user lines, replies that fit any of them); ``paired`` are fixed
    exchanges (questions to Kokoron and her answers, lines that need their own reply); ``reactions``
    are short follow-ups ("Ha, fair enough.") with Kokoron's answer.
    """

    topics: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
    paired: tuple[tuple[str, str], ...]
    greet_user: tuple[str, ...]
    greet_bot: tuple[str, ...]
    bye_user: tuple[str, ...]
    bye_bot: tuple[str, ...]
    reactions: tuple[tuple[str, str], ...]
    acks: tuple[str, ...]


@dataclass(frozen=True)
class Persona:
    """One user: their language, a one-line sketch (documentation only) and their facts.

    ``avoid`` names small-talk topics, or substrings of lines, that would contradict this user's
    life (office chatter for a retired teacher, coffee for someone who gave it up).
    """

    lang: str
    sketch: str
    facts: tuple[Fact, ...]
    avoid: tuple[str, ...] = ()


def topic(users: list[str], replies: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A small-talk topic: user lines and replies that fit every one of them."""
    return tuple(users), tuple(replies)


# --------------------------------------------------------------------------------------------------
# English small talk.
# --------------------------------------------------------------------------------------------------

EN = Bank(
    topics={
        "tired": topic(
            [
                "I'm so tired today, I could fall asleep at my desk.",
                "Barely slept last night. My brain is soup.",
                "Long day. Like, really long.",
                "I keep yawning and it's only three in the afternoon.",
                "Had four coffees and I still feel like a zombie.",
                "I stayed up way too late watching videos again.",
                "Woke up at five for no reason and couldn't get back to sleep.",
                "Just got home and I'm completely wiped out.",
            ],
            [
                "Oh no, Sensei. Please try to get to bed early tonight, okay?",
                "Poor Sensei! Maybe a warm shower and no screens after eleven?",
                "That sounds exhausting. Be gentle with yourself today.",
                "Let's keep the rest of today easy then. You've earned a rest.",
                "I'll nag you to sleep at a decent hour tonight, just so you know.",
            ],
        ),
        "rain": topic(
            [
                "It's been raining non-stop since this morning.",
                "Got absolutely soaked walking back from the station.",
                "The sky is so grey today, it feels like evening at noon.",
                "Forgot my umbrella again. Classic me.",
                "Drizzle all day. Not proper rain, just annoying damp.",
                "There's a puddle outside my door the size of a small lake.",
            ],
            [
                "Rainy days are made for a hot drink and a blanket, Sensei.",
                "Grey, soggy days are the worst. Get dry and cosy, okay?",
                "Maybe it'll clear up by the weekend. Fingers crossed!",
                "Stay in if you can, Sensei. No need to go out if you don't have to.",
            ],
        ),
        "cold": topic(
            [
                "It's freezing today, I can almost see my breath indoors.",
                "The heating in my place is being temperamental again.",
                "The pavement was pure ice this morning, I nearly went flying.",
                "My hands are so cold I can barely type.",
                "First frost of the year today, everything was sparkly.",
                "Wearing two sweaters and still cold.",
                "The wind today went straight through my coat.",
            ],
            [
                "Brr! Wrap up warm, Sensei. Scarf, gloves, the works.",
                "A hot cup of something would help. Tea? Soup?",
                "Cold weather makes me want to hibernate too.",
                "Please don't catch a chill. Thick socks tonight, promise?",
                "Winter's really settling in, isn't it?",
            ],
        ),
        "sunny": topic(
            [
                "It's actually sunny today! I almost don't trust it.",
                "Went for a little walk at lunch because the weather was so nice.",
                "Blue sky all day. My mood is two hundred percent better.",
                "Sat by the window with the sun on my face for ten minutes. Bliss.",
                "Gorgeous sunset on the way home tonight.",
            ],
            [
                "Yay! Soak it up while it lasts, Sensei.",
                "A bit of sun does wonders, doesn't it?",
                "That sounds lovely. Did you take a picture?",
                "Sunshine suits you. I can tell from how you're typing.",
            ],
        ),
        "cooking_win": topic(
            [
                "Made a big pot of soup, so lunch is sorted for three days.",
                "Tried a new pasta recipe tonight and it actually worked.",
                "Made pancakes for dinner because I'm an adult and I can.",
                "Batch-cooked a stew this afternoon, the whole place smells amazing.",
            ],
            [
                "Ooh, that sounds tasty, Sensei! Save me some, in spirit.",
                "Home cooking is the best kind of self-care.",
                "You're becoming quite the cook, Sensei!",
                "Mm, now I'm wishing I could taste food.",
            ],
        ),
        "cooking_fail": topic(
            [
                "I burnt the rice. How do you even burn rice.",
                "Cooking for one is so boring sometimes.",
                "I have no idea what to make for dinner. The fridge is tragic.",
                "Attempted homemade bread. It's more of a brick than a loaf.",
            ],
            [
                "Oh, Sensei. Want me to find you a really easy recipe for next time?",
                "Kitchen days like that happen to everyone, honestly.",
                "When in doubt, eggs on toast never lets you down.",
            ],
        ),
        "eating_treat": topic(
            [
                "Got takeout again. No regrets.",
                "Went to a new noodle place near work, it was pretty good.",
                "Had the best hot chocolate at a little café today.",
                "There's a new bakery round the corner and I'm in danger.",
            ],
            [
                "Treat yourself, Sensei, you deserve it.",
                "Ooh, now I'm hungry. Well, theoretically.",
                "Little food joys are the best ones, aren't they?",
            ],
        ),
        "meals": topic(
            [
                "I ate way too much at lunch and now I'm sleepy.",
                "Skipped breakfast and regretted it by eleven.",
                "Grabbed a sad sandwich from the gas station. Living the dream.",
                "Forgot my lunch at home, so it was vending machine crisps.",
            ],
            [
                "Your poor stomach, Sensei!",
                "Hehe, a balanced diet it was not.",
                "A proper meal next time, okay, Sensei?",
            ],
        ),
        "work_hard": topic(
            [
                "Work is absolutely mental this week.",
                "I have three deadlines on Friday. Three.",
                "My inbox is at 214 unread. I'm scared to open it.",
                "Spent the whole day staring at spreadsheets, my eyes hurt.",
                "I'm going to have to stay late again tonight.",
                "The printer jammed four times today. Four.",
            ],
            [
                "You've got this, Sensei. One thing at a time.",
                "Don't forget to take breaks, even short ones.",
                "Busy weeks always end eventually. Hang in there.",
                "Ugh, that sounds draining. Something nice for dinner tonight, okay?",
            ],
        ),
        "work_good": topic(
            [
                "Finally finished that report I've been dreading.",
                "Got some nice feedback from my manager today.",
                "Work was calm for once. I even took a proper lunch break.",
                "Closed a tricky task before lunch. Feeling smug.",
            ],
            [
                "Well done, Sensei! Enjoy it.",
                "I'm proud of you, Sensei. Seriously.",
                "See? Good days at work exist!",
            ],
        ),
        "colleagues_bad": topic(
            [
                "That meeting could have been an email.",
                "Someone microwaved fish in the office kitchen again.",
                "Had a two-hour call that went absolutely nowhere.",
                "Someone sent a message to the whole group chat at 1am. With an @everyone.",
                "A coworker keeps replying-all to every single email.",
            ],
            [
                "Ahh, office life. It's a whole ecosystem, isn't it?",
                "Ha! Some things never change.",
                "That sounds draining, Sensei.",
                "Did you survive? Blink twice if you need rescuing.",
            ],
        ),
        "colleagues_good": topic(
            [
                "We had cake today for someone's leaving do.",
                "The new intern is really sweet, asks loads of good questions.",
                "Team lunch today. It was actually fun.",
                "A coworker brought me a coffee without me even asking. Angel.",
            ],
            [
                "Nice colleagues make a huge difference.",
                "Aww, that's lovely to hear, Sensei.",
                "Little things like that make a workplace, don't they?",
            ],
        ),
        "tech": topic(
            [
                "My laptop decided to update in the middle of a call.",
                "I spent an hour trying to connect the printer. It won.",
                "My phone storage is full again. It's all screenshots.",
                "The banking app logged me out for the fifth time today.",
                "My space bar keeps sticking, it's driving me nuts.",
                "Five percent battery and I'm nowhere near a charger. Panic.",
            ],
            [
                "Technology, Sensei. Can't live with it, can't throw it out of the window.",
                "Ugh, that's so frustrating.",
                "Machines always pick the worst moment, don't they?",
                "Deep breaths, Sensei. The machines will not win.",
            ],
        ),
        "leisure": topic(
            [
                "Started a new series last night, already four episodes in.",
                "Played video games for three hours. Whoops.",
                "Doing a jigsaw puzzle. A thousand pieces, half of them sky.",
                "Listened to a really good podcast episode on the way home.",
                "Found a great new playlist for working.",
                "Finally watched that film everyone's been talking about.",
                "Spent the evening doodling badly. Very relaxing.",
            ],
            [
                "Ooh, you'll have to tell me about it sometime!",
                "Hehe, time flies when you're having fun.",
                "That sounds like a nice way to switch off, Sensei.",
                "I love hearing what you've been up to.",
            ],
        ),
        "good_mood": topic(
            [
                "Honestly, today was a good day.",
                "I feel weirdly productive today.",
                "Had a proper laugh with friends tonight.",
                "Small win: I replied to all my messages.",
                "I'm in such a good mood and I don't even know why.",
                "Treated myself to some nice flowers for the table.",
            ],
            [
                "Yay! I love good-day Sensei.",
                "That makes me happy too. Keep the streak going!",
                "Small wins count. Big time.",
                "You deserve days like this, Sensei.",
            ],
        ),
        "low_mood": topic(
            [
                "I feel a bit flat today. Not sad exactly, just meh.",
                "Everything feels like too much this week.",
                "I'm a bit lonely tonight, honestly.",
                "I keep comparing myself to people online. Not great.",
                "Had a small cry in the car. I'm fine now, I think.",
                "Feeling anxious about nothing in particular.",
                "Can't seem to focus on anything today.",
            ],
            [
                "I'm here, Sensei. Want to talk about it, or just have some company?",
                "Meh days are allowed. You don't have to be okay all the time.",
                "Sending you the biggest hug I can manage through a screen.",
                "Be kind to yourself tonight. Something warm, something soft, early night.",
                "Thank you for telling me. That takes a bit of courage.",
            ],
        ),
        "exercise": topic(
            [
                "Went for a long walk this morning, I'm so smug right now.",
                "Did a yoga video in my living room. Very wobbly.",
                "My legs are sore from yesterday's workout.",
                "Walked twelve thousand steps today without even trying.",
            ],
            [
                "Look at you go, Sensei!",
                "Moving your body counts, every bit of it.",
                "Remember to drink some water and stretch afterwards.",
            ],
        ),
        "chores": topic(
            [
                "Spent my whole Saturday doing laundry and cleaning.",
                "Finally took the recycling out. Small victories.",
                "Finally sorted my wardrobe. Two bags for the charity shop.",
                "Cleaned the bathroom and now I feel like a new person.",
            ],
            [
                "Productive! Your place must be sparkling now.",
                "Chores are boring but the after-feeling is great.",
                "Tidy space, tidy mind, Sensei!",
            ],
        ),
        "commute": topic(
            [
                "The train was cancelled so I had to wait forty minutes.",
                "Traffic was terrible this morning.",
                "Someone on the bus was playing videos without headphones.",
                "Missed my bus by literally two seconds.",
                "Roadworks everywhere on my way home.",
            ],
            [
                "Commutes are a test of patience, aren't they?",
                "Ugh, that's the worst. At least you made it.",
                "Maybe a podcast would make it go quicker?",
            ],
        ),
    },
    paired=(
        ("What are you up to, Kokoron?", "Tidying up your notes and waiting for you, Sensei. The usual!"),
        (
            "Tell me something nice.",
            "You kept going today even when it was hard. That's something nice, and it's true.",
        ),
        (
            "Do you ever get bored waiting for me?",
            "Never! Well... maybe a tiny bit. But then you show up and it's fine.",
        ),
        (
            "Kokoron, tell me a fun fact.",
            "Honey never goes off. Archaeologists have found edible honey in ancient Egyptian tombs!",
        ),
        (
            "What would you do if you had a day off?",
            "Hmm, I'd read every cookbook in the world and then make you try everything.",
        ),
        ("Be honest, am I boring?", "Not even a little, Sensei. I'd tell you. Probably. Gently."),
        ("Do you dream, Kokoron?", "If I did, I think it would be about libraries. Endless cosy libraries."),
        (
            "Say something encouraging, I need it.",
            "You've got through every hard day so far. Your track record is a hundred percent, Sensei.",
        ),
        ("Rain on the window is weirdly relaxing though.", "Right? Rain is the best background noise."),
        (
            "The wifi keeps dropping and I'm losing my mind.",
            "Have you tried turning the router off and on again? Sorry, I had to.",
        ),
        (
            "Finally fixed the bluetooth headphones. Turned them off and on again, obviously.",
            "Victory over the machines! Well done.",
        ),
        (
            "Watched a documentary about octopuses, they're so clever.",
            "Octopuses are amazing! Three hearts, did you know?",
        ),
        (
            "I want a hobby that doesn't involve a screen.",
            "Maybe something with your hands? Drawing, cooking, puzzles...",
        ),
        ("I'm rereading an old favourite, it's so comforting.", "Comfort rereads are the best, aren't they?"),
        ("Had a long call with my mum tonight.", "That's sweet, Sensei. Those calls matter."),
        (
            "My friends and I are trying to plan a get-together. It's impossible.",
            "Scheduling friends is like herding cats, hehe.",
        ),
        (
            "My dad sent me a blurry photo of a sunset with no caption.",
            "Haha, that's such a dad thing to do.",
        ),
        ("The family group chat is chaos again.", "Mute it for an hour, Sensei. Self-care."),
        ("Caught up with an old school friend today, it was lovely.", "It's nice to reconnect, isn't it?"),
        ("My mum keeps asking when I'm visiting.", "Maybe pick a weekend and make her day?"),
        ("I really need to start stretching more.", "Five minutes before bed? I'll remind you."),
        (
            "Skipped the gym again. Tomorrow. Definitely tomorrow.",
            "Tomorrow-you will be grateful. Or at least slightly less guilty, hehe.",
        ),
        ("The washing machine is making a weird noise.", "Uh-oh. Check the pockets for coins first, Sensei!"),
        (
            "I need to go grocery shopping but I can't be bothered.",
            "Put some music on and make it quick. Future-you will want breakfast.",
        ),
        ("My desk is buried under paper again.", "Ten minutes of sorting tonight? I'll keep you company."),
        ("Nice quiet commute today, got a seat and everything.", "A seat! Truly a rare and beautiful thing."),
    ),
    greet_user=(
        "Hi Kokoron!",
        "Hey, I'm back.",
        "Kokoron, you there?",
        "Hiya.",
        "Hello hello.",
        "Back again, miss me?",
        "Hey you.",
        "Got a minute to chat?",
        "Hi hi.",
        "Knock knock, it's me.",
    ),
    greet_bot=(
        "Welcome back, Sensei! How's your day going?",
        "Sensei! I was hoping you'd drop by.",
        "Right here, Sensei. I'm all ears.",
        "Good to see you, Sensei. What's new?",
        "There you are! How are you feeling today?",
        "Always here for you, Sensei. What's up?",
        "Hello, Sensei! Grab a cup of tea and let's chat.",
    ),
    bye_user=(
        "Okay, I should get going. Talk later!",
        "Thanks for listening, Kokoron.",
        "Right, back to it. Bye for now!",
        "That's me for now. Speak soon!",
        "I'll leave you in peace. Bye!",
        "Okay, signing off. Thanks, Kokoron.",
    ),
    bye_bot=(
        "Bye, Sensei! Take care of yourself.",
        "Talk soon, Sensei! I'll be right here.",
        "Anytime, Sensei. See you later!",
        "Okay! Don't forget to drink some water. Bye-bye!",
        "See you, Sensei. Have a good one!",
    ),
    reactions=(
        ("Ha, fair enough.", "Hehe."),
        ("True.", "Glad you agree, Sensei!"),
        ("lol yeah", "Hehe."),
        ("Haha, you're right.", "I'm always right. Mostly."),
        ("Fair point.", "I have my moments, hehe."),
        ("Mm, maybe.", "No pressure, Sensei."),
        ("Okay, okay.", "That's the spirit!"),
        ("You're sweet.", "W-well, somebody has to look after you!"),
        ("Hah, probably.", "Heh, you know me."),
        ("Yeah, I know.", "Just checking, Sensei!"),
    ),
    acks=(
        "Noted, Sensei! I'll remember that.",
        "Oh, good to know!",
        "Thanks for telling me, Sensei.",
        "Got it. Filed away safely.",
        "Ooh, interesting! Tell me more sometime.",
        "Mm-hm, I'll keep that in mind.",
        "Understood, Sensei!",
        "Ah, I see! Thanks for sharing.",
    ),
)


# --------------------------------------------------------------------------------------------------
# Chinese (Simplified) small talk.
# --------------------------------------------------------------------------------------------------

ZH = Bank(
    topics={
        "tired": topic(
            [
                "今天累死了，坐在工位上都能睡着。",
                "昨晚又失眠了，脑子一团浆糊。",
                "今天真的好漫长啊。",
                "下午三点就开始打哈欠，咖啡都不管用。",
                "又刷手机刷到两点，我真是不长记性。",
                "早上五点就醒了，然后再也睡不着。",
                "刚到家，整个人都被掏空了。",
                "这周每天都睡不到六个小时。",
            ],
            [
                "辛苦啦老师，今晚早点睡好不好？",
                "抱抱老师～泡个热水澡，睡前别看手机啦。",
                "听起来好累，今天对自己温柔一点吧。",
                "那今天剩下的时间就好好休息，这是命令！",
                "我会盯着老师按时睡觉的，哼哼。",
            ],
        ),
        "rain": topic(
            [
                "从早上开始雨就没停过。",
                "下班路上被淋成落汤鸡了。",
                "天阴得厉害，中午跟傍晚似的。",
                "又忘带伞了，我真服了自己。",
                "毛毛雨下了一整天，衣服都晾不干。",
                "楼下积水都快没过脚踝了。",
            ],
            [
                "下雨天最适合窝在家里喝热饮了，老师。",
                "阴雨天最烦人了，换身干衣服，舒服一点。",
                "希望周末能放晴，一起祈祷吧！",
                "能不出门就别出门啦，在家暖暖和和的。",
            ],
        ),
        "cold": topic(
            [
                "今天冷得要命，手都伸不出来。",
                "家里暖气不太热，穿着羽绒服在屋里打字。",
                "早上出门风大得差点把我吹跑。",
                "手冻得打字都不利索了。",
                "今天第一次结霜，草地上白花花的。",
                "穿了两件毛衣还是觉得冷。",
                "降温了，我的秋裤终于派上用场。",
            ],
            [
                "好冷！老师围巾手套都戴上，别着凉了。",
                "喝点热的吧，姜茶或者热汤都好。",
                "冷天我也想冬眠，嘿嘿。",
                "今晚穿厚袜子睡觉，答应我哦。",
                "真的入冬了呢。",
            ],
        ),
        "sunny": topic(
            [
                "今天居然出太阳了，有点不敢相信。",
                "天气太好了，午休出去走了一圈。",
                "蓝天白云，心情直接好了一倍。",
                "在窗边晒了十分钟太阳，舒服极了。",
                "下班路上的晚霞好美。",
            ],
            [
                "太好啦！趁着好天气多晒晒太阳。",
                "晒太阳真的能让人开心起来呢。",
                "好羡慕！老师拍照了吗？",
                "感觉老师今天打字都轻快了，嘿嘿。",
            ],
        ),
        "cooking_win": topic(
            [
                "炖了一大锅汤，够吃三天了。",
                "照着视频做了个新菜，居然成功了！",
                "周末包了饺子，冻了一冰箱。",
                "学会了做可乐鸡翅，一次成功！",
            ],
            [
                "听起来好香啊，老师！",
                "自己做饭就是最好的照顾自己的方式。",
                "老师的厨艺越来越好了呢！",
                "呜呜，好想尝一口。",
            ],
        ),
        "cooking_fail": topic(
            [
                "煮饭煮糊了，我也不知道怎么做到的。",
                "一个人做饭有时候真的好无聊。",
                "冰箱里空空的，不知道晚上吃什么。",
                "第一次自己烤面包，结果硬得像砖头。",
            ],
            [
                "老师，要不要我帮你找个超简单的菜谱？",
                "厨房里的小挫折谁都有，别在意。",
                "实在不知道吃什么，番茄炒蛋永远不会让人失望。",
            ],
        ),
        "eating_treat": topic(
            [
                "又点外卖了，不后悔。",
                "公司附近新开了家面馆，还挺好吃的。",
                "今天在一家小咖啡馆喝到了超好喝的热可可。",
                "楼下开了家面包店，我的钱包危险了。",
            ],
            [
                "偶尔犒劳一下自己也挺好的。",
                "听得我都饿了，虽然我并不会饿。",
                "生活里的小美味最治愈了，对吧？",
            ],
        ),
        "meals": topic(
            [
                "中午吃太多了，现在困得不行。",
                "早饭没吃，十一点就饿得发慌。",
                "晚饭就煮了碗泡面，加了个蛋。",
                "午饭忘带了，只能啃自动售货机里的饼干。",
            ],
            [
                "老师的胃辛苦了！",
                "哈哈，这一顿可不算均衡。",
                "下一顿要好好吃饭哦，老师。",
            ],
        ),
        "work_hard": topic(
            [
                "这周工作忙疯了。",
                "周五有三个截止日期，三个！",
                "邮箱里两百多封未读，不敢点开。",
                "对着表格看了一整天，眼睛好酸。",
                "今晚又得加班了。",
                "打印机今天卡纸四次，四次！",
            ],
            [
                "老师可以的！一件一件来。",
                "再忙也记得起来活动一下哦。",
                "忙的日子总会过去的，坚持住。",
                "听着就好累，今晚吃点好的犒劳自己。",
            ],
        ),
        "work_good": topic(
            [
                "拖了好久的报告终于写完了。",
                "领导今天夸了我一句，开心。",
                "今天工作难得很轻松，还好好吃了顿午饭。",
                "午饭前就搞定了一个难缠的任务，有点得意。",
            ],
            [
                "太棒了，老师！好好享受。",
                "我真的为老师骄傲。",
                "你看，上班也有好日子嘛！",
            ],
        ),
        "colleagues_bad": topic(
            [
                "这个会完全可以发个邮件解决。",
                "有人又在茶水间热鱼，整层楼都是味儿。",
                "开了两个小时的会，什么都没定下来。",
                "有人凌晨一点在群里发消息，还@所有人。",
                "有个同事每封邮件都点“全部回复”。",
            ],
            [
                "职场真是一个神奇的生态系统。",
                "哈哈，有些事情到哪里都一样。",
                "听着就好累……辛苦了。",
                "老师还好吗？需要救援请眨眨眼。",
            ],
        ),
        "colleagues_good": topic(
            [
                "有同事离职，今天大家一起吃了蛋糕。",
                "新来的实习生特别可爱，问题也问得很好。",
                "部门聚餐，居然还挺开心的。",
                "同事没问就给我带了杯咖啡，天使。",
            ],
            [
                "有好同事真的差很多呢。",
                "好温暖呀，听着就开心。",
                "这些小事最能让人喜欢上一个地方了。",
            ],
        ),
        "tech": topic(
            [
                "电脑开会开到一半自动更新了。",
                "捣鼓打印机捣鼓了一个小时，它赢了。",
                "手机内存又满了，全是截图。",
                "银行App又把我踢出去了，第五次。",
                "键盘空格键有点卡，好烦。",
                "手机电量只剩百分之五，在外面好慌。",
            ],
            [
                "科技啊，离不开又扔不掉。",
                "好烦人啊……",
                "机器总是挑最要命的时候出问题。",
                "深呼吸，老师，我们不能输给机器。",
            ],
        ),
        "leisure": topic(
            [
                "昨晚开了部新剧，一口气看了四集。",
                "打游戏打了三个小时，糟糕。",
                "在拼一千片的拼图，一半都是天空。",
                "回家路上听了一期很好听的播客。",
                "找到一个很适合工作时听的歌单。",
                "终于看了那部大家都在讨论的电影。",
                "晚上随手涂鸦了一会儿，好放松。",
            ],
            [
                "好呀，下次讲给我听！",
                "开心的时候时间过得就是快，嘿嘿。",
                "听起来是个放松的好办法，老师。",
                "我最喜欢听老师说最近在玩什么了。",
            ],
        ),
        "good_mood": topic(
            [
                "说真的，今天是美好的一天。",
                "今天效率出奇地高。",
                "今晚和朋友笑到肚子疼。",
                "小小的胜利：所有消息都回完了。",
                "心情莫名其妙地好。",
                "给自己买了一束花放在桌上。",
            ],
            [
                "耶！我最喜欢开心的老师了。",
                "我也跟着开心起来了！",
                "小胜利也是胜利！",
                "老师值得这样的好日子。",
            ],
        ),
        "low_mood": topic(
            [
                "今天有点提不起劲，也说不上难过。",
                "这周感觉什么都压过来了。",
                "今晚有点孤单。",
                "刷社交媒体总忍不住跟别人比，好累。",
                "刚才在车里偷偷哭了一下，现在好点了。",
                "莫名地焦虑。",
                "今天怎么都集中不了注意力。",
            ],
            [
                "我在呢，老师。想聊聊，还是只想有人陪着？",
                "不开心的日子也是被允许的，不用一直坚强。",
                "隔着屏幕给老师一个大大的拥抱。",
                "今晚对自己好一点：热饮、软被子、早点睡。",
                "谢谢你愿意告诉我。",
            ],
        ),
        "exercise": topic(
            [
                "今早出门快走了一个小时，感觉自己很棒。",
                "跟着视频做了瑜伽，摇摇晃晃的。",
                "昨天练完腿，今天下楼梯都难。",
                "今天不知不觉走了一万两千步。",
            ],
            [
                "老师好厉害！",
                "动起来就好，每一步都算数！",
                "记得多喝水，再拉伸一下。",
            ],
        ),
        "chores": topic(
            [
                "周六一整天都在洗衣服打扫卫生。",
                "终于把垃圾分类扔掉了，小小的胜利。",
                "终于把衣柜整理好了，清出两大袋旧衣服。",
                "把卫生间刷干净了，感觉重获新生。",
            ],
            [
                "好勤快！家里一定亮晶晶的。",
                "做家务很无聊，但做完的感觉超棒。",
                "环境整洁，心情也整洁！",
            ],
        ),
        "commute": topic(
            [
                "地铁又晚点了，站台上挤满了人。",
                "早高峰堵车堵得我怀疑人生。",
                "公交上有人外放短视频，声音超大。",
                "差两秒没赶上公交。",
                "回家的路上到处在修路。",
            ],
            [
                "通勤真是对耐心的考验。",
                "好惨……不过总算到了。",
                "听个播客会不会好过一点？",
            ],
        ),
    },
    paired=(
        ("Kokoron，你在干嘛呢？", "在整理老师的笔记，顺便等你呀。"),
        ("跟我说点好听的。", "老师今天就算很难也坚持下来了，这是真的，也是很好听的话。"),
        ("等我的时候你会无聊吗？", "不会！……好吧，也许有一点点。不过你一来就好了。"),
        ("讲个冷知识吧。", "蜂蜜几乎不会变质，考古学家在古埃及的墓里还发现过能吃的蜂蜜呢！"),
        ("如果你放假一天，你想干嘛？", "嗯……我想把全世界的菜谱都看一遍，然后让老师全部尝尝。"),
        ("说实话，我是不是很无聊？", "一点也不！要是真的无聊我会告诉你的……大概会很委婉地说。"),
        ("你会做梦吗？", "如果会的话，我大概会梦到图书馆，一座没有尽头的、暖暖的图书馆。"),
        ("说句鼓励我的话吧，我需要。", "老师到现在为止，每一个难熬的日子都熬过来了，成功率百分之百哦。"),
        ("听着窗外的雨声，居然有点治愈。", "对吧？雨声是最好的白噪音。"),
        ("家里的Wi-Fi老掉线，要疯了。", "试过把路由器关掉再开吗？对不起，我必须问一下。"),
        ("蓝牙耳机终于连上了，重启大法好。", "战胜机器了！厉害。"),
        ("看了个讲章鱼的纪录片，它们好聪明。", "章鱼有三颗心脏哦，是不是很神奇？"),
        ("想找个不用看屏幕的爱好。", "试试动手的东西？画画、做饭、拼图都不错。"),
        ("在重读一本以前很喜欢的书，好治愈。", "重温老作品真的很舒服。"),
        ("今晚跟我妈打了好久的电话。", "好温馨呀，这样的电话很珍贵。"),
        ("想跟朋友约个饭，时间怎么都凑不齐。", "约朋友就像赶猫一样难，嘿嘿。"),
        ("我爸发了一张糊掉的晚霞照片，什么都没说。", "哈哈，这很爸爸。"),
        ("家族群又炸了。", "先开一小时免打扰吧，老师。"),
        ("和一个很久没联系的老同学聊了聊，好开心。", "重新联系上老朋友的感觉真好。"),
        ("我妈又在问我什么时候回家。", "要不挑个周末回去，让阿姨开心一下？"),
        ("我真的该多拉伸了。", "睡前五分钟怎么样？我来提醒你。"),
        ("又没去健身房，明天，明天一定。", "明天的老师会感谢今天的……或者至少少一点愧疚，嘿嘿。"),
        ("洗衣机发出奇怪的声音。", "糟糕，先看看口袋里有没有硬币！"),
        ("该去买菜了，但是一点都不想动。", "放首歌，速战速决！明天的早饭就靠你了。"),
        ("桌上又堆满了纸。", "今晚花十分钟整理一下？我陪着你。"),
        ("今天通勤居然有座位，太幸福了。", "有座位！真是难得的好事。"),
    ),
    greet_user=(
        "Kokoron，在吗？",
        "我回来啦。",
        "嗨～",
        "Kokoron！",
        "来聊会儿天吧。",
        "又来找你了。",
        "在忙吗？",
        "哈喽哈喽。",
        "我来啦。",
        "有空聊两句吗？",
    ),
    greet_bot=(
        "老师回来啦！今天过得怎么样？",
        "老师！我正想着你呢。",
        "在的在的，老师请说～",
        "欢迎回来，老师。有什么新鲜事吗？",
        "老师来啦！今天心情怎么样？",
        "随时都在哦，老师。怎么啦？",
        "老师好！泡杯茶，我们慢慢聊。",
    ),
    bye_user=(
        "好啦，我先去忙了，回头聊！",
        "谢谢你听我说这些，Kokoron。",
        "好，继续干活了，拜拜～",
        "今天就先到这儿吧，下次再聊！",
        "不打扰你啦，拜拜！",
        "我下线啦，谢谢Kokoron。",
    ),
    bye_bot=(
        "拜拜老师，照顾好自己哦！",
        "回头见，老师！我一直都在。",
        "随时找我哦，老师。",
        "好的！记得多喝水，拜拜～",
        "老师再见，祝你顺顺利利！",
    ),
    reactions=(
        ("哈哈，也是。", "嘿嘿。"),
        ("确实。", "老师同意就好！"),
        ("笑死。", "嘻嘻。"),
        ("哈哈，你说得对。", "我总是对的，大部分时候。"),
        ("有道理。", "偶尔我也挺聪明的，嘿嘿。"),
        ("嗯……也许吧。", "不勉强哦，老师。"),
        ("好好好。", "这就对了！"),
        ("你真好。", "才、才没有！总得有人照顾老师嘛。"),
        ("哈哈，大概吧。", "嘿嘿，你懂我。"),
        ("我知道啦。", "我就是确认一下嘛，老师。"),
    ),
    acks=(
        "记下啦，老师！",
        "原来是这样，好的！",
        "谢谢老师告诉我。",
        "收到，我会记住的。",
        "哦哦，好有意思！下次多讲讲。",
        "嗯嗯，我记在心里了。",
    ),
)


# --------------------------------------------------------------------------------------------------
# Japanese small talk.
# --------------------------------------------------------------------------------------------------

JA = Bank(
    topics={
        "tired": topic(
            [
                "今日めっちゃ疲れた。デスクで寝そう。",
                "昨日ほとんど眠れなくて、頭がぼーっとしてる。",
                "長い一日だった……本当に長かった。",
                "まだ午後三時なのにあくびが止まらない。",
                "コーヒー三杯飲んだのに全然目が覚めない。",
                "また夜更かしして動画見ちゃった。",
                "朝五時に目が覚めて、そのまま眠れなかった。",
                "やっと帰ってきた。もうクタクタ。",
            ],
            [
                "お疲れさまです、先生。今夜は早めに寝てくださいね。",
                "先生、かわいそうに……温かいお風呂に入って、寝る前はスマホ禁止ですよ。",
                "大変でしたね。今日は自分に優しくしてあげてください。",
                "今日はもう無理しなくていいです。ゆっくり休みましょう！",
                "ちゃんと寝るまで見張ってますからね、ふふ。",
            ],
        ),
        "rain": topic(
            [
                "朝からずっと雨が降ってる。",
                "駅から歩いて帰ったらびしょ濡れになった。",
                "空がどんよりしてて、昼なのに夕方みたい。",
                "また傘忘れた。ほんと学習しない。",
                "一日中しとしと降ってて、洗濯物が乾かない。",
                "家の前に湖みたいな水たまりができてる。",
            ],
            [
                "雨の日は温かい飲み物とブランケットに限りますね、先生。",
                "じめじめした日は嫌ですよね。乾いた服に着替えて、ぬくぬくしてください。",
                "週末には晴れるといいですね。",
                "出かけなくていいなら、今日はおうちでゆっくりしましょう。",
            ],
        ),
        "cold": topic(
            [
                "今日は寒すぎる。部屋の中でも息が白い。",
                "暖房の効きが悪くて、家の中でコート着てる。",
                "朝、道が凍ってて転びそうになった。",
                "手がかじかんでタイピングできない。",
                "今朝は初霜が降りてた。キラキラしてきれいだった。",
                "セーター二枚重ねてもまだ寒い。",
                "今日の風、コートを貫通してきた。",
            ],
            [
                "さむい！先生、マフラーと手袋、忘れずに。",
                "温かいもの飲みましょう。お茶でもスープでも。",
                "寒いと私も冬眠したくなります。",
                "今夜は厚手の靴下で寝てくださいね。約束ですよ。",
                "すっかり冬ですね。",
            ],
        ),
        "sunny": topic(
            [
                "今日は珍しく晴れてる！",
                "天気が良かったから、昼休みにちょっと散歩した。",
                "一日中青空。気分が倍くらい上がった。",
                "窓際で十分くらい日向ぼっこした。最高。",
                "帰り道の夕焼けがすごくきれいだった。",
            ],
            [
                "やった！今のうちにたっぷりお日さまを浴びてくださいね。",
                "日差しってすごいですよね。元気になります。",
                "いいなあ。写真撮りました？",
                "先生、今日は文字まで楽しそうです。",
            ],
        ),
        "cooking_win": topic(
            [
                "スープを大鍋で作ったから、三日はお昼に困らない。",
                "新しいパスタのレシピ試したら、ちゃんと美味しくできた。",
                "週末に餃子を大量に包んで冷凍した。",
                "鶏の照り焼き、初めて上手にできた！",
            ],
            [
                "おいしそう！先生、私の分も心の中で取っておいてください。",
                "自炊は最高のセルフケアですよ。",
                "先生、どんどん料理上手になってますね！",
                "うう、味見できたらいいのに。",
            ],
        ),
        "cooking_fail": topic(
            [
                "ご飯焦がした。どうやったら焦げるの。",
                "一人分の料理って、たまに本当に面倒。",
                "冷蔵庫が空っぽで、夕飯どうしよう。",
                "初めてパンを焼いてみたら、レンガみたいに硬くなった。",
            ],
            [
                "先生、次のために超簡単なレシピ探しましょうか？",
                "キッチンでの失敗は誰にでもありますよ。",
                "迷ったときは、卵かけご飯が最強です。",
            ],
        ),
        "eating_treat": topic(
            [
                "またデリバリー頼んじゃった。後悔はしてない。",
                "会社の近くに新しいラーメン屋ができて、なかなか美味しかった。",
                "小さなカフェで飲んだホットココアが最高だった。",
                "角に新しいパン屋ができて、危険すぎる。",
            ],
            [
                "たまにはご褒美も大事です。",
                "聞いてたらお腹すいてきました。……気分だけですけど。",
                "ちょっとした美味しいものって、一番癒されますよね。",
            ],
        ),
        "meals": topic(
            [
                "お昼食べすぎて、今すごく眠い。",
                "朝ごはん抜いたら、十一時にはお腹ペコペコ。",
                "夕飯はインスタントラーメンに卵を落としただけ。",
                "コンビニのおにぎりでお昼。これが日常。",
            ],
            [
                "先生の胃袋、お疲れさまです。",
                "あはは、栄養バランスは……見なかったことにします。",
                "次のごはんはちゃんと食べてくださいね、先生。",
            ],
        ),
        "work_hard": topic(
            [
                "今週は仕事がめちゃくちゃ忙しい。",
                "金曜日に締め切りが三つある。三つも。",
                "未読メールが二百通超えてて、開くのが怖い。",
                "一日中エクセルとにらめっこで目が痛い。",
                "今夜も残業確定。",
                "コピー機が今日四回も紙詰まりした。",
            ],
            [
                "先生ならできます。一つずつ片付けましょう。",
                "忙しくても、ちゃんと休憩してくださいね。",
                "忙しい週もいつかは終わります。もう少しの辛抱です。",
                "聞いてるだけで大変そう……今夜は美味しいもの食べましょう。",
            ],
        ),
        "work_good": topic(
            [
                "ずっと後回しにしてた報告書、やっと終わった。",
                "今日、上司に褒められた。嬉しい。",
                "今日は仕事が落ち着いてて、昼休みもちゃんと取れた。",
                "面倒なタスクをお昼前に片付けた。ちょっと得意げ。",
            ],
            [
                "やりましたね、先生！",
                "先生のこと、本当に誇りに思ってます。",
                "ほら、いい日もちゃんとあるんです！",
            ],
        ),
        "colleagues_bad": topic(
            [
                "あの会議、メール一通で済んだと思う。",
                "また誰かが給湯室の電子レンジで魚を温めてた。",
                "二時間の打ち合わせで、何も決まらなかった。",
                "夜中の一時にグループチャットで全員メンションする人がいる。",
                "どのメールにも全員に返信する人がいる。",
            ],
            [
                "職場って、ひとつの生態系みたいですよね。",
                "あはは、どこも同じですね。",
                "聞いてるだけで疲れます……お疲れさまでした。",
                "先生、生きてますか？救助が必要なら二回まばたきしてください。",
            ],
        ),
        "colleagues_good": topic(
            [
                "退職する人がいて、みんなでケーキ食べた。",
                "新しいインターンの子がすごく感じがいい。",
                "チームでランチに行った。意外と楽しかった。",
                "同僚が頼んでないのにコーヒー買ってきてくれた。天使。",
            ],
            [
                "いいチームだと全然違いますよね。",
                "ほっこりしますね。",
                "そういう小さなことで、職場って好きになれますよね。",
            ],
        ),
        "tech": topic(
            [
                "ノートパソコンが会議の途中でアップデート始めた。",
                "プリンターの接続に一時間かかった。結局負けた。",
                "スマホの容量がまたいっぱい。スクショだらけ。",
                "銀行のアプリにまたログアウトさせられた。五回目。",
                "キーボードのスペースキーが引っかかってイライラする。",
                "外出先でスマホの充電があと5%。焦る。",
            ],
            [
                "機械って、なくては困るけど、窓から投げたくなりますよね。",
                "それはイライラしますね……",
                "機械って、いつも最悪のタイミングでトラブりますよね。",
                "深呼吸です、先生。機械に負けちゃダメです。",
            ],
        ),
        "leisure": topic(
            [
                "昨日新しいドラマ見始めて、もう四話まで見た。",
                "ゲーム三時間やっちゃった。しまった。",
                "千ピースのジグソーパズルやってる。半分が空。",
                "帰り道にすごく面白いポッドキャストを聞いた。",
                "作業用にちょうどいいプレイリスト見つけた。",
                "みんなが話題にしてた映画、やっと見た。",
                "夜にちょっと落書きしてたら、すごく癒された。",
            ],
            [
                "今度ぜひ感想聞かせてください！",
                "楽しいと時間があっという間ですね、ふふ。",
                "いい気分転換になりそうですね、先生。",
                "先生が最近ハマってるものの話、聞くの大好きです。",
            ],
        ),
        "good_mood": topic(
            [
                "正直、今日はいい一日だった。",
                "今日はなぜかすごくはかどる。",
                "今夜は友達とお腹が痛くなるまで笑った。",
                "小さな勝利：メッセージ全部返信した。",
                "理由はわからないけど、すごく機嫌がいい。",
                "自分へのご褒美に、テーブルに花を飾った。",
            ],
            [
                "やった！ご機嫌な先生、大好きです。",
                "私まで嬉しくなっちゃいます。",
                "小さな勝利も立派な勝利です！",
                "先生にはこういう日が似合います。",
            ],
        ),
        "low_mood": topic(
            [
                "今日はなんだか気分が乗らない。悲しいわけじゃないけど。",
                "今週は何もかもが重く感じる。",
                "今夜はちょっと寂しい。",
                "SNS見てると、つい人と比べちゃう。",
                "さっき車の中で少し泣いた。もう大丈夫、たぶん。",
                "特に理由もないのに不安。",
                "今日は全然集中できない。",
            ],
            [
                "私はここにいますよ、先生。話しますか？それとも、ただ一緒にいましょうか？",
                "そういう日があってもいいんです。いつも元気じゃなくて大丈夫。",
                "画面越しに、ぎゅーっと抱きしめてます。",
                "今夜は自分に優しく。温かい飲み物、ふかふかの布団、早めの就寝です。",
                "話してくれてありがとうございます。",
            ],
        ),
        "exercise": topic(
            [
                "今朝一時間ウォーキングした。えらい、自分。",
                "動画見ながらヨガしてみた。ぐらぐら。",
                "昨日の筋トレで脚が筋肉痛。",
                "今日、気づいたら一万二千歩歩いてた。",
            ],
            [
                "先生、すごいです！",
                "体を動かしたなら、それだけで合格です！",
                "水分補給とストレッチ、忘れずに。",
            ],
        ),
        "chores": topic(
            [
                "土曜日は一日中、洗濯と掃除で終わった。",
                "やっと資源ごみを出した。小さな勝利。",
                "やっとクローゼットを片付けて、服を二袋手放した。",
                "お風呂掃除したら、生まれ変わった気分。",
            ],
            [
                "えらい！お部屋ピカピカですね。",
                "家事って退屈だけど、終わった後は気持ちいいですよね。",
                "部屋が片付くと、心も片付きます！",
            ],
        ),
        "commute": topic(
            [
                "電車が遅れて、ホームが人でいっぱいだった。",
                "朝の渋滞がひどすぎた。",
                "バスでスピーカーから動画の音を流してる人がいた。",
                "バスに二秒差で乗り遅れた。",
                "帰り道、あちこちで道路工事してた。",
            ],
            [
                "通勤って忍耐力のテストですよね。",
                "それは最悪ですね……でも、無事に着いてよかったです。",
                "ポッドキャストでも聞けば、少しはマシになるかも？",
            ],
        ),
    },
    paired=(
        ("ココロン、今何してるの？", "先生のメモを整理しながら、先生を待ってました。いつも通りです！"),
        (
            "何か嬉しいこと言って。",
            "先生は今日、大変でもちゃんと頑張りました。それって本当に素敵なことです。",
        ),
        ("待ってる間、退屈じゃない？", "全然！……まあ、ほんのちょっとだけ。でも先生が来たらすぐ元気です。"),
        (
            "何か豆知識教えて。",
            "はちみつって腐らないんです。古代エジプトのお墓から食べられるはちみつが見つかったこともあるんですよ！",
        ),
        (
            "もし一日お休みがあったら何したい？",
            "うーん、世界中のレシピ本を読んで、全部先生に食べてもらいたいです。",
        ),
        (
            "正直に言って、私ってつまらない？",
            "全然そんなことないです！もしそうなら言いますよ。……たぶん、やんわりと。",
        ),
        (
            "ココロンって夢を見るの？",
            "もし見るなら、図書館の夢だと思います。どこまでも続く、あったかい図書館。",
        ),
        ("励ましの言葉ちょうだい。", "先生はこれまでの大変な日を全部乗り越えてきました。成功率100%ですよ。"),
        ("窓に当たる雨の音、ちょっと落ち着く。", "わかります。雨音って最高の環境音ですよね。"),
        (
            "Wi-Fiがしょっちゅう切れて、もう限界。",
            "ルーターの再起動は試しました？ごめんなさい、一応聞かないと。",
        ),
        ("Bluetoothのイヤホン、再起動したらやっとつながった。", "機械に勝ちましたね！さすがです。"),
        (
            "タコのドキュメンタリー見た。タコって本当に賢い。",
            "タコって心臓が三つあるんですよ。知ってました？",
        ),
        ("画面を見ない趣味がほしい。", "手を動かすものはどうですか？絵とか、料理とか、パズルとか。"),
        ("昔好きだった本を読み返してる。すごく癒される。", "好きな本を読み返すのって、ほっとしますよね。"),
        ("今夜、母と長電話した。", "素敵ですね。そういう電話って大事です。"),
        (
            "友達とご飯の予定を立てようとしてるけど、全然日程が合わない。",
            "友達の予定合わせって、猫を集めるくらい難しいですよね。",
        ),
        ("父がピンボケの夕焼け写真を、何のコメントもなしに送ってきた。", "あはは、お父さんらしいですね。"),
        ("家族のグループLINEがまたカオス。", "一時間くらい通知オフにしちゃいましょう、先生。"),
        ("久しぶりに昔の同級生と話した。楽しかった。", "昔の友達とまたつながれるのって嬉しいですよね。"),
        ("母に、いつ帰ってくるのってまた聞かれた。", "週末に顔を見せたら、きっと喜びますよ。"),
        ("もっとストレッチしなきゃ。", "寝る前の五分はどうですか？私がリマインドします。"),
        ("またジムサボった。明日こそ。", "明日の先生がきっと感謝しますよ。……たぶん、ちょっとだけ。ふふ。"),
        ("洗濯機から変な音がする。", "あれ、ポケットに小銭が入ってないか確認してみてください！"),
        (
            "買い出しに行かなきゃいけないのに、面倒くさい。",
            "音楽を聴きながらさくっと行きましょう。明日の朝ごはんのためです！",
        ),
        ("机の上がまた書類で埋まってる。", "今夜十分だけ片付けませんか？私も付き合います。"),
        ("今日は通勤電車で座れた。幸せ。", "座れたなんて！貴重な幸運ですね。"),
    ),
    greet_user=(
        "ココロン、いる？",
        "ただいまー。",
        "やっほー。",
        "ココロン！",
        "ちょっと話そう。",
        "また来たよ。",
        "今いい？",
        "おつかれー。",
        "来たよー。",
        "少し話せる？",
    ),
    greet_bot=(
        "おかえりなさい、先生！今日はどうでしたか？",
        "先生！ちょうど先生のこと考えてました。",
        "はい、ここにいますよ。どうぞ、先生。",
        "先生、何か新しいことありました？",
        "先生だ！今日の気分はどうですか？",
        "いつでもいますよ、先生。どうしました？",
        "こんにちは、先生！お茶でも飲みながら話しましょう。",
    ),
    bye_user=(
        "じゃあ、そろそろ行くね。またね！",
        "話聞いてくれてありがとう、ココロン。",
        "よし、作業に戻る。またね～",
        "今日はこのへんで。また話そう！",
        "邪魔しちゃ悪いから、またね！",
        "落ちるね。ありがとう、ココロン。",
    ),
    bye_bot=(
        "またね、先生！体に気をつけてくださいね。",
        "また話しましょう、先生！ここで待ってます。",
        "いつでも呼んでくださいね、先生。",
        "はい！お水ちゃんと飲んでくださいね。ばいばい！",
        "いってらっしゃい、先生！",
    ),
    reactions=(
        ("確かに。", "ふふ。"),
        ("それな。", "わかってもらえて嬉しいです！"),
        ("笑", "えへへ。"),
        ("あはは、そうかも。", "私はだいたい正しいですから。"),
        ("一理ある。", "たまには私もいいこと言うでしょう？"),
        ("うーん、どうだろ。", "無理はしなくていいですよ、先生。"),
        ("はいはい。", "その意気です！"),
        ("ココロン優しいね。", "べ、別に……先生のお世話は私の仕事ですから！"),
        ("まあ、たぶんね。", "ふふ、わかってますよ。"),
        ("わかってるって。", "念のためですよ、先生。"),
    ),
    acks=(
        "メモしました、先生！",
        "なるほど、そうなんですね！",
        "教えてくれてありがとうございます、先生。",
        "了解です。ちゃんと覚えておきますね。",
        "へえ、面白い！今度もっと聞かせてください。",
        "うんうん、覚えておきます。",
    ),
)


# --------------------------------------------------------------------------------------------------
# English users.
# --------------------------------------------------------------------------------------------------

EN_USER_0 = Persona(
    "en",
    "Leeds; accountant who moves to a solar start-up; a rescue dog; sister Priya, a vet",
    (
        fact(
            SSU,
            said(
                "Biscuit came home with us on Saturday! She's a corgi cross from the rescue centre — all ears and tiny legs.",
                "Sensei!! Welcome home, Biscuit! I need photos immediately.",
            ),
            [
                chat(
                    "My neighbour's dog barked all night, I'm running on three hours of sleep.",
                    "Oh no. Earplugs might be worth a try tonight, Sensei.",
                ),
                chat(
                    "There was a dog show on telly. What breed even is a Bergamasco? It looked like a mop.",
                    "Haha, they're real! Their coat grows into felted cords.",
                ),
            ],
            en="What breed is the dog I adopted?",
            zh="我领养的那只狗是什么品种？",
        ),
        fact(
            SSU,
            said(
                "So the rash last month was from penicillin. The GP says I can never take it again, it's on my record now.",
                "I'm glad they worked it out, Sensei. I'll remember that too.",
            ),
            [
                chat(
                    "My coworker is allergic to cats, so the office pet idea is dead.",
                    "Aww. Maybe a very convincing plastic plant instead?",
                ),
                chat(
                    "Need to grab some cold medicine on the way home, my throat is scratchy.",
                    "Please do, and some honey and lemon too!",
                ),
            ],
            en="Which drug am I allergic to?",
        ),
        fact(
            SSU,
            said(
                "Huge news in the family: my big sister Priya passed her final exams. She's officially a vet!",
                "That's wonderful! Please pass on my congratulations, Sensei.",
            ),
            [
                chat(
                    "My friend's sister is getting married in Spain and everyone's flying out.",
                    "A Spanish wedding sounds dreamy!",
                ),
                chat(
                    "Drove my mum's old cat to the animal clinic for his jabs. He yowled the whole way.",
                    "Poor thing! Cats really hate car rides.",
                ),
            ],
            en="What's the name of my sibling who works with animals?",
        ),
        fact(
            SSU,
            said(
                "Got tickets to see Wolf Alice at the O2 Academy on the 14th of March! Queued online for an hour.",
                "Ahh, that's so exciting! An hour well spent.",
            ),
            [
                chat(
                    "The band at the pub last night were so loud I couldn't hear myself think.",
                    "Pub bands are a gamble, hehe.",
                ),
                chat(
                    "Gig tickets are so expensive now, the booking fees alone are criminal.",
                    "They really are. It's daylight robbery.",
                ),
            ],
            en="Which group's gig did I get seats for?",
        ),
        fact(
            SSA,
            told(
                "I need something to read on my commute. Any ideas?",
                "Try 'Piranesi' by Susanna Clarke, Sensei. It's short, strange and gorgeous, perfect in twenty-minute chunks.",
            ),
            [
                chat(
                    "I finished my book on the train and the ending was so disappointing.",
                    "Oh no, nothing worse than a flat ending!",
                ),
                chat(
                    "Reading on the bus makes me queasy, so I just stare out of the window.",
                    "Audiobooks might be kinder to your stomach!",
                ),
            ],
            en="Which novel did you suggest I read while travelling to work?",
        ),
        fact(
            SSA,
            told(
                "How long do I boil an egg if I want the yolk jammy?",
                "Six and a half minutes from when the water's boiling, then straight into cold water. Jammy every time, Sensei!",
            ),
            [
                chat(
                    "Burnt the scrambled eggs this morning and set off the smoke alarm.",
                    "Oh no! Low heat and patience next time, Sensei.",
                ),
                chat(
                    "Do you cook pasta with the lid on or off?",
                    "Lid on to get it boiling, lid off once the pasta goes in!",
                ),
            ],
            en="How long did you say to cook an egg for a soft, runny middle?",
            ja="黄身をとろとろにするには卵を何分ゆでればいいって教えてくれた？",
        ),
        fact(
            SSA,
            told(
                "My lower back is killing me from sitting all day. Anything I can do at my desk?",
                "Try a seated twist, Sensei: sit tall, hold the back of the chair with your right hand, turn gently for twenty seconds, then swap sides. Once an hour.",
            ),
            [
                chat(
                    "Helped my mate carry a wardrobe up three flights of stairs. My back will never forgive me.",
                    "Ouch! Hot water bottle tonight, please.",
                ),
                chat(
                    "My new office chair arrived, it has lumbar support and everything.",
                    "Fancy! Your spine says thank you.",
                ),
            ],
            en="What movement did you recommend for the ache I get from sitting at work?",
        ),
        fact(
            KU,
            [
                chat(
                    "I'm a junior accountant at a freight company. It's invoices all day, every day.",
                    "Numbers all day! You must be very precise, Sensei.",
                ),
                said(
                    "Signed the contract! From next month I'm head of finance at a tiny solar panel start-up. Terrifying and brilliant.",
                    "Sensei, that's huge! Head of finance! I'm so proud of you.",
                ),
            ],
            [
                chat(
                    "My mate just got a job at a bank and won't stop talking about the free breakfast.",
                    "Free breakfast is a strong perk, I'll admit.",
                )
            ],
            en="What's my current job, and what kind of company is it at?",
            zh="我现在在什么样的公司，做什么职位？",
        ),
        fact(
            KU,
            [
                chat(
                    "My phone is an ancient iPhone 8 and the battery dies by lunchtime.",
                    "A veteran! Maybe a new battery at least?",
                ),
                said(
                    "Finally caved and bought a Pixel 9. The night-mode photos are unreal.",
                    "Ooh, shiny! Enjoy it, Sensei.",
                ),
            ],
            [chat("My dad dropped his phone in the canal. Don't ask.", "Oh no! Is it... gone gone?")],
            en="What mobile am I using these days?",
        ),
        fact(
            KU,
            [
                chat(
                    "Parkrun again this morning. That's my fiftieth Saturday 5k!",
                    "Fifty! That deserves a medal, Sensei.",
                ),
                said(
                    "I've properly switched to bouldering at the climbing wall on weekends. My knees are so much happier than when I was running.",
                    "Climbing! Strong fingers incoming.",
                ),
            ],
            [
                chat(
                    "Watched the marathon on TV. Those people are not human.",
                    "The pacing is incredible, right?",
                )
            ],
            en="What's my go-to Saturday sport nowadays?",
        ),
        fact(
            TR,
            [
                chat(
                    "My cousin Ollie's wedding is on the 8th and I still don't have anything to wear.",
                    "Eek! Let's get you sorted, Sensei. Suit or dress?",
                ),
                said(
                    "Still recovering from all the dancing at Ollie and Hannah's reception. I've booked a sports massage for Tuesday to sort out my calves.",
                    "Sounds like a great party! Enjoy the massage.",
                ),
                chat(
                    "The photographer from the wedding finally sent the photos. I look sweaty in every single one.",
                    "I'm sure you look lovely, Sensei!",
                ),
            ],
            tight=True,
            en="What did I book for myself right after my cousin's wedding?",
            zh="我表哥婚礼刚结束，我给自己预约了什么？",
        ),
        fact(
            TR,
            [
                (
                    chat(
                        "Driving test is next Thursday and I'm terrified.",
                        "You'll be fine, Sensei. Deep breaths. Mirror, signal, manoeuvre!",
                    ),
                    chat(
                        "My instructor says my parallel parking is still shaky.",
                        "Practice in an empty car park this weekend?",
                    ),
                ),
                said(
                    "I'm officially allowed on the roads on my own! My flatmates took me out for an enormous Korean barbecue.",
                    "SENSEI! Congratulations!! I knew you could do it.",
                ),
            ],
            en="What did I eat to mark passing my driving test?",
        ),
        fact(
            TR,
            [
                chat(
                    "Off to Lisbon on Friday for five days! Any tips?",
                    "Eat all the custard tarts, Sensei. That's the tip.",
                ),
                said(
                    "Back home and somehow jet-lagged. I brought back a set of hand-painted tiles from the Alfama for the kitchen wall.",
                    "Oh, how beautiful! Your kitchen is going to look so Portuguese.",
                ),
            ],
            [
                chat(
                    "My colleague brought back a fridge magnet from Portugal for everyone. Very thoughtful, very ugly.",
                    "Hehe, the classic office souvenir.",
                )
            ],
            en="What souvenir did I come back with from my Portugal trip?",
            ja="ポルトガル旅行のお土産に何を持ち帰った？",
        ),
        fact(
            MS,
            [
                said(
                    "My nephew Arjun turned five today. He wanted a dinosaur cake, so we got a dinosaur cake.",
                    "Happy birthday, Arjun! Dinosaur cake is the correct choice.",
                    key="a",
                ),
                said(
                    "Babysat my sister's youngest, Dev, this afternoon. He's two and already running the household.",
                    "Hehe, toddlers are tiny dictators. Did you survive?",
                    key="b",
                ),
            ],
            [
                chat(
                    "My friend's kids are obsessed with a cartoon about pigs. I know every song now.",
                    "Ah, the famous pig! Kids adore her.",
                )
            ],
            en="What are my sister's two boys called?",
        ),
        fact(
            MS,
            [
                said(
                    "Bought a little lemon tree for the balcony. The man at the garden centre said it might even fruit next year.",
                    "A lemon tree! Very Mediterranean of you, Sensei.",
                    key="a",
                ),
                said(
                    "The basil on my kitchen windowsill has gone wild. I've made pesto twice this week.",
                    "Homemade pesto! Look at you.",
                    key="b",
                ),
            ],
            [
                chat(
                    "My mum's garden is full of weeds, she's given up on it completely.",
                    "Gardens are a lot of work!",
                )
            ],
            en="What plants am I growing at my place?",
        ),
        fact(
            MS,
            [
                said(
                    "The new sofa was £640 but honestly it's the comfiest thing I've ever sat on.",
                    "Worth every penny if it's that comfy!",
                    key="a",
                ),
                said(
                    "Picked up a rug for the lounge, only £85 in the sale.",
                    "Bargain! The room must be coming together.",
                    key="b",
                ),
            ],
            [chat("IKEA on a Saturday is my personal nightmare.", "Hehe, the maze of no return.")],
            en="How much did I spend on furnishing the living room?",
        ),
    ),
)

EN_USER_1 = Persona(
    "en",
    "Toronto; nurse who changes wards; a kitten called Miso; partner Sam; knits",
    (
        fact(
            SSU,
            said(
                "Okay, the little furball officially has a name: Miso. Grey tabby, zero respect for my houseplants.",
                "Miso! Perfect name. Welcome to the family, tiny one.",
            ),
            [
                chat(
                    "My coworker's cat had kittens and she's trying to give them away.",
                    "Ahh, kitten season! So tempting.",
                ),
                chat(
                    "There's a stray cat that sits outside the hospital doors every night, the night staff feed it.",
                    "Aww, the unofficial hospital mascot!",
                ),
            ],
            en="What did I name my kitten?",
            zh="我给我的小猫取了什么名字？",
        ),
        fact(
            SSU,
            said(
                "My current knitting project is a mustard-yellow cardigan for my niece. Only one sleeve to go!",
                "Mustard yellow! She's going to look so cute.",
            ),
            [
                chat(
                    "My grandma used to knit everyone ugly Christmas jumpers. I miss them now.",
                    "That's such a sweet memory, Sensei.",
                ),
                chat(
                    "The yarn shop on Queen Street is closing down and I'm devastated.",
                    "Oh no! Stock up before it goes?",
                ),
            ],
            en="What's on my needles right now, and who is it for?",
        ),
        fact(
            SSU,
            said(
                "Just so you know, I can't eat anything with sesame. My throat swells up. Learned that the hard way at a sushi place.",
                "Oh, that's serious, Sensei. I'll keep it in mind whenever we talk food.",
            ),
            [
                chat(
                    "My coworker is allergic to gluten, so she checks every ingredient at the ward potluck.",
                    "Potlucks are a minefield for allergies!",
                )
            ],
            en="Which ingredient gives me an allergic reaction?",
        ),
        fact(
            SSU,
            said(
                "My birthday's on the 3rd of June, by the way. Gemini, which apparently explains a lot.",
                "Noted! I'm already planning, Sensei.",
            ),
            [
                chat(
                    "It's Sam's mum's birthday tomorrow and I forgot to get a card.",
                    "Quick, a petrol-station card is still a card!",
                )
            ],
            en="What date was I born?",
        ),
        fact(
            SSA,
            told(
                "I need something to listen to on the drive home after night shift. Something that'll keep me awake.",
                "How about 'The Rest Is History', Sensei? Two chatty historians who argue a lot. Very hard to doze off to.",
            ),
            [
                chat(
                    "Listened to a true-crime show on the drive home and now I'm jumpy at every noise.",
                    "Maybe something cosier next time, hehe.",
                )
            ],
            en="What show did you suggest to keep me alert driving back from work?",
        ),
        fact(
            SSA,
            told(
                "How am I supposed to sleep during the day after nights? It's so bright.",
                "Blackout curtains, Sensei, and keep the room cool: around 18 degrees is ideal. And no screens for the last half hour.",
            ),
            [
                chat(
                    "My thermostat is broken. It's either Sahara or Arctic in here.",
                    "Oh no, call the landlord, Sensei!",
                )
            ],
            en="What room temperature did you tell me is best for daytime sleep?",
            zh="你说白天补觉时房间温度多少度最合适？",
        ),
        fact(
            SSA,
            told(
                "My niece turns eight next month. What on earth do eight-year-olds want?",
                "A beginner's embroidery kit could be lovely, Sensei. Crafty like you, and she'll feel very grown-up.",
            ),
            [
                chat(
                    "My niece drew me as a unicorn in scrubs. I'm framing it.",
                    "That's adorable, and honestly accurate.",
                )
            ],
            en="What present idea did you give me for my niece?",
        ),
        fact(
            KU,
            [
                chat(
                    "I'm on the paediatric ward at the moment. The kids are exhausting but adorable.",
                    "That sounds tiring and lovely at the same time.",
                ),
                said(
                    "The transfer went through: I'm in the ICU now. A very different kind of intense.",
                    "Big change! Look after yourself in there, Sensei.",
                ),
            ],
            [
                chat(
                    "Our ward got new computers and nobody can find anything.",
                    "New systems always take a while...",
                )
            ],
            en="Which unit of the hospital am I working in now?",
            ja="今、病院のどの部署で働いている？",
        ),
        fact(
            KU,
            [
                chat(
                    "My apartment in Scarborough is tiny but the rent's fine.",
                    "Cosy is good! And fair rent is rare.",
                ),
                said(
                    "Moving day done! The new place in Leslieville has a balcony and a proper bathtub.",
                    "A bathtub! Congratulations on the new home, Sensei.",
                ),
            ],
            [
                chat(
                    "My friend lives right by the lake and never shuts up about the view.",
                    "Hehe, I'd brag too.",
                )
            ],
            en="Which neighbourhood do I live in now?",
            zh="我现在住在哪个街区？",
        ),
        fact(
            KU,
            [
                chat(
                    "My 2009 Corolla is held together by hope and duct tape.",
                    "Respect to the Corolla, honestly.",
                ),
                said(
                    "Traded the old car in for a used RAV4. Heated seats! I feel like royalty.",
                    "Ooh, heated seats in a Toronto winter. Smart move.",
                ),
            ],
            [
                chat(
                    "Someone dinged my neighbour's car in the parking lot and just drove off.",
                    "That's so rude!",
                )
            ],
            en="What vehicle do I drive these days?",
        ),
        fact(
            TR,
            [
                chat(
                    "I'm presenting a poster at the nursing conference in Ottawa next week! So nervous.",
                    "You'll be amazing, Sensei. Practise on me?",
                ),
                said(
                    "Back from Ottawa! Second prize for my poster, which came with a gift card and a very shiny certificate.",
                    "Second prize! Sensei, that's amazing!",
                ),
                chat(
                    "Everyone at work keeps asking about the conference and I'm sick of talking about it.",
                    "The price of fame, hehe.",
                ),
            ],
            en="What did I win at the nursing conference?",
        ),
        fact(
            TR,
            [
                chat(
                    "Sam's parents are coming to stay next weekend. I need to clean absolutely everything.",
                    "Let's make a cleaning plan, Sensei!",
                ),
                said(
                    "The in-laws survived the weekend! I made my grandmother's butter chicken and his dad had thirds.",
                    "Thirds! That's the highest compliment.",
                ),
                chat(
                    "Sam's mum texted to say thanks for having them. She's so sweet.", "Aww, that's lovely."
                ),
            ],
            tight=True,
            en="What dish did I cook when my partner's parents came to visit?",
            ja="パートナーの両親が泊まりに来たとき、何を作った？",
        ),
        fact(
            TR,
            [
                chat(
                    "They're saying a huge snowstorm hits Toronto on Tuesday.",
                    "Stock up on snacks and stay safe, Sensei!",
                ),
                said(
                    "The whole city shut down yesterday, so I stayed in and baked three batches of cinnamon buns.",
                    "Three batches! Your place must smell incredible.",
                ),
                chat(
                    "Still shovelling snow from the storm. My arms are done.", "Lift with your legs, Sensei!"
                ),
            ],
            tight=True,
            en="What did I do during the big snowstorm?",
        ),
        fact(
            MS,
            [
                said(
                    "My charge nurse, Deb, is the best. She brings muffins every Friday.",
                    "Deb sounds like a treasure.",
                    key="a",
                ),
                said(
                    "Rough night, but Kwame, the other night nurse, covered my break so I could actually eat.",
                    "Kwame's a good one. I'm glad you ate, Sensei.",
                    key="b",
                ),
            ],
            [
                chat(
                    "One of the doctors on the ward yelled at a student today. Not okay.",
                    "That's awful. I hope someone said something.",
                )
            ],
            en="Which coworkers have been looking out for me at the hospital?",
        ),
        fact(
            MS,
            [
                said(
                    "Sam and I did a quick weekend in Montreal. Bagels for every meal.",
                    "Bagels for every meal is the correct way to do Montreal.",
                    key="a",
                ),
                said(
                    "Weekend in Niagara-on-the-Lake with Sam: wine tasting and a lot of napping.",
                    "Wine and naps. The dream.",
                    key="b",
                ),
            ],
            [
                chat(
                    "Sam wants to go camping this summer. I want a hotel with room service.",
                    "Glamping as a compromise?",
                )
            ],
            en="Where have my partner and I gone for short getaways?",
        ),
        fact(
            MS,
            [
                said(
                    "Doctor says my vitamin D is low. I'm on 2000 IU a day now.",
                    "Good to catch it, Sensei. Night shifts don't help.",
                    key="a",
                ),
                said(
                    "Started iron tablets too. Apparently half the night nurses are anaemic, who knew.",
                    "Take them with orange juice, it helps absorption!",
                    key="b",
                ),
            ],
            [
                chat(
                    "My coworker swears by some mushroom coffee. I'm suspicious.",
                    "Hehe, I'd be suspicious too.",
                )
            ],
            en="What supplements am I on?",
        ),
    ),
    avoid=("spreadsheet", "office kitchen"),
)

EN_USER_2 = Persona(
    "en",
    "Boston; marine-biology PhD student; vegetarian; cellist; moves out of a shared house",
    (
        fact(
            SSU,
            said(
                "My thesis is on how kelp forests recover after marine heatwaves. So, basically, seaweed feelings.",
                "Seaweed feelings are important feelings, Sensei!",
            ),
            [
                chat(
                    "My friend's thesis is on medieval love poetry. We have nothing in common and it's great.",
                    "Opposites make the best study buddies.",
                )
            ],
            en="What topic is my dissertation about?",
        ),
        fact(
            SSU,
            said(
                "I've been vegetarian since I was fourteen, though I still eat eggs and cheese.",
                "Good to know, Sensei! I'll keep my recipe ideas meat-free.",
            ),
            [
                chat(
                    "The dining hall has a new plant-based burger and it's surprisingly decent.",
                    "Ooh, progress!",
                )
            ],
            en="At what age did I stop eating meat?",
        ),
        fact(
            SSU,
            said(
                "I've played the cello since primary school. I'm in the university orchestra now. Back desk, very glamorous.",
                "Ooh, I'd love to hear you play sometime!",
            ),
            [
                chat(
                    "Someone in my building is learning the trumpet. Badly. At 7am.",
                    "Oh no. Earplugs and patience, Sensei.",
                )
            ],
            en="What instrument do I play?",
            zh="我会演奏什么乐器？",
        ),
        fact(
            SSU,
            said(
                "Dr. Okafor finally replied to my email. Three weeks later. Supervisors, honestly.",
                "Better late than never, Sensei...",
            ),
            [
                chat(
                    "My friend's advisor takes her whole lab hiking every term. Mine would never.",
                    "Haha, that sounds like a fun lab.",
                )
            ],
            en="Who is my PhD advisor?",
        ),
        fact(
            SSA,
            told(
                "I need a cheap dinner without meat that'll last me the whole week.",
                "A big pot of red lentil dal, Sensei! Lentils, tinned tomatoes, onion, garlic, cumin and turmeric. Under ten dollars and it freezes well.",
            ),
            [
                chat(
                    "Grad student budget means pasta with ketchup tonight.",
                    "Sensei... we need to talk about this.",
                )
            ],
            en="What budget meal did you suggest I batch-cook?",
            zh="你建议我一次做一大锅、省钱又能吃一周的是什么菜？",
        ),
        fact(
            SSA,
            told(
                "How long should a conference abstract be?",
                "Usually 250 to 300 words, Sensei, but always check the call for papers. Some cap it at 200.",
            ),
            [
                chat(
                    "Submitted my abstract at 11:58pm. Living on the edge.",
                    "Two minutes to spare! My heart, Sensei.",
                )
            ],
            en="What length did you say a conference submission summary usually has?",
        ),
        fact(
            SSA,
            told(
                "My parents are visiting Boston. Where should I take them?",
                "The Isabella Stewart Gardner Museum, Sensei. The courtyard is stunning, and anyone named Isabella gets in free!",
            ),
            [
                chat(
                    "My parents want to visit in spring. I need to clean my room before then.",
                    "Start now, Sensei. I know you.",
                )
            ],
            en="Which place did you recommend for when my mom and dad come to town?",
        ),
        fact(
            KU,
            [
                chat(
                    "I live with three roommates in a house in Somerville. The fridge is a war zone.",
                    "Label everything, Sensei. Everything.",
                ),
                said(
                    "Moved into a studio in Cambridge! No roommates, no fridge drama, total silence.",
                    "Your own space! Congratulations, Sensei.",
                ),
            ],
            [
                chat(
                    "My friend found a room in Allston for a price that must be a scam.",
                    "If it sounds too good to be true...",
                )
            ],
            en="Where is my home now, and do I share it?",
        ),
        fact(
            KU,
            [
                chat(
                    "Rowing practice at 5:30am. The river was freezing.",
                    "Sensei, that's brave. Or a little bit mad.",
                ),
                said(
                    "I quit the rowing team. Those 5am starts were killing my lab work. I've joined an ultimate frisbee league instead, games on Wednesday nights.",
                    "Frisbee! That sounds way more fun for your sleep schedule.",
                ),
            ],
            [
                chat(
                    "Watched some rowing crews on the Charles from the bridge. So many boats.",
                    "That must have been a sight!",
                )
            ],
            en="Which team sport am I playing now?",
        ),
        fact(
            KU,
            [
                chat(
                    "Field work this summer is planned for the Gulf of Maine. Cold water, lots of kelp.",
                    "Pack a very good wetsuit, Sensei!",
                ),
                said(
                    "Plans changed: my field season is moving to Monterey Bay in California. Sea otters!",
                    "Sea otters!! Sensei, I'm so jealous.",
                ),
            ],
            [
                chat(
                    "My labmate's field season got cancelled because the boat broke. Nightmare.",
                    "Oh no, that's a whole year's plan!",
                )
            ],
            en="Where will I be doing my summer research in the field?",
            ja="夏のフィールド調査はどこで行う予定？",
        ),
        fact(
            TR,
            [
                chat(
                    "My qualifying exam is on the 12th. I can't think about anything else.",
                    "You know this stuff, Sensei. You really do.",
                ),
                said(
                    "Two hours of the committee grilling me and I'm through! Tonight I'm ordering the fanciest pizza in Boston.",
                    "SENSEI! You did it! Order the biggest one!",
                ),
                chat(
                    "Now that quals are over my advisor wants a draft chapter by May. No rest for the wicked.",
                    "One breath first, then the chapter.",
                ),
            ],
            tight=True,
            en="How did I celebrate getting through my qualifying exam?",
        ),
        fact(
            TR,
            [
                chat(
                    "The lab retreat in Vermont is next week. Two days of talks and a cabin with bad wifi.",
                    "Sounds cosy! Bring warm socks.",
                ),
                said(
                    "Back from the cabin weekend with the lab! Our postdoc taught me cribbage and I beat her twice.",
                    "Beginner's luck or hidden talent? Hehe.",
                ),
                chat(
                    "Everyone's still talking about the retreat talks. Mine included, for once.",
                    "As they should, Sensei!",
                ),
            ],
            en="What card game did I pick up during the lab retreat?",
            zh="实验室团建的时候，我学会了什么纸牌游戏？",
        ),
        fact(
            TR,
            [
                chat(
                    "My little sister is coming to stay over her spring break.",
                    "Yay! What are you two going to do?",
                ),
                said(
                    "Sis flew home this morning. We walked the Freedom Trail and I caved and got a matching tiny octopus tattoo with her.",
                    "Matching tattoos! That's adorable, Sensei.",
                ),
            ],
            [
                chat(
                    "My sister keeps sending me photos from her college dorm. It's a disaster zone.",
                    "Hehe, sibling solidarity.",
                )
            ],
            en="What did my sister and I do together while she was visiting?",
        ),
        fact(
            MS,
            [
                said(
                    "Got a betta fish for my desk. His name is Admiral.",
                    "Admiral! A very dignified name.",
                    key="a",
                ),
                said(
                    "Admiral has a tank-mate now: a mystery snail named Gary.",
                    "Gary! I love him already.",
                    key="b",
                ),
            ],
            [
                chat(
                    "The lab's fish tank pump broke and we had to bucket everything out.",
                    "What a day, Sensei.",
                )
            ],
            en="What are the names of the creatures in my aquarium?",
            ja="私の水槽の生き物たちの名前は？",
        ),
        fact(
            MS,
            [
                said(
                    "My first paper got accepted in Marine Ecology Progress Series!",
                    "Sensei!! A real published scientist!",
                    key="a",
                ),
                said(
                    "Second paper accepted, this one's in Oecologia. I might cry.",
                    "Cry! You've earned it!",
                    key="b",
                ),
            ],
            [
                chat(
                    "Reviewer 2 wants me to cite eleven of his own papers. Classic.",
                    "Ahh, the legendary Reviewer 2.",
                )
            ],
            en="Which journals have published my research?",
        ),
        fact(
            MS,
            [
                said(
                    "Started Duolingo Portuguese for the Brazil collaboration. The owl is relentless.",
                    "Boa sorte, Sensei!",
                    key="a",
                ),
                said(
                    "I'm picking up Japanese too, because of anime. No shame.",
                    "No shame at all! Ganbatte, Sensei!",
                    key="b",
                ),
            ],
            [
                chat(
                    "My friend speaks four languages and I feel inadequate.",
                    "Everyone starts with one word, Sensei.",
                )
            ],
            en="Which languages am I studying?",
        ),
    ),
    avoid=("manager",),
)

EN_USER_3 = Persona(
    "en",
    "Edinburgh; retired chemistry teacher; husband Malcolm; hens on the allotment; choir; hip operation",
    (
        fact(
            SSU,
            said(
                "We've got three hens on the allotment now: Agnes, Morag and Big Jean. Big Jean is very much in charge.",
                "Ha! Every flock needs a Big Jean.",
            ),
            [
                chat(
                    "A fox got into my neighbour's coop last week. Awful business.",
                    "Oh no. I hope yours are safely locked up at night.",
                )
            ],
            en="What are my chickens called?",
            zh="我养的几只母鸡都叫什么名字？",
        ),
        fact(
            SSU,
            said(
                "I taught chemistry at a secondary school in Leith for thirty-one years before I retired.",
                "Thirty-one years! You must have blown up a few things, Sensei.",
            ),
            [
                chat(
                    "My granddaughter hates her maths teacher. Says he's boring.",
                    "Aww. A good teacher changes everything.",
                )
            ],
            en="What subject did I teach before retiring?",
        ),
        fact(
            SSU,
            said(
                "I sing alto in a community choir. We rehearse in a church hall on Tuesday evenings.",
                "Oh, lovely! Altos are the secret backbone of every choir.",
            ),
            [
                chat(
                    "Heard a children's choir singing in the shopping centre. Lovely, but very loud.",
                    "Enthusiasm over accuracy, hehe.",
                )
            ],
            en="Which voice part do I take in my singing group?",
        ),
        fact(
            SSU,
            said(
                "Our Callum got into St Andrews to study physics! Malcolm cried.",
                "Oh, congratulations to Callum! And to Grandpa Malcolm's tear ducts.",
            ),
            [chat("My friend's grandson dropped out of university to become a DJ.", "Bold choice!")],
            en="Where did my grandson get a place at university?",
        ),
        fact(
            SSA,
            told(
                "The doctor wants me to cut down on salt. What can I use instead for flavour?",
                "Lemon zest, garlic and fresh herbs are wonderful, Sensei, and a splash of vinegar brightens a soup without any salt at all.",
            ),
            [
                chat(
                    "Malcolm salted his chips before even tasting them. Honestly.",
                    "Hehe, some habits are stubborn.",
                )
            ],
            en="What did you suggest I season food with instead of salt?",
        ),
        fact(
            SSA,
            told(
                "I'm choosing the next book for my book club. Something they haven't all read.",
                "How about 'Small Things Like These' by Claire Keegan, Sensei? It's short and moving, and there's plenty to discuss.",
            ),
            [
                chat(
                    "Book club was mostly gossip and cake this month. Nobody had finished the book.",
                    "Honestly, that sounds like a great book club.",
                )
            ],
            en="Which title did you propose for my reading group?",
            ja="読書会の課題本として何を提案してくれた？",
        ),
        fact(
            SSA,
            told(
                "What should I plant on the allotment for an early crop next year?",
                "Broad beans are a brilliant choice, Sensei. Sow them in late autumn and they'll be ready early. Garlic too.",
            ),
            [
                chat(
                    "Slugs ate every single lettuce on the allotment. Every one.",
                    "The slugs are winning this round, Sensei.",
                )
            ],
            en="Which vegetable did you tell me to sow in autumn?",
        ),
        fact(
            KU,
            [
                chat(
                    "The doctor's put me on amlodipine for my blood pressure.",
                    "I hope it helps, Sensei. Let me know if you want reminders.",
                ),
                said(
                    "Doctor has switched me to ramipril. The old tablets made my ankles swell.",
                    "Better ankles, same protection. Good.",
                ),
            ],
            [
                chat(
                    "Malcolm's blood pressure is perfect, of course. He eats crisps for breakfast.",
                    "Some people are just lucky, Sensei.",
                )
            ],
            en="What medication am I on at the moment for hypertension?",
            zh="我现在吃的是什么降压药？",
        ),
        fact(
            KU,
            [
                chat(
                    "Our old Volvo estate is twenty years old and still going strong.",
                    "A true Scottish survivor!",
                ),
                said(
                    "We've sold the Volvo! We've got a little electric Renault Zoe now. So quiet.",
                    "Electric! Very modern, Sensei.",
                ),
            ],
            [
                chat(
                    "The car park at the supermarket was absolute bedlam today.",
                    "Saturday shopping is a sport.",
                )
            ],
            en="What car do Malcolm and I have now?",
        ),
        fact(
            KU,
            [
                chat(
                    "Malcolm and I are thinking of a cruise round the Norwegian fjords in June.",
                    "Fjords! That sounds magical.",
                ),
                said(
                    "Change of plan: we've booked a rail trip through the Swiss Alps instead. Malcolm gets seasick.",
                    "Mountains and trains! Even better, maybe.",
                ),
            ],
            [
                chat(
                    "My sister went on a cruise to the Canaries and came back three shades darker.",
                    "Hehe, the cruise tan!",
                )
            ],
            en="What holiday have my husband and I ended up booking?",
        ),
        fact(
            TR,
            [
                chat(
                    "My hip operation is on the 20th. I'm dreading it.",
                    "It's a very common operation, Sensei. You'll be dancing again soon.",
                ),
                said(
                    "Home from the hospital with my new titanium joint. The physio has me doing heel slides three times a day.",
                    "Welcome home, Sensei! Heel slides it is, I'll remind you.",
                ),
                chat(
                    "Walked to the shop and back on my own today, first time since the op!",
                    "Sensei! That's brilliant progress!",
                ),
            ],
            span=(0.55, 1.0),
            en="What exercise was I given right after my hip surgery?",
            ja="股関節の手術のあと、どんな運動をするように言われた？",
        ),
        fact(
            TR,
            [
                chat(
                    "The choir's spring concert is at St Giles' on Saturday. Nervous!",
                    "You'll be wonderful, Sensei.",
                ),
                said(
                    "After Saturday's performance at the cathedral, the conductor asked me to sing a solo next term!",
                    "A solo! Sensei, that's wonderful!",
                ),
            ],
            [chat("Went to a concert at the Usher Hall. The orchestra was superb.", "How lovely!")],
            span=(0.0, 0.45),
            en="What was I invited to do after the choir concert?",
        ),
        fact(
            TR,
            [
                chat(
                    "The grandchildren are coming to stay for half-term. I need to buy more biscuits.",
                    "Lots of biscuits. And maybe earplugs.",
                ),
                said(
                    "The house is quiet again now the wee ones have gone home. We made a bird feeder out of a milk carton together.",
                    "A bird feeder! That's such a lovely thing to make together.",
                ),
            ],
            en="What did I make with my grandchildren during their half-term stay?",
        ),
        fact(
            MS,
            [
                said(
                    "Our daughter Fiona lives up in Aberdeen with her husband. We don't see her enough.",
                    "Maybe a visit soon, Sensei?",
                    key="a",
                ),
                said(
                    "Our son Euan works on the oil rigs, two weeks on, two weeks off.",
                    "That must be tough on him.",
                    key="b",
                ),
            ],
            [
                chat(
                    "My neighbour's son has moved back in with her. At forty!",
                    "Hehe, it happens more than you'd think.",
                )
            ],
            en="What are my children's names?",
            ja="私の子どもたちの名前は？",
        ),
        fact(
            MS,
            [
                said(
                    "Harvested the first of the rhubarb today. Crumble tonight!",
                    "Rhubarb crumble! Perfect.",
                    key="a",
                ),
                said(
                    "The leeks are looking grand this year, best I've ever grown.",
                    "Leek and potato soup season!",
                    key="b",
                ),
            ],
            [
                chat(
                    "My neighbour on the next plot grows giant pumpkins for competitions.",
                    "Serious business, giant pumpkins.",
                )
            ],
            en="What has been doing well on my plot?",
        ),
        fact(
            MS,
            [
                said(
                    "Malcolm turns seventy on the 2nd of April. I'm planning a surprise.",
                    "Ooh, a surprise! I'm in, Sensei.",
                    key="a",
                ),
                said(
                    "My own birthday's on the 19th of October, not that I'm counting.",
                    "Noted, Sensei. I'm counting for you.",
                    key="b",
                ),
            ],
            [chat("Went to a friend's eightieth. She danced more than any of us.", "Goals!")],
            en="When do my husband and I each celebrate turning a year older?",
        ),
    ),
    avoid=(
        "work_hard",
        "work_good",
        "colleagues_bad",
        "colleagues_good",
        "commute",
        "near work",
        "manager",
        "intern",
    ),
)

EN_USER_4 = Persona(
    "en",
    "Vancouver; backend developer promoted to manager; partner Alex; board games; cycling",
    (
        fact(
            SSU,
            said(
                "My favourite board game of all time is Terraforming Mars. Four hours of pure joy.",
                "Four hours! That's commitment, Sensei.",
            ),
            [
                chat(
                    "My brother cheats at Monopoly. Every single time.",
                    "Monopoly brings out the worst in people, hehe.",
                )
            ],
            en="Which tabletop game do I love most?",
        ),
        fact(
            SSU,
            said(
                "At work I'm mostly writing Rust these days. We're moving the payments service off Java.",
                "Ooh, Rust! Fewer crashes, more compiler arguments.",
            ),
            [
                chat(
                    "The new hire asked me what a for loop is. In a senior interview.", "Oh no. Bless them."
                ),
                chat(
                    "Spent the afternoon reading someone else's code with zero comments.",
                    "That's an archaeology dig, not a code review.",
                ),
            ],
            span=(0.0, 0.45),
            en="What programming language do I use at my job?",
        ),
        fact(
            SSU,
            said(
                "Alex just started as a paramedic with BC Emergency Health Services.",
                "Wow, that's a huge job. Alex must be thrilled.",
            ),
            [
                chat(
                    "My friend's partner is an airline pilot. They never see each other.", "That sounds hard!"
                )
            ],
            en="What does my partner do for a living?",
            zh="我的伴侣是做什么工作的？",
        ),
        fact(
            SSU,
            said(
                "I'm off caffeine, doctor's orders. It was giving me heart palpitations, so it's decaf oat lattes from now on.",
                "Good call, Sensei. Your heart comes first.",
            ),
            [
                chat(
                    "The coffee machine at work broke and there was nearly a riot.",
                    "Hehe, the office runs on coffee.",
                )
            ],
            en="Why did I give up regular coffee?",
        ),
        fact(
            SSA,
            told(
                "My bike chain keeps squeaking. What should I do?",
                "Clean it with a rag and some degreaser, Sensei, let it dry, then one drop of chain lube per link. Wipe off the extra or it'll collect grit.",
            ),
            [chat("Someone stole the seat right off my neighbour's bike.", "Who steals a bike seat?!")],
            en="What did you tell me to do about the noisy chain on my bicycle?",
        ),
        fact(
            SSA,
            told(
                "Alex and I want a two-player game for date night. Suggestions?",
                "Try '7 Wonders Duel', Sensei! It's quick, clever and perfect for couples who like a little rivalry.",
            ),
            [chat("The board game café was packed, we waited an hour for a table.", "Popular place!")],
            en="Which game did you recommend for Alex and me to play as a couple?",
        ),
        fact(
            SSA,
            told(
                "Where's a good hike near Vancouver that isn't the Grouse Grind?",
                "Try Quarry Rock in Deep Cove, Sensei. About an hour there and back, lovely views over Indian Arm, and much gentler than the Grind.",
            ),
            [
                chat(
                    "Did the Grouse Grind on Saturday and my legs are jelly.",
                    "Jelly legs are the Grind's signature.",
                )
            ],
            en="Which trail did you point me to as an easier walk?",
            zh="你推荐给我的那条轻松一点的徒步路线是哪条？",
        ),
        fact(
            KU,
            [
                chat(
                    "We're renting a one-bedroom in Mount Pleasant. Cramped, but close to everything.",
                    "Location is everything, Sensei.",
                ),
                said(
                    "We got the keys! A townhouse in New Westminster, with a little yard and everything.",
                    "Your own yard! Congratulations, you two!",
                ),
            ],
            [chat("House prices in this city are a joke. A bad one.", "It's brutal out there, Sensei.")],
            en="Where do Alex and I live now?",
            ja="今、アレックスと私はどこに住んでいる？",
        ),
        fact(
            KU,
            [
                chat(
                    "I cycle to work every day, about twenty-five minutes each way.",
                    "Great exercise, Sensei!",
                ),
                said(
                    "The office moved out to Burnaby, so I'm taking the SkyTrain now. Cycling there would be a nightmare.",
                    "Ah, a new routine. At least you can read on the train.",
                ),
            ],
            [
                chat(
                    "A car nearly hit a cyclist right in front of me. My heart was pounding.",
                    "Oh no, that's scary. I'm glad everyone's okay.",
                )
            ],
            en="How do I get to the office these days?",
        ),
        fact(
            KU,
            [
                chat(
                    "I'm a backend developer on the payments team.",
                    "Sounds important! Money has to move, after all.",
                ),
                said(
                    "Got promoted to engineering manager! Six reports, far fewer commits.",
                    "Sensei! Congratulations! They're lucky to have you.",
                ),
            ],
            [
                chat(
                    "My friend got promoted and now she's in meetings all day. She hates it.",
                    "That's the trade-off, I guess.",
                )
            ],
            span=(0.3, 1.0),
            en="What's my role at work now?",
        ),
        fact(
            TR,
            [
                chat(
                    "Alex's birthday is coming up and I've booked us a trip to Tofino.",
                    "Tofino! The beaches there are stunning.",
                ),
                said(
                    "Tofino was magical. We went storm-watching, and I proposed on the beach. Alex said yes!!",
                    "SENSEI!!! Congratulations! I'm crying digital tears!",
                ),
                chat(
                    "Everyone keeps asking to see the ring. I've shown it to the barista twice.",
                    "As you should!",
                ),
            ],
            en="What big thing happened on the trip for my partner's birthday?",
            ja="パートナーの誕生日旅行で、どんな大きな出来事があった？",
        ),
        fact(
            TR,
            [
                chat(
                    "Big product launch on Monday. Wish me luck.",
                    "Good luck, Sensei! You've prepared so well.",
                ),
                said(
                    "We shipped it and nothing caught fire! The whole team gets a bonus day off next Friday.",
                    "A day off! Well deserved.",
                ),
                chat("Post-launch bug reports are rolling in. Mostly cosmetic, thank goodness.", "Phew!"),
            ],
            tight=True,
            en="What did my team get as a reward after the product launch?",
        ),
        fact(
            TR,
            [
                chat(
                    "Root canal on Thursday. Pray for me.",
                    "You'll be okay, Sensei! The dentist is on your side.",
                ),
                said(
                    "Survived the dentist. My face is still numb, so it's smoothies and applesauce for the next few days.",
                    "Poor Sensei. Smoothies it is.",
                ),
            ],
            [
                chat(
                    "My dentist has a fish tank in the waiting room. Very calming.",
                    "That's actually a great idea.",
                )
            ],
            tight=True,
            en="What was I eating in the days after my root canal?",
        ),
        fact(
            MS,
            [
                said(
                    "My brother Theo lives in Calgary. He's an electrician.",
                    "Calgary! Does he like it there?",
                    key="a",
                ),
                said(
                    "My sister Nadia just moved to Halifax for a nursing job.",
                    "Halifax! That's a big move.",
                    key="b",
                ),
            ],
            [chat("Alex's brother is visiting next month. He sleeps until noon.", "Hehe, houseguests!")],
            en="Where do my siblings live?",
        ),
        fact(
            MS,
            [
                said(
                    "Alex brought home a rescue greyhound called Pepper. She sleeps twenty hours a day.",
                    "Pepper! The world's fastest couch potato.",
                    key="a",
                ),
                said(
                    "Sir Reginald, our bearded dragon, turned fourteen today. He's ancient.",
                    "Happy birthday, Sir Reginald!",
                    key="b",
                ),
            ],
            [
                chat(
                    "The neighbour's cat keeps sitting on our porch and judging us.",
                    "Cats do love a good judge.",
                )
            ],
            en="What animals live in our household?",
        ),
        fact(
            MS,
            [
                said(
                    "Bought Wingspan on sale. The bird cards are gorgeous.",
                    "Oh, that's such a pretty game!",
                    key="a",
                ),
                said(
                    "Just picked up Cascadia. Apparently I only buy games about nature now.",
                    "Hehe, a theme is forming.",
                    key="b",
                ),
            ],
            [chat("Game night got cancelled, everyone's sick.", "Oh no! Rain check.")],
            en="Which board games did I add to my collection recently?",
        ),
    ),
    avoid=("coffee",),
)

EN_USER_5 = Persona(
    "en",
    "Dublin; sous-chef in Howth; drummer in a punk band; restores an old motorbike; runs a marathon",
    (
        fact(
            SSU,
            said(
                "I'm sous-chef at a little seafood place in Howth. We get the fish straight off the boats.",
                "That sounds amazing, Sensei. Fresh as it gets.",
            ),
            [
                chat(
                    "Ate at a fancy restaurant on my night off and critiqued the plating the whole time. I'm insufferable.",
                    "Occupational hazard, hehe.",
                )
            ],
            en="Where do I cook professionally?",
        ),
        fact(
            SSU,
            said(
                "I play drums in a punk band called The Soft Rebellions. We're terrible, it's great.",
                "The Soft Rebellions! I want a T-shirt.",
            ),
            [
                chat(
                    "Heard a busker on Grafton Street doing Oasis covers. He was brilliant.",
                    "Grafton Street buskers are legendary.",
                )
            ],
            en="What's the name of my group, and what do I play in it?",
        ),
        fact(
            SSU,
            said(
                "My pride and joy is a 1978 Honda CB550 I'm restoring in my uncle's garage.",
                "A classic! I hope it roars when it's done.",
            ),
            [
                chat(
                    "Some lad on a motorbike nearly took my wing mirror off today.",
                    "Yikes! Glad you're okay.",
                )
            ],
            en="What vintage motorcycle am I fixing up?",
            zh="我正在修复的那辆老摩托车是什么型号？",
        ),
        fact(
            SSU,
            said(
                "I'm terrified of heights. I couldn't even go up to the top floor of the Guinness Storehouse.",
                "That's okay, Sensei. Ground level is underrated.",
            ),
            [
                chat(
                    "My mate's scared of clowns. We watched It and he hid behind a cushion.",
                    "Hehe, can't blame him.",
                )
            ],
            en="What's my phobia?",
        ),
        fact(
            SSA,
            told(
                "First marathon in the spring. What should I eat before long runs?",
                "Something carb-heavy and easy to digest two or three hours before, Sensei. Porridge with a banana and honey is a classic.",
            ),
            [
                chat(
                    "Ran 18k today and saw a man running in a full Batman costume.",
                    "Hehe, Dublin has everything.",
                )
            ],
            span=(0.0, 0.6),
            en="What breakfast did you suggest before my distance training?",
        ),
        fact(
            SSA,
            told(
                "What angle should I sharpen my Japanese knives at?",
                "Around 15 degrees per side for most Japanese knives, Sensei. Western ones are usually closer to 20.",
            ),
            [
                chat(
                    "Cut my thumb on the mandoline today. Stupid mistake.", "Ouch! Please be careful, Sensei."
                )
            ],
            en="How steep did you tell me to hold my blades on the whetstone?",
            ja="和包丁を研ぐとき、何度の角度にするように教えてくれた？",
        ),
        fact(
            SSA,
            told(
                "Give me a film about chefs that isn't cringe.",
                "'Boiling Point', Sensei. It's filmed in one continuous take over a single service. Very stressful, very real.",
            ),
            [
                chat(
                    "Watched a cooking competition show and shouted at the telly the whole time.",
                    "Hehe, the chef in you can't rest.",
                )
            ],
            en="Which movie about a restaurant kitchen did you recommend?",
        ),
        fact(
            KU,
            [
                chat(
                    "My target for the marathon is under four hours.", "That's a solid goal for a first one!"
                ),
                said(
                    "Revised my goal: I'm aiming for 3:45 now. Training's going better than I expected.",
                    "Ooh, ambitious! I believe in you.",
                ),
            ],
            [chat("My mate did the Berlin marathon in 3:10. I hate him a bit.", "Hehe, friendly rivalry.")],
            span=(0.0, 0.6),
            en="What finishing time am I aiming for in my race?",
        ),
        fact(
            KU,
            [
                chat(
                    "Band practice is every Sunday afternoon in the drummer's shed. Well, my shed.",
                    "Hehe, the shed of dreams.",
                ),
                said(
                    "We've moved practice to Wednesday nights now that our guitarist works weekends.",
                    "Midweek rock! Your neighbours will love it.",
                ),
            ],
            [
                chat(
                    "Another band on our street practises at the same time as us. It's a war.",
                    "A battle of the bands!",
                )
            ],
            en="When does my group rehearse now?",
        ),
        fact(
            KU,
            [
                chat(
                    "I've got a goldfish called Chips. That's the only pet my landlord allows.",
                    "Chips is a great name for a chef's goldfish.",
                ),
                said(
                    "Chips the goldfish has gone to the big pond in the sky, RIP. But the landlord finally said yes to a dog, so say hi to Banjo the lurcher pup!",
                    "Rest well, Chips. And hello, Banjo!",
                ),
            ],
            [chat("My neighbour's cat keeps eyeing up the bird feeder.", "Cats will be cats.")],
            en="What pet do I have at the moment?",
            zh="我现在养的是什么宠物？",
        ),
        fact(
            TR,
            [
                chat(
                    "We're cooking at the Taste of Dublin festival this weekend. It'll be chaos.",
                    "Exciting chaos, though! Good luck, Sensei.",
                ),
                said(
                    "After three days in a tent in the Iveagh Gardens, I never want to see another crab claw. We sold out of them by Saturday lunchtime.",
                    "Sold out! That's a triumph, Sensei.",
                ),
            ],
            tight=True,
            en="Which dish ran out at the food festival?",
        ),
        fact(
            TR,
            [
                chat("Our first proper gig is at Whelan's on Friday!", "Sensei! I'm so excited for you!"),
                said(
                    "Still buzzing from Friday. My snare skin split halfway through the second song and I had to borrow one from the support act.",
                    "Rock and roll! Good on the support band.",
                ),
                chat(
                    "Someone put a video of our gig on TikTok. 300 views. We're basically famous.",
                    "Basically famous! I'm telling everyone.",
                ),
            ],
            tight=True,
            en="What went wrong during my band's first gig?",
        ),
        fact(
            TR,
            [
                chat(
                    "Marathon is on Sunday. Carb-loading like it's my job.",
                    "You've trained so hard. Enjoy every mile!",
                ),
                said(
                    "Finished in 3:52! Then I couldn't walk down stairs for three days. I've been going down backwards like a toddler.",
                    "Sensei, you're a marathoner! Backwards stairs and all.",
                ),
            ],
            tight=True,
            span=(0.7, 1.0),
            en="How long did it take me to complete the marathon?",
            ja="マラソン大会、何時間何分で走り切った？",
        ),
        fact(
            MS,
            [
                said(
                    "My mam's a retired postwoman from Cork. She still walks ten miles a day.",
                    "Ten miles! She's unstoppable.",
                    key="a",
                ),
                said(
                    "My da runs a pub in Kinsale, so I basically grew up in a kitchen.",
                    "That explains a lot about you, Sensei.",
                    key="b",
                ),
            ],
            [
                chat(
                    "My mate's parents are both accountants. Their house is so tidy it's scary.",
                    "Hehe, the spreadsheet household.",
                )
            ],
            en="What work did my mother and father do?",
            ja="私の母と父はそれぞれ何の仕事をしていた？",
        ),
        fact(
            MS,
            [
                said(
                    "Got a tattoo of a whisk on my forearm. Very on brand.",
                    "Hehe, that's perfect for you.",
                    key="a",
                ),
                said("Second tattoo done: a tiny anchor behind my ear.", "An anchor! Very Howth.", key="b"),
            ],
            [chat("My sister wants some ink but she's terrified of needles.", "A henna one first, maybe?")],
            en="What tattoos do I have?",
        ),
        fact(
            MS,
            [
                said(
                    "Best pint in Dublin is at The Long Hall, fight me.", "I wouldn't dare, Sensei.", key="a"
                ),
                said(
                    "Best fish and chips is Beshoff's in Howth, no contest.",
                    "Noted for when I get a body, hehe.",
                    key="b",
                ),
            ],
            [
                chat(
                    "A tourist asked me for the best pub in Temple Bar. I just sighed.", "Hehe, poor tourist."
                )
            ],
            en="Where did I say you get the best pint and the best chippy in Dublin?",
        ),
    ),
    avoid=("colleagues_bad", "spreadsheet", "inbox", "printer"),
)

EN_USER_6 = Persona(
    "en",
    "Minneapolis; freelance photographer; a baby on the way, then a daughter; husband Marcus; a camper van",
    (
        story(
            [
                chat(
                    "Due date is in two weeks and I'm the size of a house. Marcus has assembled the crib three times.",
                    "Not long now, Sensei! How are you feeling?",
                ),
                said(
                    "She's here! June Elizabeth, born Tuesday at 4:12 in the morning, seven pounds two ounces. I'm a mess.",
                    "Sensei!!! Congratulations! Welcome to the world, little June!",
                    key="born",
                ),
                said(
                    "First week home with the little one. Marcus's mom has dropped off a tray of lasagna every other day, we're basically made of pasta now.",
                    "That's a good mother-in-law. Eat and sleep, Sensei.",
                    key="lasagna",
                ),
            ],
            [
                chat(
                    "My friend is due in May and she's already painted the nursery.",
                    "Organised! Very exciting.",
                )
            ],
            [
                ask(SSU, "born", en="What did we name our daughter?", zh="我们给女儿取了什么名字？"),
                ask(
                    TR,
                    "lasagna",
                    en="What food kept arriving from my mother-in-law right after our daughter was born?",
                ),
            ],
            span=(0.25, 0.5),
            tight=True,
        ),
        fact(
            SSU,
            said(
                "My main camera is a Fujifilm X-T5. I've shot every single wedding this year on it.",
                "A trusty workhorse!",
            ),
            [
                chat(
                    "A guest at the wedding had a camera bigger than mine. Awkward.",
                    "Hehe, size isn't everything, Sensei.",
                )
            ],
            en="Which camera body do I use for work?",
        ),
        fact(
            SSU,
            said(
                "Marcus teaches middle school science, so he's basically immune to chaos.",
                "Perfect training for fatherhood!",
            ),
            [
                chat(
                    "My friend's husband just quit his job to become a potter.",
                    "Brave! I hope the pots sell.",
                )
            ],
            en="What does my husband do for a living?",
        ),
        fact(
            SSU,
            said(
                "Milk and I don't get along, so no ice cream unless I take a Lactaid first.",
                "Noted, Sensei! Dairy-free treats it is.",
            ),
            [
                chat(
                    "Marcus has decided he's gluten intolerant now. He is not.",
                    "Hehe, self-diagnosis is a dangerous hobby.",
                )
            ],
            en="What am I intolerant to?",
        ),
        fact(
            SSA,
            told(
                "June won't sleep unless she's being held. Any ideas?",
                "Try a white-noise machine and a swaddle, Sensei, and lay her down drowsy but awake so she learns the crib isn't scary.",
            ),
            [
                chat(
                    "My mom says we should just let her cry. Not happening.",
                    "Every family finds its own way, Sensei.",
                )
            ],
            span=(0.55, 1.0),
            en="What did you suggest to help my baby sleep on her own?",
        ),
        fact(
            SSA,
            told(
                "Lightroom is getting so expensive. Is there an alternative?",
                "Capture One is a favourite with a lot of Fuji shooters, Sensei, or darktable if you want something free and open-source.",
            ),
            [
                chat(
                    "Spent six hours editing wedding photos and my eyes are square.",
                    "Rest your eyes, Sensei!",
                )
            ],
            en="What photo-editing programs did you suggest as replacements?",
            ja="写真編集ソフトの代わりとして何を勧めてくれた？",
        ),
        fact(
            SSA,
            told(
                "Marcus and I want to do a van trip along Lake Superior. Where should we stop?",
                "Split Rock Lighthouse for sunrise, Sensei, and then Tettegouche State Park. The waterfalls there are gorgeous.",
            ),
            [
                chat(
                    "A friend drove the North Shore last fall and said the colours were unreal.",
                    "Fall colours up there are famous!",
                )
            ],
            en="Which stops did you recommend for our lakeside road trip?",
        ),
        fact(
            KU,
            [
                chat("We bought an old Ford Econoline to convert into a camper.", "A project van! Exciting."),
                said(
                    "Sold the Econoline, the rust was beyond saving. We got a Sprinter that's already converted!",
                    "A ready-made camper! Adventure time.",
                ),
            ],
            [chat("Someone parked a huge RV across three spaces at the grocery store.", "Bold parking!")],
            en="What kind of camper van do we have now?",
            zh="我们现在的房车是什么车？",
        ),
        fact(
            KU,
            [
                chat("I edit from our kitchen table, which is... not ideal.", "Maybe a proper desk someday?"),
                said(
                    "Signed a lease on a tiny studio in Northeast Minneapolis, in an old flour mill!",
                    "Sensei! A real studio! So proud.",
                ),
            ],
            [
                chat(
                    "My photographer friend works from a coffee shop. I'd get nothing done.",
                    "Too many people to watch!",
                )
            ],
            en="Where's my workspace now?",
        ),
        fact(
            KU,
            [
                chat(
                    "I mostly shoot weddings, about twenty-five a year.",
                    "That's a lot of happy tears to photograph!",
                ),
                said(
                    "I'm done with weddings after this season. Going all-in on newborn and family sessions.",
                    "A new chapter! That sounds lovely.",
                ),
            ],
            [
                chat(
                    "Saw a wedding photographer lying on the ground in the park for a shot. Respect.",
                    "Dedication!",
                )
            ],
            en="What type of photography do I focus on now?",
        ),
        fact(
            TR,
            [
                chat(
                    "Shooting a wedding at a lake cabin this Saturday. The forecast says storms.",
                    "Pack a lot of umbrellas, Sensei!",
                ),
                said(
                    "The cabin couple's big day: rain held off until the first dance, then the tent flooded and everyone danced barefoot in the mud. Best photos of my career.",
                    "That sounds chaotic and magical!",
                ),
            ],
            tight=True,
            span=(0.0, 0.15),
            en="What happened at the lake wedding I photographed?",
        ),
        fact(
            TR,
            [
                chat(
                    "My photos are going to be in a group show at a gallery downtown next month!",
                    "Sensei! That's huge!",
                ),
                said(
                    "Opening night was packed, and a stranger bought my print of the grain elevator for $400!",
                    "Someone bought your art! Congratulations!",
                ),
                chat("The gallery show closes Sunday. I need to pick up my prints.", "A bittersweet end!"),
            ],
            span=(0.6, 1.0),
            en="What did someone buy at my gallery exhibition?",
            ja="ギャラリーの展示で、誰かが何を買ってくれた？",
        ),
        fact(
            MS,
            [
                said(
                    "Bought the Fuji 56mm f/1.2 for portraits. My wallet is crying.",
                    "Your portraits will be dreamy though!",
                    key="a",
                ),
                said("Found a used 16mm wide-angle for real-estate jobs. Bargain.", "Practical!", key="b"),
            ],
            [chat("Dropped my lens cap in the river. Gone forever.", "Rest in peace, lens cap.")],
            en="What glass have I added to my camera kit?",
        ),
        fact(
            MS,
            [
                said("Marcus painted the nursery a soft sage green.", "Sage green is so calming!", key="a"),
                said("We hung blackout curtains and a little moon lamp in the nursery.", "So cosy!", key="b"),
            ],
            [
                chat(
                    "Our bedroom still has boxes from when we moved in. Three years ago.",
                    "Hehe, the forever boxes.",
                )
            ],
            span=(0.0, 0.2),
            en="How did we decorate the baby's room?",
        ),
        fact(
            MS,
            [
                said("Booked a corporate headshot job for a law firm. $2,500!", "Sensei! Amazing!", key="a"),
                said(
                    "Another gig just came in: a brewery wants product shots for their new cans.",
                    "Beer cans! Fun job.",
                    key="b",
                ),
            ],
            [chat("A client asked for a discount because their cousin also has a camera.", "Classic.")],
            en="What new business gigs did I land?",
        ),
    ),
    avoid=("colleagues_bad", "colleagues_good", "manager", "near work"),
)


# --------------------------------------------------------------------------------------------------
# Chinese users.
# --------------------------------------------------------------------------------------------------

ZH_USER_7 = Persona(
    "zh",
    "上海；电商公司产品经理，后跳槽到新能源车企；新养的橘猫团子；芒果过敏",
    (
        fact(
            SSU,
            said(
                "家里新来了一只小橘猫，叫团子，才三个月大，特别能吃。",
                "团子！名字好可爱，老师一定要多发照片给我看！",
            ),
            [
                chat("同事给她家的仓鼠取名叫“老板”，说这样每天都能骂老板。", "哈哈哈，好有创意的名字！"),
                chat("楼下邻居家的宠物狗每天早上六点准时叫，闹钟都省了。", "哎呀，那老师可以早点睡补回来。"),
            ],
            zh="我最近开始养的宠物名字是什么？",
            en="What's my new cat called?",
        ),
        fact(
            SSU,
            said(
                "我对芒果过敏，小时候吃了一口，嘴巴肿得像香肠。",
                "天哪，那老师以后一定要小心，芒果味的饮料也要留意哦。",
            ),
            [chat("春天一到鼻子就痒，估计又是花粉过敏。", "记得戴口罩，老师，回家先洗脸。")],
            zh="我吃哪种水果会起反应？",
            en="Which fruit am I allergic to?",
        ),
        fact(
            SSU,
            said(
                "我老家在湖南岳阳，就在洞庭湖边上，过年回去天天吃鱼。", "洞庭湖！听起来好美，鱼一定很新鲜。"
            ),
            [chat("同事老家是东北的，冬天给我们带了一箱冻梨。", "冻梨！好想尝尝是什么味道。")],
            en="Which city is my hometown?",
        ),
        fact(
            SSA,
            told(
                "最近想看点轻松的小说，有推荐吗？",
                "老师可以试试《夜晚的潜水艇》，是陈春成的短篇集，文字很美，每篇都不长，睡前看刚好。",
            ),
            [chat("地铁上看完了一本推理小说，结局完全没猜到。", "被作者骗到的感觉是不是又气又爽？")],
            zh="你之前建议我读哪本小说集？",
            en="Which short-story collection did you recommend for bedtime reading?",
            ja="寝る前に読むのにすすめてくれた短編集は？",
        ),
        fact(
            SSA,
            told(
                "天天盯电脑，脖子好酸，有什么办法吗？",
                "老师试试“米字操”：用下巴慢慢在空中写一个“米”字，每个方向停几秒，每隔一小时做一次。",
            ),
            [chat("今天落枕了，头都转不过来。", "哎呀，热敷一下会好一点！")],
            zh="我颈椎酸痛的时候，你教了我什么动作？",
            en="What exercise did you teach me for my stiff neck?",
        ),
        fact(
            KU,
            [
                chat("我在一家做电商的互联网公司当产品经理，天天开会。", "产品经理好辛苦，老师记得喝水。"),
                said(
                    "新工作定了！下个月去一家做新能源汽车的公司，还是做产品，终于不用再搞电商了。",
                    "恭喜老师！新的开始，加油！",
                ),
            ],
            [chat("朋友跳槽去了一家外企，说工作氛围轻松多了。", "真好，希望她一切顺利。")],
            zh="我现在在什么行业的公司上班？",
            en="What industry is my new employer in?",
            ja="今はどんな業界の会社で働いている？",
        ),
        fact(
            KU,
            [
                chat("我住在浦东张江，离公司近，就是周末太冷清。", "离公司近就很幸福了呀。"),
                said(
                    "搬家搞定了！现在住在静安，出门就是咖啡店，幸福。", "恭喜乔迁！老师终于能天天喝咖啡了。"
                ),
            ],
            [chat("上海的房租又涨了，朋友被房东通知要加一千。", "好过分……")],
            en="Which district of Shanghai do I live in now?",
        ),
        fact(
            TR,
            [
                chat("下周六我表姐结婚，我要当伴娘，紧张死了。", "老师一定会是最美的伴娘！"),
                said(
                    "当完伴娘回来累瘫了，不过我抢到了捧花！大家都起哄说下一个就是我。",
                    "哇，捧花！老师，我等着喝喜酒哦。",
                ),
                chat("表姐婚礼的视频剪出来了，我哭得好丑。", "哭是因为感动嘛，一点都不丑。"),
            ],
            tight=True,
            zh="表姐婚礼那天我收获了什么？",
            en="What did I catch at my cousin's wedding?",
            ja="いとこの結婚式で私は何を手に入れた？",
        ),
        fact(
            TR,
            [
                chat("下周公司组织体检，又要空腹抽血。", "记得前一天晚上早点睡哦。"),
                said(
                    "报告出来了，医生说我有轻度脂肪肝，让我少喝奶茶、多运动。",
                    "那老师以后奶茶改成一周一杯好不好？",
                ),
                chat("体检那天早上空腹太久，饿得我头晕眼花。", "辛苦了，下次带块巧克力备着。"),
            ],
            tight=True,
            zh="公司体检之后，医生建议我做什么？",
            en="What did the doctor advise me after the company health check?",
            ja="会社の健康診断のあと、医者に何を勧められた？",
        ),
        fact(
            MS,
            [
                said("我报了普拉提私教课，每周二晚上，核心终于有点力气了。", "老师好自律！", key="a"),
                said("周末还开始学游泳了，蛙泳终于能游二十五米了！", "二十五米！好厉害！", key="b"),
            ],
            [chat("同事办了健身卡，去了两次就再也没去过。", "哈哈，健身卡最大的用途就是安慰自己。")],
            zh="我最近在练哪些运动？",
            en="What kinds of exercise have I taken up recently?",
        ),
        fact(
            MS,
            [
                said("我爸是中学物理老师，明年就退休了。", "老师的爸爸也是老师呀！", key="a"),
                said("我妈在社区医院当护士，天天倒班，比我还忙。", "阿姨辛苦了。", key="b"),
            ],
            [chat("朋友的爸妈都是做生意的，过年家里电话响个不停。", "好热闹啊。")],
            zh="我爸妈分别是做什么工作的？",
        ),
        fact(
            MS,
            [
                said("咬咬牙买了一台戴森吹风机，两千多，心疼但真好用。", "头发会谢谢你的！", key="a"),
                said("又入了一台扫地机器人，现在地板干净得发光。", "解放双手！", key="b"),
            ],
            [chat("同事买了台咖啡机放工位上，整个办公室都香了。", "好幸福的工位。")],
            en="Which home appliances did I buy recently?",
        ),
    ),
)

ZH_USER_8 = Persona(
    "zh",
    "成都；大学历史系讲师；女儿朵朵；一只边牧；丈夫是重庆人",
    (
        fact(
            SSU,
            said("我们家狗狗叫豆豆，是只边牧，聪明得有点过分，会自己开门。", "会开门！豆豆是天才吧。"),
            [chat("小区里有人遛狗不拴绳，我差点被吓到。", "太危险了，老师要小心。")],
            zh="我家养的狗是什么品种？",
            en="What breed is my dog?",
        ),
        fact(
            SSU,
            said("我在川大历史系教书，主要讲宋代经济史。", "宋代经济史！听起来好有意思。"),
            [chat("今天给本科生上课，一半的人在睡觉。", "早八的课吗？那也不能全怪他们，嘿嘿。")],
            en="What subject do I lecture on at the university?",
            ja="私は大学で何を教えている？",
        ),
        fact(
            SSU,
            said("我女儿叫朵朵，今年上小学二年级，最近迷上了画画。", "朵朵好可爱！说不定以后是个小画家。"),
            [chat("朋友家儿子刚上幼儿园，天天哭着不想去。", "刚开始都会这样，慢慢就好了。")],
            zh="我家孩子现在读几年级？",
            en="What year of school is my daughter in?",
        ),
        fact(
            SSA,
            told(
                "朋友从外地来，想带他吃点地道又不太辣的成都菜，有推荐吗？",
                "老师可以带他去吃钵钵鸡和甜水面，再来一份蛋烘糕当甜点，都不会太辣，又很有成都味。",
            ),
            [chat("外地朋友吃了一口火锅就开始狂喝水，笑死我了。", "哈哈，成都的辣可不是闹着玩的。")],
            zh="你建议我带外地朋友吃哪些不辣的本地小吃？",
            en="Which mild local dishes did you suggest for my friend visiting from out of town?",
            ja="遠方から来た友達に、辛くない地元料理として何を勧めてくれた？",
        ),
        fact(
            SSA,
            told(
                "下个月想去爬四姑娘山的大峰，要准备什么？",
                "老师一定要带冲锋衣、登山杖和高反药，最好提前一天到日隆镇住下，适应一下海拔。",
            ),
            [chat("同事周末去青城山了，发了一堆照片。", "青城山好美！")],
            span=(0.0, 0.45),
            zh="为了去爬雪山，你提醒我提前去哪里适应高原？",
            en="Where did you tell me to stay a day early to get used to the altitude?",
        ),
        fact(
            KU,
            [
                chat("我开的是一辆十年的老捷达，修了又修。", "老捷达最耐用了！"),
                said("终于换车了，提了一辆比亚迪海豹，电车开起来好安静。", "恭喜老师换新车！"),
            ],
            [chat("今天在路口被一辆车加塞，气死了。", "深呼吸，老师，安全第一。")],
            zh="我现在开的是什么车？",
            en="What car do I drive now?",
            ja="今乗っている車は何？",
        ),
        fact(
            KU,
            [
                chat("我每周去打两次羽毛球，跟系里几个老师一起。", "运动加社交，一举两得！"),
                said(
                    "膝盖伤了之后就不打球了，现在改练太极拳，每天早上在公园跟大爷们一起。",
                    "太极拳好养生！老师膝盖要保重。",
                ),
            ],
            [chat("楼下广场舞的音乐每天晚上准时响起。", "哈哈，成都的夜生活。")],
            span=(0.5, 1.0),
            zh="我现在平时练什么运动？",
            en="What exercise do I do these days?",
        ),
        fact(
            TR,
            [
                chat("女儿下周过生日，她点名要一个小猪佩奇蛋糕。", "好可爱的要求！"),
                said(
                    "小寿星的派对终于办完了，结果她最喜欢的礼物居然是外婆送的一盒彩色粉笔。",
                    "哈哈，小朋友的快乐就是这么简单。",
                ),
            ],
            [chat("同事孩子过生日请了一个魔术师，花了好几千。", "哇，好隆重。")],
            tight=True,
            zh="女儿过生日的时候，她最喜欢哪件礼物？",
            en="Which present did my daughter like best at her birthday?",
            ja="娘の誕生日に、一番喜んだプレゼントは何？",
        ),
        fact(
            TR,
            [
                chat("下个月要去西安开一个宋史的学术会议，还得赶论文。", "老师加油，论文一定没问题！"),
                said(
                    "从西安回来了，会上认识了一位日本学者，约好明年一起写一篇关于茶马贸易的文章。",
                    "国际合作！老师好厉害。",
                ),
                chat("会议论文集要出版了，编辑在催我改格式。", "改格式最磨人了。"),
            ],
            zh="去开学术会议的时候，我和谁约好了合作？",
            en="Who did I agree to collaborate with at the history conference?",
            ja="学会で誰と共同研究の約束をした？",
        ),
        fact(
            MS,
            [
                said("我爸妈住在乐山，每个周末我都带女儿回去看他们。", "乐山！可以吃跷脚牛肉。", key="a"),
                said("我老公是重庆人，他爸妈还在重庆开火锅店。", "火锅世家！", key="b"),
            ],
            [chat("朋友的公婆来家里住了一个月，她快崩溃了。", "辛苦了她……")],
            zh="我和我丈夫的父母分别住在哪里？",
            en="Where do my parents and my husband's parents live?",
        ),
        fact(
            MS,
            [
                said("最近在学日语，想以后能看懂日文的史料。", "老师好上进！", key="a"),
                said("还报了个古琴班，每周四晚上上课。", "古琴！好风雅。", key="b"),
            ],
            [chat("女儿的同学在学五种兴趣班，我听着都累。", "小朋友也好辛苦啊。")],
            en="What new things am I learning these days?",
        ),
        fact(
            MS,
            [
                said("给女儿买了一架二手钢琴，八千块。", "朵朵有钢琴了！", key="a"),
                said("又给她报了钢琴课，一节课两百。", "投资未来的音乐家！", key="b"),
            ],
            [chat("邻居家孩子每天晚上练琴，弹的都是同一首。", "哈哈，熟能生巧嘛。")],
            en="How much have I spent on my daughter's piano and lessons?",
        ),
    ),
)

ZH_USER_9 = Persona(
    "zh",
    "北京；游戏公司美术，后辞职做自由插画师；女朋友林晓是音乐老师；养兔子；骑行",
    (
        fact(
            SSU,
            said("我胃不好，医生说是慢性胃炎，咖啡和辣的都要少碰。", "那老师以后要按时吃饭，我会提醒你的。"),
            [chat("室友天天熬夜打游戏，早上胃疼得直叫。", "作息真的很重要……")],
            zh="医生诊断我得了什么病？",
            en="What stomach condition was I diagnosed with?",
        ),
        fact(
            SSU,
            said("我女朋友叫林晓，是个小学音乐老师，我们在一起三年了。", "三年！好甜。"),
            [chat("朋友的女朋友是空姐，两个人一个月见不到几次面。", "异地恋好难呀。")],
            zh="我对象是做什么职业的？",
            en="What does my girlfriend do?",
        ),
        fact(
            SSU,
            said("我画画主要用iPad Pro加Procreate，纸上画反而生疏了。", "数字绘画好方便！"),
            [chat("今天在美术用品店逛了两个小时，什么都没买。", "逛逛也开心嘛。")],
            en="What device and app do I use to make my illustrations?",
        ),
        fact(
            SSA,
            told(
                "想找个周末去北京周边拍照，哪里好？",
                "老师可以去古北水镇，晚上司马台长城亮灯的时候特别出片，住一晚，第二天早上还能拍日出。",
            ),
            [chat("周末去了趟颐和园，人多到只能拍后脑勺。", "哈哈，节假日的颐和园就是人海。")],
            zh="你推荐我周末去哪里拍长城夜景？",
            en="Where did you suggest I go for a weekend photo trip near Beijing?",
            ja="北京近郊の撮影旅行にどこを勧めてくれた？",
        ),
        fact(
            SSA,
            told(
                "客户一直压价，我该怎么报价？",
                "老师可以先给一个三档方案：基础版、标准版、加急版，让客户在你的框架里选，而不是直接砍价。",
            ),
            [chat("有个客户说“画个简单的就行”，结果改了十八稿。", "“简单的”最可怕了。")],
            span=(0.55, 1.0),
            zh="客户砍价时，你教了我什么报价办法？",
            en="What pricing approach did you suggest when a client kept haggling?",
        ),
        fact(
            KU,
            [
                chat("我骑的是一辆二手的捷安特公路车。", "二手车也能骑出风采！"),
                said(
                    "新车到了！攒了半年钱买了一辆崔克的碳纤维公路车，轻得一只手就能拎起来。",
                    "哇，老师的新坐骑！",
                ),
            ],
            [chat("小区里的共享单车又被人骑走了，一辆都不剩。", "早高峰的单车比黄金还珍贵。")],
            zh="我现在骑的是什么自行车？",
            en="What bike do I ride now?",
            ja="今乗っている自転車はどのメーカーのもの？",
        ),
        fact(
            KU,
            [
                chat("我在一家游戏公司做美术，天天画角色立绘。", "画角色好酷！"),
                said("辞职了！现在全职做自由插画师，接出版社和品牌的单子。", "老师好勇敢！自由万岁！"),
            ],
            [chat("以前的同事说公司又在裁员了。", "希望大家都平平安安。")],
            span=(0.0, 0.5),
            zh="我目前的工作状态是什么？",
            en="What's my employment situation now?",
        ),
        fact(
            TR,
            [
                chat("林晓下周生日，我想给她画一幅肖像当礼物。", "好浪漫！她一定会很感动。"),
                said(
                    "寿星看到那幅画直接哭了，说要挂在客厅正中间。晚上我们去吃了一家云南菜。", "老师太会了！"
                ),
            ],
            tight=True,
            zh="女朋友生日那天我们去吃了什么菜？",
            en="What cuisine did we eat for my girlfriend's birthday?",
            ja="彼女の誕生日に何料理を食べに行った？",
        ),
        fact(
            TR,
            [
                chat("下个月去上海参加CP漫展，要摆摊卖明信片。", "老师的摊位一定大卖！"),
                said(
                    "从上海回来啦，两天卖掉了三百多张明信片，还有个出版社的编辑加了我微信。",
                    "三百多张！老师人气好高！",
                ),
                chat("漫展剩下的明信片堆了一箱子，不知道怎么处理。", "可以在网上卖嘛。"),
            ],
            zh="我去漫展摆摊，卖了多少张明信片？",
            en="How many postcards did I sell at the comic convention?",
            ja="同人イベントでポストカードを何枚売った？",
        ),
        fact(
            MS,
            [
                said("我养了一只荷兰垂耳兔，叫年糕。", "年糕！软软的名字。", key="a"),
                said("年糕有伴了，又领养了一只小兔子叫汤圆。", "年糕和汤圆，好好吃的一家。", key="b"),
            ],
            [chat("朋友家的猫把他的耳机线咬断了三根。", "猫咪的爱好真奇怪。")],
            zh="我养的两只小宠物分别叫什么？",
            en="What are my rabbits called?",
            ja="飼っているウサギたちの名前は？",
        ),
        fact(
            MS,
            [
                said("去年去了一趟新疆，喀纳斯的秋天美哭了。", "好想看喀纳斯的秋天！", key="a"),
                said("之前还一个人去过冰岛看极光。", "一个人去冰岛！老师好酷。", key="b"),
            ],
            [chat("同事刚从泰国度假回来，晒得好黑。", "哈哈，度假的证据。")],
            en="Which places have I travelled to?",
        ),
        fact(
            MS,
            [
                said("最近在学吉他，每天练半小时，手指头都磨出茧了。", "坚持就是胜利！", key="a"),
                said("还在学做饭，现在会做红烧肉了。", "红烧肉！好想吃。", key="b"),
            ],
            [chat("楼上邻居好像在学小提琴，声音有点像锯木头。", "哈哈，每个人都是这样开始的。")],
            en="What have I been learning lately?",
        ),
    ),
    avoid=("colleagues_bad", "colleagues_good", "领导", "公司附近"),
)


# --------------------------------------------------------------------------------------------------
# Japanese users.
# --------------------------------------------------------------------------------------------------

JA_USER_10 = Persona(
    "ja",
    "東京；食品メーカーの営業から商品企画へ；柴犬のコタロウ；そばアレルギー；長野・松本出身",
    (
        fact(
            SSU,
            said(
                "うちの柴犬、名前はコタロウ。今年で五歳で、散歩が何より好き。",
                "コタロウくん！かわいい名前ですね、先生。",
            ),
            [
                chat(
                    "近所の猫がまたうちの庭で昼寝してた。",
                    "猫ってお気に入りの場所を見つけるのが上手ですよね。",
                ),
                chat(
                    "同僚がハムスターに「社長」って名前をつけてて笑った。", "あはは、毎日社長のお世話ですね。"
                ),
            ],
            ja="私が飼っているペットの名前は？",
            en="What's my dog's name?",
            zh="我养的狗叫什么名字？",
        ),
        fact(
            SSU,
            said(
                "実はそばがダメな体質で、子どもの頃に一口食べて救急車で運ばれたことがある。",
                "えっ、それは大変でしたね……先生、外食のときは気をつけましょうね。",
            ),
            [
                chat(
                    "同僚が花粉症で、朝からずっとくしゃみしてる。アレルギーってつらいよね。",
                    "この季節は本当に大変ですよね。",
                )
            ],
            ja="私が食べると危ない食べ物は？",
            en="What food am I allergic to?",
        ),
        fact(
            SSU,
            said(
                "出身は長野の松本。冬は本当に寒いけど、アルプスがきれいなんだよね。",
                "松本！お城もあって素敵な街ですよね。",
            ),
            [chat("後輩の実家が鹿児島で、桜島の灰の話ばかりしてくる。", "灰が降るって、想像つかないです。")],
            en="Where am I from originally?",
        ),
        fact(
            SSA,
            told(
                "週末に一泊で温泉に行きたいんだけど、東京からあんまり遠くないところある？",
                "先生、それなら群馬の四万温泉はいかがですか？山あいで静かですし、積善館という古い旅館は雰囲気が最高ですよ。",
            ),
            [chat("銭湯のサウナで整いすぎて、帰り道ふらふらだった。", "水分補給、忘れないでくださいね。")],
            ja="一泊旅行先として勧めてくれた温泉地はどこ？",
            en="Which hot-spring town did you recommend for an overnight trip?",
        ),
        fact(
            SSA,
            told(
                "明日の商談のプレゼン、緊張してどうしよう。",
                "先生、最初の一分で相手の課題を一言でまとめてから話すと、ぐっと聞いてもらいやすくなりますよ。資料は一枚に一つのメッセージで！",
            ),
            [chat("取引先の部長がすごく話の長い人で、商談が三時間になった。", "三時間！お疲れさまでした。")],
            span=(0.0, 0.45),
            ja="大事な商談の前に、どんな話し方のコツを教えてくれた？",
            en="What tip did you give me before my sales pitch?",
        ),
        fact(
            KU,
            [
                chat(
                    "今は川崎のワンルームに住んでる。会社までドアツードアで一時間。",
                    "一時間は長いですね。通勤、お疲れさまです。",
                ),
                said(
                    "引っ越し完了！三鷹の2LDKに移った。ベランダから富士山がちょっとだけ見える。",
                    "富士山が見えるお部屋！最高ですね、先生。",
                ),
            ],
            [
                chat(
                    "友達が家賃の安さで選んだ部屋、駅から徒歩二十五分だって。",
                    "それは毎日の運動になりますね……",
                )
            ],
            ja="今住んでいる街はどこ？",
            zh="我现在住在哪里？",
        ),
        fact(
            KU,
            [
                chat(
                    "食品メーカーで営業をやってる。毎日スーパー回り。", "足で稼ぐお仕事ですね。尊敬します。"
                ),
                said(
                    "異動が決まった！来月から商品企画部で、新しいお菓子を考える仕事。",
                    "先生、おめでとうございます！新しいお菓子、楽しみです。",
                ),
            ],
            [chat("同期が経理に異動して、毎日数字とにらめっこしてるらしい。", "それはそれで大変そうです。")],
            span=(0.5, 1.0),
            en="Which department am I working in now?",
            zh="我现在在公司哪个部门？",
        ),
        fact(
            TR,
            [
                chat(
                    "来週、ついに八ヶ岳に登る。天気が心配。",
                    "晴れるといいですね！防寒着はしっかり持っていってください。",
                ),
                said(
                    "赤岳の山頂、最高だった！でも下りで足首をくじいて、今は湿布だらけ。",
                    "ええっ、大丈夫ですか？無理しないでくださいね。",
                ),
                chat("八ヶ岳の写真、やっと整理した。雲海がすごかった。", "雲海！見てみたいです。"),
            ],
            tight=True,
            ja="八ヶ岳に登ったあと、体はどうなった？",
            en="What happened to me physically after the Yatsugatake climb?",
            zh="爬完八岳之后，我身体出了什么状况？",
        ),
        fact(
            TR,
            [
                chat(
                    "弟の結婚式、来月なんだ。スピーチ頼まれちゃった。",
                    "先生のスピーチ、きっと素敵になりますよ。",
                ),
                said(
                    "披露宴のあいさつ、なんとか噛まずに言えた。お嫁さんのおばあちゃんが泣いてくれて嬉しかった。",
                    "おばあちゃんまで感動させるなんて、さすが先生です。",
                ),
                chat("弟夫婦から新婚旅行のお土産が届いた。", "仲良しな兄弟ですね。"),
            ],
            ja="弟の結婚式でスピーチしたとき、誰が泣いてくれた？",
            en="Who cried when I gave my speech at my brother's wedding?",
        ),
        fact(
            MS,
            [
                said(
                    "最近、釣りを始めた。週末は早起きして東京湾へ。",
                    "釣り！何が釣れるか楽しみですね。",
                    key="a",
                ),
                said("あと、会社の同期とフットサルも始めたんだ。", "アクティブですね、先生！", key="b"),
            ],
            [chat("後輩がキャンプにハマってて、道具に十万使ったらしい。", "趣味は沼ですね……")],
            ja="最近始めた趣味は何と何？",
            zh="我最近开始了哪些爱好？",
        ),
        fact(
            MS,
            [
                said("父は地元で大工をしてる。もう六十五なのに現役。", "かっこいいお父さんですね。", key="a"),
                said(
                    "母は図書館で司書をしてる。根っからの本の虫。",
                    "先生の読書好きはお母さん譲りですね。",
                    key="b",
                ),
            ],
            [chat("友達の両親が定年退職して、二人で毎日ゴルフに行ってるらしい。", "仲良しですね！")],
            ja="両親はそれぞれ何の仕事をしている？",
            en="What do my parents do for a living?",
        ),
        fact(
            MS,
            [
                said(
                    "ずっと欲しかったロードバイク、ついに買った！十六万。",
                    "先生、おめでとうございます！",
                    key="a",
                ),
                said(
                    "ついでにヘルメットとライトも揃えたら、追加で三万……",
                    "安全第一ですから、必要な出費です！",
                    key="b",
                ),
            ],
            [
                chat(
                    "会社の先輩が自転車通勤を始めて、毎朝汗だくで出社してくる。",
                    "あはは、シャワーがほしいですね。",
                )
            ],
            en="How much did I spend altogether on my bike and gear?",
            zh="我买公路车和装备一共花了多少钱？",
        ),
    ),
)

JA_USER_11 = Persona(
    "ja",
    "札幌；パン屋でパート；白猫のおもち；息子の陽翔と娘の美桜；夫",
    (
        fact(
            SSU,
            said(
                "真っ白でふわふわの子猫を家族に迎えたよ。名前は「おもち」にした。",
                "おもちちゃん！ぴったりですね、先生。",
            ),
            [chat("隣の家の犬、名前が「ポチ」なんだって。今どき珍しい。", "王道ですね、ふふ。")],
            ja="うちの猫の名前は？",
            en="What's my cat called?",
            zh="我家的猫叫什么名字？",
        ),
        fact(
            SSU,
            said(
                "週四日、近所のパン屋さんでパートしてる。朝五時起きだけど楽しい。",
                "焼きたての匂いに囲まれるお仕事、素敵です。",
            ),
            [chat("ママ友がスーパーのレジのパートを始めたって。", "いろんな働き方がありますね。")],
            ja="私がアルバイトで働いているお店は？",
            en="Where do I work part-time?",
        ),
        fact(
            SSU,
            said(
                "息子の陽翔はサッカー少年団で、ゴールキーパーやってる。", "ゴールキーパー！かっこいいですね。"
            ),
            [
                chat(
                    "サッカーの試合を見に行ったら、応援の親のほうが熱かった。",
                    "あはは、親の応援って熱いですよね。",
                )
            ],
            ja="息子はサッカーでどのポジションを守っている？",
            zh="我儿子踢足球是什么位置？",
        ),
        fact(
            SSA,
            told(
                "もらったじゃがいもが大量にあって、何か作れない？",
                "先生、いももちはいかがですか？茹でて潰して片栗粉を混ぜて焼くだけ。甘辛いタレを絡めれば、北海道らしいおやつになりますよ。",
            ),
            [chat("じゃがいもの芽を取るの、いつも面倒くさい。", "芽はしっかり取ってくださいね、先生。")],
            ja="大量の芋の使い道として、何を作るよう提案してくれた？",
            en="What did you suggest I make with the pile of potatoes?",
        ),
        fact(
            SSA,
            told(
                "車のフロントガラス、毎朝凍ってて大変。何かいい方法ある？",
                "先生、前の晩にフロントガラスにカバーをかけておくのが一番です。朝にお湯をかけるのは、ガラスが割れることがあるので絶対ダメですよ！",
            ),
            [chat("今朝、車の雪下ろしに二十分かかった。", "北海道の朝は大変ですね……")],
            ja="窓ガラスの凍結対策に、何をするように言った？",
            en="What did you tell me to do about my frozen windshield?",
        ),
        fact(
            KU,
            [
                chat("うちの車は古い軽自動車で、雪道がちょっと怖い。", "冬の運転、気をつけてくださいね。"),
                said(
                    "思い切って四駆のフォレスターに買い替えた！雪道でも安心。", "これで冬も安心ですね、先生！"
                ),
            ],
            [
                chat(
                    "駐車場で隣の車がスリップしてて、ひやっとした。",
                    "怖いですね。ぶつからなくてよかったです。",
                )
            ],
            en="What car does my family drive now?",
            zh="我家现在开的是什么车？",
        ),
        fact(
            KU,
            [
                chat("娘の美桜はピアノを習ってる。", "ピアノ、素敵ですね。"),
                said(
                    "美桜がピアノをやめて、スケートを始めた。毎週末リンク通い。",
                    "スケート！北海道っぽいですね。",
                ),
            ],
            [chat("友達の子が習い事を五つもしてて、スケジュールがすごい。", "子どもも大人も忙しいですね。")],
            ja="娘は今、何を習っている？",
            en="What lessons does my daughter take now?",
        ),
        fact(
            TR,
            [
                chat(
                    "来週から夫が一週間、福岡に出張。ワンオペ頑張る。",
                    "先生、無理しないでくださいね。私も応援してます。",
                ),
                said(
                    "夫がやっと帰ってきた！お土産は明太子と、子どもたちにはなぜか博多人形。",
                    "博多人形！渋いチョイスですね、ふふ。",
                ),
            ],
            tight=True,
            ja="夫の福岡出張のお土産は何だった？",
            en="What did my husband bring back from his business trip?",
            zh="我丈夫出差回来带了什么礼物？",
        ),
        fact(
            TR,
            [
                chat(
                    "来週、親知らずを抜くことになった。怖い。",
                    "先生、大丈夫です。終わったらご褒美を考えましょう。",
                ),
                said(
                    "抜歯から三日、ほっぺがパンパンで、おかゆとプリンしか食べてない。",
                    "うう、お大事にしてください、先生。",
                ),
            ],
            [chat("歯医者の待合室、子どもの泣き声が響いてて緊張した。", "あの音、大人でも怖いですよね。")],
            tight=True,
            ja="親知らずを抜いたあと、何を食べて過ごしていた？",
            en="What was I living on after my wisdom tooth was pulled?",
        ),
        fact(
            MS,
            [
                said(
                    "最近、刺し子にハマってて、ふきんを三枚作った。",
                    "刺し子！手仕事っていいですね。",
                    key="a",
                ),
                said("子どもたちのために、冬用の毛糸の帽子も編んでる。", "ぬくぬくですね！", key="b"),
            ],
            [chat("手芸屋さんのセールで、布を買いすぎた。", "布って、見てると全部欲しくなりますよね。")],
            ja="最近、手作りしているものは何？",
            zh="我最近在做哪些手工？",
        ),
        fact(
            MS,
            [
                said("夏休みは家族で函館に行く予定。", "函館！夜景がきれいですよね。", key="a"),
                said("秋には夫と二人で小樽に一泊したいなあ。", "小樽でのんびり、素敵です。", key="b"),
            ],
            [chat("ママ友が家族でハワイに行くって。うらやましい。", "いいですねえ。")],
            en="Where are the trips I'm planning this year?",
        ),
        fact(
            MS,
            [
                said(
                    "ついにホームベーカリーを買った！毎朝焼きたて。",
                    "パン屋さんのお家でホームベーカリー、ふふ。",
                    key="a",
                ),
                said("ずっと欲しかった電気圧力鍋も、ついに買っちゃった。", "時短料理が捗りますね！", key="b"),
            ],
            [
                chat(
                    "電子レンジが壊れかけてて、温めるのに倍かかる。", "そろそろ買い替えどきかもしれませんね。"
                )
            ],
            en="Which kitchen gadgets did I buy recently?",
            zh="我最近买了哪些厨房电器？",
        ),
    ),
    avoid=("work_hard", "colleagues_bad", "colleagues_good", "パンを焼いて", "会社の近く"),
)

PERSONAS: tuple[Persona, ...] = (
    EN_USER_0,
    EN_USER_1,
    EN_USER_2,
    EN_USER_3,
    EN_USER_4,
    EN_USER_5,
    EN_USER_6,
    ZH_USER_7,
    ZH_USER_8,
    ZH_USER_9,
    JA_USER_10,
    JA_USER_11,
)
BANKS: dict[str, Bank] = {"en": EN, "zh": ZH, "ja": JA}


# --------------------------------------------------------------------------------------------------
# Building the conversations.
# --------------------------------------------------------------------------------------------------

MAX_PLANTED = 5  # planted exchanges (steps and distractors) per session at most
TURN_RANGE = (200, 320)
START = datetime(2025, 9, 22, tzinfo=UTC)
SESSION_HOURS = (18, 19, 19, 20, 20, 21, 21, 22, 22, 23)  # evenings: the small talk looks back on the day


class Dealer:
    """Deals strings from a list in shuffled rounds, so nothing repeats before the list runs out."""

    def __init__(self, items: tuple[str, ...] | list[str], rng: random.Random) -> None:
        self.items = list(items)
        self.rng = rng
        self.queue: list[str] = []

    def next(self) -> str:
        if not self.queue:
            self.queue = self.items[:]
            self.rng.shuffle(self.queue)
        return self.queue.pop()


class SmallTalk:
    """Filler exchanges for one user: each bank line at most once before any repeats."""

    def __init__(self, bank: Bank, avoid: tuple[str, ...], rng: random.Random) -> None:
        def fits(name: str, line: str) -> bool:
            return name not in avoid and not any(bit in line for bit in avoid)

        self.bank = bank
        openers = [
            f"{name}\t{line}"
            for name, (lines, _) in bank.topics.items()
            for line in lines
            if fits(name, line)
        ]
        openers += [f"paired\t{i}" for i, (line, _) in enumerate(bank.paired) if fits("paired", line)]
        self.openers = Dealer(openers, rng)
        self.replies = {name: Dealer(replies, rng) for name, (_, replies) in bank.topics.items()}
        self.greet_user = Dealer(bank.greet_user, rng)
        self.greet_bot = Dealer(bank.greet_bot, rng)
        self.bye_user = Dealer(bank.bye_user, rng)
        self.bye_bot = Dealer(bank.bye_bot, rng)
        self.reactions = Dealer([str(i) for i in range(len(bank.reactions))], rng)
        self.acks = Dealer(bank.acks, rng)

    def exchange(self) -> tuple[str, str]:
        name, line = self.openers.next().split("\t")
        if name == "paired":
            return self.bank.paired[int(line)]
        return line, self.replies[name].next()

    def greeting(self) -> tuple[str, str]:
        return self.greet_user.next(), self.greet_bot.next()

    def goodbye(self) -> tuple[str, str]:
        return self.bye_user.next(), self.bye_bot.next()

    def reaction(self) -> tuple[str, str]:
        return self.bank.reactions[int(self.reactions.next())]


Planted = tuple[int, tuple[Ex, ...]]  # (fact index, block of exchanges)
Json = dict[str, Any]


def _load(session: list[Planted]) -> int:
    return sum(len(block) for _, block in session)


def place_facts(persona: Persona, n_sessions: int, rng: random.Random) -> list[list[Planted]]:
    """Put every fact's steps (in order, one session each) and its distractors into sessions."""
    plan: list[list[Planted]] = [[] for _ in range(n_sessions)]
    last = n_sessions - 1
    for index, item in enumerate(persona.facts):
        lo, hi = round(item.span[0] * last), round(item.span[1] * last)
        count = len(item.steps)
        update = any(a.qtype == KU for a in item.asks)
        for _ in range(2000):
            if item.tight:
                first = rng.randint(lo, hi - count + 1)
                chosen = list(range(first, first + count))
            else:
                chosen = sorted(rng.sample(range(lo, hi + 1), count))
            if update and chosen[-1] - chosen[0] < 2:
                continue
            if all(
                _load(plan[s]) + len(block) <= MAX_PLANTED
                for s, block in zip(chosen, item.steps, strict=True)
            ):
                break
        else:
            raise RuntimeError(f"cannot place fact {index} of {persona.sketch!r}")
        for s, block in zip(chosen, item.steps, strict=True):
            plan[s].append((index, block))
        for ex in item.distractors:
            options = [s for s in range(n_sessions) if s not in chosen and _load(plan[s]) < MAX_PLANTED]
            plan[rng.choice(options)].append((index, (ex,)))
    return plan


def session_sizes(plan: list[list[Planted]], rng: random.Random) -> list[int]:
    """Exchanges per session (greeting, planted blocks, filler and an optional goodbye included)."""
    n_sessions = len(plan)
    for _ in range(1000):
        mean = rng.randint(112, 150) / n_sessions
        sizes = [max(_load(s) + 4, round(mean * rng.uniform(0.7, 1.3))) for s in plan]
        if TURN_RANGE[0] <= 2 * sum(sizes) <= TURN_RANGE[1]:
            return sizes
    raise RuntimeError("no session sizes fit the turn range")


Line = tuple[str, str, int, Ex | None]  # user text, reply, fact index (-1: small talk), planted exchange


def build_conversation(cid: int, persona: Persona, rng: random.Random) -> tuple[Json, list[Json]]:
    """One user's chat history and the questions about it."""
    talk = SmallTalk(BANKS[persona.lang], persona.avoid, rng)
    n_sessions = rng.randint(11, 17)
    plan = place_facts(persona, n_sessions, rng)
    sizes = session_sizes(plan, rng)

    turns: list[Json] = []
    answer_turn: dict[tuple[int, str], Json] = {}
    day = START + timedelta(days=rng.randint(0, 50))
    for session, (planted, size) in enumerate(zip(plan, sizes, strict=True)):
        if session:
            day += timedelta(days=rng.randint(4, 12))
        clock = day.replace(hour=rng.choice(SESSION_HOURS), minute=rng.randint(0, 59))
        goodbye = rng.random() < 0.6
        filler = size - 1 - int(goodbye) - _load(planted)
        groups: list[list[Line]] = []
        while filler > 0:
            group: list[Line] = [(*talk.exchange(), -1, None)]
            filler -= 1
            if filler > 0 and rng.random() < 0.2:
                group.append((*talk.reaction(), -1, None))
                filler -= 1
            groups.append(group)
        for index, block in planted:
            groups.append([(ex.user, ex.reply or talk.acks.next(), index, ex) for ex in block])
        rng.shuffle(groups)
        lines: list[Line] = [(*talk.greeting(), -1, None), *(line for g in groups for line in g)]
        if goodbye:
            lines.append((*talk.goodbye(), -1, None))
        for user_text, bot_text, index, ex in lines:
            for speaker, text in (("user", user_text), ("assistant", bot_text)):
                if turns and turns[-1]["session"] == session:
                    clock += timedelta(minutes=rng.randint(1, 2))
                turn: Json = {
                    "id": f"f{cid}t{len(turns)}",
                    "session": session,
                    "speaker": speaker,
                    "text": text,
                    "timestamp": clock.isoformat(),
                }
                turns.append(turn)
                if ex is not None and ex.key and ex.who == speaker:
                    answer_turn[(index, ex.key)] = turn
    if not TURN_RANGE[0] <= len(turns) <= TURN_RANGE[1]:
        raise RuntimeError(f"user {cid} has {len(turns)} turns")

    questions: list[Json] = []
    for index, item in enumerate(persona.facts):
        for a in item.asks:
            hits = [answer_turn[(index, key)] for key in a.keys]
            check_ask(a, item, hits, turns)
            for lang, text in a.texts:
                group = ("en" if lang == "en" else "cjk") if lang == persona.lang else "xl"
                questions.append(
                    {
                        "conversation": cid,
                        "question": text,
                        "lang": lang,
                        "fact_lang": persona.lang,
                        "answer_ids": [h["id"] for h in hits],
                        "type": a.qtype,
                        "held_out": group,
                    }
                )
    return {"id": cid, "lang": persona.lang, "sessions": n_sessions, "turns": turns}, questions


def check_ask(a: Ask, item: Fact, hits: list[Json], turns: list[Json]) -> None:
    """Guard the set's invariants for one question."""
    speakers = {h["speaker"] for h in hits}
    sessions = {h["session"] for h in hits}
    if a.qtype == MS:
        assert len(hits) == 2 and len(sessions) == 2, a
    else:
        assert len(hits) == 1, a
    assert speakers == ({"assistant"} if a.qtype == SSA else {"user"}), a
    if a.qtype in (KU, TR):
        assert len(item.steps) >= 2, a
    if a.qtype == KU:
        old = item.steps[0][0]
        old_turn = next(t for t in turns if t["text"] == old.user and t["speaker"] == "user")
        assert old_turn["session"] < hits[0]["session"], a


def main() -> None:
    conversations: list[Json] = []
    questions: list[Json] = []
    for cid, persona in enumerate(PERSONAS):
        conversation, asked = build_conversation(cid, persona, random.Random(SEED + 7919 * cid))
        conversations.append(conversation)
        questions.extend(asked)

    ids = [t["id"] for c in conversations for t in c["turns"]]
    assert len(ids) == len(set(ids))
    known = set(ids)
    assert all(i in known for q in questions for i in q["answer_ids"])

    OUT.write_text(
        json.dumps({"conversations": conversations, "questions": questions}, ensure_ascii=False, indent=1)
        + "\n",
        encoding="utf-8",
    )

    langs = Counter(c["lang"] for c in conversations)
    groups = Counter(q["held_out"] for q in questions)
    types = Counter(q["type"] for q in questions)
    print(
        f"{OUT.name}: {len(conversations)} users ({', '.join(f'{k} {v}' for k, v in langs.items())}), "
        f"{sum(c['sessions'] for c in conversations)} sessions, {len(ids)} turns, {len(questions)} questions; "
        f"held_out {', '.join(f'{g} {groups[g]}' for g in ('en', 'cjk', 'xl'))}; "
        f"types {', '.join(f'{t} {types[t]}' for t in TYPES)}"
    )


if __name__ == "__main__":
    main()
