"""Rate limits: each caller's allowance of writes.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("bucket", sa.String(128), primary_key=True),
        sa.Column("full_at", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_rate_limits_full_at", "rate_limits", ["full_at"])


def downgrade() -> None:
    op.drop_index("ix_rate_limits_full_at", table_name="rate_limits")
    op.drop_table("rate_limits")
