"""`koclaw finetune eval`: score a new adapter against the base and the active Soul (registers on `finetune`).

Exit codes make it usable as a retraining step: 0 the gate passes, 1 it fails (the reasons are printed),
2 bad input (a missing or corrupt adapter, probe, held-out or gate file).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from koclaw.cli.common import JsonOption, print_json
from koclaw.cli.finetune import app
from koclaw.errors import InputError

if TYPE_CHECKING:
    from finetune.evaluate import Report


@app.command("eval")
def eval_adapter(
    adapter: Path = typer.Argument(..., help="the new adapter folder (what training wrote)"),
    base: str | None = typer.Option(
        None, "--base", help="tiny, a folder or a hub name (default: the adapter manifest's base_model)"
    ),
    heldout: Path | None = typer.Option(
        None, "--heldout", help="held-out JSONL: heldout.jsonl from `finetune export`, or conversations"
    ),
    probes: Path | None = typer.Option(None, "--probes", help="probe YAML (default: finetune/probes.yaml)"),
    against_active: bool = typer.Option(
        True, "--against-active/--no-against-active", help="also compare with the active Soul"
    ),
    gate_file: Path | None = typer.Option(None, "--gate", help="gate thresholds YAML (default: built in)"),
    as_json: bool = JsonOption,
    max_new_tokens: int | None = typer.Option(
        None, "--max-new-tokens", min=1, help="per reply (default: 48 on CPU, 1024 on GPU)"
    ),
    limit: int | None = typer.Option(None, "--limit", min=0, help="at most N probes and N held-out turns"),
    persona: bool = typer.Option(True, "--persona/--no-persona", help="the persona as system prompt"),
    tools: bool = typer.Option(
        True, "--tools/--no-tools", help="the runtime's tools section in the probes' system prompt"
    ),
    thinking: bool = typer.Option(
        True, "--thinking/--no-thinking", help="generate with thinking on, as the runtime does by default"
    ),
    batch_size: int | None = typer.Option(None, "--batch-size", min=1, help="replies generated at once"),
    report_file: Path | None = typer.Option(None, "--report", help="also write the JSON report here"),
) -> None:
    """Compare the adapter with the base (and the active Soul): addressing, language, think tags, tools,
    diversity and held-out perplexity side by side. Exit 0 when the gate passes, 1 when it fails."""
    from finetune.evaluate import (
        Contender,
        EvalSettings,
        active_contender,
        evaluate,
        load_probes,
        plan,
        read_heldout,
        system_prompt,
    )
    from finetune.hf import adapter_base, check_adapter
    from finetune.metrics import gate, load_gate

    folder = check_adapter(adapter)
    config = load_gate(gate_file)
    chosen_base = base or adapter_base(folder)
    if not chosen_base:
        raise InputError(f"{folder} does not say which base it was trained on: pass --base tiny|PATH.")
    settings = EvalSettings(
        max_new_tokens=max_new_tokens,
        limit=limit,
        persona=persona,
        tools=tools,
        thinking=thinking,
        batch_size=batch_size,
    )
    probe_list = load_probes(probes)
    conversations = read_heldout(heldout, system_prompt(persona, False)) if heldout else []
    prompts, measured = plan(probe_list, conversations, settings)
    if not prompts:
        raise InputError("Nothing to evaluate: raise --limit, or pass probes or a --heldout file.")
    contenders = [Contender("base", "base"), Contender("candidate", folder.name, folder)]
    notes = []
    if against_active:
        active, note = active_contender(chosen_base, folder)
        contenders += [active] if active else []
        notes += [note] if note else []

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Loading weights" bars are noise in a report
    report = evaluate(chosen_base, contenders, prompts, measured, settings, progress=_progress)
    report.notes[:0] = notes
    passed, reasons = gate(report.scores, config)
    data = report.as_dict((passed, reasons))
    _remember(folder, passed, data)
    if report_file is not None:
        from finetune.dataset import write_lines_atomic

        write_lines_atomic(report_file, [json.dumps(data, ensure_ascii=False, indent=2)])
    if as_json:
        print_json(data)
    else:
        _print(report, passed, reasons)
    if not passed:
        raise typer.Exit(1)


def _remember(folder: Path, passed: bool, data: dict[str, Any]) -> None:
    """Attach the result to the registered Soul version with this folder, if there is one."""
    from koclaw.cli.common import settings_or_exit
    from memory.soul import SoulRegistry

    registry = SoulRegistry(settings_or_exit().soul_db)
    try:
        adapter = registry.find_by_path(folder)
        if adapter is not None:
            registry.record_evaluation(
                adapter.name, passed, {k: v for k, v in data.items() if k != "samples"}
            )
    finally:
        registry.close()


def _progress(message: str) -> None:
    typer.echo(message, err=True)


def _print(report: Report, passed: bool, reasons: list[str]) -> None:
    from rich.console import Console
    from rich.table import Table

    from finetune.metrics import table_rows

    table = Table(title=f"Soul evaluation on {report.base}", title_justify="left")
    table.add_column("metric", no_wrap=True)
    for key in report.scores:
        table.add_column(report.labels[key], justify="right")
    for key in report.scores:
        if key != "candidate":
            table.add_column(f"Δ vs {key}", justify="right")
    for row in table_rows(report.scores):
        table.add_row(*row)
    # Piped output gets a width that fits the table instead of rich's 80 columns.
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    console.print(table)
    counts = report.settings
    typer.echo(
        f"{len(next(iter(report.samples.values())))} replies per model, max {counts['max_new_tokens']} new "
        f"tokens, in {report.seconds:.1f} s."
    )
    for note in report.notes:
        typer.echo(f"Note: {note}")
    if passed:
        typer.echo("Gate: PASSED")
    else:
        typer.echo("Gate: FAILED")
        for reason in reasons:
            typer.echo(f"  - {reason}")
