"""Settings: the one place that reads the environment.

Everything else receives a :class:`Settings`; tests build one with overrides
through ``create_app({...})`` instead of touching ``os.environ``.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
# A server secret shorter than this is refused: it is the key of every student token.
MIN_SECRET_KEY = 32


def instance_path() -> Path:
    """./instance/, where the Flask tutorial keeps its data."""
    return Path.cwd() / "instance"


def default_database_url() -> str:
    """An SQLite file under ./instance/."""
    return f"sqlite:///{instance_path() / 'elbo-grader.db'}"


@dataclass(frozen=True)
class RateLimit:
    """At most ``requests`` writes in any ``period`` seconds, at once or spread out."""

    requests: int
    period: int

    def __post_init__(self) -> None:
        # Counted in whole microseconds: at most one write per microsecond.
        if not 1 <= self.requests <= MAX_RATE * self.period:
            raise ValueError(f"a limit is at least 1 write per period and at most {MAX_RATE:,} per second")


# Writes per second a limit may allow at most.
MAX_RATE = 1_000_000
_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"\s*([0-9]{1,9})\s*/\s*(second|minute|hour|day)\s*")


def parse_rate_limit(name: str, raw: str) -> RateLimit | None:
    """``"120/minute"`` → a :class:`RateLimit`; ``"off"`` → None (no limit)."""
    if raw.strip().lower() in _FALSE:
        return None
    match = _RATE.fullmatch(raw.lower())
    try:
        if match is None:
            raise ValueError("expected N/second, N/minute, N/hour or N/day with N ≥ 1, or off")
        return RateLimit(int(match[1]), _PERIODS[match[2]])
    except ValueError as error:
        raise ValueError(f"{name}={raw!r}: {error}") from None


@dataclass(frozen=True)
class Settings:
    database_url: str
    # Anonymous practice: seeded problems, their solutions and submissions
    # without a token (docs/api.md §9).
    practice: bool = True
    # Bodies over this many bytes are refused with 413 (docs/api.md §10).
    max_content_length: int = 64 * 1024
    # Seconds a request body may go without a byte before it is a 408
    # (api.bodylimit): a client that stalls must not hold a sync worker.
    body_timeout: float = 5.0
    log_level: str = "INFO"
    # The key student access tokens are derived from (HMAC-SHA256), so that
    # instructors can be shown them again while only their hashes are stored.
    # None: a random key kept in `secret_key_file`, made on first use.
    secret_key: str | None = None
    secret_key_file: str = ""
    # Writes (POSTs that store something) per caller, beyond which a 429
    # (docs/api.md §10), counted in the database so that every worker and server
    # shares the count; None is no limit. Anonymous callers are counted per
    # client address, the others per token (api.ratelimit). From the
    # environment: 120/minute, 60/minute, off.
    rate_limit_anonymous: RateLimit | None = None
    rate_limit_student: RateLimit | None = None
    rate_limit_instructor: RateLimit | None = None
    # Proxies in front of the service that append to X-Forwarded-For; the
    # client address is taken that many hops back (0: the peer's address).
    trusted_proxies: int = 0
    # A set or roster addition needing more problems than this is answered
    # 202 at once and its problems made in the background (api.services.making);
    # about 2.5 ms each, so the default keeps a request to a few seconds.
    problems_at_once: int = 2000
    # The most problems one PDF printout holds (a problem with its answers
    # counts ANSWERED_PROBLEM_COST): WeasyPrint takes about 50 ms a problem,
    # so the default stays well inside a worker's 30 s. More: ask in parts.
    print_pdf_problems: int = 300
    # Seconds a background maker holds a set before another may take over.
    making_lease: float = 30.0
    # LTI services (docs/lti-passback.md): each request to a platform times out
    # after this many seconds; a score that could not be sent is tried again
    # after about this many seconds, doubling per failure (capped).
    lti_timeout: float = 10.0
    lti_retry_base: float = 2.0
    # Whether this process runs a thread sending the LTI score outbox: the
    # server's processes do (`elbo-grader serve`), apps made by scripts and tests not.
    drain_outbox: bool = False


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}={raw!r}: expected one of {sorted(_TRUE | _FALSE)}")


def _rate_limit(environ: Mapping[str, str], kind: str, default: str) -> RateLimit | None:
    name = f"ELBO_GRADER_RATE_LIMIT_{kind}"
    return parse_rate_limit(name, environ.get(name, default))


def _proxies(raw: str) -> int:
    if not re.fullmatch(r"\s*[0-9]{1,2}\s*", raw) or int(raw) > 10:
        raise ValueError(f"ELBO_GRADER_TRUSTED_PROXIES={raw!r}: expected a number of proxies from 0 to 10")
    return int(raw)


def _count(name: str, raw: str) -> int:
    if not re.fullmatch(r"\s*[0-9]{1,7}\s*", raw):
        raise ValueError(f"{name}={raw!r}: expected a whole number from 0 to 9,999,999")
    return int(raw)


def _seconds(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not 0.1 <= value <= 300:
        raise ValueError(f"{name}={raw!r}: expected a number of seconds from 0.1 to 300")
    return value


def _secret(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    if len(raw) < MIN_SECRET_KEY:
        raise ValueError(
            f"ELBO_GRADER_SECRET_KEY must be at least {MIN_SECRET_KEY} characters; make one with "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return raw


def load_settings(
    overrides: Mapping[str, object] | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Settings:
    """Settings from the environment, then ``overrides`` (field name → value)."""
    settings = Settings(
        database_url=environ.get("ELBO_GRADER_DATABASE_URL") or default_database_url(),
        practice=_flag("ELBO_GRADER_PRACTICE", environ.get("ELBO_GRADER_PRACTICE", "on")),
        log_level=environ.get("ELBO_GRADER_LOG_LEVEL", "INFO").upper(),
        secret_key=_secret(environ.get("ELBO_GRADER_SECRET_KEY")),
        secret_key_file=str(instance_path() / "secret-key"),
        rate_limit_anonymous=_rate_limit(environ, "ANONYMOUS", "120/minute"),
        rate_limit_student=_rate_limit(environ, "STUDENT", "60/minute"),
        rate_limit_instructor=_rate_limit(environ, "INSTRUCTOR", "off"),
        trusted_proxies=_proxies(environ.get("ELBO_GRADER_TRUSTED_PROXIES", "0")),
        body_timeout=_seconds("ELBO_GRADER_BODY_TIMEOUT", environ.get("ELBO_GRADER_BODY_TIMEOUT", "5")),
        problems_at_once=_count("ELBO_GRADER_PROBLEMS_AT_ONCE", environ.get("ELBO_GRADER_PROBLEMS_AT_ONCE", "2000")),
        print_pdf_problems=_count("ELBO_GRADER_PRINT_PDF_PROBLEMS",
                                  environ.get("ELBO_GRADER_PRINT_PDF_PROBLEMS", "300")),
        lti_timeout=_seconds("ELBO_GRADER_LTI_TIMEOUT", environ.get("ELBO_GRADER_LTI_TIMEOUT", "10")),
        lti_retry_base=_seconds("ELBO_GRADER_LTI_RETRY_BASE", environ.get("ELBO_GRADER_LTI_RETRY_BASE", "2")),
    )
    # replace() rejects unknown field names, so a mistyped override fails loudly.
    return dataclasses.replace(settings, **dict(overrides or {}))  # type: ignore[arg-type]


def secret_key(settings: Settings) -> bytes:
    """The server secret: ELBO_GRADER_SECRET_KEY, else the key file's, made
    once (mode 0600) by whichever process gets there first.

    Several servers sharing a database must share ELBO_GRADER_SECRET_KEY:
    each would otherwise make a key of its own and show instructors tokens
    that the others did not issue.
    """
    if settings.secret_key is not None:
        return settings.secret_key.encode()
    path = Path(settings.secret_key_file)
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written in full under a temporary name, then linked into place: link()
    # fails if another process linked its key first, and then that one is read.
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48) + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    key = path.read_text().strip()
    if len(key) < MIN_SECRET_KEY:
        raise RuntimeError(f"{path}: the secret key is shorter than {MIN_SECRET_KEY} characters")
    return key.encode()
