"""MLflow's lifecycle and tags: soft deletion of experiments, runs, registered models and
model versions (`deleted_at`; governance records keep pointing at the rows), experiment tags
and model version tags. Merges every head of the time.

Revision ID: 0023
Revises: 0007, 0009, 0010, 0014, 0015, 0016, 0017, 0018
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import modelward.store.sql.types

revision = "0023"
down_revision = ("0007", "0009", "0010", "0014", "0015", "0016", "0017", "0018")
branch_labels = None
depends_on = None

_SOFT_DELETED = ("experiments", "runs", "registered_models", "model_versions")


def _time() -> sa.Column[object]:
    return sa.Column(
        "deleted_at", modelward.store.sql.types.UTCDateTime(timezone=True), nullable=True
    )


def upgrade() -> None:
    # ALTER TABLE ... ADD COLUMN in place: recreating these tables would fail on the foreign
    # keys that point at them (SQLite)
    for table in _SOFT_DELETED:
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.add_column(_time())
    op.create_table(
        "experiment_tags",
        sa.Column("experiment_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_experiment_tags_experiment_id_experiments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("experiment_id", "key", name=op.f("pk_experiment_tags")),
    )
    op.create_table(
        "model_version_tags",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["model_versions.id"],
            name=op.f("fk_model_version_tags_version_id_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", "key", name=op.f("pk_model_version_tags")),
    )


def downgrade() -> None:
    op.drop_table("model_version_tags")
    op.drop_table("experiment_tags")
    for table in reversed(_SOFT_DELETED):
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.drop_column("deleted_at")
