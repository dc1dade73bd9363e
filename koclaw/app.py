"""Wiring: settings -> session store, model client, agent, runtime. Shared by every command."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from koclaw.agent import Agent, summaries_for
from koclaw.checkins import CheckIns, CheckinStore
from koclaw.config import Settings
from koclaw.delivery import Deliveries
from koclaw.llm.base import ChatModel
from koclaw.llm.openai_compat import OpenAICompatModel
from koclaw.recovery import Recovery
from koclaw.remember import Rememberer
from koclaw.reminders import Reminders, ReminderStore
from koclaw.retrain.job import Retrainer, settings_zone
from koclaw.retrain.runs import RunStore
from koclaw.runtime import Runtime
from koclaw.scheduler import Scheduler
from koclaw.tools import default_tools
from koclaw.tools.memory import memory_tools
from koclaw.tools.reminders import reminder_tools
from memory.embeddings import make_embedder
from memory.long_term import LongTermMemory
from memory.session import SessionStore
from memory.soul import SoulRegistry

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_S = 10.0  # all of shutdown: running turns first, then every background task


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
    retrainer: Retrainer  # scheduled Soul retraining (koclaw.retrain)


def settle_heap() -> None:
    """For a serving process once it is up: take what start-up built (~200,000 objects: modules,
    Chroma, channels) out of the garbage collector's walks (`gc.freeze`). A full collection otherwise
    walks all of it and, on a busy CPU, stalls every open stream ~100 ms. Start-up's own garbage is
    collected first, not kept. Not in `open_app`: tests open many apps in one process."""
    gc.collect()
    gc.freeze()


@asynccontextmanager
async def open_app(settings: Settings, *, run_jobs: bool = True) -> AsyncIterator[App]:
    """Everything a channel needs; closed in order (scheduler, then runtime, so turns can still write).

    `run_jobs`: this process runs the timed jobs (reminders, check-ins, retrains), answers the
    messages a restart left unanswered (`koclaw.recovery`) and indexes the turns it left queued,
    as `koclaw run` does. Short-lived
    commands (`koclaw chat`, `koclaw memory working`) pass False: they store jobs but never run them,
    so no two processes race for one job and a retrain never runs in a chat.

    Closing fits in one grace period (`SHUTDOWN_GRACE_S` from the runtime's first `shutdown`): each
    background task (jobs, redeliveries, a retrain stage, summaries, episodes) gets what is left of
    it and is then cancelled, so a hung model server cannot hold up a restart. What is cancelled is
    redone later: a reminder stays undelivered and is sent again, a retrain resumes, a summary is
    folded after a later turn; the session tier already holds every turn.
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
    summaries = summaries_for(settings, store, model) if settings.session.summaries else None
    rememberer = Rememberer(settings.memory, store, long_term, model, open_memory, summaries=summaries)
    scheduler = Scheduler(settings.scheduler_db)
    deliveries = Deliveries()
    reminder_store = ReminderStore(settings.reminders_db)
    reminders = Reminders(reminder_store, scheduler, store, deliveries)
    agent = Agent(
        settings,
        store,
        model,
        tools=default_tools(
            *memory_tools(rememberer.run_store, rememberer.forget),
            *reminder_tools(reminders, settings.timezone),
        ),
        recall=rememberer.recall,
        native_tools=settings.llm.native_tools,
    )
    runtime = Runtime(agent, after_turn=rememberer.after_turn)
    if run_jobs:  # indexes what an earlier run left queued; elsewhere the first turn starts it
        if settings.memory.fast_embedding:
            embedder.warm()  # a serving process embeds all day: the faster engine, built in the background
        rememberer.start()
    recovery = Recovery(store, runtime, deliveries)
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
        recovery.start()  # messages a restart left unanswered: answered as their channel comes up
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
        deadline = runtime.shutdown_deadline(SHUTDOWN_GRACE_S)  # set earlier if a channel shut it down
        loop = asyncio.get_running_loop()

        def left() -> float:
            return max(0.0, deadline - loop.time())

        await scheduler.shutdown(left())  # first: no reminder starts while the rest closes
        await _within(reminders.drain(), left(), "reminder redeliveries")
        await _within(retrainer.close(), left(), "the retrain stage")  # resumes at the next start
        await runtime.shutdown(SHUTDOWN_GRACE_S)
        await recovery.close(left())
        if summaries is not None:  # what is cancelled is folded after the conversation's next turn
            await summaries.drain(left())
        with contextlib.suppress(TimeoutError):  # what is left is indexed at the next start
            await asyncio.wait_for(rememberer.flush(), left())
        if queued := rememberer.backlog:
            log.info("%d turns stay queued for long-term memory; they are indexed at the next start", queued)
        await rememberer.close()
        await model.aclose()
        long_term.close()
        soul.close()
        reminder_store.close()
        runs.close()
        checkin_store.close()
        store.close()


async def _within(work: Awaitable[None], timeout: float, what: str) -> None:
    """Wait for `work` at most `timeout` seconds, then cancel it (it cleans up as it is cancelled).
    Work that has nothing to wait for completes even with no time left."""
    try:
        async with asyncio.timeout(timeout):
            await work
    except TimeoutError:
        log.warning("shutdown: %s did not finish within the grace period and was cancelled", what)
