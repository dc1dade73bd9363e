"""`koclaw soul ...`: the Soul tier's adapters: register, list, activate (hot-load), roll back."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer

from koclaw import soul
from koclaw.cli.common import default_user, print_json, settings_or_exit
from koclaw.errors import ModelError
from koclaw.terminal import terminal_safe
from memory.soul import SoulRegistry

if TYPE_CHECKING:
    from koclaw.llm.openai_compat import OpenAICompatModel

app = typer.Typer(help="Kokoron's Soul: LoRA adapter versions and which one is active.", no_args_is_help=True)
T = TypeVar("T")


def _registry() -> SoulRegistry:
    return SoulRegistry(settings_or_exit().soul_db)


def _with_model(work: Callable[[SoulRegistry, OpenAICompatModel], Awaitable[T]]) -> T:
    from koclaw.llm.openai_compat import OpenAICompatModel  # openai only for the commands that call it

    settings = settings_or_exit()

    async def go() -> T:
        registry = SoulRegistry(settings.soul_db)
        model = OpenAICompatModel(settings.llm)
        try:
            return await work(registry, model)
        finally:
            await model.aclose()
            registry.close()

    return asyncio.run(go())


@app.command("register")
def register(
    name: str = typer.Argument(..., help="the name the model server will serve it under, e.g. kokoron-v2"),
    path: Path = typer.Argument(..., help="the adapter folder (adapter_config.json, weights, manifest.json)"),
) -> None:
    """Record an adapter folder as a Soul version (nothing is loaded yet)."""
    adapter = _registry().register(name, path)
    typer.echo(
        terminal_safe(
            f"Registered {adapter.name} ({adapter.path}). Activate it with: koclaw soul activate {name}"
        )
    )


@app.command("list")
def list_adapters(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """The registered adapters; * marks the active one, and whether the server has each loaded."""

    async def work(registry: SoulRegistry, model: OpenAICompatModel) -> tuple[list[str] | None, str]:
        try:
            return await model.list_models(), ""
        except ModelError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return None, f"(cannot reach the model server: {first})"  # one line; `koclaw doctor` says more

    served, note = _with_model(work)
    registry = _registry()
    if as_json:
        adapters = [dataclasses.asdict(a) for a in registry.adapters()]
        print_json({"active": registry.active(), "served": served, "adapters": adapters})
        return
    typer.echo(terminal_safe(soul.describe(registry, served), multiline=True))
    if note:
        typer.echo(terminal_safe(note), err=True)


@app.command("show")
def show(
    name: str = typer.Argument(..., help="a registered adapter"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """One version: its folder, manifest (base, data, config, metrics) and latest evaluations."""
    registry = _registry()
    adapter = registry.get(name)
    evaluations = registry.evaluations(name)
    if as_json:
        print_json(
            {**dataclasses.asdict(adapter), "active": registry.active() == name, "evaluations": evaluations}
        )
        return
    mark = " (active)" if registry.active() == name else ""
    typer.echo(terminal_safe(f"{adapter.name}{mark}"))
    typer.echo(terminal_safe(f"  folder: {adapter.path}"))
    typer.echo(terminal_safe(f"  base: {adapter.base_model or 'unknown'}"))
    manifest = adapter.manifest
    if manifest:
        metrics = manifest.get("metrics", {})
        code = manifest.get("code", {})
        version = f"koclaw {code.get('koclaw', '?')} @ {str(code.get('git_commit') or '?')[:12]}"
        typer.echo(terminal_safe(f"  created: {manifest.get('created', '?')}  code: {version}"))
        shown = {k: v for k, v in metrics.items() if isinstance(v, int | float)}
        typer.echo(terminal_safe("  metrics: " + ", ".join(f"{k} {v:.4g}" for k, v in shown.items())))
    for ev in evaluations:
        verdict = "passed" if ev["passed"] else "FAILED"
        scores = ev["report"].get("scores", {}).get("candidate", {})
        figures = ", ".join(f"{k} {v:.3f}" for k, v in scores.items() if isinstance(v, int | float))
        typer.echo(terminal_safe(f"  eval {ev['evaluated_at'][:19]}: gate {verdict}; {figures}"))
    if not evaluations:
        typer.echo(terminal_safe(f"  no evaluation yet: koclaw finetune eval {adapter.path}"))


@app.command("activate")
def activate(
    name: str = typer.Argument(..., help="a registered adapter"),
    by: str = typer.Option(None, "--by", help="who is doing it (default: your login)"),
) -> None:
    """Hot-load the adapter into the model server and send new replies to it."""
    adapter = _with_model(lambda r, m: soul.activate(r, m, name, f"cli:{by or default_user()}"))
    typer.echo(terminal_safe(f"Activated {adapter.name}; new replies come from it."))


@app.command("rollback")
def rollback(by: str = typer.Option(None, "--by", help="who is doing it (default: your login)")) -> None:
    """Re-activate the adapter that was active before the current one."""
    adapter = _with_model(lambda r, m: soul.rollback(r, m, f"cli:{by or default_user()}"))
    typer.echo(terminal_safe(f"Rolled back to {adapter.name}; new replies come from it."))


@app.command("history")
def history(
    n: int = typer.Option(20, "-n", min=1), as_json: bool = typer.Option(False, "--json", help="print JSON")
) -> None:
    """Past activations, newest first."""
    rows = _registry().history(n)
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("No adapter has been activated yet.")
    for row in rows:
        typer.echo(
            terminal_safe(f"{row['activated_at'][:19].replace('T', ' ')}  {row['name']}  by {row['by']}")
        )
