"""The walls between the packages, read from the imports (ARCHITECTURE: who may use whom).

- the runtime (`koclaw/` outside `cli/`, `memory/`, `channels/`) imports nothing from `finetune/`
  at load time: it starts without the training stack, and a stage imports what it needs lazily;
- `finetune/` uses only the shared kernel, the tool contract and the pure pieces of memory that
  define the runtime's format, never a runtime service (scheduler, deliveries, Soul activation...);
- `character/` is data and pure functions: it imports no other package of the product;
- no product module is over 700 lines.

`KNOWN` lists the crossings that exist today and are still to be moved (Step 12); each must still
exist, so the list only shrinks, and any new crossing fails.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("koclaw", "memory", "channels", "character", "finetune")
FINETUNE_MAY_USE = (
    "koclaw.errors",
    "koclaw.config",
    "koclaw.events",
    "koclaw.llm.base",
    "koclaw.llm.tools",  # the tool contract: names and argument models
    "koclaw.llm.tool_calls",  # how a reply carries a tool call
    "koclaw.tools",  # the catalogue's root (its tools' modules are services: not these)
    "koclaw.tools.args",  # the tools' argument models, with no service behind them
    "character",
    "memory.working",  # the runtime's prompt format, which training renders exactly
    "memory.tokens",
)
KNOWN = {
    ("finetune/eval_server.py", "memory.soul"),
    ("finetune/evaluate.py", "memory.soul"),
    ("finetune/hf.py", "memory.soul"),
    ("finetune/render.py", "memory"),
    ("finetune/render.py", "memory.session"),
}
LONGEST = 700


def modules(package: str) -> Iterator[Path]:
    yield from sorted((ROOT / package).rglob("*.py"))


def imported(path: Path, *, load_time: bool) -> Iterator[str]:
    """Absolute imports of a module; `load_time`: only those that run when it is imported (module
    level, including under `if`/`try`), not the lazy ones inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))

    def walk(nodes: list[ast.stmt]) -> Iterator[ast.stmt]:
        for node in nodes:
            yield node
            if isinstance(node, ast.If | ast.Try):
                yield from walk([*node.body, *node.orelse])
                for handler in getattr(node, "handlers", []):
                    yield from walk(handler.body)

    nodes = walk(tree.body) if load_time else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def crossings() -> set[tuple[str, str]]:
    found = set()
    for path in modules("finetune"):
        for module in imported(path, load_time=False):
            allowed = under(module, FINETUNE_MAY_USE) and (
                module == "koclaw.tools.args" or not module.startswith("koclaw.tools.")
            )
            if under(module, ("koclaw", "memory", "channels")) and not allowed:
                found.add((rel(path), module))
    for path in modules("character"):
        for module in imported(path, load_time=False):
            if under(module, tuple(p for p in PRODUCT if p != "character")):
                found.add((rel(path), module))
    return found


def test_the_runtime_imports_nothing_from_finetune_at_load_time() -> None:
    wrong = [
        f"{rel(path)}: {module}"
        for package in ("koclaw", "memory", "channels")
        for path in modules(package)
        if "cli" not in path.relative_to(ROOT).parts
        for module in imported(path, load_time=True)
        if under(module, ("finetune",))
    ]
    assert not wrong, wrong


def test_finetune_and_character_cross_no_new_wall() -> None:
    found = crossings()
    assert not found - KNOWN, f"new crossings: {sorted(found - KNOWN)}"
    assert not KNOWN - found, f"gone (take them off KNOWN): {sorted(KNOWN - found)}"


def test_no_product_module_is_over_700_lines() -> None:
    long = {
        rel(path)
        for package in PRODUCT
        for path in modules(package)
        if len(path.read_text(encoding="utf-8").splitlines()) > LONGEST
    }
    assert not long, f"over {LONGEST} lines: {sorted(long)}"
