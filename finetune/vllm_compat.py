"""The vLLM key trap: check an adapter's module names against the server's model, and rename them.

Why this exists: ``AutoModelForCausalLM`` loads Qwen3.5-27B as the text-only ``Qwen3_5ForCausalLM``, so a
PEFT adapter trained that way names its weights ``base_model.model.model.layers.N...``. The checkpoint
declares ``Qwen3_5ForConditionalGeneration``, which is what vLLM builds, and there the text model lives at
``model.language_model.layers.N...`` (vLLM maps that prefix to its own ``language_model.model.``). vLLM
strips ``base_model.model.``, finds no module for ``model.layers...`` and serves the base model with no
error (vllm issue 48019). PEFT on the wrapper class behaves alike: it only warns about missing keys.

Our choice: train on the text-only class (no vision tower in memory, no LoRA on it by accident) and keep
that adapter for transformers (evaluation, the test server); :func:`convert_for_vllm` writes a copy with
the wrapper's names for vLLM (``adapter-vllm/`` beside ``adapter/``). Training on the wrapper instead would
give one folder right for vLLM and wrong for :func:`finetune.hf.load_base`, which builds the text class:
the same trap the other way round. Renaming is exact: the safetensors header is rewritten, the tensor bytes
are copied untouched, so no torch is needed and nothing is rounded. :func:`check_adapter_keys` says which
naming an adapter has and whether it fits the base model's class; the trainer records it in the manifest.

Matching follows the wrapper rule of transformers 5 and vLLM: an architecture ending in
``ForConditionalGeneration`` keeps its text model under ``model.language_model``. Verify a converted
adapter the way FACTS.md says: greedy output with and without it must differ (:func:`wrapper_from_text`
builds a tiny wrapper with a text model's weights for exactly that test).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from koclaw.errors import InputError

if TYPE_CHECKING:
    from transformers import PreTrainedModel

Naming = Literal["text", "wrapper"]
Target = Literal["vllm", "causal-lm"]
PEFT_PREFIX = "base_model.model."
TEXT_PREFIX = "model."
WRAPPER_PREFIX = "model.language_model."
VISION_PREFIX = "model.visual."
WEIGHTS = "adapter_model.safetensors"


@dataclass
class KeyReport:
    """What an adapter's weight names say, and whether the target model would use them."""

    adapter: str
    target: str
    architecture: str
    architecture_source: str  # config, given, tiny or assumed
    expected: Naming
    naming: str  # text, wrapper, mixed or none
    modules: int
    matched: int
    vision_modules: int
    unmatched_examples: list[str] = field(default_factory=list)
    non_finite: list[str] = field(default_factory=list)  # tensors holding NaN or inf (first few)

    @property
    def ok(self) -> bool:
        return self.modules > 0 and self.matched == self.modules and not self.non_finite

    @property
    def advice(self) -> str:
        if self.ok:
            return f"ok: all {self.modules} LoRA modules match {self.architecture} ({self.target})."
        if self.modules == 0:
            return "no LoRA weights found: retrain."
        if self.non_finite:
            return (
                f"weights hold NaN or inf (e.g. {self.non_finite[0]}): the adapter would load and answer "
                "garbage; retrain it with a lower learning_rate."
            )
        if self.expected == "wrapper" and self.naming == "text":
            return (
                f"{self.modules - self.matched} of {self.modules} modules would load with no error and "
                f"change nothing on {self.architecture}: run `koclaw finetune check-adapter "
                f"{self.adapter} --convert OUT` and serve OUT."
            )
        return f"{self.modules - self.matched} of {self.modules} modules do not match {self.architecture}."

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok, "advice": self.advice}


def read_header(path: Path) -> tuple[dict[str, Any], int]:
    """The safetensors header (name -> dtype/shape/offsets) and where the tensor bytes start."""
    try:
        with path.open("rb") as handle:
            size = int.from_bytes(handle.read(8), "little")
            if not 0 < size < 100_000_000:
                raise ValueError(f"header size {size}")
            header: dict[str, Any] = json.loads(handle.read(size))
            _check_offsets(header, path.stat().st_size - 8 - size)
    except (OSError, ValueError) as exc:
        raise InputError(f"{path} is not a readable safetensors file ({exc}); retrain the adapter.") from None
    return header, 8 + size


def _check_offsets(header: Any, data_bytes: int) -> None:
    """Every tensor's bytes lie within the file: a cut copy has an intact header and missing weights."""
    if not isinstance(header, dict):
        raise ValueError("the header is not a JSON object")
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
            raise ValueError(f"tensor {name[:200]!r} has no data_offsets")
        if not 0 <= offsets[0] <= offsets[1] <= data_bytes:
            raise ValueError(f"tensor {name[:200]!r} ends past the end of the file (truncated)")


def module_name(key: str) -> str:
    """``base_model.model.model.layers.0.mlp.up_proj.lora_A.weight`` -> ``model.layers.0.mlp.up_proj``."""
    name = key.removeprefix(PEFT_PREFIX)
    if ".lora_" in name:
        return name.split(".lora_", 1)[0]
    return name.rsplit(".", 1)[0]  # a full module saved whole (modules_to_save): drop .weight/.bias


def rename_module(name: str, to: Naming) -> str:
    """A module path in the other class's naming (vision and lm_head paths are the same in both)."""
    if to == "wrapper":
        if name.startswith(TEXT_PREFIX) and not name.startswith((WRAPPER_PREFIX, VISION_PREFIX)):
            return WRAPPER_PREFIX + name.removeprefix(TEXT_PREFIX)
        return name
    if name.startswith(WRAPPER_PREFIX):
        return TEXT_PREFIX + name.removeprefix(WRAPPER_PREFIX)
    return name


def rename_key(key: str, to: Naming) -> str:
    if not key.startswith(PEFT_PREFIX):
        return key
    return PEFT_PREFIX + rename_module(key.removeprefix(PEFT_PREFIX), to)


def naming_of(modules: list[str]) -> str:
    text = [m for m in modules if m.startswith(TEXT_PREFIX)]
    wrapped = sum(1 for m in text if m.startswith(WRAPPER_PREFIX))
    plain = sum(1 for m in text if not m.startswith((WRAPPER_PREFIX, VISION_PREFIX)))
    if not wrapped and not plain:
        return "none"
    return "mixed" if wrapped and plain else ("wrapper" if wrapped else "text")


def base_architecture(base: str | None) -> tuple[str, str]:
    """(architecture, source) of a base model name or folder, without downloading anything."""
    from finetune.hf import TINY

    if base == TINY:
        return "Qwen3_5ForCausalLM", "tiny"
    if base:
        config = Path(base).expanduser() / "config.json"
        if not config.is_file():
            config = _cached_config(base) or config
        if config.is_file():
            try:
                found = json.loads(config.read_text(encoding="utf-8")).get("architectures") or []
            except (OSError, ValueError):
                found = []
            if found:
                return str(found[0]), "config"
        if re.search(r"qwen3\.[5-9]", base, re.IGNORECASE):
            return "Qwen3_5ForConditionalGeneration", "assumed"  # what every Qwen3.5 hub checkpoint declares
    return "unknown (assumed text-only)", "assumed"


def _cached_config(repo: str) -> Path | None:
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(repo, "config.json")
    except Exception:  # no hub library, or not a repo id: nothing cached to read
        return None
    return Path(found) if isinstance(found, str) else None


def expected_naming(architecture: str, target: Target) -> Naming:
    if target == "causal-lm":
        return "text"  # AutoModelForCausalLM builds the text-only class (finetune.hf.load_base)
    return "wrapper" if architecture.endswith("ForConditionalGeneration") else "text"


def check_adapter_keys(
    adapter_dir: Path,
    target: Target = "vllm",
    *,
    architecture: str | None = None,
    non_finite: list[str] | None = None,
) -> KeyReport:
    """Would the target model use every LoRA weight in `adapter_dir`? Reads the names, then every value
    for NaN and inf (no torch) unless `non_finite` gives that scan's result for the same weights already:
    a 27B adapter is gigabytes, and a renamed copy holds the same numbers."""
    from finetune.hf import adapter_base, check_adapter

    folder = check_adapter(Path(adapter_dir))
    weights = folder / WEIGHTS
    if not weights.is_file():
        raise InputError(f"{folder} holds no {WEIGHTS}; only safetensors adapters can be checked.")
    header, start = read_header(weights)
    modules = sorted({module_name(k) for k in header if ".lora_" in k})  # the weights a server applies
    if architecture is not None:
        arch, source = architecture, "given"
    else:
        arch, source = base_architecture(adapter_base(folder))
    expected = expected_naming(arch, target)
    fits = [m for m in modules if _fits(m, expected)]
    return KeyReport(
        adapter=str(folder),
        target=target,
        architecture=arch,
        architecture_source=source,
        expected=expected,
        naming=naming_of(modules),
        modules=len(modules),
        matched=len(fits),
        vision_modules=sum(1 for m in modules if m.startswith(VISION_PREFIX)),
        unmatched_examples=[m for m in modules if m not in set(fits)][:5],
        non_finite=non_finite_tensors(weights, header, start)[:5] if non_finite is None else non_finite,
    )


# Float types by the bits that are all ones in an IEEE inf or NaN (the exponent), read as unsigned ints.
_EXPONENT = {"F64": ("<u8", 0x7FF0000000000000), "F32": ("<u4", 0x7F800000), "F16": ("<u2", 0x7C00),
             "BF16": ("<u2", 0x7F80)}  # fmt: skip


def non_finite_tensors(path: Path, header: dict[str, Any], start: int, block: int = 2**24) -> list[str]:
    """Tensors holding a NaN or an inf, read a block at a time without torch: a diverged run's adapter
    loads without error everywhere and makes the model answer garbage."""
    import numpy as np

    bad = []
    with path.open("rb") as handle:
        for name, entry in header.items():
            kind = _EXPONENT.get(entry.get("dtype", "")) if name != "__metadata__" else None
            if kind is None:
                continue
            dtype, mask = np.dtype(kind[0]), kind[1]
            first, last = entry["data_offsets"]
            handle.seek(start + first)
            for left in range(last - first, 0, -block):
                chunk = handle.read(min(left, block))
                if len(chunk) % dtype.itemsize:  # not whole numbers: damaged
                    bad.append(name)
                    break
                data = np.frombuffer(chunk, dtype=dtype)
                if bool(((data & dtype.type(mask)) == dtype.type(mask)).any()):
                    bad.append(name)
                    break
    return bad


def _fits(module: str, expected: Naming) -> bool:
    if not module.startswith(TEXT_PREFIX):
        return True  # lm_head and friends: the same path in both classes
    if module.startswith(VISION_PREFIX):
        return expected == "wrapper"
    return module.startswith(WRAPPER_PREFIX) == (expected == "wrapper")


def rename_adapter(adapter_dir: Path, out_dir: Path, to: Naming) -> Path:
    """Copy an adapter folder with its weights (and full-path target modules) renamed to `to`."""
    from finetune.hf import check_adapter

    source = check_adapter(Path(adapter_dir))
    weights = source / WEIGHTS
    if not weights.is_file():
        raise InputError(f"{source} holds no {WEIGHTS}; only safetensors adapters can be converted.")
    out = Path(out_dir).expanduser()
    if out.resolve() == source.resolve():
        raise InputError("Write the converted adapter to another folder; the original is kept as it is.")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} is not an empty folder: pick a new folder for the converted adapter.")
    header, start = read_header(weights)
    renamed = {k if k == "__metadata__" else rename_key(k, to): v for k, v in header.items()}
    if len(renamed) != len(header):
        raise InputError(f"{weights} holds the same module under both namings; it cannot be renamed.")
    config = json.loads((source / "adapter_config.json").read_text(encoding="utf-8"))
    config["target_modules"] = _renamed_targets(config.get("target_modules"), renamed, to)
    if isinstance(config.get("modules_to_save"), list):
        config["modules_to_save"] = [rename_module(m, to) for m in config["modules_to_save"]]
    data = json.dumps(renamed, separators=(",", ":")).encode("utf-8")
    data += b" " * (-len(data) % 8)  # safetensors pads the header to 8 bytes
    try:  # into a folder beside `out`, renamed at the end: an interrupted copy is never taken for one
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            for item in source.iterdir():
                if item.is_file() and item.name not in (WEIGHTS, "adapter_config.json"):
                    shutil.copy2(item, work / item.name)
            (work / "adapter_config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
            with weights.open("rb") as src, (work / WEIGHTS).open("wb") as dst:
                dst.write(len(data).to_bytes(8, "little") + data)
                src.seek(start)
                shutil.copyfileobj(src, dst)
            if out.exists():
                out.rmdir()  # empty, checked above
            work.rename(out)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    except OSError as exc:
        raise InputError(
            f"Cannot write the converted adapter to {out}: {exc}. Pick a writable folder."
        ) from None
    return out


def _renamed_targets(targets: Any, header: dict[str, Any], to: Naming) -> Any:
    """A regex must still match the renamed modules; full paths in a list are renamed, short names kept."""
    names = sorted({module_name(k) for k in header if k != "__metadata__" and ".lora_" in k})
    if isinstance(targets, str):
        if names and not all(re.fullmatch(targets, n) for n in names):
            raise InputError(
                f"The adapter's target_modules regex {targets!r} does not match the renamed modules "
                f"(e.g. {names[0]}): edit adapter_config.json by hand or retrain with finetune.train's regex."
            )
        return targets
    if isinstance(targets, list):
        return [rename_module(t, to) if "." in t else t for t in targets]
    return targets


def convert_for_vllm(adapter_dir: Path, out_dir: Path) -> Path:
    """A copy of a text-class adapter named for the wrapper class vLLM builds (``model.language_model``)."""
    return rename_adapter(adapter_dir, out_dir, "wrapper")


def serving_checks(adapter_dir: Path, vllm_dir: Path) -> tuple[dict[str, Any], Path | None]:
    """Check an adapter for transformers and for vLLM; write a renamed copy to `vllm_dir` when vLLM needs it.

    Returns the reports (for the manifest) and the copy's folder, or None when the adapter serves as it is.
    """
    causal = check_adapter_keys(adapter_dir, "causal-lm")
    vllm = check_adapter_keys(adapter_dir, "vllm", non_finite=causal.non_finite)
    checks = {"causal-lm": causal.as_dict(), "vllm": vllm.as_dict()}
    if vllm.ok or vllm.naming != "text" or vllm.expected != "wrapper":
        return checks, None
    convert_for_vllm(adapter_dir, vllm_dir)
    copy = check_adapter_keys(vllm_dir, "vllm", architecture=vllm.architecture, non_finite=vllm.non_finite)
    checks["vllm_copy"] = copy.as_dict()
    return checks, vllm_dir


def wrapper_from_text(model: PreTrainedModel) -> PreTrainedModel:
    """A ``Qwen3_5ForConditionalGeneration`` with `model`'s text weights and a tiny random vision tower.

    For checking adapters on the class vLLM builds: the text path computes exactly what `model` does.
    """
    import torch
    from transformers import Qwen3_5Config, Qwen3_5ForConditionalGeneration

    text = model.config.to_dict()
    vision = {
        "depth": 1,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_heads": 2,
        "out_hidden_size": text["hidden_size"],
        "patch_size": 4,
        "spatial_merge_size": 2,
        "temporal_patch_size": 2,
        "num_position_embeddings": 16,
    }
    config = Qwen3_5Config(
        text_config=text, vision_config=vision, tie_word_embeddings=text.get("tie_word_embeddings", False)
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        wrapper = Qwen3_5ForConditionalGeneration(config)
    state = {rename_module(k, "wrapper"): v for k, v in model.state_dict().items()}
    missing, unexpected = wrapper.load_state_dict(state, strict=False)
    left = [k for k in missing if not k.startswith(VISION_PREFIX)]
    if left or unexpected:
        raise ValueError(
            f"text weights do not fit the wrapper: missing {left[:3]}, unexpected {unexpected[:3]}"
        )
    wrapper.generation_config = model.generation_config
    wrapper.eval()
    return wrapper
