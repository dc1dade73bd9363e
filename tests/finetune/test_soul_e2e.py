"""The CPU path end to end: `finetune train --tiny` on the seeds, then `finetune eval` against the base.

About a CPU minute of LoRA on the hand-written seeds, on the built-in Kokoron, must lower the held-out loss
and lift addressing and reply-language match over the base by at least 0.10 each (greedy; measured here
+0.33 and +0.21, so the margin is not float rounding). This is the slowest test in the suite.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="training extra not installed")
pytest.importorskip("trl", reason="training extra not installed")

from tests.conftest import run_koclaw

pytestmark = pytest.mark.training_e2e  # CPU minutes: everyday runs leave it out


def test_a_tiny_lora_on_the_seeds_beats_the_untrained_base(tmp_path: Path) -> None:
    out = tmp_path / "run"
    trained = run_koclaw("finetune", "train", "--tiny", "--output", str(out), timeout=1200)
    assert trained.returncode == 0, trained.stderr[-2000:]
    adapter = out / "adapter"
    manifest = json.loads((adapter / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["metrics"]["eval_loss"] < manifest["metrics"]["eval_loss_before"]

    evaluated = run_koclaw(
        "finetune", "eval", str(adapter), "--json", "--no-thinking", "--no-persona", "--no-tools",
        "--max-new-tokens", "32", "--heldout", str(adapter / "heldout.jsonl"), timeout=600,
    )  # fmt: skip
    assert evaluated.returncode in (0, 1), evaluated.stderr[-2000:]
    report = json.loads(evaluated.stdout)
    base, tuned = report["scores"]["base"], report["scores"]["candidate"]
    assert tuned["language_match"] >= base["language_match"] + 0.10, (base, tuned)
    assert tuned["addressing"] >= base["addressing"] + 0.10, (base, tuned)
    assert tuned["heldout_loss"] < base["heldout_loss"]
