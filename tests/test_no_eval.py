"""No eval/exec anywhere in the package: model text must never reach an interpreter."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "reward_service"
BUILTINS = {"eval", "exec", "compile", "__import__"}
# sympy's string parsers run eval() on their input
STRING_PARSERS = {"parse_expr", "sympify", "S"}


def forbidden_calls(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in BUILTINS | STRING_PARSERS:
            found.append((node.lineno, func.id))
        elif isinstance(func, ast.Attribute) and func.attr in STRING_PARSERS | {"eval", "exec"}:
            found.append((node.lineno, func.attr))
    return found


def test_the_scan_finds_what_it_looks_for() -> None:
    sample = "eval(x)\nsympy.parse_expr(t)\nexec(c)\nre.compile('a')\nsympify(s)\n"
    assert [name for _, name in forbidden_calls(sample)] == [
        "eval",
        "parse_expr",
        "exec",
        "sympify",
    ]


def test_the_package_never_calls_eval_exec_or_sympy_string_parsers() -> None:
    calls = [
        f"{path.relative_to(PACKAGE)}:{line} {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line, name in forbidden_calls(path.read_text(encoding="utf-8"))
    ]
    assert calls == []
