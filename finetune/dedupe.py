"""Exact and near duplicates among conversations: a normalized-text hash, then MinHash + LSH in numpy.

Why near duplicates matter: a generator asked twice for "a rainy evening" often writes the same
conversation with a word changed, and a few dozen copies teach the Soul tier one reply by heart (and
leak between train and held-out). Why this design:

* the text is NFKC-normalized, case-folded and whitespace-collapsed; system turns are left out, since
  a shared system prompt would make unrelated conversations look alike;
* character 5-shingles (not words: Chinese and Japanese have no spaces), hashed with a polynomial
  rolling hash over the UTF-32 code points of all texts at once, then mixed with splitmix64;
* ``num_perm`` multiply-shift hash functions give the MinHash signature; banding picks the most rows
  per band that still finds a pair at the threshold with >= 99% probability, and every candidate is
  confirmed by its estimated Jaccard (the share of equal signature slots) >= the threshold;
* everything is seeded and no Python ``hash()`` is used (it is salted per process), so two runs on
  the same files always agree.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from collections.abc import Sequence

    from character.conversation import Conversation

SHINGLE = 5
NUM_PERM = 64
THRESHOLD = 0.8
SEED = 20240611
_BASE = np.uint64(0x100000001B3)  # FNV-64 prime: odd, many set bits
_CHUNK = 1 << 15  # shingles hashed per block: (num_perm x chunk) uint64 stays ~16 MB, long texts too
_PAD = "\x00"
_SPACE = re.compile(r"\s+")

U64 = npt.NDArray[np.uint64]


def normalize(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def conversation_text(conversation: Conversation) -> str:
    """The normalized text duplicates are judged on: every non-system turn and tool call, in order."""
    parts: list[str] = []
    for message in conversation.messages:
        if message.role == "system":
            continue
        parts.append(message.content)
        for call in message.tool_calls or ():
            parts.append(json.dumps([call.name, call.arguments], ensure_ascii=False, sort_keys=True))
    return normalize("\n".join(parts))


def exact_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _mix(z: U64) -> U64:
    """splitmix64's finalizer: spreads the rolling hash's bits over all 64."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def shingle_hashes(texts: Sequence[str], k: int = SHINGLE) -> tuple[U64, npt.NDArray[np.int64]]:
    """All k-shingle hashes of all texts, concatenated, and where each text's run starts.

    Texts shorter than k are padded, so every text has at least one shingle.
    """
    padded = [t if len(t) >= k else t + _PAD * (k - len(t)) for t in texts]
    lengths = np.fromiter((len(t) for t in padded), dtype=np.int64, count=len(padded))
    points = np.frombuffer("".join(padded).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    windows = len(points) - k + 1
    rolling = np.zeros(max(windows, 0), dtype=np.uint64)
    for j in range(k):
        rolling = rolling * _BASE + points[j : j + windows]
    rolling = _mix(rolling)
    counts = lengths - k + 1
    offsets = np.cumsum(counts) - counts
    starts = np.cumsum(lengths) - lengths
    positions = np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(starts - offsets, counts)
    return rolling[positions], offsets


def signatures(texts: Sequence[str], num_perm: int = NUM_PERM, seed: int = SEED) -> npt.NDArray[np.uint32]:
    """MinHash signatures, shape (len(texts), num_perm): h_i(x) = (a_i * x + b_i) >> 32, a_i odd."""
    if not texts:
        return np.zeros((0, num_perm), dtype=np.uint32)
    shingles, offsets = shingle_hashes(texts)
    rng = np.random.default_rng(seed)
    a = (rng.integers(0, 2**63, size=num_perm, dtype=np.uint64) << np.uint64(1)) | np.uint64(1)
    b = rng.integers(0, 2**63, size=num_perm, dtype=np.uint64)
    ends = np.append(offsets[1:], len(shingles))
    out = np.empty((num_perm, len(texts)), dtype=np.uint32)
    first = 0
    while first < len(texts):
        last = max(first + 1, int(np.searchsorted(ends, offsets[first] + _CHUNK, side="right")))
        if last == first + 1 and ends[first] - offsets[first] > _CHUNK:  # one long text: a chunk at a time
            lowest = np.full(num_perm, np.iinfo(np.uint32).max, dtype=np.uint64)
            for start in range(int(offsets[first]), int(ends[first]), _CHUNK):
                block = shingles[start : min(start + _CHUNK, int(ends[first]))]
                hashed = (a[:, None] * block[None, :] + b[:, None]) >> np.uint64(32)
                lowest = np.minimum(lowest, hashed.min(axis=1))
            out[:, first] = lowest
            first = last
            continue
        block = shingles[offsets[first] : ends[last - 1]]
        hashed = (a[:, None] * block[None, :] + b[:, None]) >> np.uint64(32)
        out[:, first:last] = np.minimum.reduceat(hashed, offsets[first:last] - offsets[first], axis=1)
        first = last
    return np.ascontiguousarray(out.T)


def rows_per_band(threshold: float, num_perm: int = NUM_PERM, miss: float = 0.01) -> int:
    """The most rows per band (fewest false candidates) that still misses a pair at `threshold`
    with probability <= `miss`."""
    for rows in range(num_perm, 0, -1):
        if num_perm % rows == 0 and (1 - threshold**rows) ** (num_perm // rows) <= miss:
            return rows
    return 1


def candidate_pairs(sig: npt.NDArray[np.uint32], rows: int) -> npt.NDArray[np.int64]:
    """Pairs (i < j) that share at least one band, shape (k, 2), sorted and unique."""
    n, num_perm = sig.shape
    weights = np.random.default_rng(SEED + 1).integers(1, 2**63, size=rows, dtype=np.uint64)
    codes: list[npt.NDArray[np.int64]] = []
    for band in range(num_perm // rows):
        block = sig[:, band * rows : (band + 1) * rows].astype(np.uint64)
        keys = _mix((block * weights).sum(axis=1, dtype=np.uint64) + np.uint64(band))
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        for gap in range(1, n):
            same = sorted_keys[gap:] == sorted_keys[:-gap]
            if not same.any():
                break
            left, right = order[:-gap][same], order[gap:][same]
            codes.append(np.minimum(left, right) * n + np.maximum(left, right))
    if not codes:
        return np.zeros((0, 2), dtype=np.int64)
    unique = np.unique(np.concatenate(codes))
    return np.stack([unique // n, unique % n], axis=1)


def near_pairs(
    sig: npt.NDArray[np.uint32], threshold: float = THRESHOLD
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Confirmed pairs (i < j) with estimated Jaccard >= threshold, and those estimates."""
    pairs = candidate_pairs(sig, rows_per_band(threshold, sig.shape[1]))
    if not len(pairs):
        return pairs, np.zeros(0)
    similarity = (sig[pairs[:, 0]] == sig[pairs[:, 1]]).mean(axis=1)
    keep = similarity >= threshold - 1e-9
    return pairs[keep], similarity[keep]


@dataclass(frozen=True)
class Duplicates:
    """`kept`: indexes that survive, in input order. `duplicate_of`: dropped index -> (survivor, kind)
    with kind "exact" or "near"; the survivor is always a kept index."""

    kept: list[int]
    duplicate_of: dict[int, tuple[int, str]]


def find_duplicates(
    texts: Sequence[str],
    *,
    threshold: float = THRESHOLD,
    prefer: Sequence[bool] | None = None,
    num_perm: int = NUM_PERM,
) -> Duplicates:
    """Greedy, in input order (preferred items first): an item is dropped when it duplicates one
    already kept. No chaining: a near duplicate of a dropped item survives unless it is close to a
    survivor itself."""
    order = list(range(len(texts)))
    if prefer is not None:
        order.sort(key=lambda i: (not prefer[i], i))
    first_of: dict[str, int] = {}
    exact_of: dict[int, int] = {}
    uniques: list[int] = []
    for i in order:
        key = exact_key(texts[i])
        if key in first_of:
            exact_of[i] = first_of[key]
        else:
            first_of[key] = i
            uniques.append(i)
    pairs, _ = near_pairs(signatures([texts[i] for i in uniques], num_perm), threshold)
    near_of: dict[int, int] = {}
    kept = np.ones(len(uniques), dtype=bool)
    for p, q in sorted(pairs.tolist(), key=lambda pair: (pair[1], pair[0])):
        if kept[q] and kept[p]:
            kept[q] = False
            near_of[uniques[q]] = uniques[p]
    duplicate_of: dict[int, tuple[int, str]] = {i: (keeper, "near") for i, keeper in near_of.items()}
    for i, rep in exact_of.items():
        duplicate_of[i] = (near_of.get(rep, rep), "exact")
    return Duplicates(sorted(i for i, flag in zip(uniques, kept, strict=True) if flag), duplicate_of)


def group_labels(
    texts: Sequence[str], *, threshold: float = THRESHOLD, num_perm: int = NUM_PERM
) -> list[int]:
    """A label per text; exact and near duplicates share one (transitively: the closure of all pairs),
    so a split by label can never put two near duplicates on different sides."""
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        a, b = root(i), root(j)
        parent[max(a, b)] = min(a, b)

    first_of: dict[str, int] = {}
    uniques: list[int] = []
    for i, text in enumerate(texts):
        key = exact_key(text)
        if key in first_of:
            join(first_of[key], i)
        else:
            first_of[key] = i
            uniques.append(i)
    pairs, _ = near_pairs(signatures([texts[i] for i in uniques], num_perm), threshold)
    for p, q in pairs.tolist():
        join(uniques[p], uniques[q])
    return [root(i) for i in range(len(texts))]
