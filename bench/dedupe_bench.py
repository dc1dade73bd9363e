"""Merge + dedupe at scale: 10,000 synthetic conversations with planted exact and near duplicates.

    python bench/dedupe_bench.py [--n 10000] [--exact 0.1] [--near 0.1] [--runs 3]

The conversations are random zh/ja/en text (six turns, 40-160 characters each), so two originals
share almost no 5-shingles; an exact duplicate repeats an original's messages under a new id with
different case and spacing; a near duplicate changes 1-3 characters of one turn (what a generator
rerun produces). They are spread over four shard files in random order. Timed: the whole
`koclaw finetune merge` path (read with schema checks, dedupe, write), and the dedupe step alone.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from finetune.dataset import merge, read_records, to_json_line, write_lines_atomic
from finetune.dedupe import conversation_text, find_duplicates

HANZI = (
    "的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后"
    "小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长"
    "知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最"
    "间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市"
    "眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计"
)
KANA = (
    "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんアイウエ"
    "オカキクケコサシスセソタチツテト"
)
_WORD_TEXT = (
    "sensei today meeting coffee rain train window quiet music report deadline weekend garden "
    "letter dinner laptop story river morning evening tired happy listen remember promise "
    "walk think small bright slowly together forget careful early late friend plan idea"
)
WORDS = _WORD_TEXT.split(" ")


def _sentence(rng: random.Random, lang: str) -> str:
    length = rng.randint(40, 160)
    if lang == "en":
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < length:
            words.append(rng.choice(WORDS))
        return " ".join(words)
    pool = HANZI if lang == "zh" else HANZI[:80] + KANA * 2
    return "".join(rng.choice(pool) for _ in range(length))


def original(rng: random.Random, index: int) -> dict[str, Any]:
    lang = rng.choice(["zh", "ja", "en"])
    messages = [
        {"role": role, "content": _sentence(rng, lang)} for _ in range(3) for role in ("user", "assistant")
    ]
    return {"id": f"orig-{index}", "language": lang, "scenario": "daily", "messages": messages}


def exact_copy(source: dict[str, Any], index: int) -> dict[str, Any]:
    messages = [{**m, "content": f"  {m['content'].upper()}\n"} for m in source["messages"]]
    return {**source, "id": f"exact-{index}", "messages": messages}


def near_copy(rng: random.Random, source: dict[str, Any], index: int) -> dict[str, Any]:
    messages = [dict(m) for m in source["messages"]]
    turn = messages[rng.randrange(len(messages))]
    chars = list(turn["content"])
    for _ in range(rng.randint(1, 3)):
        chars[rng.randrange(len(chars))] = rng.choice("#@%&")
    turn["content"] = "".join(chars)
    return {**source, "id": f"near-{index}", "messages": messages}


def build(n: int, exact: float, near: float, seed: int, folder: Path) -> tuple[list[Path], dict[str, str]]:
    """Shard files, and each id's group (the original it copies, or itself)."""
    rng = random.Random(seed)
    n_exact, n_near = int(n * exact), int(n * near)
    originals = [original(rng, i) for i in range(n - n_exact - n_near)]
    group = {o["id"]: o["id"] for o in originals}
    rows = list(originals)
    for i in range(n_exact + n_near):
        source = rng.choice(originals)
        copy = exact_copy(source, i) if i < n_exact else near_copy(rng, source, i - n_exact)
        group[copy["id"]] = source["id"]
        rows.append(copy)
    rng.shuffle(rows)
    paths = [folder / f"shard-{k}.jsonl" for k in range(4)]
    for k, path in enumerate(paths):
        write_lines_atomic(path, (json.dumps(r, ensure_ascii=False) for r in rows[k::4]))
    return paths, group


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--exact", type=float, default=0.1, help="share of planted exact duplicates")
    parser.add_argument("--near", type=float, default=0.1, help="share of planted near duplicates")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        paths, group = build(args.n, args.exact, args.near, args.seed, Path(tmp))
        merge_times, dedupe_times = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            records = read_records(paths, check=False)
            result = merge(records, threshold=args.threshold)
            write_lines_atomic(Path(tmp) / "merged.jsonl", (to_json_line(c) for c in result.kept))
            merge_times.append(time.perf_counter() - start)
            texts = [conversation_text(r.conversation) for r in records if r.conversation is not None]
            start = time.perf_counter()
            find_duplicates(texts, threshold=args.threshold)
            dedupe_times.append(time.perf_counter() - start)

    planted = {"exact": int(args.n * args.exact), "near": int(args.n * args.near)}
    counts = result.counts()
    # Shards are shuffled, so a copy may come first and the original is then the one dropped:
    # judge by group. Right: every group keeps exactly one, and nothing is dropped across groups.
    kept_groups = [group[c.id] for c in result.kept]
    missed = len(kept_groups) - len(set(kept_groups))
    wrong = sum(1 for r, _, keeper in result.dropped if group[r.id] != group[keeper])
    print(f"{args.n} conversations in 4 shards, threshold {args.threshold}, {args.runs} runs")
    print(f"merge (read + dedupe + write): median {statistics.median(merge_times):.2f} s")
    print(f"dedupe only (hash + MinHash + LSH): median {statistics.median(dedupe_times):.2f} s")
    print(f"planted: {planted['exact']} exact + {planted['near']} near; "
          f"found: {counts['exact_dups']} exact + {counts['near_dups']} near")  # fmt: skip
    found = counts["exact_dups"] + counts["near_dups"]
    print(f"dedup rate: found {found / args.n:.1%} vs planted {sum(planted.values()) / args.n:.1%}; "
          f"copies missed {missed}, dropped across groups {wrong}, kept {counts['kept']}")  # fmt: skip


if __name__ == "__main__":
    main()
