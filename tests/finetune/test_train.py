"""Training on the tiny Kokoron: config precedence, the loss mask, the adapter and its manifest, resume,
the held-out split, the CLI, and the vLLM key trap (text-class adapters do nothing on the wrapper class)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch", reason="training extra not installed")
pytest.importorskip("trl", reason="training extra not installed")

from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

from finetune.dataset import read_records  # noqa: E402
from finetune.eval_prompts import read_heldout  # noqa: E402
from finetune.evaluate import heldout_loss  # noqa: E402
from finetune.export import export, trl_row  # noqa: E402
from finetune.render import TurnSample, samples_of  # noqa: E402
from finetune.tiny import ensure_tiny  # noqa: E402
from finetune.train import (  # noqa: E402
    PRESETS,
    TARGET_MODULES,
    TrainConfig,
    build_trainer,
    load_config,
    prepare_data,
    train,
    warmup_steps,
)
from finetune.validate import split_think  # noqa: E402
from finetune.vllm_compat import (  # noqa: E402
    check_adapter_keys,
    convert_for_vllm,
    rename_key,
    wrapper_from_text,
)
from koclaw.errors import InputError  # noqa: E402
from tests.conftest import run_koclaw  # noqa: E402
from tests.finetune.conftest import distinct_conversations, write_jsonl  # noqa: E402

WRAPPER = "Qwen3_5ForConditionalGeneration"
SMALL = ["heldout=0.4", "max_length=256", "batch_size=2", "save_steps=1", "logging_steps=1", "epochs=1"]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_tiny(tmp_path_factory.mktemp("tiny") / "tiny-kokoron")


@pytest.fixture(scope="module")
def wrapped_base(tiny_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model, declared as the wrapper class (as Qwen3.5-27B's config.json is)."""
    folder = tmp_path_factory.mktemp("wrapped") / "tiny-declared-wrapper"
    shutil.copytree(tiny_dir, folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["architectures"] = [WRAPPER]
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # 8 conversations; heldout=0.4 holds out zh-3, ja-2, en-1, en-2; two trained ones think, one calls a tool
    return write_jsonl(tmp_path_factory.mktemp("data") / "convs.jsonl", distinct_conversations())


def small(base: Path, data: Path, output: Path, *more: str, **flags: Any) -> TrainConfig:
    return load_config(
        None, [*SMALL, *more], preset="tiny", data=[data], output=output, base_model=str(base), **flags
    )


@pytest.fixture(scope="module")
def run(wrapped_base: Path, data_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-step run whose output folder the tests below read (and copy before changing)."""
    output = tmp_path_factory.mktemp("run") / "out"
    said: list[str] = []
    adapter = train(small(wrapped_base, data_file, output, max_steps=2), progress=said.append)
    assert adapter == output / "adapter"
    assert any("tok/s" in line for line in said)
    return output


def test_config_precedence_preset_yaml_set_flags(tmp_path: Path) -> None:
    defaults = TrainConfig()
    assert (defaults.base_model, defaults.lora_r, defaults.lora_alpha, defaults.lora_dropout) == (
        "Qwen/Qwen3.5-27B", 64, 128, 0.05,
    )  # fmt: skip
    assert (defaults.batch_size, defaults.grad_accum, defaults.max_length, defaults.epochs) == (
        1,
        16,
        2048,
        2.0,
    )
    yaml_file = tmp_path / "train.yaml"
    yaml_file.write_text("lora_r: 8\nlearning_rate: 0.001\nepochs: 3\n", encoding="utf-8")
    config = load_config(
        yaml_file, ["learning_rate=2e-3", "data=[a.jsonl, b.jsonl]"], preset="tiny", epochs=5
    )
    assert config.base_model == "tiny"  # preset
    assert config.lora_r == 8  # YAML over the preset's 64
    assert config.learning_rate == 2e-3  # --set over YAML
    assert config.epochs == 5  # a direct flag over YAML
    assert config.data == [Path("a.jsonl"), Path("b.jsonl")]
    assert load_config(preset="tiny").data[0].name.endswith(".jsonl")  # the seeds by default


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (["lora_rank=8"], "unknown setting 'lora_rank'"),
        (["heldout=2"], "heldout"),
        (["epochs=many"], "epochs"),
        (["noequals"], "key=value"),
    ],
)
def test_bad_settings_are_input_errors(sets: list[str], message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        load_config(None, sets)


def test_target_modules_are_the_text_linears_of_both_classes(tiny_dir: Path) -> None:
    text = AutoModelForCausalLM.from_pretrained(tiny_dir)
    linear = [n for n, m in text.named_modules() if isinstance(m, torch.nn.Linear) and n != "lm_head"]
    assert all(re.fullmatch(TARGET_MODULES, n) for n in linear)
    assert {n.rsplit(".", 1)[1] for n in linear} >= {
        "in_proj_qkv",
        "in_proj_z",
        "in_proj_b",
        "in_proj_a",
        "out_proj",
    }
    wrapper = wrapper_from_text(text)
    names = [n for n, m in wrapper.named_modules() if isinstance(m, torch.nn.Linear)]
    hit = [n for n in names if re.fullmatch(TARGET_MODULES, n)]
    assert len(hit) == len(linear) and all(n.startswith("model.language_model.layers.") for n in hit)
    assert any(n.startswith("model.visual.") for n in names)  # there is a vision tower, and it is left alone


def _trained_rows(trainer: Any) -> list[tuple[str, str]]:
    """(whole text, labelled text) of every training row, in dataloader order."""
    tokenizer = trainer.processing_class
    rows = []
    for batch in trainer.get_train_dataloader():
        for ids, labels in zip(batch["input_ids"], batch["labels"], strict=True):
            real = ids[ids != tokenizer.pad_token_id]
            rows.append((tokenizer.decode(real), tokenizer.decode(ids[labels != -100])))
    return rows


def test_each_round_is_a_row_whose_labels_are_its_completion(
    tiny_dir: Path, data_file: Path, tmp_path: Path
) -> None:
    config = small(tiny_dir, data_file, tmp_path, "batch_size=4", "max_length=1024")
    data = prepare_data(config)
    trainer = build_trainer(config, data, tmp_path)
    samples = {s.completion: s for s in data.samples("train")}
    rows = _trained_rows(trainer)
    assert len(rows) == len(samples) == data.counts["train"] and not data.too_long["train"]
    for whole, trained in rows:
        sample = samples[trained]  # the loss covers exactly one round's completion
        assert whole == sample.prompt(trainer.processing_class) + sample.completion
        assert "<think>\n\n</think>" not in trained  # an empty think block is never a target
    thinking = [s for s in samples.values() if s.thinking]
    assert len(thinking) >= 2 and all("</think>" in s.completion for s in thinking)
    assert any(s.tool for s in samples.values())  # tool calls train in the runtime's JSON form
    assert all(
        s.completion.split("</think>\n\n")[-1].startswith('{"tool": ') for s in samples.values() if s.tool
    )


def test_real_qwen35_template_trains_what_the_server_renders(
    tiny_dir: Path, data_file: Path, tmp_path: Path
) -> None:
    from trl.chat_template_utils import qwen3_5_think_chat_template

    base = tmp_path / "qwen-template"
    shutil.copytree(tiny_dir, base)
    tokenizer = AutoTokenizer.from_pretrained(base)
    tokenizer.chat_template = qwen3_5_think_chat_template  # what the real Qwen3.5 tokenizer ships
    tokenizer.save_pretrained(base)
    config = small(base, data_file, tmp_path / "out", "batch_size=4", "max_length=1024")
    data = prepare_data(config)
    trainer = build_trainer(config, data, tmp_path / "out")
    template = getattr(trainer.processing_class, "chat_template", None)
    assert template == qwen3_5_think_chat_template  # no training swap
    rows = _trained_rows(trainer)
    thoughts = [
        thinking.strip()
        for c in data.train
        for m in c.messages
        if m.role == "assistant" and (thinking := split_think(m.content)[0])
    ]
    joined = "".join(trained for _, trained in rows)
    assert (
        "<think>\n老师最近很累" not in joined and "老师最近很累" in joined
    )  # trained; the opener is prompted
    for whole, trained in rows:
        prompt = whole[: len(whole) - len(trained)]
        assert "<think>\n\n</think>" not in trained
        if "</think>" in trained:
            assert prompt.endswith("<|im_start|>assistant\n<think>\n")
        else:
            assert prompt.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")
        assert not any(t in prompt for t in thoughts)  # earlier turns' thinking is never shown
    for conversation in data.train:
        for message in conversation.messages:
            if message.role == "user":
                assert message.content not in joined


def test_training_writes_adapter_manifest_and_loss_curve(
    run: Path, wrapped_base: Path, data_file: Path
) -> None:
    adapter = run / "adapter"
    for name in (
        "adapter_config.json",
        "adapter_model.safetensors",
        "heldout_ids.json",
        "heldout.jsonl",
        "loss.png",
    ):
        assert (adapter / name).is_file(), name
    assert (run / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (adapter / "tokenizer.json").exists()  # a tokenizer in the adapter would override the server's
    manifest = json.loads((adapter / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["base_model"] == str(wrapped_base)
    dataset = manifest["dataset"]
    assert dataset["files"] == [
        {
            "path": str(data_file),
            "sha256": __import__("hashlib").sha256(data_file.read_bytes()).hexdigest(),
            "records": 8,
            "accepted": 8,
        }
    ]
    assert (dataset["train"], dataset["heldout"], dataset["rejected"]) == (4, 4, 0)
    held = json.loads((adapter / dataset["heldout_ids_file"]).read_text(encoding="utf-8"))
    assert sorted(held) == ["en-1", "en-2", "ja-2", "zh-3"]
    assert manifest["config"]["lora_r"] == PRESETS["tiny"]["lora_r"] and manifest["config"]["max_steps"] == 2
    metrics = manifest["metrics"]
    assert metrics["steps"] == 2 and metrics["tokens_per_second"] > 0 and metrics["runtime_s"] > 0
    for key in ("train_loss", "eval_loss", "eval_loss_before", "first_loss", "last_loss"):
        assert isinstance(metrics[key], float), key
    assert manifest["code"]["koclaw"] and "transformers" in manifest["code"]
    assert manifest["created"] and manifest["training"]["loss"] == "completion tokens only"
    checks = manifest["adapter_checks"]
    assert checks["causal-lm"]["ok"] and not checks["vllm"]["ok"] and checks["vllm_copy"]["ok"]
    assert manifest["vllm_adapter"] == str(run / "adapter-vllm")


def test_the_registry_reads_the_base_model(run: Path, tmp_path: Path) -> None:
    from memory.soul import SoulRegistry

    registry = SoulRegistry(tmp_path / "soul.db")
    try:
        assert registry.register("tiny-v1", run / "adapter").base_model is not None
        assert registry.register("tiny-v1-vllm", run / "adapter-vllm").manifest["naming"] == "wrapper"
    finally:
        registry.close()


def test_heldout_is_the_split_that_export_writes(run: Path, data_file: Path, tmp_path: Path) -> None:
    export(read_records([data_file]), tmp_path, heldout=0.4, system="none", history_turns=0)  # as --tiny
    rows = [json.loads(line) for line in (tmp_path / "heldout.jsonl").read_text().splitlines()]
    exported = list(dict.fromkeys(TurnSample(**r).conversation for r in rows))
    assert json.loads((run / "adapter" / "heldout_ids.json").read_text()) == exported
    ours = read_heldout(run / "adapter" / "heldout.jsonl")
    assert [trl_row(s) for s in samples_of(ours, "none", history_turns=0)] == rows  # the very same samples


def test_heldout_loss_is_the_one_evaluation_measures(run: Path, wrapped_base: Path) -> None:
    """Training reports evaluation's token-weighted loss, not the trainer's mean of per-sample means."""
    from peft import PeftModel

    manifest = json.loads((run / "adapter" / "manifest.json").read_text(encoding="utf-8"))
    samples = samples_of(read_heldout(run / "adapter" / "heldout.jsonl"), "none", history_turns=0)
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(wrapped_base), run / "adapter")
    tokenizer, max_length = AutoTokenizer.from_pretrained(wrapped_base), manifest["config"]["max_length"]
    with torch.inference_mode():
        loss, tokens, _ = heldout_loss(model.eval(), tokenizer, samples, max_length)
    assert tokens == manifest["metrics"]["heldout_tokens"] > 0
    assert loss == pytest.approx(manifest["metrics"]["eval_loss"], rel=1e-4)


def test_warmup_never_spends_a_tiny_runs_first_step_at_lr_zero(
    tiny_dir: Path, data_file: Path, tmp_path: Path
) -> None:
    assert [warmup_steps(r, n) for r, n in ((0.05, 2), (0.03, 100), (0.29, 100), (0.0, 50))] == [0, 3, 29, 0]
    config = small(tiny_dir, data_file, tmp_path / "a", max_steps=2)  # the tiny preset's warmup_ratio 0.05
    trainer = build_trainer(config, prepare_data(config), tmp_path / "a")
    assert trainer.args.warmup_steps == 0
    trainer.create_optimizer_and_scheduler(num_training_steps=2)
    assert trainer.lr_scheduler is not None
    assert set(trainer.lr_scheduler.get_last_lr()) == {config.learning_rate}  # the first step learns
    by_epochs = small(tiny_dir, data_file, tmp_path / "b", "warmup_ratio=0.5")  # one epoch, no accumulation
    trainer = build_trainer(by_epochs, prepare_data(by_epochs), tmp_path / "b")
    assert trainer.args.warmup_steps == len(trainer.get_train_dataloader()) // 2 > 0


def test_resume_continues_from_the_last_checkpoint(
    run: Path, wrapped_base: Path, data_file: Path, tmp_path: Path
) -> None:
    output = tmp_path / "out"
    shutil.copytree(run, output)
    with pytest.raises(InputError, match="--resume"):
        train(small(wrapped_base, data_file, output, max_steps=4))
    with pytest.raises(InputError, match="lora_r"):
        train(small(wrapped_base, data_file, output, "lora_r=4", max_steps=4), resume=True)
    adapter = train(small(wrapped_base, data_file, output, "eval_before=false", max_steps=4), resume=True)
    metrics = json.loads((adapter / "manifest.json").read_text())["metrics"]
    assert metrics["resumed_from"] == "checkpoint-2" and metrics["steps"] == 4
    state = json.loads((output / "checkpoint-4" / "trainer_state.json").read_text())
    assert state["global_step"] == 4
    assert [e["step"] for e in state["log_history"] if "loss" in e] == [
        1,
        2,
        3,
        4,
    ]  # continued, not restarted
    with pytest.raises(InputError, match="Nothing to resume"):
        train(small(wrapped_base, data_file, tmp_path / "empty", max_steps=1), resume=True)


def test_cli_trains_the_tiny_model_on_the_seeds(koclaw_home: Path, tiny_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(tiny_dir, koclaw_home / "models" / "tiny-kokoron")  # built once per module, not per test
    out = tmp_path / "run"
    proc = run_koclaw(
        "finetune", "train", "--tiny", "--max-steps", "3", "--output", str(out),
        "--set", "batch_size=1", "--set", "max_length=128", "--set", "eval_before=false",
        timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"Adapter: {out / 'adapter'}" in proc.stdout
    assert "tokens/s" in proc.stdout and "final train loss" in proc.stdout
    assert "step 1/3" in proc.stderr and "Trained to step 3" in proc.stderr and "Traceback" not in proc.stderr
    manifest = json.loads((out / "adapter" / "manifest.json").read_text())
    assert manifest["base_model"] == "tiny" and manifest["dataset"]["train"] > 100
    assert manifest["adapter_checks"]["vllm"]["ok"]  # the tiny base is the text class: no renamed copy
    assert not (out / "adapter-vllm").exists()


def test_cli_errors_are_one_line(tmp_path: Path, data_file: Path) -> None:
    proc = run_koclaw("finetune", "train", "--output", str(tmp_path / "a"))
    assert proc.returncode == 2 and "No training data" in proc.stderr
    proc = run_koclaw("finetune", "train", "--set", "lora_rank=8", "--data", str(data_file))
    assert proc.returncode == 2 and "unknown setting 'lora_rank'" in proc.stderr
    missing = str(tmp_path / "no-such-model")
    proc = run_koclaw("finetune", "train", "--data", str(data_file), "--set", f"base_model={missing}")
    assert proc.returncode == 2 and "No base model at" in proc.stderr
    assert all("Traceback" not in text for text in (proc.stderr, proc.stdout))


def test_a_folder_without_a_model_is_an_input_error(data_file: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="Cannot load the base model"):
        train(small(tmp_path / "empty", data_file, tmp_path / "out", max_steps=1))


def greedy(model: Any, tokenizer: Any) -> list[int]:
    messages = [{"role": "user", "content": "老师今天想吃什么？"}]
    inputs = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=12, do_sample=False)
    return [int(t) for t in out[0, inputs["input_ids"].shape[1] :]]


def test_vllm_trap_and_conversion_on_the_wrapper_class(tiny_dir: Path, tmp_path: Path) -> None:
    from peft import LoraConfig, PeftModel, get_peft_model
    from safetensors.torch import load_file

    tokenizer = AutoTokenizer.from_pretrained(tiny_dir)
    peft_model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(tiny_dir), LoraConfig(r=8, target_modules=TARGET_MODULES)
    )
    with torch.no_grad(), torch.random.fork_rng(devices=[]):  # stands in for training: B is 0 at init
        torch.manual_seed(0)
        for name, param in peft_model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.5)
    adapter = tmp_path / "text-adapter"
    peft_model.save_pretrained(str(adapter))
    trained = greedy(peft_model, tokenizer)

    report = check_adapter_keys(adapter, architecture=WRAPPER)
    assert (report.ok, report.naming, report.matched) == (False, "text", 0)
    assert "change nothing" in report.advice
    assert check_adapter_keys(adapter, "causal-lm").ok
    converted = convert_for_vllm(adapter, tmp_path / "vllm-adapter")
    assert check_adapter_keys(converted, architecture=WRAPPER).ok
    before = load_file(adapter / "adapter_model.safetensors")
    after = load_file(converted / "adapter_model.safetensors")
    assert all(k.startswith("base_model.model.model.language_model.layers.") for k in after)
    assert len(before) == len(after)
    assert all(torch.equal(v, after[rename_key(k, "wrapper")]) for k, v in before.items())  # bytes untouched

    base = greedy(wrapper_from_text(AutoModelForCausalLM.from_pretrained(tiny_dir)), tokenizer)
    assert base == greedy(AutoModelForCausalLM.from_pretrained(tiny_dir), tokenizer)  # same text weights
    assert trained != base
    with pytest.warns(UserWarning, match="missing adapter keys"):
        trap = PeftModel.from_pretrained(
            wrapper_from_text(AutoModelForCausalLM.from_pretrained(tiny_dir)), adapter
        )
    assert greedy(trap, tokenizer) == base  # loads, changes nothing: the trap
    fixed = PeftModel.from_pretrained(
        wrapper_from_text(AutoModelForCausalLM.from_pretrained(tiny_dir)), converted
    )
    assert greedy(fixed, tokenizer) == trained


def test_trained_vllm_copy_changes_the_wrappers_logits(run: Path, tiny_dir: Path) -> None:
    from peft import PeftModel

    tokenizer = AutoTokenizer.from_pretrained(tiny_dir)
    inputs = tokenizer(
        "<|im_start|>user\n先生、こんにちは<|im_end|>\n<|im_start|>assistant\n", return_tensors="pt"
    )

    def logits(model: Any) -> Any:
        with torch.no_grad():
            return model(**inputs).logits

    text = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_dir), run / "adapter")
    wrapped = PeftModel.from_pretrained(
        wrapper_from_text(AutoModelForCausalLM.from_pretrained(tiny_dir)), run / "adapter-vllm"
    )
    base = logits(wrapper_from_text(AutoModelForCausalLM.from_pretrained(tiny_dir)))
    assert not torch.allclose(logits(wrapped), base)
    assert torch.allclose(logits(wrapped), logits(text), atol=1e-5)


def test_check_adapter_cli(run: Path, tmp_path: Path) -> None:
    proc = run_koclaw("finetune", "check-adapter", str(run / "adapter"))
    assert proc.returncode == 1 and "change nothing" in proc.stdout  # the base declares the wrapper class
    out = tmp_path / "for-vllm"
    proc = run_koclaw("finetune", "check-adapter", str(run / "adapter"), "--convert", str(out))
    assert proc.returncode == 0 and "ok: all" in proc.stdout and (out / "adapter_model.safetensors").is_file()
    again = tmp_path / "again"  # it fits vLLM already: converting it once more would break it
    proc = run_koclaw("finetune", "check-adapter", str(out), "--convert", str(again))
    assert proc.returncode == 0 and "nothing converted" in proc.stderr and not again.exists()
    (tmp_path / "a-file").write_text("x")
    for target in (tmp_path / "a-file", Path("/proc/for-vllm")):  # a file; a place nobody can write
        proc = run_koclaw("finetune", "check-adapter", str(run / "adapter"), "--convert", str(target))
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "for-vllm"]  # no half-written copy
    proc = run_koclaw("finetune", "check-adapter", str(tmp_path / "nothing"))
    assert proc.returncode == 2 and "not a folder" in proc.stderr and "Traceback" not in proc.stderr
