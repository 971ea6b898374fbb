"""Request bodies read whole, under one limit, before anything parses them.

WSGI middleware around the Flask app. Whatever the transfer encoding, a
body is read here, at most one byte past ``max_content_length``, and handed
on as a plain stream with its length: werkzeug alone would read a chunked
body only up to the limit and silently drop the rest. A body that runs past
the limit is handed on as that many bytes, so the app answers 413 as for a
``Content-Length`` over it (docs/api.md §10), after its access checks, as
before. A body that cannot be read (a malformed chunk) is a 400 here; one
that stops arriving is a 408 once ``body_timeout`` seconds pass without a
byte, instead of holding a worker until gunicorn kills it.
"""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from api.errors import PROBLEM_JSON

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_READ_SIZE = 16 * 1024


class BodyRefused(Exception):
    """A body the service will not take: the status and what was wrong."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class BodyLimit:
    """Reads each request's body whole, within ``limit`` bytes and ``timeout`` seconds of silence."""

    def __init__(self, app: WsgiApp, limit: int, timeout: float) -> None:
        self.app = app
        self.limit = limit
        self.timeout = timeout

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            body = self._read(environ)
        except BodyRefused as refused:
            return _problem(start_response, refused.status, refused.detail)
        if body is not None:
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            # The body is now a plain one of known length, whatever it arrived as.
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ.pop("wsgi.input_terminated", None)
        return self.app(environ, start_response)

    def _read(self, environ: dict[str, Any]) -> bytes | None:
        """The whole body (up to one byte past the limit), or None to leave it to the app:
        no body, or a ``Content-Length`` the app refuses without reading."""
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        length = _content_length(environ.get("CONTENT_LENGTH"))
        if not chunked and not 0 < length <= self.limit:
            return None
        wanted = self.limit + 1 if chunked else length
        stream = environ["wsgi.input"]
        sock: socket.socket | None = environ.get("gunicorn.socket")
        previous = sock.gettimeout() if sock is not None else None
        if sock is not None:
            sock.settimeout(self.timeout)
        try:
            body = _read_up_to(stream, wanted)
        except TimeoutError:
            raise BodyRefused(
                408, f"The request body stopped arriving: nothing came for {self.timeout:g} s."
            ) from None
        except Exception as error:  # the server's own parse errors, e.g. a malformed chunk size
            log.info("unreadable request body: %r", error)
            raise BodyRefused(400, f"The request body cannot be read: {error or type(error).__name__}.") from None
        finally:
            if sock is not None:
                sock.settimeout(previous)
        if not chunked and len(body) < length:
            raise BodyRefused(400, f"The request body ended after {len(body)} of its {length} bytes.")
        return body


def _read_up_to(stream: io.RawIOBase | Any, wanted: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    while size < wanted:
        part = stream.read(min(_READ_SIZE, wanted - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def _content_length(raw: str | None) -> int:
    # A malformed Content-Length never reaches here under gunicorn (it answers 400 itself).
    try:
        return max(0, int(raw or 0))
    except ValueError:
        raise BodyRefused(400, f"Content-Length {raw!r} is not a number of bytes.") from None


def _problem(start_response: Callable[..., Any], status: int, detail: str) -> list[bytes]:
    phrase = HTTPStatus(status).phrase
    body = json.dumps({"type": "about:blank", "title": phrase, "status": status, "detail": detail}).encode()
    start_response(
        f"{status} {phrase}",
        [("Content-Type", PROBLEM_JSON), ("Content-Length", str(len(body))), ("Connection", "close")],
    )
    return [body]
