"""Identity: token expiry, last use and revoker; server-side web sessions.

Tokens issued before this revision keep no expiry (expires_at NULL); revoke them with
'modelward tokens revoke ID' and issue new ones, which expire.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import modelward.store.sql.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TIME = modelward.store.sql.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", _TIME, nullable=True))
        batch.add_column(sa.Column("last_used_at", _TIME, nullable=True))
        batch.add_column(sa.Column("revoked_by", sa.String(length=256), nullable=True))
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_name", sa.String(length=256), nullable=False),
        sa.Column("token_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.Column("revoked_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_tokens.id"], name=op.f("fk_sessions_token_id_api_tokens")
        ),
        sa.ForeignKeyConstraint(
            ["user_name"], ["users.name"], name=op.f("fk_sessions_user_name_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
    )
    op.create_index(op.f("ix_sessions_expires_at"), "sessions", ["expires_at"], unique=False)
    op.create_index(op.f("ix_sessions_token_id"), "sessions", ["token_id"], unique=False)
    op.create_index(op.f("ix_sessions_user_name"), "sessions", ["user_name"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sessions_user_name"), table_name="sessions")
    op.drop_index(op.f("ix_sessions_token_id"), table_name="sessions")
    op.drop_index(op.f("ix_sessions_expires_at"), table_name="sessions")
    op.drop_table("sessions")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("revoked_by")
        batch.drop_column("last_used_at")
        batch.drop_column("expires_at")
