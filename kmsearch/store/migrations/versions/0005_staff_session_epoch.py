"""Per-staff session epoch: signing out, a new password or deactivation ends every session.

A session cookie carries the epoch it was issued under; bumping the staff row's epoch makes
every older cookie (copied, stolen, or left on a shared computer) sign in no longer.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(
            sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("session_epoch")
