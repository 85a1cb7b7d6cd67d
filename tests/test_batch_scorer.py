"""The batch-engine stage called as an engine calls it, on an Arrow batch of a dump's columns:
every input column kept, result columns added, a bad row an ``invalid_request`` result."""

from __future__ import annotations

import json

import pyarrow as pa

from reward_service.batch_scorer import PREFIX, RESULT_COLUMNS, BatchScorer, ScorerOptions
from reward_service.dumps import SHAPES
from tests.conftest import make_settings


def test_an_arrow_batch_gets_result_columns_and_a_bad_row_an_invalid_result() -> None:
    batch = pa.table(
        {
            "input": ["Q <think>", "Q <think>", "Q <think>"],
            "output": ["x</think>\\boxed{3}", "x</think>\\boxed{4}", "x</think>\\boxed{3}"],
            "gts": ["3", "3", None],
            "score": [0.0, 1.0, 1.0],
            "step": [7, 7, 7],
        }
    )
    scorer = BatchScorer(ScorerOptions(shape=SHAPES["verl"]), make_settings())
    try:
        scored = scorer(batch)
    finally:
        scorer.close()
    assert scored.column_names == batch.column_names + [PREFIX + c for c in RESULT_COLUMNS]
    assert scored.column("step").to_pylist() == [7, 7, 7]
    column = {c: scored.column(PREFIX + c).to_pylist() for c in RESULT_COLUMNS}
    assert column["verdict"] == ["correct", "incorrect", None]
    assert column["reward"] == [1.0, -1.0, None]
    assert column["status"][2] == "unscorable" and column["reason"][2] == "invalid_request"
    assert column["stored_reward"] == [0.0, 1.0, 1.0]
    assert column["provenance_hash"][:2] == [scorer.provenance_hash] * 2
    assert json.loads(column["result"][0])["extracted_answer"] == "3"
