"""The dual-agent generator against the scripted teacher: throughput, rejects and duplicates.

Run: python bench/datagen_bench.py [--count 1000] [--rpm 3000] [--runs 3] [--concurrency 32]

Each run generates `count` conversations (default targets; 30% thinking, 12% tools) against the
scripted teacher on localhost with 10% of Phase 2 answers corrupted (one of the fault kinds) and 2% of
requests failing in transport (429, 500, or a hang past the 2 s client timeout). The teacher is rate
limited to `rpm` requests per minute; a conversation takes two requests, so the ceiling is rpm / 2
conversations per minute, and the bench reports throughput as a share of it. Then the run's shards
are merged and deduplicated with `finetune.dataset.merge`. Figures are medians over the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from finetune.datagen import Generator, RunReport, ShardStore
from finetune.dataset import merge, read_records
from finetune.plan import PlanSettings, make_plan
from finetune.targets import DEFAULT_LANGUAGES, DEFAULT_SCENARIOS
from finetune.teacher import Teacher, TeacherSettings
from tests.fakes.teacher import ScriptedTeacher


def one_run(count: int, rpm: float, concurrency: int, seed: int) -> dict[str, float | Counter[str]]:
    jobs = make_plan(PlanSettings(count, seed=seed, run_id=f"b{seed}"), DEFAULT_LANGUAGES, DEFAULT_SCENARIOS)
    with (
        tempfile.TemporaryDirectory() as tmp,
        ScriptedTeacher(fault_rate=0.10, transport_rate=0.02, hang_s=3.0, seed=seed) as server,
    ):
        settings = TeacherSettings(
            base_url=server.url, model="teacher", requests_per_minute=rpm, timeout_s=2.0, backoff_s=0.05
        )
        teacher = Teacher(settings)
        generator = Generator(teacher, ShardStore(Path(tmp)), concurrency=concurrency, shard_size=50)

        async def generate() -> RunReport:
            try:
                return await generator.run(jobs)
            finally:
                await teacher.close()

        report = asyncio.run(generate())
        attempts = report.accepted + sum(report.rejects.values())
        started = time.perf_counter()
        merged = merge(read_records(sorted(Path(tmp).glob("shard-*.jsonl"))))
        merge_s = time.perf_counter() - started
    return {
        "per_min": (report.accepted + report.failed) / report.seconds * 60,
        "accepted": report.accepted,
        "failed": report.failed,
        "reject_rate": sum(report.rejects.values()) / attempts,
        "rejects": report.rejects,
        "retries": sum(teacher.tally.retries.values()),
        "requests": teacher.tally.requests,
        "rpm_used": teacher.tally.requests / report.seconds * 60,
        "dedup_rate": (merged.exact_dups + merged.near_dups) / max(1, merged.read),
        "merge_s": merge_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rpm", type=float, default=3000.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    ceiling = args.rpm / 2
    runs = [one_run(args.count, args.rpm, args.concurrency, seed) for seed in range(args.runs)]

    def med(key: str) -> float:
        return statistics.median(float(run[key]) for run in runs)  # type: ignore[arg-type]

    rejects: Counter[str] = Counter()
    for run in runs:
        rejects.update(run["rejects"])  # type: ignore[arg-type]
    attempts = sum(float(run["accepted"]) for run in runs) + sum(rejects.values())  # type: ignore[arg-type]
    print(f"{args.count} conversations x {args.runs} runs, limit {args.rpm:g} rpm (ceiling {ceiling:g}/min)")
    share = med("per_min") / ceiling
    print(f"throughput      {med('per_min'):8.1f} conversations/min = {share:.0%} of the ceiling")
    print(f"accepted        {med('accepted'):8.0f}   given up {med('failed'):.0f}")
    print(f"requests        {med('requests'):8.0f}   retries {med('retries'):.0f}")
    print(f"request rate    {med('rpm_used'):8.0f} rpm = {med('rpm_used') / args.rpm:.0%} of the limit")
    print(f"reject rate     {med('reject_rate'):8.1%} of attempts")
    for code, n in rejects.most_common():
        print(f"  {code:<12} {n / attempts:7.2%}")
    print(f"dedup rate      {med('dedup_rate'):8.2%} (merge + dedupe of the run: {med('merge_s'):.2f} s)")


if __name__ == "__main__":
    main()
