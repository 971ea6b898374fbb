"""Grade passback (LTI AGS, docs/lti-passback.md): a durable outbox drained by the servers.

A stored submission of a launched learner writes their set total as a score
row in the submission's own transaction (:func:`score_submission`), so a
score exists exactly when its submission does. Each server process runs a
:class:`Drainer` thread that claims due rows under a lease (the pattern of
api.services.making: a conditional UPDATE, a lapsed lease free to claim;
on PostgreSQL the candidates are also locked with SKIP LOCKED, so two
servers never claim one row), sends them, and marks them sent on a 2xx,
due again after a capped, jittered exponential backoff (or the platform's
Retry-After) on timeouts, connection errors, 429 and 5xx, or failed for
good, with the reason, on any other refusal. Only a learner's oldest
pending score is ever claimed, so their scores reach the platform in order.

The drainer also writes a zero, once per due date, for learners of sets
whose instructor asked for it (``elbo-grader lti zeros-after-due``) and who
never submitted by their due date.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import and_, event, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from api import db
from api.lti import keys
from api.lti.ags import Client, ServiceError, Services, iso_time
from api.lti.models import LtiLearner, LtiLink, LtiPlatform, LtiScore, LtiSetOptions
from api.models import ProblemRecord, ProblemSetRecord, StudentToken, SubmissionRecord, due_at, utcnow
from api.problemstore import StoredProblem
from api.services.grades import grades

log = logging.getLogger(__name__)

_DRAINER = "elbo_grader.lti_drainer"
_SERVICES = "elbo_grader.lti_services"
PENDING, SENT, FAILED = "pending", "sent", "failed"
# The longest wait between two tries of one score.
MAX_DELAY = 600.0
# Seconds between two looks at the outbox when nothing wakes the drainer,
# and between two checks for due dates passed.
POLL = 1.0
ZERO_CHECK = 15.0
# Rows claimed at once; each is sent only while the claim has time for its requests.
BATCH = 10


def services(app: Flask) -> Services:
    """The process's client for platform services, with its token cache."""
    found: Services | None = app.extensions.get(_SERVICES)
    if found is None:
        found = app.extensions.setdefault(_SERVICES, Services(keys.sign, app.config["SETTINGS"].lti_timeout))
    return found


def retry_delay(attempts: int, base: float, retry_after: float | None, rand: random.Random) -> float:
    """Seconds before the next try after ``attempts`` failed ones: exponential
    from ``base``, capped at :data:`MAX_DELAY`, with equal jitter (half fixed,
    half random, so senders that failed together spread out); never sooner
    than the platform's Retry-After."""
    ceiling = min(MAX_DELAY, base * 2 ** min(attempts - 1, 32))
    return max(ceiling / 2 + rand.uniform(0, ceiling / 2), retry_after or 0.0)


# --- Writing scores ---------------------------------------------------------


def score_submission(session: Session, problem: StoredProblem, student_id: str | None,
                     submitted_at: datetime) -> None:
    """In a submission's write transaction: if its student came from an LMS
    link with a line item, add their set total to the outbox, and have this
    process's drainer look once the transaction commits."""
    if problem.problem_set_id is None or student_id is None:
        return
    learner = session.execute(
        select(LtiLearner.sub, LtiLearner.link_id)
        .join(LtiLink, LtiLink.id == LtiLearner.link_id)
        .where(LtiLearner.problem_set_id == problem.problem_set_id, LtiLearner.student_id == student_id,
               LtiLink.lineitem_url.is_not(None))
    ).first()
    if learner is None:
        return
    book = grades(session, problem.problem_set_id, student_id=student_id).book
    (row,) = book.rows
    limit = problem.policy.max_attempts
    # Completed once nothing more can be gained: every item full marks or out of attempts.
    done = all(grade.best_score == 1.0 or (limit is not None and grade.attempts >= limit) for grade in row.items)
    session.add(LtiScore(
        link_id=learner.link_id, sub=learner.sub, problem_set_id=problem.problem_set_id, student_id=student_id,
        score_given=row.total, score_maximum=book.max_total,
        activity_progress="Completed" if done else "Submitted",
        scored_at=submitted_at, submitted_at=submitted_at, status=PENDING, attempts=0,
        next_attempt_at=submitted_at,
    ))
    drainer: Drainer | None = current_app.extensions.get(_DRAINER)
    if drainer is not None:
        event.listen(session, "after_commit", lambda _session: drainer.wake(), once=True)


def write_due_zeros(now: datetime) -> int:
    """Add a zero for each learner of a set with zeros after due whose due
    date has passed with no submission, once per due date; how many were added."""
    session = db.session()
    submitted = (
        select(SubmissionRecord.id)
        .join(ProblemRecord, ProblemRecord.id == SubmissionRecord.problem_id)
        .where(ProblemRecord.problem_set_id == LtiLearner.problem_set_id,
               ProblemRecord.student_id == LtiLearner.student_id,
               SubmissionRecord.student_scope == LtiLearner.student_id)
        .exists()
    )
    due = due_at(StudentToken.due_at, ProblemSetRecord.due_at)
    rows = session.execute(
        select(LtiLearner.link_id, LtiLearner.sub, LtiLearner.problem_set_id, LtiLearner.student_id,
               ProblemSetRecord.items, due.label("due"))
        .join(LtiSetOptions, and_(LtiSetOptions.problem_set_id == LtiLearner.problem_set_id,
                                  LtiSetOptions.zeros_after_due))
        .join(LtiLink, LtiLink.id == LtiLearner.link_id)
        .join(ProblemSetRecord, ProblemSetRecord.id == LtiLearner.problem_set_id)
        .join(StudentToken, and_(StudentToken.problem_set_id == LtiLearner.problem_set_id,
                                 StudentToken.student_id == LtiLearner.student_id))
        .where(LtiLink.lineitem_url.is_not(None), StudentToken.revoked_at.is_(None), due <= now, ~submitted)
        .where(~exists().where(LtiScore.problem_set_id == LtiLearner.problem_set_id,
                               LtiScore.student_id == LtiLearner.student_id, LtiScore.zero_due_at == due))
    ).all()
    session.rollback()
    if not rows:
        return 0
    # Never started, graded final at 0 (AGS: Initialized is "the user has not
    # started the activity"; FullyGraded makes the 0 the final grade).
    values = [
        {"link_id": link_id, "sub": sub, "problem_set_id": set_id, "student_id": student, "score_given": 0.0,
         "score_maximum": float(len(items)), "activity_progress": "Initialized", "scored_at": due,
         "submitted_at": None, "zero_due_at": due, "status": PENDING, "attempts": 0, "next_attempt_at": now,
         "created_at": now}
        for link_id, sub, set_id, student, items, due in rows
    ]
    with db.write_transaction() as writing:
        db.insert_new(writing, LtiScore, [LtiScore.problem_set_id, LtiScore.student_id, LtiScore.zero_due_at],
                      values)
    return len(values)


def set_zeros_after_due(session: Session, problem_set_id: uuid.UUID, on: bool) -> None:
    """Turn a set's zeros after due on or off (the caller's write transaction)."""
    options = session.get(LtiSetOptions, problem_set_id)
    if options is None:
        session.add(LtiSetOptions(problem_set_id=problem_set_id, zeros_after_due=on))
    else:
        options.zeros_after_due = on


def zeros_after_due(session: Session, problem_set_id: uuid.UUID) -> bool:
    return bool(session.scalar(select(LtiSetOptions.zeros_after_due)
                               .where(LtiSetOptions.problem_set_id == problem_set_id)))


# --- Sending ----------------------------------------------------------------


def score_body(row: LtiScore) -> dict[str, Any]:
    """The AGS score (application/vnd.ims.lis.v1.score+json) of an outbox row."""
    body: dict[str, Any] = {
        "userId": row.sub, "scoreGiven": row.score_given, "scoreMaximum": row.score_maximum,
        "activityProgress": row.activity_progress, "gradingProgress": "FullyGraded",
        "timestamp": iso_time(row.scored_at),
    }
    if row.submitted_at is not None:
        body["submission"] = {"submittedAt": iso_time(row.submitted_at)}
    return body


def _claim(now: datetime, lease: timedelta, batch: int) -> tuple[datetime, list[int]]:
    """Lease up to ``batch`` due rows, each the oldest pending one of its learner."""
    until = now + lease
    earlier = aliased(LtiScore)
    due = (
        select(LtiScore.id)
        .where(LtiScore.status == PENDING, LtiScore.next_attempt_at <= now,
               or_(LtiScore.leased_until.is_(None), LtiScore.leased_until <= now))
        .where(~exists().where(earlier.link_id == LtiScore.link_id, earlier.sub == LtiScore.sub,
                               earlier.status == PENDING, earlier.id < LtiScore.id))
    )
    # A read first: an idle server looks every POLL seconds and must not take
    # the write lock (SQLite's is the whole database) to find nothing.
    reading = db.session()
    anything = reading.scalar(select(due.exists()))
    reading.rollback()
    if not anything:
        return until, []
    # PostgreSQL: rows another claim is taking are skipped.
    candidates = due.order_by(LtiScore.id).limit(batch).with_for_update(skip_locked=True)
    with db.write_transaction() as session:
        # The lease condition again, in the UPDATE: of two claims racing for a row one wins.
        claimed = session.scalars(
            update(LtiScore)
            .where(LtiScore.id.in_(candidates),
                   or_(LtiScore.leased_until.is_(None), LtiScore.leased_until <= now))
            .values(leased_until=until)
            .returning(LtiScore.id)
        ).all()
    return until, sorted(claimed)


def _settle(row_id: int, until: datetime, **values: Any) -> None:
    """Record a send's outcome while the lease is still ours, and release it."""
    with db.write_transaction() as session:
        session.execute(
            update(LtiScore).where(LtiScore.id == row_id, LtiScore.leased_until == until)
            .values(leased_until=None, attempts=LtiScore.attempts + 1, **values)
        )


def _send(row_id: int, until: datetime, base: float, rand: random.Random) -> None:
    session = db.session()
    found = session.execute(
        select(LtiScore, LtiLink.lineitem_url, LtiPlatform.id, LtiPlatform.client_id, LtiPlatform.token_url)
        .join(LtiLink, LtiLink.id == LtiScore.link_id)
        .join(LtiPlatform, LtiPlatform.id == LtiLink.platform_id)
        .where(LtiScore.id == row_id)
    ).one()
    row, lineitem_url, platform_id, client_id, token_url = found
    session.expunge(row)  # read after the rollback below
    session.rollback()  # no transaction held while the platform answers
    now = utcnow()
    try:
        if lineitem_url is None:
            raise ServiceError("the link's last launch gave no line item URL", retryable=False)
        services(current_app).post_score(Client(platform_id, client_id, token_url), lineitem_url, score_body(row))
    except ServiceError as error:
        if error.retryable:
            delay = retry_delay(row.attempts + 1, base, error.retry_after, rand)
            _settle(row_id, until, last_error=error.reason, next_attempt_at=utcnow() + timedelta(seconds=delay))
        else:
            _settle(row_id, until, last_error=error.reason, status=FAILED)
        log.warning("LTI score %s for set %s, student %s: %s", row_id, row.problem_set_id, row.student_id,
                    error.reason)
        return
    _settle(row_id, until, status=SENT, sent_at=now, last_error=None)


def drain(app: Flask, rand: random.Random) -> int:
    """Claim and send one batch of due scores; how many were tried."""
    settings = app.config["SETTINGS"]
    # Room for a token request and a score, each retried once after a 401.
    needed = timedelta(seconds=4 * settings.lti_timeout + 5)
    lease = needed * 3
    until, claimed = _claim(utcnow(), lease, BATCH)
    for index, row_id in enumerate(claimed):
        if until - utcnow() < needed:
            _release(claimed[index:], until)
            return index
        _send(row_id, until, settings.lti_retry_base, rand)
    return len(claimed)


def _release(row_ids: Sequence[int], until: datetime) -> None:
    with db.write_transaction() as session:
        session.execute(update(LtiScore).where(LtiScore.id.in_(row_ids), LtiScore.leased_until == until)
                        .values(leased_until=None))


class Drainer:
    """The thread of a server process that sends the outbox."""

    def __init__(self, app: Flask):
        self.app = app
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._rand = random.Random()
        self._thread = threading.Thread(target=self._run, name="lti-passback", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join()

    def _run(self) -> None:
        zeros_checked = 0.0
        while not self._stop.is_set():
            self._wake.clear()
            busy = False
            try:
                with self.app.app_context():
                    moment = utcnow().timestamp()
                    if moment - zeros_checked >= ZERO_CHECK:
                        write_due_zeros(utcnow())
                        zeros_checked = moment
                    busy = drain(self.app, self._rand) > 0
            except Exception:
                # The database or a bug: claimed rows' leases lapse and the next look takes them again.
                log.exception("sending LTI scores failed; trying again shortly")
            if not busy:
                self._wake.wait(POLL)


def init_app(app: Flask) -> None:
    """Start this process's drainer if it is a server's (Settings.drain_outbox)."""
    if app.config["SETTINGS"].drain_outbox:
        drainer = app.extensions[_DRAINER] = Drainer(app)
        drainer.start()


def stop(app: Flask) -> None:
    """Stop this app's drainer, if it has one (tests and scripts that made it)."""
    drainer: Drainer | None = app.extensions.pop(_DRAINER, None)
    if drainer is not None:
        drainer.stop()


# --- What is waiting ---------------------------------------------------------


@dataclass(frozen=True)
class WaitingScore:
    """A score not yet accepted: pending (with its next try) or failed (with the reason)."""

    id: int
    problem_set_id: uuid.UUID
    student_id: str
    score_given: float
    score_maximum: float
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


def waiting(session: Session, failed_only: bool = False) -> list[WaitingScore]:
    """Pending and failed scores (or only failed ones), oldest first."""
    statuses = [FAILED] if failed_only else [PENDING, FAILED]
    rows = session.scalars(select(LtiScore).where(LtiScore.status.in_(statuses)).order_by(LtiScore.id))
    return [WaitingScore(row.id, row.problem_set_id, row.student_id, row.score_given, row.score_maximum,
                         row.status, row.attempts, row.next_attempt_at, row.last_error) for row in rows]


def retry_failed(session: Session) -> int:
    """Make every failed score pending again, due now; how many."""
    changed = session.scalars(
        update(LtiScore).where(LtiScore.status == FAILED)
        .values(status=PENDING, next_attempt_at=utcnow()).returning(LtiScore.id)
    ).all()
    return len(changed)
