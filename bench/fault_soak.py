"""A bounded soak of `koclaw run` under faults: what it answers, what leaks, what a kill -9 loses.

    python bench/fault_soak.py [--seconds 60] [--clients 24]

Three processes: a misbehaving OpenAI-compatible model server (below), the real `koclaw run` (HTTP
on, thinking on, the model's thinking in `content` as with no reasoning parser, a 4 s turn deadline)
and this process, the load. `--clients` workers send, for `--seconds`, a mix of turns whose model
stream is normal, cut mid-thinking, cut mid-answer, malformed, carrying a lone surrogate, not SSE,
slow, or hung; interleaved with oversize bodies, one person's flood, and idle half-open sockets.
Every thinking the model sends holds a marker; any marker in a reply or a stored answer is a leak.
Halfway through, Koclaw is killed with SIGKILL and started again on the same home: every message
whose response had begun before the kill must have a row afterwards. `GET /v1/models`, sampled
every 100 ms, stands in for event-loop lag (the cheapest route: its latency is the loop's).
Reported: turns by outcome, leaks (must be 0), messages lost to the kill (must be 0), models-route
latency p50 / p99 / max, and Koclaw's open file descriptors at the start and the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx2
from aiohttp import ClientConnectionResetError, web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.http_load_bench import free_port, koclaw_env, wait_listening

KEY = "soak-key-0123456789"
SECRET = "SECRET-THINKING"
KINDS = ["normal"] * 6 + ["cut-thinking", "cut-answer", "malformed", "surrogate", "no-sse", "slow", "hang"]
KOCLAW = str(Path(sys.executable).parent / "koclaw")


# -- the misbehaving model server (child process) -------------------------------------------------


def _chunk(content: str | None = None, finish: str | None = None) -> bytes:
    delta = {} if content is None else {"content": content}
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    body = {
        "id": "x",
        "object": "chat.completion.chunk",
        "model": "kokoron",
        "created": 0,
        "choices": [choice],
    }
    return f"data: {json.dumps(body)}\n\n".encode()


async def _completions(request: web.Request) -> web.StreamResponse:
    try:
        return await _script(request)
    except (ConnectionError, ClientConnectionResetError):  # Koclaw hung up (deadline, cut, kill)
        return web.Response(status=499)


async def _script(request: web.Request) -> web.StreamResponse:
    body = await request.json()
    text = str(body["messages"][-1].get("content", ""))
    kind = next((k for k in KINDS if f"[{k}]" in text), "normal")
    if kind == "no-sse":
        return web.Response(text="<html>502 Bad Gateway</html>", content_type="text/html")
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    thinking = [_chunk(f"<think>{SECRET} planning"), _chunk(" more private thought"), _chunk("</think>")]
    if kind == "hang":
        await asyncio.sleep(3600)
    if kind == "cut-thinking":
        await response.write(b"".join(thinking[:2]))
        request.transport.close()  # type: ignore[union-attr]
        return response
    await response.write(b"".join(thinking))
    words = ["Hello", " Sensei", ",", " here", " I", " am", "."]
    if kind == "surrogate":
        await response.write(b'data: {"choices": [{"index": 0, "delta": {"content": "\\ud800 odd"}}]}\n\n')
    if kind == "malformed":
        await response.write(b'data: {"choices": "not a list"}\n\n')
    for i, word in enumerate(words):
        if kind == "slow":
            await asyncio.sleep(0.4)
        await response.write(_chunk(word))
        if kind == "cut-answer" and i == 2:
            request.transport.close()  # type: ignore[union-attr]
            return response
    await response.write(_chunk(None, "stop") + b"data: [DONE]\n\n")
    return response


async def _models(request: web.Request) -> web.Response:
    return web.json_response({"object": "list", "data": [{"id": "kokoron", "object": "model"}]})


def serve_model(port: int) -> None:
    app = web.Application(client_max_size=64 * 2**20)
    app.add_routes([web.post("/v1/chat/completions", _completions), web.get("/v1/models", _models)])
    web.run_app(app, host="127.0.0.1", port=port, print=None, handle_signals=True)


# -- the load (this process) ----------------------------------------------------------------------


class Soak:
    def __init__(self, url: str, deadline: float) -> None:
        self.url, self.deadline = url, deadline
        self.outcomes: Counter[str] = Counter()
        self.leaks: list[str] = []
        self.started: list[str] = []  # texts whose response had begun: Koclaw had taken them
        self.latencies: list[float] = []
        self.n = 0

    async def turn(self, http: httpx2.AsyncClient, user: str, kind: str, stream: bool) -> None:
        self.n += 1
        text = f"[{kind}] message {self.n} from {user}"
        body = {"model": "kokoron", "messages": [{"role": "user", "content": text}], "user": user}
        try:
            async with http.stream(
                "POST", self.url + "/chat/completions", json={**body, "stream": stream}, headers=AUTH
            ) as response:
                if response.status_code in (200, 503):
                    self.started.append(text)
                raw = b"".join([part async for part in response.aiter_raw()])
            self.outcomes[f"{kind}: HTTP {response.status_code}"] += 1
            if SECRET.encode() in raw:
                self.leaks.append(f"{kind}: {raw[:200]!r}")
        except httpx2.HTTPError as exc:
            self.outcomes[f"{kind}: {type(exc).__name__}"] += 1

    async def worker(self, http: httpx2.AsyncClient, index: int) -> None:
        rng = random.Random(index)
        while time.monotonic() < self.deadline:
            roll = rng.random()
            if roll < 0.05:
                await self.oversize(http)
            elif roll < 0.08:
                await asyncio.gather(*(self.turn(http, "flooder", "normal", False) for _ in range(15)))
            elif roll < 0.11:
                await self.half_open()
            else:
                await self.turn(
                    http, f"user-{index}-{rng.randrange(5)}", rng.choice(KINDS), rng.random() < 0.7
                )

    async def oversize(self, http: httpx2.AsyncClient) -> None:
        body = {"model": "k", "messages": [{"role": "user", "content": "x" * 2_000_000}], "user": "big"}
        try:
            response = await http.post(self.url + "/chat/completions", json=body, headers=AUTH)
            self.outcomes[f"oversize: HTTP {response.status_code}"] += 1
        except httpx2.HTTPError as exc:
            self.outcomes[f"oversize: {type(exc).__name__}"] += 1

    async def half_open(self) -> None:
        """Open a connection, send half a request line, and leave it: Koclaw must close it."""
        host, port = self.url.split("//")[1].split("/")[0].split(":")
        try:
            _, writer = await asyncio.open_connection(host, int(port))
            writer.write(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
            self.outcomes["half-open sockets left"] += 1
        except OSError:
            self.outcomes["half-open: refused"] += 1

    async def sample(self, http: httpx2.AsyncClient) -> None:
        while time.monotonic() < self.deadline:
            start = time.monotonic()
            try:
                await http.get(self.url + "/models", headers=AUTH)
                self.latencies.append((time.monotonic() - start) * 1000)
            except httpx2.HTTPError:
                self.outcomes["models route: failed"] += 1
            await asyncio.sleep(0.1)

    async def run(self, clients: int, kill: int | None = None) -> None:
        """`kill`: a pid to SIGKILL at the deadline, while turns are still in flight."""
        limits = httpx2.Limits(max_connections=clients * 20, max_keepalive_connections=clients * 20)
        async with httpx2.AsyncClient(limits=limits, timeout=httpx2.Timeout(30.0, connect=5.0)) as http:
            killer = [self.kill_at_deadline(kill)] if kill else []
            await asyncio.gather(self.sample(http), *killer, *(self.worker(http, i) for i in range(clients)))

    async def kill_at_deadline(self, pid: int) -> None:
        await asyncio.sleep(max(0.0, self.deadline - time.monotonic()))
        os.kill(pid, signal.SIGKILL)


AUTH = {"Authorization": f"Bearer {KEY}"}


def start_koclaw(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([KOCLAW, "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_listening(port, proc, "koclaw run", timeout=120)
    return proc


def open_fds(pid: int) -> str:
    """How many descriptors the process holds: sockets + the rest (databases, pipes...)."""
    links = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(FileNotFoundError):  # closed since the listing
            links.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
    sockets = sum(link.startswith("socket:") for link in links)
    return f"{len(links)} ({sockets} sockets)"


def stored_texts(home: Path) -> tuple[set[str], list[str]]:
    """User texts with a row (answered, waiting or unanswered), and stored answers holding a marker."""
    with sqlite3.connect(home / "session.db", timeout=30) as db:
        users = {r[0] for r in db.execute("SELECT content FROM messages WHERE role = 'user'")}
        users |= {r[0] for r in db.execute("SELECT content FROM inbox")}
        leaks = [
            r[0][:120]
            for r in db.execute("SELECT content FROM messages WHERE role = 'assistant'")
            if SECRET in r[0]
        ]
    return users, leaks


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=24)
    parser.add_argument("--child", choices=["model"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "model":
        return serve_model(args.port)
    model_port, koclaw_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = koclaw_env(tmp, model_port, koclaw_port, KEY)
        env |= {"KOCLAW_LLM__TURN_DEADLINE_S": "4", "KOCLAW_HTTP__HEADER_TIMEOUT_S": "2"}
        model = subprocess.Popen(
            [sys.executable, __file__, "--child", "model", "--port", str(model_port)], env=env
        )
        wait_listening(model_port, model, "the model server", timeout=60)
        koclaw = start_koclaw(env, koclaw_port)
        url = f"http://127.0.0.1:{koclaw_port}/v1"
        halves = []
        try:
            first = Soak(url, time.monotonic() + args.seconds / 2)
            asyncio.run(first.run(args.clients, kill=koclaw.pid))  # killed with turns in flight
            koclaw.wait(30)
            koclaw = start_koclaw(env, koclaw_port)
            fds_start = open_fds(koclaw.pid)
            second = Soak(url, time.monotonic() + args.seconds / 2)
            asyncio.run(second.run(args.clients))
            halves = [first, second]
            time.sleep(3)  # half-open sockets of the last seconds reach their header timeout
            fds_end = open_fds(koclaw.pid)
        finally:
            koclaw.send_signal(signal.SIGTERM)
            koclaw.wait(60)
            model.kill()  # its hung streams would hold a graceful stop
            model.wait(30)
        users, stored_leaks = stored_texts(home)
    report(args, halves, users, stored_leaks, fds_start, fds_end)


def report(
    args: argparse.Namespace,
    halves: list[Soak],
    users: set[str],
    stored_leaks: list[str],
    fds: int,
    fds_end: int,
) -> None:
    leaks = [leak for h in halves for leak in h.leaks] + stored_leaks
    lost = [t for t in halves[0].started if t not in users]
    lat = sorted(x for h in halves for x in h.latencies)

    def pct(q: float) -> float:
        return lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")

    print(
        f"\nFault soak: {args.seconds:g} s, {args.clients} clients, koclaw run killed with SIGKILL halfway\n"
    )
    first, second = halves
    print(f"  {'request: outcome':<40} {'first half (ends in the kill)':>30} {'second half':>12}")
    for name in sorted(first.outcomes.keys() | second.outcomes.keys()):
        print(f"  {name:<40} {first.outcomes[name]:>30} {second.outcomes[name]:>12}")
    print(f"\n  thinking leaks (replies and stored answers)   {len(leaks)}   must be 0")
    for leak in leaks[:5]:
        print(f"    {leak}")
    print(
        f"  messages taken before the kill with no row    {len(lost)} of {len(halves[0].started)}   must be 0"
    )
    worst = lat[-1] if lat else float("nan")
    print(f"  GET /v1/models p50 / p99 / max (ms)           {pct(0.5):.1f} / {pct(0.99):.1f} / {worst:.1f}")
    print(f"  Koclaw open file descriptors after the restart / at the end   {fds} / {fds_end}\n")


if __name__ == "__main__":
    main()
