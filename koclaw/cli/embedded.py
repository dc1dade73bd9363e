"""The built-in server on the tiny Kokoron, for `koclaw chat` when no model server answers.

Why: a first `koclaw chat` on a laptop should get words from Kokoron rather than stop at "start vLLM".
The tiny model was trained on this machine's Kokoron text (:mod:`finetune.builtin`): it answers in short,
in-character lines in Chinese, Japanese and English, and knows no facts. It is served the way it was
trained: the short persona, no tools, thinking off. It needs torch and transformers (the `local` extra),
imported here and only when asked for.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import typer
from pydantic import SecretStr

from koclaw.config import Settings
from koclaw.errors import InputError

TINY_WARNING = (
    "This is the built-in tiny Kokoron: a 0.6M-parameter model trained on Kokoron's own lines. She answers "
    "in short, simple sentences, knows no facts and has no tools. The real Kokoron is Qwen3.5 on vLLM."
)
BUILTIN_TEMPERATURE = 0.3
# The built-in model was trained on the newest three exchanges and up to six recalled lines, with replies
# of a few dozen tokens: a longer context only shows it what it never saw, and a summary would be its own
# small talk.
BUILTIN_LLM = {"context_tokens": 1024, "max_reply_tokens": 128}
BUILTIN_SESSION = {"history_share": 0.1, "summaries": False}
BUILTIN_MEMORY = {"recall_k": 4}
TINY = "tiny"
HUB_PROBE_S = 5.0
OFFER = "Start the built-in tiny Kokoron here instead?"
INSTALL = "pip install torch==2.13.0 && pip install -e '.[local]'"


def missing_packages() -> list[str]:
    """What the built-in server needs and this environment lacks (checked without importing them)."""
    return [name for name in ("torch", "transformers", "peft") if importlib.util.find_spec(name) is None]


class NotLoaded(Exception):
    """A model named for the built-in server could not be loaded (no network, no such model)."""


@contextlib.contextmanager
def local_server(settings: Settings, model: str = TINY) -> Iterator[Settings]:
    """Serve `model` on localhost from this process and yield the settings pointed at it; the server
    stops when the block ends. `model`: "tiny" (the built-in Kokoron, built on first use), a model folder
    or a hub name (downloaded once, with a progress bar, into the hub cache). Raises NotLoaded."""
    try:
        from finetune.serve import create_app, running
        from finetune.serve_engine import Engine
    except ImportError as exc:
        typer.echo(f"The built-in model server needs {exc.name}, which is not installed: {INSTALL}", err=True)
        raise typer.Exit(2) from None
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # kernel-fallback and weight-loading chatter
    if model == TINY:
        engine = _tiny_engine(Engine)
        # As it was trained (finetune.builtin): thinking off, the short persona, no tools; a little
        # sampling so the same greeting does not always get the same line.
        served = {"persona": "short", "tools": False, "temperature": BUILTIN_TEMPERATURE, **BUILTIN_LLM}
    else:
        typer.echo(f"Loading {model} on this machine's CPU (a hub name downloads once)...", err=True)
        _check_hub(model)
        hf_logging.enable_progress_bar()
        try:
            engine = Engine.open(model, served_name=model, device="cpu")
        except (InputError, OSError, ValueError) as exc:
            raise NotLoaded(_first_line(exc)) from None
        served = {}  # a real model: the full persona and the tools, thinking off (small Qwen3.5 default)
    with running(create_app(engine)) as url:
        local = {"base_url": url, "model": engine.name, "api_key": SecretStr("EMPTY"), "thinking": False}
        llm = settings.llm.model_copy(update={**local, **served})
        update: dict[str, Any] = {"llm": llm}
        if model == TINY:  # a context like the one it was trained on (finetune.builtin)
            update["session"] = settings.session.model_copy(update=BUILTIN_SESSION)
            update["memory"] = settings.memory.model_copy(update=BUILTIN_MEMORY)
        yield settings.model_copy(update=update)


def _check_hub(model: str) -> None:
    """A hub name not in the cache needs the hub: with none reachable, say so at once (the hub client
    would retry for a minute, a warning per try). A cached one loads offline, without asking the hub."""
    if Path(model).expanduser().exists():
        return
    from huggingface_hub import constants, try_to_load_from_cache

    try:
        cached = isinstance(try_to_load_from_cache(model, "config.json"), str)
    except ValueError:  # not a valid repo id: let the loader say why
        return
    if cached:
        os.environ["HF_HUB_OFFLINE"] = "1"
        return
    host = urlsplit(constants.ENDPOINT).hostname or "huggingface.co"
    try:
        socket.create_connection((host, 443), timeout=HUB_PROBE_S).close()
    except OSError:
        raise NotLoaded(
            f"no network: {host} cannot be reached and {model} is not in the model cache"
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _tiny_engine(engine_class: Any) -> Any:
    """The built-in Kokoron's engine, built on first use behind a progress bar (on stderr: stdout is
    one reply per line). A build that no longer loads (a cut or edited file) is built again, once."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn
    from transformers.utils import logging as hf_logging

    from finetune.tiny import default_path, ensure_tiny

    hf_logging.disable_progress_bar()
    typer.echo(TINY_WARNING, err=True)
    steps = ("Training a byte-level BPE", "Building a Qwen3.5")
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), transient=True, console=Console(stderr=True)
    )
    folder = default_path()

    def load() -> Any:
        try:
            path = ensure_tiny(
                folder, progress=lambda message: bar.update(task, description=message, advance=1)
            )
        except OSError as exc:
            raise NotLoaded(
                f"it cannot be built in {folder} ({exc.strerror or exc}): make that a writable folder"
            ) from None
        bar.update(task, description="Loading it", completed=len(steps) + 1)
        return engine_class.open(str(path), served_name=TINY)

    with bar:
        task = bar.add_task("Preparing the tiny Kokoron", total=len(steps) + 2)
        try:
            engine = load()
        except NotLoaded:
            raise
        except Exception as exc:  # whatever a damaged file raises, a rebuild cures it
            typer.echo(
                f"The tiny Kokoron in {folder} does not load ({_first_line(exc)}); building it again.",
                err=True,
            )
            shutil.rmtree(folder, ignore_errors=True)
            try:
                engine = load()
            except NotLoaded:
                raise
            except Exception as again:
                raise NotLoaded(_first_line(again)) from None
        bar.update(task, completed=len(steps) + 2)
    return engine
