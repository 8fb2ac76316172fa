"""Bulk governance reads: the inventory (a constant number of queries for any number of
models), lineage from datasets to model versions, and a version's personal-data columns."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, select

from modelward.domain.governance import ColumnTag, LineageEntry, ModelFacts, VersionFacts
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
        evidence_sha256=row.evidence_sha256,
    )


def column_tag(row: Any) -> ColumnTag:
    """A `dataset_column_tags` row as an entity."""
    return ColumnTag(
        dataset_id=row.dataset_id,
        column=row.column_name,
        personal_data=row.personal_data,
        legal_basis=row.legal_basis,
        tagged_by=row.tagged_by,
        tagged_at=row.tagged_at,
        note=row.note,
    )


def model_column_tags(conn: Connection, model_ids: Any) -> dict[str, ColumnTag]:
    """Column name -> the newest tag on a column of that name in any dataset used by a run
    behind a version of these models (`model_ids`: a subquery or a list)."""
    used = (
        select(run_datasets.c.dataset_id)
        .join(model_versions, model_versions.c.run_id == run_datasets.c.run_id)
        .where(model_versions.c.model_id.in_(model_ids))
    )
    rows = conn.execute(
        select(dataset_column_tags)
        .where(dataset_column_tags.c.dataset_id.in_(used))
        .order_by(dataset_column_tags.c.tagged_at, dataset_column_tags.c.dataset_id)
    )
    return {row.column_name: column_tag(row) for row in rows}  # the newest of each column wins


def inherited_column_tags(conn: Connection, dataset_id: str) -> list[ColumnTag]:
    """Tags `dataset_id` inherits for columns it has and does not tag itself, from the other
    datasets of the models whose versions used it, in the dataset's column order."""
    models = (
        select(model_versions.c.model_id)
        .join(run_datasets, run_datasets.c.run_id == model_versions.c.run_id)
        .where(run_datasets.c.dataset_id == dataset_id)
    )
    schema = conn.execute(select(datasets.c.schema).where(datasets.c.id == dataset_id)).scalar()
    own = set(
        conn.execute(
            select(dataset_column_tags.c.column_name).where(
                dataset_column_tags.c.dataset_id == dataset_id
            )
        ).scalars()
    )
    found = model_column_tags(conn, models)
    return [found[c] for c in (schema or {}) if c in found and c not in own]


def personal_data_uses(conn: Connection, version_id: int) -> list[PersonalDataUse]:
    """Personal-data columns of every dataset the version's source run used (any role): the
    dataset's own tag on a column, else the newest tag on a column of the same name in any
    dataset of the same model (a retrained version keeps the tags of its columns)."""
    used = conn.execute(
        select(run_datasets.c.name, run_datasets.c.dataset_id, datasets.c.schema)
        .join(model_versions, model_versions.c.run_id == run_datasets.c.run_id)
        .join(datasets, datasets.c.id == run_datasets.c.dataset_id)
        .where(model_versions.c.id == version_id)
        .order_by(run_datasets.c.name)
    ).all()
    if not used:
        return []
    own: dict[tuple[str, str], ColumnTag] = {
        (row.dataset_id, row.column_name): column_tag(row)
        for row in conn.execute(
            select(dataset_column_tags).where(
                dataset_column_tags.c.dataset_id.in_({r.dataset_id for r in used})
            )
        )
    }
    model_id = select(model_versions.c.model_id).where(model_versions.c.id == version_id)
    inherited = model_column_tags(conn, model_id)
    found = []
    for row in used:
        columns = set(row.schema or {}) | {c for d, c in own if d == row.dataset_id}
        for column in sorted(columns):
            tag = own.get((row.dataset_id, column))
            origin = None
            if tag is None and column in inherited:
                tag = inherited[column]
                origin = tag.dataset_id
            if tag is not None and tag.personal_data:
                found.append(PersonalDataUse(row.name, column, tag.legal_basis, origin))
    return found


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


def _only(query: Any, column: Any, ids: Sequence[int] | None) -> Any:
    """Restrict `query` to these model ids (None: every model)."""
    return query if ids is None else query.where(column.in_(list(ids)))


def _version_rows(
    conn: Connection, protected: Sequence[str], ids: Sequence[int] | None = None
) -> tuple[list[Any], list[Any]]:
    """(newest version of every model, versions holding a protected alias)."""
    newest = (
        _only(
            select(model_versions.c.model_id, func.max(model_versions.c.version).label("version")),
            model_versions.c.model_id,
            ids,
        )
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
        _only(
            select(model_versions, model_aliases.c.alias).join(
                model_aliases,
                and_(
                    model_aliases.c.model_id == model_versions.c.model_id,
                    model_aliases.c.version == model_versions.c.version,
                    model_aliases.c.alias.in_(list(protected)),
                ),
            ),
            model_versions.c.model_id,
            ids,
        )
    ).all()
    return list(latest), list(production)


def _per_version(
    conn: Connection, protected: Sequence[str], ids: Sequence[int] | None = None
) -> dict[str, Any]:
    """Reports, sign-offs, review requests, aliases and protected history, keyed by version."""
    versions = (
        None
        if ids is None
        else select(model_versions.c.id).where(model_versions.c.model_id.in_(list(ids)))
    )

    def of_versions(query: Any, column: Any) -> Any:
        return query if versions is None else query.where(column.in_(versions))

    reports = {
        row.model_version_id: (row.passed, row.created_at)
        for row in conn.execute(
            of_versions(
                select(
                    validation_reports.c.model_version_id,
                    validation_reports.c.passed,
                    validation_reports.c.created_at,
                ).where(
                    validation_reports.c.id.in_(
                        _latest_ids(conn, validation_reports, validation_reports.c.model_version_id)
                    )
                ),
                validation_reports.c.model_version_id,
            )
        )
    }
    signed: dict[int, list[Any]] = defaultdict(list)
    signs = of_versions(select(sign_offs), sign_offs.c.model_version_id)
    for row in conn.execute(signs.order_by(sign_offs.c.at, sign_offs.c.id)):
        signed[row.model_version_id].append(row)
    requested = dict(
        conn.execute(
            of_versions(
                select(
                    review_requests.c.model_version_id, func.max(review_requests.c.requested_at)
                ),
                review_requests.c.model_version_id,
            ).group_by(review_requests.c.model_version_id)
        ).all()
    )
    aliases: dict[tuple[int, int], list[str]] = defaultdict(list)
    for model_id, alias, version in conn.execute(
        _only(
            select(model_aliases.c.model_id, model_aliases.c.alias, model_aliases.c.version),
            model_aliases.c.model_id,
            ids,
        )
    ):
        aliases[(model_id, version)].append(alias)
    ever = set(
        conn.execute(
            _only(
                select(alias_events.c.model_id, alias_events.c.version).where(
                    alias_events.c.alias.in_(list(protected)), alias_events.c.version.is_not(None)
                ),
                alias_events.c.model_id,
                ids,
            ).distinct()
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


def inventory_facts(
    conn: Connection, *, protected: Sequence[str], names: Sequence[str] | None = None
) -> list[ModelFacts]:
    """Every model (or those `names`) with its current assessment, newest version and
    production version."""
    query = select(
        registered_models.c.id, registered_models.c.name, registered_models.c.owner
    ).order_by(registered_models.c.name)
    if names is not None:
        query = query.where(registered_models.c.name.in_(list(names)))
    models = conn.execute(query).all()
    ids = None if names is None else [row.id for row in models]
    current = {
        row.model_id: row
        for row in conn.execute(
            # Without the questionnaire answers: decoding 10,000 JSON documents the inventory
            # never shows was most of its time.
            _only(
                select(*[c for c in risk_assessments.c if c.name != "answers"]).where(
                    risk_assessments.c.id.in_(
                        _latest_ids(conn, risk_assessments, risk_assessments.c.model_id)
                    )
                ),
                risk_assessments.c.model_id,
                ids,
            )
        )
    }
    latest, production = _version_rows(conn, protected, ids)
    newest = {row.model_id: row for row in latest}
    rank = {alias: index for index, alias in enumerate(protected)}
    live: dict[int, Any] = {}
    for row in sorted(production, key=lambda r: rank[r.alias], reverse=True):
        live[row.model_id] = row  # the first protected alias in `protected` wins
    bulk = _per_version(conn, protected, ids)
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


def model_names(
    conn: Connection, *, search: str | None, owner: str | None, offset: int, limit: int
) -> tuple[list[str], int]:
    """One page of model names (by name, optionally matching `search` and `owner`) and the
    total: the inventory's fast path when no filter needs derived facts."""
    where: list[ColumnElement[bool]] = []
    if search:
        where.append(func.lower(registered_models.c.name).like(f"%{search.lower()}%"))
    if owner:
        where.append(registered_models.c.owner == owner)
    total = conn.execute(select(func.count()).select_from(registered_models).where(*where)).scalar()
    page = conn.execute(
        select(registered_models.c.name)
        .where(*where)
        .order_by(registered_models.c.name)
        .offset(offset)
        .limit(limit)
    ).scalars()
    return list(page), int(total or 0)
