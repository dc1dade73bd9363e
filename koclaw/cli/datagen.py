"""`koclaw finetune generate`: run the dual-agent generator (registers on the `finetune` group)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from finetune.plan import NO_THINK_SHARE
from koclaw.cli.common import fail, print_json
from koclaw.errors import KoclawError

if TYPE_CHECKING:
    from finetune.datagen import RunReport
    from finetune.plan import Job, PlanSettings


def generate(
    out: Path = typer.Option(..., "--out", "-o", help="run directory (shards, rejects, run.json)"),
    count: int = typer.Option(100, "--count", "-n", min=0, help="conversations to plan (targets apply)"),
    teacher_url: str = typer.Option(
        ...,
        envvar="KOCLAW_TEACHER_URL",
        help="base URL: OpenAI-compatible (http://host:8000/v1) or Anthropic (https://api.anthropic.com)",
    ),
    teacher_model: str = typer.Option(..., envvar="KOCLAW_TEACHER_MODEL", help="the teacher's model name"),
    teacher_key: str = typer.Option("EMPTY", envvar="KOCLAW_TEACHER_API_KEY", show_default=False),
    teacher_api: str = typer.Option(
        "openai",
        envvar="KOCLAW_TEACHER_API",
        help="the teacher's API: openai (chat completions) or anthropic",
    ),
    concurrency: int = typer.Option(8, min=1, help="conversations in flight"),
    rpm: float = typer.Option(
        60.0, min=0.01, help="requests per minute to the teacher (two per conversation)"
    ),
    tpm: float = typer.Option(
        0.0, min=0.0, help="tokens per minute to the teacher (prompt + output; 0: no limit)"
    ),
    max_tokens: int = typer.Option(
        4096, min=1, help="max output tokens per request (doubled once if cut off)"
    ),
    seed: int = typer.Option(0, help="plan seed: same seed, same plan (what makes resume work)"),
    run_id: str = typer.Option("gen", help="prefix of every conversation id"),
    targets: Path | None = typer.Option(None, exists=True, dir_okay=False, help="YAML/JSON targets file"),
    notes: Path | None = typer.Option(None, exists=True, dir_okay=False, help="feedback notes file"),
    per_note: int = typer.Option(20, min=1, help="targeted samples per note without its own count:"),
    no_think_share: float = typer.Option(
        NO_THINK_SHARE,
        min=0.0,
        max=1.0,
        help="share of conversations with no <think> at all (the rest think every turn)",
    ),
    think_share: float | None = typer.Option(
        None, min=0.0, max=1.0, help="share of conversations that think (overrides --no-think-share)"
    ),
    memory_share: float = typer.Option(
        0.3, min=0.0, max=1.0, help="share of conversations generated with long-term memories about Sensei"
    ),
    tool_share: float = typer.Option(0.12, min=0.0, max=1.0, help="share of conversations with a tool call"),
    max_attempts: int = typer.Option(3, min=1, help="tries per conversation before it is given up"),
    shard_size: int = typer.Option(25, min=1, help="conversations per atomically written shard"),
    timeout: float = typer.Option(120.0, min=1.0, help="seconds per teacher request"),
    retries: int = typer.Option(6, min=0, help="retries per request on 429/5xx/timeouts"),
    price_in: float = typer.Option(0.0, help="price per million prompt tokens, for the cost tally"),
    price_out: float = typer.Option(0.0, help="price per million completion tokens"),
    json_mode: bool = typer.Option(False, help="ask for response_format=json_object"),
    as_json: bool = typer.Option(False, "--json", help="print the run report as JSON"),
) -> None:
    """Generate training conversations with a teacher model: Sensei's side, then Kokoron's.

    Rerun the same command to resume an interrupted run; finished conversations are kept and never
    generated twice.
    """
    from finetune.datagen import RunMismatch, ShardStore
    from finetune.plan import PlanSettings
    from finetune.targets import load_targets
    from finetune.teacher import Teacher, TeacherSettings, TeacherUnusable

    if teacher_api not in ("openai", "anthropic"):
        raise fail(f"--teacher-api {teacher_api!r}: use openai or anthropic")
    if think_share is None:
        think_share = 1.0 - no_think_share
    try:
        plan_settings = PlanSettings(count, seed, run_id, think_share=think_share, tool_share=tool_share)
        goal = load_targets(targets)
        jobs, recipes = _jobs(plan_settings, goal.languages, goal.scenarios, notes, per_note)
    except (ValueError, KoclawError) as exc:
        raise fail(str(exc)) from None
    if not jobs:
        raise fail("nothing to generate: pass --count N or a --notes file with notes")
    store = ShardStore(out)
    manifest = {
        "count": count,
        "seed": seed,
        "run_id": run_id,
        "targets": goal.model_dump(),
        "think_share": think_share,
        "memory_share": memory_share,
        "tool_share": tool_share,
        "recipes": recipes,
        "teacher_model": teacher_model,
    }
    try:
        store.check_settings(json.loads(json.dumps(manifest)))
    except RunMismatch as exc:
        raise fail(str(exc)) from None
    teacher = Teacher(
        TeacherSettings(
            base_url=teacher_url,
            model=teacher_model,
            api_key=teacher_key,
            api=teacher_api,  # type: ignore[arg-type]  # checked above
            max_tokens=max_tokens,
            timeout_s=timeout,
            max_retries=retries,
            requests_per_minute=rpm,
            tokens_per_minute=tpm,
            json_mode=json_mode,
            price_in_per_m=price_in,
            price_out_per_m=price_out,
        )
    )
    try:
        report = asyncio.run(
            _run(teacher, store, jobs, concurrency, max_attempts, shard_size, as_json, memory_share)
        )
    except TeacherUnusable as exc:
        raise fail(f"{exc}. Finished conversations are kept; rerun to resume.") from None
    (out / "summary.json").write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")
    if as_json:
        print_json(report.as_dict())
    else:
        _print_report(report)
    if report.failed:
        raise typer.Exit(1)


def _jobs(
    settings: PlanSettings,
    languages: dict[Any, float],
    scenarios: dict[Any, float],
    notes: Path | None,
    per_note: int,
) -> tuple[list[Job], dict[str, int]]:
    from finetune.plan import make_plan
    from finetune.recipes import read_notes, targeted_jobs

    jobs = make_plan(settings, languages, scenarios)
    recipes: dict[str, int] = {}
    if notes is not None:
        matches = read_notes(notes)
        for match in matches:
            if match.recipe is None:
                typer.echo(f"Note without a recipe (skipped): {match.note}", err=True)
        targeted, recipes = targeted_jobs(matches, settings, languages, scenarios, per_note)
        if not recipes:
            raise ValueError(f"no note in {notes} maps to a recipe; name one with 'recipe: NAME'")
        jobs += targeted
    return jobs, recipes


async def _run(
    teacher: Any,
    store: Any,
    jobs: list[Job],
    concurrency: int,
    attempts: int,
    shard_size: int,
    quiet: bool,
    memory_share: float,
) -> RunReport:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from finetune.datagen import Generator

    with Progress(
        TextColumn("[bold]generate"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.description}"),
        disable=quiet or not sys.stderr.isatty(),
        transient=False,
    ) as progress:
        task = progress.add_task("", total=len(jobs))

        def on_progress(report: RunReport) -> None:
            tally = teacher.tally
            progress.update(
                task,
                completed=report.already_done + report.accepted + report.failed,
                description=(
                    f"ok {report.accepted} · failed {report.failed} · "
                    f"rejects {sum(report.rejects.values())} · "
                    f"{tally.prompt_tokens + tally.completion_tokens:,} tok · cost {tally.cost:.4f}"
                ),
            )

        generator = Generator(
            teacher, store, concurrency=concurrency, max_attempts=attempts, shard_size=shard_size,
            on_progress=on_progress, memory_share=memory_share,
        )  # fmt: skip
        try:
            return await generator.run(jobs)
        finally:
            await teacher.close()


def _print_report(report: RunReport) -> None:
    tally = report.tally
    per_min = (report.accepted + report.failed) / report.seconds * 60 if report.seconds else 0.0
    typer.echo(
        f"Planned {report.planned}: {report.already_done} already done, {report.accepted} accepted, "
        f"{report.failed} given up, in {report.seconds:.1f} s ({per_min:.1f} conversations/min)."
    )
    if report.rejects:
        reasons = ", ".join(f"{code} {n}" for code, n in report.rejects.most_common())
        typer.echo(f"Rejected attempts by reason: {reasons} (details in rejects-*.jsonl).")
    retries = ", ".join(f"{cause} {n}" for cause, n in tally.get("retries", {}).items()) or "none"
    if tally.get("truncated"):
        retries += f"; {tally['truncated']} answers cut off at max tokens"
    typer.echo(
        f"Teacher: {tally.get('requests', 0)} requests, retries: {retries}; "
        f"{tally.get('prompt_tokens', 0):,} prompt + "
        f"{tally.get('completion_tokens', 0):,} completion tokens; "
        f"cost {tally.get('cost', 0.0):.4f}."
    )


def register(app: typer.Typer) -> None:
    """Adds these commands to `koclaw finetune` (called by `koclaw.cli`)."""
    app.command()(generate)
