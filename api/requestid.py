"""Request ids: the caller's ``X-Request-ID`` when sane, else a new one;
returned in the response header and logged with errors and access lines."""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, request

HEADER = "X-Request-ID"
# Ids go into logs and headers: printable, no spaces, bounded.
_SANE = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")


def _assign() -> None:
    offered = request.headers.get(HEADER, "")
    g.request_id = offered if _SANE.fullmatch(offered) else uuid.uuid4().hex


def _echo(response: Response) -> Response:
    response.headers[HEADER] = g.get("request_id", "")
    return response


def init_app(app: Flask) -> None:
    app.before_request(_assign)
    app.after_request(_echo)
