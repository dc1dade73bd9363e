"""Built-in tools, registered the same way as extra ones (principle 2).

registry = default_tools()
registry.register(MyTool())   # extra tools go into the same registry
"""

from __future__ import annotations

from koclaw.llm.tools import AnyTool, ToolRegistry
from koclaw.tools.clock import CurrentTime


def builtin_tools() -> list[AnyTool]:
    """Fresh instances of every built-in tool."""
    return [CurrentTime()]


def default_tools(*extra: AnyTool) -> ToolRegistry:
    """A registry with the built-in tools, then `extra` ones."""
    return ToolRegistry([*builtin_tools(), *extra])


__all__ = ["builtin_tools", "default_tools"]
