"""The dense half of the long-term tier: Chroma behind the few calls `LongTermMemory` makes.

One collection per (space, person): "episodes", "facts" and "contexts" (each episode embedded with
the turn before it, see `memory.episode_context`). A person's own collection keeps every search
unfiltered and fast. Collection metadata records the embedder that built it; vectors are always
passed in, so Chroma's default embedding function (which downloads a model) is never used.
Every Chroma failure becomes a `StorageError` here.
"""

from __future__ import annotations

import errno
import hashlib
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from koclaw.errors import StorageError, StorageUnavailable

SPACES = ("episodes", "facts", "contexts")
COLLECTIONS = {"episode": "episodes", "fact": "facts"}  # a memory kind's own space

Hit = tuple[str, float]  # (id, cosine distance)


class VectorIndex:
    """Nearest-neighbour search over one person's vectors; embedded Chroma or a Chroma server."""

    def __init__(self, home: Path, embedder_name: str, dim: int, *, chroma_url: str | None = None) -> None:
        self._meta = {"embedder": embedder_name, "dim": dim}
        self._collections: dict[str, Any] = {}
        self._client = open_client(home, chroma_url)
        self._disk = None if chroma_url else home  # embedded: its disk is this process's to watch
        self._broken: str | None = None  # why this embedded index takes no more calls in this process

    def upsert(
        self,
        space: str,
        user_id: str,
        ids: Sequence[str],
        vectors: Sequence[Sequence[float]],
        metadatas: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        if ids:
            self._call(
                "write",
                lambda c: c.upsert(
                    ids=list(ids),
                    embeddings=[list(v) for v in vectors],
                    metadatas=[dict(m) for m in metadatas] if metadatas is not None else None,
                ),
                space,
                user_id,
            )

    def update_metadata(
        self, space: str, user_id: str, ids: Sequence[str], metadatas: Sequence[Mapping[str, Any]]
    ) -> None:
        if ids:
            self._call(
                "write",
                lambda c: c.update(ids=list(ids), metadatas=[dict(m) for m in metadatas]),
                space,
                user_id,
            )

    def delete(self, space: str, user_id: str, ids: Sequence[str]) -> None:
        if ids:
            self._call("delete", lambda c: c.delete(ids=list(ids)), space, user_id)

    def nearest(self, space: str, user_id: str, vector: Sequence[float], n: int) -> list[Hit]:
        """(id, cosine distance) of the `n` nearest vectors, nearest first."""
        res = self._call(
            "search",
            lambda c: c.query(query_embeddings=[list(vector)], n_results=n, include=["distances"]),
            space,
            user_id,
        )
        return list(zip(res["ids"][0], res["distances"][0], strict=True))

    def ids(self, space: str, user_id: str) -> set[str]:
        """Every id stored in one person's space (for checks and tests)."""
        return set(self._call("read", lambda c: c.get(include=[])["ids"], space, user_id))

    def count(self, space: str) -> int:
        """Vectors in a space, all people together."""
        try:
            return sum(int(self._client.get_collection(n).count()) for n in self._names(space))
        except Exception as exc:
            raise StorageError(f"The Chroma index failed a count: {exc}") from exc

    def drop_all(self) -> None:
        """Delete every collection of every space (before re-embedding everything)."""
        try:
            for space in SPACES:
                for name in self._names(space):
                    self._client.delete_collection(name)
        except Exception as exc:
            raise StorageError(f"The Chroma index could not be dropped: {exc}") from exc
        self._collections.clear()

    # -- internals -----------------------------------------------------------------------------
    def _call(self, what: str, fn: Any, space: str, user_id: str) -> Any:
        self._usable(what)
        collection = self._collection(space, user_id)
        try:
            return fn(collection)
        except Exception as exc:
            raise self._failed(f"The Chroma index failed a {what}: {exc}", exc) from exc

    def _usable(self, what: str) -> None:
        """Refuse a call embedded Chroma must not get: any, once it failed on a full disk; a write,
        while the disk has under MIN_FREE_BYTES. After a write failed on a full disk, embedded Chroma's
        next write in the same process could hang holding the GIL, which froze all of Koclaw."""
        if self._broken is not None:
            raise StorageUnavailable(self._broken)
        if self._disk is not None and what in ("write", "delete"):
            try:
                free = shutil.disk_usage(self._disk).free
            except OSError:
                return  # the write itself will say what is wrong
            if free < MIN_FREE_BYTES:
                raise StorageUnavailable(
                    f"The disk of {self._disk} has {free // 1024} KiB free: long-term writes wait for room."
                )

    def _failed(self, message: str, exc: BaseException) -> StorageError:
        error = _storage_error(message, exc)
        if self._disk is not None and disk_full(message):
            self._broken = f"{message}. Restart Koclaw once the disk has room; until then recall is by words."
        return error

    def _collection(self, space: str, user_id: str) -> Any:
        name = collection_name(space, user_id)
        if name not in self._collections:
            try:
                self._collections[name] = self._client.get_or_create_collection(
                    name,
                    embedding_function=None,  # vectors are always passed explicitly; never Chroma's default
                    metadata=self._meta,
                    configuration={"hnsw": {"space": "cosine"}},
                )
            except Exception as exc:
                raise self._failed(f"Cannot open the Chroma collection {name!r}: {exc}", exc) from exc
        return self._collections[name]

    def _names(self, space: str) -> list[str]:
        return [n for n in collection_names(self._client) if n.startswith(space + "-")]


MIN_FREE_BYTES = 4 * 1024 * 1024  # below this Chroma's segments and SQLite's journals stop fitting


_DISK_FULL = ("disk is full", "no space left")


def disk_full(message: str) -> bool:
    return any(words in message.lower() for words in _DISK_FULL)


# What says a store should come back: the Chroma server's connection, or the disk's space.
_PASSING = ("connect", "timeout", "timed out", "refused", "unreachable", *_DISK_FULL)


def _storage_error(message: str, exc: BaseException) -> StorageError:
    """`StorageUnavailable` when `exc` (or what caused it) is a fault that passes: the rows it was
    writing are then retried, not set aside after MAX_ATTEMPTS (a Chroma restart lost them for good)."""
    seen: BaseException | None = exc
    for _ in range(8):  # the cause chain, bounded
        if seen is None:
            break
        if isinstance(seen, ConnectionError | TimeoutError) or getattr(seen, "errno", None) == errno.ENOSPC:
            return StorageUnavailable(message)
        if any(word in f"{type(seen).__name__} {seen}".lower() for word in _PASSING):
            return StorageUnavailable(message)
        seen = seen.__cause__ or seen.__context__
    return StorageError(message)


def open_client(home: Path, chroma_url: str | None = None) -> Any:
    """A Chroma client: the server at `chroma_url`, else the embedded index under `home`."""
    # Imported here: chromadb takes about 0.4 s to import, which commands without recall need not pay.
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    try:
        if chroma_url:
            return chromadb.HttpClient(
                **host_port(chroma_url), settings=ChromaSettings(anonymized_telemetry=False)
            )
        return chromadb.PersistentClient(
            path=str(home / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
        )
    except Exception as exc:
        where = chroma_url or str(home / "chroma")
        raise _storage_error(f"Cannot open the Chroma index at {where}: {exc}", exc) from exc


def collection_names(client: Any) -> list[str]:
    """Every collection's name (Chroma lists names, or collection objects in older releases)."""
    return [c if isinstance(c, str) else c.name for c in client.list_collections()]


def collection_name(space: str, user_id: str) -> str:
    """A person's collection in a space: named by a hash, so any identity makes a valid name."""
    return f"{space}-{hashlib.sha256(user_id.encode('utf-8')).hexdigest()[:32]}"


def move_vectors(client: Any, old: str, new: str, *, batch: int = 1000) -> int:
    """Every vector of `old` into `new`'s collections (merged where `new` has some), owner metadata
    rewritten, `old`'s collections deleted; returns how many moved. For identity renames and links."""
    moved = 0
    try:
        names = set(collection_names(client))
        for space in SPACES:
            source_name = collection_name(space, old)
            if source_name not in names:
                continue
            source = client.get_collection(source_name)
            target = client.get_or_create_collection(
                collection_name(space, new),
                embedding_function=None,
                metadata=source.metadata,
                configuration={"hnsw": {"space": "cosine"}},
            )
            offset = 0
            while (part := source.get(include=["embeddings", "metadatas"], limit=batch, offset=offset))[
                "ids"
            ]:
                metas = part["metadatas"]
                target.upsert(
                    ids=part["ids"],
                    embeddings=part["embeddings"],
                    metadatas=None
                    if metas is None or all(m is None for m in metas)
                    else [{**(m or {}), "user_id": new} for m in metas],
                )
                offset += len(part["ids"])
            moved += offset
            client.delete_collection(source_name)
    except Exception as exc:
        raise StorageError(f"The Chroma index could not move {old}'s vectors to {new}: {exc}") from exc
    return moved


def row_metadata(row: Mapping[str, Any]) -> dict[str, Any]:
    """What a memory's vector carries beside it (its owner, kind and importance)."""
    return {"user_id": row["user_id"], "kind": row["kind"], "importance": int(row["importance"])}


def host_port(url: str) -> dict[str, Any]:
    parsed = urlparse(url if "://" in url else f"http://{url}")
    return {
        "host": parsed.hostname or "localhost",
        "port": parsed.port or (443 if parsed.scheme == "https" else 8000),
        "ssl": parsed.scheme == "https",
    }
