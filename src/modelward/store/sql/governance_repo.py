"""SQL repository for governance records: assessments, review requests, sign-offs, users and
roles, model card fields, dataset column tags and the audit checkpoint index.

The bulk reads (inventory, lineage, personal-data uses) are in `governance_queries.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, insert, literal, select

from modelward.domain.governance import (
    CheckpointRecord,
    ColumnTag,
    LineageEntry,
    ModelFacts,
    ReviewRequest,
    User,
)
from modelward.domain.policy import PersonalDataUse, SignOff
from modelward.domain.risk import RiskAssessment
from modelward.errors import InvalidInput, NotFound
from modelward.store.sql import governance_queries as queries
from modelward.store.sql._util import upsert
from modelward.store.sql.direct import Direct
from modelward.store.sql.tables import (
    audit_checkpoints,
    dataset_column_tags,
    datasets,
    model_card_fields,
    model_versions,
    registered_models,
    review_requests,
    risk_assessments,
    sign_offs,
    user_roles,
    users,
    workspace_settings,
)

_ASSESSMENTS = select(risk_assessments, registered_models.c.name.label("model_name")).join(
    registered_models, registered_models.c.id == risk_assessments.c.model_id
)


_tag = queries.column_tag


# Every permission check asks these (Direct: see store/sql/direct.py)
_ANY_USER = Direct(select(literal(1)).select_from(users).limit(1))
_ROLES_OF = Direct(
    select(user_roles.c.role)
    .where(user_roles.c.user_name == bindparam("b_name"))
    .order_by(user_roles.c.role)
)


class SqlGovernanceRepo:
    """Implements ``modelward.domain.ports.GovernanceRepo`` on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _model_id(self, name: str) -> int:
        found = self.conn.execute(
            select(registered_models.c.id).where(registered_models.c.name == name)
        ).scalar()
        if found is None:
            raise NotFound(
                f"Model {name!r} does not exist; 'modelward models list' shows registered models."
            )
        return int(found)

    def _version_id(self, model: str, version: int) -> int:
        found = self.conn.execute(
            select(model_versions.c.id)
            .join(registered_models, registered_models.c.id == model_versions.c.model_id)
            .where(registered_models.c.name == model, model_versions.c.version == version)
        ).scalar()
        if found is None:
            raise NotFound(
                f"Model {model!r} has no version {version}; 'modelward models versions {model}'"
                " lists them."
            )
        return int(found)

    # -- risk assessments ------------------------------------------------------------------

    def save_assessment(self, assessment: RiskAssessment) -> None:
        self.conn.execute(
            insert(risk_assessments).values(
                model_id=self._model_id(assessment.model),
                likelihood=int(assessment.likelihood),
                severity=int(assessment.severity),
                level=assessment.level.value,
                rationale=assessment.rationale,
                answers=assessment.answers,
                assessed_by=assessment.assessed_by,
                assessed_at=assessment.assessed_at,
                expires_at=assessment.expires_at,
            )
        )

    def find_assessment(self, model: str) -> RiskAssessment | None:
        found = self.list_assessments(model, limit=1)
        return found[0] if found else None

    def list_assessments(self, model: str, *, limit: int | None = None) -> list[RiskAssessment]:
        query = _ASSESSMENTS.where(registered_models.c.name == model).order_by(
            risk_assessments.c.id.desc()
        )
        rows = self.conn.execute(query.limit(limit) if limit else query).all()
        if not rows:
            self._model_id(model)  # NotFound for an unknown model
        return [queries.assessment(row) for row in rows]

    # -- reviews and sign-offs -------------------------------------------------------------

    def save_review_request(self, request: ReviewRequest) -> None:
        self.conn.execute(
            insert(review_requests).values(
                model_version_id=self._version_id(request.model, request.version),
                requested_by=request.requested_by,
                requested_at=request.requested_at,
                comment=request.comment,
            )
        )

    def list_review_requests(self, model: str, version: int) -> list[ReviewRequest]:
        version_id = self._version_id(model, version)
        rows = self.conn.execute(
            select(review_requests)
            .where(review_requests.c.model_version_id == version_id)
            .order_by(review_requests.c.requested_at, review_requests.c.id)
        )
        return [
            ReviewRequest(model, version, r.requested_by, r.requested_at, r.comment) for r in rows
        ]

    def save_sign_off(self, sign_off: SignOff) -> None:
        self.conn.execute(
            insert(sign_offs).values(
                model_version_id=self._version_id(sign_off.model, sign_off.version),
                role=sign_off.role,
                user_name=sign_off.user,
                decision=sign_off.decision.value,
                comment=sign_off.comment,
                at=sign_off.at,
                evidence_sha256=sign_off.evidence_sha256,
            )
        )

    def list_sign_offs(self, model: str, version: int) -> list[SignOff]:
        version_id = self._version_id(model, version)
        rows = self.conn.execute(
            select(sign_offs)
            .where(sign_offs.c.model_version_id == version_id)
            .order_by(sign_offs.c.at, sign_offs.c.id)
        )
        return [queries.sign_off(row, model, version) for row in rows]

    # -- users and roles -------------------------------------------------------------------

    def require_server(self) -> bool:
        found = self.conn.execute(
            select(workspace_settings.c.value).where(workspace_settings.c.key == "require_server")
        ).scalar()
        return found == "true"

    def set_require_server(self, on: bool, *, at: datetime, by: str) -> None:
        self.conn.execute(
            delete(workspace_settings).where(workspace_settings.c.key == "require_server")
        )
        self.conn.execute(
            insert(workspace_settings).values(
                key="require_server", value="true" if on else "false", updated_at=at, updated_by=by
            )
        )

    def count_users(self) -> int:
        return int(self.conn.execute(select(func.count()).select_from(users)).scalar() or 0)

    def held_roles(self, name: str) -> tuple[str, ...] | None:
        if _ANY_USER.first(self.conn, {}) is None:
            return None
        return tuple(row[0] for row in _ROLES_OF.all(self.conn, {"b_name": name}))

    def _users(self, name: str | None = None) -> list[User]:
        query = select(users, user_roles.c.role).outerjoin(
            user_roles, user_roles.c.user_name == users.c.name
        )
        if name is not None:
            query = query.where(users.c.name == name)
        found: dict[str, User] = {}
        for row in self.conn.execute(query.order_by(users.c.name, user_roles.c.role)):
            current = found.get(row.name) or User(row.name, (), row.created_at, row.created_by)
            roles = (*current.roles, row.role) if row.role else current.roles
            found[row.name] = User(row.name, roles, row.created_at, row.created_by)
        return list(found.values())

    def find_user(self, name: str) -> User | None:
        found = self._users(name)
        return found[0] if found else None

    def list_users(self) -> list[User]:
        return self._users()

    def add_user_roles(self, name: str, roles: Sequence[str], *, at: datetime, by: str) -> User:
        current = self.find_user(name)
        if current is None:
            self.conn.execute(insert(users).values(name=name, created_at=at, created_by=by))
        held = set(current.roles) if current else set()
        new = [
            {"user_name": name, "role": role} for role in dict.fromkeys(roles) if role not in held
        ]
        if new:
            self.conn.execute(insert(user_roles), new)
        user = self.find_user(name)
        assert user is not None
        return user

    # -- model card fields -----------------------------------------------------------------

    def set_card_field(
        self, model: str, version: int, field: str, value: str, *, at: datetime, by: str
    ) -> str | None:
        model_id = self._model_id(model)
        if version:
            self._version_id(model, version)
        key = (
            (model_card_fields.c.model_id == model_id)
            & (model_card_fields.c.version == version)
            & (model_card_fields.c.field == field)
        )
        previous = self.conn.execute(select(model_card_fields.c.value).where(key)).scalar()
        stmt = upsert(self.conn, model_card_fields)
        self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["model_id", "version", "field"],
                set_={
                    "value": stmt.excluded.value,
                    "updated_by": stmt.excluded.updated_by,
                    "updated_at": stmt.excluded.updated_at,
                },
            ),
            {"model_id": model_id, "version": version, "field": field, "value": value}
            | {"updated_by": by, "updated_at": at},
        )
        return previous

    def card_fields(self, model: str, version: int) -> dict[str, str]:
        model_id = self._model_id(model)
        rows = self.conn.execute(
            select(
                model_card_fields.c.version, model_card_fields.c.field, model_card_fields.c.value
            )
            .where(
                model_card_fields.c.model_id == model_id,
                model_card_fields.c.version.in_([0, version]),
            )
            .order_by(model_card_fields.c.version)  # the version's own values last: they win
        )
        return {row.field: row.value for row in rows}

    def model_card_values(self, field: str, models: Sequence[str]) -> dict[str, str]:
        rows = self.conn.execute(
            select(registered_models.c.name, model_card_fields.c.value)
            .join(registered_models, registered_models.c.id == model_card_fields.c.model_id)
            .where(
                model_card_fields.c.version == 0,
                model_card_fields.c.field == field,
                registered_models.c.name.in_(list(models)),
            )
        )
        return {row.name: row.value for row in rows}

    # -- datasets: tags, lineage, personal data --------------------------------------------

    def resolve_dataset(self, dataset: str) -> str:
        text = dataset.strip().lower()
        if len(text) < 6:
            raise InvalidInput(f"Dataset id {dataset!r} is too short; give at least 6 characters.")
        found = (
            self.conn.execute(select(datasets.c.id).where(datasets.c.id.like(f"{text}%")).limit(2))
            .scalars()
            .all()
        )
        if not found:
            raise NotFound(
                f"No dataset {dataset!r}; 'modelward runs show RUN' lists a run's datasets."
            )
        if len(found) > 1:
            raise InvalidInput(f"Dataset id {dataset!r} is ambiguous; give more characters.")
        return str(found[0])

    def dataset_columns(self, dataset_id: str) -> list[str]:
        """The columns of a dataset's schema. Raises NotFound."""
        schema = self.conn.execute(
            select(datasets.c.schema).where(datasets.c.id == dataset_id)
        ).scalar()
        if schema is None:
            raise NotFound(f"No dataset {dataset_id!r}.")
        return list(schema)

    def save_column_tag(self, tag: ColumnTag) -> ColumnTag | None:
        previous = self.list_column_tags(tag.dataset_id, column=tag.column)
        stmt = upsert(self.conn, dataset_column_tags)
        values = {
            "dataset_id": tag.dataset_id,
            "column_name": tag.column,
            "personal_data": tag.personal_data,
            "legal_basis": tag.legal_basis,
            "note": tag.note,
            "tagged_by": tag.tagged_by,
            "tagged_at": tag.tagged_at,
        }
        changed = {k: getattr(stmt.excluded, k) for k in values if k not in ("dataset_id",)}
        changed.pop("column_name")
        self.conn.execute(
            stmt.on_conflict_do_update(index_elements=["dataset_id", "column_name"], set_=changed),
            values,
        )
        return previous[0] if previous else None

    def list_column_tags(
        self, dataset_id: str | None = None, *, column: str | None = None
    ) -> list[ColumnTag]:
        query = select(dataset_column_tags)
        if dataset_id is not None:
            query = query.where(dataset_column_tags.c.dataset_id == dataset_id)
        if column is not None:
            query = query.where(dataset_column_tags.c.column_name == column)
        order = (dataset_column_tags.c.dataset_id, dataset_column_tags.c.column_name)
        return [_tag(row) for row in self.conn.execute(query.order_by(*order))]

    def inherited_column_tags(self, dataset_id: str) -> list[ColumnTag]:
        return queries.inherited_column_tags(self.conn, dataset_id)

    def personal_data_uses(self, model: str, version: int) -> list[PersonalDataUse]:
        return queries.personal_data_uses(self.conn, self._version_id(model, version))

    def lineage(self, *, dataset_id: str | None, column: str | None) -> list[LineageEntry]:
        return queries.lineage(self.conn, dataset_id=dataset_id, column=column)

    # -- audit checkpoints and inventory ---------------------------------------------------

    def save_checkpoint(self, record: CheckpointRecord) -> None:
        self.conn.execute(
            insert(audit_checkpoints).values(
                seq=record.seq,
                hash=record.hash,
                at=record.at,
                address=record.address,
                created_by=record.created_by,
            )
        )

    def list_checkpoints(self) -> list[CheckpointRecord]:
        rows = self.conn.execute(select(audit_checkpoints).order_by(audit_checkpoints.c.id))
        return [CheckpointRecord(r.seq, r.hash, r.at, r.address, r.created_by) for r in rows]

    def inventory_facts(
        self, *, protected: Sequence[str], names: Sequence[str] | None = None
    ) -> list[ModelFacts]:
        return queries.inventory_facts(self.conn, protected=protected, names=names)

    def model_names(
        self, *, search: str | None, owner: str | None, offset: int, limit: int
    ) -> tuple[list[str], int]:
        return queries.model_names(
            self.conn, search=search, owner=owner, offset=offset, limit=limit
        )
