"""Helpers of the page tests (fixtures live in conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import requests
from playwright.sync_api import Page

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()


def form_fields(html: str) -> dict[str, str]:
    """The hidden fields of the first form after the page's nav (CSRF token, render key)."""
    return dict(re.findall(r'name="(csrf_token|render_key)" value="([^"]+)"', html)[-2:])


def api(server: Any, method: str, path: str, key: str | None = None, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return requests.request(method, server.url + path, headers=headers, timeout=10, **kwargs)


def axe_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical findings on the page as it stands."""
    page.add_script_tag(content=AXE)
    results = page.evaluate("async () => (await axe.run(document)).violations")
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]} for v in results
            if v["impact"] in ("serious", "critical")]


def practise(page: Page, server: Any, template: str = "elbo-gap", difficulty: str = "easy") -> str:
    """From the home page to a new practice problem; its id."""
    page.goto(server.url + "/")
    page.click(f'a[data-template="{template}"][data-difficulty="{difficulty}"]')
    page.wait_for_url(re.compile(r"/problems/[0-9a-f-]{36}$"))
    return page.url.rsplit("/", 1)[1]
