"""Bytes for the artifacts a training script logs as objects: dicts, figures.

The format follows the artifact's file name, as MLflow's `log_dict` and `log_figure` do, so a
script moved from MLflow keeps its paths.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from modelward.errors import InvalidInput

_MATPLOTLIB_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf", ".jpg": "jpg", ".jpeg": "jpg"}


def _suffix(path: str) -> str:
    return PurePosixPath(path).suffix.lower()


def dict_bytes(data: Mapping[str, Any] | list[Any], path: str) -> bytes:
    """JSON (indented, keys in order given), or YAML when `path` ends in .yaml or .yml.

    Raises:
        InvalidInput: the data holds values JSON/YAML cannot represent.
    """
    import yaml

    try:
        if _suffix(path) in {".yaml", ".yml"}:
            return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode("utf-8")
        return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError, yaml.YAMLError) as exc:
        raise InvalidInput(
            f"log_dict could not write {path!r}: {exc}. Pass only strings, numbers, booleans,"
            " lists and dicts."
        ) from exc


def figure_bytes(figure: Any, path: str) -> bytes:
    """A Matplotlib figure as PNG/SVG/PDF/JPEG, or a Plotly figure as HTML or JSON.

    Raises:
        InvalidInput: the object is not a figure of either library, or the extension does not
            name a format that library writes.
    """
    suffix = _suffix(path)
    if hasattr(figure, "savefig"):  # matplotlib.figure.Figure
        fmt = _MATPLOTLIB_FORMATS.get(suffix)
        if fmt is None:
            raise InvalidInput(
                f"log_figure cannot write a Matplotlib figure as {path!r}; end the path in"
                f" one of {', '.join(sorted(_MATPLOTLIB_FORMATS))}."
            )
        buffer = io.BytesIO()
        figure.savefig(buffer, format=fmt)
        return buffer.getvalue()
    if hasattr(figure, "to_plotly_json"):  # plotly.graph_objects.Figure
        if suffix == ".html":
            html: str = figure.to_html(include_plotlyjs=True, full_html=True)
            return html.encode("utf-8")
        if suffix == ".json":
            text: str = figure.to_json()
            return text.encode("utf-8")
        raise InvalidInput(
            f"log_figure writes a Plotly figure as .html or .json, not {path!r}"
            " (static images would need kaleido)."
        )
    raise InvalidInput(
        f"log_figure takes a Matplotlib or Plotly figure, not {type(figure).__name__}."
    )
