"""`koclaw soul retrain ...`: schedule, follow, cancel and list Soul retrains (registers on `soul`).

A running `koclaw run` picks up what is scheduled here within `retrain.poll_s` seconds and reports
to the Telegram admins. `--wait` runs it in this terminal instead, printing each stage.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

import typer

from koclaw.cli.common import JsonOption, default_user, print_json, settings_or_exit
from koclaw.errors import InputError
from koclaw.retrain.job import Retrainer, settings_zone
from koclaw.retrain.report import history_line, status_text
from koclaw.retrain.runs import Run, RunStore
from memory.soul import SoulRegistry

T = TypeVar("T")


def _with_retrainer(work: Callable[[Retrainer], T], *, verbose: bool = False) -> T:
    settings = settings_or_exit()
    runs = RunStore(settings.retrain_dir / "retrain.db")
    registry = SoulRegistry(settings.soul_db)

    def say(run: Run, stage: str, phase: str) -> None:
        if phase == "start":
            typer.echo(f"retrain #{run.id}: {stage}...", err=True)

    retrainer = Retrainer(
        settings, runs, registry, zone=settings_zone(settings), on_stage=say if verbose else None
    )
    try:
        return work(retrainer)
    finally:
        registry.close()
        runs.close()


def retrain(
    when: str = typer.Option("now", "--at", help="now, 03:00, 'tomorrow 2am' or an ISO time"),
    cron: str | None = typer.Option(None, "--cron", help="repeat on a cron schedule, e.g. '0 3 * * 0'"),
    wait: bool = typer.Option(False, "--wait", help="run it here, now, and print the report"),
    by: str = typer.Option(None, "--by", help="who asks (default: your login)"),
) -> None:
    """Schedule a Soul retrain: fresh data, training, evaluation, and promotion if the gate passes."""
    if cron and when != "now":
        raise InputError("Give either --at or --cron, not both.")
    if wait and (cron or when != "now"):
        raise InputError("--wait runs a retrain now; drop --at and --cron, or drop --wait.")
    requester = f"cli:{by or default_user()}"

    def work(retrainer: Retrainer) -> Run:
        run = retrainer.schedule(cron or when, requester)
        if not wait:
            return run

        async def go() -> Run:
            retrainer.kick()
            return await retrainer.wait(run.id)

        return asyncio.run(go())

    run = _with_retrainer(work, verbose=wait)
    if wait:
        typer.echo(run.report or f"Retrain #{run.id}: {run.status}")
        raise typer.Exit(0 if run.status == "succeeded" else 1)
    repeat = f", then on {run.cron!r}" if run.cron else ""
    typer.echo(
        f"Retrain #{run.id} scheduled for {run.scheduled_for[:16].replace('T', ' ')} UTC{repeat}. "
        "A running `koclaw run` starts it and reports to the Telegram admins; "
        "`koclaw soul retrain-status` follows it."
    )


def retrain_status(as_json: bool = JsonOption) -> None:
    """The scheduled or running retrain (stage, time so far) and the last few."""

    def work(retrainer: Retrainer) -> tuple[Run | None, list[Run], str]:
        current, recent = retrainer.current(), retrainer.history(5)
        return current, recent, status_text(current, recent, retrainer.clock())

    current, recent, text = _with_retrainer(work)
    if as_json:
        print_json(
            {"current": current.as_dict() if current else None, "recent": [r.as_dict() for r in recent]}
        )
        return
    typer.echo(text)


def retrain_cancel(by: str = typer.Option(None, "--by", help="who cancels (default: your login)")) -> None:
    """Cancel the scheduled retrain, or stop the running one before it promotes anything."""
    run = _with_retrainer(lambda r: r.cancel(f"cli:{by or default_user()}"))
    done = run.status == "cancelled"
    typer.echo(
        f"Retrain #{run.id} " + ("is cancelled." if done else "stops at its next step (cancel requested).")
    )


def retrain_history(n: int = typer.Option(10, "-n", min=1), as_json: bool = JsonOption) -> None:
    """Past and current retrains, newest first (`--json` includes each stage's summary and the report)."""
    runs = _with_retrainer(lambda r: r.history(n))
    if as_json:
        print_json([r.as_dict() for r in runs])
        return
    if not runs:
        typer.echo("No retrain yet. Schedule one with: koclaw soul retrain (add --wait to run it here)")
    for run in runs:
        typer.echo(history_line(run) if run.open is None else f"#{run.id} {run.status} ({run.stage})")


def register(app: typer.Typer) -> None:
    """Adds these commands to `koclaw soul` (called by `koclaw.cli`)."""
    app.command("retrain")(retrain)
    app.command("retrain-status")(retrain_status)
    app.command("retrain-cancel")(retrain_cancel)
    app.command("retrain-history")(retrain_history)
