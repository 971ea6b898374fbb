"""Student access tokens: derived from the server secret, stored as hashes.

A student's token to a set is HMAC-SHA256(secret, "set id␟student id␟generation"),
URL-safe base64 with the prefix ``st_``. Only its SHA-256 is stored (like
instructor keys), yet instructors can be shown it again: the server derives
it anew. Reissuing bumps the generation, which makes a different token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

from flask import current_app
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from api.auth import hash_token
from api.config import secret_key
from api.models import StudentToken

PREFIX = "st_"
_EXTENSION = "elbo_grader.secret_key"


def server_secret() -> bytes:
    """The app's secret key, read (or made) once per process."""
    extensions = current_app.extensions
    if _EXTENSION not in extensions:
        extensions[_EXTENSION] = secret_key(current_app.config["SETTINGS"])
    return extensions[_EXTENSION]


def derive(secret: bytes, problem_set_id: uuid.UUID, student_id: str, generation: int) -> str:
    message = f"{problem_set_id}\x1f{student_id}\x1f{generation}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return PREFIX + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def newest_token(session: Session) -> Row | None:
    """The roster row of the newest student token (what it is derived from, and its hash)."""
    return session.execute(
        select(StudentToken.problem_set_id, StudentToken.student_id, StudentToken.generation,
               StudentToken.token_hash).order_by(StudentToken.id.desc()).limit(1)
    ).first()


def issued_with(token: Row, secret: bytes) -> bool:
    """Whether ``secret`` derives that token."""
    derived = derive(secret, token.problem_set_id, token.student_id, token.generation)
    return hash_token(derived) == token.token_hash
