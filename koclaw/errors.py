"""Koclaw's exception tree. Foreign exceptions are translated at the edges into these.

    KoclawError
    ├── ConfigError                 a bad setting; names the key
    ├── StorageError                SQLite or the data root cannot be used
    ├── InputError                  a message we refuse (says why and what to do)
    └── ModelError                  anything between us and the model server
        ├── ModelUnavailable        timeout or 5xx before the first token (retried)
        │   └── ModelUnreachable    nothing listens: connection refused, unknown host (final at once)
        ├── ModelRejected           the server answered 4xx (bad model name, bad key, ...)
        └── ModelStreamBroken       the stream failed after it started

Every message says what to do next.
"""

from __future__ import annotations


class KoclawError(Exception):
    """Base of every error Koclaw raises on purpose."""


class ConfigError(KoclawError):
    """A configuration value is missing or invalid."""


class StorageError(KoclawError):
    """The data root or a database cannot be used."""


class StorageUnavailable(StorageError):
    """A store that should come back (a Chroma server not answering, a full disk): work that needs it
    waits and is retried, and counts no failure against what it was storing."""


class InputError(KoclawError):
    """A user input was refused."""


class AlreadyReceived(KoclawError):
    """A message the channel delivered before (Telegram re-sends what it was not told was read, after
    a crash): it is answered once, so the second delivery is dropped without a word."""


class ModelError(KoclawError):
    """Base of model-server failures."""

    retryable: bool = False


class ModelUnavailable(ModelError):
    """The model server cannot be reached or did not answer in time."""

    retryable = True


class ModelUnreachable(ModelUnavailable):
    """Nothing listens at the address (connection refused, unknown host).

    Not retried: a server that is not running will not start within a turn's backoff, and each retry
    only repeats the same advice to the person waiting.
    """

    retryable = False


class ModelBusy(ModelUnavailable):
    """The model server is up and refusing for now (429, or 503 with Retry-After): it said when to
    come back, and a wait that long (within reason) is what a retry needs."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class ModelRejected(ModelError):
    """The model server refused the request (4xx)."""


class ModelStreamBroken(ModelError):
    """The stream broke after it had started; what arrived is kept."""
