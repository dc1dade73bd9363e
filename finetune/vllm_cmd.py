"""The production vLLM command: one builder for `koclaw soul serve-cmd` and `koclaw serve --engine vllm`.

Why one builder: the flags that make Koclaw work on vLLM are easy to get subtly wrong, and each mistake
fails quietly. Without `--max-lora-rank 64` a rank-64 adapter is refused (the default is 16); without
`VLLM_ALLOW_RUNTIME_LORA_UPDATING=True` `koclaw soul activate` cannot hot-load; without
`--reasoning-parser qwen3` thinking arrives inside the content; without `--enable-auto-tool-choice
--tool-call-parser qwen3_coder` native tool calls are refused. Flag spellings follow vLLM's docs and
source (vllm >= 0.21, the pinned release with the Gated DeltaNet LoRA fixes). No torch and no vLLM
needed to build it.
"""

from __future__ import annotations

import json
import shlex
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_BASE = "Qwen/Qwen3.5-27B"
LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)  # vLLM's MaxLoRARanks
MIN_LORA_RANK = 64  # Kokoron's adapters are trained at rank 64
RUNTIME_LORA_ENV = "VLLM_ALLOW_RUNTIME_LORA_UPDATING"


@dataclass(frozen=True)
class VLLMCommand:
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    secret_env: frozenset[str] = frozenset()

    def shell(self) -> str:
        """Copy-pasteable, one flag per line; a secret shows as $NAME, to be set in the shell first."""
        env = [f"{k}=${k}" if k in self.secret_env else f"{k}={shlex.quote(v)}" for k, v in self.env.items()]
        lines = [" ".join([*env, shlex.join(self.argv[:3])])]  # VAR=... vllm serve BASE
        for arg in self.argv[3:]:
            if arg.startswith("--"):
                lines.append(arg)
            else:
                lines[-1] += " " + shlex.quote(arg)
        return " \\\n    ".join(lines)


def build(
    base: str = DEFAULT_BASE,
    *,
    adapters: Sequence[tuple[str, str]] = (),
    host: str = "127.0.0.1",
    port: int = 8000,
    served_name: str | None = None,
    max_model_len: int = 32768,
    quantization: str | None = "fp8",
    reasoning_parser: str | None = "qwen3",
    max_lora_rank: int | None = None,
    api_key: str | None = None,
) -> VLLMCommand:
    """`vllm serve BASE ...` serving `adapters` ((name, path) pairs, in order), runtime LoRA loading on."""
    rank = max_lora_rank or lora_rank([Path(path) for _, path in adapters])
    argv = ["vllm", "serve", base, "--host", host, "--port", str(port)]
    argv += ["--served-model-name", served_name or base, "--max-model-len", str(max_model_len)]
    if quantization and quantization != "none":
        argv += ["--quantization", quantization]
    if reasoning_parser and reasoning_parser != "none":
        argv += ["--reasoning-parser", reasoning_parser]
    argv += ["--enable-auto-tool-choice", "--tool-call-parser", "qwen3_coder"]
    argv += ["--enable-lora", "--max-lora-rank", str(rank)]
    if adapters:
        argv += ["--lora-modules", *(f"{name}={path}" for name, path in adapters)]
    env = {RUNTIME_LORA_ENV: "True"}
    if api_key:  # in the environment, not on the command line where `ps` shows it
        env["VLLM_API_KEY"] = api_key
    return VLLMCommand(argv, env, frozenset({"VLLM_API_KEY"}))


def lora_rank(folders: Sequence[Path]) -> int:
    """The smallest rank vLLM accepts that fits every adapter, at least 64 (unreadable configs count 64)."""
    needed = MIN_LORA_RANK
    for folder in folders:
        try:
            config = json.loads((folder / "adapter_config.json").read_text(encoding="utf-8"))
            pattern = config.get("rank_pattern") or {}
            ranks = [int(config.get("r") or 0), *(int(r) for r in pattern.values())]
        except (OSError, ValueError, TypeError, AttributeError):
            continue
        needed = max(needed, *ranks)
    return next((r for r in LORA_RANKS if r >= needed), needed)


def adapter_warnings(base: str, name: str, folder: Path, trained_on: str | None) -> list[str]:
    """What would make vLLM serve this adapter wrongly without an error: another base, or key names that
    miss vLLM's Qwen3.5 modules (a text-only adapter loads there and changes nothing; vllm issue 48019)."""
    found = []
    if trained_on and trained_on != base and Path(trained_on).name != Path(base).name:
        found.append(f"{name} was trained on {trained_on}, not {base}: vLLM may refuse it or serve nonsense.")
    keys = safetensors_keys(folder / "adapter_model.safetensors")
    if "qwen3.5" in base.lower() and keys and not any("language_model" in k for k in keys):
        found.append(
            f"{name}'s weights name no 'language_model' module (e.g. {keys[0]}): vLLM's Qwen3.5 loads such "
            "an adapter and changes nothing. Train on the class vLLM uses, or rename the keys."
        )
    return found


def safetensors_keys(path: Path) -> list[str]:
    """Tensor names from a safetensors header (8-byte length, then JSON), without loading any tensor."""
    try:
        with path.open("rb") as file:
            (size,) = struct.unpack("<Q", file.read(8))
            header = json.loads(file.read(min(size, 100_000_000)))
    except (OSError, ValueError, struct.error):
        return []
    return sorted(k for k in header if k != "__metadata__") if isinstance(header, dict) else []
