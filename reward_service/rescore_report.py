"""The rescoring report: counts over output lines, mergeable across partitions, as Markdown and
a PNG of the stored→new transition matrix.

Flips compare *verdicts*, not reward values: a dump's stored reward only says whether the row
was rewarded as correct. verl's math reward is 0/1 and ours is ±1, and both put a correct answer
above zero and a wrong one at or below it, so a stored reward ``> 0`` reads as ``correct`` and
one ``<= 0`` as ``incorrect``; ``none`` means the dump stored no reward.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reward_service.provenance_hash import provenance_hash

STORED = ("correct", "incorrect", "none")
NEW = ("correct", "partial", "incorrect", "filtered", "unscorable", "unchanged")
EXAMPLES = 10
"""Flipped rows quoted in the report."""


def stored_class(stored: float | None) -> str:
    """``correct`` / ``incorrect`` / ``none`` for a reward a dump stored (see module doc)."""
    if stored is None:
        return "none"
    return "correct" if stored > 0 else "incorrect"


def new_class(result: dict[str, Any] | None) -> str:
    """The verdict of a new result, or its status when it has none; ``unchanged`` when the
    row was passed through unscored (its provenance was current)."""
    if result is None:
        return "unchanged"
    if result["status"] == "scored":
        return str(result["verdict"])
    return str(result["status"])


def flip_of(stored: str, new: str) -> str:
    """``up`` (stored not correct, now correct), ``down`` (the other way), ``same``,
    ``became_unscorable``, ``unchanged`` or ``no_stored_reward``."""
    if new == "unchanged":
        return "unchanged"
    if stored == "none":
        return "no_stored_reward"
    if new == "unscorable":
        return "became_unscorable"
    if (stored == "correct") == (new == "correct"):
        return "same"
    return "up" if new == "correct" else "down"


def _keyed(counter: Counter[tuple[str, ...]]) -> list[list[Any]]:
    return [[*key, n] for key, n in sorted(counter.items())]


def _unkeyed(rows: list[list[Any]]) -> Counter[tuple[str, ...]]:
    return Counter({tuple(row[:-1]): int(row[-1]) for row in rows})


@dataclass
class Report:
    """Counts over output lines. Two reports of disjoint lines :meth:`merge` into the report of
    their union (the examples kept are the first by source and position)."""

    rows: int = 0
    outcomes: Counter[tuple[str, ...]] = field(default_factory=Counter)
    """(status, verdict, reason)"""
    routes: Counter[tuple[str, ...]] = field(default_factory=Counter)
    transitions: Counter[tuple[str, ...]] = field(default_factory=Counter)
    """(stored class, new class)"""
    flips: Counter[tuple[str, ...]] = field(default_factory=Counter)
    flip_reasons: Counter[tuple[str, ...]] = field(default_factory=Counter)
    """(flip, reason) for rows whose verdict changed"""
    data_sources: Counter[tuple[str, ...]] = field(default_factory=Counter)
    """(data_source, new class)"""
    provenances: Counter[tuple[str, ...]] = field(default_factory=Counter)
    """(provenance hash, service version, verifier versions, judge, config hash)"""
    examples: list[dict[str, Any]] = field(default_factory=list)

    def add(self, line: dict[str, Any]) -> None:
        """Count one output line (see :mod:`reward_service.rescore`)."""
        self.rows += 1
        result = line.get("result")
        stored, new = stored_class(line.get("stored_reward")), new_class(result)
        flip = flip_of(stored, new)
        self.transitions[(stored, new)] += 1
        self.flips[(flip,)] += 1
        self.data_sources[(str(line.get("data_source") or "-"), new)] += 1
        if result is None:
            passed = (str(line.get("provenance_hash")), "(passed through)", "", "", "")
            self.provenances[passed] += 1
            return
        reason = str(result["reason"])
        self.outcomes[(str(result["status"]), str(result["verdict"] or "-"), reason)] += 1
        self.routes[(str(result["route"]),)] += 1
        self.provenances[_provenance_key(result.get("provenance"))] += 1
        if flip in ("up", "down", "became_unscorable"):
            self.flip_reasons[(flip, reason)] += 1
            if len(self.examples) < EXAMPLES:
                self.examples.append(_example(line, stored, new))

    def merge(self, other: Report) -> None:
        self.rows += other.rows
        for name in _COUNTERS:
            getattr(self, name).update(getattr(other, name))
        examples = self.examples + other.examples
        examples.sort(key=lambda e: (e["source"], e["position"]))
        self.examples = examples[:EXAMPLES]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: _keyed(getattr(self, name)) for name in _COUNTERS}
        return {"rows": self.rows, **data, "examples": self.examples}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        counters = {name: _unkeyed(data[name]) for name in _COUNTERS}
        return cls(rows=int(data["rows"]), examples=list(data["examples"]), **counters)

    @property
    def invalid_rows(self) -> int:
        return sum(n for (_, _, reason), n in self.outcomes.items() if reason == "invalid_request")


_COUNTERS = (
    "outcomes",
    "routes",
    "transitions",
    "flips",
    "flip_reasons",
    "data_sources",
    "provenances",
)


def _provenance_key(provenance: dict[str, Any] | None) -> tuple[str, ...]:
    if provenance is None:
        return ("-", "(not scored)", "", "", "")
    versions = ", ".join(f"{k} {v}" for k, v in sorted(provenance["verifier_versions"].items()))
    return (
        str(provenance_hash(provenance)),
        str(provenance["service_version"]),
        versions,
        str(provenance["judge_model"] or "-"),
        str(provenance["config_hash"]),
    )


def _example(line: dict[str, Any], stored: str, new: str) -> dict[str, Any]:
    result = line["result"]
    return {
        "source": str(line.get("source", "")),
        "position": int(line["position"]),
        "stored": stored,
        "new": new,
        "reason": result["reason"],
        "extracted_answer": (result.get("extracted_answer") or "")[:80],
    }


def build_report(output: Path) -> Report:
    """Counts over every line of ``output`` (this run's and earlier runs')."""
    report = Report()
    with output.open("rb") as stream:
        for raw in stream:
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            report.add(line)
    return report


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _matrix_rows(report: Report) -> list[list[object]]:
    return [[s, *(report.transitions[(s, n)] for n in NEW)] for s in STORED]


def report_markdown(report: Report, source: str) -> str:
    """The report as Markdown: results, routes, transition matrix, flips and why, examples,
    per-``data_source`` counts and the provenance of the results."""
    passed = report.flips[("unchanged",)]
    lines = [f"# Rescoring report: {source}", "", f"{report.rows} rows."]
    if passed:
        lines.append(f"{passed} rows passed through unscored (their provenance was current).")
    lines += ["", "## Results", ""]
    lines += _table(
        ["count", "status", "verdict", "reason"],
        [(n, *key) for key, n in report.outcomes.most_common()],
    )
    lines += ["", "## Routes", ""]
    lines += _table(["route", "count"], [(*k, n) for k, n in report.routes.most_common()])
    lines += [
        "",
        "## Stored → new verdicts",
        "",
        "Rows: the verdict the dump's reward stood for (> 0 correct, <= 0 incorrect); "
        "columns: the new result.",
        "",
    ]
    lines += _table(["stored \\ new", *NEW], _matrix_rows(report))
    lines += ["", "## Flips against the dump", ""]
    lines += _table(["flip", "count"], [(*k, n) for k, n in report.flips.most_common()])
    lines += ["", "## Why verdicts changed", ""]
    lines += _table(
        ["flip", "reason", "count"], [(*key, n) for key, n in report.flip_reasons.most_common()]
    )
    lines += ["", "## Examples of flips", ""]
    lines += _table(
        ["source", "position", "stored", "new", "reason", "extracted answer"],
        [
            (e["source"], e["position"], e["stored"], e["new"], e["reason"], e["extracted_answer"])
            for e in report.examples
        ],
    )
    lines += ["", "## By data_source", ""]
    sources = sorted({key[0] for key in report.data_sources})
    lines += _table(
        ["data_source", *NEW, "total"],
        [
            [
                name,
                *(report.data_sources[(name, n)] for n in NEW),
                sum(report.data_sources[(name, n)] for n in NEW),
            ]
            for name in sources
        ],
    )
    lines += ["", "## Provenance", ""]
    lines += _table(
        ["hash", "service", "verifiers", "judge", "config", "rows"],
        [(*key, n) for key, n in report.provenances.most_common()],
    )
    return "\n".join(lines) + "\n"


def report_plot(report: Report, path: Path) -> bool:
    """The labelled stored→new transition matrix as a PNG; nothing (False) when there are no
    rows to draw."""
    if report.rows == 0:
        path.unlink(missing_ok=True)
        return False
    import matplotlib  # noqa: PLC0415 - plotting only when a report is written

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    counts = [[report.transitions[(s, n)] for n in NEW] for s in STORED]
    figure, axes = plt.subplots(figsize=(9, 4))
    image = axes.imshow(counts, cmap="Blues")
    axes.set_xticks(range(len(NEW)), labels=list(NEW))
    axes.set_yticks(range(len(STORED)), labels=[f"stored {s}" for s in STORED])
    axes.set_xlabel("new result")
    axes.set_title(f"stored → new verdicts ({report.rows} rows)")
    peak = max(max(row) for row in counts) or 1
    for y, row in enumerate(counts):
        for x, n in enumerate(row):
            colour = "white" if n > peak / 2 else "black"
            axes.text(x, y, str(n), ha="center", va="center", color=colour)
    figure.colorbar(image, ax=axes, label="rows")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True
