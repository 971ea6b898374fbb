"""The tool's HTTP client for the platform's services: access tokens, AGS scores, NRPS pages.

Every request has a timeout and follows no redirect (a platform's service
URL is used as given). A failure is a :class:`ServiceError` saying whether
trying again later may help (timeouts, connection errors, 429 and 5xx) and,
for 429/503, how long the platform asked the tool to wait.

Access tokens (client-credentials grant with a JWT client assertion, IMS
Security Framework §4.1) are cached per platform, client id and scopes
until shortly before they expire; a 401 from a service drops the cached
token and asks once more with a fresh one.
"""

from __future__ import annotations

import email.utils
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from api.lti.errors import LtiError

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
MEMBERSHIPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
MEMBERSHIPS_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# A token is renewed this long before its expiry (or at 3/4 of a short lifetime).
RENEW_BEFORE = 60.0
# The longest wait a platform's Retry-After is taken at: beyond it, retries go on by backoff.
MAX_RETRY_AFTER = 3600.0
# How much of an error body a reason keeps.
REASON_CHARS = 300


class ServiceError(LtiError):
    """A request to the platform that did not succeed."""

    def __init__(self, reason: str, retryable: bool, retry_after: float | None = None,
                 status: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status  # the HTTP status, if the platform answered


def service_url(url: str | None, what: str) -> str:
    """A platform URL the tool may call: absolute http(s) with a host (and a port, if any, that exists)."""
    try:
        parts = urlsplit(url or "")
        parts.port  # noqa: B018  (read to refuse a port out of range)
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. "http://[" or a port past 65535
        usable = False
    if not usable or url is None or not url.isprintable():
        raise ServiceError(f"the platform's {what} {url!r} is not an http(s) URL", retryable=False)
    return url


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port: what two URLs share when they have the same origin."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def iso_time(moment: datetime) -> str:
    """ISO 8601 with milliseconds and the UTC offset, as AGS asks for timestamps."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Client:
    """The tool as a platform knows it: where to get tokens, and as whom."""

    platform_id: str
    client_id: str
    token_url: str


def _retry_after(response: requests.Response) -> float | None:
    """Retry-After in seconds (delta or HTTP date), bounded; None if absent or unreadable."""
    raw = response.headers.get("Retry-After", "").strip()
    if not raw:
        return None
    if raw.isdigit():
        return min(float(raw), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return min(max((when - datetime.now(UTC)).total_seconds(), 0.0), MAX_RETRY_AFTER)


def _refusal(what: str, response: requests.Response) -> ServiceError:
    """A non-2xx answer as an error; 429 and 5xx may pass, other statuses will not."""
    body = " ".join(response.text.split())[:REASON_CHARS]
    reason = f"{what}: HTTP {response.status_code}" + (f": {body}" if body else "")
    retryable = response.status_code == 429 or response.status_code >= 500
    return ServiceError(reason, retryable, _retry_after(response) if retryable else None, response.status_code)


def _send(what: str, timeout: float, method: str, url: str, **kwargs: Any) -> requests.Response:
    """One request: its answer if 2xx, else a :class:`ServiceError`."""
    try:
        response = requests.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
    except requests.Timeout:
        raise ServiceError(f"{what}: no answer within {timeout:g} s", retryable=True) from None
    except requests.RequestException as error:
        raise ServiceError(f"{what}: {type(error).__name__}: {error}"[:REASON_CHARS], retryable=True) from None
    if not 200 <= response.status_code < 300:
        raise _refusal(what, response)
    return response


Signer = Callable[[dict[str, Any]], str]


class TokenCache:
    """Access tokens per (platform, client id, scopes), shared by a process's threads."""

    def __init__(self, sign: Signer, timeout: float):
        self._sign = sign
        self._timeout = timeout
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def token(self, client: Client, scopes: tuple[str, ...]) -> str:
        """A token for these scopes: the cached one while it is fresh, else a new one."""
        key = (client.platform_id, client.client_id, " ".join(sorted(scopes)))
        with self._lock:
            cached = self._tokens.get(key)
        if cached is not None and time.monotonic() < cached[1]:
            return cached[0]
        token, renew_at = self._request(client, key[2])
        with self._lock:
            self._tokens[key] = (token, renew_at)
        return token

    def forget(self, client: Client, scopes: tuple[str, ...]) -> None:
        """Drop a token the platform no longer takes."""
        with self._lock:
            self._tokens.pop((client.platform_id, client.client_id, " ".join(sorted(scopes))), None)

    def _request(self, client: Client, scope: str) -> tuple[str, float]:
        url = service_url(client.token_url, "token URL")
        now = int(time.time())
        assertion = self._sign({
            "iss": client.client_id, "sub": client.client_id, "aud": url,
            "iat": now, "exp": now + 300, "jti": str(uuid.uuid4()),
        })
        started = time.monotonic()
        response = _send("token request", self._timeout, "POST", url, data={
            "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion, "scope": scope,
        }, headers={"Accept": "application/json"})
        try:
            body = response.json()
            token = body["access_token"]
            lifetime = float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise ServiceError("token request: the answer is not a JSON token response", retryable=True) from None
        if not isinstance(token, str) or not token or not lifetime > 0:
            raise ServiceError("token request: the answer has no usable access_token", retryable=True)
        return token, started + lifetime - min(RENEW_BEFORE, lifetime / 4)


class Services:
    """The calls the tool makes to a platform's services, with one token cache."""

    def __init__(self, sign: Signer, timeout: float):
        self.tokens = TokenCache(sign, timeout)
        self.timeout = timeout

    def _authorised(self, client: Client, scopes: tuple[str, ...], what: str, method: str, url: str,
                    headers: Mapping[str, str], **kwargs: Any) -> requests.Response:
        def send() -> requests.Response:
            token = self.tokens.token(client, scopes)
            return _send(what, self.timeout, method, url,
                         headers={**headers, "Authorization": f"Bearer {token}"}, **kwargs)

        try:
            return send()
        except ServiceError as error:
            if error.status != 401:
                raise
        self.tokens.forget(client, scopes)  # expired or revoked early: once more with a new one
        return send()

    def post_score(self, client: Client, lineitem_url: str, score: Mapping[str, Any]) -> None:
        """POST a score to the line item's scores endpoint (AGS §3.4)."""
        url = service_url(lineitem_url, "line item URL")
        parts = urlsplit(url)
        scores = parts._replace(path=parts.path.rstrip("/") + "/scores").geturl()
        self._authorised(client, (SCORE_SCOPE,), "score", "POST", scores,
                         {"Content-Type": SCORE_TYPE}, json=dict(score))

    def memberships_page(self, client: Client, url: str) -> tuple[dict[str, Any], str | None]:
        """One page of a context's members and the URL of the next (its Link rel="next"), if any."""
        response = self._authorised(client, (MEMBERSHIPS_SCOPE,), "memberships", "GET",
                                    service_url(url, "memberships URL"), {"Accept": MEMBERSHIPS_TYPE})
        try:
            body = response.json()
        except ValueError:
            raise ServiceError("memberships: the answer is not JSON", retryable=False) from None
        if not isinstance(body, dict) or not isinstance(body.get("members", []), list):
            raise ServiceError("memberships: the answer has no members list", retryable=False)
        following = response.links.get("next", {}).get("url")
        return body, following
