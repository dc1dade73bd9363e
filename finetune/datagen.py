"""The dual-agent generator: Phase 1 writes Sensei's side, Phase 2 writes Kokoron's, every result is
validated, and the run resumes after a kill without duplicates or losses.

Output directory layout::

    run.json             the run's settings; a rerun with other settings is refused
    shard-000000.jsonl   accepted conversations, written atomically (temp file + rename)
    rejects-000000.jsonl what was rejected in the same flush, with the reason (and final: true when
                         the job gave up); written before its shard, so a rejects file with no shard is
                         an interrupted flush and is removed on resume
    summary.json         the last run's tally

A job is done when its id is in a shard, or in a rejects file as final. Everything else, including a
job that was in flight or buffered when the process died, runs again on resume.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from character import analyse_language
from character.conversation import Conversation, MemoryNote, load_seeds
from finetune.dataset import write_lines_atomic
from finetune.plan import Job
from finetune.prompts import (
    MAX_MEMORIES,
    MIN_MEMORIES,
    Phase1,
    Phase2,
    SenseiTurn,
    TeacherOutputError,
    assemble,
    parse_output,
    phase1_messages,
    phase2_messages,
    pick_examples,
    profile_text,
)
from finetune.recipes import RECIPES
from finetune.teacher import Teacher, TeacherError, TeacherTruncated, TeacherUnusable
from finetune.validate import MIN_CHECKED_CHARS, split_think, validate

MEMORY_SHARE = 0.3  # conversations generated with a long-term-memory section
_FIRST_DAY = date(2025, 1, 1)  # generated conversations start on a day in 2025-2026

_SHARD = re.compile(r"^shard-(\d{6})\.jsonl$")
_REJECTS = "rejects-{:06d}.jsonl"


class RunMismatch(ValueError):
    """The output directory holds a run with other settings."""


@dataclass
class Outcome:
    job: Job
    conversation: Conversation | None
    rejects: list[dict[str, Any]]


@dataclass
class RunReport:
    planned: int
    already_done: int
    accepted: int = 0
    failed: int = 0  # jobs that used every attempt without an accepted conversation
    rejects: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    tally: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rejects"] = dict(self.rejects)
        return data


class ShardStore:
    """The run directory: what is done, and atomic flushes of new results."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def check_settings(self, settings: dict[str, Any]) -> None:
        manifest = self.directory / "run.json"
        if manifest.exists():
            stored = json.loads(manifest.read_text(encoding="utf-8"))
            if stored != settings:
                keys = settings.keys() | stored.keys()
                changed = sorted(k for k in keys if settings.get(k) != stored.get(k))
                raise RunMismatch(
                    f"{self.directory} holds a run with other settings ({', '.join(changed)}); "
                    "rerun with the same settings to resume, or choose a new --out directory"
                )
        else:
            write_lines_atomic(manifest, [json.dumps(settings, ensure_ascii=False, sort_keys=True)])

    def _shard_numbers(self) -> list[int]:
        return sorted(int(m.group(1)) for p in self.directory.iterdir() if (m := _SHARD.match(p.name)))

    def done_ids(self) -> set[str]:
        """Ids of finished jobs; removes rejects files left by an interrupted flush."""
        shards = set(self._shard_numbers())
        done: set[str] = set()
        for number in shards:
            done.update(_ids(self.directory / f"shard-{number:06d}.jsonl", lambda row: True))
        for path in self.directory.glob("rejects-*.jsonl"):
            number = int(path.stem.split("-")[1])
            if number not in shards:
                path.unlink()  # its shard never landed: the jobs in it run again
                continue
            done.update(_ids(path, lambda row: bool(row.get("final"))))
        for tmp in self.directory.glob(".*.tmp"):
            tmp.unlink()
        return done

    def flush(self, outcomes: list[Outcome]) -> None:
        if not outcomes:
            return
        number = max(self._shard_numbers(), default=-1) + 1
        rejects = [json.dumps(r, ensure_ascii=False) for o in outcomes for r in o.rejects]
        write_lines_atomic(self.directory / _REJECTS.format(number), rejects)
        accepted = [o.conversation.model_dump_json(exclude_none=True) for o in outcomes if o.conversation]
        write_lines_atomic(self.directory / f"shard-{number:06d}.jsonl", accepted)

    def conversations(self) -> list[Conversation]:
        paths = [self.directory / f"shard-{number:06d}.jsonl" for number in self._shard_numbers()]
        return [
            Conversation.model_validate_json(line)
            for path in paths
            for line in path.read_text(encoding="utf-8").split("\n")
            if line.strip()
        ]


def _ids(path: Path, keep: Callable[[dict[str, Any]], bool]) -> set[str]:
    ids = set()
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.strip():
            row = json.loads(line)
            if keep(row):
                ids.add(row["id"])
    return ids


class Generator:
    """Runs jobs against a teacher: `concurrency` workers share the teacher's rate limit."""

    def __init__(
        self,
        teacher: Teacher,
        store: ShardStore,
        *,
        concurrency: int = 8,
        max_attempts: int = 3,
        shard_size: int = 25,
        notes: str = "",
        seeds: list[Conversation] | None = None,
        on_progress: Callable[[RunReport], None] | None = None,
        memory_share: float = MEMORY_SHARE,
    ) -> None:
        if concurrency < 1 or max_attempts < 1 or shard_size < 1:
            raise ValueError("concurrency, attempts and shard size must be at least 1")
        if not 0.0 <= memory_share <= 1.0:
            raise ValueError("memory share must be between 0 and 1")
        self.memory_share = memory_share
        self.teacher = teacher
        self.store = store
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.shard_size = shard_size
        self.notes = notes
        self.seeds = load_seeds() if seeds is None else seeds
        self.profile = profile_text()
        self.on_progress = on_progress

    async def run(self, jobs: list[Job]) -> RunReport:
        started = time.perf_counter()
        done = self.store.done_ids()
        pending = [job for job in jobs if job.id not in done]
        report = RunReport(planned=len(jobs), already_done=len(jobs) - len(pending))
        queue: asyncio.Queue[Job] = asyncio.Queue()
        for job in pending:
            queue.put_nowait(job)
        buffer: list[Outcome] = []

        def finish(outcome: Outcome) -> None:
            buffer.append(outcome)
            report.rejects.update(r["code"] for r in outcome.rejects)
            if outcome.conversation:
                report.accepted += 1
            else:
                report.failed += 1
            if len(buffer) >= self.shard_size:
                self.store.flush(buffer)
                buffer.clear()
            if self.on_progress:
                self.on_progress(report)

        async def worker() -> None:
            while not queue.empty():
                finish(await self.generate(queue.get_nowait()))

        try:
            await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(pending)) or 1)))
        finally:
            self.store.flush(buffer)  # keep what finished, even when the teacher became unusable
            report.seconds = time.perf_counter() - started
            report.tally = self.teacher.tally.as_dict()
        return report

    async def generate(self, job: Job) -> Outcome:
        """Up to `max_attempts` tries at one job; every rejected try is kept with its reason."""
        rejects: list[dict[str, Any]] = []
        examples = pick_examples(self.seeds, job)
        recipe = RECIPES.get(job.recipe) if job.recipe else None
        notes = " ".join(filter(None, [recipe.instruction if recipe else "", self.notes]))
        wanted, started_at = memory_plan(job, self.memory_share)
        today = started_at.date().isoformat() if started_at else ""
        for attempt in range(1, self.max_attempts + 1):
            stage = "phase1"
            raw = ""
            try:
                if job.sensei:
                    phase1 = Phase1(turns=[SenseiTurn(content=text) for text in job.sensei])
                else:
                    asked = phase1_messages(job, examples, notes, memories=wanted, today=today)
                    raw = await self.teacher.complete(asked)
                    phase1 = parse_output(raw, Phase1)
                memories = _memories(job, phase1, wanted, today)
                stage = "phase2"
                raw = await self.teacher.complete(
                    phase2_messages(job, phase1, examples, self.profile, notes, memories=memories)
                )
                phase2 = parse_output(raw, Phase2)
                model = self.teacher.settings.model
                provenance = {"teacher": model, "attempt": attempt, "job": job.as_dict()}
                conversation = assemble(
                    job, phase1, phase2, provenance, memories=memories, started_at=started_at
                )
            except TeacherUnusable:
                raise
            except (TeacherOutputError, ValueError) as exc:
                rejects.append(_reject(job, attempt, "schema", f"{stage}: {exc}", raw))
                continue
            except TeacherTruncated as exc:
                rejects.append(_reject(job, attempt, "truncated", f"{stage}: {exc}", raw))
                continue
            except TeacherError as exc:
                rejects.append(_reject(job, attempt, "teacher", f"{stage}: {exc}", raw))
                continue
            verdict = validate(conversation)
            problems = [p.as_dict() for p in verdict.problems]
            if verdict.ok and (miss := thinking_mismatch(job, conversation)):
                problems.append({"code": "think_policy", "where": "", "detail": miss})
            if recipe and verdict.ok and (miss := recipe.check(conversation)):
                problems.append({"code": "recipe", "where": "", "detail": f"{recipe.name}: {miss}"})
            if not problems:
                return Outcome(job, conversation, rejects)
            rejects.append(
                _reject(job, attempt, problems[0]["code"], problems[0]["detail"], conversation, problems)
            )
        rejects[-1]["final"] = True
        return Outcome(job, None, rejects)


def memory_plan(job: Job, share: float) -> tuple[int, datetime | None]:
    """How many memories the job gets (0: none) and when its conversation starts.

    Why a hash of the job id and not the plan: the choice must survive a resume and needs no change
    to the plan format; over a run the share lands within a few points of `share` (a binomial draw,
    not an exact apportionment). Excerpts (Sensei's real words) never get invented memories.
    """
    if job.sensei or share <= 0:
        return 0, None
    digest = hashlib.sha256(f"memories:{job.id}".encode()).digest()
    if int.from_bytes(digest[:8], "big") / 2**64 >= share:
        return 0, None
    rng = random.Random(f"memories:{job.id}")
    day = _FIRST_DAY + timedelta(days=rng.randrange(730))
    started = datetime(day.year, day.month, day.day, rng.randrange(7, 23), rng.randrange(60))
    return rng.randint(MIN_MEMORIES, MAX_MEMORIES), started


def _memories(job: Job, phase1: Phase1, wanted: int, today: str) -> list[MemoryNote]:
    """Phase 1's memories as schema notes; a wrong count, a date on or after today or a note in
    another language is a ``schema`` reject (the teacher did not follow the brief)."""
    if not wanted:
        return []
    got = phase1.memories
    if not MIN_MEMORIES <= len(got) <= MAX_MEMORIES:
        raise TeacherOutputError(
            f"asked for {wanted} memories ({MIN_MEMORIES}-{MAX_MEMORIES}), got {len(got)}"
        )
    notes = []
    for memory in got:
        note = MemoryNote(
            text=memory.text.strip(), date=memory.date.strip(), kind=memory.kind.strip() or "fact"
        )
        if note.date[:10] >= today:
            raise TeacherOutputError(f"memory dated {note.date} is not before the conversation ({today})")
        lang = analyse_language(note.text).lang
        if (
            job.language != "mixed"
            and len(note.text) >= MIN_CHECKED_CHARS
            and lang not in (job.language, "mixed")
        ):
            raise TeacherOutputError(f"memory {note.text[:30]!r} is in {lang}, not {job.language}")
        notes.append(note)
    return notes


def thinking_mismatch(job: Job, conversation: Conversation) -> str | None:
    """The thinking policy per job: a thinking job thinks before every answer to Sensei (a reply
    after a tool result may or may not), a no-think job has no think block anywhere."""
    blocks = [split_think(m.content)[0] for m in conversation.messages if m.role == "assistant"]
    if not job.think:
        found = sum(b is not None for b in blocks)
        return f"{found} think block(s) in a no-thinking conversation" if found else None
    answers = [
        split_think(m.content)[0]
        for prev, m in zip(conversation.messages, conversation.messages[1:], strict=False)
        if m.role == "assistant" and prev.role == "user"
    ]
    missing = sum(not b for b in answers)
    return f"{missing} of {len(answers)} answers to Sensei do not think" if missing else None


def _reject(
    job: Job, attempt: int, code: str, detail: str, sample: Any, problems: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    body = (
        sample.model_dump(mode="json", exclude_none=True)
        if isinstance(sample, Conversation)
        else str(sample)[:4000]
    )
    return {
        "id": job.id,
        "attempt": attempt,
        "code": code,
        "detail": detail,
        "problems": problems or [{"code": code, "where": "", "detail": detail}],
        "job": job.as_dict(),
        "sample": body,
        "final": False,
    }
