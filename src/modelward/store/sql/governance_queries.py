"""Bulk governance reads: the inventory (a constant number of queries for any number of
models), lineage from datasets to model versions, and a version's personal-data columns."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, func, select

from modelward.domain.governance import LineageEntry, ModelFacts, VersionFacts
from modelward.domain.policy import Decision, PersonalDataUse, SignOff
from modelward.domain.risk import Likelihood, RiskAssessment, Severity
from modelward.store.sql.tables import (
    alias_events,
    dataset_column_tags,
    datasets,
    model_aliases,
    model_versions,
    registered_models,
    review_requests,
    risk_assessments,
    run_datasets,
    sign_offs,
    validation_reports,
)


def assessment(row: Any, model: str | None = None) -> RiskAssessment:
    """A `risk_assessments` row (with `model_name`, unless `model` is given) as an entity."""
    return RiskAssessment(
        model=model or row.model_name,
        likelihood=Likelihood(row.likelihood),
        severity=Severity(row.severity),
        rationale=row.rationale,
        assessed_by=row.assessed_by,
        assessed_at=row.assessed_at,
        expires_at=row.expires_at,
        answers=dict(getattr(row, "answers", None) or {}),
    )


def sign_off(row: Any, model: str, version: int) -> SignOff:
    """A `sign_offs` row as an entity."""
    return SignOff(
        model=model,
        version=version,
        role=row.role,
        user=row.user_name,
        decision=Decision(row.decision),
        comment=row.comment,
        at=row.at,
    )


def personal_data_uses(conn: Connection, version_id: int) -> list[PersonalDataUse]:
    """Personal-data columns of every dataset the version's source run used (any role)."""
    rows = conn.execute(
        select(
            run_datasets.c.name,
            dataset_column_tags.c.column_name,
            dataset_column_tags.c.legal_basis,
        )
        .join(model_versions, model_versions.c.run_id == run_datasets.c.run_id)
        .join(dataset_column_tags, dataset_column_tags.c.dataset_id == run_datasets.c.dataset_id)
        .where(model_versions.c.id == version_id, dataset_column_tags.c.personal_data.is_(True))
        .order_by(run_datasets.c.name, dataset_column_tags.c.column_name)
    )
    return [PersonalDataUse(row.name, row.column_name, row.legal_basis) for row in rows]


def lineage(conn: Connection, *, dataset_id: str | None, column: str | None) -> list[LineageEntry]:
    """Versions whose source run used `dataset_id`, or any dataset whose schema has `column`."""
    query = (
        select(
            registered_models.c.name,
            model_versions.c.version,
            model_versions.c.run_id,
            run_datasets.c.dataset_id,
            run_datasets.c.name.label("dataset_name"),
            run_datasets.c.role,
            datasets.c.schema,
        )
        .join(registered_models, registered_models.c.id == model_versions.c.model_id)
        .join(run_datasets, run_datasets.c.run_id == model_versions.c.run_id)
        .join(datasets, datasets.c.id == run_datasets.c.dataset_id)
        .order_by(registered_models.c.name, model_versions.c.version, run_datasets.c.name)
    )
    if dataset_id is not None:
        query = query.where(run_datasets.c.dataset_id == dataset_id)
    # The schema is JSON: filter by column in Python (portable across SQLite and PostgreSQL).
    return [
        LineageEntry(r.name, r.version, r.run_id, r.dataset_id, r.dataset_name, r.role)
        for r in conn.execute(query)
        if column is None or column in (r.schema or {})
    ]


def _latest_ids(conn: Connection, table: Any, key: Any) -> Any:
    """Subquery: the newest row id per `key` (ids grow with time)."""
    return select(func.max(table.c.id)).group_by(key).scalar_subquery()


def _version_rows(conn: Connection, protected: Sequence[str]) -> tuple[list[Any], list[Any]]:
    """(newest version of every model, versions holding a protected alias)."""
    newest = (
        select(model_versions.c.model_id, func.max(model_versions.c.version).label("version"))
        .group_by(model_versions.c.model_id)
        .subquery()
    )
    latest = conn.execute(
        select(model_versions).join(
            newest,
            and_(
                newest.c.model_id == model_versions.c.model_id,
                newest.c.version == model_versions.c.version,
            ),
        )
    ).all()
    production = conn.execute(
        select(model_versions, model_aliases.c.alias).join(
            model_aliases,
            and_(
                model_aliases.c.model_id == model_versions.c.model_id,
                model_aliases.c.version == model_versions.c.version,
                model_aliases.c.alias.in_(list(protected)),
            ),
        )
    ).all()
    return list(latest), list(production)


def _per_version(conn: Connection, protected: Sequence[str]) -> dict[str, Any]:
    """Reports, sign-offs, review requests, aliases and protected history, keyed by version."""
    reports = {
        row.model_version_id: (row.passed, row.created_at)
        for row in conn.execute(
            select(
                validation_reports.c.model_version_id,
                validation_reports.c.passed,
                validation_reports.c.created_at,
            ).where(
                validation_reports.c.id.in_(
                    _latest_ids(conn, validation_reports, validation_reports.c.model_version_id)
                )
            )
        )
    }
    signed: dict[int, list[Any]] = defaultdict(list)
    for row in conn.execute(select(sign_offs).order_by(sign_offs.c.at, sign_offs.c.id)):
        signed[row.model_version_id].append(row)
    requested = dict(
        conn.execute(
            select(
                review_requests.c.model_version_id, func.max(review_requests.c.requested_at)
            ).group_by(review_requests.c.model_version_id)
        ).all()
    )
    aliases: dict[tuple[int, int], list[str]] = defaultdict(list)
    for model_id, alias, version in conn.execute(
        select(model_aliases.c.model_id, model_aliases.c.alias, model_aliases.c.version)
    ):
        aliases[(model_id, version)].append(alias)
    ever = set(
        conn.execute(
            select(alias_events.c.model_id, alias_events.c.version)
            .where(alias_events.c.alias.in_(list(protected)), alias_events.c.version.is_not(None))
            .distinct()
        ).all()
    )
    return {
        "reports": reports,
        "signed": signed,
        "requested": requested,
        "aliases": aliases,
        "ever": {(int(m), int(v)) for m, v in ever},
    }


def _facts(row: Any, name: str, bulk: dict[str, Any]) -> VersionFacts:
    passed, report_at = bulk["reports"].get(row.id, (None, None))
    key = (row.model_id, row.version)
    return VersionFacts(
        model=name,
        version=row.version,
        created_by=row.created_by,
        created_at=row.created_at,
        report_passed=passed,
        report_at=report_at,
        sign_offs=tuple(sign_off(s, name, row.version) for s in bulk["signed"].get(row.id, ())),
        review_requested_at=bulk["requested"].get(row.id),
        aliases=tuple(sorted(bulk["aliases"].get(key, ()))),
        ever_protected=key in bulk["ever"],
    )


def inventory_facts(conn: Connection, *, protected: Sequence[str]) -> list[ModelFacts]:
    """Every model with its current assessment, newest version and production version."""
    models = conn.execute(
        select(
            registered_models.c.id, registered_models.c.name, registered_models.c.owner
        ).order_by(registered_models.c.name)
    ).all()
    current = {
        row.model_id: row
        for row in conn.execute(
            # Without the questionnaire answers: decoding 10,000 JSON documents the inventory
            # never shows was most of its time.
            select(*[c for c in risk_assessments.c if c.name != "answers"]).where(
                risk_assessments.c.id.in_(
                    _latest_ids(conn, risk_assessments, risk_assessments.c.model_id)
                )
            )
        )
    }
    latest, production = _version_rows(conn, protected)
    newest = {row.model_id: row for row in latest}
    rank = {alias: index for index, alias in enumerate(protected)}
    live: dict[int, Any] = {}
    for row in sorted(production, key=lambda r: rank[r.alias], reverse=True):
        live[row.model_id] = row  # the first protected alias in `protected` wins
    bulk = _per_version(conn, protected)
    facts = []
    for model_id, name, owner in models:
        found = current.get(model_id)
        top, prod = newest.get(model_id), live.get(model_id)
        facts.append(
            ModelFacts(
                name=name,
                owner=owner,
                assessment=assessment(found, name) if found is not None else None,
                latest=_facts(top, name, bulk) if top is not None else None,
                production=_facts(prod, name, bulk) if prod is not None else None,
            )
        )
    return facts
