"""`koclaw finetune eval` on the real tiny model: the held-out loss on both chat templates, the adapter fit
and effect checks, and the command end to end against the base and the active Soul."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch", reason="training extra not installed")
pytest.importorskip("peft", reason="training extra not installed")

from character.conversation import Conversation  # noqa: E402
from finetune import metrics  # noqa: E402
from finetune.render import turn_samples  # noqa: E402
from koclaw.errors import InputError  # noqa: E402
from tests.conftest import run_koclaw  # noqa: E402
from tests.finetune.conftest import write_jsonl  # noqa: E402


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from finetune.tiny import ensure_tiny

    return ensure_tiny(tmp_path_factory.mktemp("models") / "tiny-kokoron")


def make_adapter(base: Path, out: Path, seed: int, *, trained: bool = True, system: str = "none") -> Path:
    """A LoRA adapter; `trained`: random B, so its replies differ from the base's (else B = 0, a no-op)."""
    from peft import LoraConfig, get_peft_model

    from finetune.hf import load_base

    model = load_base(str(base), dtype="fp32", device="cpu")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        config = LoraConfig(
            r=4,
            lora_alpha=32,
            target_modules=["q_proj", "v_proj", "down_proj"],
            init_lora_weights=not trained,
        )
        get_peft_model(model, config).save_pretrained(str(out))
    manifest = {"base_model": str(base), "config": {"system": system, "max_length": 512}}
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return out


def vllm_copy(adapter: Path, out: Path) -> Path:
    """What training writes for a wrapper-class base: renamed keys, a manifest naming the original."""
    from finetune.vllm_compat import convert_for_vllm

    convert_for_vllm(adapter, out)
    manifest = json.loads((adapter / "manifest.json").read_text(encoding="utf-8"))
    manifest |= {"naming": "wrapper", "for": "vllm", "transformers_adapter": str(adapter)}
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def adapters(tiny_base: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("adapters")
    return make_adapter(tiny_base, root / "candidate", 1), make_adapter(tiny_base, root / "active", 2)


def test_heldout_loss_is_completion_only_on_the_tiny_and_the_real_qwen35_template(
    tiny_base: Path, distinct: list[dict[str, Any]]
) -> None:
    import trl

    from finetune.evaluate import completion_ids, heldout_loss
    from finetune.hf import load_base, load_tokenizer

    model = load_base(str(tiny_base), dtype="fp32", device="cpu")
    conversations = [Conversation.model_validate(c) for c in distinct[-3:]]  # en-1, en-2, zh-tool
    real = (Path(trl.__file__).parent / "chat_templates" / "qwen3_5_think.jinja").read_text(encoding="utf-8")
    for template in (None, real):
        tokenizer = load_tokenizer(str(tiny_base))
        if template is not None:
            tokenizer.chat_template = template  # no {% generation %} markers in it
        samples = [s for c in conversations for s in turn_samples(c, "none")]
        thinking = next(s for s in samples if s.thinking)
        ids, start = completion_ids(tokenizer, thinking)
        assert tokenizer.decode(ids[start:]) == thinking.completion  # thinking, </think>, reply, <|im_end|>
        assert thinking.prompt(tokenizer).endswith("<think>\n")
        with torch.inference_mode():
            loss, tokens, too_long = heldout_loss(model, tokenizer, samples, 4096)
            assert loss is not None and loss > 0 and too_long == []
            assert tokens == sum(
                len(completion_ids(tokenizer, s)[0]) - completion_ids(tokenizer, s)[1] for s in samples
            )
            short = heldout_loss(model, tokenizer, samples, 64)
        assert short[2] and short[1] < tokens  # samples over max_length are left out, as training does


def test_fit_check_maps_a_vllm_copy_to_its_transformers_folder(
    adapters: tuple[Path, Path], tmp_path: Path
) -> None:
    from finetune.evaluate import fit_check

    candidate = adapters[0]
    copy = vllm_copy(candidate, tmp_path / "adapter-vllm")
    assert fit_check(candidate, "The candidate") == candidate
    assert fit_check(copy, "The candidate") == candidate  # via the manifest's transformers_adapter
    sibling = vllm_copy(candidate, tmp_path / "run" / "adapter-vllm")
    shutil.copytree(candidate, tmp_path / "run" / "adapter")
    manifest = json.loads((sibling / "manifest.json").read_text(encoding="utf-8"))
    del manifest["transformers_adapter"]
    (sibling / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert fit_check(sibling, "The candidate") == tmp_path / "run" / "adapter"  # adapter/ beside it
    lone = vllm_copy(candidate, tmp_path / "lone")
    (lone / "manifest.json").write_text(json.dumps({"base_model": "x"}), encoding="utf-8")
    with pytest.raises(InputError, match=r"does not fit the evaluation model \(wrapper key names"):
        fit_check(lone, "The candidate")


@pytest.mark.slow
def test_eval_compares_base_candidate_and_the_active_soul_registered_as_its_vllm_copy(
    adapters: tuple[Path, Path], koclaw_home: Path, tmp_path: Path, distinct: list[dict[str, Any]]
) -> None:
    from memory.soul import SoulRegistry

    candidate, active = adapters
    served = vllm_copy(active, tmp_path / "adapter-vllm")
    registry = SoulRegistry(koclaw_home / "soul.db")
    registry.register("kokoron-v1", served)
    registry.record_activation("kokoron-v1", "test")
    assert registry.get("kokoron-v1").eval_path == str(active)
    registry.close()
    heldout = write_jsonl(tmp_path / "heldout.jsonl", [distinct[-1], distinct[-2]])  # zh-tool, en-2
    proc = run_koclaw(
        "finetune", "eval", str(candidate), "--heldout", str(heldout), "--limit", "3",
        "--max-new-tokens", "8", "--json", "--report", str(tmp_path / "report.json"), timeout=300,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    data = json.loads(proc.stdout)
    assert data == json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert data["models"] == {"base": "base", "candidate": "candidate", "active": "active kokoron-v1"}
    assert f"active Soul kokoron-v1: evaluated {active} (the server loads {served})" in data["notes"]
    assert "context: --system none (the adapter's manifest (config.system))" in data["notes"]
    assert set(data["deltas"]) == {"candidate-base", "candidate-active"}
    for key, scores in data["scores"].items():
        assert set(scores) == {m.name for m in metrics.METRICS}
        assert scores["heldout_loss"] > 0 and scores["heldout_ppl"] > 1
        assert data["counts"][key]["heldout_tokens"] > 0 and data["counts"][key]["think_well_formed"] == 6
    assert data["scores"]["base"]["heldout_loss"] != data["scores"]["candidate"]["heldout_loss"]
    assert data["loss"] == {"measured": True, "samples": 4, "too_long": []}
    for key in ("candidate", "active"):
        assert data["adapter_effect"][key]["max_logit_diff"] > 0
    assert data["settings"]["max_new_tokens"] == 8 and data["settings"]["system"] == "none"
    samples = data["samples"]
    assert [s["id"] for s in samples["base"]] == [
        "zh-tired", "zh-tool-save", "ja-morning", "zh-tool#0.0", "zh-tool#0.1", "en-2#0.0",
    ]  # fmt: skip
    assert [s["expect_tool"] for s in samples["base"]] == [
        None,
        "memory_save",
        None,
        "memory_save",
        None,
        None,
    ]
    outputs = {key: [s["output"] for s in rows] for key, rows in samples.items()}
    assert outputs["base"] != outputs["candidate"] != outputs["active"]
    gate = data["gate"]
    assert gate["passed"] is (proc.returncode == 0) and (gate["passed"] or gate["reasons"])
    assert gate["min_samples"] == 8 and "Wilson" in gate["rule"]
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_eval_in_the_runtime_context_table_and_a_passing_gate(
    adapters: tuple[Path, Path], tmp_path: Path
) -> None:
    lenient = tmp_path / "gate.yaml"
    lenient.write_text("must_beat_base: []\n", encoding="utf-8")
    proc = run_koclaw(
        "finetune", "eval", str(adapters[0]), "--system", "runtime", "--limit", "1", "--max-new-tokens", "2",
        "--gate", str(lenient), timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "addressing zh 老师" in proc.stdout and "Δ vs base" in proc.stdout
    assert "memory section used" in proc.stdout
    assert "Gate: PASSED" in proc.stdout
    assert "no active Soul" in proc.stdout and "context: --system runtime (--system)" in proc.stdout


@pytest.mark.slow
def test_adapters_that_change_nothing_or_are_broken_exit_2(
    adapters: tuple[Path, Path], tiny_base: Path, tmp_path: Path, koclaw_home: Path
) -> None:
    from memory.soul import SoulRegistry

    noop = make_adapter(tiny_base, tmp_path / "untrained", 3, trained=False)
    proc = run_koclaw("finetune", "eval", str(noop), "--limit", "2", "--max-new-tokens", "4", timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "changes nothing: its greedy replies to 2 prompts and its logits are identical" in proc.stderr

    # An active Soul that cannot be compared is an error too, unless the comparison is declined.
    lone = vllm_copy(adapters[1], tmp_path / "lone")
    (lone / "manifest.json").write_text(json.dumps({"base_model": str(tiny_base)}), encoding="utf-8")
    registry = SoulRegistry(koclaw_home / "soul.db")
    registry.register("kokoron-x", lone)
    registry.record_activation("kokoron-x", "test")
    registry.close()
    proc = run_koclaw("finetune", "eval", str(adapters[0]), "--limit", "1", "--max-new-tokens", "2")
    assert proc.returncode == 2 and "The active Soul kokoron-x" in proc.stderr
    assert "--no-against-active" in proc.stderr and "Traceback" not in proc.stderr

    broken_config = Path(shutil.copytree(adapters[0], tmp_path / "broken-config"))
    (broken_config / "adapter_config.json").write_text("{not json", encoding="utf-8")
    proc = run_koclaw("finetune", "eval", str(broken_config))
    assert proc.returncode == 2
    assert "adapter_config.json is corrupt" in proc.stderr and "Traceback" not in proc.stderr

    broken_weights = Path(shutil.copytree(adapters[0], tmp_path / "broken-weights"))
    (broken_weights / "adapter_model.safetensors").write_bytes(b"garbage")
    proc = run_koclaw("finetune", "eval", str(broken_weights), "--limit", "1", "--no-against-active")
    assert proc.returncode == 2
    assert "not a readable safetensors file" in proc.stderr and "Traceback" not in proc.stderr

    proc = run_koclaw("finetune", "eval", str(tmp_path / "nowhere"))
    assert proc.returncode == 2 and "is not a folder" in proc.stderr
