"""Helpers of the page tests (fixtures live in conftest.py)."""

from __future__ import annotations

import re
from typing import Any

import requests


def form_fields(html: str) -> dict[str, str]:
    """The hidden fields of the first form after the page's nav (CSRF token, render key)."""
    return dict(re.findall(r'name="(csrf_token|render_key)" value="([^"]+)"', html)[-2:])


def api(server: Any, method: str, path: str, key: str | None = None, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return requests.request(method, server.url + path, headers=headers, timeout=10, **kwargs)
