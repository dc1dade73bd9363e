"""What a dataset holds, against what the Soul tier should learn from.

Distributions are over every conversation that parses (the file's declared composition); the
reject counts say how much of it the validator would keep out of training. Shares are percent.
Numbers come back as one plain dict (`--json` prints it as is), tables and the chart are drawn from
that dict, so the three outputs cannot disagree.
"""

from __future__ import annotations

import io
import json
import statistics
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

from character.conversation import Conversation
from finetune.dataset import Record, write_bytes_atomic
from finetune.targets import Targets
from finetune.validate import split_think
from memory.tokens import estimate_tokens


def conversation_tokens(conversation: Conversation) -> int:
    """Estimated tokens of every turn's text and tool call (the template's few tokens aside)."""
    total = 0
    for message in conversation.messages:
        total += estimate_tokens(message.content)
        for call in message.tool_calls or ():
            total += estimate_tokens(json.dumps({"name": call.name, "arguments": call.arguments}))
    return total


def turns(conversation: Conversation) -> int:
    """User and assistant turns (system and tool results are not turns of the conversation)."""
    return sum(1 for m in conversation.messages if m.role in ("user", "assistant"))


def summary(values: Sequence[int]) -> dict[str, float]:
    if not values:
        return {"min": 0, "median": 0, "mean": 0, "p90": 0, "max": 0, "total": 0}
    ordered = sorted(values)
    return {
        "min": ordered[0],
        "median": statistics.median(ordered),
        "mean": round(statistics.fmean(ordered), 2),
        "p90": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))],
        "max": ordered[-1],
        "total": sum(ordered),
    }


def _distribution(counts: Counter[str], targets: dict[str, float], total: int) -> dict[str, dict[str, float]]:
    keys = list(targets) + sorted(k for k in counts if k not in targets)
    out: dict[str, dict[str, float]] = {}
    for key in keys:
        share = 100 * counts[key] / total if total else 0.0
        target = targets.get(key, 0.0)
        out[key] = {
            "count": counts[key],
            "share": round(share, 2),
            "target": target,
            "diff": round(share - target, 2),
        }
    return out


def compute(records: Sequence[Record], targets: Targets | None = None) -> dict[str, Any]:
    """Every number `koclaw finetune stats` shows, from records read with content checks."""
    targets = targets or Targets()
    parsed = [r for r in records if r.conversation is not None]
    conversations = [r.conversation for r in parsed if r.conversation is not None]
    total = len(conversations)
    assistant_turns = with_think = conversations_with_think = 0
    for conversation in conversations:
        flags = [split_think(m.content)[0] is not None for m in conversation.assistant_turns()]
        assistant_turns += len(flags)
        with_think += sum(flags)
        conversations_with_think += any(flags)
    rejects: Counter[str] = Counter(code for r in records for code in r.verdict.codes)
    addressing = sum(1 for r in parsed if "addressing" in r.verdict.codes)
    return {
        "files": list(dict.fromkeys(r.file for r in records)),
        "records": len(records),
        "conversations": total,
        "invalid_lines": len(records) - total,
        "accepted": sum(1 for r in records if r.ok),
        "rejected": sum(1 for r in records if not r.ok),
        "languages": _distribution(Counter(c.language for c in conversations), targets.languages, total),
        "scenarios": _distribution(Counter(c.scenario for c in conversations), targets.scenarios, total),
        "turns": summary([turns(c) for c in conversations]),
        "tokens": summary([conversation_tokens(c) for c in conversations]),
        "think": {
            "assistant_turns": assistant_turns,
            "with_think": with_think,
            "turn_ratio": round(with_think / assistant_turns, 4) if assistant_turns else 0.0,
            "conversations_with_think": conversations_with_think,
            "conversation_ratio": round(conversations_with_think / total, 4) if total else 0.0,
        },
        "addressing_errors": {
            "conversations": addressing,
            "share": round(100 * addressing / total, 2) if total else 0.0,
        },
        "rejects_by_code": dict(rejects.most_common()),
    }


def _distribution_table(title: str, rows: dict[str, dict[str, float]]) -> Table:
    table = Table("", "count", "actual %", "target %", "diff", title=title, title_justify="left")
    for key, row in rows.items():
        diff = row["diff"]
        style = "red" if abs(diff) >= 5 else "yellow" if abs(diff) >= 2 else "green"
        table.add_row(
            key, str(row["count"]), f"{row['share']:.1f}", f"{row['target']:g}", f"[{style}]{diff:+.1f}[/]"
        )
    return table


def tables(stats: dict[str, Any]) -> list[Table]:
    """The terminal view: composition against targets, the shape of the data, and the rejects."""
    shape = Table("metric", "value", title="Shape", title_justify="left")
    shape.add_row("conversations", f"{stats['conversations']} ({stats['accepted']} pass validation)")
    shape.add_row("invalid lines", str(stats["invalid_lines"]))
    for name in ("turns", "tokens"):
        s = stats[name]
        shape.add_row(
            name,
            " · ".join(f"{k} {s[k]:g}" for k in ("min", "median", "mean", "p90", "max"))
            + (f" · total {s['total']:g}" if name == "tokens" else ""),
        )
    think = stats["think"]
    shape.add_row(
        "think tags",
        f"{think['with_think']}/{think['assistant_turns']} assistant turns "
        f"({100 * think['turn_ratio']:.1f}%), "
        f"{think['conversations_with_think']} conversations ({100 * think['conversation_ratio']:.1f}%)",
    )
    addressing = stats["addressing_errors"]
    shape.add_row(
        "addressing errors", f"{addressing['conversations']} conversations ({addressing['share']:.1f}%)"
    )
    rejects = Table("code", "conversations", title="Rejects by code", title_justify="left")
    for code, count in stats["rejects_by_code"].items():
        rejects.add_row(code, str(count))
    if not stats["rejects_by_code"]:
        rejects.add_row("-", "0")
    return [
        _distribution_table("Languages", stats["languages"]),
        _distribution_table("Scenarios", stats["scenarios"]),
        shape,
        rejects,
    ]


def default_chart_path(first_input: Path) -> Path:
    return first_input.with_name(f"{first_input.stem}.stats.png")


def write_chart(stats: dict[str, Any], path: Path) -> Path:
    """Bars of actual vs target share for languages and scenarios, as a PNG (Agg: no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12, 4.8), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, 2, width_ratios=[1, 2])
    for ax, key, title in zip(axes, ("languages", "scenarios"), ("Languages", "Scenarios"), strict=True):
        rows: dict[str, dict[str, float]] = stats[key]
        names = list(rows)
        positions = list(range(len(names)))
        ax.bar([p - 0.2 for p in positions], [rows[n]["share"] for n in names], 0.4, label="actual")
        ax.bar([p + 0.2 for p in positions], [rows[n]["target"] for n in names], 0.4, label="target")
        ax.set_xticks(
            positions,
            names,
            rotation=30 if key == "scenarios" else 0,
            ha="right" if key == "scenarios" else "center",
        )
        ax.set_ylabel("% of conversations")
        ax.set_title(f"{title} (n={stats['conversations']})")
        ax.legend()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    write_bytes_atomic(path, buffer.getvalue())
    return path
