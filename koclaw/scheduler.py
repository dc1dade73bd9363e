"""Timed jobs that survive restarts: APScheduler's AsyncIOScheduler over `$KOCLAW_HOME/scheduler.db`.

One `Scheduler` per App, started in `open_app` and shut down when it closes. Jobs are stored in
SQLite (APScheduler's SQLAlchemy job store) as a call of `dispatch(db, kind, payload)`: a plain
module function with string arguments, so the stored job needs no pickled object. `dispatch` hands
the payload to the handler registered for `kind` on the scheduler of that database (reminders
register "reminder"). The job is only a wake-up: what it is for (a reminder row) lives in its own
table and is the truth, so a job that fires for something cancelled does nothing.

Misfire policy (jobs that were due while Koclaw was down): `misfire_grace_time=None` runs a missed
job however late it is, and `coalesce=True` runs the missed runs of one job once. A date job is
removed from the store when it is handed to the executor, and handlers claim their row before
acting, so a missed reminder fires exactly once, on start, and its handler says that it is late.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.jobstores.base import BaseJobStore, JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

Handler = Callable[[str], Awaitable[None]]

JOB_DEFAULTS = {
    "coalesce": True,  # runs missed while down collapse into one
    "misfire_grace_time": None,  # however late: a reminder is still worth sending, marked late
    "max_instances": 1,
}

_RUNNING: dict[str, Scheduler] = {}  # database -> its running scheduler


async def dispatch(db: str, kind: str, payload: str) -> None:
    """What every stored job calls; runs the handler of `kind` on the scheduler of `db`."""
    scheduler = _RUNNING.get(db)
    if scheduler is None:
        log.warning("a %s job for %s fired with no scheduler of that database running", kind, db)
        return
    await scheduler.run_handler(kind, payload)


class Scheduler:
    def __init__(self, path: Path, *, shutdown_grace_s: float = 10.0) -> None:
        """`path`: the SQLite file of the job store, created on `start`."""
        self.path = path
        self.key = str(path.resolve())
        self.shutdown_grace_s = shutdown_grace_s
        self._handlers: dict[str, Handler] = {}
        self._running: set[asyncio.Task[None]] = set()
        self.aps = AsyncIOScheduler(job_defaults=JOB_DEFAULTS, timezone=UTC)

    def handle(self, kind: str, handler: Handler) -> None:
        """Run `handler(payload)` when a job of `kind` fires."""
        self._handlers[kind] = handler

    def start(self, *, paused: bool = False) -> None:
        """Open the job store and start; due and missed jobs run as soon as the loop gets to them."""
        if self.key in _RUNNING:
            raise RuntimeError(f"a scheduler over {self.path} is already running in this process")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.aps.add_jobstore(_job_store(self.path), "default")
        _RUNNING[self.key] = self
        try:
            self.aps.start(paused=paused)
        except BaseException:
            _RUNNING.pop(self.key, None)
            raise

    @property
    def running(self) -> bool:
        return _RUNNING.get(self.key) is self

    def pause(self) -> None:
        """Stop running jobs (they stay stored and run, late, on `resume` or the next start)."""
        self.aps.pause()

    def resume(self) -> None:
        self.aps.resume()

    async def shutdown(self, grace_s: float | None = None) -> None:
        """Let running jobs finish for a grace period (`grace_s`, default `shutdown_grace_s`), then
        cancel them and stop; stored jobs stay for the next start."""
        if _RUNNING.get(self.key) is not self:
            return
        if self.aps.running:
            self.aps.pause()
        if self._running:
            grace = self.shutdown_grace_s if grace_s is None else max(0.0, grace_s)
            _, late = await asyncio.wait(set(self._running), timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        _RUNNING.pop(self.key, None)
        if self.aps.running:
            self.aps.shutdown(wait=False)

    # -- jobs ----------------------------------------------------------------------------------
    def at(self, job_id: str, kind: str, payload: str, run_at: datetime) -> None:
        """Store a job that calls the `kind` handler with `payload` once, at `run_at` (aware)."""
        if run_at.tzinfo is None:
            raise ValueError("run_at must be timezone-aware")
        self.aps.add_job(
            dispatch,
            "date",
            run_date=run_at,
            args=[self.key, kind, payload],
            id=job_id,
            name=f"{kind} {payload}",
            replace_existing=True,
        )

    def every(self, job_id: str, kind: str, payload: str, seconds: float) -> None:
        """Store a job that calls the `kind` handler with `payload` every `seconds` (replacing an older
        one of this id, so a changed interval takes)."""
        self.aps.add_job(
            dispatch,
            "interval",
            seconds=seconds,
            args=[self.key, kind, payload],
            id=job_id,
            name=f"{kind} every {seconds:g} s",
            replace_existing=True,
        )

    def reschedule(self, job_id: str, run_at: datetime) -> bool:
        """Move a stored job to `run_at` (now: it runs at once); False if there is no such job."""
        try:
            self.aps.modify_job(job_id, next_run_time=run_at)
        except JobLookupError:
            return False
        self.aps.wakeup()
        return True

    def remove(self, job_id: str) -> bool:
        """Drop a stored job; False if there was none."""
        try:
            self.aps.remove_job(job_id)
        except JobLookupError:
            return False
        return True

    def next_run(self, job_id: str) -> datetime | None:
        job = self.aps.get_job(job_id)
        return None if job is None else job.next_run_time

    def job_ids(self) -> list[str]:
        return sorted(job.id for job in self.aps.get_jobs())

    async def run_handler(self, kind: str, payload: str) -> None:
        handler = self._handlers.get(kind)
        if handler is None:
            log.error("no handler for %s jobs; job %s dropped", kind, payload)
            return
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            await handler(payload)
        except Exception:  # one failing job must not stop the others
            log.exception("the %s job %s failed", kind, payload)
        finally:
            if task is not None:
                self._running.discard(task)


def remove_stored_job(path: Path, job_id: str) -> bool:
    """Drop a job from the store without running a scheduler (the CLI, maybe while Koclaw runs)."""
    if not path.exists():
        return False
    store = _job_store(path)
    try:
        store.remove_job(job_id)
    except JobLookupError:
        return False
    finally:
        store.shutdown()
    return True


def _job_store(path: Path) -> BaseJobStore:
    # Imported here: SQLAlchemy takes about 0.2 s to import, which every `koclaw` command paid.
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    return SQLAlchemyJobStore(url=f"sqlite:///{path}")
