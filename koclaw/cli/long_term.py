"""`koclaw memory long-term ...`: look into, search, forget, export and import long-term memories."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from koclaw.cli.common import JsonOption, plain_console, print_json, settings_or_exit, shown, user_option
from koclaw.errors import InputError
from memory.embeddings import make_embedder
from memory.lexical import has_cjk
from memory.long_term import LongTermMemory
from memory.outbox import EpisodeOutbox
from memory.records import Recalled, clean_query, parse_episode, timestamp_iso
from memory.session import SessionStore

app = typer.Typer(help="The long-term tier: episodes and facts (Chroma + SQLite FTS5).", no_args_is_help=True)

UserOption = user_option(..., "whose memories")
KindOption = typer.Option(None, "--kind", help="'fact' or 'episode' (default: both)")


def _memory(*, rebuild_index: bool = False) -> LongTermMemory:
    """The store as `koclaw run` opens it: the configured embedder and Chroma."""
    settings = settings_or_exit()
    embedder = make_embedder(settings.memory.embedder)
    chroma_url = settings.memory.chroma_url or None
    return LongTermMemory(settings.home, embedder, chroma_url=chroma_url, rebuild_index=rebuild_index)


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
        when, text = shown(r.timestamp[:16].replace("T", " ")), shown(r.text, multiline=True)
        table.add_row(shown(r.id), shown(r.kind), f"{r.score:.4f}", when, text)
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
        when, text = shown(m.timestamp[:16].replace("T", " ")), shown(m.text, multiline=True)
        table.add_row(shown(m.id), shown(m.kind), str(m.importance), when, text)
    plain_console().print(table)


def _when(value: str | None) -> datetime | None:
    """`--now` (or a query line's "now"): ISO 8601, read as stored times are; naive means UTC."""
    return None if value is None else datetime.fromisoformat(timestamp_iso(value))


def _query(text: str) -> str:
    """A query fit to search: `InputError` for one that says nothing (recall cuts long ones)."""
    cleaned = clean_query(text)
    if len(cleaned) < 2 and not has_cjk(cleaned):
        raise InputError(
            f"The query {text[:40]!r} is too short to search: give a word or a question (one CJK "
            "character is enough)."
        )
    return cleaned


def _query_line(line: str, now: datetime | None) -> tuple[str, datetime | None]:
    """A --queries line: plain text, or {"query": ..., "now": ...} to give that question its own time."""
    if line.lstrip().startswith("{"):
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            row = None
        if isinstance(row, dict) and isinstance(row.get("query"), str):
            return row["query"], _when(row["now"]) if isinstance(row.get("now"), str) else now
    return line, now


@app.command("search")
def lt_search(
    query: str | None = typer.Argument(None, help="what to recall (any language)"),
    user: str = UserOption,
    queries: Path | None = typer.Option(
        None,
        "--queries",
        help='a file with one query per line (or {"query": ..., "now": ...}); prints one JSON line per query',
    ),
    k: int = typer.Option(8, "-k", "-n", min=1, max=100, help="how many hits per query"),
    kind: str | None = KindOption,
    now: str | None = typer.Option(
        None, "--now", help="when the question is asked (ISO 8601), for 'last week' and the like"
    ),
    as_json: bool = JsonOption,
) -> None:
    """Hybrid recall (meaning + words + who and when); exact matches first."""
    kinds = (kind,) if kind else ("fact", "episode")
    asked = _when(now)
    memory = _memory()
    if queries is not None:
        try:
            lines = queries.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"Cannot read {queries} as UTF-8 text: {exc}") from exc
        for line in lines:
            if not line.strip():
                continue
            out: dict[str, Any] = {"query": line}
            try:
                text, when = _query_line(line, asked)
                out["query"] = text
                out["hits"] = [_hit(h) for h in memory.recall(user, _query(text), k=k, kinds=kinds, now=when)]
            except InputError as exc:  # one bad line must not shift the answers of the others
                out.update(hits=[], error=str(exc))
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        return
    if query is None:
        raise InputError("Give a query, or --queries FILE.")
    hits = memory.recall(user, _query(query), k=k, kinds=kinds, now=asked)
    if as_json:
        print_json([_hit(h) for h in hits])
    elif not hits:
        typer.echo(f"Nothing recalled for {query[:80]!r}.")
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


MAX_IMPORT_LINE = 1_000_000  # characters; a turn is far shorter


@app.command("import")
def lt_import(
    file: Path = typer.Argument(..., help='JSONL: {"text", "speaker", "timestamp", "metadata"} per line'),
    user: str = UserOption,
    batch_size: int = typer.Option(64, "--batch-size", min=1, max=1000),
    as_json: bool = JsonOption,
) -> None:
    """Import turns as episodes, in one transaction: every line is checked first, and one bad line
    imports nothing. Lines imported before are skipped, so running the same file again is safe."""
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    try:
        handle = file.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"Cannot read {file}: {exc}") from exc
    with handle:
        try:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                rows.append(_import_row(file, number, line))
                numbers.append(number)
        except UnicodeDecodeError as exc:
            raise InputError(f"{file} is not UTF-8 text ({exc.reason}). Nothing was imported.") from exc
    try:
        items = [parse_episode(row, number, strict=True) for row, number in zip(rows, numbers, strict=True)]
    except InputError as exc:
        raise InputError(f"{file}: {exc} Nothing was imported.") from exc
    memory = _memory()
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("Embedding", total=len(items))
        ids = memory.import_episodes(
            user, items, batch_size=batch_size, progress=lambda n: progress.advance(task, n)
        )
    skipped = len(items) - len(ids)
    if as_json:
        print_json({"imported": len(ids), "already_there": skipped})
    else:
        again = f" ({skipped} already there)" if skipped else ""
        typer.echo(f"Imported {len(ids)} episodes for {user!r}{again}.")


def _import_row(file: Path, number: int, line: str) -> dict[str, Any]:
    if len(line) > MAX_IMPORT_LINE:
        raise InputError(
            f"{file} line {number}: longer than {MAX_IMPORT_LINE:,} characters. Nothing was imported."
        )
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{file} line {number}: not JSON ({exc.msg}). Nothing was imported.") from exc
    except RecursionError as exc:
        raise InputError(f"{file} line {number}: JSON nested too deeply. Nothing was imported.") from exc
    if not isinstance(row, dict):
        raise InputError(f"{file} line {number}: expected a JSON object. Nothing was imported.")
    return row


@app.command("reindex")
def lt_reindex() -> None:
    """Re-embed every memory with the current embedder, with who said it and when (after changing the
    embedder, or to upgrade a store from before episodes carried their speaker and date)."""
    memory = _memory(rebuild_index=True)
    typer.echo(
        f"Re-embedded {memory.index_count('episode')} episodes and {memory.index_count('fact')} facts "
        f"with {memory.embedder.name}."
    )


@app.command("status")
def lt_status(as_json: bool = JsonOption) -> None:
    """How many turns wait to become episodes, how fast they are indexed, and what failed for good."""
    settings = settings_or_exit()
    store = SessionStore(settings.session_db)
    try:
        outbox = EpisodeOutbox(store)
        status, failures = outbox.status(), outbox.failures()
    finally:
        store.close()
    if as_json:
        print_json(
            {
                "queued": status.queued,
                "oldest_s": status.oldest_s,
                "indexed_per_s": round(status.per_second, 3),
                "failed": status.failed,
                "failures": failures,
                "embedder": settings.memory.embedder,
            }
        )
        return
    typer.echo(f"Episode indexing ({settings.memory.embedder}): {status.describe()}.")
    for row in failures:
        typer.echo(
            f"  failed: message {row['message_id']} of {row['user_id']} after {row['attempts']} tries: "
            f"{row['error']}"
        )
