"""The practice page's worked numbers: the project's own test data (tests/data/practice_page.json)."""

from __future__ import annotations

import json
from pathlib import Path

CASES_FILE = Path(__file__).resolve().parent / "data" / "practice_page.json"


def load_cases() -> dict:
    """The practice page's cases and exact values, as a student writes them."""
    return json.loads(CASES_FILE.read_text())
