"""Wiring: settings -> session store, model client, agent, runtime. Shared by every command."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from finetune.retrain import Retrainer, settings_zone
from finetune.retrain_runs import RunStore
from koclaw.agent import Agent
from koclaw.checkins import CheckIns, CheckinStore
from koclaw.config import Settings
from koclaw.delivery import Deliveries
from koclaw.llm.base import ChatModel
from koclaw.llm.openai_compat import OpenAICompatModel
from koclaw.remember import Rememberer
from koclaw.reminders import Reminders, ReminderStore
from koclaw.runtime import Runtime
from koclaw.scheduler import Scheduler
from koclaw.tools import default_tools
from koclaw.tools.memory import memory_tools
from koclaw.tools.reminders import reminder_tools
from memory.embeddings import make_embedder
from memory.long_term import LongTermMemory
from memory.session import SessionStore
from memory.soul import SoulRegistry


@dataclass(slots=True)
class App:
    settings: Settings
    store: SessionStore
    model: ChatModel
    agent: Agent
    runtime: Runtime
    soul: SoulRegistry
    long_term: LongTermMemory
    rememberer: Rememberer
    scheduler: Scheduler  # timed jobs (reminders), persistent in scheduler.db
    deliveries: Deliveries  # channels that can speak first register a sender here
    reminders: Reminders
    checkins: CheckIns  # optional daily check-ins, per person
    retrainer: Retrainer  # scheduled Soul retraining (finetune.retrain)


@asynccontextmanager
async def open_app(settings: Settings, *, run_jobs: bool = True) -> AsyncIterator[App]:
    """Everything a channel needs; closed in order (scheduler, then runtime, so turns can still write).

    `run_jobs`: this process runs the timed jobs (reminders, check-ins, retrains), as `koclaw run`
    does. Short-lived commands (`koclaw chat`, `koclaw memory working`) pass False: they store jobs
    but never run them, so no two processes race for one job and a retrain never runs in a chat.
    """
    store = SessionStore(settings.session_db)
    store.recover_interrupted()
    soul = SoulRegistry(settings.soul_db)
    model = OpenAICompatModel(settings.llm)
    active = soul.active()
    if active:  # the active Soul wins over KOCLAW_LLM__MODEL
        model.use(active)
    embedder = make_embedder(settings.memory.embedder)
    chroma_url = settings.memory.chroma_url or None

    def open_memory() -> LongTermMemory:
        return LongTermMemory(settings.home, embedder, chroma_url=chroma_url)

    long_term = open_memory()
    rememberer = Rememberer(settings.memory, store, long_term, model, open_memory)
    scheduler = Scheduler(settings.scheduler_db)
    deliveries = Deliveries()
    reminder_store = ReminderStore(settings.reminders_db)
    reminders = Reminders(reminder_store, scheduler, store, deliveries)
    agent = Agent(
        settings,
        store,
        model,
        tools=default_tools(
            *memory_tools(rememberer.run_store), *reminder_tools(reminders, settings.timezone)
        ),
        recall=rememberer.recall,
        native_tools=settings.llm.native_tools,
    )
    runtime = Runtime(agent, after_turn=rememberer.after_turn)
    runs = RunStore(settings.retrain_dir / "retrain.db")
    retrainer = Retrainer(
        settings,
        runs,
        soul,
        model=model,
        scheduler=scheduler,
        deliveries=deliveries,
        zone=settings_zone(settings),
    )
    checkin_store = CheckinStore(settings.checkins_db)
    checkins = CheckIns(checkin_store, scheduler, store, deliveries, model, recall=rememberer.recall)
    checkins.schedule()
    scheduler.start(paused=not run_jobs)  # jobs missed while down run now, once (see koclaw.scheduler)
    if run_jobs:
        reminders.recover()
        retrainer.start()  # resumes a run a crash or restart interrupted
    try:
        yield App(
            settings,
            store,
            model,
            agent,
            runtime,
            soul,
            long_term,
            rememberer,
            scheduler=scheduler,
            deliveries=deliveries,
            reminders=reminders,
            checkins=checkins,
            retrainer=retrainer,
        )
    finally:
        await scheduler.shutdown()  # first: no reminder starts while the rest closes
        await reminders.drain()
        await retrainer.close()  # a running stage stops here and resumes at the next start
        await runtime.shutdown()
        await agent.drain()
        await rememberer.close()
        await model.aclose()
        long_term.close()
        soul.close()
        reminder_store.close()
        runs.close()
        checkin_store.close()
        store.close()
