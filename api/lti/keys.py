"""The tool's RSA keys: made on first need, private halves encrypted at rest.

A private key is stored as PEM encrypted with Fernet under a key derived
(HKDF-SHA256) from the service's secret, so a copy of the database alone
signs nothing. The newest key not retired signs (RS256, ``kid`` in the
header); ``/lti/jwks`` publishes it and every retired key still in its grace
period, so a platform that cached the old key keeps verifying until it
fetches the new set.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from api import db
from api.lti.errors import UndecryptableKey
from api.lti.models import LtiToolKey
from api.models import utcnow
from api.tokens import server_secret

DEFAULT_GRACE = timedelta(days=7)
_CACHE = "elbo_grader.lti_private_keys"
_FIRST_KEY_LOCK = 0x6C74696B  # "ltik": any number no other lock uses


def _cipher(secret: bytes) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"elbo-grader lti tool keys").derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def new_key(session: Session, secret: bytes) -> LtiToolKey:
    """Make a 2048-bit RSA key and add it (the caller commits)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    kid = secrets.token_hex(16)
    public_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    public_jwk.update(kid=kid, alg="RS256", use="sig")
    record = LtiToolKey(kid=kid, private_key=_cipher(secret).encrypt(pem).decode(), public_jwk=json.dumps(public_jwk))
    session.add(record)
    return record


def private_key(record: LtiToolKey, secret: bytes) -> rsa.RSAPrivateKey:
    try:
        pem = _cipher(secret).decrypt(record.private_key.encode())
    except InvalidToken:
        raise UndecryptableKey(
            f"the tool key {record.kid} was encrypted under another secret key; set ELBO_GRADER_SECRET_KEY to "
            "the one it was made with, or run `elbo-grader lti rotate-key`"
        ) from None
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def _signing_key(session: Session) -> LtiToolKey | None:
    return session.scalar(
        select(LtiToolKey).where(LtiToolKey.retired_at.is_(None)).order_by(LtiToolKey.created_at.desc()).limit(1)
    )


def rotate(session: Session, secret: bytes, grace: timedelta = DEFAULT_GRACE) -> str:
    """Make a new signing key; the keys it replaces stay published until ``grace`` from now.
    Keys whose grace has ended are deleted. Committed; returns the new key's kid."""
    now = utcnow()
    session.execute(delete(LtiToolKey).where(LtiToolKey.retired_at <= now))
    # retired_at is the end of the key's grace period: the moment it leaves /lti/jwks.
    session.execute(update(LtiToolKey).where(LtiToolKey.retired_at.is_(None)).values(retired_at=now + grace))
    kid = new_key(session, secret).kid
    session.commit()
    return kid


def public_keys(session: Session, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """The JWKS: the signing key and the retired keys still in their grace period."""
    records = session.scalars(
        select(LtiToolKey)
        .where((LtiToolKey.retired_at.is_(None)) | (LtiToolKey.retired_at > now))
        .order_by(LtiToolKey.created_at.desc())
    )
    return {"keys": [json.loads(record.public_jwk) for record in records]}


def ensure_key(session: Session, secret: bytes) -> LtiToolKey:
    """The signing key, made when there is none yet (the caller's write
    transaction commits). One process at a time: two first keys made at once
    would both sign, and a platform that cached a key set holding one of them
    would refuse what the other signs."""
    db.one_at_a_time(session, _FIRST_KEY_LOCK)
    return _signing_key(session) or new_key(session, secret)


def jwks() -> dict[str, list[dict[str, Any]]]:
    """In a request: the tool's JWKS (a key is made first if there is none)."""
    if _signing_key(db.session()) is None:
        with db.write_transaction() as session:
            ensure_key(session, server_secret())
    return public_keys(db.session(), utcnow())


def sign(claims: dict[str, Any]) -> str:
    """In a request or app context: ``claims`` as an RS256 JWT signed with the tool's newest key."""
    session = db.session()
    record = _signing_key(session)
    if record is None:
        with db.write_transaction() as writing:
            record = ensure_key(writing, server_secret())
    # Decrypting and parsing a PEM costs more than signing: once per process and key.
    cache: dict[str, rsa.RSAPrivateKey] = current_app.extensions.setdefault(_CACHE, {})
    if record.kid not in cache:
        cache[record.kid] = private_key(record, server_secret())
    return jwt.encode(claims, cache[record.kid], algorithm="RS256", headers={"kid": record.kid})
