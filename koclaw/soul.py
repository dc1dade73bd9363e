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

from dataclasses import dataclass
from pathlib import Path

from koclaw.errors import InputError, ModelError, ModelRejected, ModelUnreachable
from koclaw.llm.base import ChatModel, ChatRequest
from memory.soul import Adapter, SoulRegistry, check_adapter_files

PROBE = [
    {
        "role": "user",
        "content": "老师问：明天上午有什么安排？ / 先生、明日の予定は？ / Sensei asks: what's on tomorrow?",
    }
]
PROBES = [
    PROBE,
    [{"role": "user", "content": "你好！今天工作有点累。"}],
    [{"role": "user", "content": "こんにちは。週末は何をしましょうか？"}],
    [{"role": "user", "content": "Hi! Who are you, and what can you do?"}],
]
"""Asked in turn until one answer differs: a weak but working adapter may leave one greedy reply as it
was, while an adapter whose keys miss the model's modules leaves every one exactly as it was."""
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
    for probe in PROBES:
        if await greedy(model, base, probe) != await greedy(model, name, probe):
            return
    raise ModelRejected(
        f"{name!r} answers every probe exactly like the base model {base!r}: the adapter changes nothing. "
        "Its keys probably do not match the server's module names; check and convert it with "
        "`koclaw finetune check-adapter DIR --convert OUT`, then register the converted folder."
    )


async def greedy(model: ChatModel, name: str, probe: list[dict[str, str]] = PROBE) -> str:
    """The probe's greedy reply from `name` (thinking off, so the reply itself is compared)."""
    request = ChatRequest(
        messages=probe, thinking=False, max_tokens=PROBE_TOKENS, temperature=0.0, model=name
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


@dataclass(frozen=True, slots=True)
class TierStatus:
    """What the Soul tier is doing right now: for `koclaw memory soul` and the check at `koclaw run`."""

    active: str | None  # the active adapter, from the registry
    registered: int
    base_url: str
    configured: str  # KOCLAW_LLM__MODEL; "" means the first model the server lists
    served: list[str] | None  # None: the server did not answer
    problem: str = ""  # why it did not, in one line

    @property
    def chat_model(self) -> str | None:
        """Where chat requests go: the active adapter wins over KOCLAW_LLM__MODEL, then the first listed."""
        return self.active or self.configured or (self.served[0] if self.served else None)

    @property
    def chat_source(self) -> str:
        if self.active:
            return "the active adapter"
        return "KOCLAW_LLM__MODEL" if self.configured else "the first model the server lists"

    def as_dict(self) -> dict[str, object]:
        served = self.served
        return {
            "active": self.active,
            "registered": self.registered,
            "base_url": self.base_url,
            "reachable": served is not None,
            "served": served,
            "active_served": None if served is None or not self.active else self.active in served,
            "chat_model": self.chat_model,
            "chat_source": self.chat_source,
            "problem": self.problem or None,
        }


async def tier_status(registry: SoulRegistry, model: ChatModel, base_url: str, configured: str) -> TierStatus:
    """Ask the server what it serves; a server that does not answer is a status, not an error."""
    try:
        served: list[str] | None = await model.list_models()
        problem = ""
    except ModelUnreachable:
        served, problem = None, "nothing listens there; `koclaw doctor` says how to start one"
    except ModelError as exc:
        served, problem = None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    adapters = registry.adapters()
    return TierStatus(registry.active(), len(adapters), base_url, configured, served, problem)


def tier_lines(status: TierStatus) -> list[str]:
    """The Soul tier in a few lines, each one fact."""
    active, served = status.active, status.served
    if not active:
        hint = (
            "`koclaw soul activate NAME` picks one"
            if status.registered
            else "`koclaw soul register NAME PATH` adds one"
        )
        lines = [f"active adapter: none ({status.registered} registered; {hint})"]
    elif served is None:
        lines = [f"active adapter: {active} (of {status.registered} registered); served: unknown"]
    elif active in served:
        lines = [f"active adapter: {active} (of {status.registered} registered); served by the model server"]
    else:
        lines = [
            f"active adapter: {active} (of {status.registered} registered); NOT served by the model server: "
            f"`koclaw soul activate {active}` loads it"
        ]
    if served is None:
        lines.append(f"model server:   not reachable at {status.base_url} ({status.problem})")
    else:
        lines.append(f"model server:   {status.base_url} serves {', '.join(served) or 'nothing'}")
    chat = status.chat_model
    if chat is None and served is None:
        lines.append(
            "chat uses:      the first model the server lists, once it answers; until then `koclaw chat` "
            "offers the built-in tiny Kokoron (`koclaw chat --tiny`), served in its own process"
        )
    elif chat is None:
        lines.append("chat uses:      the first model the server lists, once it answers")
    else:
        unserved = ", which the server does not serve" if served is not None and chat not in served else ""
        lines.append(f"chat uses:      {chat} ({status.chat_source}){unserved}")
    return lines


def start_warning(status: TierStatus) -> str | None:
    """One line for `koclaw run` when replies would fail: no server, or the chat model not served."""
    if status.served is None:
        return (
            f"koclaw: warning: the model server is not reachable at {status.base_url} ({status.problem}). "
            "Starting anyway: each message gets an apology until it answers."
        )
    chat = status.chat_model
    if chat is not None and chat not in status.served:
        return (
            f"koclaw: warning: the model server at {status.base_url} does not serve {chat!r} "
            f"({status.chat_source}); it serves {status.served}. Replies fail until it does."
        )
    return None
