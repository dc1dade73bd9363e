"""The real CLI on a tiny checkpoint in Qwen3.5-27B's on-disk format (see :mod:`finetune.real_format`).

The tiny Kokoron is the text-only class with a template of our own; production loads a wrapper class with
a vision tower, an untied head and Qwen's own template (which strips earlier turns' thinking). Here the
CLI forms the retraining job uses run on that format: ``finetune train --set base_model=PATH``, the vLLM
copy's key names, ``finetune eval ADAPTER --heldout ... --json`` with a held-out loss, and the comparison
with the active Soul, registered the way the retraining job registers it (the vLLM copy).

One checkpoint and one training run are shared by the module (each CLI call spends ~5 s of CPU on imports).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch", reason="training extra not installed")
pytest.importorskip("trl", reason="training extra not installed")

from finetune.real_format import (
    ARCHITECTURE,
    TEMPLATE_TOKENS,
    build_real_format,
    build_real_model,
    build_real_tokenizer,
    real_template,
)
from finetune.vllm_compat import read_header
from tests.conftest import run_koclaw
from tests.fakes.openai_server import FakeOpenAIServer
from tests.finetune.conftest import distinct_conversations, write_jsonl

EARLIER_THINKING = ("老师最近很累，要温柔一点。", "先生は疲れているので、やさしく励まそう。")
"""The thinking of the first turn of zh-2 and ja-2: never in a later turn's prompt."""
ASSISTANT_THINKING = "<|im_start|>assistant\n<think>\n"
EMPTY_THINK = "<think>\n\n</think>"
TRAIN_SETTINGS = (
    "max_steps=2", "system=runtime", "max_length=4096", "batch_size=1", "grad_accum=1", "lora_r=8",
    "lora_alpha=16", "learning_rate=1e-2", "warmup_ratio=0", "gradient_checkpointing=false",
    "eval_before=false",
)  # fmt: skip
"""Two CPU steps; the runtime's prompt is ~1,500 tiny tokens, so 4096 leaves every sample whole."""
FAST_EVAL = ("--json", "--limit", "1", "--max-new-tokens", "4")


@pytest.fixture(scope="module")
def module_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A KOCLAW_HOME of the module's own while its fixtures run (the autouse home is per test)."""
    home = tmp_path_factory.mktemp("real-home")
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith("KOCLAW_"):
                patch.delenv(name)
        patch.setenv("KOCLAW_HOME", str(home))
        yield home


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_real_format(tmp_path_factory.mktemp("real") / "qwen3_5-real-format")


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight conversations (thinking, tool round, three languages); the split holds out en-2."""
    return write_jsonl(tmp_path_factory.mktemp("data") / "conversations.jsonl", distinct_conversations())


def train_args(checkpoint: Path, data: Path, output: Path, *extra: str) -> list[str]:
    sets = [arg for pair in (*TRAIN_SETTINGS, *extra) for arg in ("--set", pair)]
    return ["finetune", "train", "--data", str(data), "--set", f"base_model={checkpoint}", *sets,
            "--output", str(output)]  # fmt: skip


@pytest.fixture(scope="module")
def run(
    module_env: Path, checkpoint: Path, data_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """One `koclaw finetune train` run on the real-format checkpoint; its output folder."""
    output = tmp_path_factory.mktemp("runs") / "a"
    done = run_koclaw(*train_args(checkpoint, data_file, output), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert str(output / "adapter-vllm") in done.stdout, done.stdout  # the folder to serve is named
    return output


def lora_keys(folder: Path) -> list[str]:
    header, _ = read_header(folder / "adapter_model.safetensors")
    return sorted(k for k in header if k != "__metadata__")


def evaluate(adapter: Path, *extra: str) -> dict[str, Any]:
    done = run_koclaw(
        "finetune", "eval", str(adapter), "--heldout", str(adapter / "heldout.jsonl"), *FAST_EVAL, *extra,
        timeout=300,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr[-3000:]  # 1: the gate failed (a random model)
    report: dict[str, Any] = json.loads(done.stdout)
    return report


# -- the checkpoint itself ---------------------------------------------------------------------------


def test_the_checkpoint_has_the_real_layout_and_loads_as_the_text_class(checkpoint: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl.chat_template_utils import get_training_chat_template

    config = json.loads((checkpoint / "config.json").read_text(encoding="utf-8"))
    assert config["architectures"] == [ARCHITECTURE] and config["model_type"] == "qwen3_5"
    assert config["tie_word_embeddings"] is False and "vision_config" in config
    assert set(config["text_config"]["layer_types"]) == {"linear_attention", "full_attention"}
    keys = read_header(checkpoint / "model.safetensors")[0]
    assert any(k.startswith("model.language_model.layers.") for k in keys)
    assert any(k.startswith("model.visual.") for k in keys) and "lm_head.weight" in keys
    assert not any(k.startswith("model.layers.") for k in keys)

    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    assert tokenizer.chat_template == real_template()  # trl's copy of the hub template, byte for byte
    assert get_training_chat_template(tokenizer) is not None  # so trl recognises it as Qwen3.5's
    for token in TEMPLATE_TOKENS:
        assert len(tokenizer.encode(token, add_special_tokens=False)) == 1, token

    model = AutoModelForCausalLM.from_pretrained(checkpoint)
    assert type(model).__name__ == "Qwen3_5ForCausalLM"  # prefix remapped, vision tower left out
    assert not any("visual" in name for name, _ in model.named_parameters())
    assert model.lm_head.weight.data_ptr() != model.model.embed_tokens.weight.data_ptr()
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": "老师今天好吗？"}], tokenize=False, add_generation_prompt=True
    )
    assert str(prompt).endswith(ASSISTANT_THINKING)
    enc = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
    with torch.inference_mode():
        out = [model.generate(**enc, max_new_tokens=6, do_sample=False) for _ in range(2)]
    assert out[0].shape[1] > enc["input_ids"].shape[1] and torch.equal(out[0], out[1])


def test_building_is_deterministic_under_a_seed(checkpoint: Path) -> None:
    import torch
    from transformers import AutoTokenizer

    tokenizer = build_real_tokenizer()
    assert tokenizer.get_vocab() == AutoTokenizer.from_pretrained(checkpoint).get_vocab()
    first, again, other = (build_real_model(tokenizer, seed=s).state_dict() for s in (0, 0, 1))
    assert all(torch.equal(first[k], again[k]) for k in first)
    assert not torch.equal(first["lm_head.weight"], other["lm_head.weight"])


# -- the CLI on it -----------------------------------------------------------------------------------


def test_train_writes_text_and_vllm_adapters_without_vision_keys(run: Path) -> None:
    adapter, vllm = run / "adapter", run / "adapter-vllm"
    text_keys, vllm_keys = lora_keys(adapter), lora_keys(vllm)
    assert text_keys and all(k.startswith("base_model.model.model.layers.") for k in text_keys)
    assert all(k.startswith("base_model.model.model.language_model.layers.") for k in vllm_keys)
    assert [k.replace(".language_model.", ".", 1) for k in vllm_keys] == text_keys
    assert {k.split(".")[-3] for k in text_keys} >= {"in_proj_qkv", "out_proj", "q_proj", "down_proj"}
    assert not any("visual" in k or "lm_head" in k for k in text_keys + vllm_keys)

    manifest = json.loads((adapter / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["naming"] == "text" and manifest["vllm_adapter"] == str(vllm)
    checks = manifest["adapter_checks"]
    assert checks["causal-lm"]["ok"] and checks["vllm_copy"]["ok"]
    assert checks["vllm"]["architecture"] == ARCHITECTURE and not checks["vllm"]["ok"]
    assert all(c["vision_modules"] == 0 for c in checks.values())
    copy = json.loads((vllm / "manifest.json").read_text(encoding="utf-8"))
    assert copy["naming"] == "wrapper" and copy["for"] == "vllm"
    assert copy["transformers_adapter"] == str(adapter)
    assert manifest["metrics"]["steps"] == 2 and manifest["dataset"]["heldout"] >= 1


def test_eval_reports_a_heldout_loss_for_the_candidate_and_the_base(run: Path) -> None:
    report = evaluate(run / "adapter", "--no-against-active")
    assert set(report["scores"]) == {"base", "candidate"}
    for key in ("base", "candidate"):
        loss = report["scores"][key]["heldout_loss"]
        assert isinstance(loss, float) and loss > 0, (key, report["notes"])
    assert report["scores"]["candidate"]["heldout_loss"] != report["scores"]["base"]["heldout_loss"]


def test_eval_compares_with_the_active_soul_and_it_is_not_the_base(
    run: Path, checkpoint: Path, data_file: Path, server: FakeOpenAIServer, tmp_path: Path
) -> None:
    served = json.loads((run / "adapter" / "manifest.json").read_text(encoding="utf-8"))["vllm_adapter"]
    registered = run_koclaw("soul", "register", "kokoron-a", served)  # what the retraining job registers
    assert registered.returncode == 0, registered.stderr
    activated = run_koclaw("soul", "activate", "kokoron-a", "--by", "test")
    assert activated.returncode == 0, activated.stderr

    second = tmp_path / "b"
    again = train_args(checkpoint, data_file, second, "system=none", "max_steps=1", "seed=7")  # the chat only
    done = run_koclaw(*again, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = evaluate(second / "adapter")
    assert "active" in report["scores"], report["notes"]
    assert "kokoron-a" in report["models"]["active"]
    active, base = report["scores"]["active"], report["scores"]["base"]
    assert isinstance(active["heldout_loss"], float), report["notes"]
    assert active["heldout_loss"] != base["heldout_loss"]  # an adapter that loads as nothing scores as base
    assert "candidate-active" in report["deltas"]


def test_the_trainer_trains_on_the_real_templates_prompts(
    checkpoint: Path, data_file: Path, tmp_path: Path
) -> None:
    from finetune.train import build_trainer, load_config, prepare_data

    sets = [f"base_model={checkpoint}", *TRAIN_SETTINGS]
    config = load_config(None, sets, data=[data_file], output=tmp_path / "out")
    trainer = build_trainer(config, prepare_data(config), tmp_path / "out")
    tokenizer: Any = trainer.processing_class
    dataset: Any = trainer.train_dataset
    seen = thinking = 0
    for batch in trainer.get_train_dataloader():  # one epoch: every training sample once
        for ids, labels, mask in zip(
            batch["input_ids"], batch["labels"], batch["attention_mask"], strict=True
        ):
            kept = ids[mask.bool()].tolist()
            trained = labels[mask.bool()].tolist()
            start = next(i for i, label in enumerate(trained) if label != -100)
            assert all(label != -100 for label in trained[start:]), "one completion, at the end"
            prompt = tokenizer.decode(kept[:start], skip_special_tokens=False)
            completion = tokenizer.decode(kept[start:], skip_special_tokens=False)
            assert EMPTY_THINK not in completion and "<think>" not in completion, completion
            assert completion.endswith("<|im_end|>") and completion.count("<|im_end|>") == 1, completion
            assert not any(text in prompt for text in EARLIER_THINKING), prompt[-400:]
            if "</think>" in completion:  # a thinking round: the prompt opens the block, the model closes it
                thinking += 1
                assert prompt.endswith(ASSISTANT_THINKING), prompt[-200:]
            else:
                assert prompt.endswith(f"<|im_start|>assistant\n{EMPTY_THINK}\n\n"), prompt[-200:]
            seen += 1
    assert seen == len(dataset) and thinking >= 3
