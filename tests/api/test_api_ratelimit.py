"""Rate limits on writes (api.ratelimit): docs/api.md §10's 429, per caller,
shared through the database by every worker and server."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

import pytest
from api_helpers import PART_1_ANSWERS, assert_problem, bearer, listing, submit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from api.auth import create_key
from api.config import RateLimit, load_settings
from api.db import database, make_engine
from api.models import ProblemRecord, RateLimitBucket
from api.ratelimit import RATE_LIMITED, admit, standing

SECOND = 1_000_000  # microseconds
SEEDED = {"template": "elbo-gap", "seed": 7}
ONE_PER_HOUR = RateLimit(1, 3600)
TWO_PER_HOUR = RateLimit(2, 3600)


# --- configuration -----------------------------------------------------------


def test_by_default_anonymous_callers_and_students_are_limited_and_instructors_not():
    settings = load_settings(environ={})
    assert settings.rate_limit_anonymous == RateLimit(120, 60)
    assert settings.rate_limit_student == RateLimit(60, 60)
    assert settings.rate_limit_instructor is None
    assert settings.trusted_proxies == 0


@pytest.mark.parametrize(
    "raw, limit",
    [
        ("120/minute", RateLimit(120, 60)),
        (" 5 / Hour ", RateLimit(5, 3600)),
        ("1/second", RateLimit(1, 1)),
        ("10/day", RateLimit(10, 86400)),
        ("1000000/second", RateLimit(1_000_000, 1)),
        ("off", None),
        ("0", None),
    ],
)
def test_limits_are_read_from_the_environment(raw, limit):
    for kind in ("anonymous", "student", "instructor"):
        environ = {f"ELBO_GRADER_RATE_LIMIT_{kind.upper()}": raw}
        assert getattr(load_settings(environ=environ), f"rate_limit_{kind}") == limit


@pytest.mark.parametrize(
    "raw", ["0/minute", "1000001/second", "5/week", "five/minute", "5/", "²/minute", "-1/hour", ""]
)
def test_an_unreadable_limit_is_refused_naming_its_variable(raw):
    with pytest.raises(ValueError, match="ELBO_GRADER_RATE_LIMIT_STUDENT"):
        load_settings(environ={"ELBO_GRADER_RATE_LIMIT_STUDENT": raw})


@pytest.mark.parametrize("raw, proxies", [("0", 0), ("1", 1), (" 2 ", 2), ("10", 10)])
def test_trusted_proxies_are_read_from_the_environment(raw, proxies):
    assert load_settings(environ={"ELBO_GRADER_TRUSTED_PROXIES": raw}).trusted_proxies == proxies


@pytest.mark.parametrize("raw", ["-1", "11", "one", "²", ""])
def test_an_unreadable_number_of_proxies_is_refused(raw):
    with pytest.raises(ValueError, match="ELBO_GRADER_TRUSTED_PROXIES"):
        load_settings(environ={"ELBO_GRADER_TRUSTED_PROXIES": raw})


# --- the allowance, against its definition --------------------------------------


def allowed(admitted: list[int], now: int, limit: RateLimit, extra: int = 1) -> bool:
    """The definition: ``extra`` more writes at ``now`` are allowed if, from
    every earlier admitted write on, the writes admitted so far plus these are
    at most the limit's burst plus one per interval since that write."""
    interval = limit.period * SECOND // limit.requests
    return extra <= limit.requests and all(
        sum(t >= since for t in admitted) + extra <= limit.requests + (now - since) // interval
        for since in admitted
    )


@pytest.fixture(scope="module")
def sessions(database_url):
    engine = make_engine(database_url)
    yield engine
    with engine.begin() as connection:
        connection.execute(RateLimitBucket.__table__.delete())
    engine.dispose()


@given(
    requests=st.integers(1, 4),
    period=st.sampled_from([1, 3, 60]),
    # Gaps in units of 1/8 s, so that exact interval boundaries come up; bursts often.
    gaps=st.lists(st.one_of(st.just(0), st.integers(0, 8 * 130)), min_size=1, max_size=14),
    start=st.integers(10**15, 2 * 10**15),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_writes_are_admitted_exactly_as_the_definition_allows(sessions, requests, period, gaps, start):
    limit = RateLimit(requests, period)
    bucket = f"test:{uuid.uuid4()}"
    admitted: list[int] = []
    now = start
    with Session(sessions) as session:
        for gap in gaps:
            now += gap * SECOND // 8
            looked = standing(session, bucket, limit, now)
            allowance = admit(session, bucket, limit, now)
            session.commit()
            assert allowance.admitted == allowed(admitted, now, limit), (admitted, now)
            # Looking first tells the same, and counts nothing.
            if allowance.admitted:
                assert looked.admitted and looked.remaining == allowance.remaining + 1
            else:
                assert looked == allowance
            if allowance.admitted:
                admitted.append(now)
                assert allowance.retry_after == 0
                # As many more as would be admitted right now, and not one more.
                assert allowed(admitted, now, limit, allowance.remaining)
                assert not allowed(admitted, now, limit, allowance.remaining + 1)
            else:
                # Retrying after Retry-After succeeds; a second sooner would not.
                assert allowance.retry_after >= 1 and allowance.remaining == 0
                assert allowed(admitted, now + allowance.retry_after * SECOND, limit)
                assert not allowed(admitted, now + (allowance.retry_after - 1) * SECOND, limit)
            # The whole allowance is back after `reset` seconds, not a second sooner.
            assert allowed(admitted, now + allowance.reset * SECOND, limit, requests)
            if allowance.reset > 0:
                assert not allowed(admitted, now + (allowance.reset - 1) * SECOND, limit, requests)


def test_expired_allowances_are_deleted_and_live_ones_kept(sessions):
    with Session(sessions) as session:
        session.execute(RateLimitBucket.__table__.delete())
        admit(session, "early", ONE_PER_HOUR, 10**15)
        admit(session, "late", ONE_PER_HOUR, 10**15 + 1800 * SECOND)
        # One hour after "early": its allowance is back in full, "late"'s is not.
        admit(session, "now", ONE_PER_HOUR, 10**15 + 3601 * SECOND)
        session.commit()
        assert set(session.scalars(select(RateLimitBucket.bucket))) == {"late", "now"}


# --- over HTTP ------------------------------------------------------------------------


@pytest.fixture
def limited(make_app):
    """``limited(**limits)`` → a test client of an app with those rate limits."""

    def make(**limits):
        return make_app(**{f"rate_limit_{kind}": limit for kind, limit in limits.items()}).test_client()

    return make


def _new_problem(client, headers=None):
    return client.post("/api/v1/problems", json=SEEDED, headers=headers or {})


def _problem_count(app) -> int:
    with database(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(ProblemRecord)) or 0


def _remaining(response) -> int:
    """The r of ``RateLimit: "writes";r=<r>;t=<t>``."""
    fields = dict(item.split("=") for item in response.headers["RateLimit"].split(";")[1:])
    return int(fields["r"])


def test_past_the_limit_a_write_is_a_429_that_says_when_to_retry_and_stores_nothing(limited):
    client = limited(anonymous=TWO_PER_HOUR)
    first, second, third = (_new_problem(client) for _ in range(3))
    assert (first.status_code, second.status_code) == (201, 201)
    body = assert_problem(third, 429)
    assert body["type"] == RATE_LIMITED
    assert "2 per 3600 s" in body["detail"]
    # Two per hour: the next one is let through half an hour after the burst.
    assert 1790 <= int(third.headers["Retry-After"]) <= 1800
    assert str(third.headers["Retry-After"]) in body["detail"]
    assert _problem_count(client.application) == 2
    assert [r.headers["RateLimit-Policy"] for r in (first, third)] == ['"writes";q=2;w=3600'] * 2
    assert [_remaining(r) for r in (first, second, third)] == [1, 0, 0]


def _two_callers(kind: str, app, instructor, make_set) -> list[Callable[..., TestResponse]]:
    """Two callers of ``kind``, each as a function that makes one write."""
    if kind == "anonymous":
        return [
            lambda client, address=address: client.post(
                "/api/v1/problems", json=SEEDED, environ_base={"REMOTE_ADDR": address}
            )
            for address in ("192.0.2.1", "192.0.2.2")
        ]
    if kind == "instructor":
        with database(app).sessions() as session:
            keys = [instructor, bearer(create_key(session, "another"))]
        return [
            lambda client, key=key: client.post("/api/v1/problems", json=SEEDED, headers=key) for key in keys
        ]
    students = make_set()
    return [
        lambda client, who=who: submit(
            client, {"id": students.problems[who]}, PART_1_ANSWERS, headers=students.tokens[who]
        )
        for who in ("alice", "bob")
    ]


@pytest.mark.parametrize("kind", ["anonymous", "student", "instructor"])
def test_each_caller_has_an_allowance_of_its_own(app, instructor, make_set, limited, kind):
    first, second = _two_callers(kind, app, instructor, make_set)
    client = limited(**{kind: ONE_PER_HOUR})
    assert first(client).status_code == 201
    assert_problem(first(client), 429)
    assert second(client).status_code == 201


@pytest.mark.parametrize("kind", ["anonymous", "student", "instructor"])
def test_a_kind_of_caller_without_a_limit_is_never_refused_or_told_of_one(
    app, instructor, make_set, limited, kind
):
    first, _ = _two_callers(kind, app, instructor, make_set)
    others = {"anonymous", "student", "instructor"} - {kind}
    client = limited(**{kind: None}, **{other: ONE_PER_HOUR for other in others})
    responses = [first(client) for _ in range(3)]
    assert [r.status_code for r in responses] == [201] * 3
    assert all("RateLimit" not in r.headers for r in responses)


def test_a_change_to_a_set_is_a_write_like_any_other(make_app, instructor):
    client = make_app(rate_limit_instructor=TWO_PER_HOUR).test_client()
    made = client.post("/api/v1/problem-sets", json={"title": "t", "items": [{"template": "elbo-gap"}]},
                       headers=instructor)
    path = f"/api/v1/problem-sets/{made.json['id']}"
    renamed = client.patch(path, json={"title": "renamed"}, headers=instructor)
    assert (made.status_code, renamed.status_code, _remaining(renamed)) == (201, 200, 0)
    assert_problem(client.patch(path, json={"title": "again"}, headers=instructor), 429)
    assert client.get(path, headers=instructor).json["title"] == "renamed"


def test_a_refused_submission_stores_nothing_and_uses_no_attempt(make_set, limited):
    students = make_set()
    client = limited(student=ONE_PER_HOUR)
    problem = {"id": students.problems["alice"]}
    assert submit(client, problem, PART_1_ANSWERS, headers=students.tokens["alice"]).status_code == 201
    assert_problem(submit(client, problem, PART_1_ANSWERS, headers=students.tokens["alice"]), 429)
    assert [s["attempt"] for s in listing(client, problem, headers=students.tokens["alice"]).json] == [1]


def test_only_writes_that_store_something_are_counted(limited):
    client = limited(anonymous=RateLimit(4, 3600))
    once = {"Idempotency-Key": "retry-me"}
    unknown = client.post("/api/v1/problems", json={"template": "no-such-template"})
    problem = client.post("/api/v1/problems", json={**SEEDED, "policy": {"max_attempts": 2}})
    keyed = submit(client, problem.json, PART_1_ANSWERS, headers=once)
    replayed = submit(client, problem.json, PART_1_ANSWERS, headers=once)
    second = submit(client, problem.json, PART_1_ANSWERS)
    exhausted = submit(client, problem.json, PART_1_ANSWERS)
    last = _new_problem(client)
    refused = _new_problem(client)
    responses = [unknown, problem, keyed, replayed, second, exhausted, last, refused]
    assert [r.status_code for r in responses] == [422, 201, 201, 201, 201, 409, 201, 429]
    assert replayed.headers["Idempotent-Replayed"] == "true"
    # The fields tell each caller what is left after its own request.
    assert [_remaining(r) for r in responses] == [4, 3, 2, 2, 1, 1, 0, 0]


def test_a_caller_past_its_limit_is_refused_before_its_body_is_read(limited):
    client = limited(anonymous=ONE_PER_HOUR)
    assert _new_problem(client).status_code == 201
    malformed = client.post("/api/v1/problems", data="{not json", content_type="application/json")
    assert_problem(malformed, 429)


def test_a_caller_starting_afresh_clears_away_rows_of_callers_gone_quiet(limited, sessions):
    client = limited(anonymous=ONE_PER_HOUR)
    with Session(sessions) as session:
        session.execute(RateLimitBucket.__table__.delete())
        long_ago = (time.time_ns() // 1000) - 3600 * SECOND
        session.add_all(RateLimitBucket(bucket=f"anonymous:quiet-{n}", full_at=long_ago) for n in range(3))
        session.commit()
    assert _new_problem(client).status_code == 201
    with Session(sessions) as session:
        assert list(session.scalars(select(RateLimitBucket.bucket))) == ["anonymous:127.0.0.1"]


def test_reads_and_requests_that_reach_no_operation_are_not_counted(limited):
    client = limited(anonymous=ONE_PER_HOUR)
    assert client.post("/api/v1/nowhere", json={}).status_code == 404
    assert client.post("/healthz").status_code == 405
    created = _new_problem(client)
    assert created.status_code == 201
    for _ in range(3):
        read = client.get(created.headers["Location"])
        assert read.status_code == 200
        assert "RateLimit" not in read.headers
    assert_problem(_new_problem(client), 429)


@pytest.mark.parametrize(
    "first, second, shared",
    [
        ("192.0.2.1", "192.0.2.1", True),
        ("192.0.2.1", "192.0.2.2", False),
        ("::ffff:192.0.2.1", "192.0.2.1", True),  # IPv4 mapped into IPv6 is the IPv4 client
        ("2001:db8:0:1::1", "2001:db8:0:1:ffff::2", True),  # one /64: one subscriber
        ("2001:db8:0:1::1", "2001:db8:0:2::1", False),
    ],
)
def test_anonymous_callers_are_counted_by_address(limited, first, second, shared):
    client = limited(anonymous=ONE_PER_HOUR)

    def post(address):
        return client.post("/api/v1/problems", json=SEEDED, environ_base={"REMOTE_ADDR": address})

    assert post(first).status_code == 201
    assert post(second).status_code == (429 if shared else 201)


@pytest.mark.parametrize(
    "proxies, first, second, shared",
    [
        # No trusted proxy: X-Forwarded-For is the client's own word, and ignored.
        (0, "198.51.100.1", "198.51.100.2", True),
        # One proxy: the address it appended.
        (1, "198.51.100.1", "198.51.100.2", False),
        (1, "203.0.113.9, 198.51.100.1", "203.0.113.10, 198.51.100.1", True),
        # Two proxies: the address the outer one appended.
        (2, "203.0.113.9, 198.51.100.1", "203.0.113.10, 198.51.100.1", False),
        # Some load balancers write the client's port too: one client, whatever its port.
        (1, "198.51.100.1:40001", "198.51.100.1:40002", True),
        (1, "198.51.100.1:40001", "198.51.100.1", True),
        (1, "[2001:db8:0:1::1]:40001", "[2001:db8:0:1::1]:40002", True),
        (1, "[2001:db8:0:1::1]:40001", "2001:db8:0:1::7", True),
        (1, "[2001:db8:0:1::1]", "2001:db8:0:2::1", False),
        (1, "198.51.100.1:40001", "198.51.100.2:40001", False),
    ],
)
def test_behind_trusted_proxies_the_forwarded_address_is_counted(make_app, proxies, first, second, shared):
    client = make_app(rate_limit_anonymous=ONE_PER_HOUR, trusted_proxies=proxies).test_client()

    def post(forwarded):
        return client.post("/api/v1/problems", json=SEEDED, headers={"X-Forwarded-For": forwarded})

    assert post(first).status_code == 201
    assert post(second).status_code == (429 if shared else 201)


def test_concurrent_writes_are_admitted_exactly_up_to_the_limit(limited):
    client = limited(anonymous=RateLimit(5, 3600))
    statuses: list[int] = []

    def send() -> None:
        local = client.application.test_client()
        statuses.extend(_new_problem(local).status_code for _ in range(3))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] * 5 + [429] * 19
    assert _problem_count(client.application) == 5


def test_every_write_operation_documents_the_429_and_no_read_does(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    operations = [
        (method, operation)
        for item in paths.values()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert {method for method, _ in operations} == {"get", "post", "patch"}
    for method, operation in operations:
        assert ("429" in operation["responses"]) == (method != "get"), operation["operationId"]
