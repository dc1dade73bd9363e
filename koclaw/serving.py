"""Which process serves a home: `koclaw run` holds `run.lock` in KOCLAW_HOME while it serves.

Two servers on one home would index every turn twice and fire every reminder and check-in twice, and
maintenance that rewrites what a server is writing (identity links, reindexing) races with it. The
lock is flock's: the kernel frees it when its holder ends, even by kill -9, so none is ever stale.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from koclaw.errors import InputError, StorageError

LOCK = "run.lock"


class ServedElsewhere(InputError):
    """Another `koclaw run` serves this home."""


@contextlib.contextmanager
def serving_alone(home: Path, doing: str = "serve it") -> Iterator[None]:
    """Hold `home`'s serving lock for the block, or raise `ServedElsewhere` naming the holder's pid."""
    path = home / LOCK
    try:
        handle = path.open("a+")
    except OSError as exc:
        raise StorageError(f"Cannot open {path} ({exc.strerror}); check that {home} is writable.") from exc
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            other = handle.read(32).strip() or "unknown"
            raise ServedElsewhere(
                f"A `koclaw run` (pid {other}) is serving {home}: stop it to {doing} "
                "(Ctrl-C, or SIGTERM to that pid), then start it again."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
