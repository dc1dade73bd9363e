"""Wiring: settings -> session store, model client, agent, runtime. Shared by every command."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from koclaw.agent import Agent
from koclaw.config import Settings
from koclaw.llm.base import ChatModel
from koclaw.llm.openai_compat import OpenAICompatModel
from koclaw.runtime import Runtime
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


@asynccontextmanager
async def open_app(settings: Settings) -> AsyncIterator[App]:
    """Everything a channel needs; closed in order (runtime first, so turns can still write)."""
    store = SessionStore(settings.session_db)
    store.recover_interrupted()
    soul = SoulRegistry(settings.soul_db)
    model = OpenAICompatModel(settings.llm)
    active = soul.active()
    if active:  # the active Soul wins over KOCLAW_LLM__MODEL
        model.use(active)
    agent = Agent(settings, store, model)
    runtime = Runtime(agent)
    try:
        yield App(settings, store, model, agent, runtime, soul)
    finally:
        await runtime.shutdown()
        await model.aclose()
        soul.close()
        store.close()
