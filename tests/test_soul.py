"""Activation goes through the model server: hot-load, check it is served, record, use it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from koclaw import soul
from koclaw.agent import Inbound
from koclaw.app import open_app
from koclaw.config import load_settings
from koclaw.errors import InputError, ModelError
from koclaw.events import Event
from tests.conftest import run_koclaw
from tests.fakes.openai_server import FakeOpenAIServer, Reply
from tests.memory.test_soul import adapter_dir


async def _ignore(event: Event) -> None:
    pass


def test_activate_hot_loads_and_new_turns_use_it(server: FakeOpenAIServer, tmp_path: Path) -> None:
    async def go() -> tuple[str, str | None]:
        async with open_app(load_settings()) as app:
            app.soul.register("kokoron-v2", adapter_dir(tmp_path, "v2"))
            await soul.activate(app.soul, app.model, "kokoron-v2", "test")
            await app.runtime.submit(Inbound("cli", "c", "u", "hello"), _ignore)
            return server.chat_requests[-1]["model"], app.soul.active()

    used, active = asyncio.run(go())
    assert (used, active) == ("kokoron-v2", "kokoron-v2")
    assert server.adapters_loaded == [
        {"lora_name": "kokoron-v2", "lora_path": str((tmp_path / "v2").resolve())}
    ]

    async def restart() -> str:  # the active Soul survives a restart
        async with open_app(load_settings()) as app:
            server.add(Reply(chunks=["hi"]))
            await app.runtime.submit(Inbound("cli", "c", "u", "again"), _ignore)
            return str(server.chat_requests[-1]["model"])

    assert asyncio.run(restart()) == "kokoron-v2"


def test_rollback_and_its_limits(server: FakeOpenAIServer, tmp_path: Path) -> None:
    async def go() -> list[str]:
        async with open_app(load_settings()) as app:
            for name in ("v1", "v2"):
                app.soul.register(name, adapter_dir(tmp_path, name))
            with pytest.raises(InputError, match="Nothing to roll back to"):
                await soul.rollback(app.soul, app.model, "test")
            await soul.activate(app.soul, app.model, "v1", "test")
            await soul.activate(app.soul, app.model, "v2", "test")
            back = await soul.rollback(app.soul, app.model, "test")  # v1 is already loaded: fine
            return [back.name, str(app.soul.active())]

    assert asyncio.run(go()) == ["v1", "v1"]


def test_nothing_is_recorded_when_the_server_refuses(dead_url: str, tmp_path: Path) -> None:
    async def go() -> str | None:
        async with open_app(load_settings()) as app:
            app.soul.register("v1", adapter_dir(tmp_path, "v1"))
            with pytest.raises(ModelError, match="vllm serve"):
                await soul.activate(app.soul, app.model, "v1", "test")
            return app.soul.active()

    assert asyncio.run(go()) is None


def test_soul_cli(server: FakeOpenAIServer, tmp_path: Path) -> None:
    folder = adapter_dir(tmp_path, "v2", {"base_model": "Qwen/Qwen3.5-27B", "eval": {"addressing": 0.97}})
    assert "Registered kokoron-v2" in run_koclaw("soul", "register", "kokoron-v2", str(folder)).stdout
    bad = run_koclaw("soul", "register", "kokoron-v3", str(tmp_path))
    assert bad.returncode == 2 and "adapter_config.json" in bad.stderr
    assert "(not loaded)" in run_koclaw("soul", "list").stdout
    assert run_koclaw("soul", "activate", "kokoron-v2", "--by", "ops").returncode == 0
    listed = run_koclaw("soul", "list").stdout
    assert "* kokoron-v2 on Qwen/Qwen3.5-27B (served)" in listed and "active: kokoron-v2" in listed
    data = json.loads(run_koclaw("soul", "list", "--json").stdout)
    assert data["active"] == "kokoron-v2" and data["adapters"][0]["manifest"]["eval"]["addressing"] == 0.97
    assert "by cli:ops" in run_koclaw("soul", "history").stdout
    nothing = run_koclaw("soul", "rollback")
    assert nothing.returncode == 2 and "Nothing to roll back to" in nothing.stderr


def test_an_adapter_that_changes_nothing_is_refused_and_the_old_soul_keeps_serving(
    server: FakeOpenAIServer, tmp_path: Path
) -> None:
    async def go() -> tuple[str | None, str]:
        async with open_app(load_settings()) as app:
            app.soul.register("v1", adapter_dir(tmp_path, "v1"))
            app.soul.register("v2", adapter_dir(tmp_path, "v2"))
            await soul.activate(app.soul, app.model, "v1", "test")
            server.adapters_change_output = False  # v2's keys miss the server's modules
            with pytest.raises(ModelError, match="changes nothing") as info:
                await soul.activate(app.soul, app.model, "v2", "test")
            assert "check-adapter" in str(info.value)
            return app.soul.active(), await app.model.model_name()

    assert asyncio.run(go()) == ("v1", "v1")


@pytest.mark.parametrize("damage", ["config", "weights", "corrupt"])
def test_missing_or_corrupt_adapter_files_give_a_clear_error(
    server: FakeOpenAIServer, tmp_path: Path, damage: str
) -> None:
    folder = adapter_dir(tmp_path, "v1")

    async def go() -> str:
        async with open_app(load_settings()) as app:
            app.soul.register("v1", folder)
            if damage == "config":
                (folder / "adapter_config.json").unlink()
            elif damage == "weights":
                (folder / "adapter_model.safetensors").unlink()
            else:
                (folder / "adapter_config.json").write_text("{nope")
            with pytest.raises(InputError) as info:
                await soul.activate(app.soul, app.model, "v1", "test")
            assert app.soul.active() is None and server.adapters_loaded == []
            return str(info.value)

    message = asyncio.run(go())
    assert str(folder) in message and ("retrain" in message or "restore" in message)


def test_soul_show_lists_manifest_metrics_and_evaluations(tmp_path: Path) -> None:
    from memory.soul import SoulRegistry

    manifest = {"base_model": "tiny", "created": "2026-11-25T00:00:00+00:00", "metrics": {"eval_loss": 8.4}}
    folder = adapter_dir(tmp_path, "v1", manifest)
    assert run_koclaw("soul", "register", "v1", str(folder)).returncode == 0
    before = run_koclaw("soul", "show", "v1")
    assert before.returncode == 0 and "eval_loss 8.4" in before.stdout
    assert "no evaluation yet" in before.stdout
    registry = SoulRegistry(load_settings().soul_db)
    assert registry.find_by_path(folder) is not None
    registry.record_evaluation("v1", True, {"scores": {"candidate": {"addressing": 0.75}}})
    registry.close()
    shown = run_koclaw("soul", "show", "v1", "--json")
    data = json.loads(shown.stdout)
    assert data["evaluations"][0]["passed"] is True
    assert data["evaluations"][0]["report"]["scores"]["candidate"]["addressing"] == 0.75
    assert "gate passed; addressing 0.750" in run_koclaw("soul", "show", "v1").stdout
    missing = run_koclaw("soul", "show", "nope")
    assert missing.returncode == 2 and "No adapter named 'nope'" in missing.stderr


def test_register_refuses_a_deep_or_huge_manifest_clearly(tmp_path: Path) -> None:
    deep = adapter_dir(tmp_path, "deep")
    (deep / "manifest.json").write_text('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    refused = run_koclaw("soul", "register", "deep", str(deep))
    assert refused.returncode == 2 and "nested too deeply" in refused.stderr
    assert "Traceback" not in refused.stderr
    huge = adapter_dir(tmp_path, "huge")
    (huge / "manifest.json").write_text(json.dumps({"notes": "x" * 2_000_000}))
    refused = run_koclaw("soul", "register", "huge", str(huge))
    assert refused.returncode == 2 and "limit for a manifest" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert "registered: none yet" in run_koclaw("soul", "show", "huge").stderr  # nothing was recorded


def test_a_vllm_copy_is_served_and_its_transformers_twin_is_evaluated(tmp_path: Path) -> None:
    """What a retrain registers for Qwen3.5-27B: `adapter-vllm/` (the server loads `path`), whose manifest
    names `adapter/`, the folder evaluation loads; an evaluation of either folder attaches to it."""
    from memory.soul import SoulRegistry

    twin = adapter_dir(tmp_path / "run", "adapter", {"base_model": "Qwen/Qwen3.5-27B"})
    served = adapter_dir(tmp_path / "run", "adapter-vllm", {"transformers_adapter": str(twin)})
    registry = SoulRegistry(load_settings().soul_db)
    try:
        adapter = registry.register("kokoron-r1", served)
        assert (adapter.path, adapter.eval_path) == (str(served.resolve()), str(twin))
        assert registry.find_by_path(twin) == registry.find_by_path(served) == adapter
        plain = registry.register("kokoron-r0", twin)
        assert plain.eval_path == plain.path
    finally:
        registry.close()
