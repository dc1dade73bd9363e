"""The one boundary to a model server (principle 1): `ChatModel.stream` yields typed events."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from koclaw.errors import ModelRejected
from koclaw.events import ErrorEvent, Event, TextDelta


@dataclass(slots=True)
class ChatRequest:
    messages: list[dict[str, Any]]
    thinking: bool
    max_tokens: int | None = None
    temperature: float | None = None
    tools: list[dict[str, Any]] = field(default_factory=list)
    model: str | None = None  # None: the configured model (or the first one the server lists)


class ChatModel(ABC):
    """A chat model behind any transport.

    `stream` never raises for model trouble: it ends with `Done` or `ErrorEvent`, and the
    text it yields is already split into visible text, reasoning and tool calls.
    """

    @abstractmethod
    def stream(self, request: ChatRequest) -> AsyncIterator[Event]:
        """Stream one completion."""

    async def complete(self, request: ChatRequest) -> tuple[str, str | None]:
        """The whole visible reply, or ``("", error message)``: for background calls that need no stream
        (summaries, consolidation, the Soul probe)."""
        parts: list[str] = []
        async for event in self.stream(request):
            if isinstance(event, TextDelta):
                parts.append(event.text)
            elif isinstance(event, ErrorEvent):
                return "", event.message
        return "".join(parts), None

    async def model_name(self) -> str:
        """The name requests go to (for vLLM with LoRA, the adapter's name)."""
        return ""

    async def list_models(self) -> list[str]:
        """The models the server offers; raises `ModelError` if it cannot be reached."""
        return []

    async def load_adapter(self, name: str, path: str) -> None:
        """Make the server serve the LoRA adapter at `path` under `name` (the Soul hot-load)."""
        raise ModelRejected("This model backend cannot load LoRA adapters at run time.")

    def use(self, name: str) -> None:
        """Send requests to `name` from now on (the active Soul adapter)."""
        raise ModelRejected("This model backend cannot switch models.")

    async def aclose(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release connections."""
