"""LTI 1.3: registered platforms and their deployments, the tool's keys, launch nonces, resource links and learners.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lti_platforms",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("issuer", sa.String(255), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("login_url", sa.Text(), nullable=False),
        sa.Column("token_url", sa.Text(), nullable=False),
        sa.Column("jwks_url", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("issuer", "client_id", name="uq_lti_platforms_issuer_client"),
    )
    op.create_table(
        "lti_deployments",
        sa.Column(
            "platform_id", sa.String(36), sa.ForeignKey("lti_platforms.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("deployment_id", sa.String(255), primary_key=True),
    )
    op.create_table(
        "lti_tool_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("private_key", sa.Text(), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "lti_nonces",
        sa.Column(
            "platform_id", sa.String(36), sa.ForeignKey("lti_platforms.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("nonce", sa.String(255), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_lti_nonces_expires_at", "lti_nonces", ["expires_at"])
    op.create_table(
        "lti_links",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "platform_id", sa.String(36), sa.ForeignKey("lti_platforms.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("deployment_id", sa.String(255), nullable=False),
        sa.Column("resource_link_id", sa.String(255), nullable=False),
        sa.Column("problem_set_id", sa.Uuid(), sa.ForeignKey("problem_sets.id"), nullable=False),
        sa.Column("lineitem_url", sa.Text(), nullable=True),
        sa.Column("lineitems_url", sa.Text(), nullable=True),
        sa.Column("ags_scopes", sa.Text(), nullable=True),
        sa.Column("memberships_url", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("platform_id", "resource_link_id", name="uq_lti_links_platform_resource_link"),
    )
    op.create_table(
        "lti_learners",
        sa.Column(
            "platform_id", sa.String(36), sa.ForeignKey("lti_platforms.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("sub", sa.String(255), primary_key=True),
        sa.Column("problem_set_id", sa.Uuid(), sa.ForeignKey("problem_sets.id"), primary_key=True),
        sa.Column("student_id", sa.String(128), nullable=False),
        sa.Column("link_id", sa.String(36), sa.ForeignKey("lti_links.id", ondelete="SET NULL"), nullable=True),
        sa.Column("name", sa.String(200), nullable=True),
        sa.UniqueConstraint("problem_set_id", "student_id", name="uq_lti_learners_set_student"),
    )


def downgrade() -> None:
    for table in ("lti_learners", "lti_links", "lti_nonces", "lti_tool_keys", "lti_deployments", "lti_platforms"):
        op.drop_table(table)
