"""Exact and near duplicates: what is caught, what is not, and that the answer never changes."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from character.conversation import Conversation
from finetune.dedupe import (
    conversation_text,
    exact_key,
    find_duplicates,
    group_labels,
    near_pairs,
    normalize,
    rows_per_band,
    signatures,
)
from tests.finetune.conftest import near_copy

ROOT = Path(__file__).resolve().parents[2]


def text(raw: dict[str, Any]) -> str:
    return conversation_text(Conversation.model_validate(raw))


def shingles(t: str) -> set[str]:
    return {t[i : i + 5] for i in range(len(t) - 4)}


def jaccard(a: str, b: str) -> float:
    return len(shingles(a) & shingles(b)) / len(shingles(a) | shingles(b))


def test_exact_duplicates_ignore_case_width_and_spacing() -> None:
    assert normalize("  Hello\n\tSENSEI  ＡＢＣ ") == "hello sensei abc"
    assert exact_key(normalize("老师  好")) == exact_key(normalize("老师 好"))
    found = find_duplicates([normalize("Hi Sensei"), normalize("hi   sensei"), normalize("Bye Sensei")])
    assert found.kept == [0, 2] and found.duplicate_of == {1: (0, "exact")}


def test_system_turns_do_not_count(distinct: list[dict[str, Any]]) -> None:
    raw = distinct[0]
    with_system = {**raw, "messages": [{"role": "system", "content": "You are Kokoron."}, *raw["messages"]]}
    assert text(with_system) == text(raw)


def test_near_copies_with_small_edits_are_caught(distinct: list[dict[str, Any]]) -> None:
    copies = [near_copy(c, f"{c['id']}-copy") for c in distinct]
    texts = [text(c) for c in distinct + copies]
    assert all(a != b for a, b in zip(texts[: len(distinct)], texts[len(distinct) :], strict=True))
    found = find_duplicates(texts)
    n = len(distinct)
    assert found.kept == list(range(n))
    assert found.duplicate_of == {n + i: (i, "near") for i in range(n)}


def test_distinct_conversations_are_not_near_duplicates(distinct: list[dict[str, Any]]) -> None:
    texts = [text(c) for c in distinct]
    assert max(jaccard(a, b) for a, b in combinations(texts, 2)) < 0.3
    pairs, _ = near_pairs(signatures(texts), 0.8)
    assert pairs.shape == (0, 2)
    assert find_duplicates(texts).kept == list(range(len(texts)))


def chain() -> list[str]:
    """A, B = A with 30 edits, C = B with 30 more: J(A,B) = J(B,C) ~ 0.78, J(A,C) ~ 0.60."""
    rng = random.Random(4)
    a = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(1200))

    def edit(t: str, positions: range) -> str:
        chars = list(t)
        for p in positions:
            chars[p] = "#"
        return "".join(chars)

    b = edit(a, range(5, 1200, 40))
    return [a, b, edit(b, range(25, 1200, 40))]


def test_dedupe_does_not_chain_but_groups_do() -> None:
    a, b, c = chain()
    assert jaccard(a, c) < 0.62 < 0.76 < jaccard(a, b)
    found = find_duplicates([a, b, c], threshold=0.68)
    assert found.kept == [0, 2] and found.duplicate_of == {1: (0, "near")}
    labels = group_labels([a, b, c], threshold=0.68)
    assert labels == [0, 0, 0]
    assert group_labels([a, c, "something else entirely, long enough"], threshold=0.68) == [0, 1, 2]


def test_preferred_items_survive_first() -> None:
    a, b, _ = chain()
    found = find_duplicates([a, b], threshold=0.68, prefer=[False, True])
    assert found.kept == [1] and found.duplicate_of == {0: (1, "near")}


def test_exact_copies_of_a_near_duplicate_follow_it_to_the_survivor() -> None:
    a, b, _ = chain()
    found = find_duplicates([a, b, b], threshold=0.68)
    assert found.kept == [0] and found.duplicate_of == {1: (0, "near"), 2: (0, "exact")}


def test_banding_finds_pairs_at_the_threshold() -> None:
    assert rows_per_band(0.8, 64) == 4  # 16 bands: misses a 0.8 pair with p ~ 2e-4
    assert (1 - 0.8**4) ** 16 < 0.01 < (1 - 0.8**8) ** 8
    assert rows_per_band(0.5, 64) == 2


def test_estimates_track_the_true_jaccard() -> None:
    rng = random.Random(7)
    errors = []
    for _ in range(100):
        a = "".join(rng.choice("abcdefghij klmnop") for _ in range(400))
        chars = list(a)
        for p in rng.sample(range(400), rng.randint(1, 12)):
            chars[p] = "#"
        b = "".join(chars)
        sig = signatures([a, b])
        true = jaccard(a, b)
        errors.append((float((sig[0] == sig[1]).mean()) - true) / (true * (1 - true) / 64) ** 0.5)
    # Unbiased, and as spread as 64 independent permutations allow (z-scores: mean 0, sd 1).
    assert abs(float(np.mean(errors))) < 0.25 and 0.7 < float(np.std(errors)) < 1.3


def test_short_and_empty_texts_get_signatures() -> None:
    sig = signatures(["", "ab", "ab", "abcdefgh"])
    assert sig.shape == (4, 64) and (sig[1] == sig[2]).all() and not (sig[0] == sig[1]).all()
    assert signatures([]).shape == (0, 64)


def test_signatures_are_chunked_without_changing_the_result() -> None:
    rng = random.Random(3)
    texts = ["".join(rng.choice("xyzw uv") for _ in range(rng.randint(1, 9000))) for _ in range(40)]
    together = signatures(texts)
    alone = np.vstack([signatures([t]) for t in texts])
    assert (together == alone).all()


@pytest.mark.parametrize("hash_seed", ["1", "2"])
def test_the_same_in_another_process(hash_seed: str) -> None:
    """Python's hash() is salted per process: the signatures must not depend on it."""
    code = (
        "import hashlib; from finetune.dedupe import signatures; "
        "sig = signatures(['老师今天好累', 'Sensei, hello there', 'x']); "
        "print(hashlib.sha256(sig.tobytes()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    import hashlib

    here = hashlib.sha256(signatures(["老师今天好累", "Sensei, hello there", "x"]).tobytes()).hexdigest()
    assert out.stdout.strip() == here
