"""Validation evidence: who stored a report in which roles, which report a sign-off was
given on, and training rows' fingerprints (to find them among validation rows).

Reports stored before this revision have no recorded roles, so they no longer serve as gate
evidence; sign-offs given before it are bound to no report.

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


def upgrade() -> None:
    with op.batch_alter_table("validation_reports") as batch:
        batch.add_column(
            sa.Column(
                "author_roles",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
    with op.batch_alter_table("sign_offs") as batch:
        batch.add_column(sa.Column("evidence_sha256", sa.String(length=64), nullable=True))
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("row_hashes_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("row_hashes_sha256")
    with op.batch_alter_table("sign_offs") as batch:
        batch.drop_column("evidence_sha256")
    with op.batch_alter_table("validation_reports") as batch:
        batch.drop_column("author_roles")
