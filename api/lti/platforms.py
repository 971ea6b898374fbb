"""Registered LMS platforms (docs/api.md §15): added, listed and removed by the CLI, found by launches.

Each platform gets an instructor key of its own (named after it, the token
never shown): an instructor's launch signs in with it, so LTI instructors
are ordinary instructor callers, listed by ``elbo-grader list-keys`` and
ended together by revoking that key or removing the platform.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.auth import create_key
from api.lti.errors import RegistrationRefused
from api.lti.models import LtiDeployment, LtiPlatform
from api.models import ApiKey, utcnow

# The paths of the tool that a platform is given (docs/api.md §15).
TOOL_PATHS = {"login": "/lti/login", "launch": "/lti/launch", "jwks": "/lti/jwks", "deep linking": "/lti/launch"}


@dataclass(frozen=True)
class Registration:
    id: str
    issuer: str
    client_id: str
    name: str | None
    login_url: str
    token_url: str
    jwks_url: str
    deployments: tuple[str, ...]
    created_at: datetime


def instructor_key_name(platform_id: str) -> str:
    """The name of the instructor key an instructor's launch from the platform signs in with."""
    return f"lti-platform:{platform_id}"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(what: str, raw: str) -> str:
    """An https URL with a host (http only on this machine, for trying a platform out)."""
    url = raw.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (read to refuse a port out of range)
    except ValueError:  # e.g. "https://[" or a port past 65535
        host = ""
    if host and (parts.scheme == "https" or parts.scheme == "http" and _loopback(host)):
        return url
    raise RegistrationRefused(f"{what} {raw!r} is not an https URL with a host (http only for localhost)")


def _text(what: str, raw: str, longest: int) -> str:
    value = raw.strip()
    if not 1 <= len(value) <= longest:
        raise RegistrationRefused(f"{what} must be 1 to {longest} characters")
    return value


def _registration(session: Session, platform: LtiPlatform) -> Registration:
    deployments = session.scalars(
        select(LtiDeployment.deployment_id)
        .where(LtiDeployment.platform_id == platform.id)
        .order_by(LtiDeployment.deployment_id)
    )
    return Registration(platform.id, platform.issuer, platform.client_id, platform.name, platform.login_url,
                        platform.token_url, platform.jwks_url, tuple(deployments), platform.created_at)


def add_platform(session: Session, *, issuer: str, client_id: str, deployment_ids: list[str], login_url: str,
                 token_url: str, jwks_url: str, name: str | None = None) -> Registration:
    """Register a platform with its deployments and its instructor key; committed."""
    platform = LtiPlatform(
        issuer=_text("the issuer", issuer, 255),
        client_id=_text("the client id", client_id, 255),
        name=_text("the name", name, 200) if name is not None else None,
        login_url=check_url("the login URL", login_url),
        token_url=check_url("the token URL", token_url),
        jwks_url=check_url("the JWKS URL", jwks_url),
        created_at=utcnow(),
    )
    deployments = {_text("a deployment id", deployment, 255) for deployment in deployment_ids}
    if not deployments:
        raise RegistrationRefused("a platform needs at least one deployment id")
    if find_platform(session, platform.issuer, platform.client_id) is not None:
        raise RegistrationRefused(
            f"issuer {platform.issuer!r} with client id {platform.client_id!r} is registered already; "
            "`elbo-grader lti list-platforms` lists it"
        )
    try:
        session.add(platform)
        session.flush()
        session.add_all(LtiDeployment(platform_id=platform.id, deployment_id=deployment)
                        for deployment in deployments)
        # The token is thrown away: only launches sign in with this key, by its hash.
        create_key(session, instructor_key_name(platform.id))
    except IntegrityError:  # registered meanwhile by another run
        session.rollback()
        raise RegistrationRefused(f"issuer {platform.issuer!r} with client id {platform.client_id!r} is "
                                  "registered already") from None
    return _registration(session, platform)


def add_deployment(session: Session, platform_id: str, deployment_id: str) -> Registration:
    """Let a registered platform launch with one more deployment id; committed."""
    platform = _get(session, platform_id)
    deployment = _text("a deployment id", deployment_id, 255)
    session.add(LtiDeployment(platform_id=platform.id, deployment_id=deployment))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise RegistrationRefused(f"deployment id {deployment!r} is registered already for {platform_id}") from None
    return _registration(session, platform)


def list_platforms(session: Session) -> list[Registration]:
    return [_registration(session, platform)
            for platform in session.scalars(select(LtiPlatform).order_by(LtiPlatform.created_at))]


def _get(session: Session, platform_id: str) -> LtiPlatform:
    platform = session.get(LtiPlatform, platform_id.strip())
    if platform is None:
        raise RegistrationRefused(f"no platform {platform_id!r}; `elbo-grader lti list-platforms` lists them")
    return platform


def remove_platform(session: Session, platform_id: str) -> Registration:
    """Remove a platform with its deployments, links and learners (their roster
    entries stay), and revoke its instructor key, which ends its instructors'
    sessions at once; committed."""
    platform = _get(session, platform_id)
    removed = _registration(session, platform)
    key = instructor_key(session, platform.id)
    if key is not None:
        key.revoked_at = utcnow()
    session.delete(platform)
    session.commit()
    return removed


def find_platform(session: Session, issuer: str, client_id: str | None) -> LtiPlatform | None:
    """The platform of ``issuer`` (and ``client_id`` when given; without it, only if the issuer has one)."""
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id is not None:
        query = query.where(LtiPlatform.client_id == client_id)
    platforms = session.scalars(query.limit(2)).all()
    return platforms[0] if len(platforms) == 1 else None


def instructor_key(session: Session, platform_id: str) -> ApiKey | None:
    """The platform's instructor key, if it is not revoked."""
    return session.scalar(
        select(ApiKey).where(ApiKey.name == instructor_key_name(platform_id), ApiKey.revoked_at.is_(None)).limit(1)
    )
