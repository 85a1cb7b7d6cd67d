"""The answer-class probe table (``tests/data/answer_classes.jsonl``: one row per example of a
class of answers — ordered blanks, comma lists, huge and tiny numbers, units and counter words,
anchors in other languages, and the classes the README lists) through the offline ``score``
CLI: every row must get its expected verdict."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from tests.serving import ROOT

TABLE = Path(__file__).resolve().parents[1] / "data" / "answer_classes.jsonl"
ROWS: list[dict[str, Any]] = [
    json.loads(line) for line in TABLE.read_text(encoding="utf-8").splitlines() if line.strip()
]
REQUEST_FIELDS = ("id", "response", "gold", "problem", "template")


def test_the_table_covers_the_classes() -> None:
    assert len(ROWS) >= 100
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    per_class = Counter(r["class"] for r in ROWS)
    for name in (
        "ordered_blanks",
        "comma_list",
        "huge_and_tiny_numbers",
        "units_and_counters",
        "anchors_other_languages",
    ):
        assert per_class[name] >= 10, name


def test_every_row_gets_its_verdict_through_the_cli() -> None:
    lines = "".join(
        json.dumps({k: r[k] for k in REQUEST_FIELDS if k in r}, ensure_ascii=False) + "\n"
        for r in ROWS
    )
    done = subprocess.run(
        [sys.executable, "-m", "reward_service.cli", "score", "-", "-o", "-", "-q"],
        input=lines.encode(),
        capture_output=True,
        timeout=300,
        cwd=ROOT,
        check=True,
    )
    results = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [r["id"] for r in results] == [r["id"] for r in ROWS]
    wrong = [
        f"{row['id']} [{row['class']}] {row['response']!r} vs {row['gold']!r}: "
        f"{result['status']}/{result['reason']}"
        for row, result in zip(ROWS, results, strict=True)
        if (result["verdict"] == "correct") != (row["expected"] == "correct")
    ]
    assert not wrong, wrong
