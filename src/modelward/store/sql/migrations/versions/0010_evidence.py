"""Validation evidence: who stored a report in which roles, which report a sign-off was
given on, and training rows' fingerprints (to find them among validation rows).

Reports stored before this revision have no recorded roles, so they no longer serve as gate
evidence, except in a workspace without registered users: there everyone held every role, so
its reports get the built-in roles. Sign-offs given before it are bound to no report.

Revision ID: 0010
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0006"
branch_labels = None
depends_on = None

# Who held which role in a workspace without users: everyone, every built-in role.
_BOOTSTRAP_ROLES = ["data_scientist", "validator", "risk_manager", "operations", "admin", "viewer"]
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("validation_reports") as batch:
        batch.add_column(sa.Column("author_roles", _JSON, nullable=True))
    with op.batch_alter_table("sign_offs") as batch:
        batch.add_column(sa.Column("evidence_sha256", sa.String(length=64), nullable=True))
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("row_hashes_sha256", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    users = sa.table("users", sa.column("name"))
    if bind.execute(sa.select(sa.func.count()).select_from(users)).scalar() == 0:
        reports = sa.table("validation_reports", sa.column("author_roles", _JSON))
        bind.execute(reports.update().values(author_roles=_BOOTSTRAP_ROLES))


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("row_hashes_sha256")
    with op.batch_alter_table("sign_offs") as batch:
        batch.drop_column("evidence_sha256")
    with op.batch_alter_table("validation_reports") as batch:
        batch.drop_column("author_roles")
