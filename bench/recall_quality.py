"""Recall quality on a labelled set, with a plain BM25 baseline measured in the same run on the same turns.

A set (bench/data/*.json) holds conversations (turns with id, speaker, text, optional timestamp and
session) and questions (conversation, question, answer_ids, lang, and "kind"/"type", optional "now").
Each conversation belongs to its own person, as in production, and is stored the way
`koclaw memory long-term import` stores a file: one row per turn with its speaker, time and metadata.
Older sets name their sides "user"/"assistant"; they are stored as Kokoron's chats are ("Sensei",
"Kokoron").

Per question and mode: recall@k = the share of its gold turns in the top k (turn level, "fraction of
gold"), and hit@k = whether any gold turn is in the top k. Modes: `bm25` (the baseline below, over
"<date> <speaker>: <text>"), `dense`, `lexical` (each of recall's retrievers alone) and `hybrid`
(what `recall` returns, with the question's own `now`).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from memory.long_term import LongTermMemory

KS = (5, 10)
SIDES = {"user": "Sensei", "assistant": "Kokoron"}
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(f"[{_CJK}]+|[^\\W{_CJK}_]+")


def tokens(text: str) -> list[str]:
    """Lower-cased words; CJK runs as overlapping character bigrams (the usual BM25 unit for CJK)."""
    out: list[str] = []
    for seg in _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold()):
        if re.match(f"[{_CJK}]", seg):
            out.extend(seg[i : i + 2] for i in range(max(1, len(seg) - 1)))
        else:
            out.append(seg)
    return out


class BM25:
    """Okapi BM25 (k1 1.5, b 0.75) over one person's turns: the plain baseline."""

    def __init__(self, docs: Sequence[tuple[str, str]], k1: float = 1.5, b: float = 0.75) -> None:
        self.ids = [d for d, _ in docs]
        self.tf = [Counter(tokens(text)) for _, text in docs]
        self.len = [sum(tf.values()) for tf in self.tf]
        self.avg = sum(self.len) / max(1, len(self.len))
        df = Counter(t for tf in self.tf for t in tf)
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.k1, self.b = k1, b

    def search(self, query: str, k: int) -> list[str]:
        terms = [t for t in dict.fromkeys(tokens(query)) if t in self.idf]
        scores = []
        for i, tf in enumerate(self.tf):
            s = 0.0
            norm = self.k1 * (1 - self.b + self.b * self.len[i] / self.avg)
            for t in terms:
                if f := tf.get(t):
                    s += self.idf[t] * f * (self.k1 + 1) / (f + norm)
            if s > 0:
                scores.append((-s, i))
        scores.sort()
        return [self.ids[i] for _, i in scores[:k]]


def bm25_document(turn: dict[str, Any]) -> str:
    """ "<date> <speaker>: <text>" (the baseline's view of a turn)."""
    date = ""
    if turn.get("timestamp"):
        moment = datetime.fromisoformat(turn["timestamp"].replace("Z", "+00:00"))
        date = f"{moment.day} {moment:%B %Y} "
    return f"{date}{SIDES.get(turn['speaker'], turn['speaker'])}: {turn['text']}"


def user_of(conversation: Any) -> str:
    return f"user{conversation}"


def ingest(mem: LongTermMemory, data: dict[str, Any]) -> dict[str, str]:
    """Store every conversation for its own person; returns memory id -> turn id."""
    ids: dict[str, str] = {}
    for conv in data["conversations"]:
        rows = [
            {
                "text": t["text"],
                "speaker": SIDES.get(t["speaker"], t["speaker"]),
                "timestamp": t.get("timestamp"),
                # Sets without times: each session stays one conversation (no gap can split them).
                "conversation_id": None if t.get("timestamp") else f"{conv['id']}/{t.get('session', 0)}",
                "metadata": {"turn": t["id"]},
            }
            for t in conv["turns"]
        ]
        new = mem.import_episodes(user_of(conv["id"]), rows, batch_size=128)
        ids.update(zip(new, (t["id"] for t in conv["turns"]), strict=True))
    return ids


Mode = Callable[[dict[str, Any]], list[str]]  # question -> retrieved turn ids, best first


def modes(mem: LongTermMemory, ids: dict[str, str], data: dict[str, Any]) -> dict[str, Mode]:
    k = max(KS)
    bm25 = {
        conv["id"]: BM25([(t["id"], bm25_document(t)) for t in conv["turns"]])
        for conv in data["conversations"]
    }

    def now(q: dict[str, Any]) -> datetime | None:
        return datetime.fromisoformat(q["now"].replace("Z", "+00:00")) if q.get("now") else None

    return {
        "bm25": lambda q: bm25[q["conversation"]].search(q["question"], k),
        "dense": lambda q: [ids[m] for m in mem.recall_dense(user_of(q["conversation"]), q["question"], k=k)],
        "lexical": lambda q: [
            ids[m] for m in mem.recall_lexical(user_of(q["conversation"]), q["question"], k=k)
        ],
        "hybrid": lambda q: [
            ids[r.id] for r in mem.recall(user_of(q["conversation"]), q["question"], k=k, now=now(q))
        ],
    }


Scores = dict[str, list[dict[str, float]]]  # mode -> per question {"R@5", "R@10", "hit@5", "hit@10"}


def score(data: dict[str, Any], run: dict[str, Mode]) -> Scores:
    out: Scores = {}
    for name, fn in run.items():
        out[name] = []
        for q in data["questions"]:
            gold, got = set(q["answer_ids"]), fn(q)
            cells = {}
            for k in KS:
                found = gold.intersection(got[:k])
                cells[f"R@{k}"] = len(found) / len(gold)
                cells[f"hit@{k}"] = float(bool(found))
            out[name].append(cells)
    return out


def groups(data: dict[str, Any]) -> dict[str, list[int]]:
    """Question indexes by "all", kind (or the older sets' "type"), language, cross-lingual or not,
    and the older sets' held-out group, in that order."""
    langs = {c["id"]: c.get("language") or c.get("lang") for c in data["conversations"]}
    found: dict[tuple[int, str], list[int]] = {(0, "all"): list(range(len(data["questions"])))}
    for i, q in enumerate(data["questions"]):
        source = q.get("fact_lang") or langs.get(q["conversation"])
        keys = [
            (1, f"kind={q.get('kind') or q.get('type')}") if (q.get("kind") or q.get("type")) else None,
            (2, f"lang={q['lang']}"),
            (3, "cross-lingual" if source != q["lang"] else "same-language") if source else None,
            (4, f"held_out={q['held_out']}") if "held_out" in q else None,
        ]
        for key in keys:
            if key is not None:
                found.setdefault(key, []).append(i)
    return {name: idx for (_, name), idx in sorted(found.items())}


def report(data: dict[str, Any], scores: Scores, metric: str = "R") -> None:
    """One row per group; per mode `metric`@5 and @10 (R: share of gold found; hit: any gold found)."""
    width = max(len(g) for g in groups(data))
    head = "".join(f" {m + ' ' + metric + '@5':>14} {'@10':>5}" for m in scores)
    print(f"{'group':{width}} {'n':>4}{head}")
    for group, idx in groups(data).items():
        cells = ""
        for per_q in scores.values():
            for k in KS:
                value = sum(per_q[i][f"{metric}@{k}"] for i in idx) / len(idx)
                cells += f" {value:14.3f}" if k == KS[0] else f" {value:5.3f}"
        print(f"{group:{width}} {len(idx):>4}{cells}")


def quality(mem: LongTermMemory, path: Path) -> Scores:
    data = json.loads(path.read_text(encoding="utf-8"))
    ids = ingest(mem, data)
    scores = score(data, modes(mem, ids, data))
    n_conv, n_turns, n_q = len(data["conversations"]), len(ids), len(data["questions"])
    print(f"\nQuality ({path.name}): {n_conv} conversations, {n_turns} turns, {n_q} questions")
    print("recall@k: the share of each question's gold turns in the top k, averaged")
    report(data, scores, "R")
    print("\nhit@k: questions with at least one gold turn in the top k")
    report(data, scores, "hit")
    return scores
