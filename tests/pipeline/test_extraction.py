import pytest

from reward_service.pipeline.extraction import Source, extract_answer, split_parts

B = Source.BOXED
A = Source.ANCHOR
S = Source.STATEMENT
BARE = Source.BARE


@pytest.mark.parametrize(
    ("span", "candidates", "source"),
    [
        ("so the result is $\\boxed{42}$.", ("42",), B),
        ("\\boxed{\\frac{1}{\\sqrt{2}}}", ("\\frac{1}{\\sqrt{2}}",), B),
        ("\\boxed{\\{1, 2\\}}", ("\\{1, 2\\}",), B),
        ("\\fbox{7}", ("7",), B),
        ("\\boxed {x^{2}}", ("x^{2}",), B),
        ("first \\boxed{3}, then finally \\boxed{3}", ("3",), B),
        ("maybe \\boxed{3} but actually \\boxed{4}", ("3", "4"), B),
        ("\\boxed{\\boxed{5}}", ("\\boxed{5}",), B),
        ("\\boxed{unclosed", None, None),
        ("故答案为：$\\frac{1}{2}$。", ("\\frac{1}{2}",), A),
        ("所以最终答案是 ７", ("7",), A),
        ("【答案】\n$\\lambda = 1/2$\n<eoa>", ("\\lambda = 1/2",), A),
        ("答案是：１２", ("12",), A),
        ("The final answer is $100$. I hope it is correct.", ("100",), A),
        ("Long solution. Answer: 42", ("42",), A),
        ("Answer \\[ \n 9 \n \\]", ("9",), A),
        ("The answer is 3.5. Done", ("3.5",), A),
        ("The answer is not $3$.", None, None),
        ("The answer is $3$ or $4$.", None, None),
        ("答案是$3$或$4$", None, None),
        ("I don't think the answer is $3$.", None, None),
        ("If the answer is $3$, we get a contradiction.", None, None),
        ("The answer is $3$.\nWait, that's wrong. It's actually $4$.", None, None),
        ("The answer is $3$? No, it's $4$.", None, None),
        ("**Answer:** $3$ (or possibly $4$)", None, None),
        ("The answer is $3$ squared.", None, None),
        ("Therefore $x \\geq 5$ is the solution.", ("x \\geq 5",), S),
        ("It is not $3$.", None, None),
        ("It is false that $x=3$.", None, None),
        ("The value doesn't equal $3$.", None, None),
        ("Anything other than $3$ works.", None, None),
        ("$3$ squared is the answer.", None, None),
        ("Half of $6$ is the answer.", None, None),
        ("We find that $x \\lt 3$.", ("x \\lt 3",), S),
        ("\\boxed{3} or \\boxed 4", ("3", "4"), B),
        ("\\boxed{3} \\boxed4", ("3", "4"), B),
        ("\\boxed{3} \\fbox 4", ("3", "4"), B),
        ("\\framebox{4}", ("4",), B),
        ("\\colorbox{yellow}{4} and \\fcolorbox{red}{white}{5}", ("4", "5"), B),
        ("It is $3$ or maybe $4$.", None, None),
        ("$3$ or perhaps more", None, None),
        ("42", ("42",), BARE),
        ("  -7/2 ", ("-7/2",), BARE),
        (
            "The remaining steps are left as an exercise for the reader, and so we stop here "
            "without "
            "stating a result.",
            None,
            None,
        ),
        ("line one\nline two 5", None, None),
        ("x = 2 and later 3 and 4 " * 10, None, None),
    ],
)
def test_extract_answer(
    span: str, candidates: tuple[str, ...] | None, source: Source | None
) -> None:
    extraction = extract_answer(span)
    if candidates is None:
        assert extraction is None
    else:
        assert extraction is not None
        assert (extraction.candidates, extraction.source) == (candidates, source)


def test_long_separator_runs_are_linear() -> None:
    # catastrophic backtracking here once froze the event loop
    for separator in [",", "、", ", ", " and "]:
        extraction = extract_answer("\\boxed{1}" + separator * 60 + " hmm \\boxed{2}")
        assert extraction is not None and extraction.joined is None


def test_no_last_number_fallback() -> None:
    truncated = "We compute 3 + 4 = 7, then multiply by 6 to get 42 and then we"
    assert extract_answer(truncated * 3) is None


@pytest.mark.parametrize(
    ("span", "joined"),
    [
        ("\\boxed{1}, \\boxed{2}", "1, 2"),
        ("$\\boxed{(2, 2)} \\quad \\text{and} \\quad \\boxed{(6, 2)}$", "(2, 2), (6, 2)"),
        ("\\boxed{1} and \\boxed{2} and \\boxed{3}", "1, 2, 3"),
        ("\\boxed{3} is wrong, so it must be \\boxed{4}", None),
        ("\\boxed{5}", None),
    ],
)
def test_list_of_boxes(span: str, joined: str | None) -> None:
    extraction = extract_answer(span)
    assert extraction is not None
    assert extraction.joined == joined


def test_boxes_quoted_from_the_problem_are_not_answers() -> None:
    problem = "What goes in the box: $3x + \\boxed{\\phantom{2}} = 7$?"
    span = "Put $\\boxed{\\phantom{2}}$ aside. The number is \\boxed{4}."
    extraction = extract_answer(span, problem)
    assert extraction is not None and extraction.candidates == ("4",)


def test_thousands_of_nested_braces_are_bounded() -> None:
    span = "\\boxed{" + "{" * 5000 + "1" + "}" * 5000 + "}"
    extraction = extract_answer(span)
    assert extraction is not None and len(extraction.final) == 10001


def test_thousands_of_boxes() -> None:
    span = " ".join(f"\\boxed{{{i}}}" for i in range(3000))
    extraction = extract_answer(span)
    assert extraction is not None and len(extraction.candidates) == 3000


@pytest.mark.parametrize(
    ("answer", "count", "parts"),
    [
        ("3; 5", 2, ("3", "5")),
        ("3, 5", 2, ("3", "5")),
        ("(1, 2), 5", 2, ("(1, 2)", "5")),
        ("(1, 2); \\{3, 4\\}", 2, ("(1, 2)", "\\{3, 4\\}")),
        ("1, 2, 3", 2, None),
        ("7", 2, None),
    ],
)
def test_split_parts(answer: str, count: int, parts: tuple[str, ...] | None) -> None:
    assert split_parts(answer, count) == parts
