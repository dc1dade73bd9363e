"""The teacher: any OpenAI-compatible endpoint, behind a rate limit, with retries and a cost tally.

Why our own retry loop instead of the openai client's: the generator must count every retry and
token for the report, honour ``Retry-After``, and share one request budget across all workers.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import openai

from koclaw.errors import KoclawError

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class TeacherError(KoclawError):
    """The teacher refused a request for good (a 4xx other than rate limiting), or kept failing."""


class TeacherUnusable(TeacherError):
    """The teacher cannot be used at all (bad key, unknown model): stop the run instead of retrying."""


@dataclass
class TeacherSettings:
    base_url: str
    model: str
    api_key: str = "EMPTY"
    temperature: float = 0.9
    max_tokens: int = 2048
    timeout_s: float = 120.0
    max_retries: int = 6
    backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    requests_per_minute: float = 60.0
    json_mode: bool = False
    price_in_per_m: float = 0.0  # price per million prompt tokens, in any currency
    price_out_per_m: float = 0.0


@dataclass
class Tally:
    """What the run spent: requests, retries by cause, tokens and cost."""

    requests: int = 0
    retries: Counter[str] = field(default_factory=Counter)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    price_in_per_m: float = 0.0
    price_out_per_m: float = 0.0

    @property
    def cost(self) -> float:
        spent = self.prompt_tokens * self.price_in_per_m + self.completion_tokens * self.price_out_per_m
        return spent / 1e6

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": dict(self.retries),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost": round(self.cost, 6),
        }


class RateLimiter:
    """Spaces requests evenly at `per_minute` (no bursts), shared by every worker of a run."""

    def __init__(self, per_minute: float) -> None:
        if per_minute <= 0:
            raise ValueError("requests per minute must be positive")
        self.interval = 60.0 / per_minute
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)

    def hold(self, seconds: float) -> None:
        """Push every later request back (the server said 429 with Retry-After)."""
        self._next = max(self._next, time.monotonic() + seconds)


class Teacher:
    def __init__(self, settings: TeacherSettings, *, tally: Tally | None = None) -> None:
        self.settings = settings
        self.tally = tally or Tally(
            price_in_per_m=settings.price_in_per_m, price_out_per_m=settings.price_out_per_m
        )
        self.limiter = RateLimiter(settings.requests_per_minute)
        self._client = openai.AsyncOpenAI(
            base_url=settings.base_url, api_key=settings.api_key, timeout=settings.timeout_s, max_retries=0
        )

    async def close(self) -> None:
        await self._client.close()

    async def complete(self, messages: list[dict[str, str]]) -> str:
        """The assistant text for `messages`, retrying 429/5xx/timeouts with jittered backoff."""
        extra: dict[str, Any] = {}
        if self.settings.json_mode:
            extra["response_format"] = {"type": "json_object"}
        for attempt in range(self.settings.max_retries + 1):
            await self.limiter.wait()
            self.tally.requests += 1
            try:
                response = await self._client.chat.completions.create(
                    model=self.settings.model,
                    messages=messages,  # type: ignore[arg-type]
                    temperature=self.settings.temperature,
                    max_tokens=self.settings.max_tokens,
                    **extra,
                )
            except openai.APIStatusError as exc:
                cause = str(exc.status_code)
                if exc.status_code in (401, 403, 404):
                    raise TeacherUnusable(_unusable(exc.status_code, self.settings)) from None
                if exc.status_code not in RETRYABLE_STATUS:
                    raise TeacherError(f"the teacher answered {exc.status_code}: {_message(exc)}") from None
                wait = _retry_after(exc)
            except openai.APITimeoutError:
                cause, wait = "timeout", None
            except openai.APIConnectionError:
                cause, wait = "connection", None
            else:
                if response.usage:
                    self.tally.prompt_tokens += response.usage.prompt_tokens
                    self.tally.completion_tokens += response.usage.completion_tokens
                return response.choices[0].message.content or "" if response.choices else ""
            if attempt == self.settings.max_retries:
                break
            self.tally.retries[cause] += 1
            delay = wait if wait is not None else self._backoff(attempt)
            if cause == "429":
                self.limiter.hold(delay)
            await asyncio.sleep(delay)
        raise TeacherError(
            f"the teacher kept failing ({cause}) after {self.settings.max_retries} retries; "
            "check the server, or lower --rpm / --concurrency"
        )

    def _backoff(self, attempt: int) -> float:
        base = min(self.settings.max_backoff_s, self.settings.backoff_s * 2**attempt)
        return float(base * (0.5 + random.random() / 2))


def _retry_after(exc: openai.APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after")
    try:
        return min(60.0, max(0.0, float(value))) if value is not None else None
    except ValueError:
        return None


def _message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or body)[:300]
    return str(exc.message)[:300]


def _unusable(status: int, settings: TeacherSettings) -> str:
    if status == 404:
        return (
            f"the teacher at {settings.base_url} has no model {settings.model!r} (404); "
            "pass --teacher-model with a model it serves"
        )
    return f"the teacher at {settings.base_url} refused the key ({status}); set KOCLAW_TEACHER_API_KEY"
