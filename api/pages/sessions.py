"""Who is using the pages: Flask's signed session cookie, keyed by the service's secret.

The cookie keeps the SHA-256 of the token signed in with (never the token),
and each page request looks it up again (api.auth.caller_of_hash): a
revoked student token or instructor key ends every session made with it.
The cookie is HttpOnly, SameSite=Lax, and Secure when the page is served
over HTTPS. A session begun by an LTI launch lives in the LMS's iframe, on
another site: its cookie is SameSite=None, Secure and Partitioned (kept
for that LMS's site alone), and forms keep their CSRF tokens (docs/lti.md).
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, Request, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from api.auth import ANONYMOUS, Caller, caller_of_hash, hash_token
from api.tokens import server_secret

COOKIE = "elbo_grader_session"
_CREDENTIAL = "credential"
# Set by an LTI launch: the session lives in a cross-site iframe.
_EMBEDDED = "embedded"


def pages_secret(app: Flask) -> str:
    """The key of session cookies and CSRF tokens: derived from the service's
    secret (a key of its own, so a cookie is never a token's HMAC), set on
    the app the first time it is needed."""
    if app.secret_key is None:
        app.secret_key = hmac.new(server_secret(), b"elbo-grader pages", hashlib.sha256).hexdigest()
    return str(app.secret_key)


class ServiceSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, keyed lazily by :func:`pages_secret`:
    a request without a cookie (every API call) never reads the secret."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        pages_secret(app)
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        return _embedded() or request.is_secure or super().get_cookie_secure(app)

    def get_cookie_samesite(self, app: Flask) -> str | None:
        return "None" if _embedded() else super().get_cookie_samesite(app)

    def get_cookie_partitioned(self, app: Flask) -> bool:
        return _embedded() or super().get_cookie_partitioned(app)


def _embedded() -> bool:
    return bool(session.get(_EMBEDDED))


def init_app(app: Flask) -> None:
    app.session_interface = ServiceSessions()
    app.config.update(SESSION_COOKIE_NAME=COOKIE, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")


def load_caller() -> None:
    """Before a page request: the session's caller, checked anew; a session
    whose token is gone is ended."""
    pages_secret(current_app)
    digest = session.get(_CREDENTIAL)
    caller = caller_of_hash(digest) if isinstance(digest, str) else None
    if digest is not None and caller is None:
        session.clear()
    g.caller = caller or ANONYMOUS


def sign_in(token: str) -> Caller | None:
    """Start a session for a student token or an instructor key; None if it is unknown or revoked."""
    return sign_in_hash(hash_token(token))


def sign_in_hash(digest: str, embedded: bool = False) -> Caller | None:
    """Start a session for the token or key of this SHA-256 (an LTI launch
    knows only the hash; ``embedded``: in an LMS's iframe); None if it is
    unknown or revoked."""
    caller = caller_of_hash(digest)
    if caller is not None:
        pages_secret(current_app)  # a launch signs in without having read a session first
        session.clear()
        session[_CREDENTIAL] = digest
        if embedded:
            session[_EMBEDDED] = True
        g.caller = caller
    return caller


def sign_out() -> None:
    session.clear()
    g.caller = ANONYMOUS
