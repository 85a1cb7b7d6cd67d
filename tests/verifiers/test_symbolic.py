"""The symbolic verifier through its real worker pool: comparisons and hard deadlines."""

import asyncio
import time

import pytest

from reward_service.settings import SymbolicSettings
from reward_service.verifiers.outcome import Outcome
from reward_service.verifiers.symbolic import SymbolicVerifier
from tests.conftest import TEST_TIMEOUT_S, run

EQ, NE, AU, GU = (
    Outcome.EQUAL,
    Outcome.NOT_EQUAL,
    Outcome.ANSWER_UNPARSABLE,
    Outcome.GOLD_UNPARSABLE,
)

# Inputs that hang or explode sympy and that the magnitude screen cannot read (a difference may
# cancel, so its size is unknown): they reach a worker and its deadline.
HANGING = [
    "10^{10^{10}-1}",
    "(10^{10}-1)!",
    "7^{8^{9}-1}",
]
# Evidently astronomical: answered timeout by the screen, without a worker. The first is
# Math-Verify issue #65.
ASTRONOMICAL = [
    "\\dfrac{5^{\\left(5^{\\left(5^{\\left(5^5\\right)}\\right)} - 4\\right)} - 5}{16}",
    "9^{9^{9^{9}}}",
    "(10^{10^{10}})!",
    *(f"{b}^{{{b}^{{{b}^{{{b}}}}}}}" for b in range(3, 32)),
]


@pytest.fixture(scope="module")
def verifier():  # type: ignore[no-untyped-def]
    v = SymbolicVerifier(SymbolicSettings(workers=2, task_timeout_s=TEST_TIMEOUT_S))
    yield v
    v.close()


@pytest.mark.parametrize(
    ("gold", "answer", "outcome"),
    [
        ("\\frac{1}{3}", "\\frac{2}{6}", EQ),
        ("\\frac{1}{3}", "0.3333", NE),
        ("7\\pi", "7 \\pi", EQ),
        ("0.5", "\\frac12", EQ),
        ("7425000", "7,425,000", EQ),
        ("x^2+2x+1", "(x+1)^2", EQ),
        ("x \\ge 5", "x \\geq 5", EQ),
        ("[1, 2)", "[1,2)", EQ),
        ("\\{1, 2\\}", "2, 1", EQ),
        ("3\\sqrt{2}", "\\sqrt{18}", EQ),
        ("5", "6", NE),
        ("5", "not 5", NE),
        ("5", "\\frac{", AU),
        ("\\frac{", "5", GU),
        ("12:00", "1:00", Outcome.ERROR),  # sympy raises evaluating the ratios: undecided
        ("1000.99", "1000,99", EQ),
        # exact constants are compared exactly, whatever their size
        ("\\frac{1}{2004!}", "\\frac{1}{2006!}", NE),
        ("\\frac{1}{2006!}", "\\frac{1}{2004!}", NE),
        ("2^{2004}", "2^{2005}", NE),
        ("2^{2005}", "2^{2004}", NE),
        ("10^{100}+1", "10^{100}", NE),
        ("10^{100}", "10^{100}+1", NE),
        ("10^{-20}", "10^{-21}", NE),
        ("10^{-21}", "10^{-20}", NE),
        ("10^{-20}\\pi", "10^{-21}\\pi", NE),
        ("\\frac{2006!}{2004!}", "2006 \\cdot 2005", EQ),
        ("2006 \\cdot 2005", "\\frac{2006!}{2004!}", EQ),
        ("2^{2005}", "2 \\cdot 2^{2004}", EQ),
        ("\\frac{1}{2004!}", "\\frac{2005}{2005!}", EQ),
        ("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", EQ),
        # a decimal keeps Math-Verify's rounding only within 1 % of the value: tiny values are
        # not all 0 rounded to six decimals
        ("0.0000001", "\\frac{1}{3\\cdot 10^{6}}", NE),
        ("\\frac{1}{3\\cdot 10^{6}}", "0.0000001", NE),
        ("2 \\times 10^{-9}", "10^{-9}", NE),
        ("0.0000001", "10^{-7}", EQ),
        ("0.000000333333", "\\frac{1}{3\\cdot 10^{6}}", EQ),
        ("\\frac{1}{3}", "0.333333", EQ),
        ("10\\%", "10", EQ),  # percentages keep Math-Verify's reading
        ("10", "10\\%", EQ),
    ],
)
def test_check(verifier: SymbolicVerifier, gold: str, answer: str, outcome: Outcome) -> None:
    assert run(verifier.check(gold, answer)) is outcome


def test_hung_tasks_time_out_while_the_rest_of_the_batch_scores(
    verifier: SymbolicVerifier,
) -> None:
    async def batch() -> tuple[list[Outcome], float]:
        started = time.monotonic()
        outcomes = await asyncio.gather(
            *(verifier.check("1", bomb) for bomb in HANGING),
            *(verifier.check(str(n), str(n)) for n in range(20)),
            *(verifier.check(str(n), str(n + 1)) for n in range(20)),
        )
        return list(outcomes), time.monotonic() - started

    restarts_before = verifier.restarts
    outcomes, elapsed = run(batch())
    assert outcomes[: len(HANGING)] == [Outcome.TIMEOUT] * len(HANGING)
    assert outcomes[len(HANGING) : len(HANGING) + 20] == [EQ] * 20
    assert outcomes[len(HANGING) + 20 :] == [NE] * 20
    # each bomb holds a worker for at most its deadline (+ kill and respawn); 2 workers
    assert elapsed < TEST_TIMEOUT_S * len(HANGING) / 2 + 10
    assert verifier.restarts - restarts_before == len(HANGING)
    # the pool recovered: new work is answered normally
    assert run(verifier.check("\\frac{1}{2}", "0.5")) is EQ


def test_astronomical_answers_are_answered_without_a_worker(verifier: SymbolicVerifier) -> None:
    async def batch() -> tuple[list[Outcome], float]:
        started = time.monotonic()
        outcomes = await asyncio.gather(*(verifier.check("1", tower) for tower in ASTRONOMICAL))
        return list(outcomes), time.monotonic() - started

    assert len(set(ASTRONOMICAL)) >= 30
    restarts_before = verifier.restarts
    outcomes, elapsed = run(batch())
    assert outcomes == [Outcome.TIMEOUT] * len(ASTRONOMICAL)
    # without the screen: one deadline each, two at a time (bench/towers.py measures it)
    assert elapsed < TEST_TIMEOUT_S
    assert verifier.restarts == restarts_before
