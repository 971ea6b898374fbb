"""A big roster's problems are made in the background: the maker's lease on its set.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("problem_sets", sa.Column("making_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # A plain ALTER (SQLite ≥ 3.35 drops a column in place; a batch copy would break foreign keys).
    op.drop_column("problem_sets", "making_until")
