"""The built-in server on the tiny Kokoron, for `koclaw chat` when no model server answers.

Why: a first `koclaw chat` on a laptop should show the whole pipeline working rather than stop at "start
vLLM". The tiny model knows nothing; it proves the pipeline only. It needs the training extra (torch,
transformers, peft), imported here and only when asked for.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import typer
from pydantic import SecretStr

from koclaw.config import Settings

TINY_WARNING = (
    "The tiny Kokoron is a 0.6M-parameter model built on this machine: it proves the pipeline "
    "(memory, tools, Soul adapters) and says very little. Real conversations need Qwen3.5 on vLLM."
)
OFFER = "Start the built-in tiny Kokoron here instead?"
INSTALL = "pip install torch==2.13.0 && pip install -e '.[train]'"


@contextlib.contextmanager
def tiny_server(settings: Settings) -> Iterator[Settings]:
    """Build the tiny model on first use (with a progress bar), serve it on localhost, and yield the
    settings pointed at it. The server stops when the block ends."""
    try:
        from rich.progress import BarColumn, Progress, TextColumn

        from finetune.serve import create_app, running
        from finetune.serve_engine import Engine
        from finetune.tiny import ensure_tiny
    except ImportError as exc:
        typer.echo(
            f"The built-in model needs the training extra ({exc.name} is missing): {INSTALL}", err=True
        )
        raise typer.Exit(2) from None
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # kernel-fallback and weight-loading chatter
    hf_logging.disable_progress_bar()
    typer.echo(TINY_WARNING, err=True)
    steps = ("Training a byte-level BPE", "Building a random Qwen3.5")
    with Progress(TextColumn("{task.description}"), BarColumn(), transient=True) as bar:
        task = bar.add_task("Preparing the tiny Kokoron", total=len(steps) + 2)

        def progress(message: str) -> None:
            bar.update(task, description=message, advance=1)

        path = ensure_tiny(progress=progress)
        bar.update(task, description="Loading it", completed=len(steps) + 1)
        engine = Engine.open(str(path), served_name="tiny")
        bar.update(task, completed=len(steps) + 2)
    with running(create_app(engine)) as url:
        # Thinking off: a random model never closes its thinking, and the point is to see replies flow.
        local = {"base_url": url, "model": "tiny", "api_key": SecretStr("EMPTY"), "thinking": False}
        llm = settings.llm.model_copy(update=local)
        yield settings.model_copy(update={"llm": llm})
