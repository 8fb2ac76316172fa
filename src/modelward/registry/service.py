"""Registry use-cases: models, versions, aliases, resolution of model URIs, loading.

Every state change appends an audit event in the same transaction.
"""

from __future__ import annotations

import json
import threading
import weakref
from datetime import datetime
from typing import Any

from modelward.domain.audit import AuditEvent
from modelward.domain.names import check_alias, check_key, check_name, check_version
from modelward.domain.ports import ArtifactStore, Guard, UnitOfWork
from modelward.domain.registry import AliasEvent, ModelVersion, RegisteredModel, parse_model_uri
from modelward.domain.roles import Action
from modelward.errors import Conflict, InvalidInput, NotFound
from modelward.registry import flavors


def _event(
    action: str,
    entity: str,
    *,
    actor: str,
    at: datetime,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    entity_type: str = "model",
) -> AuditEvent:
    return AuditEvent(
        action=action,
        entity_type=entity_type,
        entity_id=entity,
        actor=actor,
        at=at,
        before=before,
        after=after,
        reason=reason,
    )


def create_model(
    uow: UnitOfWork,
    *,
    guard: Guard,
    name: str,
    description: str = "",
    tags: dict[str, str] | None = None,
) -> RegisteredModel:
    """Register a new model name, owned by the acting user.

    Raises:
        InvalidInput: a bad name or tag.
        AlreadyExists: the name is taken.
        PermissionDenied: the actor may not register models.
    """
    check_name(name, what="model")
    owner, now = guard.actor, guard.now()
    model = RegisteredModel(
        name=name,
        created_at=now,
        owner=owner,
        description=description,
        tags={check_key(k, what="tag"): str(v) for k, v in (tags or {}).items()},
    )
    with uow:
        guard.require(uow, Action.REGISTER, subject=name)
        uow.registry.create_model(model)
        uow.audit.append(
            _event(
                "model.created",
                name,
                actor=owner,
                at=now,
                after={"owner": owner, "description": description},
            )
        )
        uow.commit()
    return model


_META_CACHE: weakref.WeakKeyDictionary[ArtifactStore, dict[str, bytes]] = (
    weakref.WeakKeyDictionary()
)
_META_CACHE_SIZE = 512
_meta_lock = threading.Lock()


def _read_meta(artifacts: ArtifactStore, sha: str) -> dict[str, Any]:
    # Metadata documents are content-addressed, so once read (and hash-verified by the
    # store) their bytes never change: the platform server answers MLflow's alias lookups,
    # which need the document, without reading the file each time. Parsed afresh per call,
    # so a caller may change what it gets.
    with _meta_lock:
        known = _META_CACHE.setdefault(artifacts, {})
        body = known.get(sha)
    if body is None:
        body = artifacts.get_bytes(sha)
        with _meta_lock:
            if len(known) >= _META_CACHE_SIZE:
                known.clear()
            known[sha] = body
    return dict(json.loads(body))


REGISTER_ATTEMPTS = 3


def register_version(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    *,
    guard: Guard,
    run_id: str,
    artifact: str,
    name: str,
    description: str = "",
) -> ModelVersion:
    """Turn the model logged as `artifact` in run `run_id` into the next version of `name`.

    The model is created on first registration, owned by the actor. Two first registrations
    of one name racing (several server workers) both try to create the model; the loser's
    unit of work is retried, and then finds the model and takes the next number.

    Raises:
        NotFound: no such run, or the run has no model artifact of that name.
        InvalidInput: a bad model name.
        PermissionDenied: the actor may not register models.
        Conflict: concurrent writers still collided after `REGISTER_ATTEMPTS` attempts.
    """
    check_name(name, what="model")
    for attempt in range(1, REGISTER_ATTEMPTS + 1):
        try:
            return _register_once(
                uow, artifacts, guard=guard, run_id=run_id, artifact=artifact, name=name,
                description=description,
            )  # fmt: skip
        except Conflict:  # nothing was written: the whole unit of work rolled back
            if attempt == REGISTER_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _register_once(
    uow: UnitOfWork,
    artifacts: ArtifactStore,
    *,
    guard: Guard,
    run_id: str,
    artifact: str,
    name: str,
    description: str,
) -> ModelVersion:
    actor, now = guard.actor, guard.now()
    with uow:
        guard.require(uow, Action.REGISTER, subject=name)
        uow.tracking.run_status(run_id)  # NotFound for an unknown run
        logged = [a for a in uow.tracking.list_artifacts(run_id) if a.kind == "model"]
        ref = next((a for a in logged if a.path == artifact), None)
        if ref is None:
            names = ", ".join(repr(a.path) for a in logged)
            raise NotFound(
                f"Run {run_id!r} has no model called {artifact!r}"
                + (f"; it has {names}." if names else "; log one with run.log_model(model, ...).")
            )
        meta = _read_meta(artifacts, ref.sha256)
        if not uow.registry.has_model(name):
            uow.registry.create_model(RegisteredModel(name=name, created_at=now, owner=actor))
            uow.audit.append(
                _event("model.created", name, actor=actor, at=now, after={"owner": actor})
            )
        number = uow.registry.next_version_number(name)
        version = ModelVersion(
            model=name,
            version=number,
            run_id=run_id,
            artifact_sha256=meta["model_sha256"],
            meta_sha256=ref.sha256,
            flavor=meta["flavor"],
            signature=meta.get("signature", {}),
            created_by=actor,
            created_at=now,
            description=description,
        )
        uow.registry.save_version(version)
        uow.audit.append(
            _event(
                "version.registered",
                f"{name}/{number}",
                actor=actor,
                at=now,
                entity_type="model_version",
                after={
                    "run_id": run_id,
                    "artifact_sha256": version.artifact_sha256,
                    "flavor": version.flavor,
                },
            )
        )
        uow.commit()
    return version


def resolve(uow: UnitOfWork, uri: str) -> ModelVersion:
    """The version a model URI points at (`models:/NAME/3`, `@alias`, `/latest`).

    Raises:
        InvalidInput: not a model URI.
        NotFound: no such model, version or alias.
    """
    parsed = parse_model_uri(uri)
    with uow:
        return _resolve(uow, parsed.name, parsed.version, parsed.alias)


def _resolve(uow: UnitOfWork, name: str, version: int | None, alias: str | None) -> ModelVersion:
    if alias is not None:
        found = uow.registry.find_version_by_alias(name, alias)
        if found is None:
            raise NotFound(
                f"Model {name!r} has no alias {alias!r}; set one with 'modelward models alias"
                f" set {name} {alias} VERSION'."
            )
        return found
    if version is None:
        model = uow.registry.get_model(name)
        if model.latest_version is None:
            raise NotFound(f"Model {name!r} has no versions yet.")
        version = model.latest_version
    return uow.registry.get_version(name, version)


def set_alias(
    uow: UnitOfWork,
    *,
    name: str,
    guard: Guard,
    alias: str,
    version: int,
    reason: str = "",
    auto: bool = False,
) -> AliasEvent:
    """Point `alias` at `version`; the move is kept in the alias history and the audit trail.

    Moving a protected alias (`champion`) is a promotion: it passes the risk tier's gate
    (with `auto`, as an automatic promotion the policy must allow).

    Raises:
        InvalidInput: a bad alias or version.
        NotFound: no such model or version.
        PermissionDenied: the actor may not register (alias) or promote (protected alias).
        PolicyViolation: the gate refused the move (protected aliases).
    """
    check_alias(alias)
    number = check_version(version)
    actor, now = guard.actor, guard.now()
    with uow:
        target = uow.registry.get_version(name, number)
        previous = uow.registry.find_alias(name, alias)
        if guard.is_protected(alias, kind="alias"):
            guard.gate(uow, target, target=alias, kind="alias", auto=auto)
        else:
            guard.require(uow, Action.REGISTER, subject=f"{name}@{alias}")
        event = AliasEvent(name, alias, number, previous, now, actor)
        uow.registry.set_alias(event)
        uow.audit.append(
            _event(
                "alias.set",
                f"{name}@{alias}",
                actor=actor,
                at=now,
                entity_type="alias",
                before={"version": previous},
                after={"version": number},
                reason=reason,
            )
        )
        uow.commit()
    return event


def delete_alias(
    uow: UnitOfWork, *, guard: Guard, name: str, alias: str, reason: str = ""
) -> AliasEvent:
    """Remove `alias` (kept in history as a move to no version).

    Removing a protected alias takes the model out of service: it needs the promote
    permission and a reason, and is audited like a promotion.

    Raises:
        NotFound: no such model or alias.
        InvalidInput: a protected alias without a reason.
        PermissionDenied: the actor may not register (alias) or promote (protected alias).
    """
    check_alias(alias)
    actor, now = guard.actor, guard.now()
    protected = guard.is_protected(alias, kind="alias")
    if protected and not reason.strip():
        raise InvalidInput(
            f"{alias!r} is a protected alias: removing it takes {name!r} out of service; give"
            " a reason (--reason)."
        )
    with uow:
        subject = f"{name}@{alias}"
        guard.require(uow, Action.PROMOTE if protected else Action.REGISTER, subject=subject)
        previous = uow.registry.find_alias(name, alias)
        if previous is None:
            raise NotFound(f"Model {name!r} has no alias {alias!r}.")
        event = AliasEvent(name, alias, None, previous, now, actor)
        uow.registry.set_alias(event)
        uow.audit.append(
            _event(
                "alias.deleted",
                f"{name}@{alias}",
                actor=actor,
                at=now,
                entity_type="alias",
                before={"version": previous},
                after={"version": None, "protected": protected},
                reason=reason,
            )
        )
        uow.commit()
    return event


def alias_history(uow: UnitOfWork, *, name: str, alias: str | None = None) -> list[AliasEvent]:
    """Every move of the model's aliases (or one alias), oldest first. Raises NotFound."""
    if alias is not None:
        check_alias(alias)
    with uow:
        return uow.registry.alias_history(name, alias)


def held_at(events: list[AliasEvent], alias: str, when: datetime) -> int | None:
    """Which version held `alias` at `when`, from its history (pure)."""
    holder: int | None = None
    for event in events:
        if event.alias == alias and event.at <= when:
            holder = event.version
    return holder


def alias_at(uow: UnitOfWork, *, name: str, alias: str, when: datetime) -> int | None:
    """Which version of model `name` held `alias` at `when` (None: none did, or it had been
    deleted then).

    Raises:
        InvalidInput: a malformed alias, or `when` without a timezone.
        NotFound: no such model.
    """
    if when.tzinfo is None:
        raise InvalidInput(f"The time {when.isoformat()!r} has no timezone; give it in UTC.")
    return held_at(alias_history(uow, name=name, alias=alias), alias, when)


def get_model(uow: UnitOfWork, *, name: str) -> RegisteredModel:
    with uow:
        return uow.registry.get_model(name)


def list_models(
    uow: UnitOfWork, *, search: str | None = None, limit: int = 100, offset: int = 0
) -> list[RegisteredModel]:
    """Registered models by name; `search` matches a substring (case-insensitive)."""
    if not 1 <= limit <= 10_000:
        raise InvalidInput(f"limit must be between 1 and 10000, got {limit}.")
    with uow:
        like = f"%{search}%" if search else None
        return uow.registry.list_models(name_like=like, limit=limit, offset=offset)


def list_versions(uow: UnitOfWork, *, name: str) -> list[ModelVersion]:
    with uow:
        return uow.registry.list_versions(name)


def versions_of_run(uow: UnitOfWork, *, run_id: str) -> list[ModelVersion]:
    """The versions registered from run `run_id` (its lineage forward); [] if none."""
    with uow:
        return uow.registry.versions_of_run(run_id)


def get_version(uow: UnitOfWork, *, name: str, version: int) -> ModelVersion:
    with uow:
        return uow.registry.get_version(name, check_version(version))


def version_meta(artifacts: ArtifactStore, version: ModelVersion) -> dict[str, Any]:
    """The model's metadata document (flavor, signature, requirements, input example)."""
    return _read_meta(artifacts, version.meta_sha256)


def load_model(
    uow: UnitOfWork, artifacts: ArtifactStore, *, uri: str, allow_pickle: bool
) -> flavors.LoadedModel:
    """Load the model a URI points at, verifying its hash first.

    `allow_pickle` is True only in the user's own process; the platform server passes False, so
    it never unpickles bytes a client uploaded (see `flavors` and docs/security.md).

    Raises:
        NotFound: no such model, version or alias, or its bytes are missing.
        IntegrityViolation: the stored bytes do not match the recorded hash.
        InvalidInput: a pickle-format model and `allow_pickle` is False, or a skops file that
            names types modelward does not load.
    """
    version = resolve(uow, uri)
    meta = version_meta(artifacts, version)
    if meta["model_sha256"] != version.artifact_sha256:
        from modelward.errors import IntegrityViolation

        raise IntegrityViolation(
            f"{version.uri}: its metadata names model file {meta['model_sha256'][:12]}..., the"
            f" registry recorded {version.artifact_sha256[:12]}...; refusing to load."
        )
    model_bytes = artifacts.get_bytes(version.artifact_sha256)
    return flavors.load(meta, model_bytes, uri=version.uri, allow_pickle=allow_pickle)
