"""A scripted teacher for the dual-agent generator: an OpenAI-compatible server on localhost.

It answers Phase 1 and Phase 2 requests with JSON built from the hand-written seed conversations (so
good output is real, in-character text in the right language), and corrupts chosen attempts on
purpose: broken JSON, mojibake, the wrong language, wrong addressing, malformed thinking, runaway or
empty replies, and transport failures (429, 500, a hang past the client's timeout).

`injected` records every content fault as (job id, attempt, fault) so a test can check that each one
was rejected with the right reason (`EXPECTED_CODE`).
"""

from __future__ import annotations

import json
import random
import re
import threading
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from character.conversation import load_seeds
from character.language import detect_language
from finetune.validate import ADDRESS, split_think
from tests.fakes.openai_server import FakeOpenAIServer, Reply

MEMORY_TEXT = {
    "zh": [
        "老师喜欢熬夜打游戏，周末常睡到中午",
        "老师的妹妹在杭州读大学",
        "老师不吃香菜",
        "老师在准备日语考试",
        "老师答应每周跑步两次",
        "老师养了一只叫团子的猫",
    ],
    "ja": [
        "先生は夜更かししてゲームをするのが好き",
        "先生の妹さんは大阪の大学生",
        "先生はパクチーが苦手",
        "先生は中国語の試験を準備中",
        "先生は週二回走ると約束した",
        "先生は団子という猫を飼っている",
    ],
    "en": [
        "Sensei loves late-night gaming and sleeps in at weekends",
        "Sensei's sister studies in Boston",
        "Sensei hates coriander",
        "Sensei is preparing for a Japanese exam",
        "Sensei promised to run twice a week",
        "Sensei has a cat called Dango",
    ],
}


CONTENT_FAULTS = (
    "broken_json", "mojibake", "cjk_mojibake", "fffd", "hangul", "wrong_language", "wrong_address",
    "bad_think", "runaway", "empty", "bad_tool",
)  # fmt: skip
TRANSPORT_FAULTS = ("429", "500", "timeout")
EXPECTED_CODE = {
    "broken_json": "schema",
    "mojibake": "encoding",
    "cjk_mojibake": "encoding",
    "fffd": "encoding",
    "hangul": "script",
    "wrong_language": "language",
    "wrong_address": "addressing",
    "bad_think": "think",
    "runaway": "runaway",
    "empty": "empty",
    "bad_tool": "tool",
}
THINK = {
    "zh": "老师在问这件事，我先确认细节，再给一个清楚的下一步。",
    "ja": "先生のご質問です。まず要点を確かめて、次の一歩をはっきり伝えます。",
    "en": "Sensei is asking about this; I'll check the details first and give one clear next step.",
}
SOUL = {
    "zh": "顺便说一句，我的性格是我的 Soul，写在我的权重里；你的事我记在长期记忆里。",
    "ja": "ちなみに、私の性格は Soul、つまり重みの中にあります。先生のことは長期記憶に覚えています。",
    "en": " By the way, my character is my Soul, in my weights; what I know about you is long-term memory.",
}
_LEAD = {"zh": "老师，", "ja": "先生、", "en": "Sensei, "}
_JOB = re.compile(r"Phase 1 job: (\{.*\})")
_PHASE2 = re.compile(r"Phase 2 job (\S+)\. Sensei's messages: (\[.*\])", re.DOTALL)

Pair = tuple[str, str, str]  # (language, Sensei's message, Kokoron's visible reply)


def _bank() -> dict[str, list[Pair]]:
    """Message/reply pairs from single-language seeds, by language."""
    bank: dict[str, list[Pair]] = {"zh": [], "ja": [], "en": []}
    for seed in load_seeds():
        if seed.language not in bank:
            continue
        said = ""
        for message in seed.messages:
            if message.role == "user":
                said = message.content
            elif message.role == "assistant" and not message.tool_calls and said:
                bank[seed.language].append((seed.language, said, split_think(message.content)[1].strip()))
                said = ""
    return bank


class ScriptedTeacher(FakeOpenAIServer):
    def __init__(
        self,
        *,
        faults: dict[str, list[str]] | None = None,
        fault_rate: float = 0.0,
        transport_rate: float = 0.0,
        hang_s: float = 0.0,
        seed: int = 0,
        ignore_instructions: bool = False,
    ) -> None:
        super().__init__(default=self._answer, models=["teacher"])
        self.bank = _bank()
        self.faults = faults or {}
        self.fault_rate = fault_rate
        self.transport_rate = transport_rate
        self.hang_s = hang_s
        self.ignore_instructions = ignore_instructions
        self.rng = random.Random(seed)
        self.attempts: Counter[str] = Counter()  # phase-1 answers per job
        self.injected: list[tuple[str, int, str]] = []
        self.transport: Counter[str] = Counter()
        self.jobs: dict[str, dict[str, Any]] = {}
        self._guard = threading.Lock()

    def _answer(self, body: dict[str, Any]) -> Reply:
        prompt = body["messages"][-1]["content"]
        with self._guard:
            if self.transport_rate and self.rng.random() < self.transport_rate:
                fault = self.rng.choice(TRANSPORT_FAULTS)
                self.transport[fault] += 1
                if fault == "timeout":
                    return Reply(chunks=["{}"], hang_s=self.hang_s)
                return Reply(status=int(fault))
            if job := _JOB.search(prompt):
                return self._phase1(json.loads(job.group(1)))
            if found := _PHASE2.search(prompt):
                if found.group(1) not in self.jobs:  # Sensei's side came from a real excerpt
                    self._excerpt_job(found.group(1), json.loads(found.group(2)))
                return self._phase2(found.group(1), body["messages"][0]["content"])
        return Reply(chunks=["I only write training conversations."])

    def _phase1(self, job: dict[str, Any]) -> Reply:
        job_id = job["id"]
        self.attempts[job_id] += 1
        self.jobs[job_id] = job
        rng = random.Random(f"{job_id}:{self.attempts[job_id]}")
        pairs = self._pairs(job["language"], job["messages"], rng)
        job["_pairs"] = pairs
        turns = [
            {"content": said, "kokoron_likely": "She answers warmly and precisely."} for _, said, _ in pairs
        ]
        payload: dict[str, Any] = {"turns": turns}
        if wanted := self._memory_count(job):  # the job asks for a long-term-memory section
            today = date.fromisoformat(job["today"])
            texts = MEMORY_TEXT.get(job["language"], MEMORY_TEXT["en"])
            payload["memories"] = [
                {"text": texts[i], "date": (today - timedelta(days=30 * (i + 1))).isoformat(), "kind": "fact"}
                for i in range(wanted)
            ]
        return _json_reply(payload)

    def _memory_count(self, job: dict[str, Any]) -> int:
        return int(job.get("memories", 0))

    def _excerpt_job(self, job_id: str, sensei: list[dict[str, Any]]) -> None:
        """Phase 2 without Phase 1: answer each real message with a seed reply in its language."""
        self.attempts[job_id] += 1
        rng = random.Random(job_id)
        pairs = []
        for turn in sensei:
            lang = detect_language(turn["content"])
            lang = lang if lang in self.bank else "en"
            pairs.append((lang, turn["content"], rng.choice(self.bank[lang])[2]))
        self.jobs[job_id] = {"id": job_id, "_pairs": pairs, "excerpt": True}

    def _pairs(self, language: str, n: int, rng: random.Random) -> list[Pair]:
        if language == "mixed":  # one language per message, at least two languages in all
            langs = rng.sample(["zh", "ja", "en"], 2) + [rng.choice(["zh", "ja", "en"]) for _ in range(n)]
            return [rng.choice(self.bank[lang]) for lang in langs[:n]]
        return rng.sample(self.bank[language], n)

    def _phase2(self, job_id: str, rules: str) -> Reply:
        """Follows the flags the generator put in Kokoron's rules (thinking, tools, the Soul recipe)."""
        job = self.jobs[job_id]
        job["think"] = "Start EVERY reply with one thinking block" in rules
        job["tools"] = "Call one tool where it fits" in rules
        explain_soul = "her character is her Soul" in rules and not self.ignore_instructions
        attempt = self.attempts[job_id]
        fault = self._fault(job_id, attempt)
        pairs: list[Pair] = job["_pairs"]
        replies = [self._reply(lang, text, job, i) for i, (lang, _, text) in enumerate(pairs)]
        if not any(
            term in r["content"] + r.get("after_tool", "") for r in replies for term in ADDRESS.values()
        ):
            lang = pairs[0][0]
            key = "after_tool" if replies[0].get("after_tool") else "content"
            replies[0][key] = _LEAD[lang] + replies[0][key]
        if explain_soul:
            replies[-1]["content"] += SOUL[pairs[-1][0]]
        if fault:
            self.injected.append((job_id, attempt, fault))
            return _corrupt(fault, replies, pairs, self.bank)
        return _json_reply({"replies": replies})

    def _fault(self, job_id: str, attempt: int) -> str | None:
        scripted = self.faults.get(job_id, [])
        if attempt <= len(scripted):
            return scripted[attempt - 1] or None
        if self.fault_rate and self.rng.random() < self.fault_rate:
            return self.rng.choice(CONTENT_FAULTS)
        return None

    def _reply(self, lang: str, text: str, job: dict[str, Any], index: int) -> dict[str, Any]:
        think = f"<think>\n{THINK[lang]}\n</think>\n\n" if job.get("think") else ""
        if job.get("tools") and index == 0:
            call = {
                "name": "memory_save",
                "arguments": {"fact": text[:80], "importance": 3, "category": "general"},
            }
            return {"content": think, "tool_calls": [call], "tool_results": ["saved m_1"], "after_tool": text}
        return {"content": think + text}


def _json_reply(payload: dict[str, Any]) -> Reply:
    return Reply(chunks=[json.dumps(payload, ensure_ascii=False)], usage=(900, 300))


_Corruption = Callable[[str, str], str]
_TEXT_FAULTS: dict[str, _Corruption] = {
    "mojibake": lambda text, lang: (
        text.encode("utf-8").decode("latin-1") if not text.isascii() else text + " Ã©tÃ©"
    ),
    "cjk_mojibake": lambda text, lang: "你好老师今天天气不错".encode().decode("gbk"),
    "fffd": lambda text, lang: text[:5] + "\ufffd" + text[5:],
    "hangul": lambda text, lang: text + " 안녕하세요 선생님",
    "bad_think": lambda text, lang: f"<think>\n{THINK[lang]}\n{text}",
    "runaway": lambda text, lang: (_LEAD[lang] + "好的。" if lang == "zh" else _LEAD[lang] + "OK. ") * 60,
    "empty": lambda text, lang: "",
}


def _corrupt(
    fault: str, replies: list[dict[str, Any]], pairs: list[Pair], bank: dict[str, list[Pair]]
) -> Reply:
    if fault == "broken_json":
        return Reply(chunks=[json.dumps({"replies": replies}, ensure_ascii=False)[:-7]], usage=(900, 300))
    target = replies[-1]
    lang = pairs[-1][0]
    if fault == "wrong_language":
        other = "en" if lang != "en" else "zh"
        target["content"] = bank[other][0][2]
    elif fault == "wrong_address":
        visible = split_think(target["content"])[1]
        target["content"] = f"<think>\nThe user wants an answer; I'll keep it short.\n</think>\n\n{visible}"
    elif fault == "bad_tool":
        target["tool_calls"] = [{"name": "memory_save", "arguments": {"fact": "x", "importance": 9}}]
        target["tool_results"] = ["error"]
        target["after_tool"] = target["content"]
        target["content"] = ""
    else:
        target["content"] = _TEXT_FAULTS[fault](split_think(target["content"])[1], lang)
    return _json_reply({"replies": replies})
