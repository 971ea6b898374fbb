"""The tool's keys: encrypted at rest under the service's secret, published in /lti/jwks, rotated with a
grace period, and signing with the newest."""

from __future__ import annotations

import base64
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select, update

from api.db import database
from api.lti import keys
from api.lti.errors import UndecryptableKey
from api.lti.models import LtiToolKey
from api.models import utcnow
from api.tokens import server_secret


def stored(app) -> list[LtiToolKey]:
    with database(app).sessions() as session:
        return list(session.scalars(select(LtiToolKey).order_by(LtiToolKey.created_at)))


def kids(client) -> list[str]:
    response = client.get("/lti/jwks")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return [key["kid"] for key in response.json["keys"]]


def test_a_key_is_made_on_first_need_and_published_without_its_private_half(app, client):
    assert stored(app) == []
    (published,) = client.get("/lti/jwks").json["keys"]
    (record,) = stored(app)
    assert published["kid"] == record.kid and (published["kty"], published["alg"], published["use"]) == (
        "RSA", "RS256", "sig")
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(published)
    assert kids(client) == [record.kid]  # made once


def test_the_private_key_is_stored_encrypted_and_only_the_services_secret_opens_it(app, client):
    client.get("/lti/jwks")
    (record,) = stored(app)
    assert "PRIVATE KEY" not in record.private_key and "-----BEGIN" not in record.private_key
    # Not a PEM in base64 either.
    assert b"PRIVATE" not in base64.urlsafe_b64decode(record.private_key + "==")
    with app.app_context():
        opened = keys.private_key(record, server_secret())
    public = jwt.PyJWK.from_json(record.public_jwk)
    assert opened.public_key().public_numbers() == public.key.public_numbers()
    with pytest.raises(UndecryptableKey, match="encrypted under another secret key"):
        keys.private_key(record, b"another secret" * 3)


def test_rotation_keeps_the_old_public_key_for_the_grace_period_only(app, client):
    first = kids(client)
    with database(app).sessions() as session, app.app_context():
        new = keys.rotate(session, server_secret(), timedelta(days=7))
    assert kids(client) == [new, *first]
    records = {record.kid: record for record in stored(app)}
    grace_end = records[first[0]].retired_at
    assert records[new].retired_at is None and grace_end is not None
    assert timedelta(days=7) - timedelta(minutes=1) < grace_end - utcnow() <= timedelta(days=7)
    # The grace period over: the old key leaves the JWKS, and the next rotation deletes it.
    with database(app).sessions() as session:
        session.execute(update(LtiToolKey).where(LtiToolKey.kid == first[0])
                        .values(retired_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    assert kids(client) == [new]
    with database(app).sessions() as session, app.app_context():
        newest = keys.rotate(session, server_secret())
    assert [record.kid for record in stored(app)] == [new, newest]


def test_the_newest_key_signs_and_the_jwks_verifies_it(app, client):
    with app.test_request_context():
        first = keys.sign({"sub": "x"})
    with database(app).sessions() as session, app.app_context():
        newest = keys.rotate(session, server_secret())
    with app.test_request_context():
        token = keys.sign({"sub": "y"})
    assert jwt.get_unverified_header(token)["kid"] == newest != jwt.get_unverified_header(first)["kid"]
    published = {key["kid"]: jwt.PyJWK(key) for key in client.get("/lti/jwks").json["keys"]}
    for signed in (first, token):
        kid = jwt.get_unverified_header(signed)["kid"]
        assert jwt.decode(signed, published[kid].key, algorithms=["RS256"])["sub"] in {"x", "y"}


def test_processes_needing_the_first_key_at_once_make_one(app):
    """Each server process signs on first need; made at once, two first keys
    would both sign, and a platform caching one would refuse the other."""
    start = threading.Barrier(4)

    def first_signature(_: int) -> str:
        with app.app_context():
            start.wait()
            return jwt.get_unverified_header(keys.sign({"sub": "x"}))["kid"]

    with ThreadPoolExecutor(4) as pool:
        signed_with = set(pool.map(first_signature, range(4)))
    assert [record.kid for record in stored(app)] == list(signed_with)
