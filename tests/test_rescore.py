"""``reward-service rescore``: dump shapes (JSONL and Parquet), field mapping, malformed rows,
resume, the report's numbers, and scoring against a running server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.serving import ROOT, Server

GOLDS = ["3", "\\frac{1}{2}", "7\\pi", "12"]
RIGHT = ["3", "0.5", "7 \\pi", "12"]
WRONG = ["4", "1/3", "7", "21"]


def verl_rows(n: int = 20) -> list[dict[str, Any]]:
    """Row i: correct when i is even; the dump stored +1 for i % 4 == 0 (agrees on half)."""
    rows = []
    for i in range(n):
        answer = (RIGHT if i % 2 == 0 else WRONG)[i % 4]
        rows.append(
            {
                "input": f"Problem {i}. Solve. <think>",
                "output": f"work {i}</think>So the answer is $\\boxed{{{answer}}}$.",
                "gts": GOLDS[i % 4],
                "score": 1.0 if i % 4 == 0 else -1.0,
                "step": 3,
                "data_source": "math",
            }
        )
    return rows


def run_rescore(dump: Path, out: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "reward_service.cli",
            "rescore",
            str(dump),
            "-o",
            str(out),
            "-q",
            *args,
        ],
        capture_output=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done


def lines(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.read_text().splitlines()]


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def test_verl_jsonl_report_numbers(tmp_path: Path) -> None:
    dump = write_jsonl(tmp_path / "step3.jsonl", verl_rows())
    out = tmp_path / "out.jsonl"
    run_rescore(dump, out)
    results = lines(out)
    assert [r["position"] for r in results] == list(range(1, 21))
    assert [r["result"]["verdict"] for r in results] == [
        "correct" if i % 2 == 0 else "incorrect" for i in range(20)
    ]
    report = (tmp_path / "out.report.md").read_text()
    assert "| 10 | scored | correct | answer.equivalent |" in report
    assert "| 10 | scored | incorrect | answer.not_equivalent |" in report
    # stored +1 for i%4==0 (all correct now: same), -1 elsewhere: i%4==2 went up
    assert "| same | 15 |" in report and "| up | 5 |" in report
    assert "| up | answer.equivalent | 5 |" in report
    assert (tmp_path / "out.report.png").stat().st_size > 5000


def test_parquet_gives_the_same_results(tmp_path: Path) -> None:
    rows = verl_rows()
    jsonl, parquet = tmp_path / "d.jsonl", tmp_path / "d.parquet"
    write_jsonl(jsonl, rows)
    pq.write_table(pa.Table.from_pylist(rows), parquet, row_group_size=7)
    run_rescore(jsonl, tmp_path / "a.jsonl")
    run_rescore(parquet, tmp_path / "b.jsonl")
    strip = [
        {k: v for k, v in r["result"].items() if k not in ("elapsed_ms", "cached")}
        for r in lines(tmp_path / "a.jsonl")
    ]
    assert strip == [
        {k: v for k, v in r["result"].items() if k not in ("elapsed_ms", "cached")}
        for r in lines(tmp_path / "b.jsonl")
    ]


def test_openrlhf_shape_and_field_mapping(tmp_path: Path) -> None:
    rows = [
        {
            "prompt": "Q <think>",
            "query": "Q <think>x</think>\\boxed{3}",
            "label": "3",
            "reward": -1.0,
        },
        {
            "prompt": "Q <think>",
            "query": "Q <think>x</think>\\boxed{5}",
            "label": "3",
            "reward": 1.0,
        },
    ]
    out = tmp_path / "o.jsonl"
    run_rescore(write_jsonl(tmp_path / "orl.jsonl", rows), out, "--shape", "openrlhf")
    assert [(r["stored_reward"], r["result"]["reward"]) for r in lines(out)] == [
        (-1.0, 1.0),
        (1.0, -1.0),
    ]
    custom = [{"completion": "<think>x</think>\\boxed{12}", "answer": "12", "r": 0.0}]
    out = tmp_path / "c.jsonl"
    run_rescore(
        write_jsonl(tmp_path / "custom.jsonl", custom),
        out,
        "--shape",
        "plain",
        "--field",
        "response=completion",
        "--field",
        "gold=answer",
        "--field",
        "reward=r",
    )
    assert lines(out)[0]["result"]["verdict"] == "correct"
    assert lines(out)[0]["stored_reward"] == 0.0


def test_malformed_rows_are_reported_with_their_position(tmp_path: Path) -> None:
    rows: list[Any] = verl_rows(4)
    rows.insert(1, "{not json")
    rows.insert(3, {"input": "p", "output": "<think>x</think>\\boxed{1}"})  # no gts
    out = tmp_path / "o.jsonl"
    run_rescore(write_jsonl(tmp_path / "bad.jsonl", rows), out)
    results = lines(out)
    assert len(results) == 6
    errors = {
        r["position"]: r["result"]["detail"]
        for r in results
        if r["result"]["reason"] == "invalid_request"
    }
    assert set(errors) == {2, 4}
    assert errors[2].startswith("row 2: invalid JSON")
    assert errors[4] == "row 4: missing field 'gts'"
    assert sum(r["result"]["status"] == "scored" for r in results) == 4


def test_resume_scores_only_what_is_missing(tmp_path: Path) -> None:
    dump = write_jsonl(tmp_path / "d.jsonl", verl_rows(20))
    out = tmp_path / "o.jsonl"
    run_rescore(dump, out)
    first = out.read_text().splitlines()
    out.write_text("\n".join(first[:7]) + "\n" + first[7][:25])  # killed mid-write
    done = subprocess.run(
        [sys.executable, "-m", "reward_service.cli", "rescore", str(dump), "-o", str(out)],
        capture_output=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert b"rescored 13 rows" in done.stderr
    positions = [
        json.loads(line)["position"]
        for line in out.read_text().splitlines()
        if line.startswith("{") and line.endswith("}")
    ]
    assert sorted(positions) == list(range(1, 21))
    assert "20 rows." in (tmp_path / "o.report.md").read_text()


def test_against_a_running_server(server: Server, tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    run_rescore(write_jsonl(tmp_path / "d.jsonl", verl_rows(8)), out, "--server", server.grpc_url)
    assert [r["result"]["verdict"] for r in lines(out)] == [
        "correct" if i % 2 == 0 else "incorrect" for i in range(8)
    ]


@pytest.mark.parametrize("bad", [["--shape", "nope"], ["--field", "nonsense"]])
def test_usage_errors(tmp_path: Path, bad: list[str]) -> None:
    dump = write_jsonl(tmp_path / "d.jsonl", verl_rows(1))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "reward_service.cli",
            "rescore",
            str(dump),
            "-o",
            str(tmp_path / "o.jsonl"),
            *bad,
        ],
        capture_output=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode != 0
