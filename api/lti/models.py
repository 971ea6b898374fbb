"""The LTI 1.3 tables (migration 0009), on the service's one declarative base.

Platforms are registered by the CLI; links and learners are written by
launches (and by the roster sync), nonces by launches, tool keys by
api.lti.keys.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.models import Base, utcnow


def _new_id() -> str:
    return str(uuid.uuid4())


class LtiPlatform(Base):
    """An LMS registration: one issuer and the client id it gave this tool."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_lti_platforms_issuer_client"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(200))
    # The platform's OIDC authorisation endpoint (where /lti/login redirects).
    login_url: Mapped[str] = mapped_column(Text)
    token_url: Mapped[str] = mapped_column(Text)
    jwks_url: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiDeployment(Base):
    """A deployment id the platform may launch with."""

    __tablename__ = "lti_deployments"

    platform_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("lti_platforms.id", ondelete="CASCADE"), primary_key=True
    )
    deployment_id: Mapped[str] = mapped_column(String(255), primary_key=True)


class LtiToolKey(Base):
    """One of the tool's RSA keys; the private key is encrypted (api.lti.keys)."""

    __tablename__ = "lti_tool_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_key: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set by a rotation to the end of the key's grace period: it signs no more,
    # and its public key stays in /lti/jwks until then (platforms cache keys).
    retired_at: Mapped[datetime | None]


class LtiNonce(Base):
    """A launch nonce already used; kept until the id_token that carried it has expired."""

    __tablename__ = "lti_nonces"

    platform_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("lti_platforms.id", ondelete="CASCADE"), primary_key=True
    )
    nonce: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LtiLink(Base):
    """A resource link in the LMS and its set, with the service URLs of its last launch."""

    __tablename__ = "lti_links"
    __table_args__ = (
        UniqueConstraint("platform_id", "resource_link_id", name="uq_lti_links_platform_resource_link"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=_new_id)
    platform_id: Mapped[str] = mapped_column(String(36), ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    problem_set_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("problem_sets.id"))
    lineitem_url: Mapped[str | None] = mapped_column(Text)
    lineitems_url: Mapped[str | None] = mapped_column(Text)
    # Space-separated, as the launch's AGS claim lists them.
    ags_scopes: Mapped[str | None] = mapped_column(Text)
    # The NRPS claim's context_memberships_url.
    memberships_url: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LtiLearner(Base):
    """An LMS user on a set's roster: their platform ``sub`` and the student id made from it."""

    __tablename__ = "lti_learners"
    __table_args__ = (UniqueConstraint("problem_set_id", "student_id", name="uq_lti_learners_set_student"),)

    platform_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("lti_platforms.id", ondelete="CASCADE"), primary_key=True
    )
    sub: Mapped[str] = mapped_column(String(255), primary_key=True)
    problem_set_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("problem_sets.id"), primary_key=True)
    student_id: Mapped[str] = mapped_column(String(128))
    # The link of their last launch: where their scores go.
    link_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("lti_links.id", ondelete="SET NULL"))
    # A display name at most: no email, no other claim is kept.
    name: Mapped[str | None] = mapped_column(String(200))


# --- Grade passback and its options (migration 0010, api.lti.passback) ---


class LtiScore(Base):
    """A score to send to a learner's line item: the outbox, written in the
    submission's own transaction and drained by the servers' threads.

    ``leased_until`` is a sender's claim on the row (as a background maker's
    on its set, api.services.making): a moment past is free to claim, so a
    sender that dies hands its rows on once its lease lapses.
    """

    __tablename__ = "lti_scores"
    __table_args__ = (
        # A zero for a due date is written once, whoever checks first.
        UniqueConstraint("problem_set_id", "student_id", "zero_due_at", name="uq_lti_scores_zero"),
        Index("ix_lti_scores_status_next", "status", "next_attempt_at"),
        Index("ix_lti_scores_link_sub", "link_id", "sub"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[str] = mapped_column(String(36), ForeignKey("lti_links.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(255))
    problem_set_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("problem_sets.id", ondelete="CASCADE"))
    student_id: Mapped[str] = mapped_column(String(128))
    score_given: Mapped[float]
    score_maximum: Mapped[float]
    activity_progress: Mapped[str] = mapped_column(String(16))
    # The score's AGS timestamp: when the submission (or the due date) made it.
    scored_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    # Set for a zero sent because this due date passed with no submission.
    zero_due_at: Mapped[datetime | None]
    # pending → sent, or failed (a refusal no retry can mend; the reason kept).
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    leased_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class LtiSetOptions(Base):
    """A set's LTI options, set by the instructor (``elbo-grader lti zeros-after-due``)."""

    __tablename__ = "lti_set_options"

    problem_set_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("problem_sets.id", ondelete="CASCADE"), primary_key=True
    )
    # Once a student's due date passes with no submission, send them a 0.
    zeros_after_due: Mapped[bool] = mapped_column(default=False)
