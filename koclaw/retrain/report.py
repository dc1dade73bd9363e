"""What the admin reads when a retrain ends: the verdict, the eval table, time per stage, what changed.

Plain English and monospace-friendly, like the other admin replies: operators read it next to logs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from koclaw.retrain.runs import STAGES, Run

HEADLINE = {
    "succeeded": "Retrain #{id} succeeded: {adapter} is the active Soul now.",
    "rejected": "Retrain #{id} finished, but the gate rejected the new adapter; the current Soul stays.",
    "failed": "Retrain #{id} failed in {stage}; nothing was promoted, the current Soul stays.",
    "cancelled": "Retrain #{id} was cancelled; nothing was promoted.",
}


def report_text(run: Run, now: datetime) -> str:
    lines = [HEADLINE.get(run.status, "Retrain #{id}: {status}").format(**_fields(run))]
    if run.error and run.status in ("failed", "cancelled", "rejected"):
        lines.append(f"Why: {run.error}")
    if run.started_at:
        took = duration((now - datetime.fromisoformat(run.started_at)).total_seconds())
        lines.append(f"Took {took} (started {run.started_at[:16]} UTC).")
    lines += _changes(run.stages)
    lines += _evaluation(run.stages.get("evaluate", {}).get("summary"))
    timing = [f"{s} {duration(run.stages[s]['seconds'])}" for s in STAGES if s in run.stages]
    if timing:
        lines.append("Stages: " + ", ".join(timing))
    if run.cron:
        lines.append(f"Repeats: {run.cron} (cancel the next one with /retrain_cancel).")
    return "\n".join(lines)


def _fields(run: Run) -> dict[str, Any]:
    return {"id": run.id, "adapter": run.adapter or "?", "stage": run.stage, "status": run.status}


def _changes(done: dict[str, dict[str, Any]]) -> list[str]:
    lines = []
    if collected := done.get("collect", {}).get("summary"):
        lines.append(
            f"Material: {collected['excerpts']} excerpts from {collected['opted_in_users']} opted-in "
            f"people; notes: {'yes' if collected.get('notes_file') else 'none'}."
        )
    if made := done.get("generate", {}).get("summary"):
        recipes = ", ".join(f"{k} {v}" for k, v in made.get("recipes", {}).items()) or "none"
        lines.append(
            f"Generated {made['accepted']} of {made['planned']} conversations "
            f"({made['excerpt_jobs']} from excerpts; targeted: {recipes}); {made['given_up']} given up."
        )
    if merged := done.get("merge", {}).get("summary"):
        dups = merged["exact_dups"] + merged["near_dups"]
        lines.append(
            f"Dataset: {merged['existing']} -> {merged['kept']} conversations ({dups} duplicates out)."
        )
    if trained := done.get("train", {}).get("summary"):
        before, after = trained.get("eval_loss_before"), trained.get("eval_loss")
        loss = f", held-out loss {before:.3f} -> {after:.3f}" if None not in (before, after) else ""
        lines.append(f"Training: {trained.get('steps')} steps{loss}.")
    return lines


def _evaluation(evaluated: dict[str, Any] | None) -> list[str]:
    if not evaluated:
        return []
    from finetune.metrics import table_rows

    models = evaluated["models"]
    keys = list(evaluated["scores"])
    header = ["metric", *(models.get(k, k) for k in keys), *(f"vs {k}" for k in keys if k != "candidate")]
    rows = [header, *table_rows(evaluated["scores"])]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    table = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    verdict = "passed" if evaluated["passed"] else "FAILED: " + "; ".join(evaluated["reasons"])
    return ["Evaluation:", *table, f"Gate: {verdict}"]


def duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def status_text(open_run: Run | None, recent: list[Run], now: datetime) -> str:
    """/retrain_status and `koclaw soul retrain-status`: the open run, then the last few."""
    lines = []
    if open_run is None:
        lines.append("No retrain is scheduled or running.")
    elif open_run.status == "scheduled":
        repeat = f", repeating {open_run.cron}" if open_run.cron else ""
        lines.append(f"Retrain #{open_run.id} is scheduled for {open_run.scheduled_for[:16]} UTC{repeat}.")
    else:
        done = [s for s in STAGES if s in open_run.stages]
        since = datetime.fromisoformat(open_run.started_at) if open_run.started_at else now
        cancel = " (cancel requested)" if open_run.cancel_requested else ""
        lines.append(
            f"Retrain #{open_run.id} is running: stage {STAGES.index(open_run.stage) + 1}/{len(STAGES)} "
            f"({open_run.stage}) for {duration((now - since).total_seconds())}{cancel}; "
            f"done: {', '.join(done) or 'nothing yet'}."
        )
    finished = [r for r in recent if r.open is None]
    if finished:
        lines.append("Recent:")
        lines += [history_line(r) for r in finished]
    return "\n".join(lines)


def history_line(run: Run) -> str:
    when = (run.finished_at or run.scheduled_for)[:16].replace("T", " ")
    what = run.adapter if run.status == "succeeded" else (run.error or "")
    return f"#{run.id} {run.status} {when} UTC by {run.requested_by}" + (f": {what}" if what else "")
