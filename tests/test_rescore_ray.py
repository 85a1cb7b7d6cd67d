"""``rescore --engine ray`` and the BatchScorer stage on a real local Ray (2 CPUs), started once
for the module: the same results row for row as in-process rescoring, no row lost or doubled
when an actor is killed, resume by partition, and ``--only-changed`` on a dump the stage
scored."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reward_service.batch_scorer import BatchScorer, ScorerOptions
from reward_service.cli import main
from reward_service.dump_files import dump_files
from reward_service.dumps import SHAPES
from reward_service.ray_engine import RayOptions, rescore_with_ray
from reward_service.settings import Settings, SymbolicSettings
from tests.test_rescore import lines, run_rescore, verl_rows
from tests.test_rescore_trust import keyed, write_dump_dir

ray = pytest.importorskip("ray")
pytestmark = [pytest.mark.ray, pytest.mark.timeout(900)]  # a loaded 2-core machine

SETTINGS = Settings(symbolic=SymbolicSettings(workers=1, task_timeout_s=5.0))
ENGINE = ["--engine", "ray", "--actors", "2", "--cpus-per-actor", "0.5", "--workers", "1"]


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def scorer_pids() -> list[int]:
    """Scorer actors of the Ray this test started: processes under this one whose title Ray
    set to the actor's class (the state API needs the dashboard, not installed here)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if b"BatchScorer" not in (entry / "cmdline").read_bytes():
                continue
            pid = ancestor = int(entry.name)
            while ancestor > 1 and ancestor != os.getpid():
                ancestor = _parent(ancestor)
        except (OSError, ValueError, IndexError):
            continue  # it ended meanwhile
        if ancestor == os.getpid():
            found.append(pid)
    return found


def test_same_results_row_for_row_as_in_process(tmp_path: Path) -> None:
    dump = write_dump_dir(tmp_path)
    local, on_ray = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    run_rescore(dump, local)
    assert main(["rescore", str(dump), "-o", str(on_ray), "-q", *ENGINE]) == 0
    assert keyed(on_ray) == keyed(local)
    assert [(r["source"], r["position"]) for r in lines(on_ray)] == list(keyed(local))
    # the report merged from per-partition summaries counts what the in-process one counts
    report = sorted((tmp_path / "ray.report.md").read_text().splitlines())
    assert report == sorted((tmp_path / "local.report.md").read_text().splitlines())
    assert (tmp_path / "ray.report.png").stat().st_size > 5000


def big_dump(root: Path, files: int, rows: int) -> list[Path]:
    root.mkdir()
    paths = []
    for f in range(files):
        path = root / f"part-{f}.parquet"
        pq.write_table(pa.Table.from_pylist(verl_rows(rows)), path, row_group_size=50)
        paths.append(path)
    return paths


def test_a_killed_actor_loses_and_doubles_no_row(tmp_path: Path) -> None:
    big_dump(tmp_path / "dump", files=2, rows=300)
    killed: list[int] = []

    def kill_one_scorer(_: int) -> None:
        if not killed:
            pid = scorer_pids()[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    out = tmp_path / "o.jsonl"
    options = ScorerOptions(shape=SHAPES["verl"])
    engine = RayOptions(actors=2, cpus_per_actor=0.5, batch_size=20, chunk_rows=50)
    written, report = rescore_with_ray(
        dump_files(tmp_path / "dump"), out, options, SETTINGS, engine, progress=kill_one_scorer
    )
    assert killed and killed[0] not in scorer_pids()  # it died; Ray started another
    keys = [(r["source"], r["position"]) for r in lines(out)]
    expected = [(f"part-{f}.parquet", p) for f in range(2) for p in range(1, 301)]
    assert keys == expected and written == 600 and report.rows == 600
    verdicts = [r["result"]["verdict"] for r in lines(out)]
    assert verdicts == ["correct" if i % 2 == 0 else "incorrect" for i in range(300)] * 2


def test_resume_after_an_interrupted_run_scores_only_what_is_missing(tmp_path: Path) -> None:
    paths = big_dump(tmp_path / "dump", files=3, rows=100)
    out = tmp_path / "o.jsonl"
    parts = tmp_path / "o.parts"

    def interrupt_once_a_partition_is_done(_: int) -> None:
        if list(parts.glob("*.summary.json")):
            raise KeyboardInterrupt

    files = dump_files(tmp_path / "dump")
    options = ScorerOptions(shape=SHAPES["verl"])
    engine = RayOptions(actors=2, cpus_per_actor=0.5, batch_size=25, chunk_rows=50)
    with pytest.raises(KeyboardInterrupt):
        rescore_with_ray(
            files, out, options, SETTINGS, engine, progress=interrupt_once_a_partition_is_done
        )
    done = len(list(parts.glob("*.summary.json")))
    assert 1 <= done < 3 and not out.exists()
    written, report = rescore_with_ray(files, out, options, SETTINGS, engine)
    assert written == 100 * (3 - done)
    assert report.rows == 300
    assert [(r["source"], r["position"]) for r in lines(out)] == [
        (p.name, n) for p in paths for n in range(1, 101)
    ]


def test_the_stage_in_a_ray_data_pipeline_then_only_changed(tmp_path: Path) -> None:
    paths = big_dump(tmp_path / "dump", files=2, rows=20)
    scored = tmp_path / "scored"
    (
        ray.data.read_parquet([str(p) for p in paths])
        .map_batches(
            BatchScorer,
            fn_constructor_kwargs={"options": ScorerOptions(shape=SHAPES["verl"])},
            batch_format="pandas",  # the stage takes pandas as well as Arrow batches
            batch_size=16,
            concurrency=1,
            num_cpus=0.5,
        )
        .write_parquet(str(scored))
    )
    table = pa.concat_tables([pq.read_table(p) for p in sorted(scored.glob("*.parquet"))])
    assert table.num_rows == 40
    assert set(table.column("rescore_verdict").to_pylist()) == {"correct", "incorrect"}
    assert table.column("rescore_unchanged").to_pylist() == [False] * 40
    current = table.column("rescore_provenance_hash")[0].as_py()
    # a verifier change: a quarter of the rows were scored by an older setup
    stale = ["0123456789abcdef" if i % 4 == 0 else current for i in range(40)]
    hashes = table.schema.get_field_index("rescore_provenance_hash")
    again = tmp_path / "again"
    again.mkdir()
    pq.write_table(
        table.set_column(hashes, "rescore_provenance_hash", pa.array(stale)),
        again / "scored.parquet",
    )
    out = tmp_path / "o.jsonl"
    assert main(["rescore", str(again), "-o", str(out), "-q", "--only-changed", *ENGINE]) == 0
    results = lines(out)
    assert [r["result"] is None for r in results] == [i % 4 != 0 for i in range(40)]
    assert all(r["result"]["status"] == "scored" for r in results if r["result"] is not None)
    assert "30 rows passed through unscored" in (tmp_path / "o.report.md").read_text()
