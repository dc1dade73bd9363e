"""The bot token stays out of logs while the Telegram channel runs.

python-telegram-bot puts the token in request URLs (which httpx logs at INFO) and in the text of
`InvalidToken`; a traceback can carry it too. Every log record is redacted as it is made, and the
URL-logging libraries are raised to WARNING.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

MASK = "<telegram-token>"
QUIET_LOGGERS = ("httpx", "httpcore", "telegram")


class TokenRedactor(logging.Filter):
    """Replaces the token (raw or URL-quoted) in a record's message, traceback and stack."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.secrets = sorted({token, quote(token, safe="")} - {""}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def _leaks(self, text: str | None) -> bool:
        return bool(text) and any(secret in text for secret in self.secrets)  # type: ignore[operator]

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call; still redact what is there
            message = str(record.msg)
        if self._leaks(message):
            record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            if self._leaks(text):
                record.exc_text = text  # formatters print exc_text instead of re-formatting
        if self._leaks(record.exc_text):
            record.exc_text = self.redact(record.exc_text or "")
        if self._leaks(record.stack_info):
            record.stack_info = self.redact(record.stack_info or "")
        return True


class _HandledRetryAfter(logging.Filter):
    """AIORateLimiter logs every flood wait at ERROR before raising it; the stream handles those."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Rate limit hit after maximum of")


def guard_logs(token: str) -> Callable[[], None]:
    """Redact `token` from every log record and quiet the URL-logging libraries; returns an undo."""
    redactor = TokenRedactor(token)
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redactor.filter(record)
        return record

    logging.setLogRecordFactory(factory)
    levels = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    for name, level in levels.items():
        if level < logging.WARNING:
            logging.getLogger(name).setLevel(logging.WARNING)
    limiter_log = logging.getLogger("telegram.ext.AIORateLimiter")
    quiet_limiter = _HandledRetryAfter()
    limiter_log.addFilter(quiet_limiter)

    def undo() -> None:
        if logging.getLogRecordFactory() is factory:
            logging.setLogRecordFactory(previous)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        limiter_log.removeFilter(quiet_limiter)

    return undo
