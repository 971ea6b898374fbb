"""The tool's side of the services tests: the app served over HTTP, and a
platform with a link and learners stored as a launch would store them."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from platform_services import CLIENT_ID, DEPLOYMENT_ID, ISSUER, Platform
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from api.lti.launch import student_id_of
from api.lti.models import LtiDeployment, LtiLearner, LtiLink, LtiPlatform, LtiScore
from api.models import utcnow


class ToolServer:
    """A Flask app of the tool on 127.0.0.1 over real HTTP (its /lti/jwks for the platform)."""

    def __init__(self, app):
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join()


@dataclass(frozen=True)
class Course:
    platform_id: str
    link_id: str


def register(engine: Engine, platform: Platform, problem_set_id: str, lineitem: str | None = "1",
             memberships: bool = True) -> Course:
    """The platform, its deployment and a link to the set, as a launch leaves them."""
    platform_id, link_id = str(uuid.uuid4()), str(uuid.uuid4())
    with Session(engine) as session, session.begin():
        session.execute(insert(LtiPlatform).values(
            id=platform_id, issuer=ISSUER, client_id=CLIENT_ID, login_url=f"{platform.url}/auth",
            token_url=platform.token_url, jwks_url=f"{platform.url}/jwks", created_at=utcnow()))
        session.execute(insert(LtiDeployment).values(platform_id=platform_id, deployment_id=DEPLOYMENT_ID))
        session.execute(insert(LtiLink).values(
            id=link_id, platform_id=platform_id, deployment_id=DEPLOYMENT_ID, resource_link_id="link-1",
            problem_set_id=uuid.UUID(problem_set_id),
            lineitem_url=platform.lineitem_url(lineitem) if lineitem else None,
            memberships_url=platform.memberships_url if memberships else None, updated_at=utcnow()))
    return Course(platform_id, link_id)


def students_of(platform_id: str, subs: list[str]) -> list[str]:
    return [student_id_of(platform_id, sub) for sub in subs]


def enrol(engine: Engine, course: Course, problem_set_id: str, subs: list[str]) -> None:
    """Learners as their launches store them (they are on the set's roster already)."""
    with Session(engine) as session, session.begin():
        for sub in subs:
            session.execute(insert(LtiLearner).values(
                platform_id=course.platform_id, sub=sub, problem_set_id=uuid.UUID(problem_set_id),
                student_id=student_id_of(course.platform_id, sub), link_id=course.link_id))


def outbox(engine: Engine) -> list[LtiScore]:
    with Session(engine, expire_on_commit=False) as session:
        rows = list(session.scalars(select(LtiScore).order_by(LtiScore.id)))
        session.expunge_all()
        return rows


def wait_for(condition: Callable[[], bool], seconds: float = 30, step: Callable[[], object] | None = None) -> None:
    """Until ``condition()`` (calling ``step()`` between looks), or fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        if step is not None:
            step()
        time.sleep(0.05)
