"""Safe retries: the ``Idempotency-Key`` header on POSTs that create things.

The first request with a key does its work and, in the same transaction,
stores the key with a hash of the request (method, path, canonical JSON
body) and the response. A retry with the same key and the same request gets
that response again (status, body, ``Location``; ``Idempotent-Replayed:
true``) and nothing is done twice; the same key with a different request is
a 422. Keys are scoped to the caller's credential.

Two concurrent requests with one key: the key row is inserted before the
work, under a unique constraint on (scope, key). On PostgreSQL the second
insert waits for the first transaction and then fails; on an SQLite file
writers queue one after the other anyway (api.db.write_transaction). The
loser rolls back and replays the winner's response. A request that fails
(409, 422, ...) rolls its key back with everything else, so a retry runs anew.

Keys are kept for :data:`RETENTION` (24 hours, as payment APIs keep theirs):
retries come within minutes, and a stored response is as large as the
submission it answers. An expired key is forgotten, so reusing it runs the
request anew; every keyed write first deletes the expired keys.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from flask import Response, current_app, g, request
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import db
from api.errors import ApiError, invalid
from api.jsonbody import loads
from api.models import IdempotencyKey, utcnow

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
RETENTION = timedelta(hours=24)
_VALID = re.compile(r"[\x20-\x7e]{1,255}")
CONFLICT = "urn:elbo-grader:problem:idempotency-key-reused"

# For the OpenAPI document of the operations that take the header.
HEADER_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": (
        "Makes a retry safe: the same key with the same body replays the first response "
        "(same ids, nothing done twice); with a different body, 422. Scoped to the caller; "
        "kept for 24 hours, after which the key may be used again."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[\x20-\x7e]+$"},
}


@dataclass(frozen=True)
class Outcome:
    """What a request's work answers: status, JSON body, Location."""

    status: int
    body: object
    location: str | None = None

    def response(self, text: str | None = None, replayed: bool = False) -> Response:
        response = Response(
            text if text is not None else dumps(self.body), self.status, mimetype="application/json"
        )
        if self.location is not None:
            response.headers["Location"] = self.location
        if replayed:
            response.headers[REPLAYED] = "true"
        return response


def dumps(body: object) -> str:
    """JSON text as ``jsonify`` writes it (and so flask-smorest's responses)."""
    return current_app.json.dumps(body, separators=(",", ":")) + "\n"


def request_key() -> str | None:
    """The request's Idempotency-Key; None without one, 422 if malformed."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _VALID.fullmatch(key):
        raise invalid({HEADER: ["An Idempotency-Key is 1 to 255 printable ASCII characters."]})
    return key


def _canonical(value: object) -> str:
    """JSON text that equal bodies share: keys sorted, no spaces, numbers as sent."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{_canonical(value[k])}" for k in sorted(value)) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_canonical(item) for item in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value)


def request_hash() -> str:
    body = _canonical(loads(request.get_data(cache=True)))
    return hashlib.sha256(f"{request.method}\n{request.path}\n{body}".encode()).hexdigest()


T = TypeVar("T")


def _nothing() -> Any:
    return None


class _KeyTaken(Exception):
    """Another request with this key committed first."""


@dataclass(frozen=True)
class Keyed:
    """A key sent other than in the header (a page form's per-render key),
    with the fingerprint of the request it was sent with."""

    key: str
    fingerprint: str


def run(
    work: Callable[[Session, T], Outcome],
    *,
    prepare: Callable[[], T] = _nothing,
    redact: Callable[[object], object] | None = None,
    restore: Callable[[object], object] | None = None,
    keyed: Keyed | None = None,
) -> Response:
    """Do ``work`` in a write transaction, once per Idempotency-Key (or ``keyed``).

    ``prepare`` does the slow part that needs no transaction (making
    problems), and is skipped on a replay; its result is passed to ``work``.
    ``redact`` removes from a body what must not be stored (student tokens);
    ``restore`` puts it back into a replayed one.
    """
    key = keyed.key if keyed is not None else request_key()
    if key is None:
        prepared = prepare()
        with db.write_transaction() as session:
            outcome = work(session, prepared)
        return outcome.response()
    scope = g.caller.credential
    fingerprint = keyed.fingerprint if keyed is not None else request_hash()
    if (stored := _find(scope, key)) is not None:
        return _replay(stored, fingerprint, restore)
    prepared = prepare()
    try:
        with db.write_transaction() as session:
            expired = delete(IdempotencyKey).where(IdempotencyKey.created_at < _cutoff())
            session.execute(expired, execution_options={"synchronize_session": False})
            _claim(session, scope, key, fingerprint)
            outcome = work(session, prepared)
            text = dumps(outcome.body)
            stored_text = text if redact is None else dumps(redact(outcome.body))
            session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
                .values(status=outcome.status, body=stored_text, location=outcome.location)
            )
    except _KeyTaken:
        db.session().rollback()
        stored = _find(scope, key)
        if stored is None:  # the winner's row is gone again: cannot happen, keys are never deleted
            raise ApiError(409, "A request with this Idempotency-Key is in progress; retry.") from None
        return _replay(stored, fingerprint, restore)
    return outcome.response(text)


def _cutoff() -> datetime:
    """Keys made before this have expired."""
    return utcnow() - RETENTION


def _find(scope: str, key: str) -> IdempotencyKey | None:
    return db.session().scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.scope == scope, IdempotencyKey.key == key, IdempotencyKey.created_at >= _cutoff()
        )
    )


def _claim(session: Session, scope: str, key: str, fingerprint: str) -> None:
    try:
        session.execute(
            insert(IdempotencyKey).values(scope=scope, key=key, request_hash=fingerprint, created_at=utcnow())
        )
    except IntegrityError:
        raise _KeyTaken() from None


def _replay(stored: IdempotencyKey, fingerprint: str, restore) -> Response:
    if stored.request_hash != fingerprint:
        raise ApiError(
            422,
            "This Idempotency-Key was already used with a different request (method, path or body); "
            "use a new key for a new request.",
            type=CONFLICT,
            errors={HEADER: ["Already used with a different request."]},
        )
    if stored.status is None or stored.body is None:
        raise ApiError(409, "A request with this Idempotency-Key is in progress; retry.")
    outcome = Outcome(stored.status, None, stored.location)
    text = stored.body if restore is None else dumps(restore(json.loads(stored.body)))
    return outcome.response(text, replayed=True)
