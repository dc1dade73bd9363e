"""The dual-agent generator against a scripted teacher over real HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from character.conversation import Conversation
from finetune.datagen import (
    MEMORY_SHARE,
    Generator,
    ShardStore,
    memory_plan,
    thinking_mismatch,
)
from finetune.plan import THINK_SHARE, Job, PlanSettings, make_plan
from finetune.recipes import RECIPES
from finetune.targets import DEFAULT_LANGUAGES, DEFAULT_SCENARIOS
from finetune.teacher import Teacher, TeacherSettings
from finetune.validate import split_think, validate
from memory.working import MEMORY_HEADER, MemoryRecord, render_memories
from tests.conftest import KOCLAW, run_koclaw
from tests.fakes.openai_server import Reply
from tests.fakes.teacher import CONTENT_FAULTS, EXPECTED_CODE, MEMORY_TEXT, ScriptedTeacher


class MemoryTeacher(ScriptedTeacher):
    """The scripted teacher, plus a wrong memory count on request, and the Phase 2 rules it was sent."""

    def __init__(self, *, short_memories: set[str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.short_memories = short_memories or set()
        self.rules: dict[str, str] = {}  # the last Phase 2 system prompt per job

    def _memory_count(self, job: dict[str, Any]) -> int:
        if job["id"] in self.short_memories:
            self.short_memories.discard(job["id"])
            return 1
        return super()._memory_count(job)

    def _phase2(self, job_id: str, rules: str) -> Reply:
        self.rules[job_id] = rules
        return super()._phase2(job_id, rules)


@pytest.fixture
def teacher_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedTeacher]:
    with MemoryTeacher() as teacher:
        monkeypatch.setenv("KOCLAW_TEACHER_URL", teacher.url)
        monkeypatch.setenv("KOCLAW_TEACHER_MODEL", "teacher")
        yield teacher


def _teacher(url: str, **overrides: float) -> Teacher:
    settings = TeacherSettings(
        base_url=url, model="teacher", requests_per_minute=120_000, timeout_s=1.0, backoff_s=0.01
    )
    for key, value in overrides.items():
        setattr(settings, key, value)
    return Teacher(settings)


def _rows(directory: Path, pattern: str) -> list[dict[str, object]]:
    return [
        json.loads(line)
        for path in sorted(directory.glob(pattern))
        for line in path.read_text(encoding="utf-8").split("\n")
        if line
    ]


def _share(counts: Counter[str], key: str) -> float:
    return 100 * counts[key] / sum(counts.values())


def test_a_run_hits_the_targets_within_two_points_despite_faults(tmp_path: Path) -> None:
    settings = PlanSettings(300, seed=3, run_id="t", think_share=THINK_SHARE)
    jobs = make_plan(settings, DEFAULT_LANGUAGES, DEFAULT_SCENARIOS)
    with MemoryTeacher(fault_rate=0.15, transport_rate=0.05, hang_s=3.0, seed=3) as server:
        teacher = _teacher(server.url, timeout_s=2.0)
        report = asyncio.run(Generator(teacher, ShardStore(tmp_path), concurrency=16).run(jobs))
    conversations = ShardStore(tmp_path).conversations()

    assert report.accepted == len(conversations) >= 297
    assert sum(report.rejects.values()) >= 30  # faults happened and were caught
    assert set(server.transport) == {"429", "500", "timeout"}
    # Every injected failure was retried (a slow machine may time out a few more); only answers count tokens.
    retried = sum(teacher.tally.retries.values())
    assert retried >= sum(server.transport.values())
    assert teacher.tally.prompt_tokens == 900 * (teacher.tally.requests - retried)
    languages = Counter(c.language for c in conversations)
    scenarios = Counter(c.scenario for c in conversations)
    for key, target in DEFAULT_LANGUAGES.items():
        assert abs(_share(languages, key) - target) <= 2, (key, languages)
    for key, target in DEFAULT_SCENARIOS.items():
        assert abs(_share(scenarios, key) - target) <= 2, (key, scenarios)
    assert all(validate(c).ok for c in conversations)
    # The thinking policy: ~90% think before every answer, the rest have no think block at all.
    by_id = {job.id: job for job in jobs}
    assert all(thinking_mismatch(by_id[c.id], c) is None for c in conversations)
    thinking = sum(1 for c in conversations if by_id[c.id].think)
    assert abs(thinking / len(conversations) - THINK_SHARE) <= 0.02
    # About 30% carry long-term memories (a hash of the id decides, so a few points either way).
    remembered = [c for c in conversations if c.memories]
    assert abs(len(remembered) / len(conversations) - MEMORY_SHARE) <= 0.08
    for c in remembered:
        assert 2 <= len(c.memories) <= 6 and c.started_at is not None
        assert all(m.date < c.started_at.date().isoformat() for m in c.memories)


def test_every_corrupted_sample_is_rejected_with_the_right_reason(tmp_path: Path) -> None:
    jobs = make_plan(PlanSettings(len(CONTENT_FAULTS), seed=1, run_id="f"), {"zh": 1, "ja": 1}, {"daily": 1})
    faults = {job.id: [fault, fault] for job, fault in zip(jobs, CONTENT_FAULTS, strict=True)}
    with MemoryTeacher(faults=faults) as server:
        report = asyncio.run(Generator(_teacher(server.url), ShardStore(tmp_path)).run(jobs))

    rejects = {(r["id"], r["attempt"]): r for r in _rows(tmp_path, "rejects-*.jsonl")}
    assert len(server.injected) == 2 * len(CONTENT_FAULTS)
    for job_id, attempt, fault in server.injected:
        assert rejects[(job_id, attempt)]["code"] == EXPECTED_CODE[fault], (fault, rejects[(job_id, attempt)])
    # The third attempt was clean, so no job is lost to the faults.
    assert report.accepted == len(jobs) and report.failed == 0
    assert not any(r["final"] for r in rejects.values())


def test_a_job_that_keeps_failing_is_given_up_and_recorded(tmp_path: Path) -> None:
    jobs = make_plan(PlanSettings(2, run_id="g"), {"ja": 1}, {"daily": 1})
    with MemoryTeacher(faults={jobs[0].id: ["empty", "runaway"]}) as server:
        report = asyncio.run(Generator(_teacher(server.url), ShardStore(tmp_path), max_attempts=2).run(jobs))
    assert (report.accepted, report.failed) == (1, 1)
    final = [r for r in _rows(tmp_path, "rejects-*.jsonl") if r["final"]]
    assert [(r["id"], r["code"]) for r in final] == [(jobs[0].id, "runaway")]
    # Given-up jobs count as done: a rerun does not try them again.
    assert ShardStore(tmp_path).done_ids() == {jobs[0].id, jobs[1].id}


def test_kill_and_resume_loses_nothing_and_duplicates_nothing(
    tmp_path: Path, teacher_env: ScriptedTeacher
) -> None:
    out = tmp_path / "run"
    args = ["finetune", "generate", "-o", str(out), "-n", "60", "--rpm", "900", "--shard-size", "4"]
    args += ["--concurrency", "4", "--seed", "7"]
    proc = subprocess.Popen([KOCLAW, *args], env=os.environ.copy(), stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while len(list(out.glob("shard-*.jsonl"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = {row["id"] for row in _rows(out, "shard-*.jsonl")}
    assert 12 <= len(before) < 60, "the kill must land mid-run"
    attempts_before = Counter(teacher_env.attempts)

    finished = run_koclaw(*args, "--json")
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout)
    ids = [row["id"] for row in _rows(out, "shard-*.jsonl")]
    plan = make_plan(PlanSettings(60, seed=7, run_id="gen"), DEFAULT_LANGUAGES, DEFAULT_SCENARIOS)
    planned = {job.id for job in plan}
    assert len(ids) == len(set(ids)) == 60  # zero duplicates, zero losses
    assert set(ids) == planned and before <= set(ids)
    assert report["already_done"] == len(before) and report["accepted"] == 60 - len(before)
    # Finished jobs were never sent to the teacher again.
    assert all(teacher_env.attempts[job_id] == attempts_before[job_id] for job_id in before)
    assert not list(out.glob(".*.tmp"))


def test_a_rerun_with_other_settings_is_refused(tmp_path: Path, teacher_env: ScriptedTeacher) -> None:
    out = tmp_path / "run"
    assert run_koclaw("finetune", "generate", "-o", str(out), "-n", "3", "--rpm", "6000").returncode == 0
    again = run_koclaw("finetune", "generate", "-o", str(out), "-n", "5", "--rpm", "6000")
    assert again.returncode == 2
    assert "other settings (count)" in again.stderr and "new --out" in again.stderr
    assert "Traceback" not in again.stderr


def test_a_teacher_that_refuses_the_model_stops_the_run_with_advice(
    tmp_path: Path, teacher_env: ScriptedTeacher
) -> None:
    teacher_env.add(Reply(status=404))
    result = run_koclaw("finetune", "generate", "-o", str(tmp_path / "r"), "-n", "2", "--concurrency", "1")
    assert result.returncode == 2
    assert "--teacher-model" in result.stderr and "Traceback" not in result.stderr


def test_the_report_prints_throughput_rejects_and_cost(tmp_path: Path, teacher_env: ScriptedTeacher) -> None:
    teacher_env.faults = {"gen-000000": ["hangul"]}
    result = run_koclaw(
        "finetune", "generate", "-o", str(tmp_path / "r"), "-n", "4", "--rpm", "6000",
        "--price-in", "1.0", "--price-out", "2.0",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "4 accepted" in result.stdout and "script 1" in result.stdout
    requests = 2 * 4 + 2  # the rejected attempt cost both phases
    cost = (900 * requests * 1.0 + 300 * requests * 2.0) / 1e6
    assert f"cost {cost:.4f}" in result.stdout


def test_targeted_samples_follow_their_recipes(tmp_path: Path, teacher_env: ScriptedTeacher) -> None:
    notes = tmp_path / "NEXT_FINETUNE_NOTES.md"
    notes.write_text(
        "# Notes from production\n"
        "- Replies often come without <think> tags (count: 4)\n"
        '- In thinking she calls Sensei "user" instead of 老师 (count: 3)\n'
        "- She mixes up her Soul with long-term memory\n"
        "- Tool calls come out in the wrong format (count: 3)\n"
        "- The weather widget is slow\n",
        encoding="utf-8",
    )
    out = tmp_path / "r"
    result = run_koclaw(
        "finetune", "generate", "-o", str(out), "-n", "0", "--notes", str(notes), "--per-note", "2",
        "--rpm", "6000",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Note without a recipe (skipped): The weather widget is slow" in result.stderr
    rows = _rows(out, "shard-*.jsonl")
    by_recipe = Counter(str(row["recipe"]) for row in rows)
    expected = {"missing_think": 4, "user_in_thinking": 3, "tool_call_format": 3, "soul_vs_long_term": 2}
    assert by_recipe == expected
    assert all(row["source"] == "targeted" for row in rows)
    for row in rows:
        conversation = Conversation.model_validate(row)
        assert RECIPES[conversation.recipe or ""].check(conversation) is None, row["id"]
    soul = [Conversation.model_validate(r) for r in rows if r["recipe"] == "soul_vs_long_term"]
    assert all(c.scenario == "deep_discussion" for c in soul)


def test_a_recipe_check_rejects_samples_that_miss_the_point(tmp_path: Path) -> None:
    """The teacher ignores the Soul instruction: the samples are rejected as `recipe`, not kept."""
    plain = make_plan(PlanSettings(1, run_id="s"), {"en": 1}, {"daily": 1})[0]
    job = RECIPES["soul_vs_long_term"].shape(plain)
    with MemoryTeacher(ignore_instructions=True) as server:
        report = asyncio.run(Generator(_teacher(server.url), ShardStore(tmp_path), max_attempts=2).run([job]))
    assert report.failed == 1
    assert [r["code"] for r in _rows(tmp_path, "rejects-*.jsonl")] == ["recipe", "recipe"]


def _memory_job(language: str = "zh", *, think: bool = True) -> Job:
    """A job the memory plan picks (the first id with memories at the default share)."""
    for i in range(100):
        job = Job(id=f"m-{i:06d}", language=language, scenario="daily", user_turns=2, think=think)  # type: ignore[arg-type]
        if memory_plan(job, MEMORY_SHARE)[0]:
            return job
    raise AssertionError("no memory job in 100 ids")


def test_the_memory_plan_is_deterministic_and_near_its_share() -> None:
    jobs = [Job(id=f"g-{i:06d}", language="en", scenario="daily", user_turns=2) for i in range(2000)]
    plans = [memory_plan(job, 0.3) for job in jobs]
    assert plans == [memory_plan(job, 0.3) for job in jobs]
    with_memories = [(n, when) for n, when in plans if n]
    assert abs(len(with_memories) / len(jobs) - 0.3) <= 0.03
    assert {n for n, _ in with_memories} == {2, 3, 4, 5, 6}
    assert all(when is not None and 2025 <= when.year <= 2026 for _, when in with_memories)
    assert all(memory_plan(job, 0.0) == (0, None) for job in jobs[:50])
    excerpt = Job(id=jobs[0].id, language="en", scenario="daily", user_turns=1, sensei=("hi",))
    assert memory_plan(excerpt, 1.0) == (0, None)  # Sensei's real words get no invented past


@pytest.mark.parametrize("language", ["zh", "ja", "en"])
def test_kokoron_sees_the_memories_in_the_runtime_format_and_they_are_kept(
    tmp_path: Path, language: str
) -> None:
    job = _memory_job(language)
    server = MemoryTeacher()
    with server:
        report = asyncio.run(Generator(_teacher(server.url), ShardStore(tmp_path)).run([job]))
    assert report.accepted == 1, _rows(tmp_path, "rejects-*.jsonl")
    (conversation,) = ShardStore(tmp_path).conversations()
    wanted, started_at = memory_plan(job, MEMORY_SHARE)
    assert len(conversation.memories) == wanted and conversation.started_at == started_at
    records = [MemoryRecord(text=m.text, date=m.date, kind=m.kind) for m in conversation.memories]
    section = render_memories(records, max_tokens=10**9)[0]
    rules = server.rules[job.id]
    assert section.startswith(MEMORY_HEADER) and section in rules
    assert "about SENSEI, not about herself" in rules and "Start EVERY reply" in rules
    phase1 = server.received[0].body["messages"]
    assert f'"memories": {wanted}' in phase1[-1]["content"] and "differs from Kokoron" in phase1[0]["content"]
    assert MEMORY_TEXT[language][0] in conversation.memories[0].text


def test_a_wrong_number_of_memories_is_a_schema_reject_and_retried(tmp_path: Path) -> None:
    job = _memory_job("en")
    with MemoryTeacher(short_memories={job.id}) as server:
        report = asyncio.run(Generator(_teacher(server.url), ShardStore(tmp_path)).run([job]))
    assert report.accepted == 1
    (reject,) = _rows(tmp_path, "rejects-*.jsonl")
    assert reject["code"] == "schema" and "memories" in str(reject["detail"])


def test_a_no_think_job_has_no_think_block_and_says_so(tmp_path: Path) -> None:
    job = Job(id="nt-000001", language="ja", scenario="daily", user_turns=3, think=False)
    server = MemoryTeacher()
    with server:
        report = asyncio.run(Generator(_teacher(server.url), ShardStore(tmp_path), memory_share=0).run([job]))
    assert report.accepted == 1
    (conversation,) = ShardStore(tmp_path).conversations()
    assert all(split_think(m.content)[0] is None for m in conversation.assistant_turns())
    assert "No <think> blocks at all" in server.rules[job.id]
    assert conversation.memories == [] and conversation.started_at is None


def test_the_thinking_policy_check() -> None:
    thinking = Job(id="p-1", language="en", scenario="daily", user_turns=1, think=True)
    silent = Job(id="p-2", language="en", scenario="daily", user_turns=1, think=False)

    def conversation(reply: str) -> Conversation:
        messages = [{"role": "user", "content": "Hi there"}, {"role": "assistant", "content": reply}]
        return Conversation.model_validate(
            {"id": "p", "language": "en", "scenario": "daily", "messages": messages}
        )

    thought = conversation("<think>\nSensei says hi; greet back.\n</think>\n\nHi, Sensei!")
    plain = conversation("Hi, Sensei!")
    assert thinking_mismatch(thinking, thought) is None and thinking_mismatch(silent, plain) is None
    assert thinking_mismatch(thinking, plain) == "1 of 1 answers to Sensei do not think"
    assert thinking_mismatch(silent, thought) == "1 think block(s) in a no-thinking conversation"


def test_a_cut_off_answer_is_a_truncated_reject_never_a_sample(tmp_path: Path) -> None:
    job = Job(id="tr-000001", language="en", scenario="daily", user_turns=2, think=True)
    with MemoryTeacher() as server:
        server.add(
            Reply(chunks=['{"turns": ['], finish_reason="length"), Reply(chunks=["{"], finish_reason="length")
        )
        report = asyncio.run(Generator(_teacher(server.url), ShardStore(tmp_path), memory_share=0).run([job]))
        asked = [r.body["max_tokens"] for r in server.received[:2]]
    assert report.accepted == 1
    (reject,) = _rows(tmp_path, "rejects-*.jsonl")
    assert reject["code"] == "truncated" and reject["attempt"] == 1
    assert asked == [2048, 4096]


def test_the_cli_picks_the_anthropic_api_and_refuses_unknown_ones(
    tmp_path: Path, teacher_env: ScriptedTeacher
) -> None:
    # The scripted server speaks only the OpenAI API: an Anthropic teacher there is a 404 with advice.
    result = run_koclaw(
        "finetune", "generate", "-o", str(tmp_path / "a"), "-n", "1", "--teacher-api", "anthropic"
    )
    assert result.returncode == 2 and "--teacher-api" in result.stderr and "Traceback" not in result.stderr
    assert not teacher_env.received
    bad = run_koclaw("finetune", "generate", "-o", str(tmp_path / "b"), "-n", "1", "--teacher-api", "gemini")
    assert bad.returncode == 2 and "openai or anthropic" in bad.stderr


def test_the_cli_keeps_the_old_think_share_option(tmp_path: Path, teacher_env: ScriptedTeacher) -> None:
    out = tmp_path / "r"
    result = run_koclaw(
        "finetune", "generate", "-o", str(out), "-n", "4", "--rpm", "6000",
        "--think-share", "0", "--memory-share", "0",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert manifest["think_share"] == 0 and manifest["memory_share"] == 0
    rows = [Conversation.model_validate(r) for r in _rows(out, "shard-*.jsonl")]
    assert len(rows) == 4 and not any("<think>" in m.content for c in rows for m in c.messages)
