"""`koclaw serve`'s transformers engine: the real server on a tiny Qwen3.5, spoken to as vLLM would be.

The base model is the tiny Kokoron taught (in a few seconds) to answer "hi" with Qwen's missing-opener
output `hm\\n</think>\\n\\nhello sensei`, and `bye` when thinking is off, so what the template and the
runtime's think filter do can be seen in greedy output. Adapters are real peft LoRA adapters.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch", reason="training extra not installed")
pytest.importorskip("peft", reason="training extra not installed")

import httpx2  # noqa: E402
from peft import LoraConfig, get_peft_model  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from finetune.serve import create_app, running  # noqa: E402
from finetune.serve_engine import Engine, Qwen3Parser  # noqa: E402
from finetune.tiny import ensure_tiny  # noqa: E402
from koclaw import soul  # noqa: E402
from koclaw.cli import app as cli  # noqa: E402
from koclaw.config import load_settings  # noqa: E402
from koclaw.errors import ConfigError, ModelRejected  # noqa: E402
from koclaw.events import Done, ErrorEvent, Event, ReasoningDelta, TextDelta  # noqa: E402
from koclaw.llm.base import ChatRequest  # noqa: E402
from koclaw.llm.openai_compat import OpenAICompatModel  # noqa: E402
from memory.soul import SoulRegistry  # noqa: E402
from tests.memory.test_soul import adapter_dir as fake_adapter_dir  # noqa: E402

BASE = "kokoron-base"
HI = [{"role": "user", "content": "hi"}]
THOUGHT, ANSWER, NO_THINK = "hm", "hello sensei", "bye"
RAW = f"{THOUGHT}\n</think>\n\n{ANSWER}"  # Qwen's output with thinking on: no opener


def train_parrot(tiny: Path, out: Path) -> Path:
    """The tiny model, fully fine-tuned until greedy decoding says exactly our two lines."""
    tokenizer = AutoTokenizer.from_pretrained(tiny)
    model = AutoModelForCausalLM.from_pretrained(tiny)
    pairs = [
        (tokenizer.apply_chat_template(HI, tokenize=False, add_generation_prompt=True), RAW),
        (
            tokenizer.apply_chat_template(
                HI, tokenize=False, add_generation_prompt=True, enable_thinking=False
            ),
            NO_THINK,
        ),
    ]
    batch = []
    for prompt, target in pairs:
        head = tokenizer(prompt, add_special_tokens=False).input_ids
        tail = tokenizer(target + "<|im_end|>", add_special_tokens=False).input_ids
        batch.append(
            (torch.tensor([head + tail]), torch.tensor([[-100] * len(head) + tail]), len(head), tail)
        )
    torch.manual_seed(0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for step in range(300):
        model.train()
        loss = sum(model(input_ids=ids, labels=labels).loss for ids, labels, _, _ in batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step >= 30 and step % 10 == 0 and _says(model, batch):
            break
    assert _says(model, batch), "the tiny model did not learn its two lines"
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def _says(model: Any, batch: list[Any]) -> bool:
    model.eval()
    with torch.no_grad():
        for ids, _, head, tail in batch:
            out = model.generate(input_ids=ids[:, :head], max_new_tokens=len(tail), do_sample=False)
            if out[0, head:].tolist() != tail:
                return False
    return True


def make_adapter(base: Path, out: Path) -> Path:
    """A real LoRA adapter with random, non-zero B: greedy output must change."""
    model = AutoModelForCausalLM.from_pretrained(base)
    config = LoraConfig(r=8, lora_alpha=64, target_modules="all-linear", init_lora_weights=False)
    torch.manual_seed(1)
    get_peft_model(model, config).save_pretrained(out)
    return out


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """The tiny model gains nothing from a second thread, and on a busy machine OpenMP's spinning threads
    make each training step a hundred times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("serve")
    parrot = train_parrot(ensure_tiny(root / "tiny"), root / "parrot")
    return {"root": root, "parrot": parrot, "adapter": make_adapter(parrot, root / "adapter")}


@pytest.fixture(scope="module")
def engine(dirs: dict[str, Path]) -> Engine:
    return Engine.open(str(dirs["parrot"]), served_name=BASE)


@pytest.fixture(scope="module")
def url(engine: Engine) -> Iterator[str]:
    with running(create_app(engine)) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def parser_url(engine: Engine) -> Iterator[str]:
    with running(create_app(engine, reasoning_parser="qwen3")) as base_url:
        yield base_url


@pytest.fixture
def client(url: str, monkeypatch: pytest.MonkeyPatch) -> OpenAICompatModel:
    """The runtime's own client, built from its normal settings."""
    monkeypatch.setenv("KOCLAW_LLM__BASE_URL", url)
    monkeypatch.setenv("KOCLAW_LLM__MAX_RETRIES", "0")
    return OpenAICompatModel(load_settings().llm)


def post(url: str, path: str, body: dict[str, Any]) -> httpx2.Response:
    return httpx2.post(url + path, json=body, timeout=60)


def complete(url: str, model: str = BASE, thinking: bool = True, **extra: Any) -> dict[str, Any]:
    body = {"model": model, "messages": HI, "max_tokens": 16, "temperature": 0}
    body |= {"chat_template_kwargs": {"enable_thinking": thinking}, **extra}
    response = post(url, "/chat/completions", body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def sse(url: str, body: dict[str, Any]) -> list[dict[str, Any] | str]:
    """The raw events of a stream: parsed JSON payloads, and '[DONE]'."""
    events: list[dict[str, Any] | str] = []
    with httpx2.stream("POST", url + "/chat/completions", json=body, timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                data = line[6:]
                events.append(data if data == "[DONE]" else json.loads(data))
            else:
                assert line == "", line
    return events


def gather(model: OpenAICompatModel, request: ChatRequest) -> list[Event]:
    async def go() -> list[Event]:
        try:
            return [event async for event in model.stream(request)]
        finally:
            await model.aclose()

    return asyncio.run(go())


def text_of(events: list[Event], kind: type[TextDelta] | type[ReasoningDelta]) -> str:
    return "".join(e.text for e in events if isinstance(e, kind))


def test_runtime_client_streams_visible_text_and_reasoning(client: OpenAICompatModel) -> None:
    events = gather(client, ChatRequest(messages=HI, thinking=True, max_tokens=32, temperature=0))
    assert text_of(events, TextDelta) == ANSWER  # the missing-opener output, split by the think filter
    assert text_of(events, ReasoningDelta).strip() == THOUGHT
    done = events[-1]
    assert isinstance(done, Done) and done.finish_reason == "stop" and done.model == BASE
    assert (done.usage.prompt_tokens or 0) > 0 and (done.usage.completion_tokens or 0) > 0


def test_raw_stream_has_vllms_shapes(url: str) -> None:
    body = {"model": BASE, "messages": HI, "stream": True, "stream_options": {"include_usage": True}}
    events = sse(url, body | {"temperature": 0, "max_tokens": 32})
    assert events[-1] == "[DONE]"
    chunks = [e for e in events[:-1] if isinstance(e, dict)]
    assert len(chunks) == len(events) - 1
    assert {(c["id"], c["object"], c["model"]) for c in chunks} == {
        (chunks[0]["id"], "chat.completion.chunk", BASE)
    }
    assert chunks[0]["id"].startswith("chatcmpl-")
    first, *middle, final, usage = chunks
    assert first["choices"] == [
        {"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None, "finish_reason": None}
    ]
    assert all(
        c["choices"][0]["finish_reason"] is None and set(c["choices"][0]["delta"]) == {"content"}
        for c in middle
    )
    assert "".join(c["choices"][0]["delta"]["content"] for c in middle) == RAW
    assert final["choices"][0]["finish_reason"] == "stop" and final["choices"][0]["delta"] == {"content": ""}
    assert usage["choices"] == []
    prompt, completion = usage["usage"]["prompt_tokens"], usage["usage"]["completion_tokens"]
    assert prompt > 0 and completion > 0 and usage["usage"]["total_tokens"] == prompt + completion
    no_usage = sse(url, {"model": BASE, "messages": HI, "stream": True, "max_tokens": 32, "temperature": 0})
    assert all(isinstance(c, str) or c["choices"] for c in no_usage)


def test_non_streaming_and_thinking_switch(url: str) -> None:
    on, off = complete(url), complete(url, thinking=False)
    assert on["object"] == "chat.completion"
    assert on["choices"][0]["message"] == {
        "role": "assistant",
        "content": RAW,
        "reasoning": None,
        "tool_calls": [],
    }
    assert on["choices"][0]["finish_reason"] == "stop"
    assert off["choices"][0]["message"]["content"] == NO_THINK
    # Thinking off, the template closes an empty think block in the prompt: more prompt tokens.
    assert off["usage"]["prompt_tokens"] > on["usage"]["prompt_tokens"]
    cut = complete(url, max_tokens=2)
    assert cut["choices"][0]["finish_reason"] == "length" and cut["usage"]["completion_tokens"] == 2
    omitted = post(url, "/chat/completions", {"messages": HI, "max_tokens": 16, "temperature": 0}).json()
    assert omitted["model"] == BASE and omitted["choices"][0]["message"]["content"] == RAW


def test_qwen3_reasoning_parser_splits_like_vllm(parser_url: str) -> None:
    body = {"model": BASE, "messages": HI, "stream": True, "max_tokens": 32, "temperature": 0}
    deltas = [c["choices"][0]["delta"] for c in sse(parser_url, body) if isinstance(c, dict) and c["choices"]]
    assert "".join(d.get("reasoning", "") for d in deltas) == THOUGHT + "\n"
    assert "".join(d.get("content", "") for d in deltas) == "\n\n" + ANSWER
    whole = complete(parser_url)["choices"][0]["message"]
    assert (whole["reasoning"], whole["content"]) == (THOUGHT + "\n", "\n\n" + ANSWER)
    off = complete(parser_url, thinking=False)["choices"][0]["message"]
    assert (off["reasoning"], off["content"]) == (None, NO_THINK)


def test_hot_loaded_adapter_changes_greedy_output(
    url: str, dirs: dict[str, Path], client: OpenAICompatModel
) -> None:
    before = complete(url)["choices"][0]["message"]["content"]
    loaded = post(url, "/load_lora_adapter", {"lora_name": "kokoron-v1", "lora_path": str(dirs["adapter"])})
    assert (loaded.status_code, loaded.text) == (
        200,
        "Success: LoRA adapter 'kokoron-v1' added successfully.",
    )
    try:
        cards = httpx2.get(url + "/models").json()["data"]
        assert [(c["id"], c["parent"], c["object"]) for c in cards] == [
            (BASE, None, "model"),
            ("kokoron-v1", BASE, "model"),
        ]
        adapted = complete(url, model="kokoron-v1")
        assert adapted["model"] == "kokoron-v1"
        assert adapted["choices"][0]["message"]["content"] != before
        assert complete(url)["choices"][0]["message"]["content"] == before  # the base is untouched
        again = post(
            url, "/load_lora_adapter", {"lora_name": "kokoron-v1", "lora_path": str(dirs["adapter"])}
        )
        assert again.status_code == 400 and "has already been loaded" in again.json()["error"]["message"]
        asyncio.run(client.load_adapter("kokoron-v1", str(dirs["adapter"])))  # the runtime takes that as fine
    finally:
        gone = post(url, "/unload_lora_adapter", {"lora_name": "kokoron-v1"})
    assert (gone.status_code, gone.text) == (200, "Success: LoRA adapter 'kokoron-v1' removed successfully.")
    missing = post(url, "/chat/completions", {"model": "kokoron-v1", "messages": HI})
    assert missing.status_code == 404
    twice = post(url, "/unload_lora_adapter", {"lora_name": "kokoron-v1"})
    assert (
        twice.status_code == 404
        and twice.json()["error"]["message"] == "The lora adapter 'kokoron-v1' cannot be found."
    )
    assert complete(url)["choices"][0]["message"]["content"] == before


@pytest.mark.parametrize("with_other_adapter", [False, True])
def test_corrupt_adapter_is_refused_and_nothing_changes(
    url: str, dirs: dict[str, Path], engine: Engine, with_other_adapter: bool
) -> None:
    corrupt = dirs["root"] / f"corrupt-{with_other_adapter}"
    shutil.copytree(dirs["adapter"], corrupt)
    (corrupt / "adapter_model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{broken")
    if with_other_adapter:
        assert post(
            url, "/load_lora_adapter", {"lora_name": "good", "lora_path": str(dirs["adapter"])}
        ).is_success
    try:
        base, models = complete(url), httpx2.get(url + "/models").json()["data"]
        adapted = complete(url, model="good") if with_other_adapter else None
        answer = post(url, "/load_lora_adapter", {"lora_name": "broken", "lora_path": str(corrupt)})
        assert answer.status_code == 400
        error = answer.json()["error"]
        assert error["type"] == "BadRequestError" and error["code"] == 400
        assert (
            error["message"].startswith("Loading lora broken failed:")
            and "Nothing changed" in error["message"]
        )
        assert [m["id"] for m in httpx2.get(url + "/models").json()["data"]] == [m["id"] for m in models]
        assert complete(url)["choices"] == base["choices"]
        if adapted is not None:
            assert complete(url, model="good")["choices"] == adapted["choices"]
        assert engine.model is engine.base or with_other_adapter  # no half-loaded adapter left behind
        nowhere = post(url, "/load_lora_adapter", {"lora_name": "x", "lora_path": str(dirs["root"] / "nope")})
        assert nowhere.status_code == 404 and "No adapter found" in nowhere.json()["error"]["message"]
    finally:
        if with_other_adapter:
            post(url, "/unload_lora_adapter", {"lora_name": "good"})
    assert engine.model is engine.base


def test_unknown_model_is_404_in_vllms_shape(url: str, client: OpenAICompatModel) -> None:
    answer = post(url, "/chat/completions", {"model": "nobody", "messages": HI})
    assert answer.status_code == 404
    assert answer.json() == {
        "error": {
            "message": "The model `nobody` does not exist.",
            "type": "NotFoundError",
            "param": "model",
            "code": 404,
        }
    }
    events = gather(client, ChatRequest(messages=HI, thinking=True, model="nobody"))
    assert isinstance(events[-1], ErrorEvent) and events[-1].kind == "rejected"


def test_soul_activate_hot_loads_and_serves_the_adapter(
    url: str, dirs: dict[str, Path], client: OpenAICompatModel, tmp_path: Path
) -> None:
    registry = SoulRegistry(tmp_path / "soul.db")
    registry.register("kokoron-v2", dirs["adapter"])

    async def go() -> tuple[str, list[Event]]:
        try:
            await soul.activate(registry, client, "kokoron-v2", "test")
            request = ChatRequest(messages=HI, thinking=False, max_tokens=8, temperature=0)
            return await client.model_name(), [e async for e in client.stream(request)]
        finally:
            await client.aclose()

    try:
        name, events = asyncio.run(go())
        assert name == "kokoron-v2" and registry.active() == "kokoron-v2"
        done = events[-1]
        assert isinstance(done, Done) and done.model == "kokoron-v2"
    finally:
        post(url, "/unload_lora_adapter", {"lora_name": "kokoron-v2"})
        registry.close()


def test_client_disconnect_stops_generation(dirs: dict[str, Path]) -> None:
    engine = Engine.open(str(dirs["root"] / "tiny"), served_name="tiny")  # untaught: never stops by itself
    body = {"messages": HI, "stream": True, "max_tokens": 4000, "temperature": 0}
    with running(create_app(engine)) as base_url:
        with httpx2.stream("POST", base_url + "/chat/completions", json=body, timeout=60) as response:
            lines = response.iter_lines()
            assert sum(1 for _, line in zip(range(8), lines, strict=False) if line.startswith("data: ")) >= 3
        started = time.monotonic()
        assert engine.lock.acquire(timeout=10), "generation went on after the client left"
        engine.lock.release()
        assert time.monotonic() - started < 10


def test_api_key_is_checked(engine: Engine) -> None:
    with running(create_app(engine, api_key="s3cret")) as base_url:
        assert httpx2.get(base_url + "/models").status_code == 401
        assert httpx2.get(base_url + "/models", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert httpx2.get(base_url + "/models", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_serve_cmd_prints_every_flag_and_adapter(tmp_path: Path, koclaw_home: Path) -> None:
    registry = SoulRegistry(load_settings().soul_db)
    for name in ("kokoron-v1", "kokoron-v2"):
        registry.register(name, fake_adapter_dir(tmp_path, name))
    registry.record_activation("kokoron-v2", "test")
    registry.close()
    result = CliRunner().invoke(cli, ["soul", "serve-cmd"])
    assert result.exit_code == 0, result.output
    command = result.stdout
    assert command.startswith("VLLM_ALLOW_RUNTIME_LORA_UPDATING=True vllm serve Qwen/Qwen3.5-27B")
    flat = " ".join(command.replace("\\\n", " ").split())
    for flag in (
        "--enable-lora --max-lora-rank 64",
        "--reasoning-parser qwen3",
        "--enable-auto-tool-choice --tool-call-parser qwen3_coder",
        "--quantization fp8",
        "--max-model-len 32768",
        "--served-model-name Qwen/Qwen3.5-27B",
        "--host 127.0.0.1 --port 8000",
    ):
        assert flag in flat, flag
    v1, v2 = (str((tmp_path / name).resolve()) for name in ("kokoron-v1", "kokoron-v2"))
    assert f"--lora-modules kokoron-v2={v2} kokoron-v1={v1}" in flat  # the active one first


def test_binding_defaults_to_localhost() -> None:
    import inspect

    from finetune import serve

    assert inspect.signature(serve.serve).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(serve.running).parameters["host"].default == "127.0.0.1"
    result = CliRunner().invoke(cli, ["serve", "--engine", "vllm"])  # vLLM is not installed in CI
    assert isinstance(result.exception, ConfigError)
    assert "pip install -e '.[vllm]'" in str(result.exception) and "--host 127.0.0.1" in str(result.exception)


@pytest.mark.parametrize("opener", ["", "<think>"])
def test_qwen3_parser_is_independent_of_chunking(opener: str) -> None:
    text = f"{opener}{RAW}"
    for cut in range(len(text) + 1):
        for second in range(cut, len(text) + 1):
            parser = Qwen3Parser(thinking=True)
            pieces = [text[:cut], text[cut:second], text[second:]]
            deltas = [d for piece in pieces for d in parser.feed(piece)] + parser.flush()
            assert "".join(d.get("reasoning", "") for d in deltas) == THOUGHT + "\n"
            assert "".join(d.get("content", "") for d in deltas) == "\n\n" + ANSWER


def test_tools_history_and_bad_requests(url: str) -> None:
    tool = {"type": "function", "function": {"name": "memory_save", "parameters": {"type": "object"}}}
    plain, with_tools = complete(url), complete(url, tools=[tool])
    assert with_tools["usage"]["prompt_tokens"] > plain["usage"]["prompt_tokens"]  # the tools preamble
    call = {"id": "c1", "type": "function", "function": {"name": "memory_save", "arguments": '{"fact": "x"}'}}
    history = [
        *HI,
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "content": "ok"},
    ]
    assert complete(url, messages=history)["choices"][0]["finish_reason"] in ("stop", "length")
    bad_role = post(url, "/chat/completions", {"messages": [{"role": "narrator", "content": "x"}]})
    assert bad_role.status_code == 400 and "chat template" in bad_role.json()["error"]["message"]
    too_long = post(url, "/chat/completions", {"messages": HI, "max_tokens": 10**6})
    assert too_long.status_code == 400 and "maximum context length" in too_long.json()["error"]["message"]
    no_messages = post(url, "/chat/completions", {"messages": []})
    assert no_messages.status_code == 400 and no_messages.json()["error"]["type"] == "BadRequestError"


def test_a_path_with_no_adapter_gets_the_right_advice(client: OpenAICompatModel, tmp_path: Path) -> None:
    with pytest.raises(ModelRejected, match="found no adapter at") as info:
        asyncio.run(client.load_adapter("ghost", str(tmp_path / "nowhere")))
    assert "VLLM_ALLOW_RUNTIME_LORA_UPDATING" not in str(info.value)
