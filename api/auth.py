"""Bearer tokens → a :class:`Caller`, and the access rules of docs/api.md §9.

Instructor keys are random 256-bit strings, student tokens HMACs (see
api.tokens); only the SHA-256 of either is stored. A token is looked up by
its hash, and the stored hash compared in constant time.

- Instructor keys (``elbo-grader create-key``) may do everything.
- A student token (issued with a problem set, see api.tokens) reaches only
  that student's problems in its set, the set's own view of them, and its
  own submissions; a solution only as the policy says (docs/api.md §12); never
  an answer key, grades or the roster.
- Without a token: practice problems (in no set), while practice is on.

``401``: credentials missing or unknown where needed; ``403``: known but not
allowed; ``404``: no such id, or one the caller may not see.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

from flask import current_app, g, request
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import db
from api.errors import forbidden, invalid, not_found, unauthorized
from api.models import ApiKey, StudentToken, student_scope, utcnow
from api.problemstore import StoredProblem


@dataclass(frozen=True)
class Caller:
    kind: Literal["anonymous", "instructor", "student"]
    problem_set_id: uuid.UUID | None = None  # a student token's set and student
    student_id: str | None = None
    # Which credential: "instructor:<key id>", "student:<token id>" or
    # "anonymous"; idempotency keys are scoped to it.
    credential: str = "anonymous"


ANONYMOUS = Caller("anonymous")
# The methods that change something: counted by rate limits.
WRITE_METHODS = frozenset({"POST", "PATCH"})


V = TypeVar("V", bound=Callable[..., Any])

# Who may call an operation, as its OpenAPI `security` says it.
Security = list[dict[str, list[str]]]
OPEN: Security = []  # no credentials
PRACTICE: Security = [{}, {"bearer": []}]  # anonymous practice, or a token
BEARER: Security = [{"bearer": []}]  # a token is required


def access(security: Security) -> Callable[[V], V]:
    """Route decorator documenting who may call the operation; the check is
    the view's (or :func:`instructor_only`'s)."""
    return Blueprint.doc(security=security)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_key(session: Session, name: str) -> str:
    """Store a new instructor key and return its token, which is not kept."""
    token = "eg_" + secrets.token_urlsafe(32)
    session.add(ApiKey(name=name, key_hash=hash_token(token)))
    session.commit()
    return token


def instructor_keys(session: Session) -> list[ApiKey]:
    """Every instructor key ever made, oldest first, revoked ones included."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def find_key(session: Session, key: str) -> ApiKey | None:
    """An instructor key by its id or by the key itself (``eg_…``)."""
    if key.startswith("eg_"):
        return session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_token(key)))
    # Ids are database integers: more than 18 digits is no id (and would overflow SQLite's).
    return session.get(ApiKey, int(key)) if key.isascii() and key.isdigit() and len(key) <= 18 else None


def revoke_key(session: Session, key: ApiKey) -> bool:
    """Revoke ``key`` from now on; False if it already was."""
    if key.revoked_at is not None:
        return False
    key.revoked_at = utcnow()
    session.commit()
    return True


# The API's own documentation is open, like the operations marked open_access.
_OPEN_BLUEPRINTS = frozenset({"api-docs", "swagger_ui"})


def open_access(view: V) -> V:
    """Route decorator: the operation is open to anyone, so credentials are
    not even read (a load balancer's probe with a stray header is no 401);
    the OpenAPI document says it needs none."""
    documented = access(OPEN)(view)
    documented.open_access = True  # type: ignore[attr-defined]
    return documented


def _is_open() -> bool:
    if request.blueprint in _OPEN_BLUEPRINTS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    handler = getattr(getattr(view, "view_class", None), request.method.lower(), view)
    return getattr(handler, "open_access", False)


def authenticate() -> None:
    """before_request: an unknown or malformed token is a 401 before anything
    else, except on open operations, which never look at it."""
    g.caller = ANONYMOUS if _is_open() else _caller_of(request.headers.get("Authorization"))


def _caller_of(header: str | None) -> Caller:
    if header is None:
        return ANONYMOUS
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise unauthorized("Send credentials as 'Authorization: Bearer <token>'.")
    caller = caller_of_hash(hash_token(token))
    if caller is None:
        raise unauthorized("Unknown or revoked token.")
    return caller


def caller_of_hash(digest: str) -> Caller | None:
    """The caller whose token has this SHA-256, None if unknown or revoked:
    the header's check, and a page session's on each request (it keeps the
    hash, never the token)."""
    session = db.session()
    key = session.execute(
        select(ApiKey.id, ApiKey.key_hash).where(ApiKey.key_hash == digest, ApiKey.revoked_at.is_(None))
    ).first()
    if key is not None and hmac.compare_digest(key.key_hash, digest):
        return Caller("instructor", credential=f"instructor:{key.id}")
    student = session.execute(
        select(
            StudentToken.id, StudentToken.token_hash, StudentToken.problem_set_id, StudentToken.student_id
        ).where(StudentToken.token_hash == digest, StudentToken.revoked_at.is_(None))
    ).first()
    if student is not None and hmac.compare_digest(student.token_hash, digest):
        return Caller(
            "student",
            problem_set_id=student.problem_set_id,
            student_id=student.student_id,
            credential=f"student:{student.id}",
        )
    return None


def _check_practice(who: Caller) -> None:
    if who.kind == "anonymous" and not current_app.config["SETTINGS"].practice:
        raise unauthorized("Anonymous practice is off on this server; send a token.")


def authorize_create(authored: bool) -> Caller:
    """Making a problem: seeded ones are practice, authored params need an instructor."""
    who: Caller = g.caller
    if who.kind == "student":
        raise forbidden("A student token only reaches its own problems in its set.")
    if authored and who.kind == "anonymous":
        raise unauthorized("Authoring params needs an instructor key.")
    _check_practice(who)
    return who


def authorize_problem(problem: StoredProblem, what: str = "problem") -> Caller:
    """Reading a problem, or ``what`` belongs to it, or submitting to it;
    404 when the caller may not see it."""
    who: Caller = g.caller
    _check_practice(who)
    visible = {
        "instructor": True,
        "student": (problem.problem_set_id, problem.student_id) == (who.problem_set_id, who.student_id),
        "anonymous": problem.is_practice,
    }[who.kind]
    if not visible:
        raise not_found(what)
    return who


def submitting_student(who: Caller, requested: str | None, problem: StoredProblem) -> str | None:
    """The student a submission is for: a student token implies its own,
    and only instructors (LMS) may name one. A problem of a set is one
    student's: every submission to it is theirs, whoever sends it."""
    if who.kind == "student":
        if requested not in (None, who.student_id):
            raise forbidden("A student token submits only as its own student_id.")
        return who.student_id
    if requested is not None and who.kind == "anonymous":
        raise unauthorized("Submitting for a student_id needs an instructor key.")
    if problem.is_practice:
        return requested
    if requested not in (None, problem.student_id):
        raise invalid(
            {
                "student_id": [
                    f"This problem is student {problem.student_id!r}'s; omit student_id or send theirs."
                ]
            }
        )
    return problem.student_id


def authorize_instructor() -> Caller:
    """Set-level instructor endpoints: the roster, tokens, answer key, grades."""
    who: Caller = g.caller
    if who.kind == "anonymous":
        raise unauthorized("This needs an instructor key.")
    if who.kind == "student":
        raise forbidden("A student token reaches only its own problems and submissions.")
    return who


def instructor_only(view: V) -> V:
    """Route decorator: :func:`authorize_instructor` before the view, and a
    bearer token in the OpenAPI document. Placed above ``@blp.arguments``,
    others are refused before their body is read."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        authorize_instructor()
        return view(*args, **kwargs)

    return access(BEARER)(cast(V, checked))


def authorize_problem_set(problem_set_id: uuid.UUID) -> Caller:
    """Reading a set: instructors, and the students on it (their own view);
    404 for a student token of another set."""
    who: Caller = g.caller
    if who.kind == "anonymous":
        raise unauthorized("Reading a problem set needs an instructor key or a student token of the set.")
    if who.kind == "student" and who.problem_set_id != problem_set_id:
        raise not_found("problem set")
    return who


def visible_scope(who: Caller) -> str | None:
    """The student scope of the submissions the caller may read; None for all.

    Anonymous callers share the anonymous practice submissions; those made
    for a student are that student's and the instructors'.
    """
    return None if who.kind == "instructor" else student_scope(who.student_id)
