"""Rate limits on writes: the ``429`` of docs/api.md §10.

Every write counts against its caller's allowance: an instructor key's or a
student token's own, and for anonymous callers their client address's (an
IPv6 client's /64, the block one subscriber usually gets). A limit of N per
period lets N writes through at once and then one every period/N: GCRA, a
token bucket kept as a single moment, the one at which the allowance is back
in full. That moment is one row per caller in the database, so every worker
and every server behind a load balancer shares it, and one upsert moves it
atomically.

A write (a POST or a PATCH) is looked at twice. Before anything else, a
read of the caller's row refuses it if the allowance is already spent, so a
caller past the limit costs no grading or variant making. Then the count
itself is the first statement of the request's write transaction: it
commits with what the request stores, and a request that stores nothing (a
409, a 422, an idempotent replay) rolls it back and is not counted. Of two
requests racing for the last write allowed, the second is refused by the
count.

Limited responses carry the ``RateLimit-Policy`` and ``RateLimit`` fields of
the IETF draft (draft-ietf-httpapi-ratelimit-headers); a 429 also carries
``Retry-After``.
"""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass
from typing import cast

from flask import Flask, Response, current_app, g, request
from sqlalchemy import BigInteger, Table, bindparam, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api import db
from api.auth import WRITE_METHODS, Caller
from api.config import RateLimit
from api.errors import ApiError
from api.models import RateLimitBucket

RATE_LIMITED = "urn:elbo-grader:problem:rate-limited"
POLICY = "writes"
_MICROSECONDS = 1_000_000
# Expired rows deleted at most per clean-up: enough to keep up, bounded in cost.
_EXPIRED_PER_WRITE = 100


@dataclass(frozen=True)
class Allowance:
    """Where a caller stands: whether its write is (or would be) admitted, and what is left."""

    limit: RateLimit
    admitted: bool
    remaining: int  # further writes that would be admitted now
    reset: int  # seconds until the allowance is back in full
    retry_after: int  # seconds until a write is admitted again (0 if this one was)


_TABLE = cast(Table, RateLimitBucket.__table__)
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
_FULL_AT = select(_TABLE.c.full_at).where(_TABLE.c.bucket == bindparam("bucket"))
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


def _spacing(limit: RateLimit) -> tuple[int, int]:
    """(interval, window) in microseconds: one write per interval, at most a
    window's worth at once. Whole microseconds, and the window a multiple of
    the interval, so that a full burst fits exactly."""
    interval = limit.period * _MICROSECONDS // limit.requests
    return interval, interval * limit.requests


def _owed(full_at: int | None, now: int) -> int:
    """Microseconds until the allowance is back in full."""
    return 0 if full_at is None else max(0, full_at - now)


def _allowance(limit: RateLimit, owed: int, admitted: bool) -> Allowance:
    interval, window = _spacing(limit)
    if admitted:
        return Allowance(limit, True, (window - owed) // interval, _seconds(owed), 0)
    return Allowance(limit, False, 0, _seconds(owed), _seconds(owed + interval - window))


def standing(session: Session, bucket: str, limit: RateLimit, now: int) -> Allowance:
    """Whether a write of ``bucket`` at ``now`` would be admitted, counting nothing."""
    full_at = session.connection().execute(_FULL_AT, {"bucket": bucket}).scalar()
    interval, window = _spacing(limit)
    owed = _owed(full_at, now)
    return _allowance(limit, owed, admitted=owed + interval <= window)


def admit(session: Session, bucket: str, limit: RateLimit, now: int, clean: bool = True) -> Allowance:
    """Count one write of ``bucket`` at ``now`` (microseconds since the epoch)
    in the session's transaction, unless ``limit`` refuses it; ``clean``:
    first delete some of the rows that have expired."""
    interval, window = _spacing(limit)
    connection = session.connection()
    if clean:
        connection.execute(_DELETE_EXPIRED, {"now": now})
    upsert = _UPSERT[connection.dialect.name]
    full_at = connection.execute(
        upsert, {"bucket": bucket, "now": now, "interval": interval, "window": window}
    ).scalar()
    if full_at is not None:
        return _allowance(limit, _owed(full_at, now), admitted=True)
    full_at = connection.execute(_FULL_AT, {"bucket": bucket}).scalar_one()
    return _allowance(limit, _owed(full_at, now), admitted=False)


def _seconds(microseconds: int) -> int:
    return math.ceil(microseconds / _MICROSECONDS)


def _host(raw: str) -> str:
    """The IP of an address as proxies write it: `ip`, `ip:port`, `[ipv6]` or `[ipv6]:port`."""
    raw = raw.strip()
    if raw.startswith("["):
        return raw[1:].partition("]")[0]
    host, colon, port = raw.rpartition(":")
    # One colon and digits after it: an IPv4 address and its port (IPv6 has several colons).
    if colon and host.count(":") == 0 and port.isdigit():
        return host
    return raw


def client_address() -> str:
    """The caller's address as counted: IPv4 as is, IPv6 by its /64, a port dropped."""
    raw = _host(request.remote_addr or "")
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64] or "unknown"  # e.g. a Unix socket behind a proxy
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def check() -> None:
    """before_request, after authentication: refuse a write of a caller past
    its limit with a 429, else count it in the request's write transaction."""
    if request.method not in WRITE_METHODS or request.url_rule is None:
        return
    caller = g.caller
    limit: RateLimit | None = getattr(current_app.config["SETTINGS"], f"rate_limit_{caller.kind}")
    if limit is None:
        return
    bucket = f"anonymous:{client_address()}" if caller.kind == "anonymous" else caller.credential
    g.rate_limit = standing(db.session(), bucket, limit, _now())
    _refuse_if_spent(g.rate_limit, caller)

    # Rows are added when a caller starts afresh (a full allowance): cleaning
    # up then, not on every write, keeps the table to about the callers of
    # the last period at no cost to a busy caller's writes.
    fresh = g.rate_limit.reset == 0

    def count(session: Session) -> None:
        g.rate_limit_counted = admit(session, bucket, limit, _now(), clean=fresh)
        _refuse_if_spent(g.rate_limit_counted, caller)

    db.before_first_write(count)


def _now() -> int:
    return time.time_ns() // 1000


def _refuse_if_spent(allowance: Allowance, caller: Caller) -> None:
    if allowance.admitted:
        return
    limit = allowance.limit
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
    counted: Allowance | None = g.get("rate_limit_counted")
    # A failed request's count was rolled back with its writes, unless the count refused it.
    if counted is not None and (response.status_code < 400 or not counted.admitted):
        allowance = counted
    if allowance is not None:
        response.headers["RateLimit-Policy"] = (
            f'"{POLICY}";q={allowance.limit.requests};w={allowance.limit.period}'
        )
        response.headers["RateLimit"] = f'"{POLICY}";r={allowance.remaining};t={allowance.reset}'
    return response


def init_app(app: Flask) -> None:
    app.before_request(check)
    app.after_request(add_fields)
