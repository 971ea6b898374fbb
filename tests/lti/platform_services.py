"""A test LMS's service endpoints, on lti1p3platform, served over real HTTP.

The token endpoint checks the tool's client assertion with the library
against the tool's own ``/lti/jwks`` (fetched over HTTP), and adds the
checks the library leaves out: ``aud`` is this token URL and each ``jti``
is used once. The AGS score endpoint (the library's handler, checking the
bearer token and its scope) records every score; the NRPS endpoint pages
its members with ``Link: rel="next"``. Switches make the score endpoint
answer 503, 429 or a 4xx, or hang, for a while; tokens can be made to
expire early.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from flask import Flask, Response, jsonify, request
from lti1p3platform.exceptions import LtiException
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService, NamesRoleProvisioningService, TPage
from platform_launches import pem_pair
from werkzeug.serving import make_server

ISSUER = "https://lms.test"
CLIENT_ID = "elbo-grader-client"
DEPLOYMENT_ID = "deployment-1"
MEMBERS_PER_PAGE = 2



class FlaskRequest(Request):
    def build_metadata(self, incoming: Any) -> TRequest:
        return {
            "method": incoming.method,
            "form_data": incoming.form.to_dict(),
            "json": incoming.get_json(silent=True),
            "get_data": {key: int(value) if value.isdigit() else value for key, value in incoming.args.items()},
            "headers": incoming.headers,
            "content_type": incoming.content_type,
            "path": incoming.path,
        }


class PlatformConf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        private, public = pem_pair()
        self._registration = (
            Registration().set_iss(ISSUER).set_client_id(kwargs["client_id"]).set_deployment_id(DEPLOYMENT_ID)
            .set_platform_private_key(private).set_platform_public_key(public)
        )

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        assert self._registration is not None
        return self._registration


@dataclass
class Received:
    """A score as the platform got it."""

    lineitem: str
    score: dict[str, Any]
    content_type: str | None


@dataclass
class State:
    scores: list[Received] = field(default_factory=list)
    token_requests: int = 0
    membership_requests: list[str] = field(default_factory=list)
    # The score endpoint's trouble: None, an HTTP status, or "hang"; for how many requests (None: until cleared).
    trouble: int | str | None = None
    trouble_left: int | None = None
    retry_after: str | None = None
    refused_scores: int = 0
    # Tokens are refused this long after they were issued (None: their 3600 s).
    token_lifetime: float | None = None
    members: list[dict[str, Any]] = field(default_factory=list)
    # A next link to give after the first page instead of the true one (a foreign origin, say).
    next_override: str | None = None


class Platform:
    """The services of a test LMS on 127.0.0.1, on a port of their own (for the tool known as
    ``client_id``: a launch platform's, when its launches point here)."""

    def __init__(self, tool_url: str | None = None, client_id: str = CLIENT_ID):
        self.app = Flask("test-platform-services")
        self.state = State()
        self.lock = threading.Lock()
        self.conf = PlatformConf(client_id=client_id)
        if tool_url is not None:
            self.use_tool(tool_url)
        self._jtis: set[str] = set()
        self._issued: dict[str, float] = {}
        self._routes()
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.token_url = f"{self.url}/token"
        self.memberships_url = f"{self.url}/contexts/course-1/memberships"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def use_tool(self, tool_url: str) -> None:
        """Check client assertions against this tool's /lti/jwks."""
        self.conf.get_registration().set_tool_key_set_url(f"{tool_url}/lti/jwks")

    def lineitem_url(self, name: str = "1") -> str:
        return f"{self.url}/contexts/course-1/lineitems/{name}/lineitem"

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join()

    def trouble(self, kind: int | str | None, count: int | None = None, retry_after: str | None = None) -> None:
        """Answer score requests with ``kind`` (a status or "hang") for ``count`` of them, or until cleared."""
        with self.lock:
            self.state.trouble, self.state.trouble_left, self.state.retry_after = kind, count, retry_after

    def scores(self) -> list[Received]:
        with self.lock:
            return list(self.state.scores)

    def _token_ok(self, auth: str, scopes: list[str]) -> bool:
        token = auth.removeprefix("Bearer ").strip()
        issued = self._issued.get(token)
        lifetime = self.state.token_lifetime
        if issued is None or lifetime is not None and time.monotonic() - issued > lifetime:
            return False
        try:
            return self.conf.validate_token(token, scopes)
        except (LtiException, jwt.PyJWTError):
            return False

    def _routes(self) -> None:
        platform = self
        app = self.app

        @app.post("/token")
        def token() -> Response | tuple[Response, int]:
            form = request.form.to_dict()
            with platform.lock:
                platform.state.token_requests += 1
            try:
                claims = jwt.decode(form.get("client_assertion", ""), options={"verify_signature": False})
            except jwt.PyJWTError:
                return jsonify(error="invalid_client"), 400
            jti = claims.get("jti")
            if claims.get("aud") != platform.token_url or not jti or jti in platform._jtis:
                return jsonify(error="invalid_client", error_description="aud or jti"), 400
            platform._jtis.add(jti)
            try:
                answer = dict(platform.conf.get_access_token(form))
            except (LtiException, jwt.PyJWTError, AssertionError) as error:
                return jsonify(error="invalid_client", error_description=str(error)), 400
            with platform.lock:
                platform._issued[answer["access_token"]] = time.monotonic()
                if platform.state.token_lifetime is not None:
                    answer["expires_in"] = platform.state.token_lifetime
            return jsonify(answer)

        class Grades(AssignmentsGradesService):
            def update_score(self, line_item_id: str, score: Any) -> UpdateScoreStatus:
                with platform.lock:
                    platform.state.scores.append(Received(line_item_id, score, request.content_type))
                return UpdateScoreStatus.SUCCESS

            def find_lineitems(self, *args: Any, **kwargs: Any) -> TPage:
                raise NotImplementedError

            find_lineitem = create_lineitem = update_lineitem = delete_lineitem = get_results = find_lineitems

        @app.post("/contexts/<context>/lineitems/<item>/lineitem/scores")
        def scores(context: str, item: str) -> Response | tuple[Response, int]:
            with platform.lock:
                kind = platform.state.trouble
                if kind is not None and platform.state.trouble_left is not None:
                    platform.state.trouble_left -= 1
                    if platform.state.trouble_left < 0:
                        kind = platform.state.trouble = None
                retry_after = platform.state.retry_after
            if kind == "hang":
                time.sleep(3)
                return jsonify(error="too late"), 504
            if isinstance(kind, int):
                with platform.lock:
                    platform.state.refused_scores += 1
                headers = {"Retry-After": retry_after} if retry_after else {}
                return jsonify(error=f"refused with {kind}"), kind, headers  # type: ignore[return-value]
            if not platform._token_ok(request.headers.get("Authorization", ""),
                                      ["https://purl.imsglobal.org/spec/lti-ags/scope/score"]):
                return jsonify(error="invalid token"), 401
            service = Grades(FlaskRequest(request), platform.conf, f"{platform.url}/contexts/{context}/lineitems",
                             platform.lineitem_url(item))
            answer = service.handle_resp(service.handle_update_score, line_item_id=item)
            return jsonify(answer.result or {}), answer.code

        class Members(NamesRoleProvisioningService):
            def get_member_data_page(self, page: int = 1, limit: int | None = None, role: str | None = None,
                                     since: str | None = None, **_: Any) -> TPage:
                members = platform.state.members
                start = (page - 1) * MEMBERS_PER_PAGE
                content = members[start:start + MEMBERS_PER_PAGE]
                return {"content": [dict(member) for member in content],
                        "has_next": start + MEMBERS_PER_PAGE < len(members)}

            def get_context_by_id(self) -> Context:
                return Context(id="course-1", label="ELBO 101", title="Variational inference")

        @app.get("/contexts/<context>/memberships")
        def memberships(context: str) -> Response | tuple[Response, int]:
            with platform.lock:
                platform.state.membership_requests.append(request.full_path)
            if not platform._token_ok(request.headers.get("Authorization", ""),
                                      ["https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"]):
                return jsonify(error="invalid token"), 401
            service = Members(FlaskRequest(request), platform.conf, platform.memberships_url)
            page = int(request.args.get("page", 1))
            answer = service.handle_resp(service.handle_get_members)
            body = answer.result or {}
            response = jsonify(body)
            response.status_code = answer.code
            response.content_type = answer.media_type
            if (page - 1) * MEMBERS_PER_PAGE + MEMBERS_PER_PAGE < len(platform.state.members):
                following = platform.state.next_override or f"{platform.memberships_url}?page={page + 1}"
                response.headers["Link"] = f'<{following}>; rel="next"'
            return response


def member(user_id: str, roles: list[str] | None = None, status: str = "Active", name: str | None = None) -> dict:
    """An NRPS member entry."""
    entry: dict[str, Any] = {
        "user_id": user_id, "status": status,
        "roles": roles or ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
    }
    if name:
        entry["name"] = name
    return entry


def unique_sub() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"
