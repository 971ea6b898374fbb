"""Rate limits on writes: the ``429`` of CONTRACT §10.

Every POST counts against its caller's allowance: an instructor key's or a
student token's own, and for anonymous callers their client address's (an
IPv6 client's /64, the block one subscriber usually gets). A limit of N per
period lets N writes through at once and then one every period/N: GCRA, a
token bucket kept as a single moment, the one at which the allowance is back
in full. That moment is one row per caller in the database, so every worker
and every server behind a load balancer shares it, and one upsert moves it
atomically.

The count is taken in a short transaction of its own before the request's
work, so a refused request costs no grading or variant making and writes
nothing else. That transaction need not be durable: a crash may forget a few
counted writes, never a submission.

Limited responses carry the ``RateLimit-Policy`` and ``RateLimit`` fields of
the IETF draft (draft-ietf-httpapi-ratelimit-headers); a 429 also carries
``Retry-After``.
"""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, request
from sqlalchemy import BigInteger, bindparam, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api import db
from api.config import RateLimit, Settings
from api.errors import ApiError
from api.models import RateLimitBucket

RATE_LIMITED = "urn:elbo-grader:problem:rate-limited"
POLICY = "writes"
_MICROSECONDS = 1_000_000
# Expired rows deleted per counted write: enough to keep up, bounded in cost.
_EXPIRED_PER_WRITE = 100


@dataclass(frozen=True)
class Allowance:
    """Where a caller stands after asking for one write."""

    limit: RateLimit
    admitted: bool
    remaining: int  # further writes that would be admitted now
    reset: int  # seconds until the allowance is back in full
    retry_after: int  # seconds until a write is admitted again (0 if this one was)


_TABLE = RateLimitBucket.__table__
_NOW, _INTERVAL, _WINDOW = (bindparam(name, type_=BigInteger) for name in ("now", "interval", "window"))


def _upsert_statement(insert):
    # The allowance is spent from the later of now and the moment it was last
    # back in full; a write is admitted if that moment stays within one window.
    start = case((_TABLE.c.full_at > _NOW, _TABLE.c.full_at), else_=_NOW)
    return (
        insert(_TABLE)
        .values(bucket=bindparam("bucket"), full_at=_NOW + _INTERVAL)
        .on_conflict_do_update(
            index_elements=[_TABLE.c.bucket],
            set_={"full_at": start + _INTERVAL},
            where=start + _INTERVAL - _NOW <= _WINDOW,
        )
        .returning(_TABLE.c.full_at)
    )


_UPSERT = {"sqlite": _upsert_statement(sqlite.insert), "postgresql": _upsert_statement(postgresql.insert)}
# A row whose moment has passed says what no row says. SKIP LOCKED (PostgreSQL;
# SQLite has one writer anyway): rows another server is deleting are left to it.
_DELETE_EXPIRED = delete(_TABLE).where(
    _TABLE.c.bucket.in_(
        select(_TABLE.c.bucket)
        .where(_TABLE.c.full_at < _NOW)
        .order_by(_TABLE.c.full_at)
        .limit(_EXPIRED_PER_WRITE)
        .with_for_update(skip_locked=True)
    )
)


def admit(session: Session, bucket: str, limit: RateLimit, now: int) -> Allowance:
    """Count one write of ``bucket`` at ``now`` (microseconds since the epoch)
    in the session's transaction, unless ``limit`` refuses it."""
    # Whole microseconds, the window a multiple of the interval: a full burst fits exactly.
    interval = limit.period * _MICROSECONDS // limit.requests
    window = interval * limit.requests
    connection = session.connection()
    connection.execute(_DELETE_EXPIRED, {"now": now})
    upsert = _UPSERT[connection.dialect.name]
    full_at = connection.execute(
        upsert, {"bucket": bucket, "now": now, "interval": interval, "window": window}
    ).scalar()
    if full_at is not None:
        return Allowance(limit, True, (window - (full_at - now)) // interval, _seconds(full_at - now), 0)
    full_at = connection.execute(select(_TABLE.c.full_at).where(_TABLE.c.bucket == bucket)).scalar_one()
    return Allowance(limit, False, 0, _seconds(full_at - now), _seconds(full_at + interval - window - now))


def _seconds(microseconds: int) -> int:
    return math.ceil(microseconds / _MICROSECONDS)


def client_address() -> str:
    """The caller's address as counted: IPv4 as is, IPv6 by its /64."""
    raw = request.remote_addr or ""
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64] or "unknown"  # e.g. a Unix socket behind a proxy
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _limit_of(settings: Settings, kind: str) -> RateLimit | None:
    return {
        "anonymous": settings.rate_limit_anonymous,
        "student": settings.rate_limit_student,
        "instructor": settings.rate_limit_instructor,
    }[kind]


def check() -> None:
    """before_request, after authentication: count a POST against its
    caller's allowance, and refuse it with a 429 past the limit."""
    if request.method != "POST" or request.url_rule is None:
        return
    caller = g.caller
    limit = _limit_of(current_app.config["SETTINGS"], caller.kind)
    if limit is None:
        return
    bucket = f"anonymous:{client_address()}" if caller.kind == "anonymous" else caller.credential
    with db.write_transaction(durable=False) as session:
        allowance = admit(session, bucket, limit, time.time_ns() // 1000)
    g.rate_limit = allowance
    if not allowance.admitted:
        raise ApiError(
            429,
            f"Too many writes: at most {limit.requests} per {limit.period} s from one "
            f"{'address' if caller.kind == 'anonymous' else 'token'}; retry in {allowance.retry_after} s.",
            type=RATE_LIMITED,
            headers={"Retry-After": str(allowance.retry_after)},
        )


def add_fields(response: Response) -> Response:
    """after_request: the draft's fields on every limited response, 429s included."""
    allowance: Allowance | None = g.get("rate_limit")
    if allowance is not None:
        response.headers["RateLimit-Policy"] = f'"{POLICY}";q={allowance.limit.requests};w={allowance.limit.period}'
        response.headers["RateLimit"] = f'"{POLICY}";r={allowance.remaining};t={allowance.reset}'
    return response


def init_app(app: Flask) -> None:
    app.before_request(check)
    app.after_request(add_fields)
