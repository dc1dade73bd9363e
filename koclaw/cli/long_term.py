"""`koclaw memory long-term ...`: look into, search, forget, export and import long-term memories."""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from koclaw.cli.common import (
    EXIT_FAILED,
    JsonOption,
    free_text,
    person,
    plain_console,
    print_json,
    settings_or_exit,
    shown,
    user_option,
)
from koclaw.config import Settings
from koclaw.errors import InputError, StorageError
from koclaw.inputs import LONE_SURROGATE, repair_text
from koclaw.serving import serving_alone
from memory.embeddings import make_embedder
from memory.lexical import has_cjk
from memory.long_term import LongTermMemory
from memory.outbox import EpisodeOutbox
from memory.records import EpisodeIn, FactIn, Recalled, clean_query, parse_row, timestamp_iso
from memory.session import SessionStore

app = typer.Typer(help="The long-term tier: episodes and facts (Chroma + SQLite FTS5).", no_args_is_help=True)

UserOption = user_option(..., "whose memories")
KindOption = typer.Option(None, "--kind", help="'fact' or 'episode' (default: both)")
MAX_LISTED = 100_000  # rows one listing shows (-n); 'export' writes them all


def _memory(*, rebuild_index: bool = False) -> LongTermMemory:
    """The store as `koclaw run` opens it: the configured embedder and Chroma."""
    settings = settings_or_exit()
    embedder = make_embedder(settings.memory.embedder)
    if rebuild_index and settings.memory.fast_embedding:
        embedder.warm(wait=True)  # re-embedding everything: the faster engine pays for its second
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
    n: int = typer.Option(50, "-n", min=1, max=MAX_LISTED, help="how many"),
    as_json: bool = JsonOption,
) -> None:
    """List a person's memories, newest first."""
    user = person(settings_or_exit(), user, "memories")
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
    user = person(settings_or_exit(), user, "memories")
    memory = _memory()
    if queries is not None:
        _answer_file(queries, lambda text, when: memory.recall(user, text, k=k, kinds=kinds, now=when), asked)
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


MAX_QUERY_LINE = 200_000  # characters in one --queries line; recall reads the head anyway
MAX_QUERIES = 10_000  # queries in one --queries file
MAX_QUERIES_FILE = 50_000_000  # characters read from a --queries file, over-long lines included
ECHOED = 200  # characters of a refused line written back with its error


def _answer_file(
    path: Path, recall: Callable[[str, datetime | None], list[Recalled]], asked: datetime | None
) -> None:
    """One JSON line per query of `path`, read a line at a time; one bad line must not shift the
    answers of the others."""
    try:
        handle = path.open(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc}") from exc
    answered = 0
    with handle:
        try:
            for number, line, whole in _lines(handle, MAX_QUERY_LINE, MAX_QUERIES_FILE, path):
                if whole and not line.strip():
                    continue
                answered += 1
                if answered > MAX_QUERIES:
                    raise InputError(
                        f"{path} has more than {MAX_QUERIES:,} queries: the first {MAX_QUERIES:,} were "
                        "answered. Put the rest in another file."
                    )
                out: dict[str, Any] = {"query": line}
                try:
                    if not whole:
                        raise InputError(
                            f"Line {number} is longer than {MAX_QUERY_LINE:,} characters: shorten it "
                            "(recall reads only the first few thousand)."
                        )
                    text, when = _query_line(line, asked)
                    out["query"] = repair_text(text)
                    out["hits"] = [_hit(h) for h in recall(_query(text), when)]
                except InputError as exc:
                    out.update(query=out["query"][:ECHOED], hits=[], error=str(exc))
                sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        except UnicodeDecodeError as exc:
            raise InputError(f"{path} is not UTF-8 text ({exc.reason}); save it as UTF-8.") from exc


def _lines(handle: TextIO, limit: int, total: int, path: Path) -> Iterator[tuple[int, str, bool]]:
    """(number, line, whole) for each line, cut to `limit` characters: `whole` is False for a longer
    one, whose rest is then read in pieces and dropped, never held. More than `total` characters in
    all is refused: /dev/zero or a 200 MB line must not fill the memory."""
    read = number = 0
    while line := handle.readline(limit + 1):
        number += 1
        read += len(line)
        whole = len(line) <= limit or line.endswith("\n")
        yield number, (line.removesuffix("\n") if whole else line[:limit]), whole
        while not whole and read <= total and (piece := handle.readline(limit + 1)):
            read += len(piece)
            whole = piece.endswith("\n")
        if read > total:
            raise InputError(f"{path} is longer than {total:,} characters: split it into smaller files.")


@app.command("similar")
def lt_similar(
    text: str = typer.Argument(..., help="find memories close in meaning to this", callback=free_text),
    user: str = UserOption,
    n: int = typer.Option(8, "-n", "-k", min=1, max=100),
    as_json: bool = JsonOption,
) -> None:
    """Dense-only neighbours; score is the cosine similarity."""
    user = person(settings_or_exit(), user, "memories")
    hits = _memory().similar(user, text, n)
    if as_json:
        print_json([_hit(h) for h in hits])
    elif not hits:
        typer.echo("Nothing similar.")
    else:
        _print_hits(hits)


@app.command("forget")
def lt_forget(
    target: str = typer.Argument(
        ..., help="a memory id, or text: every memory containing it goes", callback=free_text
    ),
    user: str = UserOption,
    as_json: bool = JsonOption,
) -> None:
    """Delete memories from both indexes for good, and turns with the text still waiting to be indexed
    (the session keeps them: `/forget TEXT` in a chat deletes them there)."""
    settings = settings_or_exit()
    user = person(settings, user, "memories")
    queued = _skip_queued(settings, user, target.strip())  # first: a batch being indexed checks it after
    ids = _memory().forget(user, target)
    if as_json:
        print_json({"forgotten": ids, "queued_turns_skipped": queued})
    else:
        skipped = f", and {queued} turn(s) still waiting to become memories" if queued else ""
        typer.echo(f"Forgot {len(ids)} memor{'y' if len(ids) == 1 else 'ies'}{skipped}.")


def _skip_queued(settings: Settings, user: str, target: str) -> int:
    """Queued turns of `user` containing `target`, skipped; how many."""
    if not settings.session_db.exists():
        return 0
    store = SessionStore(settings.session_db)
    try:
        return EpisodeOutbox(store).skip_matching(user, target)
    finally:
        store.close()


@app.command("export")
def lt_export(user: str = UserOption) -> None:
    """Every memory of a person as JSON lines (stdout), which `import` restores. A row that cannot be
    written is named on stderr (exit 1) and the rest are still written."""
    user = person(settings_or_exit(), user, "memories")
    unwritten = []
    for row in _memory().export(user):
        try:
            line = json.dumps(row, ensure_ascii=False)
            line.encode("utf-8")  # a lone surrogate stored before imports refused them
        except (ValueError, TypeError, RecursionError):
            unwritten.append(str(row.get("id")))
            continue
        sys.stdout.write(line + "\n")
    if unwritten:
        typer.echo(
            f"Error: {len(unwritten)} memories could not be written as JSON (their metadata is nested too "
            f"deeply or is not valid Unicode) and are missing from the export: {', '.join(unwritten[:20])}. "
            "Every other memory was exported.",
            err=True,
        )
        raise typer.Exit(EXIT_FAILED)


MAX_IMPORT_LINE = 1_000_000  # characters; a turn is far shorter
MAX_IMPORT_FILE = 200_000_000  # characters in one file; every row is held until it is all checked


@app.command("import")
def lt_import(
    file: Path = typer.Argument(..., help='JSONL: {"text", "speaker", "timestamp", "metadata"} per line'),
    user: str = UserOption,
    batch_size: int = typer.Option(64, "--batch-size", min=1, max=1000),
    as_json: bool = JsonOption,
) -> None:
    """Import turns as episodes, in one transaction: every line is checked first, and one bad line
    imports nothing. Lines imported before are skipped, so running the same file again is safe. The
    output of `export` restores too: its episodes as episodes, its facts as facts."""
    rows = _read_import(file)
    try:
        items = [(row, parse_row(row, number)) for number, row in rows]
    except InputError as exc:
        raise InputError(f"{file}: {exc} Nothing was imported.") from exc
    user = person(settings_or_exit(), user, "memories")
    memory = _memory()
    todo = [item for row, item in items if not _exported_here(memory, user, row)]
    episodes = [item for item in todo if isinstance(item, EpisodeIn)]
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("Embedding", total=len(episodes))
        try:
            ids = memory.import_episodes(
                user, episodes, batch_size=batch_size, progress=lambda n: progress.advance(task, n)
            )
        except StorageError as exc:
            if isinstance(exc.__cause__, sqlite3.IntegrityError) and "UNIQUE" in str(exc.__cause__):
                raise StorageError(
                    "Another import for this person ran at the same time and stored some of these rows "
                    "first, so this one stored nothing. Run the command again: it skips what is there."
                ) from exc
            raise
    facts = [_restore_fact(memory, user, item) for item in todo if isinstance(item, FactIn)]
    added = len(ids) + sum(facts)
    skipped = len(items) - added
    if as_json:
        print_json({"imported": added, "already_there": skipped})
    else:
        again = f" ({skipped} already there)" if skipped else ""
        restored = f" and {sum(facts)} facts" if facts else ""
        typer.echo(f"Imported {len(ids)} episodes{restored} for {user!r}{again}.")


def _read_import(file: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        handle = file.open(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"Cannot read {file}: {exc}") from exc
    rows: list[tuple[int, dict[str, Any]]] = []
    with handle:
        try:
            for number, line, whole in _lines(handle, MAX_IMPORT_LINE, MAX_IMPORT_FILE, file):
                if not whole:
                    raise InputError(f"{file} line {number}: longer than {MAX_IMPORT_LINE:,} characters.")
                if line.strip():
                    rows.append((number, _import_row(file, number, line)))
        except UnicodeDecodeError as exc:
            raise InputError(f"{file} is not UTF-8 text ({exc.reason}). Nothing was imported.") from exc
        except InputError as exc:
            raise InputError(f"{exc} Nothing was imported.") from exc
    return rows


def _import_row(file: Path, number: int, line: str) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{file} line {number}: not JSON ({exc.msg}).") from exc
    except RecursionError as exc:
        raise InputError(f"{file} line {number}: JSON nested too deeply.") from exc
    if not isinstance(row, dict):
        raise InputError(f"{file} line {number}: expected a JSON object.")
    return row


def _exported_here(memory: LongTermMemory, user: str, row: dict[str, Any]) -> bool:
    """An export row whose memory this person still has (restoring into the same store)."""
    if "kind" not in row or not isinstance(row.get("id"), str) or LONE_SURROGATE.search(row["id"]):
        return False
    try:
        return bool(memory.get(user, row["id"]).kind == row["kind"])
    except StorageError:
        return False


def _restore_fact(memory: LongTermMemory, user: str, fact: FactIn) -> bool:
    """Save an exported fact; False when it merged into one the person has (restored before)."""
    saved = memory.save_fact(
        user,
        fact.text,
        importance=fact.importance,
        category=fact.category,
        source_ids=fact.source_ids,
        language=fact.language,
    )
    return not saved.merged


@app.command("reindex")
def lt_reindex() -> None:
    """Re-embed every memory with the current embedder, with who said it and when (after changing the
    embedder, or to upgrade a store from before episodes carried their speaker and date). Not while
    `koclaw run` serves this home: what it indexed during the rebuild could be lost."""
    with serving_alone(settings_or_exit().home, "reindex"):
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
