"""What the problem page's form sends: one field per answer key, and a key per render.

A blank field is an answer left out (graded ``unanswered``, as a key omitted
from a JSON submission). The render key (a random value put in the form when
the page is drawn) is the submission's idempotency key: a double click, a
resent form or a reload after submitting store one submission and show its
result again.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Mapping

from api.idempotency import Keyed

RENDER_KEY = "render_key"
_VALID_KEY = re.compile(r"[0-9a-f]{32}")


def new_render_key() -> str:
    return secrets.token_hex(16)


def answers_from(form: Mapping[str, str], keys: Iterable[str]) -> dict[str, str]:
    """The answers typed, by key, in the template's order; blank ones left out."""
    return {key: form[key] for key in keys if form.get(key, "").strip()}


def keyed(form: Mapping[str, str], path: str, answers: Mapping[str, str]) -> Keyed | None:
    """The form's render key and a fingerprint of what it sent; None without a well-formed key."""
    key = form.get(RENDER_KEY, "")
    if not _VALID_KEY.fullmatch(key):
        return None
    sent = json.dumps(answers, sort_keys=True, ensure_ascii=False)
    return Keyed(f"page:{key}", hashlib.sha256(f"POST\n{path}\n{sent}".encode()).hexdigest())
