"""The model card: a Markdown page built from the record (model, version, run, data, aliases).

Other steps add sections (validation, risk, approvals) by passing them in `extra_sections`.
"""

from __future__ import annotations

from typing import Any

from modelward.domain.ports import ArtifactStore, UnitOfWork
from modelward.domain.registry import ModelVersion, RegisteredModel
from modelward.domain.tracking import Run
from modelward.registry import service


def _table(rows: list[tuple[str, Any]], header: tuple[str, str] = ("name", "value")) -> str:
    if not rows:
        return "_none recorded_\n"
    lines = [f"| {header[0]} | {header[1]} |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines) + "\n"


def render_card(
    model: RegisteredModel,
    version: ModelVersion,
    run: Run | None,
    meta: dict[str, Any],
    *,
    extra_sections: dict[str, str] | None = None,
) -> str:
    """Markdown text of the card (pure)."""
    parts = [f"# Model card: {model.name} v{version.version}\n"]
    if model.description or version.description:
        parts.append((version.description or model.description) + "\n")
    parts.append("## Overview\n")
    parts.append(
        _table(
            [
                ("model", model.name),
                ("version", version.version),
                ("owner", model.owner),
                ("flavor", version.flavor),
                ("class", meta.get("class", "")),
                ("aliases", ", ".join(version.aliases) or "-"),
                ("registered by", version.created_by),
                ("registered at", version.created_at.isoformat()),
                ("model sha256", version.artifact_sha256),
                ("source run", version.run_id or "-"),
            ]
        )
    )
    parts.append("## Input signature\n")
    parts.append(
        _table(
            [
                (
                    c["name"],
                    c["type"] + (f" ({', '.join(c['categories'])})" if c.get("categories") else ""),
                )
                for c in version.signature.get("columns", [])
            ],
            ("column", "type"),
        )
    )
    if run is not None:
        parts.append("## Training run\n")
        parts.append(
            _table(
                [
                    ("experiment", run.experiment),
                    ("run", f"{run.name} ({run.id})"),
                    ("user", run.user),
                    ("git commit", run.source.git_commit or "-"),
                ]
            )
        )
        parts.append("### Parameters\n")
        parts.append(_table(sorted(run.params.items())))
        parts.append("### Metrics\n")
        parts.append(_table([(k, f"{v:.6g}") for k, v in sorted(run.metrics.items())]))
        parts.append("## Data\n")
        parts.append(
            _table(
                [
                    (
                        d.name,
                        f"{d.role}, {d.row_count} rows, {len(d.schema)} columns,"
                        f" fingerprint {d.dataset_id[:12]}",
                    )
                    for d in run.datasets
                ],
                ("dataset", "description"),
            )
        )
    parts.append("## Environment\n")
    parts.append(
        _table(
            [("python", meta.get("python", "-"))]
            + [("requirement", r) for r in meta.get("requirements", [])]
        )
    )
    for title, body in (extra_sections or {}).items():
        parts.append(f"## {title}\n")
        parts.append(body.rstrip() + "\n")
    return "\n".join(parts)


def model_card(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    *,
    name: str,
    version: int,
    extra_sections: dict[str, str] | None = None,
) -> str:
    """The card of one version. Raises NotFound for an unknown model or version."""
    mv = service.get_version(uow, name=name, version=version)
    model = service.get_model(uow, name=name)
    run = None
    if mv.run_id:
        with uow:
            run = uow.tracking.get_run(mv.run_id)
    meta = service.version_meta(artifacts, mv)
    return render_card(model, mv, run, meta, extra_sections=extra_sections)
