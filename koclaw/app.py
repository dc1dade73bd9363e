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


@dataclass(slots=True)
class App:
    settings: Settings
    store: SessionStore
    model: ChatModel
    agent: Agent
    runtime: Runtime


@asynccontextmanager
async def open_app(settings: Settings) -> AsyncIterator[App]:
    """Everything a channel needs; closed in order (runtime first, so turns can still write)."""
    store = SessionStore(settings.session_db)
    store.recover_interrupted()
    model = OpenAICompatModel(settings.llm)
    agent = Agent(settings, store, model)
    runtime = Runtime(agent)
    try:
        yield App(settings, store, model, agent, runtime)
    finally:
        await runtime.shutdown()
        await model.aclose()
        store.close()
