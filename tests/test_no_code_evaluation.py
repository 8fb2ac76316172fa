"""No module of modelward evaluates text as code (security issue #11): no `eval`, `exec` or
`compile` builtins, and no `.eval(...)` / `.query(...)` calls (pandas' DataFrame.eval/query,
pandas.eval), which run Python given a crafted string. Row conditions go through
`modelward.domain.expr` instead."""

from __future__ import annotations

import ast
from pathlib import Path

import modelward

SOURCE = Path(modelward.__file__).parent
BUILTINS = {"eval", "exec", "compile"}
METHODS = {"eval", "query"}


def offences(path: Path, *, root: Path) -> list[str]:
    """Each call in `path` that evaluates text, as ``file:line calls name(...)``, in line order."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in BUILTINS:
            found.append((node.lineno, f"{func.id}(...)"))
        elif isinstance(func, ast.Attribute) and func.attr in METHODS:
            found.append((node.lineno, f".{func.attr}(...)"))
    return [f"{path.relative_to(root)}:{line} calls {name}" for line, name in sorted(found)]


def test_no_module_evaluates_text_as_code() -> None:
    files = sorted(SOURCE.rglob("*.py"))
    assert len(files) > 50, "the scan found the package's modules"
    found = [offence for path in files for offence in offences(path, root=SOURCE.parent)]
    assert found == [], "use modelward.domain.expr for row conditions:\n" + "\n".join(found)


def test_the_scan_catches_each_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "frame.query(text)\nframe.eval(text)\npd.eval(text)\neval(text)\nexec(text)\nok(text)\n"
    )
    assert offences(sample, root=tmp_path) == [
        "sample.py:1 calls .query(...)",
        "sample.py:2 calls .eval(...)",
        "sample.py:3 calls .eval(...)",
        "sample.py:4 calls eval(...)",
        "sample.py:5 calls exec(...)",
    ]
