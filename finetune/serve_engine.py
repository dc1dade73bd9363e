"""The model behind the test server (:mod:`finetune.serve`): base, LoRA adapters, generation.

Why a class of its own: the HTTP layer must never block, and the model must never be used by two
requests at once. Everything that touches the model (generation, loading and unloading adapters) holds
one lock and runs in a worker thread; text comes back to the event loop token by token through a queue.

Adapters are peft adapters on the base, switched per request with `set_adapter`, or disabled for the
base. Loading is all or nothing: a broken or ill-fitting adapter is removed again before the error is
answered, so the server keeps serving exactly what it served before.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from peft import PeftConfig, PeftModel, PeftType
from transformers import PreTrainedModel, PreTrainedTokenizerBase, StoppingCriteria, TextIteratorStreamer

from finetune.hf import Dtype, check_adapter, load_base, load_tokenizer
from koclaw.errors import InputError

log = logging.getLogger(__name__)
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
_TEMPLATE_KEYS = ("conversation", "messages", "tools", "tokenize", "add_generation_prompt", "return_dict")


class ServeError(Exception):
    """An error answer in vLLM's shape: `{"error": {"message", "type", "param", "code"}}`."""

    def __init__(self, status: int, message: str, kind: str = "BadRequestError", param: str | None = None):
        super().__init__(message)
        self.status, self.message, self.kind, self.param = status, message, kind, param

    def body(self) -> dict[str, Any]:
        error = {"message": self.message, "type": self.kind, "param": self.param, "code": self.status}
        return {"error": error}


def not_found(model: str) -> ServeError:
    return ServeError(404, f"The model `{model}` does not exist.", "NotFoundError", "model")


@dataclass
class Job:
    """One generation: what to run, and the channel its text comes back on (`None` ends it)."""

    prompt: list[int]
    adapter: str | None
    max_tokens: int
    temperature: float | None
    top_p: float | None
    seed: int | None
    loop: asyncio.AbstractEventLoop
    out: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    cancel: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None
    tokens: int = 0
    stopped: bool = False  # the last token ended the turn

    def send(self, item: str | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: the server is gone
            self.loop.call_soon_threadsafe(self.out.put_nowait, item)

    def finish_reason(self) -> str:
        return "length" if not self.stopped and self.tokens >= self.max_tokens else "stop"

    def usage(self) -> dict[str, int]:
        prompt = len(self.prompt)
        return {
            "prompt_tokens": prompt,
            "total_tokens": prompt + self.tokens,
            "completion_tokens": self.tokens,
        }


class _Streamer(TextIteratorStreamer):
    """Hands each token's text to the job at once; the stock streamer holds text back to whole words."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, job: Job, eos: set[int]) -> None:
        super().__init__(tokenizer, skip_prompt=True, skip_special_tokens=True)
        self.job, self.eos = job, eos

    def put(self, value: torch.Tensor) -> None:
        if self.next_tokens_are_prompt:
            self.next_tokens_are_prompt = False
            return
        ids = [int(i) for i in value.reshape(-1).tolist()]
        self.job.tokens += len(ids)
        self.job.stopped = ids[-1] in self.eos
        self.token_cache.extend(ids)
        text = str(self.tokenizer.decode(self.token_cache, **self.decode_kwargs))
        if text.endswith("\ufffd"):
            return  # half of a UTF-8 character: wait for the rest
        self.on_finalized_text(text[self.print_len :])
        if text.endswith("\n"):  # start over, keeping the last token as context for leading spaces
            self.token_cache = self.token_cache[-1:]
            self.print_len = len(str(self.tokenizer.decode(self.token_cache, **self.decode_kwargs)))
        else:
            self.print_len = len(text)

    def on_finalized_text(self, text: str, stream_end: bool = False) -> None:
        if text:
            self.job.send(text)


class _Cancelled(StoppingCriteria):
    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool)


@dataclass(frozen=True)
class Adapter:
    name: str
    path: str
    key: str  # peft's name for it: served names may hold '.', which torch module names may not


class Engine:
    """One model, its adapters, and the lock that every generation and adapter change holds."""

    def __init__(
        self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, name: str, *, root: str = ""
    ) -> None:
        self.base, self.tokenizer, self.name, self.root = model, tokenizer, name, root or name
        self.model: Any = model  # the base, or a PeftModel around it while any adapter is loaded
        self.adapters: dict[str, Adapter] = {}
        self.lock = threading.Lock()
        self.created = int(time.time())
        self.max_len = int(getattr(model.config, "max_position_embeddings", 0) or 32768)
        self._keys = itertools.count(1)
        eos = model.generation_config.eos_token_id
        self.eos = {*(eos if isinstance(eos, list) else [eos] if eos is not None else [])}
        im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
        if isinstance(im_end, int) and im_end != tokenizer.unk_token_id:
            self.eos.add(im_end)  # stop at the end of the turn whatever the generation config says

    @classmethod
    def open(
        cls,
        model: str,
        *,
        served_name: str | None = None,
        adapters: dict[str, Path] | None = None,
        dtype: Dtype = "auto",
        device: str | None = None,
    ) -> Engine:
        """Load the base (`tiny`, a folder or a hub name) and the adapters to serve from the start."""
        base = load_base(model, dtype=dtype, device=device)
        engine = cls(base, load_tokenizer(model), served_name or model, root=model)
        for name, path in (adapters or {}).items():
            try:
                engine.load(name, str(path))
            except ServeError as exc:
                raise InputError(exc.message) from None
        return engine

    def resolve(self, model: str | None) -> str | None:
        """The adapter a request's `model` names; None for the base (named, or no name at all)."""
        if not model or model == self.name:
            return None
        if model in self.adapters:
            return model
        raise not_found(model)

    def load(self, name: str, path: str) -> None:
        """Load an adapter under `name`; on any failure the served state stays exactly as it was."""
        if not name or not path:
            raise ServeError(400, "Both 'lora_name' and 'lora_path' must be provided.", "InvalidUserInput")
        with self.lock:
            if name in self.adapters or name == self.name:
                what = "the base model's name" if name == self.name else "already loaded"
                raise ServeError(
                    400,
                    f"The lora adapter '{name}' has already been loaded. If you want to load the adapter in "
                    f"place, set 'load_inplace' to True. ({name!r} is {what}.)",
                    "InvalidUserInput",
                )
            folder = Path(path).expanduser()
            if not (folder / "adapter_config.json").is_file():
                raise ServeError(
                    404,
                    f"Loading lora {name} failed: No adapter found for {path} (no adapter_config.json there: "
                    "pass the folder that training wrote).",
                    "NotFoundError",
                )
            try:
                check_adapter(folder)
            except InputError as exc:
                raise ServeError(400, f"Loading lora {name} failed: {exc}") from None
            key = f"adapter{next(self._keys)}"
            model = self.model
            try:
                if not isinstance(model, PeftModel):
                    config = PeftConfig.from_pretrained(str(folder))
                    if config.peft_type != PeftType.LORA:
                        raise ValueError(f"it is a {config.peft_type} adapter; this server serves LoRA only")
                    model = PeftModel(self.base, config, adapter_name=key)
                _check_fit(model.load_adapter(str(folder), adapter_name=key), key)
            except Exception as exc:
                self.model = _discard(model, key)
                raise ServeError(
                    400, f"Loading lora {name} failed: {exc}. Nothing changed; fix or retrain the adapter."
                ) from None
            model.eval()
            self.model = model
            self.adapters[name] = Adapter(name, str(folder), key)
        log.info("loaded LoRA adapter %s from %s", name, folder)

    def unload(self, name: str) -> None:
        if not name:
            raise ServeError(
                400, "'lora_name' needs to be provided to unload a LoRA adapter.", "InvalidUserInput"
            )
        with self.lock:
            adapter = self.adapters.pop(name, None)
            if adapter is None:
                raise ServeError(404, f"The lora adapter '{name}' cannot be found.", "NotFoundError")
            self.model = _discard(self.model, adapter.key)
        log.info("unloaded LoRA adapter %s", name)

    def models(self) -> dict[str, Any]:
        cards = [self._card(self.name, self.root, None, self.max_len)]
        cards += [self._card(a.name, a.path, self.name, None) for a in list(self.adapters.values())]
        return {"object": "list", "data": cards}

    def _card(self, name: str, root: str, parent: str | None, max_len: int | None) -> dict[str, Any]:
        permission = {
            "id": f"modelperm-{uuid.uuid4().hex}",
            "object": "model_permission",
            "created": self.created,
            "allow_create_engine": False,
            "allow_sampling": True,
            "allow_logprobs": True,
            "allow_search_indices": False,
            "allow_view": True,
            "allow_fine_tuning": False,
            "organization": "*",
            "group": None,
            "is_blocking": False,
        }
        return {
            "id": name,
            "object": "model",
            "created": self.created,
            "owned_by": "koclaw",
            "root": root,
            "parent": parent,
            "max_model_len": max_len,
            "permission": [permission],
        }

    def prompt(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, kwargs: dict[str, Any]
    ) -> list[int]:
        """The prompt's token ids, rendered by the model's chat template with the request's kwargs."""
        extra = {k: v for k, v in kwargs.items() if k not in _TEMPLATE_KEYS}
        schemas: list[dict[Any, Any] | Callable[..., Any]] = [*(tools or ())]
        try:
            text = self.tokenizer.apply_chat_template(
                [_template_message(m) for m in messages],
                tools=schemas or None,
                add_generation_prompt=True,
                tokenize=False,
                **extra,
            )
        except Exception as exc:  # jinja's TemplateError, raise_exception(), bad message shapes
            raise ServeError(400, f"The chat template cannot render these messages: {exc}") from None
        return [int(i) for i in self.tokenizer(str(text), add_special_tokens=False)["input_ids"]]

    def generate(self, job: Job) -> None:
        """A worker thread's body: wait for the model, then stream to the job until done or cancelled."""
        try:
            with self.lock:
                if job.cancel.is_set():
                    return
                model = self.model
                scope: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
                if job.adapter is not None:
                    adapter = self.adapters.get(job.adapter)
                    if adapter is None:  # unloaded while this request waited
                        raise not_found(job.adapter)
                    model.set_adapter(adapter.key)
                elif isinstance(model, PeftModel):
                    scope = model.disable_adapter()
                ids = torch.tensor([job.prompt], device=self.base.device)
                if job.seed is not None:
                    torch.manual_seed(job.seed)
                with scope, torch.inference_mode():
                    model.generate(
                        input_ids=ids,
                        attention_mask=torch.ones_like(ids),
                        generation_config=self._config(job),
                        streamer=_Streamer(self.tokenizer, job, self.eos),
                        stopping_criteria=[_Cancelled(job.cancel)],
                    )
        except BaseException as exc:
            job.error = exc
        finally:
            job.send(None)

    def _config(self, job: Job) -> Any:
        config = copy.deepcopy(self.base.generation_config)
        config.max_new_tokens, config.eos_token_id = job.max_tokens, sorted(self.eos)
        config.pad_token_id = self.tokenizer.pad_token_id
        if job.temperature == 0:  # vLLM's greedy
            config.do_sample, config.temperature, config.top_p, config.top_k = False, None, None, None
        elif job.temperature is not None:
            config.do_sample, config.temperature = True, job.temperature
        if job.top_p is not None and config.do_sample:
            config.top_p = job.top_p
        return config


def _check_fit(result: Any, key: str) -> None:
    """Refuse an adapter whose weights name modules this model lacks: peft would load it and do nothing."""
    missing = [k for k in getattr(result, "missing_keys", []) if f".{key}." in k]
    unexpected = [k for k in getattr(result, "unexpected_keys", []) if "lora_" in k]
    if missing or unexpected:
        example = (missing or unexpected)[0]
        raise ValueError(
            f"its weights do not fit this model ({len(missing)} missing, {len(unexpected)} unexpected, "
            f"e.g. {example}); was it trained on another model or model class?"
        )


def _discard(model: Any, key: str) -> Any:
    """Remove adapter `key` (loaded or half-loaded); the last one out gives back the bare base model."""
    if not isinstance(model, PeftModel) or key not in model.peft_config:
        return model
    if len(model.peft_config) == 1:
        return model.unload()
    model.delete_adapter(key)
    return model


def _template_message(message: dict[str, Any]) -> dict[str, Any]:
    """As vLLM does for Qwen's templates: tool-call arguments sent as JSON strings become mappings."""
    calls = message.get("tool_calls")
    if message.get("role") != "assistant" or not isinstance(calls, list):
        return message
    fixed = []
    for call in calls:
        function = dict(call.get("function") or {}) if isinstance(call, dict) else {}
        if isinstance(function.get("arguments"), str):
            with contextlib.suppress(ValueError):
                function["arguments"] = json.loads(function["arguments"])
        fixed.append({**call, "function": function} if function else call)
    return {**message, "tool_calls": fixed}


class Qwen3Parser:
    """vLLM's `--reasoning-parser qwen3`: with thinking on, text up to `</think>` is reasoning (a leading
    `<think>` is dropped) and the rest is content; with thinking off, all of it is content."""

    def __init__(self, thinking: bool) -> None:
        self.thinking, self.held, self.opened = thinking, "", False

    def feed(self, text: str) -> list[dict[str, str]]:
        if not self.thinking:
            return [{"content": text}] if text else []
        text, self.held = self.held + text, ""
        if not self.opened:
            if THINK_OPEN.startswith(text):
                self.held = text
                return []
            self.opened, text = True, text.removeprefix(THINK_OPEN)
        head, tag, tail = text.partition(THINK_CLOSE)
        if tag:
            self.thinking = False
            delta = {k: v for k, v in (("reasoning", head), ("content", tail)) if v}
            return [delta] if delta else []
        keep = next((n for n in range(len(THINK_CLOSE) - 1, 0, -1) if text.endswith(THINK_CLOSE[:n])), 0)
        text, self.held = text[: len(text) - keep], text[len(text) - keep :]
        return [{"reasoning": text}] if text else []

    def flush(self) -> list[dict[str, str]]:
        text, self.held = self.held, ""
        return [{"reasoning" if self.thinking else "content": text}] if text else []
