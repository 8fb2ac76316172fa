"""Data protection per deployment (legal basis, retention, personal-data columns, subject
column) and the results of reproducing runs.

Revision ID: 0017
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import modelward.store.sql.types

revision = "0017"
down_revision = "0011"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TIME = modelward.store.sql.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "data_protection",
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("legal_basis", sa.String(length=16), nullable=True),
        sa.Column("retention_days", sa.Integer(), nullable=True),
        sa.Column("personal_columns", _JSON, nullable=False),
        sa.Column("subject_column", sa.String(length=256), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=256), nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_data_protection_deployment_id_deployments"),
        ),
        sa.PrimaryKeyConstraint("deployment_id", name=op.f("pk_data_protection")),
    )
    op.create_table(
        "reproductions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("reproduced_run_id", sa.String(length=32), nullable=True),
        sa.Column("metrics_match", sa.Boolean(), nullable=False),
        sa.Column("model_identical", sa.Boolean(), nullable=True),
        sa.Column("metric_diffs", _JSON, nullable=False),
        sa.Column("tolerance", sa.Float(), nullable=False),
        sa.Column("environment", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=256), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f("fk_reproductions_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reproductions")),
    )
    op.create_index(op.f("ix_reproductions_run_id"), "reproductions", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_reproductions_run_id"), table_name="reproductions")
    op.drop_table("reproductions")
    op.drop_table("data_protection")
