import pytest

from reward_service.rewards import PartialPolicy, RewardTable
from reward_service.types import Status, Verdict

DEFAULT = RewardTable()
FRACTIONAL = RewardTable(
    correct=1.0, incorrect=0.0, filtered=-0.5, partial_policy=PartialPolicy.FRACTIONAL
)


@pytest.mark.parametrize(
    ("table", "status", "verdict", "fraction", "reward"),
    [
        (DEFAULT, Status.SCORED, Verdict.CORRECT, 0.0, 1.0),
        (DEFAULT, Status.SCORED, Verdict.INCORRECT, 0.0, -1.0),
        (DEFAULT, Status.FILTERED, None, 0.0, -1.0),
        (DEFAULT, Status.UNSCORABLE, None, 0.0, None),
        (DEFAULT, Status.SCORED, Verdict.PARTIAL, 0.5, -1.0),
        (FRACTIONAL, Status.SCORED, Verdict.PARTIAL, 0.25, 0.25),
        (FRACTIONAL, Status.FILTERED, None, 0.0, -0.5),
        (FRACTIONAL, Status.UNSCORABLE, None, 0.0, None),
    ],
)
def test_reward_table(
    table: RewardTable,
    status: Status,
    verdict: Verdict | None,
    fraction: float,
    reward: float | None,
) -> None:
    assert table.reward(status, verdict, fraction) == reward
