"""The web UI: server-rendered pages (Jinja2 templates, a little JavaScript, Plotly charts
served from /static; no front-end build step). Page routes only gather what services return;
templates only show it."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent


def static_dir() -> Path:
    """The folder served at /static (CSS, JS, and Plotly copied from the plotly package)."""
    folder = HERE / "static"
    plotly_js = folder / "plotly.min.js"
    if not plotly_js.exists():
        _copy_plotly(plotly_js)
    return folder


def _copy_plotly(target: Path) -> None:
    import shutil

    import plotly

    source = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    tmp = target.with_suffix(".tmp")
    shutil.copyfile(source, tmp)
    tmp.replace(target)
