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
        # taken, then a traceback from aiohttp or logging at the first request or log line:
        ("KOCLAW_LLM__READ_TIMEOUT_S", "inf"),
        ("KOCLAW_LLM__CONNECT_TIMEOUT_S", "inf"),
        ("KOCLAW_HTTP__HEADER_TIMEOUT_S", "Infinity"),
        ("KOCLAW_RETRAIN__POLL_S", "inf"),
        ("KOCLAW_LOG_LEVEL", "bogus"),
        ("KOCLAW_LLM__BASE_URL", "http://admin:hunter2-secret@127.0.0.1:8000/v1"),
        ("KOCLAW_RETRAIN__TEACHER_URL", "https://me:hunter2-secret@teacher.example/v1"),
        ("KOCLAW_MEMORY__CHROMA_URL", "http://me:hunter2-secret@127.0.0.1:8001"),
        ("KOCLAW_MEMORY__EMBEDDER", "openai:http://me:hunter2-secret@127.0.0.1:8002/v1#e5"),
        ("KOCLAW_TELEGRAM__BASE_URL", "https://me:hunter2-secret@bots.example/bot"),
    ],
)
def test_bad_value_names_the_key(
    monkeypatch: pytest.MonkeyPatch, koclaw_home: Path, key: str, value: str
) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.count("\n") == 0 and key in message
    assert "hunter2" not in message


def test_log_levels_are_taken_in_any_case(monkeypatch: pytest.MonkeyPatch, koclaw_home: Path) -> None:
    monkeypatch.setenv("KOCLAW_LOG_LEVEL", " debug ")
    assert load_settings().log_level == "DEBUG"


def test_the_older_embedder_form_with_an_at_sign_still_works(
    monkeypatch: pytest.MonkeyPatch, koclaw_home: Path
) -> None:
    monkeypatch.setenv("KOCLAW_MEMORY__EMBEDDER", "openai:e5@http://127.0.0.1:8002/v1")
    assert load_settings().memory.embedder == "openai:e5@http://127.0.0.1:8002/v1"


@pytest.mark.parametrize("kind", ["directory", "fifo", "device", "huge"])
def test_a_config_that_is_not_a_small_regular_file_is_one_line(koclaw_home: Path, kind: str) -> None:
    """A FIFO hung every command; /dev/zero filled the memory; a directory was a traceback."""
    import os

    koclaw_home.mkdir(parents=True)
    config = koclaw_home / "config.toml"
    if kind == "directory":
        config.mkdir()
    elif kind == "fifo":
        os.mkfifo(config)
    elif kind == "device":
        config.symlink_to("/dev/zero")
    else:
        config.write_text("# " + "x" * (2 * 1024 * 1024) + "\n")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "config.toml" in str(info.value) and str(info.value).count("\n") == 0


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


def test_a_secret_of_the_wrong_type_is_not_shown(koclaw_home: Path) -> None:
    koclaw_home.mkdir(parents=True)
    (koclaw_home / "config.toml").write_text('[llm]\napi_key = ["sk-hunter2-secret"]\n')
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "KOCLAW_LLM__API_KEY" in str(info.value) and "hunter2" not in str(info.value)


def test_the_secret_fields_are_every_secret_setting() -> None:
    from pydantic import BaseModel, SecretStr

    from koclaw.config import SECRET_FIELDS, Settings

    found = {
        key
        for table in Settings.model_fields.values()
        if isinstance(table.annotation, type) and issubclass(table.annotation, BaseModel)
        for key, field in table.annotation.model_fields.items()
        if field.annotation is SecretStr
    }
    assert found == SECRET_FIELDS


def test_a_key_pasted_with_spaces_is_read_without_them(
    monkeypatch: pytest.MonkeyPatch, koclaw_home: Path
) -> None:
    """With the spaces, the HTTP channel came up and refused every client (it strips what they send)."""
    monkeypatch.setenv("KOCLAW_HTTP__API_KEY", " sk-pasted-key \n")
    assert load_settings().http.api_key.get_secret_value() == "sk-pasted-key"
    monkeypatch.setenv("KOCLAW_HTTP__API_KEY", "   ")
    with pytest.raises(ConfigError, match=r"KOCLAW_HTTP__API_KEY.*only spaces"):
        load_settings()
