"""Problem sets: roster order, token generations, a variant per student and item, late work, idempotency keys.

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
    op.add_column("student_tokens", sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("student_tokens", sa.Column("generation", sa.Integer(), nullable=False, server_default="0"))
    op.create_index(
        "uq_student_tokens_set_student", "student_tokens", ["problem_set_id", "student_id"], unique=True
    )
    op.create_index(
        "uq_problems_set_student_item", "problems", ["problem_set_id", "student_id", "item"], unique=True
    )
    op.add_column("submissions", sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("location", sa.String(512), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("late")
    op.drop_index("uq_problems_set_student_item", "problems")
    op.drop_index("uq_student_tokens_set_student", "student_tokens")
    with op.batch_alter_table("student_tokens") as batch:
        batch.drop_column("generation")
        batch.drop_column("position")
