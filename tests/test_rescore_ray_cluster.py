"""``rescore --engine ray`` on a Ray cluster that exists before the run, as the README shows it:
a head started with ``ray start`` (2 CPUs, dashboard on), a rescore driver joining it with
``--ray-address``, and the same command sent with ``ray job submit``. Both give row for row
what in-process rescoring gives."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving import ROOT, free_port
from tests.test_rescore import run_rescore
from tests.test_rescore_trust import keyed, write_dump_dir

ray = pytest.importorskip("ray")
pytest.importorskip("ray.dashboard.modules.job.sdk")  # ray[default]: job submission
pytestmark = [pytest.mark.ray, pytest.mark.timeout(900)]

BIN = Path(sys.executable).parent
# Ray 2.60 turns token authentication on for a cluster with a dashboard: the head, the job
# client and every driver share one token, as on a real cluster.
ENV = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16)}
ENGINE = ["--engine", "ray", "--actors", "2", "--cpus-per-actor", "0.5", "--workers", "1", "-q"]


def _ray(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ray"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=ENV,
    )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A Ray head of its own (``ray start --block`` in the foreground, stopped by a signal, so no
    other Ray on the machine is touched): its GCS address and its dashboard URL."""
    port, dashboard = free_port(), free_port()
    temp = Path("/tmp") / f"rs-ray-{os.getpid()}"  # Ray's socket paths must stay short
    log = tmp_path_factory.mktemp("head") / "head.log"
    with log.open("w") as sink:
        head = subprocess.Popen(
            [
                str(BIN / "ray"),
                *("start", "--head", "--block", "--num-cpus", "2", "--port", str(port)),
                *("--include-dashboard", "true", "--dashboard-host", "127.0.0.1"),
                *("--dashboard-port", str(dashboard), "--temp-dir", str(temp)),
                "--disable-usage-stats",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=ENV,
        )
    url = f"http://127.0.0.1:{dashboard}"
    try:
        deadline = time.monotonic() + 180
        while _ray("job", "list", "--address", url, timeout=60).returncode != 0:
            if head.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Ray head did not come up: {log.read_text()[-3000:]}")
            time.sleep(2)
        yield f"127.0.0.1:{port}", url
    finally:
        os.killpg(head.pid, 2)
        try:
            head.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, 9)
            head.wait()
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A dump of two Parquet files and a JSONL file, and its in-process rescoring."""
    root = tmp_path_factory.mktemp("dump")
    dump = write_dump_dir(root)
    run_rescore(dump, root / "local.jsonl")
    return dump, root / "local.jsonl"


def test_a_driver_joins_an_existing_cluster_with_ray_address(
    cluster: tuple[str, str], dump: tuple[Path, Path], tmp_path: Path
) -> None:
    address, _ = cluster
    source, local = dump
    out = tmp_path / "joined.jsonl"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "reward_service.cli", "rescore", str(source), "-o", str(out)),
            *(*ENGINE, "--ray-address", address),
        ],
        capture_output=True,
        cwd=ROOT,
        timeout=600,
        check=False,
        env=ENV,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    assert keyed(out) == keyed(local)


def test_ray_job_submit_runs_the_readme_command(
    cluster: tuple[str, str], dump: tuple[Path, Path], tmp_path: Path
) -> None:
    _, url = cluster
    source, local = dump
    out = tmp_path / "submitted.jsonl"
    job = _ray(
        *("job", "submit", "--address", url, "--"),
        *(str(BIN / "reward-service"), "rescore", str(source), "-o", str(out)),
        *ENGINE,
        *("--ray-address", "auto"),
        timeout=600,
    )
    assert job.returncode == 0, (job.stdout + job.stderr)[-3000:]
    assert "succeeded" in job.stdout.lower()
    assert keyed(out) == keyed(local)
    assert (tmp_path / "submitted.report.md").is_file()
