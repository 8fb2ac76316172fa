"""Data protection per deployment: its legal basis, retention and personal-data columns; which
input columns the prediction log pseudonymises; and what the gate reads about a version's
reproducibility.

The columns the prediction log pseudonymises (a keyed HMAC, see `modelward.domain.privacy`)
are, for a deployment without settings, every column tagged as personal data
(`governance.data.tag_column`) in the training data of its champion and challenger; once
settings are recorded, their personal columns (by default those same tags; an owner may keep
one in clear, with a reason in the audited note, e.g. a numeric column whose drift must be
watched) and the subject column. None are when the policy of the model's risk level sets
`personal_data_clear_text`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from modelward.domain.audit import AuditEvent
from modelward.domain.deployment import Deployment
from modelward.domain.policy import PolicySet
from modelward.domain.ports import Guard, UnitOfWork
from modelward.domain.privacy import (
    DataProtection,
    LegalBasis,
    PersonalDataHolding,
    Pseudonymiser,
    ReproducibilityFacts,
)
from modelward.domain.registry import ModelVersion
from modelward.domain.roles import Action
from modelward.errors import InvalidInput, NotFound

SNAPSHOT_PREFIX = "modelward/data/"  # run artifacts holding a full data set (snapshot=True)


def set_protection(
    uow: UnitOfWork,
    *,
    guard: Guard,
    deployment: str,
    legal_basis: str | None = None,
    retention_days: int | None = None,
    personal_columns: Sequence[str] | None = None,
    subject_column: str | None = None,
    note: str = "",
) -> DataProtection:
    """Record a deployment's data-protection settings (they replace the previous ones).

    Without `personal_columns`, the columns tagged as personal data in the champion's
    training data are taken.

    Raises:
        InvalidInput: a legal basis outside GDPR Art. 6(1)(a)-(f), personal data without a
            legal basis, a retention under 1 day, or a column the model does not take.
        NotFound: no such deployment.
        PermissionDenied: the actor may neither deploy nor set policy.
    """
    basis = LegalBasis.parse(legal_basis) if legal_basis else None
    with uow:
        guard.require(uow, Action.DEPLOY, Action.SET_POLICY, subject=f"deployment {deployment}")
        dep = uow.deployments.get_deployment(deployment)
        columns = (
            tuple(dict.fromkeys(personal_columns))
            if personal_columns is not None
            else _tagged_columns(uow, dep)
        )
        _check_columns(uow, dep, [*columns, *([subject_column] if subject_column else [])])
        settings = DataProtection(
            deployment=deployment,
            legal_basis=basis,
            retention_days=retention_days,
            personal_columns=columns,
            subject_column=subject_column or None,
            updated_by=guard.actor,
            updated_at=guard.now(),
            note=note,
        )
        previous = uow.privacy.save_protection(settings)
        uow.audit.append(
            AuditEvent(
                "data.protection_set",
                "deployment",
                deployment,
                guard.actor,
                settings.updated_at,
                before=previous.as_dict() if previous else None,
                after=settings.as_dict(),
                reason=note,
            )
        )
        uow.commit()
    return settings


def _versions(uow: UnitOfWork, dep: Deployment) -> list[ModelVersion]:
    numbers = [dep.config.champion, dep.config.challenger]
    return [uow.registry.get_version(dep.model, n) for n in numbers if n is not None]


def _tagged_columns(uow: UnitOfWork, dep: Deployment) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for version in _versions(uow, dep):
        uses = uow.governance.personal_data_uses(version.model, version.version)
        found.update(dict.fromkeys(use.column for use in uses))
    return tuple(found)


def _check_columns(uow: UnitOfWork, dep: Deployment, columns: Collection[str]) -> None:
    known: set[str] = set()
    for version in _versions(uow, dep):
        known.update(str(c["name"]) for c in version.signature.get("columns", []))
    unknown = [c for c in columns if known and c not in known]
    if unknown:
        raise InvalidInput(
            f"Deployment {dep.name!r} takes no input column {', '.join(map(repr, unknown))};"
            f" its columns are {', '.join(sorted(known))}.",
            field="personal_columns",
        )


def get_protection(uow: UnitOfWork, *, deployment: str) -> DataProtection:
    """A deployment's settings.

    Raises:
        NotFound: no such deployment, or none recorded for it.
    """
    with uow:
        uow.deployments.get_deployment(deployment)
        found = uow.privacy.find_protection(deployment)
    if found is None:
        raise NotFound(
            f"Deployment {deployment!r} has no data-protection settings; set them with"
            f" 'modelward data protect {deployment} --legal-basis ... --retention-days N'."
        )
    return found


def list_protection(uow: UnitOfWork) -> list[DataProtection]:
    """Every deployment's recorded settings, by name."""
    with uow:
        return uow.privacy.list_protection()


def pseudonymised_columns(
    uow: UnitOfWork, *, deployment: Deployment, policies: PolicySet
) -> tuple[str, ...]:
    """The input columns the log pseudonymises, inside an open unit of work (empty when the
    policy of the model's risk level allows clear text)."""
    assessment = uow.governance.find_assessment(deployment.model)
    if policies.for_assessment(assessment).personal_data_clear_text:
        return ()
    settings = uow.privacy.find_protection(deployment.name)
    if settings is None:  # nothing decided for the deployment: every tagged column
        return _tagged_columns(uow, deployment)
    found: dict[str, None] = dict.fromkeys(settings.personal_columns)
    if settings.subject_column:
        found[settings.subject_column] = None
    return tuple(found)


def logging_pseudonymiser(
    uow: UnitOfWork, *, deployment: str, policies: PolicySet, key: bytes
) -> Pseudonymiser | None:
    """The transform the prediction log applies to `deployment`'s inputs (None: nothing to
    pseudonymise, or no such deployment, e.g. an ad-hoc batch)."""
    with uow:
        dep = uow.deployments.find_deployment(deployment)
        if dep is None:
            return None
        columns = pseudonymised_columns(uow, deployment=dep, policies=policies)
    return Pseudonymiser(columns, key) if columns else None


def reproducibility_facts(uow: UnitOfWork, version: ModelVersion) -> ReproducibilityFacts:
    """The training run's data snapshot and newest reproduction, inside an open unit of work."""
    if not version.run_id:
        return ReproducibilityFacts()
    run = uow.tracking.get_run(version.run_id)
    snapshot = any(a.path.startswith(SNAPSHOT_PREFIX) for a in run.artifacts)
    latest = next(iter(uow.privacy.list_reproductions(run.id)), None)
    return ReproducibilityFacts(run.id, snapshot, latest)


def personal_data_inventory(uow: UnitOfWork, *, policies: PolicySet) -> list[PersonalDataHolding]:
    """Every deployment that holds personal data (by its settings or by the tags of its
    versions' training data), with its legal basis and retention."""
    found = []
    with uow:
        for dep in uow.deployments.list_deployments():
            settings = uow.privacy.find_protection(dep.name)
            columns = dict.fromkeys(_tagged_columns(uow, dep))
            if settings is not None:
                columns.update(dict.fromkeys(settings.personal_columns))
                if settings.subject_column:
                    columns[settings.subject_column] = None
            if not columns:
                continue
            hashed = pseudonymised_columns(uow, deployment=dep, policies=policies)
            found.append(
                PersonalDataHolding(
                    deployment=dep.name,
                    model=dep.model,
                    environment=dep.environment,
                    columns=tuple(columns),
                    legal_basis=settings.legal_basis if settings else None,
                    retention_days=settings.retention_days if settings else None,
                    pseudonymised=bool(hashed),
                )
            )
    return found
