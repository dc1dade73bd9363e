"""`koclaw soul serve-cmd`: the production vLLM command serving every registered Soul adapter.

Registers on the `soul` group. Printed rather than run: production serves on a GPU machine, whose
paths may differ from this one's; review it, then run it there (or `koclaw serve --engine vllm`).
"""

from __future__ import annotations

from pathlib import Path

import typer

from finetune.vllm_cmd import DEFAULT_BASE, adapter_warnings, build
from koclaw.cli.common import settings_or_exit
from memory.soul import Adapter, SoulRegistry


def serve_cmd(
    base: str = typer.Option(DEFAULT_BASE, "--base", help="the base model every adapter was trained on"),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    host: str = typer.Option("127.0.0.1", "--host", help="address to bind; keep it local"),
    max_model_len: int = typer.Option(32768, "--max-model-len", min=512),
    quantization: str = typer.Option("fp8", "--quantization", help="vLLM's --quantization; none: omit"),
    served_name: str | None = typer.Option(None, "--served-name", help="the base's name (default: --base)"),
) -> None:
    """Print the vLLM command that serves the base and every registered adapter (the active one first)."""
    registry = SoulRegistry(settings_or_exit().soul_db)
    try:
        adapters = served_order(registry)
    finally:
        registry.close()
    for adapter in adapters:
        for warning in adapter_warnings(base, adapter.name, Path(adapter.path), adapter.base_model):
            typer.echo(f"warning: {warning}", err=True)
    command = build(
        base,
        adapters=[(a.name, a.path) for a in adapters],
        host=host,
        port=port,
        served_name=served_name,
        max_model_len=max_model_len,
        quantization=quantization,
    )
    typer.echo(command.shell())


def served_order(registry: SoulRegistry) -> list[Adapter]:
    """Every registered adapter, the active one first, then in the order they were registered."""
    active = registry.active()
    adapters = registry.adapters()
    return sorted(adapters, key=lambda a: a.name != active)


def register(app: typer.Typer) -> None:
    """Adds these commands to `koclaw soul` (called by `koclaw.cli`)."""
    app.command("serve-cmd")(serve_cmd)
