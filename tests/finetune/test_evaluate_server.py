"""`koclaw finetune eval --server URL`: the real `openai` client against a scripted OpenAI-compatible server
over real HTTP (vLLM's role in production). No model and no torch: the server answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from finetune.eval_server import NO_LOSS, as_output
from memory.soul import SoulRegistry
from memory.working import NOW_HEADER, SOUL_HEADER
from tests.conftest import run_koclaw
from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.finetune.conftest import write_jsonl

REPLIES = {"zh": "老师，辛苦啦！早点休息吧。", "ja": "先生、お疲れさまです！", "en": "Welcome back, Sensei!"}


def answers(candidate_changes: bool = True) -> Any:
    """The server's greedy answers: the base echoes in English, the adapters speak as Kokoron does, with
    their thinking in `reasoning` (vLLM's reasoning parser)."""

    def reply(body: dict[str, Any]) -> Reply:
        last = body["messages"][-1]["content"]
        lang = "zh" if "Chinese" in last else "ja" if "Japanese" in last else "en"
        if body["model"] == "tiny" or (body["model"] == "kokoron-v2" and not candidate_changes):
            return Reply(chunks=["</think>\n\nok."])  # a server without a reasoning parser
        return Reply(chunks=[{"reasoning": f"{body['model']} thinks about Sensei."}, REPLIES[lang]])

    return reply


def adapter_folder(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "adapter_config.json").write_text("{}", encoding="utf-8")
    (path / "adapter_model.safetensors").write_bytes(b"never read: the server has its own copy")
    return path


def test_the_servers_reasoning_and_content_become_the_output_the_checks_read() -> None:
    assert (
        as_output("Hi Sensei!", "Sensei is back.", "stop", True) == "Sensei is back.\n</think>\n\nHi Sensei!"
    )
    assert as_output("</think>\n\nHi", None, "stop", True) == "</think>\n\nHi"  # no parser: as written
    assert as_output(None, "still thinking", "length", True) == "still thinking"  # never closed
    assert as_output("Hi", None, "stop", False) == "Hi"
    assert as_output("", "the answer", "stop", False) == "the answer\n</think>\n\n"  # vLLM issue 53284


def test_eval_against_a_server_compares_base_candidate_and_active(
    koclaw_home: Path, tmp_path: Path, distinct: list[dict[str, Any]]
) -> None:
    registry = SoulRegistry(koclaw_home / "soul.db")
    registry.register("kokoron-v1", adapter_folder(tmp_path / "v1"))
    registry.register("kokoron-v2", adapter_folder(tmp_path / "v2"))
    registry.record_activation("kokoron-v1", "test")
    registry.close()
    heldout = write_jsonl(tmp_path / "heldout.jsonl", distinct[-2:-1])
    with FakeOpenAIServer(models=["tiny", "kokoron-v1", "kokoron-v2"], default=answers()) as server:
        proc = run_koclaw(
            "finetune", "eval", str(tmp_path / "v2"), "--server", server.url, "--heldout", str(heldout),
            "--limit", "3", "--max-new-tokens", "64", "--json", timeout=120,
        )  # fmt: skip
        requests = server.chat_requests
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(proc.stdout)
    assert data["source"] == "server"
    assert data["models"] == {"base": "base tiny", "candidate": "kokoron-v2", "active": "active kokoron-v1"}
    assert data["loss"] == {"measured": False, "why": NO_LOSS, "samples": 2}
    assert NO_LOSS in data["notes"]
    assert all(s["heldout_loss"] is None and s["heldout_ppl"] is None for s in data["scores"].values())
    assert data["scores"]["candidate"]["think_well_formed"] == 1.0
    assert data["scores"]["candidate"]["addressing"] == 1.0 and data["scores"]["base"]["addressing"] == 0.0
    assert data["scores"]["base"]["think_well_formed"] == 0.0  # an empty think block
    first = data["samples"]["candidate"][0]
    assert first["output"] == f"kokoron-v2 thinks about Sensei.\n</think>\n\n{REPLIES['zh']}"
    assert data["adapter_effect"]["candidate"] == {"replies_changed": 5, "replies": 5}
    assert len(requests) == 3 * 5  # 3 probes and 2 held-out rounds, for each of three models
    for body in requests:
        assert body["chat_template_kwargs"] == {"enable_thinking": True} and body["temperature"] == 0.0
        assert body["max_tokens"] == 64
        assert body["messages"][0]["content"].startswith(SOUL_HEADER)  # the runtime's context
        assert body["messages"][-1]["role"] == "tool" or body["messages"][-1]["content"].startswith(
            NOW_HEADER
        )
    assert {b["model"] for b in requests} == {"tiny", "kokoron-v1", "kokoron-v2"}
    assert "Traceback" not in proc.stderr


def test_a_served_adapter_that_changes_nothing_is_an_error(tmp_path: Path) -> None:
    with FakeOpenAIServer(models=["tiny", "kokoron-v2"], default=answers(candidate_changes=False)) as server:
        proc = run_koclaw(
            "finetune", "eval", "--server", server.url, "--model", "kokoron-v2", "--limit", "2", timeout=120
        )
        assert proc.returncode == 2, proc.stderr
        assert "changes nothing: its greedy replies to 2 prompts (a server gives no logits)" in proc.stderr
        proc = run_koclaw("finetune", "eval", "--server", server.url, "--model", "kokoron-v9")
        assert proc.returncode == 2 and "does not serve 'kokoron-v9'" in proc.stderr
    proc = run_koclaw("finetune", "eval", "--server", server.url, "--model", "kokoron-v2")
    assert proc.returncode == 2 and "Cannot reach the model server" in proc.stderr
    proc = run_koclaw("finetune", "eval")
    assert proc.returncode == 2 and "--server URL --model NAME" in proc.stderr
