"""Soul activation to first token: from `koclaw.soul.activate` to the first token the new adapter serves.

    python bench/activate_bench.py [--runs 7] [--threads 1] [--no-verify]

As in production, two processes: the real `koclaw serve --tiny` (the transformers engine on the tiny
model) and this one, the runtime's side, which imports no torch: its own client (`OpenAICompatModel`,
from its normal settings) and a real `SoulRegistry`. Each run registers a fresh adapter name and
activates it: POST /v1/load_lora_adapter, /v1/models lists it, a greedy probe proves that it changes
the output (`--no-verify` skips the probe), the activation is recorded. Then it streams one reply from
the adapter and stops at the first chunk that carries text. The baseline, in the same run, is the base
model's first token measured the same way. First tokens are timed on the wire (SSE), not through the
think filter, which rightly holds back leading whitespace and implicit thinking. Medians; after each
run the adapter is unloaded, so that the next run loads it again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx2

from koclaw import soul
from koclaw.config import load_settings
from koclaw.llm.openai_compat import OpenAICompatModel
from memory.soul import SoulRegistry

ROOT = Path(__file__).resolve().parents[1]
PROMPT = [{"role": "user", "content": "老师今天想吃什么？"}]
MAKE_ADAPTER = """
import sys, torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM
from finetune.tiny import ensure_tiny
torch.manual_seed(0)
model = AutoModelForCausalLM.from_pretrained(ensure_tiny())
config = LoraConfig(r=8, lora_alpha=32, target_modules="all-linear", init_lora_weights=False)
get_peft_model(model, config).save_pretrained(sys.argv[1])
"""  # random non-zero B on every linear layer: the adapter really changes the output


async def first_token(http: httpx2.AsyncClient, url: str, model: str) -> float:
    """Seconds from the request to the first SSE chunk with text; leaving early stops the generation."""
    body = {"model": model, "messages": PROMPT, "stream": True, "max_tokens": 64, "temperature": 0}
    body["chat_template_kwargs"] = {"enable_thinking": False}
    started = time.perf_counter()
    async with http.stream("POST", url + "/chat/completions", json=body) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if not line.startswith("data: {"):
                continue
            choices = json.loads(line[6:])["choices"]
            if choices and (choices[0]["delta"].get("content") or choices[0]["delta"].get("reasoning")):
                return time.perf_counter() - started
    raise RuntimeError(f"{model} sent no text")


async def bench(url: str, adapter: Path, runs: int, verify: bool) -> dict[str, list[float]]:
    settings = load_settings()
    registry = SoulRegistry(settings.soul_db)
    model = OpenAICompatModel(settings.llm)
    base = (await model.list_models())[0]
    times: dict[str, list[float]] = {"activate": [], "adapter_first": [], "total": [], "base_first": []}
    async with httpx2.AsyncClient(timeout=60) as http:
        await first_token(http, url, base)  # warm-up: first-call costs of the reference kernels
        for run in range(runs):
            name = f"kokoron-bench-{run}"
            registry.register(name, adapter)
            started = time.perf_counter()
            await soul.activate(registry, model, name, "bench", verify=verify)
            activated = time.perf_counter()
            adapter_first = await first_token(http, url, await model.model_name())
            times["activate"].append(activated - started)
            times["adapter_first"].append(adapter_first)
            times["total"].append(activated - started + adapter_first)
            times["base_first"].append(await first_token(http, url, base))
            unloaded = await http.post(url + "/unload_lora_adapter", json={"lora_name": name})
            unloaded.raise_for_status()
    await model.aclose()
    registry.close()
    return times


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, server: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"koclaw serve exited with {server.returncode}")
        try:
            if httpx2.get(url + "/models", timeout=2).status_code == 200:
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("koclaw serve did not come up")


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1, help="the server's torch threads (OMP_NUM_THREADS)")
    parser.add_argument("--no-verify", action="store_true", help="skip activate's greedy probe")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "KOCLAW_HOME": tmp, "OMP_NUM_THREADS": str(args.threads)}
        adapter = Path(tmp) / "adapter"
        subprocess.run([sys.executable, "-c", MAKE_ADAPTER, str(adapter)], env=env, cwd=ROOT, check=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}/v1"
        koclaw = str(Path(sys.executable).with_name("koclaw"))
        command = [koclaw, "serve", "--tiny", "--port", str(port)]
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_ready(url, server)
            os.environ.update({"KOCLAW_HOME": tmp, "KOCLAW_LLM__BASE_URL": url})
            times = asyncio.run(bench(url, adapter, args.runs, not args.no_verify))
        finally:
            server.terminate()
            server.wait(30)
    report(times, args.runs, args.threads, not args.no_verify)


def report(times: dict[str, list[float]], runs: int, threads: int, verify: bool) -> None:
    print(f"tiny Kokoron, `koclaw serve --tiny` on loopback, {runs} runs, server torch threads {threads}")
    steps = "load + list + greedy probe x2 + record" if verify else "load + list + record, no probe"
    labels = {
        "activate": f"soul.activate ({steps})",
        "adapter_first": "then first token from the adapter",
        "total": "activate -> first adapter token",
        "base_first": "baseline: first token from the base",
    }
    for key, label in labels.items():
        values = [v * 1000 for v in times[key]]
        middle, low, high = statistics.median(values), min(values), max(values)
        print(f"  {label:<54} median {middle:7.1f} ms  (min {low:.1f}, max {high:.1f})")
    ratio = statistics.median(times["total"]) / statistics.median(times["base_first"])
    print(f"  activate -> first token is {ratio:.1f}x the base's first token")


if __name__ == "__main__":
    main()
