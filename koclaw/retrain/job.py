"""Scheduled retraining of the Soul: a persisted state machine an admin starts from Telegram or the CLI.

Stages, in order (each one's output lands in `$KOCLAW_HOME/retrain/run-N/`):

1. collect   opted-in conversation excerpts (Sensei's own messages) and the feedback notes;
2. generate  fresh, note-targeted and excerpt-based conversations from the teacher (resumable shards);
3. merge     with the existing dataset (the seeds the first time), de-duplicated;
4. train     `koclaw finetune train` in a subprocess, after checking for a GPU;
5. evaluate  `koclaw finetune eval` against the base and the active Soul, with the gate;
6. promote   only when the gate passed: register the adapter, record the evaluation, keep the dataset;
7. activate  hot-load it through `koclaw.soul.activate` (probe included): the one switch-over point;
8. report    the eval table, the time per stage and what changed, to the admin on Telegram.

Every transition is written to `retrain.db` before the next stage starts, and every stage can be run
again, so a crash or restart resumes at the stage it stopped in; after `MAX_ATTEMPTS` interrupted
starts the run fails instead of looping. A gate failure ends the run as `rejected`: nothing is
registered or loaded, and the old Soul keeps serving. Only one run is open at a time (see
`koclaw.retrain.runs`). A cancel is honoured until promotion starts.

This module imports no training library: the heavy stages are subprocesses.
"""

from __future__ import annotations

import asyncio
import logging
import re
import traceback
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from koclaw.config import Settings
from koclaw.delivery import Deliveries, DeliveryError
from koclaw.errors import InputError
from koclaw.llm.base import ChatModel
from koclaw.retrain import stages
from koclaw.retrain.report import report_text
from koclaw.retrain.runs import CANCELLABLE_STAGES, STAGES, Busy, Run, RunStore, owner_alive
from koclaw.scheduler import Scheduler
from koclaw.when import FORMS, parse_when, utc_now
from memory.db import utc_iso
from memory.soul import SoulRegistry

log = logging.getLogger(__name__)

JOB_KIND = "retrain"
POLL_JOB = "retrain:poll"
MAX_ATTEMPTS = 3
CRON = re.compile(r"^\S+(\s+\S+){4}$")
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # APScheduler 3 counts weekdays from Monday
WHEN_FORMS = f"'now', a time ({FORMS}) or a cron expression like '0 3 * * 0' (Sundays 03:00)"

StageHook = Callable[[Run, str, str], None]  # (run, stage, "start" | "end"): progress, and crash tests


def parse_schedule(text: str, now: datetime, zone: tzinfo) -> tuple[datetime, str | None]:
    """When the first run is due and the cron expression, if `text` is one."""
    text = text.strip()
    if text.lower() in ("", "now"):
        return now, None
    if CRON.match(text) and not any(ch.isalpha() for ch in text.split()[0]):
        from apscheduler.triggers.cron import CronTrigger

        fields = text.split()
        fields[4] = re.sub(r"\d+", lambda m: DAYS[int(m.group()) % 7], fields[4])  # cron's 0 = Sunday
        try:
            trigger = CronTrigger.from_crontab(" ".join(fields), timezone=zone)
        except ValueError as exc:
            raise InputError(
                f"Bad cron expression {text!r}: {exc}. Use five fields, e.g. '0 3 * * 0'."
            ) from None
        first = trigger.get_next_fire_time(None, now)
        if first is None:
            raise InputError(f"The cron expression {text!r} never fires.")
        return first, text
    try:
        return parse_when(text, now, zone), None
    except InputError:
        raise InputError(f"Cannot read {text!r} as a time. Use {WHEN_FORMS}.") from None


def settings_zone(settings: Settings) -> tzinfo:
    """The admin's zone for times like '03:00': `timezone` in the config, else this machine's."""
    if settings.timezone:
        from koclaw.tools.reminders import zone_named

        return zone_named(settings.timezone)
    return datetime.now().astimezone().tzinfo or UTC


class Retrainer:
    """Schedules, runs, resumes, cancels and reports retrain runs for one KOCLAW_HOME."""

    def __init__(
        self,
        settings: Settings,
        store: RunStore,
        registry: SoulRegistry,
        *,
        model: ChatModel | None = None,
        scheduler: Scheduler | None = None,
        deliveries: Deliveries | None = None,
        zone: tzinfo = UTC,
        clock: Callable[[], datetime] = utc_now,
        on_stage: StageHook | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.registry = registry
        self.model = model
        self.scheduler = scheduler
        self.deliveries = deliveries
        self.zone = zone
        self.clock = clock
        self.on_stage = on_stage
        self.token = uuid.uuid4().hex  # this process's claim on the runs it executes
        self._tasks: dict[int, asyncio.Task[Run]] = {}
        if scheduler is not None:
            scheduler.handle(JOB_KIND, self._on_job)
        if deliveries is not None:
            deliveries.on_register(self._channel_up)

    # -- requests ------------------------------------------------------------------------------------
    def schedule(self, when: str, requested_by: str, *, channel: str = "", chat_id: str = "") -> Run:
        """Store a run for `when` (see `parse_schedule`); refused while another is open or setup lacks."""
        now = self.clock()
        at, cron = parse_schedule(when, now, self.zone)
        if problems := stages.setup_problems(self.settings.retrain):
            raise InputError(" ".join(problems))
        run = self.store.create(at, requested_by, now=now, cron=cron, channel=channel, chat_id=chat_id)
        log.info("retrain #%s scheduled for %s by %s", run.id, run.scheduled_for, requested_by)
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.at(run.job_id, JOB_KIND, str(run.id), at)
        return run

    def cancel(self, by: str) -> Run:
        """Cancel the open run: at once when scheduled, between steps when running (until promotion)."""
        run = self.store.open_run()
        if run is None:
            raise InputError("No retrain is scheduled or running, so there is nothing to cancel.")
        if run.status == "scheduled":
            if not self.store.cancel_scheduled(run.id, now=self.clock()):
                return self.cancel(by)  # it started in between
            if self.scheduler is not None and self.scheduler.running:
                self.scheduler.remove(run.job_id)
        elif not owner_alive(run, self.token):
            run = self.store.finish(run.id, "cancelled", now=self.clock(), error=f"cancelled by {by}")
        elif not self.store.request_cancel(run.id):
            raise InputError(
                f"Retrain #{run.id} is at {run.stage}: too late to cancel. If the new Soul is worse, "
                "roll back with /soul rollback or `koclaw soul rollback`."
            )
        log.info("retrain #%s cancelled by %s", run.id, by)
        return self.store.get(run.id)

    def current(self) -> Run | None:
        return self.store.open_run()

    def history(self, limit: int = 10) -> list[Run]:
        return self.store.history(limit)

    # -- waking up -----------------------------------------------------------------------------------
    def start(self) -> None:
        """On start-up: resume runs a dead process left, start due ones, and poll for new ones."""
        if self.scheduler is not None:
            self.scheduler.every(POLL_JOB, JOB_KIND, "poll", self.settings.retrain.poll_s)
        self.kick()

    def kick(self) -> list[int]:
        """Start (as tasks) every run that should be running here now; returns their ids."""
        started = []
        run = self.store.open_run()
        if run is not None and run.id not in self._tasks:
            resumable = run.status == "running" and not owner_alive(run, self.token)
            due = run.status == "scheduled" and run.due <= self.clock()
            if (resumable and self.store.take_over(run, self.token)) or (
                due and self.store.claim(run.id, self.token, now=self.clock())
            ):
                started.append(run.id)
        for run_id in started:
            task = asyncio.get_running_loop().create_task(self.execute(run_id), name=f"retrain #{run_id}")
            self._tasks[run_id] = task
            task.add_done_callback(self._forget_task)
        return started

    def _forget_task(self, task: asyncio.Task[Run]) -> None:
        for run_id, known in list(self._tasks.items()):
            if known is task:
                del self._tasks[run_id]

    async def wait(self, run_id: int) -> Run:
        """Until the task running `run_id` here ends (tests, and `retrain --wait`)."""
        task = self._tasks.get(run_id)
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)
        return self.store.get(run_id)

    async def close(self) -> None:
        """Stop running stages (their run resumes at the next start) and wait for them."""
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def _on_job(self, payload: str) -> None:
        self.kick()

    # -- the state machine ---------------------------------------------------------------------------
    async def execute(self, run_id: int) -> Run:
        """Run the stages from where `run_id` stands; every outcome ends in the table (crashes excepted)."""
        run = self.store.get(run_id)
        if run.attempts > MAX_ATTEMPTS:
            why = f"interrupted {MAX_ATTEMPTS} times in {run.stage}; giving up"
            return await self._end(run, "failed", why)
        folder = self.settings.retrain_dir / run.folder_name
        folder.mkdir(parents=True, exist_ok=True)
        ws = stages.Workspace(self.settings, run, folder, self._since(run), self._cancelled(run.id))
        while run.stage != "report":
            stage = run.stage
            if self.store.get(run.id).cancel_requested and stage in CANCELLABLE_STAGES:
                return await self._end(run, "cancelled", "cancelled by an admin")
            started = self.clock()
            self._hook(run, stage, "start")
            try:
                summary = await self._stage(stage, ws)
            except stages.Cancelled:
                return await self._end(run, "cancelled", "cancelled by an admin")
            except Exception as exc:  # any failure ends the run cleanly; the old Soul keeps serving
                log.warning("retrain #%s failed in %s: %s", run.id, stage, exc)
                log.debug("%s", traceback.format_exc())
                run = self.store.get(run.id)
                return await self._end(run, "failed", f"{stage}: {exc}")
            self._hook(run, stage, "end")
            record = {
                "started": utc_iso(started),
                "seconds": round((self.clock() - started).total_seconds(), 2),
            }
            following = STAGES[STAGES.index(stage) + 1]
            if stage == "evaluate" and not summary["passed"]:
                following = "report"
            run = self.store.stage_done(run, stage, {**record, "summary": summary}, following)
            ws.run = run
        evaluated = run.stages.get("evaluate", {}).get("summary", {})
        status = "succeeded" if evaluated.get("passed") else "rejected"
        return await self._end(run, status, None if status == "succeeded" else "the gate did not pass")

    async def _stage(self, stage: str, ws: stages.Workspace) -> dict[str, Any]:
        if stage == "collect":
            return await asyncio.to_thread(stages.collect, ws)
        if stage == "merge":
            return await asyncio.to_thread(stages.merge, ws)
        if stage == "promote":
            return self._promote(ws)
        if stage == "activate":
            return await self._activate(ws)
        work: dict[str, Callable[[stages.Workspace], Awaitable[dict[str, Any]]]] = {
            "generate": stages.generate,
            "train": stages.train,
            "evaluate": stages.evaluate,
        }
        return await work[stage](ws)

    def _promote(self, ws: stages.Workspace) -> dict[str, Any]:
        """Register the adapter and record its passing evaluation; the dataset grows to the merged one.

        The registered folder is the one the model server loads (the vLLM copy when training wrote one,
        since `koclaw.soul.activate` loads `path`); its manifest names the transformers folder evaluation
        loads (`Adapter.eval_path`), so the next retrain's gate compares with exactly this Soul."""
        from finetune.dataset import write_bytes_atomic

        trained = ws.run.stages["train"]["summary"]
        folder = Path(trained["serve_adapter"])
        adapter = self.registry.find_by_path(folder)
        if adapter is None:
            adapter = self.registry.register(f"kokoron-r{ws.run.id}", folder)
            evaluated = {k: v for k, v in ws.run.stages["evaluate"]["summary"].items()}
            self.registry.record_evaluation(adapter.name, True, {"retrain": ws.run.id, **evaluated})
        ws.dataset.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(ws.dataset, (ws.folder / "merged.jsonl").read_bytes())
        self.store.update(ws.run.id, adapter=adapter.name)
        return {"adapter": adapter.name, "folder": str(folder), "dataset": str(ws.dataset)}

    async def _activate(self, ws: stages.Workspace) -> dict[str, Any]:
        from koclaw import soul

        name = ws.run.stages["promote"]["summary"]["adapter"]
        if self.registry.active() == name:
            if self.model is not None:
                self.model.use(name)
            return {"adapter": name, "already_active": True}
        model = self.model
        if model is None:
            from koclaw.llm.openai_compat import OpenAICompatModel

            model = OpenAICompatModel(self.settings.llm)
        try:
            await soul.activate(self.registry, model, name, f"retrain #{ws.run.id}")
        finally:
            if model is not self.model:
                await model.aclose()
        return {"adapter": name, "previous": self.registry.previous()}

    def _hook(self, run: Run, stage: str, phase: str) -> None:
        log.info("retrain #%s: %s %s", run.id, stage, phase)
        if self.on_stage is not None:
            self.on_stage(run, stage, phase)

    def _since(self, run: Run) -> str | None:
        done = [r for r in self.store.history(200) if r.status == "succeeded" and r.id != run.id]
        return done[0].started_at if done else None

    def _cancelled(self, run_id: int) -> Callable[[], bool]:
        return lambda: bool(self.store.get(run_id).cancel_requested)

    async def _end(self, run: Run, status: str, error: str | None) -> Run:
        """Close the run, write its report, send it, and schedule the next one of a cron series."""
        now = self.clock()
        ended = self.store.finish(run.id, status, now=now, error=error)  # type: ignore[arg-type]
        self.store.update(run.id, report=report_text(ended, now))
        if ended.cron and status != "cancelled":
            self._next_in_series(ended, now)
        await self.send_reports()
        return self.store.get(run.id)

    def _next_in_series(self, run: Run, now: datetime) -> None:
        assert run.cron is not None
        try:
            at, _ = parse_schedule(run.cron, now, self.zone)
            where = {"channel": run.channel or "", "chat_id": run.chat_id or ""}
            nxt = self.store.create(at, run.requested_by, now=now, cron=run.cron, **where)
        except (InputError, Busy) as exc:
            log.warning("the cron series of retrain #%s stops: %s", run.id, exc)
            return
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.at(nxt.job_id, JOB_KIND, str(nxt.id), at)

    # -- reports -------------------------------------------------------------------------------------
    async def send_reports(self) -> int:
        """Send every finished run's unsent report; returns how many went out."""
        sent = 0
        for run in self.store.unreported():
            if await self._send(run):
                sent += 1
        return sent

    async def _send(self, run: Run) -> bool:
        sender = self.deliveries.get("telegram") if self.deliveries is not None else None
        targets = [run.chat_id] if run.channel == "telegram" and run.chat_id else []
        targets = targets or [str(admin) for admin in self.settings.telegram.admin_users]
        if sender is None or not targets or run.report is None:
            return False
        delivered = False
        for chat_id in targets:
            try:
                await sender(chat_id, run.report)
                delivered = True
            except DeliveryError as exc:
                log.warning("retrain #%s report could not reach %s: %s", run.id, chat_id, exc)
        if delivered:
            self.store.update(run.id, report_sent=1)
        return delivered

    def _channel_up(self, channel: str) -> None:
        if channel == "telegram" and self.store.unreported():
            asyncio.get_running_loop().create_task(self.send_reports(), name="retrain reports")
