"""Alembic's alembic_version takes over from the old schema_version table.

A database made by the old mechanism was stamped at its schema_version before this runs
(kmsearch.store.migration); a fresh one never had the table, hence IF EXISTS.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP TABLE IF EXISTS schema_version")


def downgrade() -> None:
    pass  # the old mechanism recreates its table if an older kmsearch opens the database
