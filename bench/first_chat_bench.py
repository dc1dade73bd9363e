"""A newcomer's first chat: `koclaw chat --tiny` with three messages, from the command to the last reply.

Run: python bench/first_chat_bench.py [--runs 3]

Each run starts `koclaw chat --tiny` as a person would (a fresh process, stdin piped) with three messages
(en, zh, ja). The first run uses an empty KOCLAW_HOME, so it includes building the model (the tokenizer
and the shipped weights); later runs reuse it. Per run it reports the wall time, and per turn the time
to the first streamed token and to the whole reply (the runtime's own `first_token_ms`/`latency_ms`), the
reply's tokens and whether it was a model reply (`ok`, no fallback notice).

Baseline, measured in the same run: the time to start Python and import torch and transformers, the
floor any local model pays before its first token. Targets (Step 10): three replies within 90 s including
the first build; a turn within 3 s; the first token within 30 s of the command on first use, 10 s after.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MESSAGES = "hello, Kokoron!\n今天好累啊\n週末は何をしようかな\n"
KOCLAW = str(Path(sys.executable).with_name("koclaw"))


def baseline() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch, transformers"], check=True)
    return time.perf_counter() - started


def one_run(home: Path) -> dict[str, object]:
    env = {**os.environ, "KOCLAW_HOME": str(home), "KOCLAW_LLM__BASE_URL": "http://127.0.0.1:9/v1"}
    started = time.perf_counter()
    done = subprocess.run(
        [KOCLAW, "chat", "--tiny", "-u", "bench"], input=MESSAGES.encode(), env=env, capture_output=True
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"koclaw chat failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    with sqlite3.connect(home / "session.db") as db:
        rows = db.execute(
            "SELECT status, notice, first_token_ms, latency_ms, completion_tokens, content FROM messages "
            "WHERE role = 'assistant' ORDER BY id DESC LIMIT 3"
        ).fetchall()[::-1]
    return {"wall": wall, "turns": rows}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    floors = [baseline() for _ in range(args.runs)]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        runs = [one_run(home) for _ in range(args.runs)]
    floor = statistics.median(floors)
    print(f"baseline: python + import torch, transformers: median {floor:.1f}s over {args.runs}")
    for number, run in enumerate(runs, 1):
        wall = float(run["wall"])  # type: ignore[arg-type]
        label = "first use (builds the model)" if number == 1 else "model built"
        print(f"run {number}, {label}: {wall:.1f}s for three turns ({wall / floor:.1f}x baseline)")
        for status, notice, first, latency, tokens, content in run["turns"]:  # type: ignore[attr-defined]
            kind = "model text" if status == "ok" and not notice else f"NOT model text ({status})"
            timing = f"first token {first / 1000:.2f}s, reply {latency / 1000:.2f}s, {tokens} tokens"
            print(f"  {timing}, {kind}: {content}")
    later = [float(r["wall"]) for r in runs[1:]]  # type: ignore[arg-type]
    if later:
        wall = statistics.median(later)
        print(f"median wall after the first build: {wall:.1f}s ({wall / floor:.1f}x baseline)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
