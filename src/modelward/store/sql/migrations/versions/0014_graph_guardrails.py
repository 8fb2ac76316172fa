"""Model interactions and guardrails: declared dependencies between models (the graph),
downstream owners' acknowledgements of upstream changes, and each deployment's guardrails.

Revision ID: 0014
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import modelward.store.sql.types

revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_AT = modelward.store.sql.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "model_dependencies",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=1200), nullable=False),
        sa.Column("model_name", sa.String(length=256), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("deployment_name", sa.String(length=256), nullable=True),
        sa.Column("upstream_model", sa.String(length=256), nullable=False),
        sa.Column("upstream_ref", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dataset", sa.String(length=256), nullable=True),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_dependencies")),
        sa.UniqueConstraint("key", name=op.f("uq_model_dependencies_key")),
    )
    with op.batch_alter_table("model_dependencies") as batch_op:
        batch_op.create_index("ix_model_dependencies_model", ["model_name"], unique=False)
        batch_op.create_index("ix_model_dependencies_upstream", ["upstream_model"], unique=False)
    op.create_table(
        "dependency_acks",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("upstream_model", sa.String(length=256), nullable=False),
        sa.Column("upstream_version", sa.Integer(), nullable=False),
        sa.Column("downstream_model", sa.String(length=256), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=256), nullable=False),
        sa.Column("acknowledged_at", _AT, nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dependency_acks")),
        sa.UniqueConstraint(
            "upstream_model",
            "upstream_version",
            "downstream_model",
            name="uq_dependency_acks_change",
        ),
    )
    op.create_table(
        "deployment_guardrails",
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("spec", _JSON, nullable=False),
        sa.Column("updated_by", sa.String(length=256), nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_deployment_guardrails_deployment_id_deployments"),
        ),
        sa.PrimaryKeyConstraint("deployment_id", name=op.f("pk_deployment_guardrails")),
    )


def downgrade() -> None:
    op.drop_table("deployment_guardrails")
    op.drop_table("dependency_acks")
    with op.batch_alter_table("model_dependencies") as batch_op:
        batch_op.drop_index("ix_model_dependencies_upstream")
        batch_op.drop_index("ix_model_dependencies_model")
    op.drop_table("model_dependencies")
