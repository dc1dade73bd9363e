"""Language detection per message: `character.detect_language` against lingua alone (the baseline).

Run: python bench/language_bench.py [--runs 7]

Four ~20-character messages (Japanese with 先生, Chinese with English words, kanji-only Japanese,
English). Each run times every message 200 times with time.perf_counter and takes the median; the
table gives the median over the runs in microseconds and the ratio to lingua's own
`detect_language_of` on the same messages (the detector Koclaw builds, warmed up), measured in the
same run. Koclaw counts scripts and clauses (what lingua's one answer cannot say of a mixed message),
so it costs a few microseconds more than lingua's rule engine; both are microseconds against a turn's
milliseconds. (This was a timed assertion in tests/character/test_language.py: median < 0.5 ms.)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

try:
    from character import detect_language, warm_up
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from character import detect_language, warm_up

from character.language import _detector

MESSAGES = (
    "明日の会議は何時ですか？先生",
    "今天的meeting改到3点了，Sensei",
    "会議室予約確認",
    "Check my calendar now",
)


def median_us(fn: Callable[[str], object], message: str) -> float:
    timings = []
    for _ in range(200):
        start = time.perf_counter()
        fn(message)
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    warm_up()
    lingua = _detector()
    print(f"median µs per message over {args.runs} runs (200 calls each); baseline: lingua alone")
    print(f"{'message':<28} {'koclaw':>8} {'lingua':>8} {'ratio':>6}")
    for message in MESSAGES:
        ours = statistics.median(median_us(detect_language, message) for _ in range(args.runs))
        base = statistics.median(median_us(lingua.detect_language_of, message) for _ in range(args.runs))
        print(f"{message:<28} {ours:>8.1f} {base:>8.1f} {ours / base:>5.2f}x")


if __name__ == "__main__":
    main()
