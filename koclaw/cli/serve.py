"""`koclaw serve`: an OpenAI-compatible model server for Kokoron, with LoRA adapters served by name.

Two engines behind one command. `transformers` (the default) is Koclaw's own server on transformers +
peft (`finetune.serve`): it runs anywhere, the tiny model included, and speaks vLLM's API, so the
runtime, `koclaw soul activate` and the benches use it as they would vLLM. `vllm` runs the production
command (the same one `koclaw soul serve-cmd` prints) and needs the `vllm` extra on a GPU machine.
Both bind to 127.0.0.1 unless told otherwise: a model server has no business on a public address.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from enum import StrEnum
from pathlib import Path

import typer

from finetune.vllm_cmd import DEFAULT_BASE, VLLMCommand, build
from koclaw.errors import ConfigError, InputError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


class EngineName(StrEnum):
    transformers = "transformers"
    vllm = "vllm"


class ParserName(StrEnum):
    qwen3 = "qwen3"
    none = "none"


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    model: str = typer.Option(DEFAULT_BASE, "--model", help="'tiny', a model folder or a hub name"),
    tiny: bool = typer.Option(False, "--tiny", help="serve the offline tiny model (same as --model tiny)"),
    adapter: list[str] = typer.Option([], "--adapter", help="NAME=PATH of a LoRA adapter; repeatable"),
    host: str = typer.Option(DEFAULT_HOST, "--host", help="address to bind; keep it local"),
    port: int = typer.Option(DEFAULT_PORT, "--port", min=0, max=65535),
    served_name: str | None = typer.Option(None, "--served-name", help="the base's name (default: --model)"),
    reasoning_parser: ParserName | None = typer.Option(
        None, "--reasoning-parser", help="qwen3: thinking in delta.reasoning [vllm: qwen3, else none]"
    ),
    engine: EngineName = typer.Option(EngineName.transformers, "--engine", help="transformers or vllm"),
    api_key: str | None = typer.Option(
        None, "--api-key", envvar="KOCLAW_SERVE_API_KEY", help="clients must send it as a Bearer token"
    ),
) -> None:
    """Serve a base model and LoRA adapters over vLLM's OpenAI-compatible API (runtime loading included).

    Point Koclaw at it with KOCLAW_LLM__BASE_URL=http://HOST:PORT/v1.
    """
    base = "tiny" if tiny else model
    adapters = _adapters(adapter)
    parser = reasoning_parser.value if reasoning_parser else None
    if engine is EngineName.vllm:
        command = build(
            _vllm_base(base),
            adapters=[(name, str(path)) for name, path in adapters.items()],
            host=host,
            port=port,
            served_name=served_name,
            reasoning_parser=parser or "qwen3",
            api_key=api_key,
        )
        _exec_vllm(command)
        return
    from finetune.serve import serve as run_server
    from finetune.serve_engine import Engine

    typer.echo(f"Loading {base}...", err=True)
    server = Engine.open(base, served_name=served_name, adapters=adapters)
    parser = None if parser == "none" else parser
    run_server(server, host=host, port=port, reasoning_parser=parser, api_key=api_key)


def _adapters(pairs: list[str]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or not name.strip() or not path.strip():
            raise InputError(f"--adapter {pair!r}: write it as NAME=PATH, e.g. kokoron-v2=~/adapters/v2.")
        if name.strip() in found:
            raise InputError(f"--adapter {name.strip()!r} is given twice; each adapter needs its own name.")
        found[name.strip()] = Path(path.strip()).expanduser().resolve()
    return found


def _vllm_base(base: str) -> str:
    """vLLM takes a hub name or a folder; 'tiny' is the built tiny model's folder (needs the train extra)."""
    if base != "tiny":
        return base
    from finetune.hf import resolve_base

    return resolve_base(base)


def _exec_vllm(command: VLLMCommand) -> None:
    """Replace this process with vLLM (its signals, its exit code); refuse clearly where vLLM is missing."""
    if importlib.util.find_spec("vllm") is None:
        raise ConfigError(
            "vLLM is not installed here. It needs a GPU machine: there, run pip install -e '.[vllm]' and "
            f"then this command again, or start vLLM yourself with:\n{command.shell()}\n"
            "Without a GPU, serve with the transformers engine: koclaw serve --engine transformers"
        )
    executable = shutil.which("vllm") or str(Path(sys.executable).with_name("vllm"))
    typer.echo(command.shell(), err=True)
    sys.stderr.flush()
    os.execve(executable, [executable, *command.argv[1:]], {**os.environ, **command.env})
