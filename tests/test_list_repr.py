"""List golds as trainers' dumps write them: numpy and Python reprs, read exactly or refused."""

from __future__ import annotations

import pytest

from reward_service.list_repr import NotAListRepr, parse_list_repr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("['1' '2']", ["1", "2"]),  # str(numpy array), as verl writes gts
        ("['1', '2']", ["1", "2"]),  # str(list)
        ("['x = 1'\n '\\\\frac{1}{2}']", ["x = 1", "\\frac{1}{2}"]),  # wrapped, LaTeX escaped
        ("[\"it's\" 'b']", ["it's", "b"]),
        ("['\\u00bd']", ["\u00bd"]),
        (" ['7'] ", ["7"]),
    ],
)
def test_reads_list_reprs(text: str, expected: list[str]) -> None:
    assert parse_list_repr(text) == expected


@pytest.mark.parametrize(
    "text", ["[1 2]", "['1' 2]", "['a''b']", "[]", "['open", "['a', ]", "['\\q']", "x"]
)
def test_refuses_anything_else(text: str) -> None:
    with pytest.raises(NotAListRepr):
        parse_list_repr(text)
