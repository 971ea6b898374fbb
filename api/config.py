"""Settings: the one place that reads the environment.

Everything else receives a :class:`Settings`; tests build one with overrides
through ``create_app({...})`` instead of touching ``os.environ``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def default_database_url() -> str:
    """An SQLite file under ./instance/, as the Flask tutorial keeps its data."""
    return f"sqlite:///{Path.cwd() / 'instance' / 'elbo-grader.db'}"


@dataclass(frozen=True)
class Settings:
    database_url: str
    # Anonymous practice: seeded problems, their solutions and submissions
    # without a token (CONTRACT §9).
    practice: bool = True
    # Bodies over this many bytes are refused with 413 (CONTRACT §10).
    max_content_length: int = 64 * 1024
    log_level: str = "INFO"


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}={raw!r}: expected one of {sorted(_TRUE | _FALSE)}")


def load_settings(
    overrides: Mapping[str, object] | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Settings:
    """Settings from the environment, then ``overrides`` (field name → value)."""
    settings = Settings(
        database_url=environ.get("ELBO_GRADER_DATABASE_URL") or default_database_url(),
        practice=_flag("ELBO_GRADER_PRACTICE", environ.get("ELBO_GRADER_PRACTICE", "on")),
        log_level=environ.get("ELBO_GRADER_LOG_LEVEL", "INFO").upper(),
    )
    # replace() rejects unknown field names, so a mistyped override fails loudly.
    return dataclasses.replace(settings, **(overrides or {}))
