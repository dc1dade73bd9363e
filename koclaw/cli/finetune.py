"""`koclaw finetune ...`: the Soul tier's training data (validate, merge, stats, export).

Generation commands live in :mod:`koclaw.cli.datagen` and register on this same group. Heavy work is
imported inside each command, so `koclaw --help` stays fast and the runtime never needs the training
stack.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from koclaw.cli.common import JsonOption, plain_console, print_json
from koclaw.errors import InputError

if TYPE_CHECKING:
    from finetune.dataset import Record

app = typer.Typer(help="Build and inspect the Soul tier's training data.", no_args_is_help=True)

FilesArgument = typer.Argument(..., help="conversation files: JSONL, or a .json array")
ThresholdOption = typer.Option(
    0.8, "--threshold", min=0.05, max=1.0, help="estimated Jaccard (character 5-shingles) for near duplicates"
)


def _read(files: list[Path], *, check: bool = True) -> list[Record]:
    from finetune.dataset import read_records

    return read_records(files, check=check)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _codes(counts: dict[str, int]) -> str:
    return ", ".join(f"{code} {n}" for code, n in counts.items())


@app.command("validate")
def validate(files: list[Path] = FilesArgument, as_json: bool = JsonOption) -> None:
    """A verdict per conversation with every reason it is rejected; exit 1 when any is."""
    records = _read(files)
    rejected: dict[str, int] = {}
    for record in records:
        verdict = record.verdict
        for code in verdict.codes:
            rejected[code] = rejected.get(code, 0) + 1
        if as_json:
            row = {"file": record.file, "line": record.line, **verdict.as_dict()}
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        elif verdict.ok:
            typer.echo(f"ok      {verdict.id}  {record.where}")
        else:
            reasons = "; ".join(str(p) for p in verdict.problems)
            shown = verdict.id if verdict.id != record.where else "(no id)"
            typer.echo(f"REJECT  {shown}  {record.where}  {reasons}")
    bad = sum(1 for r in records if not r.ok)
    summary = f"{_plural(len(records), 'conversation')}: {len(records) - bad} ok, {bad} rejected"
    typer.echo(summary + (f" ({_codes(rejected)})" if rejected else ""), err=as_json)
    if bad:
        raise typer.Exit(1)


@app.command("merge")
def merge(
    files: list[Path] = FilesArgument,
    output: Path = typer.Option(..., "-o", "--output", help="the merged JSONL file to write"),
    threshold: float = ThresholdOption,
    force: bool = typer.Option(False, "--force", help="replace an existing output file"),
    as_json: bool = JsonOption,
) -> None:
    """Merge partial files, drop exact and near duplicates, keep every source in provenance.sources.

    The output is never one of the inputs, and an existing output is replaced only with --force:
    merge leaves out lines it cannot parse, so writing over a source would lose them for good.
    """
    from finetune.dataset import merge as merge_records
    from finetune.dataset import to_json_line, write_lines_atomic

    if any(output.resolve() == f.resolve() for f in files):
        raise InputError(f"-o {output} is one of the files to merge: write the merge to a new file.")
    if output.is_dir():
        raise InputError(f"-o {output} is a folder: give the merged file's path, e.g. {output}/merged.jsonl.")
    if output.exists() and not force:
        raise InputError(f"{output} already exists: add --force to replace it, or pick a new -o.")
    records = _read(files, check=False)
    result = merge_records(records, threshold=threshold)
    try:
        write_lines_atomic(output, (to_json_line(c) for c in result.kept))
    except OSError as exc:
        raise InputError(f"Cannot write {output}: {exc.strerror or exc}. Pick a writable -o path.") from exc
    counts = result.counts()
    if as_json:
        dropped = [
            {"file": r.file, "line": r.line, "id": r.id, "kind": kind, "kept": kept}
            for r, kind, kept in result.dropped
        ]
        invalid = [
            {"file": r.file, "line": r.line, "problems": [str(p) for p in r.verdict.problems]}
            for r in result.invalid
        ]
        print_json({**counts, "output": str(output), "dropped": dropped, "invalid": invalid})
        return
    for record in result.invalid[:20]:
        typer.echo(f"skipped {record.where}: {'; '.join(str(p) for p in record.verdict.problems)}", err=True)
    if len(result.invalid) > 20:
        typer.echo(f"... and {len(result.invalid) - 20} more invalid lines", err=True)
    typer.echo(
        f"read {counts['read']}, invalid lines {counts['invalid_lines']}, exact dups {counts['exact_dups']}, "
        f"near dups {counts['near_dups']}, kept {counts['kept']} -> {output}"
    )
    if result.renamed:
        typer.echo(f"{_plural(result.renamed, 'id')} clashed across files and got a .N suffix.")


@app.command("stats")
def stats(
    files: list[Path] = FilesArgument,
    as_json: bool = JsonOption,
    chart: Path | None = typer.Option(
        None, "--chart", help="where to write the PNG (default: <stem>.stats.png)"
    ),
    no_chart: bool = typer.Option(False, "--no-chart", help="write no PNG"),
    targets: Path | None = typer.Option(
        None, "--targets", help="YAML/JSON with 'languages'/'scenarios' shares"
    ),
) -> None:
    """Language and scenario mix against the targets, turns, tokens, think tags, addressing, rejects."""
    from finetune import stats as dataset_stats
    from finetune.targets import load_targets

    wanted = load_targets(targets)
    data: dict[str, Any] = dataset_stats.compute(_read(files), wanted)
    if not no_chart:
        path = chart or dataset_stats.default_chart_path(files[0])
        try:
            data["chart"] = str(dataset_stats.write_chart(data, path))
        except OSError as exc:
            raise InputError(
                f"Cannot write the chart to {path}: {exc.strerror or exc}. Use --chart PATH."
            ) from exc
    if as_json:
        print_json(data)
        return
    console = plain_console()
    for table in dataset_stats.tables(data):
        console.print(table)
    if "chart" in data:
        typer.echo(f"Chart: {data['chart']}")


@app.command("export")
def export(
    files: list[Path] = FilesArgument,
    out_dir: Path = typer.Option(..., "-o", "--output", help="folder for train/heldout files"),
    fmt: str = typer.Option("trl", "--format", help="trl, sharegpt or both"),
    heldout: float = typer.Option(0.1, "--heldout", min=0.0, max=0.9, help="share of groups held out"),
    system: str = typer.Option(
        "runtime",
        "--system",
        help="runtime (the context the runtime sends: persona, tools, memory, # Now) or none "
        "(persona: the older name of runtime)",
    ),
    threshold: float = ThresholdOption,
    as_json: bool = JsonOption,
) -> None:
    """Training rows for trl (prompt messages + completion, one per model round, as the runtime sends
    them) and/or ShareGPT, with a leak-free held-out."""
    from finetune.export import FORMATS, SYSTEM_MODES
    from finetune.export import export as export_records

    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}.")
    if system not in SYSTEM_MODES:
        raise InputError(f"--system {system!r}: use one of {', '.join(SYSTEM_MODES)}.")
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir} is a file; -o takes a folder to write train/heldout files into.")
    records = _read(files)
    try:
        result = export_records(
            records, out_dir, fmt=fmt, heldout=heldout, system=system, threshold=threshold
        )
    except OSError as exc:
        raise InputError(
            f"Cannot write the export to {out_dir}: {exc.strerror or exc}. Pick a writable -o folder."
        ) from exc
    if as_json:
        print_json(result.as_dict())
        return
    typer.echo(f"Exported {result.train} train + {result.heldout} held-out conversations:")
    for path in result.files:
        typer.echo(f"  {path}")
    if result.rejected:
        typer.echo(
            f"Left out {_plural(result.rejected, 'rejected conversation')} "
            f"({_codes(result.rejects_by_code)}); "
            f"see why with: koclaw finetune validate {' '.join(str(f) for f in files)}"
        )
