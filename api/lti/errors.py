"""The LTI package's exceptions; api.lti.views turns them into pages, the CLI into one line."""

from __future__ import annotations


class LtiError(Exception):
    """Base exception of api.lti: its message says what was wrong."""


class UndecryptableKey(LtiError):
    """A stored tool key was encrypted under another secret key."""


class RegistrationRefused(LtiError):
    """A platform registration that cannot be stored (a bad URL, a duplicate, an unknown id)."""


class LaunchRefused(LtiError):
    """A login or launch refused: nothing is stored, the reason is shown on a page with ``status``."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
