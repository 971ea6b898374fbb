"""A test LMS for launches, on lti1p3platform, served over real HTTP on a thread of its own.

The library builds and signs the launch messages (its registration, its
message launch with the deep-linking, AGS and NRPS claims, its OIDC login
initiation) and checks the tool's deep-linking response against the tool's
own ``/lti/jwks``, fetched over HTTP. This module adds what a real LMS
serves around it: a course page framing the tool, the login initiation,
the OIDC authorisation endpoint (which checks what the tool asked for),
its JWKS, the deep-link return URL, and key rotation.

The platform is served as ``http://localhost:<port>`` while the tool is
``http://127.0.0.1:<port>``: another site, as an LMS is to the tool, so the
browser treats the tool's frame and cookies as third-party.
"""

from __future__ import annotations

import html
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, Response, jsonify, redirect, request
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest
from werkzeug.serving import make_server

CLIENT_ID = "elbo-grader-tool"
DEPLOYMENT_ID = "deployment-1"
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
LEARNER = [MEMBERSHIP + "Learner"]
INSTRUCTOR = [MEMBERSHIP + "Instructor"]
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
LIFETIME = 300


def pem_pair() -> tuple[str, str]:
    """A new RSA key: its private and public PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


@dataclass
class LaunchSpec:
    """Who launches what: a learner or an instructor on a resource link, or a deep-linking request."""

    sub: str = "lms-user-1"
    roles: list[str] = field(default_factory=lambda: list(LEARNER))
    problem_set_id: str | None = None
    resource_link_id: str = "link-1"
    name: str | None = "Ada Lovelace"
    deep_linking: bool = False
    deep_linking_data: str | None = "opaque-platform-data"
    # The platform's storage frame, offered at login (LTI client-side postMessages).
    storage_target: str | None = None
    # Seconds the storage frame takes to load (it drops messages until then).
    storage_delay: float = 0.0


class _Request(Request):
    def build_metadata(self, incoming: dict[str, Any]) -> TRequest:
        return {"method": "GET", "form_data": {}, "get_data": incoming, "headers": {}, "content_type": None,
                "path": "/auth", "json": None}


class _Conf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self._registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        assert self._registration is not None
        return self._registration


class _Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> Any:
        return redirect(url, 302)


class _Launch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Any:
        return launch_data


STORAGE_FRAME = """<!doctype html><script>
var stored = {};
window.addEventListener("message", function (event) {
  var m = event.data, key = event.origin + " " + m.key;
  if (m.subject === "lti.put_data") stored[key] = m.value;
  if (m.subject !== "lti.put_data" && m.subject !== "lti.get_data") return;
  event.source.postMessage({subject: m.subject + ".response", message_id: m.message_id, key: m.key,
                            value: stored[key]}, event.origin);
});
</script>"""


def auto_post(url: str, fields: dict[str, str], hold: bool = False) -> str:
    """An HTML form posting ``fields`` to ``url`` by itself, as LMSes answer an authorisation request
    (``hold``: only when its button is pressed)."""
    inputs = "".join(f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
                     for name, value in fields.items())
    send = '<button id="send">Send</button>' if hold else ""
    script = "" if hold else "<script>document.forms[0].submit()</script>"
    return f'<!doctype html><form method="post" action="{html.escape(url)}">{inputs}{send}</form>{script}'



class Platform:
    """The platform: ``url``, ``issuer``; ``launches`` by message hint; what it saw in ``auth_requests``
    and ``deep_links``. ``mutate`` changes every claim set before it is signed (for refusals).
    ``services`` (platform_services.Platform) serves its token, AGS and NRPS endpoints, as a real LMS
    does; without it the claims name URLs of this platform that serve nothing."""

    def __init__(self, tool_url: str, services: Any = None) -> None:
        self.tool_url = tool_url
        self.services = services
        self.private_key, self.public_key = pem_pair()
        self.retired_public_keys: list[str] = []
        self.launches: dict[str, LaunchSpec] = {}
        self.auth_requests: list[dict[str, str]] = []
        self.deep_links: list[dict[str, Any]] = []
        self.mutate: Callable[[dict[str, Any]], object] | None = None
        # The launch form waits for its button (a test does something to the browser first).
        self.hold = False
        self._server = make_server("127.0.0.1", 0, self._app(), threaded=True)
        self.url = f"http://localhost:{self._server.server_port}"
        self.issuer = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)

    # What the tool is told (elbo-grader lti add-platform's arguments).
    def add_platform_args(self) -> list[str]:
        return ["--issuer", self.issuer, "--client-id", CLIENT_ID, "--deployment-id", DEPLOYMENT_ID,
                "--login-url", f"{self.url}/auth",
                "--token-url", self.services.token_url if self.services else f"{self.url}/token",
                "--jwks-url", f"{self.url}/jwks", "--name", "Test LMS", "--base-url", self.tool_url]

    def registration(self) -> Registration:
        return (Registration()
                .set_iss(self.issuer).set_client_id(CLIENT_ID).set_deployment_id(DEPLOYMENT_ID)
                .set_oidc_login_url(f"{self.tool_url}/lti/login").set_launch_url(f"{self.tool_url}/lti/launch")
                .set_deeplink_launch_url(f"{self.tool_url}/lti/launch")
                .set_platform_public_key(self.public_key).set_platform_private_key(self.private_key)
                .set_tool_key_set_url(f"{self.tool_url}/lti/jwks"))

    def rotate_key(self) -> None:
        """A new signing key; the old one stays in the JWKS."""
        self.retired_public_keys.append(self.public_key)
        self.private_key, self.public_key = pem_pair()

    def add_launch(self, spec: LaunchSpec) -> str:
        hint = uuid.uuid4().hex
        self.launches[hint] = spec
        return hint

    def login_url(self, hint: str) -> str:
        """The tool's OIDC login initiation URL for a launch, as the library makes it."""
        spec = self.launches[hint]
        login = _Login(None, _Conf(registration=self.registration()))
        login.set_lti_message_hint(hint=hint)
        url: str = login.prepare_preflight_url(spec.sub)
        if spec.storage_target:
            url += "&lti_storage_target=" + spec.storage_target
        return url

    def claims(self, hint: str, preflight: dict[str, str]) -> tuple[dict[str, Any], str]:
        """The launch message for the tool's authorisation request ``preflight`` (nonce, state,
        redirect_uri, client_id), unsigned, and the state to post back."""
        spec = self.launches[hint]
        launch = _Launch(_Request(preflight), _Conf(registration=self.registration()))
        launch._registration = launch._platform_config.get_registration()
        launch.validate_preflight_response(preflight)
        launch.set_user_data(spec.sub, spec.roles, full_name=spec.name, email_address="ada@example.edu")
        launch.set_launch_context_claim("course-1", context_title="Variational inference")
        if spec.deep_linking:
            launch.set_dl(f"{self.url}/deep-link-return", accept_types={"ltiResourceLink"})
            message, state = launch.get_launch_data()
            message[CLAIM + "message_type"] = "LtiDeepLinkingRequest"
            assert launch._deep_linking_launch_data is not None
            message.update(launch._deep_linking_launch_data)
            if spec.deep_linking_data is not None:
                message[DL_CLAIM + "deep_linking_settings"]["data"] = spec.deep_linking_data
            return message, state
        launch.set_resource_link_claim(spec.resource_link_id, title="Week 6")
        if spec.problem_set_id is not None:
            launch.set_custom_parameters_claim({"problem_set_id": spec.problem_set_id})
        if self.services is not None:
            lineitem = self.services.lineitem_url(spec.resource_link_id)
            launch.set_ags(lineitem.rsplit("/", 2)[0], lineitem)
            launch.set_nrps(self.services.memberships_url)
        else:
            launch.set_ags(f"{self.url}/lineitems", f"{self.url}/lineitems/{spec.resource_link_id}")
            launch.set_nrps(f"{self.url}/memberships")
        return launch.get_launch_data()

    def sign(self, claims: dict[str, Any], private_key: str | None = None, age: int = 0) -> str:
        """Signed as the library signs (RS256, the key's kid in the header), issued ``age`` seconds ago and
        good for five minutes from then; with the platform's key unless told."""
        issued = int(time.time()) - age
        claims.update(iat=issued, exp=issued + LIFETIME)
        if self.mutate is not None:
            self.mutate(claims)
        key = private_key or self.private_key
        return Registration.encode_and_sign(claims, key, {"kid": Registration.get_jwk(key)["kid"]})

    def id_token(self, hint: str, preflight: dict[str, str], **sign: Any) -> tuple[str, str]:
        claims, state = self.claims(hint, preflight)
        return self.sign(claims, **sign), state

    def _app(self) -> Flask:
        app = Flask(__name__)

        @app.get("/jwks")
        def jwks() -> Response:
            keys = [Registration.get_jwk(key) for key in (self.public_key, *self.retired_public_keys)]
            return jsonify({"keys": keys})

        @app.get("/course/<hint>")
        def course(hint: str) -> str:
            target = self.launches[hint].storage_target
            delay = self.launches[hint].storage_delay
            storage = (f'<iframe name="{html.escape(target)}" src="/storage?delay={delay}" hidden></iframe>'
                       if target else "")
            return (f'<!doctype html><title>Course</title><h1>Variational inference</h1>{storage}'
                    f'<iframe name="tool" title="elbo-grader" width="1000" height="800" '
                    f'src="{html.escape(self.login_url(hint))}"></iframe>')

        @app.get("/storage")
        def storage() -> str:
            time.sleep(float(request.args.get("delay", 0)))
            # The platform's storage frame of LTI client-side postMessages: put_data and get_data, per
            # sender's origin, answered to the sender.
            return STORAGE_FRAME

        @app.get("/auth")
        def auth() -> str | tuple[str, int]:
            params = request.args.to_dict()
            self.auth_requests.append(params)
            hint = params.get("lti_message_hint", "")
            if hint not in self.launches or params.get("login_hint") != self.launches[hint].sub:
                return "unknown launch", 400
            expected = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post",
                        "prompt": "none", "client_id": CLIENT_ID, "redirect_uri": f"{self.tool_url}/lti/launch"}
            wrong = {name for name, value in expected.items() if params.get(name) != value}
            if wrong:
                return f"bad authorisation request: {sorted(wrong)}", 400
            id_token, state = self.id_token(hint, params)
            return auto_post(params["redirect_uri"], {"id_token": id_token, "state": state}, self.hold)

        @app.post("/deep-link-return")
        def deep_link_return() -> str:
            conf = _Conf(registration=self.registration())
            conf.get_registration()
            items = conf.validate_deeplinking_resp({"JWT": request.form["JWT"]})
            # The library leaves aud, iss and exp to its caller: checked here with the key it found.
            claims = jwt.decode(request.form["JWT"], conf.get_tool_public_key(), algorithms=["RS256"],
                                audience=self.issuer, issuer=CLIENT_ID)
            self.deep_links.append({"items": items, "claims": claims})
            return f'<!doctype html><p id="linked">Linked: {html.escape(items[0]["title"])}</p>'

        return app


def preflight_of(location: str) -> dict[str, str]:
    """The authorisation request's parameters, from the tool's redirect."""
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}
