"""Cost per chunk of ThinkFilter vs a naive filter that re-scans the whole reply on every chunk.

Run: python bench/think_filter_bench.py

Synthetic replies of 500, 4,000 and 16,000 tokens (one token = one chunk of 1-4 characters, English
and CJK mixed) start with a thinking section of ~30% of the tokens (the chat template opened `<think>`,
so there is no opener in the output), then `</think>`, "\n\n" and the answer. Both filters run with
thinking=True. Each run times the whole feed loop plus finish() with time.perf_counter_ns (garbage
collection paused) and divides by the number of chunks; the table shows the median over the runs.
"""

from __future__ import annotations

import gc
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

try:
    from koclaw.llm.think_filter import ThinkFilter
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from koclaw.llm.think_filter import ThinkFilter

from koclaw.events import Event, TextDelta

SIZES = (500, 4_000, 16_000)
OURS_RUNS = 21
NAIVE_RUNS = 7  # the minimum; the 16k naive case dominates the bench's time
NAIVE_BUDGET_S = 60.0  # stop adding naive runs past this, once NAIVE_RUNS are done (never below 7)

_TAGS = ("<think>", "</think>", "<tool_call>", "</tool_call>")
_THINK_BLOCK_RE = re.compile(r"<think>(.*?)(?:</think>|$)", re.DOTALL)
_TAIL_RE = re.compile(r"<[/a-z_]*$")


class Filter(Protocol):
    def feed(self, chunk: str) -> list[Event]: ...
    def finish(self, finish_reason: str | None = None) -> list[Event]: ...


class NaiveFilter:
    """Recomputes visible text and reasoning from the whole accumulated reply on every chunk."""

    def __init__(self, thinking: bool) -> None:
        self.thinking = thinking
        self.acc = ""
        self.emitted = 0
        self.visible = ""
        self.reasoning = ""

    def _split(self, final: bool) -> tuple[str, str]:
        text = self.acc
        reasoning = ""
        if self.thinking and not text.lstrip().startswith("<think>"):
            if "</think>" in text:
                reasoning, text = text.split("</think>", 1)
            elif final:
                pass  # the model answered without thinking
            else:
                return "", text  # still (implicitly) thinking
        reasoning += "".join(_THINK_BLOCK_RE.findall(text))
        visible = _THINK_BLOCK_RE.sub("", text).replace("</think>", "").lstrip()
        if not final:
            m = _TAIL_RE.search(visible)
            if m and any(tag.startswith(m.group()) for tag in _TAGS):
                visible = visible[: m.start()]  # a tag may be starting: hold it back
        return visible, reasoning.strip()

    def feed(self, chunk: str) -> list[Event]:
        self.acc += chunk
        return self._emit(final=False)

    def finish(self, finish_reason: str | None = None) -> list[Event]:
        return self._emit(final=True)

    def _emit(self, final: bool) -> list[Event]:
        self.visible, self.reasoning = self._split(final)
        new = self.visible[self.emitted :]
        self.emitted = len(self.visible)
        return [TextDelta(new)] if new else []


_EN = (
    " the", " Sen", "sei", " tea", " is", " warm", " and", " I", " think", " we", " should",
    " talk", " about", " your", " day", ",", ".", " it", " was", " nice", " rain", "ing",
    " to", "day", " mem", "ory", " re", "call", "s", " that", " you", " like", " green",
)  # fmt: skip
_CJK = ("老师", "先生", "です", "ね", "。", "、", "今日", "は", "雨", "が", "好", "き", "お茶", "を", "飲")
_MISC = ("\n", "\n\n", " <3", " (", ")", "!", "?", ":")


def synthetic_reply(tokens: int, seed: int) -> list[str]:
    """`tokens` chunks: ~30% implicit thinking, then `</think>`, "\n\n" and the answer."""
    rng = random.Random(seed)

    def token() -> str:
        r = rng.random()
        if r < 0.6:
            return rng.choice(_EN)
        if r < 0.95:
            return rng.choice(_CJK)
        return rng.choice(_MISC)

    thinking = int(tokens * 0.3)
    answer = tokens - thinking - 2
    return [token() for _ in range(thinking)] + ["</think>", "\n\n"] + [token() for _ in range(answer)]


def time_run(make: Callable[[], Filter], chunks: Sequence[str]) -> tuple[float, str]:
    """One run: µs per chunk, and the visible text it produced."""
    f = make()
    out: list[Event] = []
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter_ns()
        for c in chunks:
            f.feed(c)
        f.finish("stop")
        t1 = time.perf_counter_ns()
    finally:
        gc.enable()
    # Untimed replay to check the output (the timed loop discards events).
    g = make()
    for c in chunks:
        out += g.feed(c)
    out += g.finish("stop")
    visible = "".join(e.text for e in out if isinstance(e, TextDelta))
    return (t1 - t0) / 1000 / len(chunks), visible


def main() -> None:
    bench_start = time.perf_counter()
    rows: list[tuple[int, int, float, float, int, int]] = []
    for size in SIZES:
        chunks = synthetic_reply(size, seed=size)
        expected_answer = "".join(chunks[chunks.index("</think>") + 1 :]).lstrip()

        ours: list[float] = []
        for _ in range(OURS_RUNS):
            us, vis = time_run(lambda: ThinkFilter(thinking=True), chunks)
            assert vis == expected_answer, "ThinkFilter visible text is wrong"
            ours.append(us)

        naive: list[float] = []
        start = time.perf_counter()
        while len(naive) < NAIVE_RUNS or (
            len(naive) < OURS_RUNS and time.perf_counter() - start < NAIVE_BUDGET_S / len(SIZES)
        ):
            us, naive_vis = time_run(lambda: NaiveFilter(thinking=True), chunks)
            assert naive_vis == vis, "naive and ThinkFilter disagree on the visible text"
            naive.append(us)

        rows.append(
            (size, len(chunks), statistics.median(ours), statistics.median(naive), len(ours), len(naive))
        )

    print(f"ThinkFilter vs naive re-scan, thinking=True, Python {sys.version.split()[0]}")
    print("µs per chunk = median over runs of (feed loop + finish) / chunks\n")
    header = f"{'tokens':>7} {'chunks':>7} {'ours µs':>9} {'naive µs':>10} {'naive/ours':>11} {'runs o/n':>9}"
    print(header)
    print("-" * len(header))
    for size, n, o, nv, ro, rn in rows:
        print(f"{size:>7,} {n:>7,} {o:>9.3f} {nv:>10.3f} {nv / o:>10.1f}x {ro:>4}/{rn:<4}")
    print(f"\nvisible text identical for both filters; bench took {time.perf_counter() - bench_start:.1f} s")


if __name__ == "__main__":
    main()
