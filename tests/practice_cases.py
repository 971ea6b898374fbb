"""The practice page's worked numbers, from the shared folder beside the repo."""

from __future__ import annotations

import json
from pathlib import Path

CASES_FILE = Path(__file__).resolve().parents[2] / "shared" / "cases" / "practice-page.json"


def load_cases() -> dict:
    """The practice page's cases and exact values, as a student writes them."""
    return json.loads(CASES_FILE.read_text())
