"""verl calls ``compute_score(data_source, solution_str, ground_truth, extra_info)``."""

import asyncio

import numpy as np
import pytest

from reward_service.adapters import verl

KEYS = {"score", "acc", "status", "verdict", "reason", "blame", "unscorable", "masked"}


@pytest.mark.usefixtures("adapter_env")
@pytest.mark.parametrize(
    ("ground_truth", "solution", "expected"),
    [
        ("4", "<think>x</think>\\boxed{4}", (1.0, "scored", "correct", 0.0)),
        (["four apples in all", "4"], "<think>x</think>\\boxed{4}", (0.0, "unscorable", "", 1.0)),
        (np.array(["2^2", "4.0"]), "<think>x</think>\\boxed{4}", (1.0, "scored", "correct", 0.0)),
        (np.array(["5"]), "<think>x</think>\\boxed{4}", (-1.0, "scored", "incorrect", 0.0)),
        ("4", "no think tags \\boxed{4}", (-1.0, "filtered", "", 0.0)),
        ("向东走三步", "<think>x</think>向东", (0.0, "unscorable", "", 1.0)),
    ],
)
def test_compute_score(ground_truth: object, solution: str, expected: tuple[object, ...]) -> None:
    result = verl.compute_score("math", solution, ground_truth, {"question": "What is 2+2?"})
    assert set(result) == KEYS
    assert (result["score"], result["status"], result["verdict"], result["unscorable"]) == expected
    assert all(v is not None for v in result.values())


@pytest.mark.usefixtures("adapter_env")
def test_batch_and_async_forms() -> None:
    batch = verl.compute_score_batch(
        data_sources=["a", "b"],
        solution_strs=["<think>x</think>\\boxed{4}", "bad"],
        ground_truths=["4", "4"],
        extra_infos=[None, {"think_in_prompt": True}],
    )
    assert [r["score"] for r in batch] == [1.0, -1.0]
    assert [set(r) for r in batch] == [KEYS, KEYS]
    assert batch[1]["reason"] == "format.missing_think_close"

    async def go() -> list[dict[str, object]]:
        return list(
            await asyncio.gather(
                *(
                    verl.compute_score_async(
                        "math",
                        f"x</think>\\boxed{{{i}}}",
                        "3",
                        extra_info={"think_in_prompt": True},
                    )
                    for i in range(5)
                )
            )
        )

    assert [r["score"] for r in asyncio.run(go())] == [-1.0, -1.0, -1.0, 1.0, -1.0]
