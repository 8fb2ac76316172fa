"""Obligations: records' protected context and business outcomes (joined by request id),
per-window fairness/business/ranking figures, monitoring check-ins and webhook deliveries.

Revision ID: 0013
Revises: 0011, 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import modelward.store.sql.types

revision = "0013"
# Also after 0005: window_figures refers to monitoring_windows (0005, another branch).
down_revision = ("0011", "0005")
branch_labels = None
depends_on = None

_TIME = modelward.store.sql.types.UTCDateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "record_annotations",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("predicted_at", _TIME, nullable=False),
        sa.Column("received_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_record_annotations_deployment_id_deployments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_annotations")),
        sa.UniqueConstraint(
            "deployment_id", "channel", "request_id", "row", name="uq_record_annotations_record"
        ),
    )
    op.create_index(
        "ix_record_annotations_predicted",
        "record_annotations",
        ["deployment_id", "channel", "predicted_at"],
    )
    op.create_table(
        "window_figures",
        sa.Column("window_id", _ID, nullable=False),
        sa.Column("family", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("breached", sa.Boolean(), nullable=True),
        sa.Column("n_rows", sa.BigInteger(), nullable=False),
        sa.Column("details", _JSON, nullable=False),
        sa.Column("computed_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["monitoring_windows.id"],
            name=op.f("fk_window_figures_window_id_monitoring_windows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("window_id", "family", "name", name=op.f("pk_window_figures")),
    )
    op.create_table(
        "monitoring_checkins",
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("last_run_at", _TIME, nullable=False),
        sa.Column("last_run_by", sa.String(length=256), nullable=False),
        sa.Column("windows", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_monitoring_checkins_deployment_id_deployments"),
        ),
        sa.PrimaryKeyConstraint("deployment_id", name=op.f("pk_monitoring_checkins")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("last_attempt_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_webhook_deliveries_deployment_id_deployments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index("ix_webhook_deliveries_status", "webhook_deliveries", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_status", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("monitoring_checkins")
    op.drop_table("window_figures")
    op.drop_index("ix_record_annotations_predicted", table_name="record_annotations")
    op.drop_table("record_annotations")
