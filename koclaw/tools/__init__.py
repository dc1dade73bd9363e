"""Built-in tools, registered the same way as extra ones (principle 2).

registry = default_tools()
registry.register(MyTool())   # extra tools go into the same registry
"""

from __future__ import annotations

from typing import Any

from koclaw.llm.tools import AnyTool, ToolRegistry
from koclaw.tools.clock import CurrentTime


def builtin_tools() -> list[AnyTool]:
    """Fresh instances of every built-in tool."""
    return [CurrentTime()]


def default_tools(*extra: AnyTool) -> ToolRegistry:
    """A registry with the built-in tools, then `extra` ones."""
    return ToolRegistry([*builtin_tools(), *extra])


def served_tools() -> list[type[AnyTool]]:
    """The tools `koclaw run` registers (`koclaw.app`), in its order; their arguments are listed, without
    the tools' own imports, in :data:`koclaw.tools.args.SERVED` (a test keeps the two equal)."""
    from koclaw.tools.memory import MemoryForget, MemorySave, MemorySearch
    from koclaw.tools.reminders import CancelReminder, ListReminders, SetReminder

    return [CurrentTime, MemorySave, MemorySearch, MemoryForget, SetReminder, ListReminders, CancelReminder]


def served_specs() -> list[dict[str, Any]]:
    """The served tools as the model is taught them.

    Why here: the Soul is trained on the runtime's own prompt (:mod:`finetune.render`), Tools section
    included, and a test keeps this list equal to the served agent's.
    """
    return [tool.spec() for tool in served_tools()]


__all__ = ["builtin_tools", "default_tools", "served_specs", "served_tools"]
