"""OIDC login and launch validation (docs/api.md §15, docs/lti.md).

Login issues a ``state`` and a ``nonce`` and stores nothing: the state is
signed by the tool and carries the nonce, the platform and the platform's
storage target, and it is bound to the browser by a cookie (or, where a
platform's iframe blocks cookies, by the platform's own storage, reached by
LTI client-side postMessages). A launch is checked entirely before anything
is written; the nonce is then stored in the launch's own transaction, so a
replayed id_token is refused and a refused launch stores nothing.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeGuard, TypeVar
from urllib.parse import urlencode, urlsplit

import jwt
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import db
from api.lti.ags import ServiceError, service_url
from api.lti.errors import LaunchRefused
from api.lti.models import LtiDeployment, LtiLearner, LtiLink, LtiNonce, LtiPlatform
from api.lti.platforms import find_platform, instructor_key
from api.models import ProblemSetRecord, StudentToken, utcnow
from api.services import rosters
from api.tokens import server_secret

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"
INSTRUCTOR_ROLES = frozenset(
    f"http://purl.imsglobal.org/vocab/lis/v2/membership#{role}"
    for role in ("Instructor", "Administrator", "ContentDeveloper")
)
# Clocks of the platform and the tool may differ this much.
LEEWAY = timedelta(seconds=60)
# A login must come back as a launch within this.
STATE_LIFETIME = timedelta(minutes=10)
STATE_COOKIE = "elbo_grader_lti_"
# A platform's keys are fetched again for an unknown kid at most this often
# (seconds): a rotation is picked up, a flood of made-up kids costs one fetch.
JWKS_REFETCH_COOLDOWN = 5.0
_JWKS_CLIENTS = "elbo_grader.lti_jwks_clients"
T = TypeVar("T")


@dataclass(frozen=True)
class LoginRedirect:
    url: str
    state: str
    cookie: str  # the state cookie's name
    # The platform's storage frame and origin when it offered one (LTI client-side postMessages).
    storage_target: str | None
    storage_origin: str


@dataclass(frozen=True)
class State:
    platform_id: str
    nonce: str
    storage_target: str | None
    storage_origin: str  # the platform's origin, to which storage messages go


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(server_secret(), salt=f"elbo-grader lti {purpose}")


def seal(purpose: str, values: list[Any]) -> str:
    """``values`` signed by the tool for one ``purpose`` (a login's state, a deep-linking context)."""
    return _serializer(purpose).dumps(values)


def unseal(purpose: str, sealed: str, lifetime: timedelta, make: Callable[..., T], expired: str, forged: str) -> T:
    """``make(*values)`` of what :func:`seal` signed for ``purpose`` at most ``lifetime`` ago; refused with
    ``expired`` when older, ``forged`` when the tool did not sign it so."""
    try:
        return make(*_serializer(purpose).loads(sealed, max_age=int(lifetime.total_seconds())))
    except SignatureExpired:
        raise LaunchRefused(expired) from None
    except (BadSignature, ValueError, TypeError):
        raise LaunchRefused(forged) from None


def state_cookie(state: str) -> str:
    """The cookie that binds ``state`` to the browser (one per login, so two tabs never clash)."""
    return STATE_COOKIE + hashlib.sha256(state.encode()).hexdigest()[:24]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def is_identifier(value: object) -> TypeGuard[str]:
    """Whether ``value`` is an id as the tables hold them: 1 to 255 printable characters
    (no NUL, which PostgreSQL refuses in text)."""
    return isinstance(value, str) and 1 <= len(value) <= 255 and value.isprintable()


def _identifier(value: object, what: str) -> str:
    """An id as the tables hold them; refused otherwise."""
    if not is_identifier(value):
        raise LaunchRefused(f"The {what} is not an id of 1 to 255 printable characters.")
    return value


def login(params: dict[str, str], launch_url: str) -> LoginRedirect:
    """The redirect to the platform's authorisation endpoint for an OIDC login initiation."""
    issuer = params.get("iss", "").strip()
    login_hint = params.get("login_hint", "")
    target = params.get("target_link_uri", "")
    if not issuer or not login_hint or not target:
        missing = [name for name in ("iss", "login_hint", "target_link_uri") if not params.get(name)]
        raise LaunchRefused(f"The login initiation lacks {', '.join(missing)}.")
    client_id = params.get("client_id") or None
    platform = find_platform(db.session(), _identifier(issuer, "issuer (iss)"),
                             client_id and _identifier(client_id, "client_id"))
    if platform is None:
        raise LaunchRefused(
            f"No platform is registered with issuer {issuer!r}"
            + (f" and client id {client_id!r}" if client_id else "")
            + " (or the issuer has several: send client_id). Ask the service's administrator to run "
            "`elbo-grader lti add-platform`.",
            403,
        )
    try:
        elsewhere = _origin(target) != _origin(launch_url)
    except ValueError:  # e.g. "http://[": no URL at all
        elsewhere = True
    if elsewhere:
        raise LaunchRefused(f"target_link_uri {target!r} is not on this tool ({_origin(launch_url)}).")
    storage_target = params.get("lti_storage_target") or None
    nonce = secrets.token_urlsafe(24)
    storage_origin = _origin(platform.login_url)
    state = seal("state", [platform.id, nonce, storage_target, storage_origin])
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": launch_url,
        "login_hint": login_hint,
        "state": state,
        "nonce": nonce,
    }
    if "lti_message_hint" in params:
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if urlsplit(platform.login_url).query else "?"
    return LoginRedirect(platform.login_url + separator + urlencode(query), state, state_cookie(state),
                         storage_target, storage_origin)


def read_state(state: str) -> State:
    """The state a login issued; refused if forged or older than :data:`STATE_LIFETIME`."""
    if not state:
        raise LaunchRefused("The launch has no state.")
    return unseal("state", state, STATE_LIFETIME, State,
                  expired="The launch's state has expired: the login began over 10 minutes ago. Open the link again.",
                  forged="The launch's state is not one this tool issued.")


@dataclass(frozen=True)
class Launch:
    """A launch whose id_token has been checked, nothing stored yet."""

    platform: LtiPlatform
    claims: dict[str, Any]
    message_type: str
    deployment_id: str
    instructor: bool
    problem_set_id: uuid.UUID | None  # always set for a resource link

    def claim(self, name: str) -> Any:
        return self.claims.get(CLAIM + name)


def _jwks_client(url: str) -> jwt.PyJWKClient:
    # One client per JWKS URL and process: it caches the keys, and fetches
    # them again once when a token names a kid it has not seen (a rotation).
    clients: dict[str, jwt.PyJWKClient] = current_app.extensions.setdefault(_JWKS_CLIENTS, {})
    if url not in clients:
        clients[url] = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5,
                                       cooldown_duration=JWKS_REFETCH_COOLDOWN)
    return clients[url]


def _verified_claims(platform: LtiPlatform, id_token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.InvalidTokenError:
        raise LaunchRefused("The id_token is not a JWT.") from None
    if header.get("alg") != "RS256":
        raise LaunchRefused(f"The id_token is signed with {header.get('alg')!r}; only RS256 is accepted.", 401)
    try:
        key = _jwks_client(platform.jwks_url).get_signing_key_from_jwt(id_token)
    except jwt.PyJWKClientConnectionError:
        raise LaunchRefused("The platform's public keys could not be fetched from its JWKS URL; "
                            "try again in a moment.", 502) from None
    except jwt.PyJWKClientError:
        raise LaunchRefused(f"The id_token's key (kid {header.get('kid')!r}) is not in the platform's JWKS "
                            "(if the platform has just changed its key, try again in a few seconds).", 401) from None
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token, key.key, algorithms=["RS256"], audience=platform.client_id, issuer=platform.issuer,
            leeway=LEEWAY, options={"require": ["iss", "aud", "exp", "iat", "nonce"]},
        )
    except jwt.ExpiredSignatureError:
        raise LaunchRefused("The id_token has expired.", 401) from None
    except jwt.InvalidAudienceError:
        raise LaunchRefused(f"The id_token is not meant for this tool: its aud lacks client id "
                            f"{platform.client_id!r}.", 401) from None
    except jwt.InvalidSignatureError:
        raise LaunchRefused("The id_token's signature does not verify with the platform's key.", 401) from None
    except jwt.InvalidTokenError as error:
        raise LaunchRefused(f"The id_token is not valid: {error}.", 401) from None
    audience = claims["aud"]
    several = isinstance(audience, list) and len(audience) > 1
    if (several or "azp" in claims) and claims.get("azp") != platform.client_id:
        raise LaunchRefused(f"The id_token has several audiences and its azp is not this tool's client id "
                            f"{platform.client_id!r}.", 401)
    return claims


def _problem_set_id(claims: dict[str, Any]) -> uuid.UUID:
    custom = claims.get(CLAIM + "custom")
    raw = custom.get("problem_set_id") if isinstance(custom, dict) else None
    if not isinstance(raw, str) or not raw.strip():
        raise LaunchRefused("The link has no custom parameter problem_set_id: set it to the problem set's id "
                            "in the LMS (deep linking does it for you).")
    try:
        problem_set_id = uuid.UUID(raw.strip())
    except ValueError:
        raise LaunchRefused(f"The link's problem_set_id {raw!r} is not a problem set id.") from None
    if db.session().get(ProblemSetRecord, problem_set_id) is None:
        raise LaunchRefused(f"The link's problem_set_id {raw!r} names no problem set on this service.", 404)
    return problem_set_id


def validate(id_token: str, state: State) -> Launch:
    """Every check of a launch, in the order its errors are most useful; stores nothing."""
    if not id_token:
        raise LaunchRefused("The launch has no id_token.")
    try:
        unverified = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise LaunchRefused("The id_token is not a JWT.") from None
    issuer = unverified.get("iss")
    session = db.session()
    platform = session.get(LtiPlatform, state.platform_id)
    if platform is None or platform.issuer != issuer:
        raise LaunchRefused(f"The id_token's issuer {issuer!r} is not the registered platform the login "
                            "began with.", 403)
    claims = _verified_claims(platform, id_token)
    # As bytes: compare_digest refuses a str with non-ASCII characters.
    if not secrets.compare_digest(str(claims["nonce"]).encode(), state.nonce.encode()):
        raise LaunchRefused("The id_token's nonce is not the one this login issued.", 403)
    deployment_id = _identifier(claims.get(CLAIM + "deployment_id"), "deployment_id")
    if session.get(LtiDeployment, (platform.id, deployment_id)) is None:
        raise LaunchRefused(f"Deployment {deployment_id!r} is not registered for this platform; the administrator "
                            "adds it with `elbo-grader lti add-deployment`.", 403)
    if claims.get(CLAIM + "version") != "1.3.0":
        raise LaunchRefused(f"LTI version {claims.get(CLAIM + 'version')!r} is not 1.3.0.")
    message_type = claims.get(CLAIM + "message_type")
    if message_type not in (RESOURCE_LINK, DEEP_LINKING):
        raise LaunchRefused(f"Message type {message_type!r} is not {RESOURCE_LINK} or {DEEP_LINKING}.")
    roles = claims.get(CLAIM + "roles")
    instructor = isinstance(roles, list) and not INSTRUCTOR_ROLES.isdisjoint(r for r in roles if isinstance(r, str))
    problem_set_id = None
    if message_type == RESOURCE_LINK:
        link = claims.get(CLAIM + "resource_link")
        if not isinstance(link, dict) or not link.get("id"):
            raise LaunchRefused("The resource-link launch has no resource_link id.")
        _identifier(link["id"], "resource_link id")
        if not claims.get("sub"):
            raise LaunchRefused("The launch has no user (sub): anonymous launches cannot join a roster.")
        _identifier(claims["sub"], "user id (sub)")
        problem_set_id = _problem_set_id(claims)
    elif not instructor:
        raise LaunchRefused("Only an instructor may pick a problem set for a link.", 403)
    return Launch(platform, claims, message_type, deployment_id, instructor, problem_set_id)


def consume_nonce(session: Session, launch: Launch) -> None:
    """Store the launch's nonce (in its transaction) until its id_token has expired; a replay is refused.
    Nonces past that moment are deleted on the way."""
    now = utcnow()
    session.execute(delete(LtiNonce).where(LtiNonce.expires_at < now))
    # PyJWT checked that exp reads as an int. A replay needs a state too, which lasts STATE_LIFETIME:
    # no longer is needed (and an exp past the year 9999 is no datetime).
    lasts = min(max(int(launch.claims["exp"]) - now.timestamp(), 0.0), STATE_LIFETIME.total_seconds())
    expires = now + timedelta(seconds=lasts) + LEEWAY
    session.add(LtiNonce(platform_id=launch.platform.id, nonce=str(launch.claims["nonce"]), expires_at=expires))
    try:
        session.flush()
    except IntegrityError:
        raise LaunchRefused("This launch was used already (its nonce is spent): open the link again.", 403) \
            from None


def student_id_of(platform_id: str, sub: str) -> str:
    """The roster's student id of a platform user: stable per platform and sub, never their email."""
    return "lti-" + hashlib.sha256(f"{platform_id}\x1f{sub}".encode()).hexdigest()[:16]


def display_name(name: object) -> str | None:
    """What is kept of a user's name from the platform: its printable characters, at most 200."""
    if not isinstance(name, str):
        return None
    return "".join(character for character in name if character.isprintable()).strip()[:200] or None


def join(launch: Launch) -> str:
    """A learner's resource-link launch: the link and the learner stored, the
    learner on the set's roster; returns their token hash to sign in with."""
    assert launch.problem_set_id is not None
    session = db.session()
    student_id = student_id_of(launch.platform.id, launch.claims["sub"])
    record = session.get(ProblemSetRecord, launch.problem_set_id)
    assert record is not None  # validate found it
    issued = rosters.new_students(session, record, [student_id])
    with db.write_transaction() as writing:
        link_id = _store_link(writing, launch)
        rosters.add_students(writing, record, [student_id], issued)
        db.upsert(writing, LtiLearner, ["platform_id", "sub", "problem_set_id"], {
            "platform_id": launch.platform.id, "sub": launch.claims["sub"], "problem_set_id": record.id,
            "student_id": student_id, "link_id": link_id, "name": display_name(launch.claims.get("name")),
        })
        token = writing.execute(
            select(StudentToken.token_hash, StudentToken.revoked_at)
            .where(StudentToken.problem_set_id == record.id, StudentToken.student_id == student_id)
        ).one()
        if token.revoked_at is not None:
            raise LaunchRefused("Your access to this problem set was revoked by its instructor.", 403)
    return token.token_hash


def _store_link(session: Session, launch: Launch) -> str:
    """Consume the nonce, then insert or update the launch's link with its service URLs; the link's id."""
    consume_nonce(session, launch)
    link_claim = launch.claim("resource_link")
    ags = launch.claims.get(AGS_CLAIM)
    nrps = launch.claims.get(NRPS_CLAIM)
    scopes = ags.get("scope") if isinstance(ags, dict) else None
    db.upsert(session, LtiLink, ["platform_id", "resource_link_id"], {
        "id": str(uuid.uuid4()), "platform_id": launch.platform.id, "deployment_id": launch.deployment_id,
        "resource_link_id": link_claim["id"], "problem_set_id": launch.problem_set_id,
        "lineitem_url": _service_url(ags, "lineitem"), "lineitems_url": _service_url(ags, "lineitems"),
        "ags_scopes": " ".join(s for s in scopes if is_identifier(s)) if isinstance(scopes, list) else None,
        "memberships_url": _service_url(nrps, "context_memberships_url"), "updated_at": utcnow(),
    })
    return session.scalars(select(LtiLink.id).where(
        LtiLink.platform_id == launch.platform.id, LtiLink.resource_link_id == link_claim["id"])).one()


def _service_url(claim: Any, name: str) -> str | None:
    """A service URL of the launch's AGS or NRPS claim, if it gives one; refused if it is no http(s) URL
    (the tool would call it, and store it first)."""
    value = claim.get(name) if isinstance(claim, dict) else None
    if not isinstance(value, str) or not value:
        return None
    try:
        return service_url(value, name)
    except ServiceError as error:
        raise LaunchRefused(f"The launch's service URL: {error}.") from None


def teach(launch: Launch) -> str:
    """An instructor's launch (a resource link, or deep linking): the nonce
    spent, a resource link stored; returns the hash of the platform's
    instructor key to sign in with."""
    key = instructor_key(db.session(), launch.platform.id)
    if key is None:
        raise LaunchRefused("Instructor access from this platform was revoked on this service.", 403)
    with db.write_transaction() as writing:
        if launch.message_type == RESOURCE_LINK:
            _store_link(writing, launch)
        else:
            consume_nonce(writing, launch)
    return key.key_hash
