"""The public surface of `import modelward`: exactly the documented names, each documented,
and one version, read from the package metadata, shown by the CLI and the server."""

from __future__ import annotations

import inspect
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

from typer.testing import CliRunner

import modelward
from modelward.cli.main import app
from modelward.config import Settings

ROOT = Path(__file__).resolve().parents[1]

# The same list as CONTRIBUTING.md's "The public Python API"; change both on purpose.
PUBLIC = {
    "__version__",
    "active_run",
    "get_client",
    "get_run",
    "load_model",
    "log_artifact",
    "log_dict",
    "log_figure",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "register_model",
    "search_runs",
    "set_alias",
    "set_client",
    "set_tag",
    "set_tags",
    "start_run",
    "validate",
}


def _documented_names() -> set[str]:
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    block = text.split("<!-- public-api: begin -->")[1].split("<!-- public-api: end -->")[0]
    return {name for line in block.splitlines() for name in re.findall(r"`(\w+)`", line)}


def test_all_is_exactly_the_documented_set() -> None:
    assert set(modelward.__all__) == PUBLIC
    assert len(modelward.__all__) == len(PUBLIC), "a name is listed twice in __all__"
    assert _documented_names() == PUBLIC, "CONTRIBUTING.md's public API list has drifted"


def test_every_public_name_exists_and_every_function_has_a_docstring() -> None:
    missing = [name for name in PUBLIC if not hasattr(modelward, name)]
    assert missing == []
    undocumented = [
        name
        for name in PUBLIC
        if inspect.isfunction(getattr(modelward, name))
        and len(inspect.getdoc(getattr(modelward, name)) or "") < 20
    ]
    assert undocumented == []


def test_the_version_comes_from_the_package_metadata() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert modelward.__version__ == version("modelward") == pyproject["project"]["version"]
    source = (ROOT / "src" / "modelward" / "_version.py").read_text(encoding="utf-8")
    others = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "src").rglob("*.py")
        if modelward.__version__ in path.read_text(encoding="utf-8")
    ]
    assert others == [], "the version is written out in the source; read modelward.__version__"
    assert 'version("modelward")' in source


def test_cli_version_prints_it() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"modelward {modelward.__version__}"


def test_the_server_reports_it(sqlite_settings: Settings) -> None:
    from modelward.server.app import create_app

    server = create_app(sqlite_settings)
    try:
        assert server.openapi()["info"]["version"] == modelward.__version__
    finally:
        server.state.platform.engine.dispose()


def test_the_module_namespace_shows_no_implementation_names() -> None:
    # `dir(mw)` in a notebook lists what a user may call, not the typing helpers we import.
    leaked = {"Any", "threading", "TYPE_CHECKING", "Mapping", "overload", "Literal"}
    assert leaked.isdisjoint(dir(modelward))
