"""Activating a Soul: load the adapter into the model server, prove it changes the model, then switch.

One path for the CLI, Telegram's /soul and the retrain job. The steps, in order:

1. the adapter folder is still there and whole (a clear error otherwise);
2. the server loads it (`POST /v1/load_lora_adapter`) and lists it;
3. a greedy probe: the adapter must answer differently from the base model. An adapter whose keys do
   not match the server's module names loads with no error and changes nothing (the vLLM trap for
   PEFT adapters trained on Qwen3.5's text-only class); this step refuses it;
4. only then is it recorded and the runtime's model name switched, in one step.

Until step 4 the old Soul keeps serving, so a failed activation changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from koclaw.errors import InputError, ModelRejected
from koclaw.llm.base import ChatModel, ChatRequest
from memory.soul import Adapter, SoulRegistry, check_adapter_files

PROBE = [
    {
        "role": "user",
        "content": "老师问：明天上午有什么安排？ / 先生、明日の予定は？ / Sensei asks: what's on tomorrow?",
    }
]
PROBE_TOKENS = 32


async def activate(
    registry: SoulRegistry, model: ChatModel, name: str, by: str, *, verify: bool = True
) -> Adapter:
    adapter = registry.get(name)
    check_adapter_files(Path(adapter.path))
    await model.load_adapter(adapter.name, adapter.path)
    served = await model.list_models()
    if adapter.name not in served:
        raise ModelRejected(
            f"The model server accepted {adapter.name!r} but does not list it (it serves {served}). "
            "Check the server's log."
        )
    if verify:
        await check_changes_output(registry, model, adapter.name, served)
    registry.record_activation(adapter.name, by)
    model.use(adapter.name)
    return adapter


async def check_changes_output(
    registry: SoulRegistry, model: ChatModel, name: str, served: list[str]
) -> None:
    adapters = {a.name for a in registry.adapters()}
    base = next((m for m in served if m not in adapters and m != name), None)
    if base is None:
        return  # nothing to compare against: the server serves only adapters
    before, after = await greedy(model, base), await greedy(model, name)
    if before == after:
        raise ModelRejected(
            f"{name!r} answers the probe exactly like the base model {base!r}: the adapter changes nothing. "
            "Its keys probably do not match the server's module names; check and convert it with "
            "`koclaw finetune check-adapter DIR --convert OUT`, then register the converted folder."
        )


async def greedy(model: ChatModel, name: str) -> str:
    """The probe's greedy reply from `name` (thinking off, so the reply itself is compared)."""
    request = ChatRequest(
        messages=PROBE, thinking=False, max_tokens=PROBE_TOKENS, temperature=0.0, model=name
    )
    text, error = await model.complete(request)
    if error is not None:
        raise ModelRejected(f"The probe request to {name!r} failed: {error}")
    return text


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
