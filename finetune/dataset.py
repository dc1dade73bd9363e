"""Read, merge and write conversation files without ever losing track of where a line came from.

Input is JSONL (one conversation per line) or a ``.json`` file holding an array (or one object). A
bad line never stops a read: it becomes a :class:`Record` whose verdict carries the ``schema`` or
``encoding`` problem and its ``file:line``, so `validate` can report it and `merge`/`export` can count
it. Only a file that cannot be read at all raises :class:`~koclaw.errors.InputError`.

Why a record remembers file and line: `merge` keeps provenance (every source of a kept conversation
and of each duplicate dropped in its favour), and a reject is only actionable with its location.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from character.conversation import Conversation
from finetune.validate import (
    MAX_CONVERSATION_CHARS,
    Problem,
    Verdict,
    conversation_chars,
    surrogate_problem,
    validate_data,
)
from koclaw.errors import InputError


@dataclass(frozen=True)
class Record:
    """One line (or array item) of an input file and its verdict."""

    file: str
    line: int
    verdict: Verdict

    @property
    def ok(self) -> bool:
        return self.verdict.ok

    @property
    def conversation(self) -> Conversation | None:
        return self.verdict.conversation

    @property
    def id(self) -> str:
        return self.verdict.id

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def sources(self) -> list[dict[str, Any]]:
        """Where this conversation came from: its earlier merge's sources if it has them, else here."""
        conversation = self.conversation
        earlier = conversation.provenance.get("sources") if conversation else None
        if isinstance(earlier, list) and earlier:
            return [dict(s) for s in earlier if isinstance(s, dict)]
        return [{"file": self.file, "line": self.line, "id": self.id}]


def _schema_only(raw: Any, where: str) -> Verdict:
    """Parse without the content checks: cheap enough for merging many thousands of lines."""
    fallback = str(raw.get("id")) if isinstance(raw, dict) and raw.get("id") else where
    if problem := surrogate_problem(raw):
        return Verdict(where, (problem,))
    try:
        conversation = Conversation.model_validate(raw)
    except ValidationError as exc:
        problems = tuple(
            Problem("schema", err["msg"], ".".join(str(p) for p in err["loc"]))
            for err in exc.errors(include_url=False)[:5]
        )
        return Verdict(fallback, problems)
    if (chars := conversation_chars(conversation)) > MAX_CONVERSATION_CHARS:  # bounds dedupe's memory
        detail = f"{chars:,} characters (limit {MAX_CONVERSATION_CHARS:,}); split or shorten it"
        return Verdict(conversation.id, (Problem("runaway", detail),))
    return Verdict(conversation.id, (), conversation)


def _bad(where: str, code: str, detail: str) -> Verdict:
    return Verdict(where, (Problem(code, detail),))


def _decode(raw_line: bytes, where: str) -> str | Verdict:
    try:
        return raw_line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _bad(where, "encoding", f"not UTF-8 (byte {exc.start}); re-save the file as UTF-8")


TOO_DEEP = "not JSON this program reads: nested too deeply (a conversation is a few levels deep)"


def _jsonl_items(name: str, data: bytes) -> Iterator[tuple[int, Any | Verdict]]:
    for number, raw_line in enumerate(data.split(b"\n"), 1):
        where = f"{name}:{number}"
        text = _decode(raw_line.removeprefix(b"\xef\xbb\xbf") if number == 1 else raw_line, where)
        if isinstance(text, Verdict):
            yield number, text
            continue
        if not text.strip():
            continue
        try:
            yield number, json.loads(text)
        except json.JSONDecodeError as exc:
            yield number, _bad(where, "schema", f"not JSON: {exc.msg} at column {exc.colno}")
        except RecursionError:
            yield number, _bad(where, "schema", TOO_DEEP)


def _array_items(name: str, text: str) -> Iterator[tuple[int, Any | Verdict]]:
    """Items of a JSON array with the line each starts on (json.load would lose the lines)."""
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    line = 1 + text.count("\n", 0, pos)
    while True:
        start = pos
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        line += text.count("\n", start, pos)
        if pos >= len(text):
            yield line, _bad(f"{name}:{line}", "schema", "the JSON array is not closed with ']'")
            return
        if text[pos] == "]":
            return
        try:
            item, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            detail = f"not JSON: {exc.msg} (line {exc.lineno}); the rest of the array is skipped"
            yield line, _bad(f"{name}:{line}", "schema", detail)
            return
        except RecursionError:
            yield line, _bad(f"{name}:{line}", "schema", f"{TOO_DEEP}; the rest of the array is skipped")
            return
        yield line, item
        line += text.count("\n", pos, end)
        pos = end


def iter_records(path: Path, *, check: bool = True) -> Iterator[Record]:
    """Every conversation in one file. `check=False` parses the schema only (fast, for merging)."""
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise InputError(f"{path} is a directory; pass the conversation files inside it.") from None
    except OSError as exc:
        raise InputError(f"Cannot read {path}: {exc.strerror or exc}. Check the path.") from exc
    name = str(path)
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    items: Iterable[tuple[int, Any | Verdict]]
    if head == b"[" or (path.suffix == ".json" and head == b"{"):
        text = _decode(data.removeprefix(b"\xef\xbb\xbf"), f"{name}:1")
        if isinstance(text, Verdict):
            items = [(1, text)]
        elif head == b"[":
            items = _array_items(name, text)
        else:
            items = _one_object(name, text, data)
    else:
        items = _jsonl_items(name, data)
    for line, item in items:
        verdict = item if isinstance(item, Verdict) else _check(item, f"{name}:{line}", check)
        yield Record(name, line, verdict)


def _one_object(name: str, text: str, data: bytes) -> Iterable[tuple[int, Any | Verdict]]:
    """A .json file with one (maybe pretty-printed) object; JSONL saved as .json still reads."""
    try:
        return [(1, json.loads(text))]
    except json.JSONDecodeError:
        return _jsonl_items(name, data)
    except RecursionError:
        return [(1, _bad(f"{name}:1", "schema", TOO_DEEP))]


def _check(raw: Any, where: str, check: bool) -> Verdict:
    if not isinstance(raw, dict):
        return _bad(where, "schema", f"expected a JSON object, got {type(raw).__name__}")
    return validate_data(raw, where=where) if check else _schema_only(raw, where)


def read_records(paths: Sequence[Path], *, check: bool = True) -> list[Record]:
    """All records of all files, in order; raises InputError when there is nothing to read."""
    if not paths:
        raise InputError("Give at least one conversation file (JSONL, or a .json array).")
    records = [record for path in paths for record in iter_records(path, check=check)]
    if not records:
        names = ", ".join(str(p) for p in paths)
        raise InputError(f"No conversations in {names}: expected one JSON object per line.")
    return records


def to_json_line(conversation: Conversation) -> str:
    return json.dumps(conversation.model_dump(mode="json", exclude_none=True), ensure_ascii=False)


def _temp_beside(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(name, 0o644)  # mkstemp's 0600 would survive the rename
    return Path(name)


def write_lines_atomic(path: Path, lines: Iterable[str]) -> int:
    """Write lines to a temp file beside `path`, then rename: a reader never sees half a file."""
    temp = _temp_beside(path)
    count = 0
    try:
        with temp.open("w", encoding="utf-8", newline="\n") as handle:
            for line in lines:
                handle.write(line + "\n")
                count += 1
            handle.flush()
            os.fsync(handle.fileno())  # the rename must not land before the data (resume relies on it)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return count


def write_bytes_atomic(path: Path, data: bytes) -> None:
    temp = _temp_beside(path)
    try:
        temp.write_bytes(data)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


@dataclass
class MergeResult:
    """What `merge` kept and why the rest went."""

    kept: list[Conversation]
    read: int
    invalid: list[Record]
    exact_dups: int
    near_dups: int
    renamed: int
    dropped: list[tuple[Record, str, str]] = field(default_factory=list)  # (dup, kind, kept id)

    def counts(self) -> dict[str, int]:
        return {
            "read": self.read,
            "invalid_lines": len(self.invalid),
            "exact_dups": self.exact_dups,
            "near_dups": self.near_dups,
            "kept": len(self.kept),
            "renamed_ids": self.renamed,
        }


def _unique_ids(ids: Sequence[str]) -> list[str]:
    """The first of each id stays; a later clash becomes ``id.2``, ``id.3``... (never an existing id)."""
    originals, taken, out = set(ids), set[str](), []
    for original in ids:
        new_id, n = original, 1
        while new_id in taken or (new_id != original and new_id in originals):
            n += 1
            new_id = f"{original[: 120 - len(str(n)) - 1]}.{n}"
        taken.add(new_id)
        out.append(new_id)
    return out


def merge(records: Sequence[Record], *, threshold: float = 0.8) -> MergeResult:
    """Drop exact and near duplicates (first one wins) and record every source on the survivor.

    Valid records are preferred as survivors when records carry content verdicts, so a reject never
    pushes out its clean twin. Ids that collide across files get a ``.N`` suffix (the original id stays
    in the sources) because trainers and the held-out split need unique ids.
    """
    from finetune.dedupe import conversation_text, find_duplicates

    parsed = [r for r in records if r.conversation is not None]
    invalid = [r for r in records if r.conversation is None]
    texts = [conversation_text(r.conversation) for r in parsed if r.conversation is not None]
    found = find_duplicates(texts, threshold=threshold, prefer=[r.ok for r in parsed])
    new_ids = dict(zip(found.kept, _unique_ids([parsed[i].id for i in found.kept]), strict=True))
    sources: dict[int, list[dict[str, Any]]] = {i: parsed[i].sources() for i in found.kept}
    dropped: list[tuple[Record, str, str]] = []
    for index, (keeper, kind) in sorted(found.duplicate_of.items()):
        sources[keeper].extend(parsed[index].sources())
        dropped.append((parsed[index], kind, new_ids[keeper]))
    kept: list[Conversation] = []
    for index, new_id in new_ids.items():
        conversation = parsed[index].conversation
        assert conversation is not None
        provenance = {**conversation.provenance, "sources": sources[index]}
        kept.append(conversation.model_copy(update={"id": new_id, "provenance": provenance}))
    renamed = sum(1 for i, new_id in new_ids.items() if parsed[i].id != new_id)
    kinds = Counter(kind for _, kind, _ in dropped)
    return MergeResult(kept, len(records), invalid, kinds["exact"], kinds["near"], renamed, dropped)
