"""`koclaw finetune eval --server URL`: the same prompts and checks against an OpenAI-compatible server.

Why: production serves the Soul with vLLM, whose LoRA loading has its own traps (key names, Gated
DeltaNet layers; see FACTS.md); evaluating what the server actually answers catches them where the
transformers path cannot. The requests are the runtime's: the messages of :mod:`finetune.eval_prompts`,
greedy, with ``chat_template_kwargs.enable_thinking`` sent explicitly (without it vLLM's reasoning parser
may swallow the answer), and the thinking read back from ``reasoning`` (older servers:
``reasoning_content``). An OpenAI-compatible server gives no log-probabilities of a given completion, so
the held-out loss is not measured here; the report says so instead of inventing one.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from finetune import metrics
from finetune.eval_prompts import Prompt
from finetune.evaluate import (
    GPU_MAX_NEW_TOKENS,
    Contender,
    EvalSettings,
    Progress,
    Report,
    active_soul,
    no_effect_error,
    score_outputs,
)
from koclaw.errors import InputError

CONCURRENCY = 8
TIMEOUT_S = 300.0
NO_LOSS = (
    "held-out loss not measured: an OpenAI-compatible server returns no log-probabilities of a given "
    "completion; run the evaluation without --server (transformers) for it"
)


def client_for(url: str, api_key: str | None) -> Any:
    import openai

    return openai.OpenAI(base_url=url, api_key=api_key or "EMPTY", timeout=TIMEOUT_S, max_retries=2)


def served_models(client: Any, url: str) -> list[str]:
    import openai

    try:
        return [m.id for m in client.models.list()]
    except openai.APIConnectionError as exc:
        raise InputError(
            f"Cannot reach the model server at {url} ({exc}): start it, or fix --server."
        ) from None
    except openai.APIStatusError as exc:
        raise InputError(f"The model server at {url} refused to list its models: {exc}.") from None


def server_contenders(
    served: Sequence[str], url: str, candidate: str, base: str | None, against_active: bool
) -> tuple[list[Contender], list[str]]:
    """Base, candidate and active Soul by their names on the server; what is missing is an error."""
    from koclaw.config import load_settings
    from memory.soul import SoulRegistry

    if candidate not in served:
        raise InputError(
            f"The server at {url} does not serve {candidate!r} (it serves {list(served)}): load it first "
            "(`koclaw soul activate`, or vLLM's --lora-modules), or pass --model NAME."
        )
    registered: set[str] = set()
    if load_settings().soul_db.exists():
        registry = SoulRegistry(load_settings().soul_db)
        try:
            registered = {a.name for a in registry.adapters()}
        finally:
            registry.close()
    if base is None:
        base = next((m for m in served if m != candidate and m not in registered), None)
        if base is None:
            raise InputError(f"The server at {url} serves no base model besides adapters: pass --base NAME.")
    elif base not in served:
        raise InputError(f"The server at {url} does not serve the base {base!r} (it serves {list(served)}).")
    contenders = [
        Contender("base", f"base {base}", served=base),
        Contender("candidate", candidate, served=candidate),
    ]
    notes = []
    active = active_soul() if against_active else None
    if active is None:
        notes.append(
            "no active Soul: compared with the base only"
            if against_active
            else "not compared with the active Soul"
        )
    elif active.name == candidate:
        notes.append(f"the candidate is the active Soul {active.name}")
    elif active.name not in served:
        raise InputError(
            f"The active Soul {active.name} is not served by {url} (it serves {list(served)}): load it, or "
            "pass --no-against-active to compare with the base only, knowingly."
        )
    else:
        contenders.append(Contender("active", f"active {active.name}", served=active.name))
    return contenders, notes


def as_output(content: str | None, reasoning: str | None, finish: str | None, thinking: bool) -> str:
    """The reply as the model wrote it after the prompt (what the checks read): thinking, ``</think>``,
    reply. A server without a reasoning parser leaves ``</think>`` in the content itself; with one, an
    answer cut off inside its thinking comes back as reasoning only (finish_reason ``length``)."""
    content = content or ""
    if not reasoning:
        return content
    if thinking and not content.strip() and finish == "length":
        return reasoning
    return f"{reasoning.strip()}\n</think>\n\n{content}"


def complete(client: Any, model: str, prompt: Prompt, thinking: bool, max_tokens: int) -> str:
    import openai

    try:
        response = client.chat.completions.create(
            model=model,
            messages=prompt.messages,
            max_tokens=max_tokens,
            temperature=0.0,
            extra_body={"chat_template_kwargs": {"enable_thinking": thinking}},
        )
    except openai.APIConnectionError as exc:
        raise InputError(f"The model server stopped answering ({exc}); is it still running?") from None
    except openai.APIStatusError as exc:
        raise InputError(
            f"The model server refused the request for {model!r} ({prompt.id}): {exc}."
        ) from None
    choice = response.choices[0]
    message = choice.message
    extra = message.model_extra or {}
    reasoning = (
        extra.get("reasoning") or extra.get("reasoning_content") or getattr(message, "reasoning", None)
    )
    return as_output(message.content, reasoning, choice.finish_reason, thinking)


def evaluate_server(
    url: str,
    client: Any,
    contenders: Sequence[Contender],
    prompts: Sequence[Prompt],
    heldout_samples: int,
    settings: EvalSettings,
    progress: Progress | None = None,
) -> Report:
    """Every contender's greedy replies from the server, scored; the base first, and an adapter that
    answers every prompt exactly as the base does is an error (a LoRA the server did not apply)."""
    say = progress or (lambda _message: None)
    started = time.monotonic()
    max_new = settings.max_new_tokens or GPU_MAX_NEW_TOKENS
    base = next(c.served for c in contenders if c.key == "base") or "?"
    report = Report(f"{base} at {url}", {c.key: c.label for c in contenders}, {}, {}, {}, source="server")
    report.settings = {**settings.model_dump(), "max_new_tokens": max_new, "server": url}
    report.loss = {"measured": False, "why": NO_LOSS, "samples": heldout_samples}
    if heldout_samples:
        report.notes.append(NO_LOSS)
    base_outputs: list[str] | None = None
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        for contender in contenders:
            name = contender.served or contender.key
            say(f"{contender.label}: {len(prompts)} replies from {url}...")
            ask = partial(complete, client, name, thinking=settings.thinking, max_tokens=max_new)
            outputs = list(pool.map(ask, prompts))
            if contender.key == "base":
                base_outputs = outputs
            elif base_outputs is not None:
                changed = sum(a != b for a, b in zip(outputs, base_outputs, strict=True))
                if changed == 0 and outputs:
                    raise no_effect_error(
                        contender, f"its greedy replies to {len(outputs)} prompts (a server gives no logits)"
                    )
                report.effect[contender.key] = {"replies_changed": changed, "replies": len(outputs)}
            scores, judged, rows = score_outputs(prompts, outputs, settings.thinking)
            report.scores[contender.key] = scores | {
                "heldout_loss": None,
                "heldout_ppl": metrics.perplexity(None),
            }
            report.counts[contender.key] = judged | {"heldout_tokens": 0}
            report.samples[contender.key] = rows
    report.seconds = time.monotonic() - started
    return report
