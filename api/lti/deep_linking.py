"""Deep Linking 2.0: an instructor picks a set; the tool answers with a signed LtiDeepLinkingResponse.

The launch's settings (return URL, ``data``, deployment) travel to the pick
in a context signed by the tool and valid for an hour, so a pick answers that
one launch and no other, and nothing is stored in between.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from api import db
from api.lti import keys
from api.lti.errors import LaunchRefused, RegistrationRefused
from api.lti.launch import CLAIM, Launch, seal, unseal
from api.lti.models import LtiPlatform
from api.lti.platforms import check_url
from api.models import ProblemSetRecord

DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
RESOURCE_LINK_TYPE = "ltiResourceLink"
CONTEXT_LIFETIME = timedelta(hours=1)
# How long the response JWT is good for: the browser posts it at once.
RESPONSE_LIFETIME = timedelta(minutes=5)


@dataclass(frozen=True)
class Context:
    platform_id: str
    deployment_id: str
    return_url: str
    # Echoed as it came: a string by the spec, though some platforms send an object.
    data: object


def context_of(launch: Launch) -> str:
    """The signed context of a deep-linking launch, refused when the platform cannot take a resource link."""
    settings = launch.claims.get(DL_CLAIM + "deep_linking_settings")
    if not isinstance(settings, dict) or not isinstance(settings.get("deep_link_return_url"), str):
        raise LaunchRefused("The deep-linking launch has no deep_link_return_url.")
    try:
        return_url = check_url("deep_link_return_url", settings["deep_link_return_url"])
    except RegistrationRefused as error:
        raise LaunchRefused(f"The launch's {error}.") from None
    accepted = settings.get("accept_types")
    if isinstance(accepted, list) and RESOURCE_LINK_TYPE not in accepted:
        raise LaunchRefused(f"The platform accepts {', '.join(map(str, accepted))} here, not {RESOURCE_LINK_TYPE}: "
                            "this tool only links problem sets.")
    return seal("deep linking", [launch.platform.id, launch.deployment_id, return_url, settings.get("data")])


def read_context(token: str) -> Context:
    return unseal("deep linking", token, CONTEXT_LIFETIME, Context,
                  expired="This pick is over an hour old: open the deep-linking page from the LMS again.",
                  forged="This pick does not come from a deep-linking launch of this tool.")


@dataclass(frozen=True)
class Answer:
    return_url: str
    jwt: str


def answer(context: Context, problem_set_id: uuid.UUID, launch_url: str) -> Answer:
    """The response linking ``problem_set_id``, signed with the tool's key, for the platform's return URL."""
    session = db.session()
    platform = session.get(LtiPlatform, context.platform_id)
    if platform is None:
        raise LaunchRefused("The platform of this launch is no longer registered.", 403)
    record = session.get(ProblemSetRecord, problem_set_id)
    if record is None:
        raise LaunchRefused(f"There is no problem set {problem_set_id}.", 404)
    now = int(time.time())
    item: dict[str, Any] = {
        "type": RESOURCE_LINK_TYPE,
        "title": record.title,
        "url": launch_url,
        "custom": {"problem_set_id": str(record.id)},
        # Each item is out of 1 (grader.gradebook): the set's maximum total is its item count.
        "lineItem": {"scoreMaximum": len(record.items), "label": record.title, "resourceId": str(record.id)},
    }
    claims: dict[str, Any] = {
        "iss": platform.client_id,
        "aud": platform.issuer,
        "iat": now,
        "exp": now + int(RESPONSE_LIFETIME.total_seconds()),
        "nonce": secrets.token_urlsafe(16),
        CLAIM + "message_type": "LtiDeepLinkingResponse",
        CLAIM + "version": "1.3.0",
        CLAIM + "deployment_id": context.deployment_id,
        DL_CLAIM + "content_items": [item],
    }
    if context.data is not None:
        claims[DL_CLAIM + "data"] = context.data
    return Answer(context.return_url, keys.sign(claims))
