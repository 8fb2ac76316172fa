"""Run heartbeats: `runs.last_heartbeat_at`, so runs whose process died can be marked FAILED,
and an index on `runs.status` to find the RUNNING ones cheaply.

Revision ID: 0009
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import modelward.store.sql.types

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(
            sa.Column(
                "last_heartbeat_at",
                modelward.store.sql.types.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
    op.create_index(op.f("ix_runs_status"), "runs", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_runs_status"), table_name="runs")
    # ALTER TABLE ... DROP COLUMN in place (SQLite >= 3.35): recreating `runs` would fail on
    # the foreign keys that point at it
    with op.batch_alter_table("runs", recreate="never") as batch:
        batch.drop_column("last_heartbeat_at")
