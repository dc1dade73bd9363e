"""Hostile input to the data commands: lone surrogates, outputs that are inputs or cannot be written,
stale export files, non-UTF-8 YAML, bad rate settings, an unreachable teacher, broken adapters."""

from __future__ import annotations

import json
import socket
import struct
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from finetune.dataset import read_records
from finetune.dedupe import _CHUNK, signatures
from finetune.eval_prompts import read_heldout
from finetune.validate import MAX_CONVERSATION_CHARS
from koclaw.errors import InputError
from memory.soul import SoulRegistry
from tests.conftest import run_koclaw
from tests.finetune.conftest import distinct_conversations, make, write_jsonl


def surrogate_line() -> str:
    raw = make("sur1", language="en")
    raw["messages"][1]["content"] = "Sensei \ud800 hi"
    return json.dumps(raw)  # ASCII: the lone surrogate travels as a \ud800 escape, as in a real file


def no_traceback(proc: Any) -> bool:
    return "Traceback" not in proc.stderr + proc.stdout


def test_a_lone_surrogate_is_an_encoding_reject_for_every_reader(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "s.jsonl", [surrogate_line(), *distinct_conversations()])
    proc = run_koclaw("finetune", "validate", str(data))
    assert proc.returncode == 1 and "encoding" in proc.stdout and "surrogate" in proc.stdout
    for check in (True, False):  # validate/export/train read with checks, merge without
        assert not read_records([data], check=check)[0].ok
    merged = run_koclaw("finetune", "merge", str(data), "-o", str(tmp_path / "m.jsonl"))
    assert merged.returncode == 0 and "surrogate" in merged.stderr and no_traceback(merged)
    exported = run_koclaw("finetune", "export", str(data), "-o", str(tmp_path / "e"), "--system", "none")
    assert exported.returncode == 0 and "encoding 1" in exported.stdout and no_traceback(exported)
    with pytest.raises(InputError, match=r"s\.jsonl:1 .*surrogate"):
        read_heldout(data)


def test_heldout_refuses_a_runaway_conversation_before_tokenizing(tmp_path: Path) -> None:
    raw = make("huge", language="en")
    raw["messages"][1]["content"] = "Sensei " + "x" * (MAX_CONVERSATION_CHARS + 1)
    with pytest.raises(InputError, match="over validate's limit"):
        read_heldout(write_jsonl(tmp_path / "h.jsonl", [raw]))


def test_merge_refuses_a_runaway_conversation(tmp_path: Path) -> None:
    raw = make("huge", language="en")
    raw["messages"][1]["content"] = "Sensei " + "x" * (MAX_CONVERSATION_CHARS + 1)
    record = read_records([write_jsonl(tmp_path / "h.jsonl", [raw])], check=False)[0]
    assert record.conversation is None and record.verdict.codes == ("runaway",)


def test_signatures_of_a_long_text_are_bounded_in_memory() -> None:
    long = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(8 * _CHUNK))
    tracemalloc.start()
    try:
        found = signatures([long, "short text"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 80_000_000  # one (64 x 262k) uint64 block would be 134 MB, twice over
    assert (found[0] == signatures([long])[0]).all()  # chunk by chunk: the same MinHash


def test_merge_output_cannot_be_an_input_and_is_not_replaced_without_force(tmp_path: Path) -> None:
    data = tmp_path / "self.jsonl"
    data.write_text('{"id": "x", \n[1]\n' + "\n".join(json.dumps(c) for c in distinct_conversations()))
    before = data.read_bytes()
    proc = run_koclaw("finetune", "merge", str(data), "-o", str(data))
    assert proc.returncode == 2 and "one of the files to merge" in proc.stderr and data.read_bytes() == before
    out = tmp_path / "out.jsonl"
    out.write_text("keep me\n")
    proc = run_koclaw("finetune", "merge", str(data), "-o", str(out))
    assert proc.returncode == 2 and "--force" in proc.stderr and out.read_text() == "keep me\n"
    assert run_koclaw("finetune", "merge", str(data), "-o", str(out), "--force").returncode == 0
    assert len(out.read_text().splitlines()) == 8
    assert "--force" in run_koclaw("finetune", "merge", "--help").stdout


@pytest.mark.parametrize("where", ["folder", "proc"])
def test_unwritable_outputs_are_one_line_errors(tmp_path: Path, where: str) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", distinct_conversations())
    merge_to = {"folder": tmp_path, "proc": Path("/proc/x.jsonl")}[where]
    export_to = {"folder": data, "proc": Path("/proc/x")}[where]
    for command, target, more in (("merge", merge_to, []), ("export", export_to, ["--system", "none"])):
        proc = run_koclaw("finetune", command, str(data), "-o", str(target), *more)
        assert proc.returncode == 2 and no_traceback(proc), proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("Error:")


def test_a_second_export_leaves_no_file_of_the_first(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", distinct_conversations())
    out = tmp_path / "out"
    args = ["finetune", "export", str(data), "-o", str(out), "--system", "none"]
    assert run_koclaw(*args, "--format", "both", "--heldout", "0.4").returncode == 0
    assert len(list(out.iterdir())) == 4
    assert run_koclaw(*args, "--heldout", "0").returncode == 0
    assert sorted(p.name for p in out.iterdir()) == ["train.jsonl"]
    (out / "notes.txt").write_text("mine")  # a folder with other files: only the set is replaced
    assert run_koclaw(*args, "--format", "both", "--heldout", "0.4").returncode == 0
    assert run_koclaw(*args, "--format", "sharegpt", "--heldout", "0").returncode == 0
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "train.sharegpt.jsonl"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_non_utf8_yaml_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\xff\xfe\x00")
    data = write_jsonl(tmp_path / "d.jsonl", distinct_conversations())
    proc = run_koclaw("finetune", "stats", str(data), "--no-chart", "--targets", str(bad))
    assert proc.returncode == 2 and "not UTF-8" in proc.stderr and no_traceback(proc)


@pytest.mark.parametrize("option", [("--rpm", "0"), ("--rpm", "-5"), ("--timeout", "0"), ("--timeout", "-1")])
def test_generate_refuses_rates_and_timeouts_below_their_minimum(
    tmp_path: Path, option: tuple[str, str]
) -> None:
    proc = run_koclaw(
        "finetune", "generate", "-o", str(tmp_path / "g"), "-n", "2", *option,
        "--teacher-url", "http://127.0.0.1:9/v1", "--teacher-model", "x",
    )  # fmt: skip
    assert proc.returncode == 2 and option[0] in proc.stderr and no_traceback(proc)


def test_an_unreachable_teacher_stops_the_run_with_what_to_do(tmp_path: Path) -> None:
    """After 10 s of refused connections (a blip that fails every worker at once is retried)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    proc = run_koclaw(
        "finetune", "generate", "-o", str(tmp_path / "g"), "-n", "100", "--rpm", "6000",
        "--teacher-url", url, "--teacher-model", "x", timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2 and f"cannot reach the teacher at {url}" in proc.stderr
    assert "fix --teacher-url" in proc.stderr and no_traceback(proc)


@pytest.mark.parametrize("damage", ["{not json", "", None])
def test_register_refuses_what_activate_would(tmp_path: Path, damage: str | None) -> None:
    folder = tmp_path / "fa"
    folder.mkdir()
    (folder / "adapter_config.json").write_text(damage if damage is not None else "{}")
    if damage is not None:
        (folder / "adapter_model.safetensors").write_bytes(b"w")
    registry = SoulRegistry(tmp_path / "soul.db")
    with pytest.raises(InputError, match=r"corrupt|no adapter weights"):
        registry.register("g", folder)
    assert registry.adapters() == []


def safetensors(path: Path, tensors: dict[str, int], cut: int = 0) -> Path:
    """A safetensors file of zero-filled F32 vectors (name -> length), its last `cut` bytes dropped."""
    header: dict[str, Any] = {}
    at = 0
    for name, n in tensors.items():
        header[name] = {"dtype": "F32", "shape": [n], "data_offsets": [at, at + 4 * n]}
        at += 4 * n
    raw = json.dumps(header).encode()
    path.write_bytes((struct.pack("<Q", len(raw)) + raw + b"\0" * at)[: -cut or None])
    return path


def test_check_adapter_refuses_cut_weights_and_files_without_lora(tmp_path: Path) -> None:
    folder = tmp_path / "ca"
    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "tiny"}))
    lora = {f"base_model.model.model.layers.0.mlp.up_proj.lora_{x}.weight": 64 for x in "AB"}
    safetensors(folder / "adapter_model.safetensors", lora)
    assert run_koclaw("finetune", "check-adapter", str(folder)).returncode == 0
    safetensors(folder / "adapter_model.safetensors", lora, cut=100)
    proc = run_koclaw("finetune", "check-adapter", str(folder))
    assert proc.returncode == 2 and "truncated" in proc.stderr and no_traceback(proc)
    safetensors(folder / "adapter_model.safetensors", {"base_model.model.lm_head.weight": 4})
    proc = run_koclaw("finetune", "check-adapter", str(folder))
    assert proc.returncode == 1 and "no LoRA weights" in proc.stdout


def poisoned_adapter(folder: Path, dtype: str = "F32", poison: bytes = b"\x00\x00\xc0\x7f") -> Path:
    """A text-class adapter for the tiny base whose last lora_B value is `poison` (a NaN or an inf)."""
    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "tiny"}))
    names = [f"base_model.model.model.layers.0.mlp.up_proj.lora_{x}.weight" for x in "AB"]
    size = len(poison) * 64
    header = {
        n: {"dtype": dtype, "shape": [64], "data_offsets": [i * size, (i + 1) * size]}
        for i, n in enumerate(names)
    }
    raw = json.dumps(header).encode()
    data = b"\0" * size + b"\0" * (size - len(poison)) + poison
    (folder / "adapter_model.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return folder


@pytest.mark.parametrize(
    ("dtype", "poison"), [("F32", b"\x00\x00\xc0\x7f"), ("BF16", b"\x80\x7f"), ("F16", b"\x00\x7c")]
)
def test_check_adapter_refuses_weights_that_hold_nan_or_inf(
    tmp_path: Path, dtype: str, poison: bytes
) -> None:
    """A diverged run made elsewhere: it loads everywhere without error and answers garbage."""
    folder = poisoned_adapter(tmp_path / "nan", dtype, poison)
    proc = run_koclaw("finetune", "check-adapter", str(folder), "--convert", str(tmp_path / "out"))
    assert proc.returncode == 1 and "NaN or inf" in proc.stdout and "lora_B" in proc.stdout, proc.stdout
    assert not (tmp_path / "out").exists() and no_traceback(proc)


def test_serving_checks_read_the_values_once_and_report_them_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 27B adapter is gigabytes: its transformers and vLLM checks share one scan."""
    from finetune import vllm_compat

    scans: list[Path] = []
    real = vllm_compat.non_finite_tensors

    def counted(path: Path, header: dict[str, Any], start: int, block: int = 2**24) -> list[str]:
        scans.append(path)
        return real(path, header, start, block)

    monkeypatch.setattr(vllm_compat, "non_finite_tensors", counted)
    checks, _ = vllm_compat.serving_checks(poisoned_adapter(tmp_path / "nan"), tmp_path / "vllm")
    assert len(scans) == 1
    assert all(c["non_finite"] and not c["ok"] for c in checks.values()), checks


def test_eval_names_nan_weights_not_a_key_mismatch(tmp_path: Path) -> None:
    from finetune.evaluate import fit_check

    with pytest.raises(InputError, match="NaN or inf") as caught:
        fit_check(poisoned_adapter(tmp_path / "nan"), "candidate")
    assert "unmatched" not in str(caught.value)
