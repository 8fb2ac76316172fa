"""Data governance: tag dataset columns as personal data with their legal basis (the closed
list of GDPR Art. 6(1)), and trace lineage from a dataset (or a column) to the model versions
trained on it.

A tag follows its column: a data set used by a version of a model inherits, for each column it
does not tag itself, the newest tag on a column of the same name in any data set of that
model. So a version retrained on new data (a new fingerprint, the same columns) keeps the
tags; an explicit tag on the new data set, "not personal" included, overrides the inherited
one, and like every tag it is audited.

The gate's rule on personal data (a legal basis at medium risk and above) is
`domain.gate.personal_data_items`; this module records the facts it reads.
"""

from __future__ import annotations

from modelward.domain.audit import AuditEvent
from modelward.domain.governance import ColumnTag, LineageEntry
from modelward.domain.ports import Guard, UnitOfWork
from modelward.domain.privacy import LegalBasis
from modelward.domain.roles import Action
from modelward.errors import InvalidInput, NotFound


def _tag_dict(tag: ColumnTag | None) -> dict[str, object] | None:
    if tag is None:
        return None
    return {"personal_data": tag.personal_data, "legal_basis": tag.legal_basis, "note": tag.note}


def _resolve_column(uow: UnitOfWork, dataset: str, column: str) -> str:
    dataset_id = uow.governance.resolve_dataset(dataset)
    columns = uow.governance.dataset_columns(dataset_id)
    if column not in columns:
        raise InvalidInput(
            f"Dataset {dataset_id[:12]} has no column {column!r}; its columns are"
            f" {', '.join(columns)}.",
            field="column",
        )
    return dataset_id


def tag_column(
    uow: UnitOfWork,
    *,
    dataset: str,
    column: str,
    personal_data: bool,
    guard: Guard,
    legal_basis: str | None = None,
    note: str = "",
) -> ColumnTag:
    """Mark a column of a logged dataset (by fingerprint or unique prefix) as personal data
    or not, with the legal basis for using it: one of GDPR Art. 6(1) ("consent", "contract",
    "legal_obligation", "vital_interests", "public_task", "legitimate_interests", or the
    article, "6(1)(b)"); the purpose goes in `note`. The tag is recorded by the basis's key.

    The other data sets of the models trained on this one inherit the tag for a column of
    the same name (see the module's doc); tagging one of them "not personal" is an explicit,
    audited untag.

    Raises:
        InvalidInput: a legal basis outside GDPR Art. 6(1) (the message lists the allowed
            ones), a legal basis for a column that is not personal data, or a column the
            dataset does not have (the message lists its columns).
        NotFound: no such dataset.
        PermissionDenied: the actor may neither register models nor assess risk.
    """
    actor, now = guard.actor, guard.now()
    text = (legal_basis or "").strip()
    if text and not personal_data:
        raise InvalidInput(
            "A legal basis only applies to personal data; add --personal.", field="legal_basis"
        )
    basis = LegalBasis.parse(text).key if text else None
    with uow:
        guard.require(uow, Action.REGISTER, Action.ASSESS_RISK)
        dataset_id = _resolve_column(uow, dataset, column)
        inherited = {t.column: t for t in uow.governance.inherited_column_tags(dataset_id)}
        tag = ColumnTag(dataset_id, column, personal_data, basis, actor, now, note)
        previous = uow.governance.save_column_tag(tag)
        before = _tag_dict(previous)
        if previous is None and column in inherited:  # overriding an inherited tag
            before = {**(_tag_dict(inherited[column]) or {}),
                      "inherited_from": inherited[column].dataset_id}  # fmt: skip
        uow.audit.append(
            AuditEvent(
                "data.column_tagged",
                "dataset_column",
                f"{dataset_id}:{column}",
                actor,
                now,
                before=before,
                after=_tag_dict(tag),
                reason=note,
            )
        )
        uow.commit()
    return tag


def column_tags(uow: UnitOfWork, *, dataset: str | None = None) -> list[ColumnTag]:
    """The column tags recorded on one dataset, then those it inherits for its other columns
    (their `dataset_id` names the dataset they were set on; see the module's doc); or the
    tags recorded on every dataset.

    Raises:
        NotFound: no such dataset.
    """
    with uow:
        if not dataset:
            return uow.governance.list_column_tags(None)
        dataset_id = uow.governance.resolve_dataset(dataset)
        own = uow.governance.list_column_tags(dataset_id)
        return [*own, *uow.governance.inherited_column_tags(dataset_id)]


def lineage(
    uow: UnitOfWork, *, dataset: str | None = None, column: str | None = None
) -> list[LineageEntry]:
    """Model versions whose source run used the dataset (with `column`: and the dataset has
    that column), or, with only `column`, used any dataset that has that column.

    Raises:
        InvalidInput: neither a dataset nor a column given.
        NotFound: no such dataset, or the dataset has no such column.
    """
    if dataset is None and column is None:
        raise InvalidInput("Give --dataset ID, --column NAME, or both.")
    with uow:
        dataset_id = uow.governance.resolve_dataset(dataset) if dataset else None
        if dataset_id is not None and column is not None:
            if column not in uow.governance.dataset_columns(dataset_id):
                raise NotFound(f"Dataset {dataset_id[:12]} has no column {column!r}.")
        return uow.governance.lineage(dataset_id=dataset_id, column=column)


def column_table(uow: UnitOfWork, *, dataset: str) -> list[tuple[str, ColumnTag | None]]:
    """Each column of a logged data set with its tag (None: not tagged yet), in the data
    set's column order. An inherited tag (from another data set of the same model, see the
    module's doc) is given as recorded: its `dataset_id` names the data set it was set on.

    Raises:
        NotFound: no such dataset.
    """
    with uow:
        dataset_id = uow.governance.resolve_dataset(dataset)
        tags = {t.column: t for t in uow.governance.inherited_column_tags(dataset_id)}
        tags.update({t.column: t for t in uow.governance.list_column_tags(dataset_id)})
        return [(c, tags.get(c)) for c in uow.governance.dataset_columns(dataset_id)]
