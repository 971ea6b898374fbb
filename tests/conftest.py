"""Shared fixtures: the practice page's cases from the shared folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CASES_FILE = Path(__file__).resolve().parents[2] / "shared" / "cases" / "practice-page.json"


def load_cases() -> dict:
    """The practice page's worked numbers, as a student writes them."""
    return json.loads(CASES_FILE.read_text())


@pytest.fixture(scope="session")
def practice_cases() -> dict:
    return load_cases()
