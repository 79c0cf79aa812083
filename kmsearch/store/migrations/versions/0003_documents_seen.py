"""First-seen record of documents, for manuals produced (plan 9.3-1; old schema_version 3).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents_seen",
        sa.Column("doc_id", sa.String(64), primary_key=True),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("doc_type", sa.String(32), nullable=False, server_default=""),
        sa.Column("audience", sa.String(8), nullable=False, server_default="staff"),
        sa.Column("division", sa.String(200), nullable=False, server_default=""),
        sa.Column("first_updated", sa.Date, nullable=True),
        sa.Column("first_seen_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("documents_seen")
