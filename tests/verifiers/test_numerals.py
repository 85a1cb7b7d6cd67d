import pytest

from reward_service.verifiers.numerals import same_numeral


@pytest.mark.parametrize(
    ("gold", "answer", "same"),
    [
        ("1000.99", "1000,99", True),
        ("1,22", "1.22", True),
        ("10455", "10,455", True),
        ("1,000", "1000", True),
        ("-2,5", "-2.5", False),  # as likely the two roots -2 and 5
        ("-2,50", "-2.5", True),
        ("1,000", "1.000", False),
        ("3, 4", "3.4", False),
        ("1,2", "12", False),
        ("5", "5", False),
        ("1,000.5", "1000.50", True),
        ("x,1", "x.1", False),
    ],
)
def test_same_numeral(gold: str, answer: str, same: bool) -> None:
    assert same_numeral(gold, answer) is same
    assert same_numeral(answer, gold) is same
