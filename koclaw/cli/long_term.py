"""`koclaw memory long-term ...`: look into, search, forget, export and import long-term memories."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from koclaw.cli.common import JsonOption, plain_console, print_json, settings_or_exit
from koclaw.errors import InputError
from memory.long_term import LongTermMemory
from memory.records import EpisodeIn, Recalled, parse_episode

app = typer.Typer(help="The long-term tier: episodes and facts (Chroma + SQLite FTS5).", no_args_is_help=True)

UserOption = typer.Option(..., "--user", "-u", help="whose memories")
KindOption = typer.Option(None, "--kind", help="'fact' or 'episode' (default: both)")


def _memory(*, rebuild_index: bool = False) -> LongTermMemory:
    return LongTermMemory(settings_or_exit().home, rebuild_index=rebuild_index)


def _hit(r: Recalled) -> dict[str, Any]:
    return {
        "id": r.id,
        "kind": r.kind,
        "score": round(r.score, 6),
        "text": r.text,
        "timestamp": r.timestamp,
        "speaker": r.speaker,
        "metadata": r.metadata,
    }


def _print_hits(hits: list[Recalled]) -> None:
    table = Table("id", "kind", "score", "when", "text")
    for r in hits:
        table.add_row(r.id, r.kind, f"{r.score:.4f}", r.timestamp[:16].replace("T", " "), escape(r.text))
    plain_console().print(table)


@app.command("list")
def lt_list(
    user: str = UserOption,
    kind: str | None = KindOption,
    n: int = typer.Option(50, "-n", min=1, help="how many"),
    as_json: bool = JsonOption,
) -> None:
    """List a person's memories, newest first."""
    rows = _memory().list(user, kind=kind, limit=n)
    if as_json:
        print_json([m.to_dict() for m in rows])
        return
    if not rows:
        typer.echo(f"No long-term memories for {user!r}.")
        return
    table = Table("id", "kind", "imp", "when", "text")
    for m in rows:
        table.add_row(m.id, m.kind, str(m.importance), m.timestamp[:16].replace("T", " "), escape(m.text))
    plain_console().print(table)


@app.command("search")
def lt_search(
    query: str | None = typer.Argument(None, help="what to recall (any language)"),
    user: str = UserOption,
    queries: Path | None = typer.Option(
        None, "--queries", help="a file with one query per line; prints one JSON line per query"
    ),
    k: int = typer.Option(8, "-k", "-n", min=1, help="how many hits per query"),
    kind: str | None = KindOption,
    as_json: bool = JsonOption,
) -> None:
    """Hybrid recall (meaning + words); exact matches first."""
    kinds = (kind,) if kind else ("fact", "episode")
    memory = _memory()
    if queries is not None:
        try:
            lines = queries.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InputError(f"Cannot read {queries}: {exc}") from exc
        for line in lines:
            if line.strip():
                hits = memory.recall(user, line, k=k, kinds=kinds)
                sys.stdout.write(
                    json.dumps({"query": line, "hits": [_hit(h) for h in hits]}, ensure_ascii=False) + "\n"
                )
        return
    if not query:
        raise InputError("Give a query, or --queries FILE.")
    hits = memory.recall(user, query, k=k, kinds=kinds)
    if as_json:
        print_json([_hit(h) for h in hits])
    elif not hits:
        typer.echo(f"Nothing recalled for {query!r}.")
    else:
        _print_hits(hits)


@app.command("similar")
def lt_similar(
    text: str = typer.Argument(..., help="find memories close in meaning to this"),
    user: str = UserOption,
    n: int = typer.Option(8, "-n", "-k", min=1),
    as_json: bool = JsonOption,
) -> None:
    """Dense-only neighbours; score is the cosine similarity."""
    hits = _memory().similar(user, text, n)
    if as_json:
        print_json([_hit(h) for h in hits])
    elif not hits:
        typer.echo("Nothing similar.")
    else:
        _print_hits(hits)


@app.command("forget")
def lt_forget(
    target: str = typer.Argument(..., help="a memory id, or text: every memory containing it goes"),
    user: str = UserOption,
    as_json: bool = JsonOption,
) -> None:
    """Delete memories from both indexes for good."""
    ids = _memory().forget(user, target)
    if as_json:
        print_json({"forgotten": ids})
    else:
        typer.echo(f"Forgot {len(ids)} memor{'y' if len(ids) == 1 else 'ies'}.")


@app.command("export")
def lt_export(user: str = UserOption) -> None:
    """Every memory of a person as JSON lines (stdout)."""
    for row in _memory().export(user):
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


@app.command("import")
def lt_import(
    file: Path = typer.Argument(..., help='JSONL: {"text", "timestamp", "speaker", "metadata"} per line'),
    user: str = UserOption,
    batch_size: int = typer.Option(64, "--batch-size", min=1, max=1000),
    as_json: bool = JsonOption,
) -> None:
    """Import turns as episodes. Every line is checked first: one bad line imports nothing."""
    items: list[EpisodeIn] = []
    try:
        handle = file.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"Cannot read {file}: {exc}") from exc
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"{file} line {number}: not JSON ({exc.msg}). Nothing was imported."
                ) from exc
            if not isinstance(row, dict):
                raise InputError(f"{file} line {number}: expected a JSON object. Nothing was imported.")
            try:
                items.append(parse_episode(row, number))
            except InputError as exc:
                raise InputError(f"{file}: {exc} Nothing was imported.") from exc
    memory = _memory()
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("Embedding", total=len(items))
        ids = memory.import_episodes(
            user, items, batch_size=batch_size, progress=lambda n: progress.advance(task, n)
        )
    if as_json:
        print_json({"imported": len(ids)})
    else:
        typer.echo(f"Imported {len(ids)} episodes for {user!r}.")


@app.command("reindex")
def lt_reindex() -> None:
    """Re-embed every memory with the current embedder (after changing it)."""
    memory = _memory(rebuild_index=True)
    typer.echo(
        f"Re-embedded {memory.index_count('episode')} episodes and {memory.index_count('fact')} facts "
        f"with {memory.embedder.name}."
    )
