"""The Soul tier's registry: which LoRA adapters exist, what each was made from, which one is active.

The weights stay where training wrote them; the registry keeps their paths, their manifests and
an append-only history of activations, so a rollback knows what was active before. Loading an
adapter into the model server is the `ChatModel`'s job; `koclaw.soul` ties the two together.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from koclaw.errors import InputError
from memory.db import Migrations, open_db
from memory.session import now_iso

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
migrations = Migrations("soul")


@migrations
def m001_adapters_and_activations(db: sqlite_utils.Database) -> None:
    db.table("adapters").create(
        {"name": str, "path": str, "base_model": str, "manifest": str, "registered_at": str},
        pk="name",
        not_null={"path", "registered_at"},
    )
    db.table("activations").create(
        {"id": int, "name": str, "activated_at": str, "by": str},
        pk="id",
        foreign_keys=[("name", "adapters", "name")],
    )


@migrations
def m002_evaluations(db: sqlite_utils.Database) -> None:
    db.table("evaluations").create(
        {"id": int, "name": str, "evaluated_at": str, "passed": int, "report": str},
        pk="id",
        foreign_keys=[("name", "adapters", "name")],
    )


@dataclass(frozen=True, slots=True)
class Adapter:
    name: str
    path: str
    registered_at: str
    base_model: str | None = None
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def eval_path(self) -> str:
        """The folder transformers loads (evaluation, the test server). `path` is what the model server
        loads: for Qwen3.5-27B that is the vLLM copy (``adapter-vllm/``, wrapper key names), whose manifest
        names its transformers twin (``transformers_adapter``)."""
        twin = self.manifest.get("transformers_adapter")
        return str(twin) if isinstance(twin, str) and twin else self.path


class SoulRegistry:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = open_db(path, migrations)

    def close(self) -> None:
        self.db.conn.close()

    def register(self, name: str, adapter_dir: Path) -> Adapter:
        """Record an adapter folder (a PEFT adapter; its `manifest.json` is read when present)."""
        if not NAME.match(name):
            raise InputError(
                f"Bad adapter name {name!r}: use 1-64 letters, digits, '.', '_' or '-', e.g. kokoron-v2."
            )
        # The same check `activate` runs: a folder it would refuse is never listed or served.
        folder = check_adapter_files(adapter_dir).resolve()
        if self._row(name) is not None:
            raise InputError(f"An adapter named {name!r} is already registered; pick another name.")
        manifest = _read_manifest(folder)
        base = manifest.get("base_model") or _base_from_config(folder)
        try:
            stored = json.dumps(manifest, ensure_ascii=False)
        except (RecursionError, ValueError):
            path = folder / "manifest.json"
            raise InputError(f"{path} is nested too deeply to store; flatten it or remove it.") from None
        with self.db.conn:
            self.db.table("adapters").insert(
                {
                    "name": name,
                    "path": str(folder),
                    "base_model": base,
                    "manifest": stored,
                    "registered_at": now_iso(),
                }
            )
        return self.get(name)

    def get(self, name: str) -> Adapter:
        row = self._row(name)
        if row is None:
            known = ", ".join(a.name for a in self.adapters()) or "none yet"
            raise InputError(f"No adapter named {name!r} (registered: {known}).")
        return _adapter(row)

    def adapters(self) -> list[Adapter]:
        rows = self.db.execute("SELECT * FROM adapters ORDER BY registered_at, name").fetchall()
        names = [d[0] for d in self.db.execute("SELECT * FROM adapters LIMIT 0").description]
        return [_adapter(dict(zip(names, row, strict=True))) for row in rows]

    def record_activation(self, name: str, by: str) -> None:
        self.get(name)
        with self.db.conn:
            self.db.table("activations").insert({"name": name, "activated_at": now_iso(), "by": by})

    def active(self) -> str | None:
        row = self.db.execute("SELECT name FROM activations ORDER BY id DESC LIMIT 1").fetchone()
        return str(row[0]) if row else None

    def previous(self) -> str | None:
        """The adapter that was active before the current one (the rollback target)."""
        current = self.active()
        row = self.db.execute(
            "SELECT name FROM activations WHERE name != ? ORDER BY id DESC LIMIT 1", [current]
        ).fetchone()
        return str(row[0]) if row else None

    def history(self, limit: int = 20) -> list[dict[str, Any]]:
        cur = self.db.execute(
            "SELECT id, name, activated_at, by FROM activations ORDER BY id DESC LIMIT ?", [limit]
        )
        return [dict(zip(("id", "name", "activated_at", "by"), row, strict=True)) for row in cur.fetchall()]

    def find_by_path(self, folder: Path) -> Adapter | None:
        """The registered adapter whose folder this is, served or evaluated (eval results attach to it)."""
        target = str(folder.expanduser().resolve())
        found = [a for a in self.adapters() if target in (a.path, str(Path(a.eval_path).resolve()))]
        return found[0] if found else None

    def record_evaluation(self, name: str, passed: bool, report: dict[str, Any]) -> None:
        self.get(name)
        row = {"name": name, "evaluated_at": now_iso(), "passed": int(passed), "report": json.dumps(report)}
        with self.db.conn:
            self.db.table("evaluations").insert(row)

    def evaluations(self, name: str, limit: int = 5) -> list[dict[str, Any]]:
        """The adapter's newest evaluations: when, whether the gate passed, and the full report."""
        cur = self.db.execute(
            "SELECT evaluated_at, passed, report FROM evaluations WHERE name = ? ORDER BY id DESC LIMIT ?",
            [name, limit],
        )
        return [
            {"evaluated_at": at, "passed": bool(passed), "report": json.loads(report)}
            for at, passed, report in cur.fetchall()
        ]

    def _row(self, name: str) -> dict[str, Any] | None:
        cur = self.db.execute("SELECT * FROM adapters WHERE name = ?", [name])
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None


ADAPTER_WEIGHTS = ("adapter_model.safetensors", "adapter_model.bin")


def check_adapter_files(folder: Path) -> Path:
    """The adapter folder, or an InputError naming what is missing or broken and what to do."""
    folder = folder.expanduser()
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder: pass the adapter folder that training wrote.")
    config = folder / "adapter_config.json"
    if not config.is_file():
        raise InputError(
            f"{folder} has no adapter_config.json: restore the PEFT adapter folder or retrain it."
        )
    try:
        json.loads(config.read_text(encoding="utf-8"))
    except RecursionError:
        raise InputError(f"{config} is nested too deeply: restore the adapter or retrain it.") from None
    except ValueError as exc:
        raise InputError(f"{config} is corrupt ({exc}): restore the adapter or retrain it.") from None
    if not any((folder / name).is_file() for name in ADAPTER_WEIGHTS):
        raise InputError(f"{folder} has no adapter weights (adapter_model.safetensors): retrain it.")
    return folder


def _adapter(row: dict[str, Any]) -> Adapter:
    return Adapter(
        name=row["name"],
        path=row["path"],
        registered_at=row["registered_at"],
        base_model=row["base_model"],
        manifest=json.loads(row["manifest"] or "{}"),
    )


MAX_MANIFEST_BYTES = 1024 * 1024  # training writes a few KB; the registry copies it into every listing


def _read_manifest(folder: Path) -> dict[str, Any]:
    """The folder's manifest.json as a dict ({} without one), or an InputError saying what to fix."""
    path = folder / "manifest.json"
    if not path.is_file():
        return {}
    try:
        size = path.stat().st_size
        if size > MAX_MANIFEST_BYTES:
            raise InputError(
                f"{path} is {size:,} bytes, over the {MAX_MANIFEST_BYTES:,}-byte limit for a manifest: "
                "keep it to metadata (base, data, config, metrics) and move the rest to another file."
            )
        data = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise InputError(f"{path} is nested too deeply to read; flatten it or remove it.") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path} is not valid JSON ({exc}); fix it or remove it.") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path} must hold a JSON object.")
    return data


def _base_from_config(folder: Path) -> str | None:
    try:
        config = json.loads((folder / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    base = config.get("base_model_name_or_path") if isinstance(config, dict) else None
    return str(base) if base else None
