"""Retraining for real on the tiny Kokoron with the scripted teacher: a crash in every stage, a gate
that rejects, a cancel during training, and `/retrain now` on Telegram through to the new adapter
answering.

A crash is a `Crash` (BaseException) raised from the retrainer's stage hook: like a killed process,
nothing records it, and the "restarted" retrainer (new stores, new token) must resume the run.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch", reason="training extra not installed")
pytest.importorskip("trl", reason="training extra not installed")

from channels.telegram import TelegramChannel
from channels.telegram_stream import Pacing
from finetune.tiny import ensure_tiny
from koclaw.app import open_app
from koclaw.config import Settings, load_settings
from koclaw.delivery import Deliveries
from koclaw.llm.openai_compat import OpenAICompatModel
from koclaw.retrain.job import Retrainer
from koclaw.retrain.runs import STAGES, Run, RunStore
from memory.soul import SoulRegistry
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.openai_server import FakeOpenAIServer
from tests.fakes.teacher import ScriptedTeacher
from tests.test_reminders import Outbox

pytestmark = pytest.mark.training_e2e  # CPU minutes: everyday runs leave it out

ADMIN, ALICE = 7001, 7002
TOKEN = "515151:AAH-fake-token-for-retrain-tests_0123456789"
# These tests are about the pipeline (stages, crashes, promotion, Telegram), so the gate is one any sound
# adapter passes: 20 LoRA steps on the built-in model move its figures by chance of a few replies. The
# gate's judgement itself is tested in test_evaluate*.py, and a rejecting gate below.
GATE = "must_beat_base: []\nlimits: {think_well_formed: 0.5}\nmin_samples: 1\nmax_drop_vs_active: 1.0\n"


class Crash(BaseException):
    """The process dies here."""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_tiny(tmp_path_factory.mktemp("tiny") / "tiny-kokoron")


@pytest.fixture
def teacher() -> Iterator[ScriptedTeacher]:
    with ScriptedTeacher() as server:
        yield server


def prepare(
    home: Path,
    tiny: Path,
    teacher: ScriptedTeacher,
    llm_url: str,
    telegram: dict[str, Any] | None = None,
    **retrain: Any,
) -> Settings:
    shutil.copytree(tiny, home / "models" / "tiny-kokoron")
    (home / "gate.yaml").write_text(GATE, encoding="utf-8")
    return load_settings(
        llm={"base_url": llm_url, "model": "tiny", "thinking": False, "connect_timeout_s": 5},
        telegram={"admin_users": [ADMIN], **(telegram or {})},
        retrain={
            "teacher_url": teacher.url, "teacher_model": "teacher", "base_model": "tiny", "count": 4,
            "rpm": 6000, "concurrency": 4, "train_sets": ["max_steps=6", "save_steps=3"], "eval_limit": 2,
            "eval_max_new_tokens": 8, "eval_thinking": False, "eval_args": ["--no-persona", "--no-tools"],
            "gate": str(home / "gate.yaml"), **retrain,
        },
    )  # fmt: skip


async def one_life(settings: Settings, outbox: Outbox, *, crash: tuple[str, str] | None = None) -> Run:
    """Start a retrainer (as Koclaw does at start-up), let it work until it ends or crashes."""
    store = RunStore(settings.retrain_dir / "retrain.db")
    registry = SoulRegistry(settings.soul_db)
    model = OpenAICompatModel(settings.llm)
    deliveries = Deliveries()
    deliveries.register("telegram", outbox)

    def hook(run: Run, stage: str, phase: str) -> None:
        if (stage, phase) == crash:
            raise Crash(f"{stage} {phase}")

    retrainer = Retrainer(settings, store, registry, model=model, deliveries=deliveries, on_stage=hook)
    try:
        if store.open_run() is None:
            retrainer.schedule("now", "cli:ops")
        started = retrainer.kick()
        assert len(started) == 1
        return await retrainer.wait(started[0])
    finally:
        await model.aclose()
        registry.close()
        store.close()


def where_it_stands(home: Path) -> str:
    """The open run and the tails of its subprocess logs (printed when a wait times out)."""
    store = RunStore(home / "retrain" / "retrain.db")
    try:
        runs = [r.as_dict() for r in store.history(3)]
    finally:
        store.close()
    logs = [
        f"--- {p}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(home.glob("retrain/run-*/*.log"))
    ]
    return "\n".join([str(runs), *logs])


def soul_state(settings: Settings) -> tuple[list[str], str | None, int]:
    registry = SoulRegistry(settings.soul_db)
    try:
        return [a.name for a in registry.adapters()], registry.active(), len(registry.history())
    finally:
        registry.close()


def test_a_crash_in_every_stage_resumes_there_and_promotes_once_then_a_failing_gate_changes_nothing(
    koclaw_home: Path, tiny: Path, teacher: ScriptedTeacher
) -> None:
    with FakeOpenAIServer() as model_server:
        model_server.models = ["tiny"]
        settings = prepare(koclaw_home, tiny, teacher, model_server.url)
        outbox = Outbox()
        crashes = [(stage, "end") for stage in STAGES[:-1]]
        crashes.insert(STAGES.index("train"), ("train", "start"))
        for stage, phase in crashes:
            run = asyncio.run(one_life(settings, outbox, crash=(stage, phase)))
            assert (run.status, run.stage) == ("running", stage), (stage, phase)
            adapters, active, _ = soul_state(settings)
            registered = STAGES.index(stage) > STAGES.index("promote") or (stage, phase) == ("promote", "end")
            assert adapters == (["kokoron-r1"] if registered else []), (stage, phase)
            assert active == ("kokoron-r1" if (stage, phase) == ("activate", "end") else None)
            assert outbox.sent == []
        run = asyncio.run(one_life(settings, outbox))

    assert run.status == "succeeded", run.error
    assert soul_state(settings) == (["kokoron-r1"], "kokoron-r1", 1)  # registered and activated once
    assert list(run.stages) == list(STAGES[:-1])
    assert run.stages["train"]["summary"]["steps"] == 6
    assert sorted(teacher.attempts.values()) == [1] * len(teacher.attempts)  # no conversation made twice
    merged = run.stages["merge"]["summary"]
    dataset = koclaw_home / "retrain" / "dataset.jsonl"
    assert len(dataset.read_text(encoding="utf-8").splitlines()) == merged["kept"] > merged["existing"]
    assert [chat for chat, _ in outbox.sent] == [str(ADMIN)]  # one report, to the admin
    report = outbox.sent[0][1]
    assert report.startswith("Retrain #1 succeeded: kokoron-r1 is the active Soul now.")
    assert "held-out perplexity" in report and "Gate: passed" in report

    # A second retrain with a gate it cannot pass: evaluated against the active Soul, then rejected.
    # min_samples 1: `eval_limit: 2` judges a few replies only; the floor still needs its Wilson interval.
    gate = "limits: {addressing: 0.99}\nmin_samples: 1\n"
    (koclaw_home / "gate.yaml").write_text(gate, encoding="utf-8")
    with FakeOpenAIServer() as model_server:
        model_server.models = ["tiny"]
        settings = settings.model_copy(
            update={"llm": settings.llm.model_copy(update={"base_url": model_server.url})}
        )
        second = asyncio.run(one_life(settings, outbox))
    assert second.status == "rejected" and second.stage == "report"
    assert "active" in second.stages["evaluate"]["summary"]["models"]
    assert soul_state(settings) == (["kokoron-r1"], "kokoron-r1", 1)
    assert outbox.sent[-1][1].startswith("Retrain #2 finished, but the gate rejected the new adapter")
    assert re.search(r"addressing \(all\): [0-9.]+ is below the floor 0\.99", outbox.sent[-1][1])
    assert len(dataset.read_text(encoding="utf-8").splitlines()) == merged["kept"]  # not grown by a reject


def test_cancel_during_training_stops_the_trainer(
    koclaw_home: Path, tiny: Path, teacher: ScriptedTeacher
) -> None:
    with FakeOpenAIServer() as model_server:
        settings = prepare(koclaw_home, tiny, teacher, model_server.url, train_sets=["epochs=50"])

        async def go() -> Run:
            store = RunStore(settings.retrain_dir / "retrain.db")
            registry = SoulRegistry(settings.soul_db)

            def hook(run: Run, stage: str, phase: str) -> None:
                if (stage, phase) == ("train", "start"):
                    assert retrainer.cancel("telegram:7001").cancel_requested

            retrainer = Retrainer(settings, store, registry, on_stage=hook)
            run = retrainer.schedule("now", "telegram:7001")
            retrainer.kick()
            try:
                return await asyncio.wait_for(retrainer.wait(run.id), 120)
            finally:
                registry.close()
                store.close()

        run = asyncio.run(go())
    assert run.status == "cancelled" and run.stage == "train" and run.error == "cancelled by an admin"
    assert not (koclaw_home / "retrain" / "run-1" / "train" / "adapter").exists()
    assert "Retrain #1 was cancelled; nothing was promoted." in (run.report or "")


def test_retrain_now_on_telegram_ends_with_the_new_adapter_answering(
    koclaw_home: Path, tiny: Path, teacher: ScriptedTeacher
) -> None:
    from finetune.serve import create_app, running
    from finetune.serve_engine import Engine

    engine = Engine.open(str(tiny), served_name="tiny")
    with running(create_app(engine)) as url, FakeBotAPI(TOKEN) as api:
        telegram = {"token": TOKEN, "base_url": api.base_url, "allowed_users": [ADMIN, ALICE]}
        settings = prepare(
            koclaw_home,
            tiny,
            teacher,
            url,
            telegram,
            # a strong rate: 20 steps must change the greedy replies of the trained built-in model, so
            # activation's probe sees the new Soul (the default rate is gentle; see finetune.train)
            train_sets=["max_steps=20", "save_steps=10", "learning_rate=1e-2"],
        )

        async def main() -> dict[str, Any]:
            async with open_app(settings) as app:
                channel = TelegramChannel.for_app(
                    settings, app, pacing=Pacing(draft_s=0.02, edit_s=0.05, typing_s=0.2), poll_timeout_s=1
                )
                stop = asyncio.Event()
                task = asyncio.create_task(channel.run(app.runtime, stop))
                try:
                    await api.wait_for(lambda: api.polling, what="polling to start")
                    api.push_message(ADMIN, ADMIN, "/retrain now")
                    try:
                        await api.wait_for(
                            lambda: any(
                                t.startswith("Retrain #1 ") and "\n" in t for t in api.plain_texts(ADMIN)
                            ),
                            what="the retrain report",
                            timeout=900,  # ~35 s on an idle 2-core machine; generous for a loaded one
                        )
                    except AssertionError:
                        print(where_it_stands(koclaw_home))
                        raise
                    api.push_message(ALICE, ALICE, "hello")

                    def answered() -> bool:
                        # The finished row, not the first streamed message: stopping mid-stream
                        # would cancel the turn before the model names itself.
                        rows = app.store.db.conn.execute(
                            "SELECT 1 FROM messages WHERE role = 'assistant' AND status != 'streaming'"
                        ).fetchall()
                        return bool(rows)

                    await api.wait_for(answered, what="a finished reply", timeout=300)
                    await api.wait_for(api.all_delivered, what="every update fetched")
                finally:
                    stop.set()
                    await asyncio.wait_for(task, 60)
                conv = app.store.conversation("telegram", str(ALICE), f"telegram:{ALICE}")
                replies = [m for m in app.store.messages(conv.id) if m.role == "assistant"]
                return {"active": app.soul.active(), "replies": replies}

        result = asyncio.run(main())

    texts = api.plain_texts(ADMIN)
    assert texts[0].startswith("Retrain #1 is starting now.")
    report = texts[-1]
    assert report.startswith("Retrain #1 succeeded: kokoron-r1 is the active Soul now."), report
    assert "Evaluation:" in report and "Gate: passed" in report and "Stages: collect" in report
    assert result["active"] == "kokoron-r1"
    replies = result["replies"]
    assert [m.model for m in replies] == ["kokoron-r1"], [(m.status, m.error) for m in replies]
    assert "kokoron-r1" in engine.adapters  # hot-loaded into the running server
