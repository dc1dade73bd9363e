"""bench/soul_gpu_check.py's CPU smoke, its target verdicts, and the manifest's training-loop tokens/s.

Why: the GPU check runs once, offline, on a short lease; every path it takes (27B-shaped step in both
modes, the real trainer on the shipped config, the report) must already work on the CPU. And the tokens/s
a manifest records must be the training loop's, not diluted by the evaluations around it.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

torch = pytest.importorskip("torch", reason="training extra not installed")
pytest.importorskip("trl", reason="training extra not installed")

import finetune.train as train_module  # noqa: E402
from bench import lora_steps  # noqa: E402
from finetune.tiny import ensure_tiny  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "soul_gpu_check.py"
spec = importlib.util.spec_from_file_location("soul_gpu_check", SCRIPT)
assert spec is not None and spec.loader is not None
check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check)


def test_cpu_smoke_runs_every_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tiny = ensure_tiny(tmp_path / "tiny-kokoron")
    out = tmp_path / "out"
    argv = [
        "--cpu",
        "--layers",
        "2",
        "--hidden",
        "256",
        "--seq",
        "32",
        "--steps",
        "2",
        "--trainer-steps",
        "2",
    ]
    code = check.main([*argv, "--tiny-dir", str(tiny), "--out", str(out)])
    printed = capsys.readouterr().out
    report = json.loads((out / "soul_gpu_check.json").read_text(encoding="utf-8"))
    assert code == 0, printed
    assert report["shapes"]["hidden_size"] == 256 and report["shapes"]["num_hidden_layers"] == 2
    by_mode = {r["mode"]: r for r in report["steps"]}
    assert set(by_mode) == {"bf16", "int8"} and not any("error" in r for r in report["steps"])
    for result in by_mode.values():
        assert result["tokens_per_s"] > 0 and len(result["step_s_all"]) == 2 and result["trainable_m"] > 0
        assert "tokens_per_s_scaled" not in result  # reduced shapes are never scaled to 27B
    assert by_mode["bf16"]["quantized_modules"] == 0
    assert by_mode["int8"]["quantized_modules"] > 0 and not by_mode["int8"]["lm_head_quantized"]
    trainer = report["trainer"]
    assert trainer["device"] == "cpu" and trainer["steps"] == 2 and trainer["manifest_rate_is_loop_only"]
    assert report["targets"][0]["verdict"].startswith("not judged")
    assert "Soul GPU check on CPU" in printed and "Targets:" in printed
    assert {p.name for p in out.iterdir()} == {
        "soul_gpu_check.json", "summary.txt", "trainer.log", "trainer_manifest.json",
    }  # fmt: skip

    # The manifest's tokens/s is the trained tokens over the training loop's own time, nothing else.
    metrics = json.loads((out / "trainer_manifest.json").read_text(encoding="utf-8"))["metrics"]
    assert metrics["tokens_per_second"] == pytest.approx(metrics["tokens_trained"] / metrics["train_seconds"])
    assert metrics["tokens_trained"] == metrics["tokens_seen"] > 0
    assert 0 < metrics["train_seconds"] <= metrics["runtime_s"] + 0.01


def test_rate_stops_at_the_end_of_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before the fix the rate kept its clock running through the post-training evaluation."""
    now = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])  # the clock finetune.train reads
    said: list[str] = []
    callback = train_module.progress_callback(said.append)
    state = SimpleNamespace(num_input_tokens_seen=500, global_step=3, is_world_process_zero=True, max_steps=9)
    callback.on_train_begin(None, state, None)  # resumed: 500 tokens were seen before this run
    now[0] = 104.0
    state.num_input_tokens_seen, state.global_step = 4500, 9
    callback.on_step_end(None, state, None)
    callback.on_train_end(None, state, None)
    now[0] = 200.0  # a long held-out evaluation after training
    assert callback.seconds() == 4.0 and callback.tokens == 4000
    assert callback.rate() == 1000.0
    assert said == ["Trained to step 9 in 4s, 1,000 tok/s"]


def _step(mode: str, kernels: bool, **figures: Any) -> dict[str, Any]:
    return {"mode": mode, "fast_kernels": kernels, **figures}


def test_verdicts_judge_full_shapes_and_use_scaled_figures() -> None:
    steps = [
        _step(
            "bf16", True, tokens_per_s=9000.0, tokens_per_s_scaled=2500.0, peak_gib=20.0, peak_gib_scaled=66.0
        ),
        _step("bf16", False, tokens_per_s=800.0, peak_gib=71.0),
        _step("int8", True, error="out of GPU memory: rerun with --layers 16 (figures are then scaled)"),
    ]
    verdicts = {v["target"]: v for v in check.verdicts(steps, full_shapes=True)}
    assert verdicts["bf16 tokens/s >= 2,000 with fast kernels"] == {
        "target": "bf16 tokens/s >= 2,000 with fast kernels", "value": 2500.0, "verdict": "met",
    }  # fmt: skip
    assert verdicts["bf16 peak <= 70 GiB"]["verdict"] == "MISSED"  # the worst bf16 run counts
    assert verdicts["int8 peak <= 45 GiB"]["verdict"].startswith("not measured")
    no_kernels = check.verdicts([_step("bf16", False, tokens_per_s=3000.0, peak_gib=50.0)], full_shapes=True)
    assert "install flash-linear-attention" in no_kernels[0]["verdict"]
    assert check.verdicts(steps, full_shapes=False)[0]["verdict"].startswith("not judged")


def test_blocked_kernels_look_absent_to_transformers() -> None:
    code = (
        "import importlib.util, sys; sys.path.insert(0, 'bench'); import soul_gpu_check as c; "
        "c.block_kernels(); assert importlib.util.find_spec('fla') is None; "
        "exec('try:\\n import fla\\nexcept ImportError:\\n print(\"blocked\")')"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "blocked"
    assert lora_steps.layer_types(8) == ["linear_attention"] * 3 + ["full_attention"] + [
        "linear_attention"
    ] * 3 + ["full_attention"]


def test_no_gpu_without_cpu_flag_says_what_to_do(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert check.main(["--skip-trainer"]) == 2
    assert "add --cpu for the smoke run" in capsys.readouterr().err
