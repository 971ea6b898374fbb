"""Initial tables: api keys, problem sets, student tokens, problems, attempt counters, submissions.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "problem_sets",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "student_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("problem_set_id", sa.Uuid(), sa.ForeignKey("problem_sets.id"), nullable=False),
        sa.Column("student_id", sa.String(128), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "problems",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("template", sa.String(64), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=True),
        sa.Column("difficulty", sa.String(32), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("problem", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("problem_set_id", sa.Uuid(), sa.ForeignKey("problem_sets.id"), nullable=True),
        sa.Column("student_id", sa.String(128), nullable=True),
        sa.Column("item", sa.Integer(), nullable=True),
    )
    op.create_index("ix_problems_problem_set_id", "problems", ["problem_set_id"])
    op.create_table(
        "attempt_counters",
        sa.Column("problem_id", sa.Uuid(), sa.ForeignKey("problems.id"), primary_key=True),
        sa.Column("student_scope", sa.String(128), primary_key=True),
        sa.Column("used", sa.Integer(), nullable=False),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("problem_id", sa.Uuid(), sa.ForeignKey("problems.id"), nullable=False),
        sa.Column("student_id", sa.String(128), nullable=True),
        sa.Column("student_scope", sa.String(128), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("problem_id", "student_scope", "attempt"),
    )
    op.create_index("ix_submissions_problem_created", "submissions", ["problem_id", "created_at"])


def downgrade() -> None:
    for table in (
        "submissions",
        "attempt_counters",
        "problems",
        "student_tokens",
        "problem_sets",
        "api_keys",
    ):
        op.drop_table(table)
