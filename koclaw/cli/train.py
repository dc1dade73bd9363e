"""`koclaw finetune train` and `koclaw finetune check-adapter` (register on the `finetune` group).

The training stack is imported inside the commands: `koclaw --help` stays fast and the runtime never
needs torch. Every refusal is an InputError, printed as one line without a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from koclaw.cli.common import JsonOption, print_json
from koclaw.errors import InputError


def _need_training_stack() -> None:
    import importlib.util

    missing = [m for m in ("torch", "transformers", "peft", "trl") if importlib.util.find_spec(m) is None]
    if missing:
        raise InputError(
            f"Training needs {', '.join(missing)}: install the training extra "
            '(pip install torch==2.13.0 && pip install -e ".[train]").'
        )


def train(
    tiny: bool = typer.Option(
        False, "--tiny", help="the offline tiny model on the bundled seed conversations"
    ),
    config: Path | None = typer.Option(None, "--config", help="YAML file of settings (see finetune.train)"),
    sets: list[str] = typer.Option([], "--set", help="override one setting: key=value (repeatable)"),
    data: list[Path] = typer.Option([], "--data", help="conversation files (JSONL); repeatable"),
    output: Path | None = typer.Option(None, "--output", "-o", help="run folder (checkpoints, adapter)"),
    resume: bool = typer.Option(False, "--resume", help="continue from the last checkpoint in --output"),
    max_steps: int | None = typer.Option(None, "--max-steps", min=1, help="stop after N optimizer steps"),
    epochs: float | None = typer.Option(None, "--epochs", min=0.01, help="passes over the training data"),
    as_json: bool = JsonOption,
) -> None:
    """Train a LoRA adapter (loss on Kokoron's turns only) and write it with its manifest.

    Settings: defaults < --tiny preset < --config YAML < --set < the flags above.
    """
    _need_training_stack()
    from finetune.train import load_config
    from finetune.train import train as run_training

    settings = load_config(
        config, sets, preset="tiny" if tiny else None, data=data or None, output=output,
        max_steps=max_steps, epochs=epochs,
    )  # fmt: skip
    adapter = run_training(settings, resume=resume, progress=lambda line: typer.echo(line, err=True))
    manifest = json.loads((adapter / "manifest.json").read_text(encoding="utf-8"))
    if as_json:
        print_json(manifest)
        return
    metrics = manifest["metrics"]
    typer.echo(f"Adapter: {adapter}")
    if manifest.get("vllm_adapter") != str(adapter):
        typer.echo(f"For vLLM (keys renamed to language_model): {manifest['vllm_adapter']}")
    rate = metrics.get("tokens_per_second") or 0.0
    typer.echo(
        f"Steps: {metrics['steps']}  tokens/s: {rate:,.0f}  final train loss: {metrics['last_loss']:.4f}"
    )
    if metrics.get("eval_loss") is not None:
        before = metrics.get("eval_loss_before")
        was = f" (before training {before:.4f})" if before is not None else ""
        typer.echo(f"Held-out loss: {metrics['eval_loss']:.4f}{was}")
    typer.echo(f"Loss curve: {adapter / 'loss.png'}")


def check_adapter(
    adapter: Path = typer.Argument(..., help="a PEFT adapter folder"),
    convert: Path | None = typer.Option(None, "--convert", help="write a copy renamed for vLLM here"),
    target: str = typer.Option("vllm", "--target", help="vllm (the server) or causal-lm (transformers)"),
    architecture: str | None = typer.Option(None, help="the base model's class, if the folder can't tell"),
    as_json: bool = JsonOption,
) -> None:
    """Would the server use every LoRA weight? Catches adapters that load without error and change nothing."""
    from finetune.vllm_compat import check_adapter_keys, convert_for_vllm

    if target not in ("vllm", "causal-lm"):
        raise InputError(f"--target {target!r}: use vllm or causal-lm.")
    report = check_adapter_keys(
        adapter, "vllm" if target == "vllm" else "causal-lm", architecture=architecture
    )
    reports = [report]
    if convert is not None and report.ok and target == "vllm":
        typer.echo(f"{adapter} already fits vLLM: nothing converted, nothing written to {convert}.", err=True)
    elif convert is not None and not report.non_finite:  # converting a diverged adapter helps nobody
        out = convert_for_vllm(adapter, convert)
        reports.append(check_adapter_keys(out, "vllm", architecture=report.architecture, non_finite=[]))
    if as_json:
        print_json([r.as_dict() for r in reports])
    else:
        for r in reports:
            typer.echo(
                f"{r.adapter}: {r.naming} naming, {r.architecture} ({r.architecture_source}); {r.advice}"
            )
    if not reports[-1].ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Adds these commands to `koclaw finetune` (called by `koclaw.cli`)."""
    app.command("train")(train)
    app.command("check-adapter")(check_adapter)
