"""The committed gRPC code is what scripts/gen_proto makes from proto/ right now."""

import filecmp
import subprocess
from pathlib import Path

from tests.serving import ROOT

GENERATED = ROOT / "reward_service" / "frontends" / "grpc_gen" / "reward" / "v1"
FILES = ["reward_pb2.py", "reward_pb2.pyi", "reward_pb2_grpc.py"]


def test_generated_code_is_fresh(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(ROOT / "scripts" / "gen_proto"), str(tmp_path)],
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    fresh = tmp_path / "reward_service" / "frontends" / "grpc_gen" / "reward" / "v1"
    stale = [
        name for name in FILES if not filecmp.cmp(fresh / name, GENERATED / name, shallow=False)
    ]
    assert stale == [], f"run scripts/gen_proto and commit: {stale}"


def test_every_rpc_and_field_is_documented() -> None:
    lines = (ROOT / "proto" / "reward" / "v1" / "reward.proto").read_text().splitlines()
    for number, line in enumerate(lines):
        code = line.strip()
        is_field = code and code[0].islower() and "=" in code and code.endswith(";")
        if (
            code.startswith(("rpc ", "message ", "enum "))
            or is_field
            or (code.startswith(("TEMPLATE_", "ROUTE", "STATUS_", "VERDICT_")) and "=" in code)
        ):
            assert lines[number - 1].strip().startswith("//"), f"undocumented: {code}"
