"""Hostile input to training: a finished run's folder, settings that diverge or that transformers would
only refuse after the model loads, non-UTF-8 configs, data whose every line is rejected."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="training extra not installed")
pytest.importorskip("trl", reason="training extra not installed")

from finetune.tiny import ensure_tiny
from finetune.train import TrainConfig, load_config, train
from finetune.train_output import manifest_json
from koclaw.errors import InputError
from tests.finetune.conftest import distinct_conversations, write_jsonl

SMALL = ["heldout=0.4", "max_length=256", "batch_size=2", "logging_steps=1", "eval_before=false"]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_tiny(tmp_path_factory.mktemp("tiny") / "tiny-kokoron")


@pytest.fixture(scope="module")
def data_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("data") / "convs.jsonl", distinct_conversations())


def small(tiny: Path, data: Path, output: Path, *more: str, steps: int = 1) -> TrainConfig:
    return load_config(
        None,
        [*SMALL, *more],
        preset="tiny",
        data=[data],
        output=output,
        base_model=str(tiny),
        max_steps=steps,
    )


def test_a_finished_adapter_is_never_trained_over(tiny_dir: Path, data_file: Path, tmp_path: Path) -> None:
    first = tmp_path / "run"
    adapter = train(small(tiny_dir, data_file, first))
    weights = (adapter / "adapter_model.safetensors").read_bytes()
    for checkpoint in first.glob("checkpoint-*"):
        shutil.rmtree(checkpoint)  # what a tidy-up or save_total_limit leaves: the adapter alone
    with pytest.raises(InputError, match=r"already holds adapter/.*pick a new --output"):
        train(small(tiny_dir, data_file, first))
    assert (adapter / "adapter_model.safetensors").read_bytes() == weights
    with pytest.raises(InputError, match=r"already holds adapter_model\.safetensors"):
        train(small(tiny_dir, data_file, adapter))  # -o the adapter folder itself
    for manifest in first.glob("adapter*/manifest.json"):  # a run killed while saving: weights, no manifest
        manifest.unlink()
    assert train(small(tiny_dir, data_file, first)) == adapter  # retrain's recovery runs it again
    assert (adapter / "manifest.json").is_file()


@pytest.mark.parametrize("rate", ["1e36", "1e38"])  # finite, far too big; the second overflows a step
def test_a_diverged_run_writes_no_adapter(tiny_dir: Path, data_file: Path, tmp_path: Path, rate: str) -> None:
    out = tmp_path / "run"
    with pytest.raises(InputError, match=r"Training diverged.*not finite.*lower learning_rate"):
        train(small(tiny_dir, data_file, out, f"learning_rate={rate}", steps=2))
    assert not (out / "adapter").exists()


@pytest.mark.parametrize("value", [".inf", ".nan", "-.inf"])
def test_non_finite_settings_are_refused(value: str) -> None:
    with pytest.raises(InputError, match="learning_rate: Input should be a finite number"):
        load_config(None, [f"learning_rate={value}"])


def test_manifests_are_strict_json() -> None:
    text = manifest_json({"metrics": {"eval_loss": math.nan, "steps": [1, math.inf]}})
    assert json.loads(text) == {"metrics": {"eval_loss": None, "steps": [1, None]}}


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("lr_scheduler=bogus", "lr_scheduler: Value error, 'bogus' is not one of linear, cosine"),
        ("optim=bogus", "optim: Value error, 'bogus' is not one of auto, adamw_torch"),
        ("target_modules=((", "target_modules: Value error, not a regular expression"),
    ],
)
def test_settings_transformers_would_refuse_late_are_refused_early(pair: str, message: str) -> None:
    with pytest.raises(InputError, match=re.escape(f"Bad training config: {message}")):
        load_config(None, [pair])


def test_target_modules_matching_nothing_is_one_line(tiny_dir: Path, data_file: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="'nomatch' matches no module"):
        train(small(tiny_dir, data_file, tmp_path / "run", "target_modules=nomatch"))


def test_a_non_utf8_config_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match="not UTF-8"):
        load_config(bad)


def test_all_rejected_names_the_files_to_validate(tmp_path: Path) -> None:
    rejected = write_jsonl(tmp_path / "bad one.jsonl", ["{nope", "[1]"])
    with pytest.raises(InputError, match=re.escape(f"koclaw finetune validate '{rejected}'")):
        train(load_config(None, preset="tiny", data=[rejected], output=tmp_path / "run"))
