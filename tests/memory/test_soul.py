from __future__ import annotations

import json
from pathlib import Path

import pytest

from koclaw.errors import InputError
from memory.soul import SoulRegistry


def adapter_dir(root: Path, name: str, manifest: dict[str, object] | None = None) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "Qwen/Qwen3.5-27B"}))
    (folder / "adapter_model.safetensors").write_bytes(b"weights")  # the server fake never reads them
    if manifest is not None:
        (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture
def registry(tmp_path: Path) -> SoulRegistry:
    return SoulRegistry(tmp_path / "soul.db")


def test_register_reads_manifest_and_base(registry: SoulRegistry, tmp_path: Path) -> None:
    a = registry.register("kokoron-v1", adapter_dir(tmp_path, "a"))
    assert a.base_model == "Qwen/Qwen3.5-27B" and a.manifest == {}
    b = registry.register("kokoron-v2", adapter_dir(tmp_path, "b", {"base_model": "tiny", "dataset": "h1"}))
    assert (b.base_model, b.manifest["dataset"]) == ("tiny", "h1")
    assert [x.name for x in registry.adapters()] == ["kokoron-v1", "kokoron-v2"]


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("bad name!", True, "Bad adapter name"),
        ("ok", False, "no adapter_config.json"),
    ],
)
def test_register_refuses_bad_input(
    registry: SoulRegistry, tmp_path: Path, name: str, make: bool, message: str
) -> None:
    folder = adapter_dir(tmp_path, "x") if make else tmp_path
    with pytest.raises(InputError, match=message):
        registry.register(name, folder)
    assert registry.adapters() == []


def test_duplicates_and_broken_manifests_are_refused(registry: SoulRegistry, tmp_path: Path) -> None:
    registry.register("v1", adapter_dir(tmp_path, "a"))
    with pytest.raises(InputError, match="already registered"):
        registry.register("v1", adapter_dir(tmp_path, "b"))
    broken = adapter_dir(tmp_path, "c")
    (broken / "manifest.json").write_text("{nope")
    with pytest.raises(InputError, match="not valid JSON"):
        registry.register("v3", broken)


def test_active_previous_and_history(registry: SoulRegistry, tmp_path: Path) -> None:
    for name in ("v1", "v2"):
        registry.register(name, adapter_dir(tmp_path, name))
    assert registry.active() is None and registry.previous() is None
    registry.record_activation("v1", "cli:me")
    registry.record_activation("v2", "telegram:1")
    assert (registry.active(), registry.previous()) == ("v2", "v1")
    registry.record_activation("v1", "cli:me")  # a rollback is an activation too
    assert (registry.active(), registry.previous()) == ("v1", "v2")
    assert [h["name"] for h in registry.history()] == ["v1", "v2", "v1"]
    with pytest.raises(InputError, match="No adapter named 'v9'"):
        registry.record_activation("v9", "cli:me")
