"""SQL repository for registered models, versions, aliases and alias history."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from modelward.domain.registry import AliasEvent, ModelVersion, RegisteredModel
from modelward.errors import AlreadyExists, NotFound
from modelward.store.sql._util import inserted_id, upsert
from modelward.store.sql.tables import (
    alias_events,
    model_aliases,
    model_tags,
    model_version_tags,
    model_versions,
    registered_models,
)

# Read paths are built once (statement construction dominates a SQLite lookup): versions with
# their model, and left-joined with every alias they hold.
# deleted models and versions (soft: governance records point at them) are not found
_MODEL_ID = select(registered_models.c.id).where(
    registered_models.c.name == bindparam("b_name"), registered_models.c.deleted_at.is_(None)
)
_held = model_aliases.alias("held")
_VERSIONS = (
    select(model_versions, _held.c.alias)
    .join(registered_models, registered_models.c.id == model_versions.c.model_id)
    .outerjoin(
        _held,
        (_held.c.model_id == model_versions.c.model_id)
        & (_held.c.version == model_versions.c.version),
    )
    .where(
        registered_models.c.name == bindparam("b_name"),
        registered_models.c.deleted_at.is_(None),
        model_versions.c.deleted_at.is_(None),
    )
    .order_by(model_versions.c.version, _held.c.alias)
)
_ALL_VERSIONS = _VERSIONS
_ONE_VERSION = _VERSIONS.where(model_versions.c.version == bindparam("b_version"))
_TAGS = select(
    model_version_tags.c.version_id, model_version_tags.c.key, model_version_tags.c.value
)
# Not an IN over one expanding parameter: SQLAlchemy re-renders those on every execution.
_TAGS_OF_ONE = _TAGS.where(model_version_tags.c.version_id == bindparam("b_version_id"))
_VERSION_BY_ALIAS = _VERSIONS.where(
    model_versions.c.version
    == select(model_aliases.c.version)
    .where(
        model_aliases.c.model_id == registered_models.c.id,
        model_aliases.c.alias == bindparam("b_alias"),
    )
    .scalar_subquery()
)


class SqlRegistryRepo:
    """Implements ``modelward.domain.ports.RegistryRepo`` on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _model_id(self, name: str, *, for_update: bool = False) -> int:
        query = _MODEL_ID
        if for_update and self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        model_id = self.conn.execute(query, {"b_name": name}).scalar()
        if model_id is None:
            raise NotFound(
                f"Model {name!r} does not exist; 'modelward models list' shows registered models."
            )
        return int(model_id)

    def create_model(self, model: RegisteredModel) -> None:
        if self.model_deleted(model.name):
            raise AlreadyExists(
                f"Model {model.name!r} was deleted; its name stays reserved because its audit"
                " trail and governance records name it. Register under another name."
            )
        if self.find_model(model.name) is not None:
            raise AlreadyExists(f"Model {model.name!r} already exists.")
        result = self.conn.execute(
            insert(registered_models).values(
                name=model.name,
                description=model.description,
                owner=model.owner,
                created_at=model.created_at,
                updated_at=model.created_at,
            )
        )
        model_id = inserted_id(result)
        if model.tags:
            self.conn.execute(
                insert(model_tags),
                [{"model_id": model_id, "key": k, "value": v} for k, v in model.tags.items()],
            )

    def _models(self, rows: list[Any]) -> list[RegisteredModel]:
        ids = [row.id for row in rows]
        if not ids:
            return []
        tags: dict[int, dict[str, str]] = {i: {} for i in ids}
        aliases: dict[int, dict[str, int]] = {i: {} for i in ids}
        latest: dict[int, int] = {}
        for mid, key, value in self.conn.execute(
            select(model_tags.c.model_id, model_tags.c.key, model_tags.c.value).where(
                model_tags.c.model_id.in_(ids)
            )
        ):
            tags[mid][key] = value
        for mid, alias, version in self.conn.execute(
            select(model_aliases.c.model_id, model_aliases.c.alias, model_aliases.c.version).where(
                model_aliases.c.model_id.in_(ids)
            )
        ):
            aliases[mid][alias] = version
        for mid, version in self.conn.execute(
            select(model_versions.c.model_id, func.max(model_versions.c.version))
            .where(model_versions.c.model_id.in_(ids), model_versions.c.deleted_at.is_(None))
            .group_by(model_versions.c.model_id)
        ):
            latest[mid] = version
        return [
            RegisteredModel(
                name=row.name,
                created_at=row.created_at,
                owner=row.owner,
                description=row.description,
                tags=tags[row.id],
                aliases=aliases[row.id],
                latest_version=latest.get(row.id),
            )
            for row in rows
        ]

    def find_model(self, name: str) -> RegisteredModel | None:
        rows = self.conn.execute(
            select(registered_models).where(
                registered_models.c.name == name, registered_models.c.deleted_at.is_(None)
            )
        ).all()
        found = self._models(list(rows))
        return found[0] if found else None

    def get_model(self, name: str) -> RegisteredModel:
        found = self.find_model(name)
        if found is None:
            raise NotFound(
                f"Model {name!r} does not exist; 'modelward models list' shows registered models."
            )
        return found

    def list_models(
        self, *, name_like: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[RegisteredModel]:
        query = (
            select(registered_models)
            .where(registered_models.c.deleted_at.is_(None))
            .order_by(registered_models.c.name)
        )
        if name_like:
            query = query.where(func.lower(registered_models.c.name).like(name_like.lower()))
        rows = self.conn.execute(query.limit(limit).offset(offset)).all()
        return self._models(list(rows))

    def model_deleted(self, name: str) -> bool:
        query = select(registered_models.c.id).where(
            registered_models.c.name == name, registered_models.c.deleted_at.is_not(None)
        )
        return self.conn.execute(query).first() is not None

    def update_model(self, name: str, *, description: str, at: datetime) -> None:
        model_id = self._model_id(name)
        self.conn.execute(
            update(registered_models)
            .where(registered_models.c.id == model_id)
            .values(description=description, updated_at=at)
        )

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        stmt = upsert(self.conn, model_tags)
        self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["model_id", "key"], set_={"value": stmt.excluded.value}
            ),
            {"model_id": self._model_id(name), "key": key, "value": value},
        )

    def delete_model_tag(self, name: str, key: str) -> bool:
        result = self.conn.execute(
            delete(model_tags).where(
                model_tags.c.model_id == self._model_id(name), model_tags.c.key == key
            )
        )
        return bool(result.rowcount)

    def delete_model(self, name: str, *, at: datetime) -> None:
        model_id = self._model_id(name)
        self.conn.execute(
            update(model_versions)
            .where(model_versions.c.model_id == model_id, model_versions.c.deleted_at.is_(None))
            .values(deleted_at=at)
        )
        self.conn.execute(
            update(registered_models)
            .where(registered_models.c.id == model_id)
            .values(deleted_at=at, updated_at=at)
        )

    def _version_id(self, name: str, version: int) -> int:
        found = self.conn.execute(
            select(model_versions.c.id).where(
                model_versions.c.model_id == self._model_id(name),
                model_versions.c.version == version,
                model_versions.c.deleted_at.is_(None),
            )
        ).scalar()
        if found is None:
            raise NotFound(
                f"Model {name!r} has no version {version}; 'modelward models versions {name}'"
                " lists them."
            )
        return int(found)

    def update_version(self, name: str, version: int, *, description: str) -> None:
        self.conn.execute(
            update(model_versions)
            .where(model_versions.c.id == self._version_id(name, version))
            .values(description=description)
        )

    def set_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        stmt = upsert(self.conn, model_version_tags)
        self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["version_id", "key"], set_={"value": stmt.excluded.value}
            ),
            {"version_id": self._version_id(name, version), "key": key, "value": value},
        )

    def delete_version_tag(self, name: str, version: int, key: str) -> bool:
        result = self.conn.execute(
            delete(model_version_tags).where(
                model_version_tags.c.version_id == self._version_id(name, version),
                model_version_tags.c.key == key,
            )
        )
        return bool(result.rowcount)

    def delete_version(self, name: str, version: int, *, at: datetime) -> None:
        self.conn.execute(
            update(model_versions)
            .where(model_versions.c.id == self._version_id(name, version))
            .values(deleted_at=at)
        )

    def next_version_number(self, name: str) -> int:
        model_id = self._model_id(name, for_update=True)
        current = self.conn.execute(
            select(func.max(model_versions.c.version)).where(model_versions.c.model_id == model_id)
        ).scalar()
        return int(current or 0) + 1

    def save_version(self, version: ModelVersion) -> None:
        model_id = self._model_id(version.model)
        self.conn.execute(
            insert(model_versions).values(
                model_id=model_id,
                version=version.version,
                run_id=version.run_id,
                artifact_sha256=version.artifact_sha256,
                meta_sha256=version.meta_sha256,
                flavor=version.flavor,
                signature=version.signature,
                description=version.description,
                created_by=version.created_by,
                created_at=version.created_at,
            )
        )

    def _versions(
        self, name: str, version: int | None = None, *, alias: str | None = None
    ) -> list[ModelVersion]:
        params: dict[str, object]
        if alias is not None:
            query, params = _VERSION_BY_ALIAS, {"b_name": name, "b_alias": alias}
        elif version is not None:
            query, params = _ONE_VERSION, {"b_name": name, "b_version": version}
        else:
            query, params = _ALL_VERSIONS, {"b_name": name}
        rows = self.conn.execute(query, params).all()
        if not rows:
            self._model_id(name)  # NotFound for an unknown model
        tags: dict[int, dict[str, str]] = {row.id: {} for row in rows}
        if len(tags) == 1:  # one version (an alias lookup): a statement compiled once
            tag_rows = self.conn.execute(_TAGS_OF_ONE, {"b_version_id": next(iter(tags))}).all()
        else:
            ids = model_version_tags.c.version_id.in_(list(tags))
            tag_rows = self.conn.execute(_TAGS.where(ids)).all() if tags else []
        for version_id, key, value in tag_rows:
            tags[version_id][key] = value
        found: dict[int, ModelVersion] = {}
        for row in rows:
            current = found.get(row.version)
            if current is None:
                current = found[row.version] = ModelVersion(
                    model=name,
                    version=row.version,
                    run_id=row.run_id,
                    artifact_sha256=row.artifact_sha256,
                    meta_sha256=row.meta_sha256,
                    flavor=row.flavor,
                    signature=row.signature,
                    created_by=row.created_by,
                    created_at=row.created_at,
                    description=row.description,
                    tags=tags[row.id],
                )
            if row.alias is not None:
                found[row.version] = replace(current, aliases=(*current.aliases, row.alias))
        return list(found.values())

    def get_version(self, name: str, version: int) -> ModelVersion:
        found = self._versions(name, version)
        if not found:
            raise NotFound(
                f"Model {name!r} has no version {version}; 'modelward models versions {name}'"
                " lists them."
            )
        return found[0]

    def list_versions(self, name: str) -> list[ModelVersion]:
        return self._versions(name)

    def versions_of_run(self, run_id: str) -> list[ModelVersion]:
        """The versions registered from run `run_id` (model_versions.run_id is indexed)."""
        rows = self.conn.execute(
            select(registered_models.c.name, model_versions.c.version)
            .join(registered_models, registered_models.c.id == model_versions.c.model_id)
            .where(model_versions.c.run_id == run_id, model_versions.c.deleted_at.is_(None))
            .where(registered_models.c.deleted_at.is_(None))
            .order_by(registered_models.c.name, model_versions.c.version)
        ).all()
        return [self._versions(row.name, row.version)[0] for row in rows]

    def find_version_by_alias(self, name: str, alias: str) -> ModelVersion | None:
        """The version holding `alias` in one query; None if no version holds it."""
        found = self._versions(name, alias=alias)
        return found[0] if found else None

    def has_model(self, name: str) -> bool:
        query = select(registered_models.c.id).where(registered_models.c.name == name)
        return self.conn.execute(query).first() is not None

    def find_alias(self, name: str, alias: str) -> int | None:
        value = self.conn.execute(
            select(model_aliases.c.version)
            .join(registered_models, registered_models.c.id == model_aliases.c.model_id)
            .where(registered_models.c.name == name, model_aliases.c.alias == alias)
        ).scalar()
        if value is None:
            self._model_id(name)  # NotFound for an unknown model
            return None
        return int(value)

    def set_alias(self, event: AliasEvent) -> None:
        model_id = self._model_id(event.model)
        if event.version is None:
            self.conn.execute(
                delete(model_aliases).where(
                    model_aliases.c.model_id == model_id, model_aliases.c.alias == event.alias
                )
            )
        else:
            stmt = upsert(self.conn, model_aliases)
            self.conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["model_id", "alias"],
                    set_={
                        "version": stmt.excluded.version,
                        "updated_at": stmt.excluded.updated_at,
                        "updated_by": stmt.excluded.updated_by,
                    },
                ),
                {
                    "model_id": model_id,
                    "alias": event.alias,
                    "version": event.version,
                    "updated_at": event.at,
                    "updated_by": event.actor,
                },
            )
        self.conn.execute(
            insert(alias_events).values(
                model_id=model_id,
                alias=event.alias,
                version=event.version,
                previous_version=event.previous_version,
                at=event.at,
                actor=event.actor,
            )
        )

    def alias_history(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        model_id = self._model_id(name)
        query = select(alias_events).where(alias_events.c.model_id == model_id)
        if alias is not None:
            query = query.where(alias_events.c.alias == alias)
        rows = self.conn.execute(query.order_by(alias_events.c.at, alias_events.c.id))
        return [
            AliasEvent(name, r.alias, r.version, r.previous_version, r.at, r.actor) for r in rows
        ]
