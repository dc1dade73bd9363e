from __future__ import annotations

from pathlib import Path

import pytest

from koclaw.config import load_settings, masked
from koclaw.errors import ConfigError


def test_defaults_and_env(monkeypatch: pytest.MonkeyPatch, koclaw_home: Path) -> None:
    s = load_settings()
    assert s.home == koclaw_home and s.llm.thinking is True
    monkeypatch.setenv("KOCLAW_LLM__THINKING", "false")
    monkeypatch.setenv("KOCLAW_LLM__BASE_URL", "http://gpu-box:8000/v1/")
    monkeypatch.setenv("KOCLAW_LLM__MODEL", "kokoron-v2")
    s = load_settings()
    assert (s.llm.thinking, s.llm.base_url, s.llm.model) == (False, "http://gpu-box:8000/v1", "kokoron-v2")


def test_toml_file_is_read_and_env_wins(monkeypatch: pytest.MonkeyPatch, koclaw_home: Path) -> None:
    koclaw_home.mkdir(parents=True)
    (koclaw_home / "config.toml").write_text('[llm]\nmodel = "from-file"\ncontext_tokens = 4096\n')
    assert load_settings().llm.model == "from-file"
    monkeypatch.setenv("KOCLAW_LLM__MODEL", "from-env")
    s = load_settings()
    assert (s.llm.model, s.llm.context_tokens) == ("from-env", 4096)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("KOCLAW_LLM__THINKING", "maybe"),
        ("KOCLAW_LLM__BASE_URL", "localhost:8000"),
        ("KOCLAW_LLM__CONTEXT_TOKENS", "lots"),
        ("KOCLAW_TIMEZONE", "Mars/Olympus_Mons"),  # was taken, and failed only when a reminder was set
    ],
)
def test_bad_value_names_the_key(monkeypatch: pytest.MonkeyPatch, key: str, value: str) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.count("\n") == 0 and key in message


def test_broken_toml_names_the_file(koclaw_home: Path) -> None:
    koclaw_home.mkdir(parents=True)
    (koclaw_home / "config.toml").write_text("[llm\nmodel=")
    with pytest.raises(ConfigError, match=r"config\.toml is not valid TOML"):
        load_settings()


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOCLAW_LLM__API_KEY", "sk-very-secret-value-1234")
    monkeypatch.setenv("KOCLAW_RETRAIN__TEACHER_API_KEY", "sk-teacher-secret-value-5678")
    shown = str(masked(load_settings()))
    assert "very-secret" not in shown and "teacher-secret" not in shown and "****" in shown
