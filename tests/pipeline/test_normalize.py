import pytest

from reward_service.pipeline.normalize import canonical_answer, to_halfwidth


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("$\\dfrac{1}{3}$", "\\frac{1}{3}"),
        ("  7\\pi. ", "7\\pi"),
        ("１２３", "123"),
        ("（１，２）", "(1,2)"),
        ("1 000", "1000"),
        ("1\\,000\\,000", "1000000"),
        ("14{,}916", "14916"),
        ("2, 3", "2, 3"),
        (".5", "0.5"),
        ("-.25", "-0.25"),
        ("x >= 5", "x \\ge 5"),
        ("x != 3", "x \\ne 3"),
        ("\\mathrm{e}^{2}", "e^{2}"),
        ("\\mathrm{~N}", "N"),
        ("$$ 9 $$", "9"),
        ("\\( x+1 \\)", "x+1"),
        ("185\\", "185"),
        ("N_{1}/N<eoa>", "N_{1}/N"),
        ("$x$ and $y$", "x, y"),
        ("$1$, $2$ or $3$", "1, 2, 3"),
        ("14 {, }916", "14916"),
        ("1,000.99", "1000.99"),
        ("10,455", "10,455"),
        ("1,000.99€", "1000.99"),
        ("\\$10", "10"),
        ("28 percent", "28\\%"),
        ("(x, y) = (5, 8), (8, 5)", "(5, 8), (8, 5)"),
        ("a = 4, -8", "4, -8"),
        ("x = 5", "x = 5"),
        ("x = 1, y = 2", "x = 1, y = 2"),
        # units only after a lone number, and never words that change the value
        ("12 square cm", "12"),
        ("4 + 2s", "4 + 2s"),
        ("2c", "2c"),
        ("5\\ \\mathrm{cm}", "5"),
        ("$125$ miles", "125"),
        ("\\text{less than } 5", "\\text{less than } 5"),
        ("5\\text{ million}", "5\\text{ million}"),
        ("1 \\text{ in } 6", "1 \\text{ in } 6"),
        ("12\\text{ cm}^2", "12"),
        ("\\frac{\\sqrt{3}}{3} \\approx 0.577", "\\frac{\\sqrt{3}}{3}"),
        ("5 <wrong>", "5 <wrong>"),
        ("答案。", "答案"),
    ],
)
def test_canonical_answer(raw: str, canonical: str) -> None:
    assert canonical_answer(raw) == canonical


def test_canonical_answer_is_idempotent() -> None:
    for raw in ["$\\dfrac{1}{3}$.", "１ ０００", " x >= .5 ", "$$\\frac12$$"]:
        once = canonical_answer(raw)
        assert canonical_answer(once) == once


def test_halfwidth_maps_math_symbols() -> None:
    assert to_halfwidth("３×４≤π") == "3\\times 4\\le \\pi "
