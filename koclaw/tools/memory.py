"""Kokoron's own hands on the long-term tier: save, search and forget, always within the caller's scope.

The person is never an argument: it comes from the `ToolContext`, so a model (or a prompt
injection) cannot reach anyone else's memories by naming them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from koclaw.errors import KoclawError
from koclaw.llm.tools import Tool, ToolContext, tool_error
from koclaw.tools.args import MemoryForgetArgs, MemorySaveArgs, MemorySearchArgs
from memory.consolidation import MemoryRunner

Forget = Callable[[str, str], Awaitable[list[str]]]  # (person, target) -> the ids deleted


class _MemoryTool:
    """Store calls go through `run` (the runtime's writer thread): embedding must not stall the loop."""

    def __init__(self, run: MemoryRunner) -> None:
        self.run_store = run


class MemorySave(_MemoryTool, Tool[MemorySaveArgs]):
    name = "memory_save"
    description = "Remember a fact about Sensei for the long term (duplicates are merged)."
    Args = MemorySaveArgs

    async def run(self, args: MemorySaveArgs, context: ToolContext) -> str:
        sources = (str(context.message_id),) if context.message_id else ()
        fact = await self.run_store(
            lambda memory: memory.save_fact(
                context.user_id,
                args.fact,
                importance=args.importance,
                category=args.category,
                source_ids=sources,
                language=context.language,
            )
        )
        return json.dumps({"saved": fact.id, "merged": fact.merged, "text": fact.text}, ensure_ascii=False)


class MemorySearch(_MemoryTool, Tool[MemorySearchArgs]):
    name = "memory_search"
    description = "Search what you remember about Sensei (facts and past conversations), any language."
    Args = MemorySearchArgs

    async def run(self, args: MemorySearchArgs, context: ToolContext) -> str:
        hits = await self.run_store(lambda memory: memory.recall(context.user_id, args.query, k=args.k))
        found = [{"id": h.id, "kind": h.kind, "date": h.timestamp[:10], "text": h.text} for h in hits]
        return json.dumps({"memories": found}, ensure_ascii=False)


class MemoryForget(Tool[MemoryForgetArgs]):
    """Through `Forget` (`Rememberer.forget`): the turns that say it must not be indexed after it."""

    name = "memory_forget"
    description = "Forget for real: a memory by id, or every memory containing the given text."
    Args = MemoryForgetArgs

    def __init__(self, forget: Forget) -> None:
        self.forget = forget

    async def run(self, args: MemoryForgetArgs, context: ToolContext) -> str:
        try:
            removed = await self.forget(context.user_id, args.target)
        except KoclawError as exc:
            return tool_error(str(exc))
        return json.dumps({"forgotten": len(removed), "ids": removed})


def memory_tools(
    run: MemoryRunner, forget: Forget
) -> list[Tool[MemorySaveArgs] | Tool[MemorySearchArgs] | Tool[MemoryForgetArgs]]:
    return [MemorySave(run), MemorySearch(run), MemoryForget(forget)]
