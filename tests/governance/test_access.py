"""Who holds which role: the bootstrap rule and the stored roles, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from modelward.domain.roles import Action, Permissions
from modelward.errors import PermissionDenied
from modelward.governance.access import require, roles_of
from modelward.store.sql.engine import make_engine
from modelward.store.sql.uow import SqlUnitOfWork

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_roles_before_and_after_the_first_user(db_url: str) -> None:
    permissions = Permissions()
    engine = make_engine(db_url)
    try:
        with SqlUnitOfWork(engine) as uow:
            # no user registered: single-user workspace, everyone holds every role
            assert uow.governance.held_roles("ann") is None
            assert roles_of(uow, "ann", permissions) == permissions.roles
            uow.governance.add_user_roles("ann", ["viewer", "admin"], at=T0, by="ann")
            uow.governance.add_user_roles("bob", [], at=T0, by="ann")
            assert roles_of(uow, "ann", permissions) == ("admin", "viewer")
            assert roles_of(uow, "bob", permissions) == ()  # registered, no role
            assert roles_of(uow, "eve", permissions) == ()  # never registered
            assert require(uow, "ann", permissions, Action.REGISTER) == ("admin", "viewer")
            with pytest.raises(PermissionDenied, match="eve"):
                require(uow, "eve", permissions, Action.REGISTER)
    finally:
        engine.dispose()
