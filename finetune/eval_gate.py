"""The gate of `koclaw finetune eval`: may the candidate Soul replace the active one?

Why a confidence rule: the probes are few (tens per metric), so one reply flipping moves a rate by
several points; a gate on raw differences would pass or fail on noise. See :data:`RULE` (also written
into every JSON report).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from finetune.metrics import BY_NAME, METRICS, fmt, gain, invalid_file, load_yaml, wilson

RULE = (
    "Rate metrics are judged with their 95% Wilson score interval and only when at least min_samples "
    "samples were judged. Against the base, each must_beat_base metric must be shown better: the "
    "candidate's interval lies above the base's rate (or the candidate is perfect); fewer than "
    "min_samples judged fails, since nothing is shown. Against the active Soul, a rate metric fails "
    "only when its interval lies wholly below the active's rate minus the allowed drop (above, for "
    "lower-is-better metrics); a larger observed drop that the interval does not confirm, or one on fewer "
    "than min_samples, is listed as undecided and does not fail. limits fail when the interval lies "
    "wholly on the wrong side of the bound, and fail with fewer than min_samples. Held-out loss and "
    "perplexity are means over every completion token (thousands), compared as they are."
)
Counts = Mapping[str, Mapping[str, int]]


class GateConfig(BaseModel):
    """When a candidate may replace the active Soul (all thresholds in the metric's own units)."""

    model_config = ConfigDict(extra="forbid")

    max_drop_vs_active: float = Field(0.05, ge=0, description="allowed loss on any rate metric vs active")
    max_drop: dict[str, float] = Field(default_factory=dict, description="per-metric overrides of the above")
    must_beat_base: list[str] = Field(default_factory=lambda: ["addressing", "language_match"])
    max_perplexity_ratio: float = Field(1.10, gt=0, description="candidate ppl <= this x the active's")
    limits: dict[str, float] = Field(default_factory=dict, description="absolute bounds, e.g. floors")
    min_samples: int = Field(8, ge=1, description="judged samples a rate metric needs to decide anything")
    z: float = Field(1.96, gt=0, description="the Wilson interval's z (1.96: 95%)")

    @model_validator(mode="after")
    def _known_metrics(self) -> GateConfig:
        unknown = {*self.max_drop, *self.must_beat_base, *self.limits} - set(BY_NAME)
        if unknown:
            raise ValueError(f"unknown metric(s) {sorted(unknown)}; known: {', '.join(BY_NAME)}")
        return self


@dataclass
class Verdict:
    """The gate's answer: why it fails (`reasons`) and which differences it could not decide."""

    passed: bool
    reasons: list[str]
    undecided: list[str] = field(default_factory=list)

    def as_dict(self, config: GateConfig) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "reasons": self.reasons,
            "undecided": self.undecided,
            "rule": RULE,
            "min_samples": config.min_samples,
            "confidence": "95% Wilson" if abs(config.z - 1.96) < 1e-9 else f"Wilson z={config.z:g}",
        }


def load_gate(path: Path | None = None) -> GateConfig:
    """The gate from a YAML file (any key left out keeps its default), or the defaults."""
    if path is None:
        return GateConfig()
    try:
        return GateConfig.model_validate(load_yaml(path, "gate") or {})
    except ValidationError as exc:
        raise invalid_file(path, exc) from None


def gate(results: Mapping[str, Mapping[str, float | None]], config: GateConfig, counts: Counts) -> Verdict:
    """Whether ``results["candidate"]`` may go live, every reason it may not, and what stayed undecided.

    The rule (:data:`RULE`): rate metrics count only with ``min_samples`` judged samples and through their
    Wilson interval, so one flipped reply cannot decide; the candidate must *show* it beats the base on
    ``must_beat_base`` and meets ``limits``, and must not be *shown* worse than the active Soul by more
    than the allowed drop; perplexity at most ``max_perplexity_ratio`` x the active's.
    """
    check = _Check(results, counts, config)
    if "active" in results:
        check.against_active()
    if "base" in results:
        check.against_base()
    check.limits()
    return Verdict(not check.reasons, check.reasons, check.undecided)


class _Check:
    def __init__(
        self, results: Mapping[str, Mapping[str, float | None]], counts: Counts, config: GateConfig
    ) -> None:
        self.results, self.counts, self.config = results, counts, config
        self.reasons: list[str] = []
        self.undecided: list[str] = []

    def n(self, model: str, name: str) -> int:
        return int(self.counts.get(model, {}).get(name, 0))

    def interval(self, name: str) -> tuple[float, float, str]:
        value, n = self.results["candidate"][name], self.n("candidate", name)
        low, high = wilson(value or 0.0, n, self.config.z)
        return low, high, f"interval {low:.3f}-{high:.3f} of {n}"

    def too_few(self, name: str, *models: str) -> int | None:
        """The smallest n among `models` when it is under min_samples, else None."""
        smallest = min(self.n(m, name) for m in models)
        return smallest if smallest < self.config.min_samples else None

    def against_active(self) -> None:
        candidate, active = self.results["candidate"], self.results["active"]
        for metric in METRICS:
            name = metric.name
            allowed = self.config.max_drop.get(name, self.config.max_drop_vs_active)
            gained = gain(name, candidate.get(name), active.get(name))
            if not metric.rate or gained is None or -gained <= allowed + 1e-9:
                continue
            theirs = active[name] or 0.0
            said = (
                f"{metric.label}: {fmt(candidate[name], name)} is {-gained:.3f} worse than the active "
                f"Soul's {fmt(theirs, name)} (allowed {allowed:.3f}"
            )
            if (few := self.too_few(name, "candidate", "active")) is not None:
                self.undecided.append(f"{said}), but only {few} judged (< {self.config.min_samples})")
                continue
            low, high, interval = self.interval(name)
            shown = high < theirs - allowed if metric.higher_is_better else low > theirs + allowed
            if shown:
                self.reasons.append(f"{said}; {interval})")
            else:
                self.undecided.append(f"{said}), within noise ({interval})")
        mine, theirs_ppl = candidate.get("heldout_ppl"), active.get("heldout_ppl")
        ratio = self.config.max_perplexity_ratio
        if mine is not None and theirs_ppl is not None and mine > ratio * theirs_ppl:
            self.reasons.append(
                f"held-out perplexity {mine:.2f} is above {ratio:g} x the active Soul's {theirs_ppl:.2f}"
            )

    def against_base(self) -> None:
        candidate, base = self.results["candidate"], self.results["base"]
        for name in self.config.must_beat_base:
            metric, mine, theirs = BY_NAME[name], candidate.get(name), base.get(name)
            gained = gain(name, mine, theirs)
            if gained is None or mine is None or theirs is None:
                self.reasons.append(f"{metric.label}: not measured, so it cannot beat the base")
                continue
            if not metric.rate:
                if gained <= 0:
                    self.reasons.append(
                        f"{metric.label}: {fmt(mine, name)} does not beat the base's {fmt(theirs, name)}"
                    )
                continue
            if (few := self.too_few(name, "candidate")) is not None:
                self.reasons.append(
                    f"{metric.label}: only {few} judged (< {self.config.min_samples}), too few to show it "
                    "beats the base; raise --limit or add probes"
                )
                continue
            perfect = mine == (1.0 if metric.higher_is_better else 0.0)
            low, high, interval = self.interval(name)
            shown = low > theirs if metric.higher_is_better else high < theirs
            if not (perfect or shown):
                self.reasons.append(
                    f"{metric.label}: {fmt(mine, name)} does not beat the base's {fmt(theirs, name)} "
                    f"with confidence ({interval})"
                )

    def limits(self) -> None:
        for name, bound in self.config.limits.items():
            value, metric = self.results["candidate"].get(name), BY_NAME[name]
            if value is None:
                self.reasons.append(f"{metric.label}: not measured (limit {bound:g})")
                continue
            side = "below the floor" if metric.higher_is_better else "above the ceiling"
            if not metric.rate:
                if (value < bound) if metric.higher_is_better else (value > bound):
                    self.reasons.append(f"{metric.label}: {fmt(value, name)} is {side} {bound:g}")
                continue
            if (few := self.too_few(name, "candidate")) is not None:
                self.reasons.append(
                    f"{metric.label}: only {few} judged (< {self.config.min_samples}), too few to check "
                    f"the limit {bound:g}"
                )
                continue
            low, high, interval = self.interval(name)
            if (high < bound) if metric.higher_is_better else (low > bound):
                self.reasons.append(f"{metric.label}: {fmt(value, name)} is {side} {bound:g} ({interval})")
