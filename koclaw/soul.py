"""Activating a Soul: load the adapter into the model server, check it is served, then record it.

One path for the CLI, Telegram's /soul and (later) the retrain job. Nothing is recorded unless the
server took the adapter, so the registry never claims a Soul the server does not have.
"""

from __future__ import annotations

from koclaw.errors import InputError, ModelRejected
from koclaw.llm.base import ChatModel
from memory.soul import Adapter, SoulRegistry


async def activate(registry: SoulRegistry, model: ChatModel, name: str, by: str) -> Adapter:
    adapter = registry.get(name)
    await model.load_adapter(adapter.name, adapter.path)
    served = await model.list_models()
    if adapter.name not in served:
        raise ModelRejected(
            f"The model server accepted {adapter.name!r} but does not list it (it serves {served}). "
            "Check the server's log."
        )
    registry.record_activation(adapter.name, by)
    model.use(adapter.name)
    return adapter


async def rollback(registry: SoulRegistry, model: ChatModel, by: str) -> Adapter:
    """Re-activate the adapter that was active before the current one."""
    previous = registry.previous()
    if previous is None:
        raise InputError("Nothing to roll back to: no other adapter has been active before.")
    return await activate(registry, model, previous, by)


def describe(registry: SoulRegistry, served: list[str] | None) -> str:
    """The adapters, which one is active, and whether the server has each (`served` None: unknown)."""
    active = registry.active()
    adapters = registry.adapters()
    if not adapters:
        return "No Soul adapters are registered yet. Register one with: koclaw soul register NAME PATH"
    lines = []
    for adapter in adapters:
        mark = "*" if adapter.name == active else " "
        where = "" if served is None else (" (served)" if adapter.name in served else " (not loaded)")
        base = f" on {adapter.base_model}" if adapter.base_model else ""
        lines.append(f"{mark} {adapter.name}{base}{where}, registered {adapter.registered_at[:16]}")
    lines.append(f"active: {active or 'none (the configured model)'}")
    return "\n".join(lines)
