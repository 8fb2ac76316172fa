"""Webhook deliveries keep the URL they were sent to (`target`), so a replay, also through the
server, re-sends a stored delivery to its stored target and nowhere a client names. Deliveries
kept before have none (NULL): only a local replay with a configured webhook resends them.

Revision ID: 0018
Revises: 0013
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(sa.Column("target", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_column("target")
