"""Exit codes come from one table: 1 is a crash (a bug), never an outcome or a user's mistake."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import modelward.cli
from modelward import errors
from modelward.cli import errors as cli_errors
from modelward.cli.errors import EXIT_CODE, EXIT_INTERNAL, exit_on_domain_error

runner = CliRunner()


def _app_raising(exc: BaseException) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def boom() -> None:
        with exit_on_domain_error():
            raise exc

    return app


def test_an_unexpected_exception_exits_1_with_one_line_naming_a_bug() -> None:
    # MODELWARD_DEBUG would re-raise; tests/conftest.py clears MODELWARD_* for every test.
    result = runner.invoke(_app_raising(RuntimeError("kaboom")), [])
    assert result.exit_code == EXIT_INTERNAL == 1
    assert "bug in modelward" in result.stderr and "kaboom" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "exc_type",
    [c for c in errors.all_error_classes() if c is not errors.ModelwardError],
    ids=lambda c: c.__name__,
)
def test_no_domain_error_exits_with_the_crash_code(exc_type: type[errors.ModelwardError]) -> None:
    result = runner.invoke(_app_raising(exc_type("the object 'x' is wrong.")), [])
    assert result.exit_code not in (0, EXIT_INTERNAL)
    assert result.exit_code == cli_errors.exit_code_for(exc_type("x"))


def test_exit_codes_are_named_constants_in_the_table_only() -> None:
    constants = {
        name: value for name, value in vars(cli_errors).items() if name.startswith("EXIT_")
    }
    constants.pop("EXIT_CODE")
    assert constants["EXIT_CHECKS_FAILED"] == 10 and constants["EXIT_POLICY_VIOLATION"] == 5
    assert len(set(constants.values())) == len(constants), "two names share an exit code"
    assert set(EXIT_CODE.values()) <= set(constants.values())
    # Commands raise typer.Exit with a named constant, never a bare number.
    cli_dir = Path(modelward.cli.__file__).parent
    literal = re.compile(r"(typer\.Exit|sys\.exit|SystemExit)\(\s*\d")
    offenders = [
        f"{path.name}:{n}"
        for path in sorted(cli_dir.glob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if literal.search(line)
    ]
    assert offenders == []
