"""Every error as ``application/problem+json`` (RFC 9457, docs/api.md §10).

Views, auth and the body parser raise :class:`ApiError` (or werkzeug's own
HTTP exceptions); domain exceptions from ``problems`` and ``grader`` are
translated here and nowhere else. Anything unexpected is logged with the
request id and answered with a 500 that says nothing about the cause.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus

from flask import Flask, Response, current_app, g
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from grader.errors import GraderError, InvalidPolicy, UnknownAnswerKeys, UnreadableAnswers
from problems import (
    InvalidParams,
    NoGradeableVariant,
    ProblemError,
    UnknownDifficulty,
    UnknownTemplate,
)

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
# Problem types for errors a client may want to tell apart from the status.
ATTEMPTS_EXHAUSTED = "urn:elbo-grader:problem:attempts-exhausted"
INVALID_REQUEST = "urn:elbo-grader:problem:invalid-request"
UNREADABLE_ANSWERS = "urn:elbo-grader:problem:unreadable-answers"


class ApiError(HTTPException):
    """An HTTP error with a problem type, a detail and, for 422, field errors."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type: str = "about:blank",
        errors: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(description=detail)
        self.code = status
        self.type = type
        self.errors = errors
        self.headers = dict(headers or {})


def unauthorized(detail: str) -> ApiError:
    return ApiError(401, detail, headers={"WWW-Authenticate": 'Bearer realm="elbo-grader"'})


def forbidden(detail: str) -> ApiError:
    return ApiError(403, detail)


def not_found(what: str) -> ApiError:
    return ApiError(404, f"No {what} with this id, or not one you may see.")


def attempts_exhausted(max_attempts: int) -> ApiError:
    return ApiError(
        409,
        f"All {max_attempts} attempts allowed on this problem are used; nothing was stored.",
        type=ATTEMPTS_EXHAUSTED,
    )


def invalid(errors: Mapping[str, object], detail: str = "Some fields are invalid; see errors.") -> ApiError:
    return ApiError(422, detail, type=INVALID_REQUEST, errors=errors)


def answer_error(message: str, position: int | None = None) -> dict[str, object]:
    """One entry of ``errors.answers``: the reader's message and the 1-based
    character column it points at (null when not about a place in the text)."""
    return {"message": message, "position": position}


def _from_domain(error: ProblemError | GraderError) -> ApiError:
    match error:
        case UnreadableAnswers():
            return ApiError(
                422,
                "Some answers cannot be read; nothing was stored and no attempt was used.",
                type=UNREADABLE_ANSWERS,
                errors={
                    "answers": {key: answer_error(e.message, e.position) for key, e in error.errors.items()}
                },
            )
        case UnknownAnswerKeys():
            return invalid(
                {
                    "answers": {
                        key: answer_error("This problem does not ask for this key.") for key in error.keys
                    }
                },
                "Some answer keys are not asked by this problem; nothing was stored.",
            )
        case InvalidParams():
            return invalid({"params": {name: [message] for name, message in error.errors.items()}})
        case InvalidPolicy():
            return invalid({"policy": {name: [message] for name, message in error.errors.items()}})
        case UnknownTemplate():
            return invalid({"template": [str(error)]})
        case UnknownDifficulty():
            return invalid({"difficulty": [str(error)]})
        case NoGradeableVariant():
            return invalid({"seed": [str(error)]})
    return ApiError(422, str(error), type=INVALID_REQUEST)


def _webargs_errors(messages: Mapping[str, object]) -> dict[str, object]:
    """webargs keys errors by location ({"json": {...}, "query": {...}});
    the contract wants them by field."""
    merged: dict[str, object] = {}
    for by_field in messages.values():
        if isinstance(by_field, Mapping):
            merged.update(by_field)
    return merged


def problem_response(error: HTTPException) -> Response:
    status = error.code or 500
    body: dict[str, object] = {
        "type": getattr(error, "type", "about:blank"),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": error.description,
    }
    headers: dict[str, str] = {}
    if isinstance(error, ApiError):
        if error.errors is not None:
            body["errors"] = error.errors
        headers.update(error.headers)
    elif status == 422 and getattr(error, "data", None):
        # Raised by webargs when a request schema rejects the input.
        body["type"] = INVALID_REQUEST
        body["detail"] = "Some fields are invalid; see errors."
        body["errors"] = _webargs_errors(error.data["messages"])  # type: ignore[attr-defined]
    else:
        # werkzeug's own (405 Allow, ...) keep their headers.
        headers.update((k, v) for k, v in error.get_headers() if k.lower() != "content-type")
    if status == 500:
        body["request_id"] = g.get("request_id")
    return Response(current_app.json.dumps(body), status, headers, mimetype=PROBLEM_JSON)


def _handle_domain_error(error: ProblemError | GraderError) -> Response:
    return problem_response(_from_domain(error))


def _handle_database_unavailable(error: OperationalError) -> Response:
    # The database is down, unreachable or (SQLite) locked past the busy
    # timeout: transient, so 503 tells clients and load balancers to retry.
    log.warning("database unavailable (request id %s): %s", g.get("request_id"), error)
    return problem_response(ApiError(503, "The database is unavailable; retry shortly."))


def _handle_unexpected(error: Exception) -> Response:
    log.exception("unhandled exception (request id %s)", g.get("request_id"))
    return problem_response(
        InternalServerError(
            f"An unexpected error occurred. Quote request id {g.get('request_id')} when reporting it."
        )
    )


def init_app(app: Flask) -> None:
    app.register_error_handler(ProblemError, _handle_domain_error)
    app.register_error_handler(GraderError, _handle_domain_error)
    app.register_error_handler(OperationalError, _handle_database_unavailable)
    app.register_error_handler(Exception, _handle_unexpected)
