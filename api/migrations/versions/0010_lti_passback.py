"""LTI grade passback: the outbox of scores to send, and a set's LTI options.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lti_scores",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("link_id", sa.String(36), sa.ForeignKey("lti_links.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sub", sa.String(255), nullable=False),
        sa.Column("problem_set_id", sa.Uuid(), sa.ForeignKey("problem_sets.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("student_id", sa.String(128), nullable=False),
        sa.Column("score_given", sa.Double(), nullable=False),
        sa.Column("score_maximum", sa.Double(), nullable=False),
        sa.Column("activity_progress", sa.String(16), nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("zero_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("problem_set_id", "student_id", "zero_due_at", name="uq_lti_scores_zero"),
    )
    op.create_index("ix_lti_scores_status_next", "lti_scores", ["status", "next_attempt_at"])
    op.create_index("ix_lti_scores_link_sub", "lti_scores", ["link_id", "sub"])
    op.create_table(
        "lti_set_options",
        sa.Column("problem_set_id", sa.Uuid(), sa.ForeignKey("problem_sets.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("zeros_after_due", sa.Boolean(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("lti_set_options")
    op.drop_index("ix_lti_scores_link_sub", table_name="lti_scores")
    op.drop_index("ix_lti_scores_status_next", table_name="lti_scores")
    op.drop_table("lti_scores")
