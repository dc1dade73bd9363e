"""The one boundary to a model server (principle 1): `ChatModel.stream` yields typed events."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from koclaw.events import Event


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

    async def model_name(self) -> str:
        """The name requests go to (for vLLM with LoRA, the adapter's name)."""
        return ""

    async def list_models(self) -> list[str]:
        """The models the server offers; raises `ModelError` if it cannot be reached."""
        return []

    async def aclose(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release connections."""
