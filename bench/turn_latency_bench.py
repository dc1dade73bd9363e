"""Runtime-added latency per turn and per chunk, against baselines measured in the same run.

    python bench/turn_latency_bench.py [--turns 40] [--session 1000] [--chunks 200]

Per turn: from the message's arrival (`Inbound.received_at`) to the moment the scripted server
has the request, with a session of 1,000 stored messages; the baseline is a warm raw HTTP client
posting the same JSON (the wire alone), and `chat.completions.create` is shown for reference.
Per chunk: from the server writing a chunk to the channel's handler getting the text, against
the bare openai client reading the same stream. All on loopback in one process; medians and
ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx2
from openai import AsyncOpenAI

from koclaw.agent import Agent, Inbound
from koclaw.config import load_settings
from koclaw.events import Event, TextDelta
from koclaw.llm.openai_compat import OpenAICompatModel
from koclaw.runtime import Runtime
from memory.session import SessionStore
from tests.fakes.openai_server import FakeOpenAIServer, Reply

SAMPLES = [
    "老师今天的会议改到下午三点了，记得带上预算表。",
    "先生、明日の予定を確認してもらえますか？",
    "Sensei, did you eat lunch today? Be honest.",
    "今天的meeting改到3点了，Sensei please check the budget.",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def fill_session(store: SessionStore, n: int) -> None:
    conv = store.conversation("bench", "chat", "sensei", "Sensei")
    for i in range(n // 2):
        store.add_message(conv.id, "user", SAMPLES[i % len(SAMPLES)] + f" ({i})", status="answered")
        store.add_message(conv.id, "assistant", "好的，老师。我记下了，会提醒你的。" * 3, status="ok")


async def transport_latency(
    http: httpx2.AsyncClient, url: str, server: FakeOpenAIServer, body: dict[str, Any]
) -> float:
    """Baseline: the same JSON posted by a warm raw HTTP client; the cost of the wire alone."""
    start = time.perf_counter()
    async with http.stream("POST", url + "/chat/completions", json=body) as response:
        async for _ in response.aiter_bytes():
            pass
    return (server.received[-1].at - start) * 1000


async def create_latency(client: AsyncOpenAI, server: FakeOpenAIServer, body: dict[str, Any]) -> float:
    """Reference: the same request through `chat.completions.create`, which transforms every message."""
    start = time.perf_counter()
    stream = await client.chat.completions.create(
        model=body["model"],
        messages=body["messages"],
        stream=True,
        extra_body={"chat_template_kwargs": body["chat_template_kwargs"]},
    )
    async for _ in stream:
        pass
    return (server.received[-1].at - start) * 1000


async def bare_chunk_latency(client: AsyncOpenAI, server: FakeOpenAIServer) -> list[float]:
    got: list[float] = []
    stream = await client.chat.completions.create(
        model="kokoron", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    async for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            got.append(time.perf_counter())
    sent = server.received[-1].chunk_times
    return [(g - s) * 1e6 for g, s in zip(got, sent, strict=True)]


async def main(turns: int, session: int, chunks: int) -> None:
    server = FakeOpenAIServer().start()
    os.environ["KOCLAW_LLM__BASE_URL"] = server.url
    os.environ["KOCLAW_LLM__THINKING"] = "false"
    settings = load_settings()
    store = SessionStore(settings.session_db)
    fill_session(store, session)
    model = OpenAICompatModel(settings.llm)
    runtime = Runtime(Agent(settings, store, model))

    async def ignore(event: Event) -> None:
        pass

    http = httpx2.AsyncClient()
    client = AsyncOpenAI(base_url=server.url, api_key="EMPTY", max_retries=0)
    ours: list[float] = []
    wire: list[float] = []
    create: list[float] = []
    for i in range(turns + 3):
        inbound = Inbound("bench", "chat", "sensei", SAMPLES[i % len(SAMPLES)], user_name="Sensei")
        await runtime.submit(inbound, ignore)
        added = (server.received[-1].at - inbound.received_at) * 1000
        body = server.chat_requests[-1]
        base = await transport_latency(http, server.url, server, body)
        ref = await create_latency(client, server, body)
        if i >= 3:  # warm-up turns excluded
            ours.append(added)
            wire.append(base)
            create.append(ref)

    words = [f"w{i} " for i in range(chunks)]
    per_chunk_ours: list[float] = []
    per_chunk_bare: list[float] = []
    for _ in range(5):
        arrivals: list[float] = []

        async def stamp(event: Event, arrivals: list[float] = arrivals) -> None:
            if isinstance(event, TextDelta):
                arrivals.append(time.perf_counter())

        server.add(Reply(chunks=list(words), delay_s=0.0005))
        await runtime.submit(Inbound("bench", "chunks", "sensei", "stream please"), stamp)
        sent = server.received[-1].chunk_times
        per_chunk_ours.extend((a - s) * 1e6 for a, s in zip(arrivals, sent, strict=True))
        server.add(Reply(chunks=list(words), delay_s=0.0005))
        per_chunk_bare.extend(await bare_chunk_latency(client, server))

    await http.aclose()
    await client.close()
    await runtime.shutdown()
    await model.aclose()
    server.stop()
    history = len(store.history(store.conversation("bench", "chat", "sensei").id, 10**9))
    print(
        f"session: {session} stored messages ({history} fit the history budget of "
        f"{settings.llm.context_tokens} tokens x {settings.session.history_share}); {turns} turns"
    )
    print()
    print("message received -> request at the server (ms)")
    print(f"  {'':34}{'p50':>8}{'p90':>8}")
    rows = [
        ("koclaw turn (runtime, 1,000 msgs)", ours),
        ("baseline: same JSON, raw HTTP", wire),
        ("reference: openai create()", create),
    ]
    for label, values in rows:
        print(f"  {label:34}{statistics.median(values):8.2f}{pct(values, 0.9):8.2f}")
    added = [o - w for o, w in zip(ours, wire, strict=True)]
    print(f"  {'added by koclaw (turn - baseline)':34}{statistics.median(added):8.2f}{pct(added, 0.9):8.2f}")
    print(f"  ratio koclaw/baseline p50 = {statistics.median(ours) / statistics.median(wire):.2f}")
    print()
    print(f"server writes chunk -> handler has it (µs), {len(per_chunk_ours)} chunks")
    print(f"  {'':34}{'p50':>8}{'p90':>8}")
    chunk_rows = [("koclaw (client+filter+runtime)", per_chunk_ours), ("bare openai client", per_chunk_bare)]
    for label, values in chunk_rows:
        print(f"  {label:34}{statistics.median(values):8.0f}{pct(values, 0.9):8.0f}")
    chunk_added = statistics.median(per_chunk_ours) - statistics.median(per_chunk_bare)
    print(f"  {'added by koclaw (p50 difference)':34}{chunk_added:8.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--session", type=int, default=1000)
    parser.add_argument("--chunks", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        os.environ["KOCLAW_HOME"] = home
        asyncio.run(main(args.turns, args.session, args.chunks))
