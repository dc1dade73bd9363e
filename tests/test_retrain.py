"""Scheduling Soul retrains without training anything: when, one at a time (across processes), consent,
setup refusals, cancel, the CLI, and a run that fires after a restart and fails cleanly.

The runs here fail at `generate` (the teacher URL is dead) or never start, so no torch is needed; the
training path is in tests/finetune/test_retrain_e2e.py. Time is simulated: the retrainer's clock is
set and stored jobs are moved to now with `Scheduler.reschedule`.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from koclaw.app import App, open_app
from koclaw.cli import app as koclaw_app
from koclaw.config import RetrainSettings, load_settings
from koclaw.errors import InputError
from koclaw.retrain.job import MAX_ATTEMPTS, Retrainer, parse_schedule
from koclaw.retrain.runs import Busy, RunStore
from koclaw.retrain.stages import Workspace, collect, gpu_problem, setup_problems
from memory.session import SessionStore
from memory.soul import SoulRegistry
from tests.test_reminders import until

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2030, 7, 1, 21, 30, tzinfo=TOKYO)  # a Monday


def retrain_env(dead_teacher: str, **more: Any) -> dict[str, Any]:
    return {"teacher_url": dead_teacher, "teacher_model": "teacher", "base_model": "tiny", **more}


def refused(result: Any, text: str) -> bool:
    """The command stopped with an InputError (`koclaw` prints it as one line and exits 2)."""
    return isinstance(result.exception, InputError) and text in str(result.exception)


# -- when ----------------------------------------------------------------------------------------------
def test_when_now_a_clock_time_a_day_or_cron() -> None:
    assert parse_schedule("now", NOW, TOKYO) == (NOW, None)
    assert parse_schedule("03:00", NOW, TOKYO)[0] == datetime(2030, 7, 2, 3, 0, tzinfo=TOKYO)
    assert parse_schedule("tomorrow 2am", NOW, TOKYO)[0] == datetime(2030, 7, 2, 2, 0, tzinfo=TOKYO)
    first, cron = parse_schedule("0 3 * * 0", NOW, TOKYO)  # Sundays 03:00
    assert cron == "0 3 * * 0" and first == datetime(2030, 7, 7, 3, 0, tzinfo=TOKYO)
    with pytest.raises(InputError, match="cron expression"):
        parse_schedule("61 3 * * *", NOW, TOKYO)
    with pytest.raises(InputError, match=r"now.*cron"):
        parse_schedule("whenever you like", NOW, TOKYO)


# -- one at a time -------------------------------------------------------------------------------------
def _create(path: str, who: str, start: Any) -> str:
    start.wait()
    store = RunStore(Path(path))
    try:
        return f"run {store.create(datetime.now(UTC), who, now=datetime.now(UTC)).id}"
    except Busy as exc:
        return f"busy {exc.run.id}"
    finally:
        store.close()


def test_only_one_retrain_is_open_even_across_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "retrain.db")
    RunStore(Path(path)).close()  # the schema exists before the race
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        start = manager.Event()
        with ctx.Pool(4) as pool:
            results = [pool.apply_async(_create, (path, f"admin{i}", start)) for i in range(4)]
            start.set()
            outcomes = sorted(r.get(timeout=60) for r in results)
    winners = [o for o in outcomes if o.startswith("run")]
    assert len(winners) == 1, outcomes
    assert outcomes.count(f"busy {winners[0].split()[1]}") == 3

    store = RunStore(Path(path))
    open_run = store.open_run()
    assert open_run is not None
    assert store.cancel_scheduled(open_run.id, now=datetime.now(UTC))
    assert store.create(datetime.now(UTC), "later", now=datetime.now(UTC)).id == open_run.id + 1
    store.close()


# -- refusals --------------------------------------------------------------------------------------------
def test_no_teacher_is_refused_with_what_to_set() -> None:
    problems = setup_problems(RetrainSettings(base_model="tiny"))
    assert len(problems) == 1 and "KOCLAW_RETRAIN__TEACHER_URL" in problems[0]


@pytest.mark.skipif(gpu_problem() is None, reason="this machine has a GPU")
def test_no_gpu_is_refused_for_a_real_base(dead_teacher: str) -> None:
    problems = setup_problems(RetrainSettings(teacher_url=dead_teacher, teacher_model="t"))
    assert len(problems) == 1 and problems[0].startswith("No GPU to train on")
    assert "KOCLAW_RETRAIN__BASE_MODEL=tiny" in problems[0]
    result = CliRunner().invoke(koclaw_app, ["soul", "retrain", "--at", "03:00"])
    assert refused(result, "TEACHER_URL")


# -- consent -----------------------------------------------------------------------------------------------
def test_only_opted_in_people_are_collected(koclaw_home: Path, dead_teacher: str) -> None:
    settings = load_settings(retrain=retrain_env(dead_teacher))
    store = SessionStore(settings.session_db)
    for user, texts in (
        ("telegram:1001", ["明天帮我订会议室", "谢谢你", "Also remind me"]),
        ("telegram:1002", ["bob's secret"]),
    ):
        conv = store.conversation("telegram", user.removeprefix("telegram:"), user)
        for text in texts:
            store.add_message(conv.id, "user", text)
            store.add_message(conv.id, "assistant", "好的老师")
    store.close()
    runner = CliRunner()
    shown = runner.invoke(koclaw_app, ["memory", "training-consent", "--user", "telegram:1001"])
    assert shown.stdout.strip() == "telegram:1001: training use not allowed."  # off by default
    on = runner.invoke(koclaw_app, ["memory", "training-consent", "on", "--user", "telegram:1001"])
    assert on.exit_code == 0
    refused = runner.invoke(koclaw_app, ["memory", "training-consent", "maybe", "--user", "telegram:1002"])
    assert refused.exit_code == 2

    from koclaw.retrain.runs import Run

    run = Run(1, "running", "collect", "", "t", "")
    folder = settings.retrain_dir / "run-1"
    folder.mkdir(parents=True)
    summary = collect(Workspace(settings, run, folder))
    excerpts = [json.loads(line) for line in (folder / "excerpts.jsonl").read_text().splitlines()]
    assert summary["opted_in_users"] == 1 and summary["excerpts"] == 1
    assert excerpts == [{"language": "mixed", "sensei": ["明天帮我订会议室", "谢谢你", "Also remind me"]}]
    assert "bob" not in (folder / "excerpts.jsonl").read_text()

    assert (
        runner.invoke(koclaw_app, ["memory", "training-consent", "off", "--user", "telegram:1001"]).exit_code
        == 0
    )
    collect(Workspace(settings, run, folder))
    assert (folder / "excerpts.jsonl").read_text() == ""


# -- the CLI -------------------------------------------------------------------------------------------------
def test_schedule_status_cancel_and_history_from_the_cli(
    monkeypatch: pytest.MonkeyPatch, dead_teacher: str
) -> None:
    monkeypatch.setenv("KOCLAW_RETRAIN__TEACHER_URL", dead_teacher)
    monkeypatch.setenv("KOCLAW_RETRAIN__TEACHER_MODEL", "teacher")
    monkeypatch.setenv("KOCLAW_RETRAIN__BASE_MODEL", "tiny")
    monkeypatch.setenv("KOCLAW_TIMEZONE", "Asia/Tokyo")
    runner = CliRunner()
    scheduled = runner.invoke(koclaw_app, ["soul", "retrain", "--cron", "0 3 * * 0"])
    assert scheduled.exit_code == 0, scheduled.output
    assert scheduled.stdout.startswith("Retrain #1 scheduled for ") and "'0 3 * * 0'" in scheduled.stdout
    again = runner.invoke(koclaw_app, ["soul", "retrain", "--at", "now"])
    assert refused(again, "Retrain #1 is already scheduled")
    status = runner.invoke(koclaw_app, ["soul", "retrain-status", "--json"])
    current = json.loads(status.stdout)["current"]
    assert current["status"] == "scheduled" and current["cron"] == "0 3 * * 0"
    assert (
        datetime.fromisoformat(current["scheduled_for"]).astimezone(TOKYO).strftime("%a %H:%M") == "Sun 03:00"
    )
    cancelled = runner.invoke(koclaw_app, ["soul", "retrain-cancel", "--by", "ops"])
    assert cancelled.stdout.strip() == "Retrain #1 is cancelled."
    nothing = runner.invoke(koclaw_app, ["soul", "retrain-cancel"])
    assert refused(nothing, "nothing to cancel")
    history = runner.invoke(koclaw_app, ["soul", "retrain-history"])
    assert history.stdout.startswith("#1 cancelled ")
    both = runner.invoke(koclaw_app, ["soul", "retrain", "--at", "03:00", "--cron", "0 3 * * *"])
    assert refused(both, "not both")


# -- firing after a restart -----------------------------------------------------------------------
def test_a_retrain_scheduled_before_a_restart_fires_after_it_and_fails_cleanly(
    dead_teacher: str,
) -> None:
    settings = load_settings(retrain=retrain_env(dead_teacher), timezone="Asia/Tokyo")

    async def schedule(app: App) -> tuple[int, datetime]:
        run = app.retrainer.schedule("0 3 * * *", "telegram:1")
        assert f"retrain:{run.id}" in app.scheduler.job_ids() and "retrain:poll" in app.scheduler.job_ids()
        return run.id, run.due

    async def fire(app: App) -> dict[str, Any]:
        assert app.scheduler.next_run(f"retrain:{run_id}") == due  # the job survived the restart
        app.retrainer.clock = lambda: due + timedelta(seconds=5)
        assert app.scheduler.reschedule(f"retrain:{run_id}", datetime.now(UTC))
        store = app.retrainer.store
        await until(lambda: store.get(run_id).status == "failed", "the run to fail", timeout=30)
        nxt = store.open_run()
        return {"run": store.get(run_id), "next": nxt, "active": app.soul.active()}

    async def with_app(body: Any) -> Any:
        async with open_app(settings) as app:
            return await body(app)

    run_id, due = asyncio.run(with_app(schedule))
    result = asyncio.run(with_app(fire))
    run, nxt = result["run"], result["next"]
    assert run.stage == "generate" and list(run.stages) == ["collect"]
    assert run.error.startswith("generate: Cannot reach the teacher at " + dead_teacher)
    assert "Retrain #1 failed in generate" in run.report and "KOCLAW_RETRAIN__TEACHER_URL" in run.report
    assert run.report_sent == 0  # no Telegram running: it waits for the channel
    assert result["active"] is None  # nothing promoted
    assert nxt is not None and nxt.status == "scheduled" and nxt.cron == "0 3 * * *"  # the series goes on
    assert nxt.due == due + timedelta(days=1)


def test_a_run_interrupted_too_often_fails_instead_of_looping(koclaw_home: Path, dead_teacher: str) -> None:
    settings = load_settings(retrain=retrain_env(dead_teacher))
    store = RunStore(settings.retrain_dir / "retrain.db")
    registry = SoulRegistry(settings.soul_db)
    run = store.create(datetime.now(UTC), "ops", now=datetime.now(UTC))
    assert store.claim(run.id, "gone-1", now=datetime.now(UTC))
    store.update(run.id, attempts=MAX_ATTEMPTS)  # started, then interrupted in the same stage each time

    async def restart() -> int:
        retrainer = Retrainer(settings, store, registry)
        started = retrainer.kick()
        return (await retrainer.wait(started[0])).id

    assert asyncio.run(restart()) == run.id
    failed = store.get(run.id)
    assert (
        failed.status == "failed"
        and failed.error == f"interrupted {MAX_ATTEMPTS} times in collect; giving up"
    )
    assert failed.open is None
    store.close()
    registry.close()


def test_only_a_process_that_runs_jobs_starts_a_due_retrain(dead_teacher: str) -> None:
    settings = load_settings(retrain=retrain_env(dead_teacher))
    store = RunStore(settings.retrain_dir / "retrain.db")
    run = store.create(datetime.now(UTC), "cli:ops", now=datetime.now(UTC))  # due, as the CLI leaves it
    store.close()

    async def chat_like() -> str:
        async with open_app(settings, run_jobs=False) as app:  # `koclaw chat`: stores jobs, runs none
            await asyncio.sleep(0)
            return app.retrainer.store.get(run.id).status

    async def server_like() -> str:
        async with open_app(settings) as app:  # `koclaw run`
            store = app.retrainer.store
            await until(lambda: store.get(run.id).status == "failed", "the run to end", timeout=30)
            return store.get(run.id).status

    assert asyncio.run(chat_like()) == "scheduled"
    assert asyncio.run(server_like()) == "failed"  # started (and failed at the dead teacher)
