"""The retrain runs table: the persisted state of every scheduled, running and finished retrain.

A run's life: scheduled -> running -> succeeded | rejected (the gate said no) | failed | cancelled,
or scheduled -> cancelled. While running, `stage` names the stage to run next and `stages` keeps
each finished stage's summary, so a restarted Koclaw resumes exactly where the last one stopped.

At most one run is open (scheduled or running) at any time, across processes: the `open` column is 1
for an open run and NULL otherwise, under a UNIQUE index, so SQLite itself refuses a second one.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import sqlite_utils

from koclaw.errors import InputError, StorageError
from memory.db import Migrations, fetch_rows, open_db, utc_iso

STAGES = ("collect", "generate", "merge", "train", "evaluate", "promote", "activate", "report")
Status = Literal["scheduled", "running", "succeeded", "rejected", "failed", "cancelled"]
OPEN: tuple[Status, ...] = ("scheduled", "running")
CANCELLABLE_STAGES = STAGES[: STAGES.index("promote")]  # from promote on, the new Soul is going live

migrations = Migrations("retrain")


@migrations
def m001_runs(db: sqlite_utils.Database) -> None:
    db.table("runs").create(
        {
            "id": int,
            "status": str,
            "stage": str,  # the stage to run next (the current one while running)
            "open": int,  # 1 while scheduled or running, else NULL: the UNIQUE index allows one
            "scheduled_for": str,  # UTC ISO
            "cron": str,  # a standing schedule: the next run is made when this one ends
            "requested_by": str,
            "channel": str,  # where the report goes (telegram) or '' for the admins
            "chat_id": str,
            "created_at": str,
            "started_at": str,
            "finished_at": str,
            "owner_pid": int,  # the process running it, to tell a crash from a live run
            "owner_token": str,
            "attempts": int,  # tries at the current stage (resumes after a crash count)
            "cancel_requested": int,
            "stages": str,  # JSON: stage -> {started, finished, seconds, summary}
            "adapter": str,
            "error": str,
            "report": str,
            "report_sent": int,
        },
        pk="id",
        not_null={"status", "stage", "scheduled_for", "requested_by", "created_at"},
        defaults={"attempts": 0, "cancel_requested": 0, "stages": "{}", "report_sent": 0},
    )
    db.table("runs").create_index(["open"], unique=True)
    db.table("runs").create_index(["status", "scheduled_for"])


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    status: Status
    stage: str
    scheduled_for: str
    requested_by: str
    created_at: str
    open: int | None = None
    cron: str | None = None
    channel: str | None = None
    chat_id: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    owner_pid: int | None = None
    owner_token: str | None = None
    attempts: int = 0
    cancel_requested: int = 0
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    adapter: str | None = None
    error: str | None = None
    report: str | None = None
    report_sent: int = 0

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Run:
        return cls(**{**row, "stages": json.loads(row.get("stages") or "{}")})

    @property
    def due(self) -> datetime:
        return datetime.fromisoformat(self.scheduled_for)

    @property
    def job_id(self) -> str:
        return f"retrain:{self.id}"

    @property
    def folder_name(self) -> str:
        return f"run-{self.id}"

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


class Busy(InputError):
    """Another retrain is already scheduled or running."""

    def __init__(self, run: Run) -> None:
        self.run = run
        what = (
            f"scheduled for {run.scheduled_for.replace('T', ' ')} UTC"
            if run.status == "scheduled"
            else f"running (stage {run.stage})"
        )
        super().__init__(
            f"Retrain #{run.id} is already {what}; only one runs at a time. "
            "Wait for it, or cancel it first (/retrain_cancel or `koclaw soul retrain-cancel`)."
        )


class RunStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = open_db(path, migrations)

    def close(self) -> None:
        self.db.conn.close()

    def create(
        self,
        scheduled_for: datetime,
        requested_by: str,
        *,
        now: datetime,
        cron: str | None = None,
        channel: str = "",
        chat_id: str = "",
    ) -> Run:
        """A new scheduled run; `Busy` when one is open already (checked by SQLite, across processes)."""
        row = {
            "status": "scheduled",
            "stage": STAGES[0],
            "open": 1,
            "scheduled_for": utc_iso(scheduled_for),
            "cron": cron,
            "requested_by": requested_by,
            "channel": channel,
            "chat_id": chat_id,
            "created_at": utc_iso(now),
        }
        try:
            with self._write():
                rowid = self.db.table("runs").insert(row).last_rowid
        except sqlite3.IntegrityError:
            current = self.open_run()
            if current is None:  # it finished in between: try once more
                return self.create(
                    scheduled_for, requested_by, now=now, cron=cron, channel=channel, chat_id=chat_id
                )
            raise Busy(current) from None
        if rowid is None:
            raise StorageError(f"Inserting a retrain run into {self.path} returned no row id.")
        return self.get(rowid)

    def get(self, run_id: int) -> Run:
        rows = self._all("SELECT * FROM runs WHERE id = ?", [run_id])
        if not rows:
            raise InputError(f"No retrain run #{run_id}; see `koclaw soul retrain-history`.")
        return Run.from_row(rows[0])

    def open_run(self) -> Run | None:
        rows = self._all("SELECT * FROM runs WHERE open = 1", [])
        return Run.from_row(rows[0]) if rows else None

    def history(self, limit: int = 10) -> list[Run]:
        return [Run.from_row(r) for r in self._all("SELECT * FROM runs ORDER BY id DESC LIMIT ?", [limit])]

    def due(self, now: datetime) -> list[Run]:
        rows = self._all(
            "SELECT * FROM runs WHERE status = 'scheduled' AND scheduled_for <= ? ORDER BY id", [utc_iso(now)]
        )
        return [Run.from_row(r) for r in rows]

    def unreported(self) -> list[Run]:
        rows = self._all(
            "SELECT * FROM runs WHERE open IS NULL AND report IS NOT NULL AND report_sent = 0 ORDER BY id", []
        )
        return [Run.from_row(r) for r in rows]

    def claim(self, run_id: int, token: str, *, now: datetime) -> bool:
        """Start a scheduled run in this process; True for exactly one caller."""
        return self._update_where(
            run_id,
            "status = 'scheduled'",
            status="running",
            started_at=utc_iso(now),
            owner_pid=os.getpid(),
            owner_token=token,
            attempts=1,
        )

    def take_over(self, run: Run, token: str) -> bool:
        """Resume a running run whose process died; True for exactly one caller."""
        return self._update_where(
            run.id,
            "status = 'running' AND owner_token IS ?",
            [run.owner_token],
            owner_pid=os.getpid(),
            owner_token=token,
            attempts=run.attempts + 1,
        )

    def stage_done(self, run: Run, stage: str, record: dict[str, Any], next_stage: str) -> Run:
        stages = {**run.stages, stage: record}
        self.update(run.id, stage=next_stage, stages=json.dumps(stages, ensure_ascii=False), attempts=1)
        return self.get(run.id)

    def finish(self, run_id: int, status: Status, *, now: datetime, **fields: Any) -> Run:
        self.update(run_id, status=status, open=None, finished_at=utc_iso(now), **fields)
        return self.get(run_id)

    def cancel_scheduled(self, run_id: int, *, now: datetime) -> bool:
        return self._update_where(
            run_id, "status = 'scheduled'", status="cancelled", open=None, finished_at=utc_iso(now)
        )

    def request_cancel(self, run_id: int) -> bool:
        placeholders = ",".join("?" * len(CANCELLABLE_STAGES))
        return self._update_where(
            run_id,
            f"status = 'running' AND stage IN ({placeholders})",
            list(CANCELLABLE_STAGES),
            cancel_requested=1,
        )

    def update(self, run_id: int, **fields: Any) -> None:
        with self._write():
            self.db.table("runs").update(run_id, fields)

    def _update_where(self, run_id: int, condition: str, args: Iterable[Any] = (), **fields: Any) -> bool:
        sets = ", ".join(f"{name} = ?" for name in fields)
        with self._write():
            cur = self.db.execute(
                f"UPDATE runs SET {sets} WHERE id = ? AND {condition}",
                [*fields.values(), run_id, *args],
            )
        return cur.rowcount == 1

    def _all(self, sql: str, args: Iterable[Any]) -> list[dict[str, Any]]:
        return fetch_rows(self.db, sql, args, source=f"Retrain database {self.path}")

    @contextmanager
    def _write(self) -> Iterator[None]:
        """A committed write; SQLite errors (but the one-open-run refusal) become `StorageError`."""
        try:
            with self.db.conn:
                yield
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as exc:
            raise StorageError(f"Cannot write to {self.path}: {exc}") from exc


def owner_alive(run: Run, token: str) -> bool:
    """Whether the process running `run` still exists (on this machine).

    A run owned by this very process under another token belongs to a retrainer that is gone (an
    in-process restart, as in the tests): it counts as dead, so it can be resumed.
    """
    if run.owner_pid is None:
        return False
    if run.owner_pid == os.getpid():
        return run.owner_token == token
    try:
        os.kill(run.owner_pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
