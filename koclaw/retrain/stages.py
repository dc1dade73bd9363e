"""The work of each retrain stage. Every stage can be run again after a crash and ends the same way.

Each stage reads what earlier stages wrote in the run's folder and writes its own output atomically,
so a stage cut short leaves nothing half-written that a rerun would trust. Training and evaluation
run as subprocesses (`koclaw finetune train` / `eval`): the runtime never imports torch, a crash in
them cannot take the bot down, and a cancel can stop them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from character.language import detect_language
from koclaw.config import RetrainSettings, Settings
from koclaw.errors import KoclawError
from koclaw.retrain.runs import Run
from memory.session import SessionStore

EXCERPT_TURNS = 3  # Sensei's consecutive messages per excerpt
LOG_TAIL = 1500


class StageFailed(KoclawError):
    """A stage cannot finish; the run fails with this message (nothing is promoted)."""


class Cancelled(KoclawError):
    """An admin cancelled the run while a stage was working."""


@dataclass
class Workspace:
    """What a stage works with: the settings, the run, its folder, and a way to notice a cancel."""

    settings: Settings
    run: Run
    folder: Path
    since: str | None = None  # collect only messages after this (the last successful retrain)
    cancelled: Callable[[], bool] = lambda: False

    @property
    def retrain(self) -> RetrainSettings:
        return self.settings.retrain

    @property
    def dataset(self) -> Path:
        return self.retrain.dataset or self.settings.retrain_dir / "dataset.jsonl"

    @property
    def notes(self) -> Path:
        return self.retrain.notes or self.settings.home / "finetune_notes.md"

    @property
    def adapter(self) -> Path:
        return self.folder / "train" / "adapter"


# -- checks made before a run is even scheduled ------------------------------------------------------
def setup_problems(retrain: RetrainSettings) -> list[str]:
    """Why a retrain could not run here (teacher, GPU), each with what to do; empty when it can."""
    problems = []
    if not (retrain.teacher_url and retrain.teacher_model):
        problems.append(
            "No teacher endpoint: set KOCLAW_RETRAIN__TEACHER_URL and KOCLAW_RETRAIN__TEACHER_MODEL "
            "(or [retrain] teacher_url / teacher_model in config.toml)."
        )
    if retrain.gpu_required and (why := gpu_problem()):
        problems.append(
            f"No GPU to train on: {why}. Retraining {retrain.base_model} needs an NVIDIA GPU; run Koclaw "
            "on a machine with one (the tiny test model trains on CPU: KOCLAW_RETRAIN__BASE_MODEL=tiny)."
        )
    return problems


def gpu_problem() -> str | None:
    """None when `nvidia-smi` lists a GPU (cheap: no torch import)."""
    tool = shutil.which("nvidia-smi")
    if tool is None:
        return "nvidia-smi is not installed"
    try:
        listed = subprocess.run([tool, "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"nvidia-smi failed ({exc})"
    if listed.returncode != 0 or "GPU" not in listed.stdout:
        return f"nvidia-smi lists no GPU ({(listed.stderr or listed.stdout).strip()[:200]})"
    return None


# -- 1. collect ----------------------------------------------------------------------------------------
def collect(ws: Workspace) -> dict[str, Any]:
    """Excerpts of opted-in people's conversations (their own messages only) and the feedback notes."""
    from finetune.dataset import write_lines_atomic

    store = SessionStore(ws.settings.session_db)
    try:
        users = store.opted_in_users()
        excerpts: list[dict[str, Any]] = []
        for user in users:
            excerpts += _excerpts(store.sensei_messages(user, since=ws.since))
    finally:
        store.close()
    excerpts = excerpts[-ws.retrain.max_excerpts :] if ws.retrain.max_excerpts else []
    write_lines_atomic(ws.folder / "excerpts.jsonl", [json.dumps(e, ensure_ascii=False) for e in excerpts])
    notes = ws.notes.read_text(encoding="utf-8") if ws.notes.is_file() else ""
    write_lines_atomic(ws.folder / "notes.md", [notes])
    return {
        "opted_in_users": len(users),
        "excerpts": len(excerpts),
        "notes_file": str(ws.notes) if notes else None,
    }


def _excerpts(messages: list[Any]) -> list[dict[str, Any]]:
    """Runs of up to EXCERPT_TURNS consecutive messages per conversation, with their language."""
    out: list[dict[str, Any]] = []
    run: list[str] = []
    conversation = None
    for message in [*messages, None]:
        if message is None or message.conversation_id != conversation or len(run) == EXCERPT_TURNS:
            if run:
                languages = {detect_language(text) for text in run}
                out.append({"language": languages.pop() if len(languages) == 1 else "mixed", "sensei": run})
            run = []
        if message is not None:
            conversation = message.conversation_id
            run.append(message.content.strip())
    return out


# -- 2. generate ---------------------------------------------------------------------------------------
async def generate(ws: Workspace) -> dict[str, Any]:
    """Fresh conversations, the notes' targeted ones, and Kokoron's replies to the excerpts."""
    from finetune.datagen import Generator, RunMismatch, ShardStore
    from finetune.plan import Job, PlanSettings, make_plan
    from finetune.recipes import read_notes, targeted_jobs
    from finetune.targets import load_targets
    from finetune.teacher import Teacher, TeacherSettings, TeacherUnusable

    retrain = ws.retrain
    if problems := setup_problems(retrain.model_copy(update={"require_gpu": False})):
        raise StageFailed(problems[0])
    await check_teacher(retrain)
    goal = load_targets(None)
    plan = PlanSettings(retrain.count, seed=ws.run.id, run_id=f"r{ws.run.id}")
    jobs = make_plan(plan, goal.languages, goal.scenarios)
    notes_file = ws.folder / "notes.md"
    matches = read_notes(notes_file) if notes_file.read_text(encoding="utf-8").strip() else []
    targeted, recipes = targeted_jobs(matches, plan, goal.languages, goal.scenarios, retrain.per_note)
    jobs += targeted
    for i, line in enumerate((ws.folder / "excerpts.jsonl").read_text(encoding="utf-8").splitlines()):
        excerpt = json.loads(line)
        sensei = tuple(excerpt["sensei"])
        jobs.append(Job(f"r{ws.run.id}-x-{i:06d}", excerpt["language"], "daily", len(sensei), sensei=sensei))
    if not jobs:
        raise StageFailed("Nothing to generate: set KOCLAW_RETRAIN__COUNT above 0, or add feedback notes.")
    store = ShardStore(ws.folder / "generated")
    try:
        store.check_settings({"run": ws.run.id, "jobs": len(jobs), "teacher_model": retrain.teacher_model})
    except RunMismatch as exc:
        raise StageFailed(str(exc)) from None
    teacher = Teacher(
        TeacherSettings(
            base_url=retrain.teacher_url,
            model=retrain.teacher_model,
            api_key=retrain.teacher_api_key.get_secret_value(),
            requests_per_minute=retrain.rpm,
        )
    )
    try:
        report = await Generator(teacher, store, concurrency=retrain.concurrency).run(jobs)
    except TeacherUnusable as exc:
        raise StageFailed(f"The teacher is unusable: {exc}") from None
    finally:
        await teacher.close()
    if report.accepted + report.already_done == 0:
        raise StageFailed(
            f"The teacher produced no usable conversation ({dict(report.rejects)}); see the rejects in "
            f"{store.directory}."
        )
    return {
        "planned": len(jobs),
        "accepted": report.accepted + report.already_done,
        "given_up": report.failed,
        "rejects": dict(report.rejects),
        "recipes": recipes,
        "excerpt_jobs": sum(1 for job in jobs if job.sensei),
    }


async def check_teacher(retrain: RetrainSettings) -> None:
    """Fail fast, with the URL, when the teacher cannot be reached (instead of minutes of retries)."""
    import openai

    client = openai.AsyncOpenAI(
        base_url=retrain.teacher_url,
        api_key=retrain.teacher_api_key.get_secret_value(),
        timeout=10.0,
        max_retries=0,
    )
    try:
        await client.models.list()
    except openai.APIConnectionError as exc:
        raise StageFailed(
            f"Cannot reach the teacher at {retrain.teacher_url} ({exc}); start it or fix "
            "KOCLAW_RETRAIN__TEACHER_URL."
        ) from None
    except openai.APIStatusError as exc:
        if exc.status_code in (401, 403):
            raise StageFailed(
                f"The teacher at {retrain.teacher_url} refused the key; set KOCLAW_RETRAIN__TEACHER_API_KEY."
            ) from None
    finally:
        await client.close()


# -- 3. merge ------------------------------------------------------------------------------------------
def merge(ws: Workspace) -> dict[str, Any]:
    """The existing dataset (the seeds, the first time) plus what was generated, de-duplicated."""
    from finetune.dataset import merge as merge_records
    from finetune.dataset import read_records, to_json_line, write_lines_atomic
    from finetune.train import seed_files

    existing = [ws.dataset] if ws.dataset.is_file() else seed_files()
    new = sorted((ws.folder / "generated").glob("shard-*.jsonl"))
    old_records = read_records(existing)
    result = merge_records(old_records + read_records(new))
    write_lines_atomic(ws.folder / "merged.jsonl", [to_json_line(c) for c in result.kept])
    return {
        "existing": len(old_records),
        "existing_from": "seeds" if existing != [ws.dataset] else str(ws.dataset),
        **result.counts(),
    }


# -- 4. train ------------------------------------------------------------------------------------------
async def train(ws: Workspace) -> dict[str, Any]:
    """`koclaw finetune train` on the merged data, resumed from its last checkpoint after a crash."""
    retrain = ws.retrain
    out = ws.folder / "train"
    if not (ws.adapter / "manifest.json").is_file():
        if retrain.gpu_required:
            await _check_cuda(ws)
        command = ["finetune", "train", "--data", str(ws.folder / "merged.jsonl"), "--output", str(out)]
        command += (
            ["--tiny"] if retrain.base_model == "tiny" else ["--set", f"base_model={retrain.base_model}"]
        )
        if retrain.train_config is not None:
            command += ["--config", str(retrain.train_config)]
        for pair in retrain.train_sets:
            command += ["--set", pair]
        if any(p.name.startswith("checkpoint-") for p in out.glob("checkpoint-*")):
            command.append("--resume")
        code = await run_koclaw(command, ws.folder / "train.log", ws.cancelled)
        if code != 0:
            raise StageFailed(f"Training failed (exit {code}): {log_tail(ws.folder / 'train.log')}")
    manifest = json.loads((ws.adapter / "manifest.json").read_text(encoding="utf-8"))
    metrics = manifest.get("metrics", {})
    keep = ("steps", "tokens_per_second", "last_loss", "eval_loss_before", "eval_loss", "runtime_s")
    return {
        "adapter": str(ws.adapter),
        "serve_adapter": manifest.get("vllm_adapter") or str(ws.adapter),
        **{k: metrics.get(k) for k in keep},
    }


async def _check_cuda(ws: Workspace) -> None:
    probe = "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 3)"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", probe, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, err = await proc.communicate()
    if proc.returncode != 0:
        why = "torch sees no CUDA device" if proc.returncode == 3 else err.decode(errors="replace")[-300:]
        raise StageFailed(
            f"No GPU to train on ({why}). Run the retrain on a machine with an NVIDIA GPU, or set "
            "KOCLAW_RETRAIN__BASE_MODEL=tiny to try the loop on CPU."
        )


# -- 5. evaluate ---------------------------------------------------------------------------------------
async def evaluate(ws: Workspace) -> dict[str, Any]:
    """`koclaw finetune eval` against the base and the active Soul; the gate's verdict and scores."""
    retrain = ws.retrain
    report_file = ws.folder / "eval.json"
    command = ["finetune", "eval", str(ws.adapter), "--report", str(report_file), "--json"]
    heldout = ws.adapter / "heldout.jsonl"
    if heldout.is_file():
        command += ["--heldout", str(heldout)]
    if retrain.eval_limit is not None:
        command += ["--limit", str(retrain.eval_limit)]
    if retrain.eval_max_new_tokens is not None:
        command += ["--max-new-tokens", str(retrain.eval_max_new_tokens)]
    command += ["--thinking" if retrain.eval_thinking else "--no-thinking"]
    if retrain.gate is not None:
        command += ["--gate", str(retrain.gate)]
    command += retrain.eval_args
    report_file.unlink(missing_ok=True)
    code = await run_koclaw(command, ws.folder / "eval.log", ws.cancelled)
    if code not in (0, 1) or not report_file.is_file():
        raise StageFailed(f"Evaluation failed (exit {code}): {log_tail(ws.folder / 'eval.log')}")
    report = json.loads(report_file.read_text(encoding="utf-8"))
    return {
        "passed": report["gate"]["passed"],
        "reasons": report["gate"]["reasons"],
        "models": report["models"],
        "scores": report["scores"],
        "notes": report.get("notes", []),
    }


# -- subprocesses --------------------------------------------------------------------------------------
async def run_koclaw(args: list[str], log: Path, cancelled: Callable[[], bool]) -> int:
    """Run `python -m koclaw ARGS` with output to `log`; a cancel stops it (TERM, then KILL)."""
    with log.open("ab") as sink:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "koclaw", *args,
            stdout=sink, stderr=subprocess.STDOUT, start_new_session=True, env=os.environ.copy(),
        )  # fmt: skip
        try:
            while True:
                try:
                    return await asyncio.wait_for(proc.wait(), timeout=1.0)
                except TimeoutError:
                    if cancelled():
                        await _stop(proc)
                        raise Cancelled("cancelled by an admin") from None
        except BaseException:
            await _stop(proc)  # a cancelled task (shutdown) must not leave a trainer running
            raise


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        await asyncio.wait_for(asyncio.shield(proc.wait()), timeout=10)
    except (ProcessLookupError, TimeoutError):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    except asyncio.CancelledError:
        os.killpg(proc.pid, signal.SIGKILL)
        raise


def log_tail(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return text[-LOG_TAIL:].strip() or "(empty log)"
