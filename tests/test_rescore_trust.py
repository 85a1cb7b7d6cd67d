"""Rescoring a user can trust: a dump fingerprint guards resume, an all-invalid run fails,
flips compare verdicts (verl's 0/1 against our ±1), list golds as verl writes them, the
report's transition matrix, examples, data sources and provenance, directories and globs,
and ``--only-changed``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from reward_service.provenance_hash import provenance_hash
from tests.serving import ROOT
from tests.test_rescore import lines, run_rescore, verl_rows, write_jsonl


def rescore_failing(dump: Path, out: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(
        [sys.executable, "-m", "reward_service.cli", "rescore", str(dump), "-o", str(out), *args],
        capture_output=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode != 0
    return done


def test_resume_refuses_an_output_of_another_dump(tmp_path: Path) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", verl_rows(4))
    other = write_jsonl(tmp_path / "b.jsonl", verl_rows(6))
    out = tmp_path / "o.jsonl"
    run_rescore(first, out)
    done = rescore_failing(other, out, "-q")
    message = done.stderr.decode().strip()
    assert "different dump" in message and "--restart" in message
    assert len(message.splitlines()) == 1  # one line, no traceback
    assert len(lines(out)) == 4  # untouched
    run_rescore(other, out, "--restart")
    assert [r["position"] for r in lines(out)] == list(range(1, 7))


def test_every_row_invalid_exits_non_zero(tmp_path: Path) -> None:
    dump = write_jsonl(tmp_path / "d.jsonl", verl_rows(3))
    done = rescore_failing(dump, tmp_path / "o.jsonl", "-q", "--shape", "openrlhf")
    assert b"every row (3) is invalid" in done.stderr


def test_flips_compare_verdicts_not_reward_scales(tmp_path: Path) -> None:
    rows = verl_rows(8)
    for i, row in enumerate(rows):  # verl's math reward, 1 right / 0 wrong: agrees with ours
        row["score"] = 1.0 if i % 2 == 0 else 0.0
    rows[1]["score"] = 1.0  # one real flip: stored correct, now incorrect
    rows[1]["data_source"] = "gsm8k"
    out = tmp_path / "o.jsonl"
    run_rescore(write_jsonl(tmp_path / "d.jsonl", rows), out)
    report = (tmp_path / "o.report.md").read_text()
    assert "| same | 7 |" in report and "| down | 1 |" in report
    assert "| up |" not in report  # 0 → -1 is not a flip
    # the transition matrix: stored correct → correct 4, stored correct → incorrect 1, ...
    assert "| correct | 4 | 0 | 1 | 0 | 0 | 0 |" in report
    assert "| incorrect | 0 | 0 | 3 | 0 | 0 | 0 |" in report
    assert "| d.jsonl | 2 | correct | incorrect | answer.not_equivalent | 1/3 |" in report
    assert "| gsm8k | 0 | 0 | 1 | 0 | 0 | 0 | 1 |" in report
    assert "| math | 4 | 0 | 3 | 0 | 0 | 0 | 7 |" in report
    provenance = lines(out)[0]["result"]["provenance"]
    assert f"| {provenance_hash(provenance)} | {provenance['service_version']} |" in report
    assert (tmp_path / "o.report.png").stat().st_size > 5000


def test_list_golds_as_verl_writes_them(tmp_path: Path) -> None:
    base = {"input": "Q <think>", "score": 1.0}
    rows = [
        {**base, "output": "x</think>\\boxed{2}", "gts": "['1' '2']"},  # numpy repr
        {**base, "output": "x</think>\\boxed{5}", "gts": "['1', '2']"},  # list repr
        {**base, "output": "x</think>\\boxed{1}", "gts": "['1' 2"},  # neither: flagged
    ]
    out = tmp_path / "o.jsonl"
    run_rescore(write_jsonl(tmp_path / "d.jsonl", rows), out)
    results = [r["result"] for r in lines(out)]
    assert [r["verdict"] for r in results[:2]] == ["correct", "incorrect"]
    assert (results[2]["status"], results[2]["reason"], results[2]["reward"]) == (
        "unscorable",
        "invalid_gold",
        None,
    )
    assert "looks like a list" in results[2]["detail"]


def write_dump_dir(root: Path) -> Path:
    """Two Parquet files and a JSONL file (with a malformed line and a blank one)."""
    rows = verl_rows(30)
    (root / "dump" / "step2").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows[:10]), root / "dump" / "a.parquet", row_group_size=4)
    pq.write_table(pa.Table.from_pylist(rows[10:20]), root / "dump" / "step2" / "b.parquet")
    body = [json.dumps(r) for r in rows[20:]]
    body.insert(3, "{not json")
    body.insert(5, "")
    (root / "dump" / "c.jsonl").write_text("\n".join(body) + "\n")
    return root / "dump"


def keyed(out: Path) -> dict[tuple[str, int], dict[str, Any]]:
    """Results by (source, position), without the fields that vary between runs."""
    found = {}
    for line in lines(out):
        result = line["result"]
        if result is not None:
            result = {k: v for k, v in result.items() if k not in ("elapsed_ms", "cached")}
        found[(line["source"], line["position"])] = {**line, "result": result}
    return found


def test_a_directory_and_a_glob(tmp_path: Path) -> None:
    dump = write_dump_dir(tmp_path)
    out = tmp_path / "dir.jsonl"
    run_rescore(dump, out)
    results = keyed(out)
    assert sorted({source for source, _ in results}) == [
        "a.parquet",
        "c.jsonl",
        "step2/b.parquet",
    ]
    assert len(results) == 31  # 30 rows and the malformed line; the blank line is no row
    assert results[("c.jsonl", 4)]["result"]["reason"] == "invalid_request"
    globbed = tmp_path / "glob.jsonl"
    run_rescore(Path(f"{dump}/**/*.parquet"), globbed)
    assert set(keyed(globbed)) == {k for k in results if k[0] != "c.jsonl"}


def test_only_changed_passes_current_rows_through(tmp_path: Path) -> None:
    rows = verl_rows(6)
    first = tmp_path / "first.jsonl"
    run_rescore(write_jsonl(tmp_path / "d.jsonl", rows), first)
    current = provenance_hash(lines(first)[0]["result"]["provenance"])
    for i, row in enumerate(rows):  # rows 0-2 scored by today's setup, 3-5 by an older one
        row["rescore_provenance_hash"] = current if i < 3 else "0123456789abcdef"
    out = tmp_path / "o.jsonl"
    run_rescore(write_jsonl(tmp_path / "again.jsonl", rows), out, "--only-changed")
    results = lines(out)
    assert [r["result"] is None for r in results] == [True] * 3 + [False] * 3
    assert {r.get("provenance_hash") for r in results[:3]} == {current}
    assert [r["result"]["verdict"] for r in results[3:]] == ["incorrect", "correct", "incorrect"]
    report = (tmp_path / "o.report.md").read_text()
    assert "3 rows passed through unscored" in report
    assert "| unchanged | 3 |" in report
