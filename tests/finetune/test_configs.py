"""The shipped training recipe, the packaging that installs it and the int8 path it documents.

Why: the 27B run is never rehearsed on these machines, so the file it starts from must load and say
exactly what the recipe promises, and int8 must leave the output head in full precision.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from finetune.train import TARGET_MODULES, load_config, resolve_optim

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "finetune" / "configs" / "qwen3.5-27b.yaml"


def test_shipped_27b_config_loads_with_the_recipe() -> None:
    config = load_config(CONFIG)
    assert config.base_model == "Qwen/Qwen3.5-27B"
    assert (config.lora_r, config.lora_alpha) == (64, 128)
    assert config.target_modules == TARGET_MODULES  # every text linear layer, never the vision tower
    assert config.dtype == "bf16" and not config.int8
    assert config.optim == "paged_adamw_8bit"
    assert resolve_optim(config.optim, cuda=True) == "paged_adamw_8bit"  # kept as written, not "auto"
    assert config.epochs == 2 and config.max_length == 2048
    assert config.gradient_checkpointing
    assert config.lr_scheduler == "cosine" and config.learning_rate == pytest.approx(2e-4)
    assert config.batch_size * config.grad_accum == 16


def test_48gb_cards_add_one_set_and_flags_still_win() -> None:
    config = load_config(CONFIG, ["int8=true"], max_steps=5)
    assert config.int8 and config.max_steps == 5
    assert config.lora_r == 64 and config.base_model == "Qwen/Qwen3.5-27B"


def test_readme_points_at_the_shipped_config() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--config finetune/configs/qwen3.5-27b.yaml" in readme
    assert "--config train.yaml" not in readme


def test_pyproject_ships_the_config_the_gpu_extra_and_a_fixed_vllm() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "configs/*.yaml" in project["tool"]["setuptools"]["package-data"]["finetune"]
    extras = project["project"]["optional-dependencies"]
    names = {spec.split(">")[0].split("=")[0].split("<")[0] for spec in extras["gpu"]}
    assert names == {"bitsandbytes", "flash-linear-attention", "causal-conv1d"}
    assert not any(spec.startswith(tuple(names)) for spec in extras["train"])  # CPU CI never needs them
    assert extras["vllm"] == ["vllm>=0.21.0,<1"]  # the Gated DeltaNet LoRA fixes (PRs 36309, 38927)


def test_int8_keeps_the_output_head_in_full_precision(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch", reason="training extra not installed")
    pytest.importorskip("optimum.quanto", reason="training extra not installed")
    from optimum.quanto import QModuleMixin

    from finetune.hf import load_base
    from finetune.tiny import ensure_tiny

    model = load_base(str(ensure_tiny(tmp_path / "tiny-kokoron")), dtype="fp32", int8=True, device="cpu")
    quantized = {name for name, m in model.named_modules() if isinstance(m, QModuleMixin)}
    assert not isinstance(model.lm_head, QModuleMixin) and type(model.lm_head) is torch.nn.Linear
    assert model.lm_head.weight.dtype == torch.float32
    layer = model.model.layers[0]
    assert isinstance(layer.mlp.down_proj, QModuleMixin)
    assert any(".linear_attn." in n for n in quantized) and any(".self_attn." in n for n in quantized)
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([[1, 2, 3]])).logits
    assert torch.isfinite(logits).all()
