"""KM plan records: announcements, sharing sessions, public channels (old schema_version 2).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("published_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("staff.id"), nullable=True),
    )
    op.create_table(
        "acknowledgements",
        sa.Column(
            "announcement_id", sa.Integer, sa.ForeignKey("announcements.id"), primary_key=True
        ),
        sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff.id"), primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "sharing_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("held_on", sa.Date, nullable=False),
        sa.Column("topic", sa.String(300), nullable=False),
        sa.Column("division", sa.String(200), nullable=False, server_default=""),
        sa.Column("attendance", sa.Integer, nullable=False, server_default="0"),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_sharing_sessions_held_on", "sharing_sessions", ["held_on"])
    op.create_table(
        "public_channels",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("url", sa.String(500), nullable=False, server_default=""),
        sa.Column("started_on", sa.Date, nullable=False),
        sa.Column("ended_on", sa.Date, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("public_channels")
    op.drop_table("sharing_sessions")
    op.drop_table("acknowledgements")
    op.drop_table("announcements")
