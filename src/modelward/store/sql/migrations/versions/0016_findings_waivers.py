"""Findings and waivers: a validator's findings on a version (severity, owner, due date,
status) and time-boxed waivers of one gate item (requested, approved by another person,
revocable).

Revision ID: 0016
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import modelward.store.sql.types

revision = "0016"
down_revision = "0011"
branch_labels = None
depends_on = None

_WHEN = modelward.store.sql.types.UTCDateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        autoincrement=True,
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "findings",
        _id(),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=512), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=256), nullable=False),
        sa.Column("due_at", _WHEN, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_by", sa.String(length=256), nullable=True),
        sa.Column("updated_at", _WHEN, nullable=True),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_findings_model_version_id_model_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    op.create_index("ix_findings_version", "findings", ["model_version_id"])
    op.create_index("ix_findings_status_due", "findings", ["status", "due_at"])
    op.create_table(
        "waivers",
        _id(),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=256), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("approver_role", sa.String(length=64), nullable=False),
        sa.Column("requested_by", sa.String(length=256), nullable=False),
        sa.Column("requested_at", _WHEN, nullable=False),
        sa.Column("expires_at", _WHEN, nullable=False),
        sa.Column("approved_by", sa.String(length=256), nullable=True),
        sa.Column("approved_at", _WHEN, nullable=True),
        sa.Column("revoked_by", sa.String(length=256), nullable=True),
        sa.Column("revoked_at", _WHEN, nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_waivers_model_version_id_model_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waivers")),
    )
    op.create_index("ix_waivers_version", "waivers", ["model_version_id"])
    op.create_index("ix_waivers_expires", "waivers", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_waivers_expires", table_name="waivers")
    op.drop_index("ix_waivers_version", table_name="waivers")
    op.drop_table("waivers")
    op.drop_index("ix_findings_status_due", table_name="findings")
    op.drop_index("ix_findings_version", table_name="findings")
    op.drop_table("findings")
