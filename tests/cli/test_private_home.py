"""What Koclaw stores is for its owner only, and `koclaw doctor` says when it is not (the real command)."""

from __future__ import annotations

import json
import os
import shlex
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_koclaw


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most systems start with (0644 files): the command must not rely on a stricter one."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.slow
def test_home_folders_and_files_are_created_owner_only(koclaw_home: Path, tmp_path: Path) -> None:
    data = tmp_path / "turns.jsonl"
    data.write_text(json.dumps({"text": "a secret", "speaker": "user"}) + "\n", encoding="utf-8")
    assert run_koclaw("memory", "long-term", "import", str(data), "--user", "u").returncode == 0
    assert run_koclaw("memory", "session", "list").returncode == 0
    assert (koclaw_home / "chroma").is_dir() and (koclaw_home / "session.db").is_file()
    assert (koclaw_home / "long_term.db").is_file()
    assert _mode(koclaw_home) == 0o700
    for path in koclaw_home.rglob("*"):
        if not path.is_symlink():
            assert _mode(path) & 0o077 == 0, f"{path} is {_mode(path):04o}"


def test_doctor_warns_about_an_open_home_and_a_readable_config_with_secrets(
    koclaw_home: Path, dead_url: str
) -> None:
    koclaw_home.mkdir(mode=0o755)
    config = koclaw_home / "config.toml"
    config.write_text('[telegram]\ntoken = "123456:secret-token-value"\n', encoding="utf-8")
    config.chmod(0o644)
    lines = run_koclaw("doctor").stdout.splitlines()
    home_warn = [line for line in lines if line.startswith("warn storage:")]
    config_warn = [line for line in lines if line.startswith("warn config:")]
    assert home_warn == [
        f"warn storage: {koclaw_home} (mode 0755) is open to other users, and it holds conversations "
        f"and memories. Run: chmod 700 {shlex.quote(str(koclaw_home))}"
    ]
    assert len(config_warn) == 1 and "telegram.token" in config_warn[0]
    assert config_warn[0].endswith(f"Run: chmod 600 {shlex.quote(str(config))}")
    assert "secret-token-value" not in "\n".join(lines)

    koclaw_home.chmod(0o700)
    config.chmod(0o600)
    lines = run_koclaw("doctor").stdout.splitlines()
    assert not [line for line in lines if line.startswith(("warn storage:", "warn config:"))]


def test_doctor_is_quiet_about_a_readable_config_without_secrets(koclaw_home: Path, dead_url: str) -> None:
    koclaw_home.mkdir(mode=0o700)
    config = koclaw_home / "config.toml"
    config.write_text('log_level = "INFO"\n[llm]\napi_key = "EMPTY"\n', encoding="utf-8")
    config.chmod(0o644)
    out = run_koclaw("doctor").stdout
    assert "warn config:" not in out and "warn storage:" not in out
