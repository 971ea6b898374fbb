"""Roster sync from the platform (LTI Names and Role Provisioning Services 2.0).

The members of the context of a set's link are fetched page by page,
following ``Link: <…>; rel="next"`` only to the memberships URL's own
origin (a next link elsewhere is not followed and is reported), at most
:data:`MAX_PAGES` pages. Active learners join the roster under the same
student id a launch gives them (api.lti.launch.student_id_of) and are
remembered as the link's learners, so their scores go back to its line
item; members no longer active are reported, never removed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from api import db
from api.lti.ags import Client, origin, service_url
from api.lti.errors import LtiError
from api.lti.launch import display_name, is_identifier, student_id_of
from api.lti.models import LtiLearner, LtiLink, LtiPlatform
from api.lti.passback import services, zeros_after_due
from api.services import making, rosters
from api.services.problem_sets import find_set

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
MAX_PAGES = 50


class NoMembershipsUrl(LtiError):
    """The set has no link whose launch gave a memberships URL."""


@dataclass(frozen=True)
class SyncResult:
    problem_set_id: uuid.UUID
    added: tuple[str, ...]  # student ids joined to the roster now
    already: int  # active learners who were on it
    names: dict[str, str]  # the display names the platform gave, by student id
    inactive: tuple[str, ...]  # learners' platform ids whose membership is not Active: kept
    others: int  # members with no Learner role (instructors, TAs): not on the roster
    unusable: int  # members whose user_id is no id (not 1 to 255 printable characters): left out
    pages: int
    ignored_next: str | None  # a next link to another origin, not followed
    truncated: bool  # pages remained after MAX_PAGES


def _learner(member: Any) -> bool:
    roles = member.get("roles") if isinstance(member, dict) else None
    return isinstance(roles, list) and any(role in (LEARNER, "Learner") for role in roles)


def _synced_link(problem_set_id: uuid.UUID) -> Select:
    """The set's most recently launched link that gave a memberships URL, with its platform."""
    return (
        select(LtiLink.id, LtiLink.memberships_url, LtiPlatform.id, LtiPlatform.client_id, LtiPlatform.token_url)
        .join(LtiPlatform, LtiPlatform.id == LtiLink.platform_id)
        .where(LtiLink.problem_set_id == problem_set_id, LtiLink.memberships_url.is_not(None))
        .order_by(LtiLink.updated_at.desc())
    )


@dataclass(frozen=True)
class SetLinks:
    """What the set's instructor page shows of its LMS links."""

    linked: bool  # an LMS link launches the set
    syncable: bool  # and one of its launches gave a memberships URL
    zeros_after_due: bool


def set_links(session: Session, problem_set_id: uuid.UUID) -> SetLinks:
    linked = bool(session.scalar(select(exists().where(LtiLink.problem_set_id == problem_set_id))))
    syncable = linked and session.execute(_synced_link(problem_set_id).limit(1)).first() is not None
    return SetLinks(linked, syncable, zeros_after_due(session, problem_set_id))


def _same_origin(url: str, home: tuple[str, str, int | None]) -> bool:
    try:
        return origin(url) == home
    except ValueError:  # no URL at all ("http://[", a port past 65535): not followed either
        return False


def sync(problem_set_id: uuid.UUID) -> SyncResult:
    """Fetch the set's context members and add its learners (an app context; 404 for no set)."""
    session = db.session()
    record = find_set(session, problem_set_id)
    found = session.execute(_synced_link(problem_set_id)).first()
    if found is None:
        raise NoMembershipsUrl("No launch of this set from an LMS has given a memberships URL yet: "
                               "launch it once from the LMS (with Names and Role Provisioning enabled).")
    link_id, url, platform_id, client_id, token_url = found
    assert url is not None  # selected for having one
    session.rollback()  # no transaction held while the platform answers
    client = Client(platform_id, client_id, token_url)
    home = origin(service_url(url, "memberships URL"))
    members: list[Any] = []
    pages, ignored_next = 0, None
    following: str | None = url
    while following is not None and pages < MAX_PAGES:
        body, following = services(current_app).memberships_page(client, following)
        members += body.get("members", [])
        pages += 1
        if following is not None and not _same_origin(following, home):
            ignored_next, following = following, None
    active: dict[str, str | None] = {}
    inactive: list[str] = []
    others = unusable = 0
    for member in members:
        sub = member.get("user_id") if isinstance(member, dict) else None
        if not is_identifier(sub):
            unusable += 1
        elif not _learner(member):
            others += 1
        elif member.get("status", "Active") != "Active":
            inactive.append(sub)
        else:
            active[sub] = display_name(member.get("name"))
    students = [student_id_of(platform_id, sub) for sub in active]
    issued = rosters.new_students(session, record, students)
    with db.write_transaction() as writing:
        added = rosters.add_students(writing, record, students, issued)
        db.insert_new(writing, LtiLearner, [LtiLearner.platform_id, LtiLearner.sub, LtiLearner.problem_set_id], [
            {"platform_id": platform_id, "sub": sub, "problem_set_id": problem_set_id,
             "student_id": student, "link_id": link_id, "name": name}
            for (sub, name), student in zip(active.items(), students, strict=True)
        ])
    if added.making:
        making.start(problem_set_id)
    names = {student: name for student, name in zip(students, active.values(), strict=True) if name}
    return SyncResult(problem_set_id, tuple(student.student_id for student in added.students),
                      len(added.ignored), names, tuple(inactive), others, unusable, pages, ignored_next,
                      following is not None)
