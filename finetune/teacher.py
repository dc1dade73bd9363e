"""The teacher: an OpenAI-compatible or Anthropic endpoint, behind rate limits, with retries and a tally.

Why our own HTTP client and retry loop instead of a vendor SDK: the generator must count every retry
and token for the report, honour ``Retry-After``, share one request and token budget across all
workers, and speak two APIs (OpenAI chat completions and Anthropic messages) the same way.

Why a cut answer is never returned: a reply that hit ``max_tokens`` is half a conversation, and
half-conversations that happen to parse would teach the Soul tier to stop mid-sentence. It is retried
once with a larger ``max_tokens``, then reported as :class:`TeacherTruncated`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import httpx

from koclaw.errors import KoclawError

Api = Literal["openai", "anthropic"]
APIS: tuple[Api, ...] = ("openai", "anthropic")
# 529: Anthropic "overloaded"; every other 5xx is retried too.
RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 529})
ANTHROPIC_VERSION = "2023-06-01"
MAX_RETRY_AFTER_S = 120.0


class TeacherError(KoclawError):
    """The teacher refused a request for good (a 4xx other than rate limiting), or kept failing."""


class TeacherUnusable(TeacherError):
    """The teacher cannot be used at all (bad key, unknown model): stop the run instead of retrying."""


class TeacherTruncated(TeacherError):
    """The answer hit max_tokens even after one retry with a larger limit: the sample is failed."""


@dataclass
class TeacherSettings:
    base_url: str
    model: str
    api_key: str = "EMPTY"
    api: Api = "openai"
    temperature: float = 0.9
    max_tokens: int = 2048
    length_retry_factor: float = 2.0  # a truncated answer is retried once with max_tokens times this
    timeout_s: float = 120.0
    max_retries: int = 6
    backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    requests_per_minute: float = 60.0
    # Connection refused / unknown host this many times in a row, for this long: stop the run. Both,
    # so that a network blip that fails every worker at once is retried, and a dead URL is not for long.
    max_unreachable: int = 3
    unreachable_s: float = 10.0
    tokens_per_minute: float = 0.0  # prompt + completion tokens; 0: no token budget
    json_mode: bool = False  # OpenAI only (Anthropic has no response_format)
    anthropic_version: str = ANTHROPIC_VERSION
    price_in_per_m: float = 0.0  # price per million prompt tokens, in any currency
    price_out_per_m: float = 0.0

    def __post_init__(self) -> None:
        if self.api not in APIS:
            raise ValueError(f"unknown teacher API {self.api!r}; use one of: {', '.join(APIS)}")
        if self.max_tokens < 1 or self.length_retry_factor < 1:
            raise ValueError("max_tokens must be at least 1 and length_retry_factor at least 1")
        if self.tokens_per_minute < 0:
            raise ValueError("tokens per minute must be 0 (no budget) or more")


@dataclass
class Tally:
    """What the run spent: requests, retries by cause, tokens and cost."""

    requests: int = 0
    retries: Counter[str] = field(default_factory=Counter)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    truncated: int = 0  # answers that hit max_tokens (each cost tokens, none was used)
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
            "truncated": self.truncated,
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


class TokenBudget:
    """A token bucket of `per_minute` tokens, refilled continuously and shared by every worker.

    Why reserve-then-settle: a request's size is known only after the answer, so each request
    reserves an estimate up front (its prompt and its max_tokens, capped at one minute's budget, so
    one large request cannot wait forever) and :meth:`settle` charges the difference afterwards. The
    bucket may go below zero; later requests then wait until it has refilled.
    """

    def __init__(self, per_minute: float, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute <= 0:
            raise ValueError("tokens per minute must be positive")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._level = self.capacity
        self._at = clock()
        self._lock = asyncio.Lock()

    def reserve(self, tokens: int) -> float:
        """Take `tokens` from the bucket; returns how many seconds to wait before sending."""
        now = self._clock()
        self._level = min(self.capacity, self._level + (now - self._at) * self.rate)
        self._at = now
        need = min(float(tokens), self.capacity)
        delay = max(0.0, (need - self._level) / self.rate)
        self._level -= need
        return delay

    def settle(self, reserved: int, used: int) -> None:
        """Charge what a request really used instead of what it reserved."""
        self._level -= used - min(float(reserved), self.capacity)

    async def wait(self, tokens: int) -> None:
        async with self._lock:
            delay = self.reserve(tokens)
        if delay > 0:
            await asyncio.sleep(delay)


@dataclass
class _Answer:
    text: str
    truncated: bool
    prompt_tokens: int
    completion_tokens: int


class _Retry(Exception):
    def __init__(self, cause: str, wait: float | None = None) -> None:
        super().__init__(cause)
        self.cause = cause
        self.wait = wait


class Teacher:
    def __init__(self, settings: TeacherSettings, *, tally: Tally | None = None) -> None:
        self.settings = settings
        self.tally = tally or Tally(
            price_in_per_m=settings.price_in_per_m, price_out_per_m=settings.price_out_per_m
        )
        self.limiter = RateLimiter(settings.requests_per_minute)
        self.tokens = TokenBudget(settings.tokens_per_minute) if settings.tokens_per_minute else None
        self._client = httpx.AsyncClient(timeout=settings.timeout_s)
        self._unreachable = 0  # connection failures in a row, across every worker
        self._unreachable_since = 0.0  # time.monotonic() of the streak's first

    async def close(self) -> None:
        await self._client.aclose()

    async def complete(self, messages: list[dict[str, str]]) -> str:
        """The assistant text for `messages`.

        Retries 429/5xx/529/timeouts with jittered backoff (or the server's Retry-After); retries a
        truncated answer once with a larger max_tokens, then raises :class:`TeacherTruncated`.
        """
        max_tokens = self.settings.max_tokens
        answer = await self._complete(messages, max_tokens)
        if not answer.truncated:
            return answer.text
        self.tally.retries["length"] += 1
        larger = int(max_tokens * self.settings.length_retry_factor)
        answer = await self._complete(messages, larger)
        if not answer.truncated:
            return answer.text
        raise TeacherTruncated(
            f"the teacher's answer was cut off at max_tokens {larger} (after one retry from {max_tokens}); "
            "raise --max-tokens or ask for shorter conversations"
        )

    async def _complete(self, messages: list[dict[str, str]], max_tokens: int) -> _Answer:
        url, headers, body = self._request(messages, max_tokens)
        estimate = _estimate_tokens(messages) + max_tokens
        cause = "?"
        for attempt in range(self.settings.max_retries + 1):
            await self.limiter.wait()
            if self.tokens:
                await self.tokens.wait(estimate)
            self.tally.requests += 1
            try:
                answer = await self._send(url, headers, body)
            except _Retry as retry:
                if self.tokens:
                    self.tokens.settle(estimate, 0)
                cause, wait = retry.cause, retry.wait
            else:
                self.tally.prompt_tokens += answer.prompt_tokens
                self.tally.completion_tokens += answer.completion_tokens
                self.tally.truncated += answer.truncated
                if self.tokens:
                    self.tokens.settle(estimate, answer.prompt_tokens + answer.completion_tokens)
                return answer
            if attempt == self.settings.max_retries:
                break
            self.tally.retries[cause] += 1
            delay = wait if wait is not None else self._backoff(attempt)
            if cause in ("429", "529"):
                self.limiter.hold(delay)
            await asyncio.sleep(delay)
        raise TeacherError(
            f"the teacher kept failing ({cause}) after {self.settings.max_retries} retries; "
            "check the server, or lower --rpm / --tpm / --concurrency"
        )

    def _request(self, messages: list[dict[str, str]], max_tokens: int) -> tuple[str, dict[str, str], Any]:
        s = self.settings
        base = s.base_url.rstrip("/")
        body: dict[str, Any] = {"model": s.model, "temperature": s.temperature, "max_tokens": max_tokens}
        if s.api == "anthropic":
            base = base.removesuffix("/v1")
            system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
            if system:
                body["system"] = system
            body["messages"] = [
                {"role": m["role"], "content": m["content"]} for m in messages if m["role"] != "system"
            ]
            headers = {"x-api-key": s.api_key, "anthropic-version": s.anthropic_version}
            return f"{base}/v1/messages", headers, body
        body["messages"] = messages
        if s.json_mode:
            body["response_format"] = {"type": "json_object"}
        return f"{base}/chat/completions", {"Authorization": f"Bearer {s.api_key}"}, body

    async def _send(self, url: str, headers: dict[str, str], body: Any) -> _Answer:
        try:
            response = await self._client.post(url, headers=headers, json=body)
        except httpx.TimeoutException:
            raise _Retry("timeout") from None
        except httpx.ConnectError as exc:
            # Nothing listens (or no such host): a restart is worth a few tries, not a run of retries.
            self._unreachable += 1
            if self._unreachable == 1:
                self._unreachable_since = time.monotonic()
            if (
                self._unreachable >= self.settings.max_unreachable
                and time.monotonic() - self._unreachable_since >= self.settings.unreachable_s
            ):
                why = (str(exc).strip().splitlines() or ["connection refused"])[0][:200]
                raise TeacherUnusable(
                    f"cannot reach the teacher at {self.settings.base_url}: {why}; "
                    "start it or fix --teacher-url"
                ) from None
            raise _Retry("connection") from None
        except httpx.TransportError:
            raise _Retry("connection") from None
        self._unreachable = 0
        status = response.status_code
        if status in (401, 403, 404):
            raise TeacherUnusable(_unusable(status, self.settings)) from None
        if status in RETRYABLE_STATUS or status >= 500:
            raise _Retry(str(status), _retry_after(response.headers))
        if status >= 400:
            detail = self._redact(_message(response))
            raise TeacherError(f"the teacher answered {status}: {detail}; check the request settings")
        try:
            data = response.json()
            return _parse_anthropic(data) if self.settings.api == "anthropic" else _parse_openai(data)
        except (ValueError, KeyError, TypeError, IndexError):
            raise _Retry("bad_response") from None  # a proxy's error page, a cut body

    def _backoff(self, attempt: int) -> float:
        base = min(self.settings.max_backoff_s, self.settings.backoff_s * 2**attempt)
        return float(base * (0.5 + random.random() / 2))

    def _redact(self, text: str) -> str:
        """No error message may carry the key, even when a server echoes the request back."""
        key = self.settings.api_key
        return text.replace(key, "[redacted]") if key and key != "EMPTY" else text


def _parse_openai(data: dict[str, Any]) -> _Answer:
    choice = data["choices"][0] if data.get("choices") else {}
    usage = data.get("usage") or {}
    return _Answer(
        text=(choice.get("message") or {}).get("content") or "",
        truncated=choice.get("finish_reason") == "length",
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
    )


def _parse_anthropic(data: dict[str, Any]) -> _Answer:
    if data.get("type") == "error":
        raise ValueError("an error object in a 200 answer")
    blocks = data["content"]
    usage = data.get("usage") or {}
    return _Answer(
        text="".join(b.get("text", "") for b in blocks if b.get("type") == "text"),
        truncated=data.get("stop_reason") == "max_tokens",
        prompt_tokens=int(usage.get("input_tokens") or 0),
        completion_tokens=int(usage.get("output_tokens") or 0),
    )


def _estimate_tokens(messages: list[dict[str, str]]) -> int:
    """A rough prompt size for the token budget (about 3 characters per token across zh/ja/en)."""
    return sum(len(m.get("content", "")) for m in messages) // 3 + 4 * len(messages)


def _retry_after(headers: httpx.Headers) -> float | None:
    """Seconds from ``retry-after-ms``, or ``Retry-After`` in seconds or as an HTTP date."""
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return _clamp(float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return _clamp(float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return _clamp(when.timestamp() - time.time())


def _clamp(seconds: float) -> float:
    return min(MAX_RETRY_AFTER_S, max(0.0, seconds))


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error)[:300]
        return str(body.get("message") or error or body)[:300]
    return str(body)[:300]


def _unusable(status: int, settings: TeacherSettings) -> str:
    if status == 404:
        return (
            f"the teacher at {settings.base_url} has no model {settings.model!r} or no "
            f"{settings.api} API (404); pass --teacher-model with a model it serves, or check "
            "--teacher-api and --teacher-url"
        )
    env = "KOCLAW_TEACHER_API_KEY"
    return f"the teacher at {settings.base_url} refused the key ({status}); set {env}"
