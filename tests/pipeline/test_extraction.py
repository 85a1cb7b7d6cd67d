import time

import pytest

from reward_service.pipeline.extraction import Source, extract_answer, listed_boxes

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
        # Minerva's format, its sign-off, and a final answer written as a sentence
        ("Final Answer: The largest $n$ is 34.", ("34",), S),
        (
            "So $h = 4$. Final Answer: The volume of $ABCD$ is 120. I hope it is correct.",
            ("120",),
            S,
        ),
        (
            "Final Answer: Jane started growing Sphere 3 hours ago.",
            ("Jane started growing Sphere 3 hours ago",),
            A,
        ),
        ("The final answer is $12$. I hope it is correct. Actually no, it is $13$.", None, None),
        (
            "The final answer is $14$. I hope it is correct. Note: we assumed $A$, $B$ digits.",
            None,
            None,
        ),
        ("The final answer is $14$. I hope it is correct.", ("14",), A),
        # an anchor after the boxes states the final answer; a qualified one does not
        (
            "$0.04 \\cdot 10,000 = \\boxed{200}$, then $\\boxed{255}$. Final Answer: The final "
            "answer is $10,455$. I hope it is correct.",
            ("10,455",),
            A,
        ),
        ("\\boxed{5}. Note: the answer is not 6.", ("5",), B),
        # a concluding final sentence
        ("P(A) = 1/2 + P(A)/4, so P(A) = 2/3 Therefore, the probability is 2/3.", ("2/3",), S),
        (
            "We substitute. So, the ordered pair $(x, y)$ that solves the system is $(7, 6)$.",
            ("(7, 6)",),
            S,
        ),
        ("Step one. Therefore, there are 12 sequences. I hope it is correct.", ("12",), S),
        ("We get $a = 1$ or $a = -3$.\n【答案】见上。因此，$a = 1$。<eoa>", ("a = 1",), S),
        ("Step one. Therefore, the answer could be 3 or 4.", None, None),
        ("Step one gives 7.\nSo, we multiply by 6 and get 42 and then", None, None),
        ("Step one gives 7.\nSo, it is not 42.", None, None),
        # one short line that asserts a value
        ("the number is not 10 which is 1,000.99€", ("1000.99",), S),
        ("The identity matrix is $I_2$.", ("I_2",), S),
        (
            "Here is a zero matrix: $\\begin{pmatrix}0\\end{pmatrix}$",
            ("\\begin{pmatrix}0\\end{pmatrix}",),
            S,
        ),
        ("$28$ percent", ("28",), S),
        ("$E$", ("E",), S),
        ("5 apples", ("5",), S),
        ("First we compute 3", None, None),
        ("So, we get 3 and then", None, None),
        # the answer ends where the model starts inventing the next turn
        ("The answer is 2/3. <|im_start|>user\nWhat is 5 + 5? The answer is 10.", ("2/3",), A),
        ("\\boxed{3} <|im_start|>user \\boxed{4}", ("3",), B),
        ("I could not solve it.<｜end▁of▁sentence｜>\\boxed{5}", None, None),
        ("I could not solve it. <end_of_turn> \\boxed{5}", None, None),
        ("I could not solve it. < |im_start| > assistant \\boxed{5}", None, None),
        (
            "The answer is 7.\n\nProblem:\nCompute $2+2$.\n\nSolution:\nSo, the total is 4.",
            ("7",),
            A,
        ),
        # words after the box that only mention the answer leave the box standing
        ("\\boxed{5}\n\nThe answer is consistent with the constraints.", ("5",), B),
        ("\\boxed{5}\n\n答案是正确的。", ("5",), B),
        # a second thought with another value after the box: neither value is the answer
        # (issue 16: "Or maybe six."); this once read 3, and never 5
        ("\\boxed{3}. Alternatively, the answer is $5$.", None, None),
        ("\\boxed{6}.\n\nAlternatively, we can use that every multiple of 6 is even.", ("6",), B),
        ("\\boxed{7}. (A student who forgets the carry would say the answer is $5$.)", ("7",), B),
        # a sentence stating a list
        ("Therefore, the solutions are $x = 1$ and $x = 2$.", ("x = 1, x = 2",), S),
        ("故选 B。", ("B",), A),
        ("**Final Answer**\n5", ("5",), A),
        ("So, x = 5.", ("5",), S),
        # second red-team pass
        ("The answer is $5$. Or maybe six.", None, None),
        ("The answer is 5. No wait, it is seven.", None, None),
        ("Suppose the answer is $5$. Then the sum would be too large.", None, None),
        ("\\boxed{7}. Suppose the final answer is $5$. Then we get a contradiction.", ("7",), B),
        ("\\boxed{5} is wrong.", None, None),
        ("A careless student would write: Therefore, x = 5.", None, None),
        ("一个常见错误是写成：因此 x = 5。", None, None),
        ("\\boxed{7}<eos>\nFinal answer: $4$", ("7",), B),
        ("\\boxed{7}‹|im_end|›\nFinal answer: $4$", ("7",), B),
        ("\\boxed{7}\n### Problem: Find 2+2.\nFinal answer: $4$", ("7",), B),
        ("Step 1: Calculate\nStep 2: Simplify\nFinal answer: 42", ("42",), A),
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
        # the final run of boxes holds every distinct answer: a restated list
        (
            "The integers are \\boxed{-2} and \\boxed{1}. Checking each one confirms it. "
            "Thus: \\[ \\boxed{-2} \\quad \\text{and} \\quad \\boxed{1}. \\]",
            "-2, 1",
        ),
        ("\\boxed{3} was wrong. The roots are \\boxed{4} and \\boxed{5}", None),
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
    ("text", "listed"),
    [
        ("\\boxed{1} papers and \\boxed{2} bins", ("1", "2")),
        ("\\boxed{3}, \\boxed{4}", ("3", "4")),
        ("\\boxed{1} no no no no no \\boxed{2}", None),
        ("\\boxed{1}", None),
    ],
)
def test_listed_boxes(text: str, listed: tuple[str, ...] | None) -> None:
    assert listed_boxes(text) == listed


@pytest.mark.parametrize(
    "span",
    [
        " " * 100_000 + "x",
        ("words and more words " * 70 + " " * 3000) * 30 + "end",
        "The answer is the value " + "\\( abc def " * 6000,
        "So, " * 25_000 + "x is 5.",
        "1," * 50_000 + "1.",
        "\\boxed{1" + "\\text{cm}" * 20_000 + "}",
        "\\boxed{" + "1" * 100_000 + "\\approx 1 x}",
        "\\boxed{x = " + "1," * 100_000 + "=}",
        "\\boxed{5\\text{" + " a" * 100_000 + "!}}",
        "The answer is $" + "\\text{ }" * 20_000 + "$",
    ],
    ids=[
        "space-run",
        "space-runs",
        "unclosed-math",
        "conclusions",
        "commas",
        "unit-groups",
        "approximation",
        "list-label",
        "unit-words",
        "anchored-groups",
    ],
)
def test_pathological_spans_are_bounded(span: str) -> None:
    # these once took 3-100 s (quadratic regexes); the bound is generous, a hang is not
    started = time.perf_counter()
    extract_answer(span)
    assert time.perf_counter() - started < 5.0


@pytest.mark.parametrize(
    ("span", "candidates"),
    [
        ("La réponse est 5", ("5",)),
        ("Réponse : $\\frac{1}{2}$", ("\\frac{1}{2}",)),
        ("Die Antwort ist 5.", ("5",)),
        ("Endgültige Antwort: 7", ("7",)),
        ("La respuesta es 5", ("5",)),
        ("A resposta é 5", ("5",)),
        ("La risposta è 5", ("5",)),
        ("Ответ: 5", ("5",)),
        ("Ответ — 5", ("5",)),
        ("答えは5", ("5",)),
        ("答えは5です。", ("5",)),
        # each language's negations and hedges refuse the answer it anchors
        ("Die Antwort ist nicht 5", None),
        ("Die Antwort ist vielleicht 5.", None),
        ("La réponse est peut-être 5", None),
        ("La respuesta es 5 o 6", None),
        ("A resposta não é 5", None),
        ("La risposta è forse 5", None),
        ("Ответ: не 5", None),
        ("Ответ: 5 или 6", None),
        ("答えは5ではない", None),
        ("La réponse est 5. Ou 6.", None),
    ],
)
def test_anchors_in_other_languages(span: str, candidates: tuple[str, ...] | None) -> None:
    extraction = extract_answer(span)
    assert (extraction.candidates if extraction else None) == candidates
