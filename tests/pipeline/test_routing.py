import pytest

from reward_service.pipeline.normalize import is_prose
from reward_service.pipeline.routing import decide_route
from reward_service.types import Route, RouteHint, ScoreRequest


@pytest.mark.parametrize(
    ("gold", "free_form"),
    [
        ("42", False),
        ("\\frac{\\sqrt{3}}{2}", False),
        ("10\\text{ square units}", False),
        ("\\begin{pmatrix}1 & 0 \\\\ 0 & 1\\end{pmatrix}", False),
        ("x \\in (0, 1]", False),
        ("B", False),
        ("向东走三步", True),
        ("1 和 3", True),
        ("The function is increasing on both intervals", True),
        ("yes", False),
    ],
)
def test_is_prose(gold: str, free_form: bool) -> None:
    assert is_prose(gold) is free_form


RULES = {"gaokao_*": "judge", "gsm8k": "symbolic"}


@pytest.mark.parametrize(
    ("hint", "data_source", "golds", "route", "reason"),
    [
        (RouteHint.JUDGE, "gsm8k", (("4",),), Route.JUDGE, "hint"),
        (RouteHint.SYMBOLIC, "gaokao_2023", (("文字",),), Route.SYMBOLIC, "hint"),
        (RouteHint.AUTO, "gaokao_2023", (("4",),), Route.JUDGE, "rule:gaokao_*"),
        (RouteHint.AUTO, "gsm8k", (("a long text answer here",),), Route.SYMBOLIC, "rule:gsm8k"),
        (RouteHint.AUTO, "math", (("4",),), Route.SYMBOLIC, "gold_shape"),
        (RouteHint.AUTO, None, (("三角形",),), Route.JUDGE, "gold_shape"),
        (RouteHint.AUTO, None, (("1",), ("2",)), Route.JUDGE, "gold_shape"),
    ],
)
def test_decide_route(
    hint: RouteHint,
    data_source: str | None,
    golds: tuple[tuple[str, ...], ...],
    route: Route,
    reason: str,
) -> None:
    request = ScoreRequest(response="x", gold="unused", data_source=data_source, route=hint)
    decision = decide_route(request, golds, RULES)
    assert (decision.route, decision.reason) == (route, reason)
