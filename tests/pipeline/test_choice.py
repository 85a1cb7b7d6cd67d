"""Multiple-choice golds and the option letters a response commits to."""

from __future__ import annotations

import pytest

from reward_service.pipeline.choice import choice_gold, decide_choice
from reward_service.pipeline.extraction import choice_answer
from reward_service.types import Reason, Verdict


@pytest.mark.parametrize(
    ("gold", "letters"),
    [
        ("B", "B"),
        ("(C)", "C"),
        ("C. $\\{x \\mid x > 1\\}$", "C"),
        ("AC", "AC"),
        ("A,C", "AC"),
        ("A、C", "AC"),
        ("B and D", "BD"),
        ("$D$", "D"),
        # not choice golds: a name written out of order, numbers, words, lower-case letters
        ("BA", None),
        ("42", None),
        ("x", None),
        ("Evelyn", None),
        ("AI", None),
        ("A = 3", None),
        ("A:B=1", None),
    ],
)
def test_choice_gold(gold: str, letters: str | None) -> None:
    found = choice_gold(gold)
    assert (None if found is None else "".join(sorted(found))) == letters


@pytest.mark.parametrize(
    ("span", "letters", "hedged"),
    [
        # where the letters are stated
        ("【答案】D<eoa>", "D", False),
        ("正确答案是A. $\\{-1,0\\}$", "A", False),
        ("Checking each option, $\\boxed{C. (0,1,0)}$", "C", False),
        ("$\\boxed{\\text{B}}$", "B", False),
        ("选项A是正确的。", "A", False),
        ("so the correct option is $A$.", "A", False),
        ("The answer is (B).", "B", False),
        ("综上，选B。", "B", False),
        ("故选：C．", "C", False),
        ("**Answer: D**", "D", False),
        ("B", "B", False),
        ("(C) $x = 2$", "C", False),
        ("逐项判断，正确的是AC。\n【答案】A、C", "AC", False),
        # the answer then its explanation: the explanation's letters do not count
        ("【答案】B【解析】A选项错误，可能会误选C。", "B", False),
        # the last statement is the answer
        ("初步判断选A。再检验后发现不对，故选B。", "B", False),
        # hedges between letters
        ("答案是A或B。", "A", True),
        ("The answer is (A) or (B).", "A", True),
        ("$\\boxed{A}$ or perhaps $\\boxed{B}$", "B", True),
        ("【答案】A。不对，可能是C。", "A", True),
        # no letter stated: text only, a rejected option, a quoted reference answer
        ("所以答案为$\\{-1,0\\}$。", None, False),
        ("选项A是错误的。", None, False),
        ("我的结果是$3$。参考答案：A", None, False),
        ("The answer is not B.", None, False),
        ("Point A lies on the circle.", None, False),
    ],
)
def test_choice_answer(span: str, letters: str | None, hedged: bool) -> None:
    reading = choice_answer(span)
    if letters is None:
        assert reading is None
    else:
        assert reading is not None
        assert (reading.text, reading.hedged) == (letters, hedged)


def test_letters_compare_as_sets() -> None:
    gold = choice_gold("A,C")
    assert gold is not None
    same = decide_choice(gold, choice_answer("【答案】CA"))
    assert (same.verdict, same.reason) == (Verdict.CORRECT, Reason.ANSWER_EQUIVALENT)
    fewer = decide_choice(gold, choice_answer("【答案】A"))
    assert (fewer.verdict, fewer.reason) == (Verdict.INCORRECT, Reason.ANSWER_NOT_EQUIVALENT)
    hedge = decide_choice(gold, choice_answer("答案是AC或AD"))
    assert (hedge.verdict, hedge.reason) == (Verdict.INCORRECT, Reason.ANSWER_HEDGED)
    none = decide_choice(gold, choice_answer("答案为$\\{1,2\\}$"))
    assert (none.verdict, none.reason) == (Verdict.INCORRECT, Reason.ANSWER_MISSING)
