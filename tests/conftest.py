"""Shared fixtures for every test package."""

from __future__ import annotations

import pytest
from practice_cases import load_cases


@pytest.fixture(scope="session")
def practice_cases() -> dict:
    return load_cases()
