"""The channel boundary (principle 1): a channel feeds the runtime and shows the events it gets back."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod

from koclaw.runtime import Runtime


class Channel(ABC):
    name: str

    @abstractmethod
    async def run(self, runtime: Runtime, stop: asyncio.Event) -> int:
        """Serve until the channel ends or `stop` is set; returns a process exit code."""
