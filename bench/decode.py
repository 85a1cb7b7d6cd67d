"""Request-decode benchmark on the GRPO step's batch (``bench/grpo.py``'s 4096 responses): the
two costs the front doors pay per batch before any scoring, each against what it replaced,
timed in the same run (best of 3).

- lone-surrogate scrubbing of every string field: the fast check (``types._without_surrogates``)
  against the regular expression applied to every string before;
- the HTTP batch body: pydantic's JSON parser on the bytes against the standard library's
  ``json.loads``, which FastAPI used.

    python bench/decode.py [--problems 256] [--rollouts 16]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pydantic_core import from_json

from bench.grpo import grpo_step
from reward_service.types import _SURROGATE, _without_surrogates


def best_ms(work: Callable[[], object], runs: int = 3) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return min(timings) * 1e3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", type=int, default=256)
    parser.add_argument("--rollouts", type=int, default=16)
    args = parser.parse_args()
    batch = grpo_step(args.problems, args.rollouts, judge_share=0.4)
    body = {"requests": [r.model_dump(mode="json", exclude_none=True) for r in batch]}
    raw = json.dumps(body).encode()
    texts = [t for r in batch for t in (r.response, str(r.gold), r.problem or "")]
    regex = best_ms(lambda: [_SURROGATE.sub("\ufffd", t) for t in texts])
    check = best_ms(lambda: [_without_surrogates(t) for t in texts])
    stdlib = best_ms(lambda: json.loads(raw))
    pydantic = best_ms(lambda: from_json(raw))
    print(f"{len(batch)} requests, {len(raw) / 1e6:.0f} MB of JSON")
    print(f"surrogate scrub: regex {regex:.0f} ms, fast check {check:.1f} ms")
    print(f"batch body: json.loads {stdlib:.0f} ms, pydantic from_json {pydantic:.0f} ms")
    print(f"decode: scrub {regex / check:.1f}x body {stdlib / pydantic:.1f}x (vs before)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
