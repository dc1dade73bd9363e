"""`koclaw finetune eval`: score a new adapter against the base and the active Soul (registers on `finetune`).

Exit codes make it usable as a retraining step: 0 the gate passes, 1 it fails (the reasons are printed),
2 bad input (a missing or corrupt adapter, probe, held-out or gate file; an adapter whose keys do not fit
or that changes nothing; an active Soul that cannot be compared). With ``--server URL`` the models are the
ones that server serves (vLLM in production), judged the same way, without the held-out loss.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from koclaw.cli.common import JsonOption, print_json
from koclaw.errors import InputError

if TYPE_CHECKING:
    from finetune.evaluate import Report


def eval_adapter(
    adapter: Path | None = typer.Argument(
        None, help="the new adapter folder (what training wrote); optional with --server"
    ),
    base: str | None = typer.Option(
        None,
        "--base",
        help="tiny, a folder or a hub name (default: the adapter manifest's base_model); with --server, the "
        "base model's name there (default: the first served model that is not an adapter)",
    ),
    heldout: Path | None = typer.Option(
        None, "--heldout", help="held-out conversations (JSONL): adapter/heldout.jsonl from `finetune train`"
    ),
    probes: Path | None = typer.Option(None, "--probes", help="probe YAML (default: finetune/probes.yaml)"),
    against_active: bool = typer.Option(
        True, "--against-active/--no-against-active", help="also compare with the active Soul"
    ),
    gate_file: Path | None = typer.Option(None, "--gate", help="gate thresholds YAML (default: built in)"),
    as_json: bool = JsonOption,
    max_new_tokens: int | None = typer.Option(
        None, "--max-new-tokens", min=1, help="per reply (default: 48 on CPU, 1024 on GPU and servers)"
    ),
    limit: int | None = typer.Option(
        None, "--limit", min=0, help="at most N probes (spread over kinds) and N held-out rounds"
    ),
    system: str | None = typer.Option(
        None,
        "--system",
        help="runtime: the context the runtime sends (Soul, Tools, memory, session, # Now); none: the chat "
        "only (the tiny model). Default: what the adapter was trained with (manifest config.system)",
    ),
    persona: bool | None = typer.Option(
        None, "--persona/--no-persona", help="with --system runtime: the persona in the Soul section"
    ),
    tools: bool | None = typer.Option(
        None,
        "--tools/--no-tools",
        help="with --system runtime: the Tools section (--no-persona --no-tools alone: --system none)",
    ),
    thinking: bool = typer.Option(
        True, "--thinking/--no-thinking", help="generate with thinking on, as the runtime does by default"
    ),
    batch_size: int | None = typer.Option(None, "--batch-size", min=1, help="replies generated at once"),
    report_file: Path | None = typer.Option(None, "--report", help="also write the JSON report here"),
    server: str | None = typer.Option(
        None, "--server", help="evaluate models served at this OpenAI-compatible URL (vLLM) instead"
    ),
    model: str | None = typer.Option(
        None, "--model", help="with --server: the candidate's model name (default: its registered Soul name)"
    ),
    api_key: str | None = typer.Option(
        None, "--api-key", envvar="KOCLAW_EVAL_API_KEY", help="with --server: the server's API key"
    ),
) -> None:
    """Compare the adapter with the base (and the active Soul): addressing, language, thinking, tools, memory
    use, diversity and held-out perplexity side by side. Exit 0 when the gate passes, 1 when it fails."""
    from finetune.eval_gate import gate, load_gate
    from finetune.eval_prompts import (
        choose_system,
        eval_setting,
        load_probes,
        plan,
        read_heldout,
        trained_config,
        trained_system,
    )
    from finetune.evaluate import DEFAULT_MAX_LENGTH, EvalSettings
    from finetune.hf import check_adapter

    if system not in (None, "runtime", "none"):
        raise InputError(f"--system {system!r}: use runtime (the runtime's context) or none (the chat only).")
    if adapter is None and server is None:
        raise InputError("Pass the adapter folder to evaluate, or --server URL --model NAME.")
    folder = check_adapter(adapter) if adapter is not None else None
    config = load_gate(gate_file)
    trained = trained_config(folder)
    mode, why = choose_system(system, persona, tools, trained_system(trained))  # type: ignore[arg-type]
    max_length = trained.get("max_length")
    settings = EvalSettings(
        max_new_tokens=max_new_tokens,
        limit=limit,
        system=mode,
        persona=persona is not False,
        tools=tools is not False,
        thinking=thinking,
        batch_size=batch_size,
        max_length=max_length if isinstance(max_length, int) and max_length >= 16 else DEFAULT_MAX_LENGTH,
    )
    conversations = read_heldout(heldout) if heldout else []
    setting = eval_setting(mode, settings.persona, settings.tools)
    prompts, measured = plan(load_probes(probes), conversations, mode, setting, limit)
    if not prompts:
        raise InputError("Nothing to evaluate: raise --limit, or pass probes or a --heldout file.")
    notes = [f"context: --system {mode} ({why})"]
    if mode == "none":
        notes.append("--system none shows no memory section: memory use and confusion are not measured")
    if server is not None:
        report = _on_server(server, model, api_key, folder, base, against_active, prompts, measured, settings)
    else:
        assert folder is not None
        report = _on_transformers(folder, base, against_active, prompts, measured, settings)
    report.notes[:0] = notes
    verdict = gate(report.scores, config, report.counts)
    data = report.as_dict(verdict, config)
    if folder is not None:
        _remember(folder, verdict.passed, data)
    if report_file is not None:
        from finetune.dataset import write_lines_atomic

        write_lines_atomic(report_file, [json.dumps(data, ensure_ascii=False, indent=2)])
    if as_json:
        print_json(data)
    else:
        _print(report, verdict.passed, verdict.reasons, verdict.undecided)
    if not verdict.passed:
        raise typer.Exit(1)


def _on_transformers(
    folder: Path,
    base: str | None,
    against_active: bool,
    prompts: list[Any],
    measured: list[Any],
    settings: Any,
) -> Report:
    """Base, candidate and active Soul on one loaded base (fit-checked first: no torch needed for that)."""
    from finetune.evaluate import Contender, active_contender, evaluate, fit_check
    from finetune.hf import adapter_base

    chosen_base = base or adapter_base(folder)
    if not chosen_base:
        raise InputError(f"{folder} does not say which base it was trained on: pass --base tiny|PATH.")
    candidate = fit_check(folder, "The candidate")
    notes = [] if candidate == folder else [f"{folder} is a vLLM copy: evaluated {candidate}"]
    contenders = [Contender("base", "base"), Contender("candidate", folder.name, candidate)]
    if against_active:
        active, note = active_contender(chosen_base, candidate)
        contenders += [active] if active else []
        notes += [note] if note else []
    else:
        notes.append("not compared with the active Soul (--no-against-active)")

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Loading weights" bars are noise in a report
    report = evaluate(chosen_base, contenders, prompts, measured, settings, progress=_progress)
    if measured and report.scores["base"]["heldout_loss"] is None:
        report.notes.append("no held-out loss: every held-out sample is longer than max_length")
    report.notes[:0] = notes
    return report


def _on_server(
    url: str,
    model: str | None,
    api_key: str | None,
    folder: Path | None,
    base: str | None,
    against_active: bool,
    prompts: list[Any],
    measured: list[Any],
    settings: Any,
) -> Report:
    from finetune.eval_server import client_for, evaluate_server, served_models, server_contenders

    name = model or (_registered_name(folder) if folder is not None else None)
    if name is None:
        raise InputError("Pass --model NAME: the candidate's model name on the server.")
    client = client_for(url, api_key)
    contenders, notes = server_contenders(served_models(client, url), url, name, base, against_active)
    report = evaluate_server(url, client, contenders, prompts, len(measured), settings, progress=_progress)
    report.notes[:0] = notes
    return report


def _registered_name(folder: Path) -> str | None:
    from koclaw.cli.common import settings_or_exit
    from memory.soul import SoulRegistry

    db = settings_or_exit().soul_db
    if not db.exists():
        return None
    registry = SoulRegistry(db)
    try:
        found = registry.find_by_path(folder)
        return found.name if found else None
    finally:
        registry.close()


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


def _print(report: Report, passed: bool, reasons: list[str], undecided: list[str]) -> None:
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
    for item in undecided:
        typer.echo(f"Undecided (does not fail): {item}")
    if passed:
        typer.echo("Gate: PASSED")
    else:
        typer.echo("Gate: FAILED")
        for reason in reasons:
            typer.echo(f"  - {reason}")


def register(app: typer.Typer) -> None:
    """Adds these commands to `koclaw finetune` (called by `koclaw.cli`)."""
    app.command("eval")(eval_adapter)
