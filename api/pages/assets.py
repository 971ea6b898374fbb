"""The pages' static files, under a fingerprinted URL: ``/static/<digest>/<path>``.

The digest is a hash of every file under api/static/, so a release that
changes any of them changes every URL, and browsers may keep each for a
year. One digest for the whole tree (not one per file) keeps KaTeX's CSS
working unchanged: its fonts are relative URLs under the same digest.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Response, abort, send_from_directory, url_for

STATIC = Path(__file__).resolve().parent.parent / "static"
# A year: the URL changes whenever the content does.
IMMUTABLE = "public, max-age=31536000, immutable"


@cache
def tree_digest() -> str:
    """The first 16 hex digits of a SHA-256 over every static file's path and content."""
    digest = hashlib.sha256()
    for path in sorted(p for p in STATIC.rglob("*") if p.is_file()):
        digest.update(path.relative_to(STATIC).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def asset_url(filename: str) -> str:
    """The fingerprinted URL of a file under api/static/ (a Jinja global)."""
    return url_for("pages.static_file", digest=tree_digest(), filename=filename)


def serve(digest: str, filename: str) -> Response:
    """A static file with a long cache life; 404 for another release's digest,
    whose content this server does not have."""
    if digest != tree_digest():
        abort(404)
    response = send_from_directory(STATIC, filename, max_age=31536000)
    response.headers["Cache-Control"] = IMMUTABLE
    return response
