"""Request bodies: JSON only, numbers read as the decimals they print as.

A JSON ``0.1`` reaches the grader as ``Decimal("0.1")`` (1/10), not as the
binary float nearest to it (docs/api.md §1, §5). ``NaN`` and ``Infinity``, which
Python's json accepts but JSON does not, are malformed bodies.
"""

from __future__ import annotations

import functools
import json
from decimal import Decimal

import flask
import marshmallow as ma
from webargs.flaskparser import FlaskParser, is_json_request

from api.errors import ApiError


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


# Python's own default cap on reading integers (sys.int_max_str_digits): said
# here in the client's terms, not as a hint to change an interpreter setting.
MAX_INTEGER_DIGITS = 4300


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise ValueError(f"an integer of {len(text.lstrip('-')):,} digits (at most {MAX_INTEGER_DIGITS:,})")
    return int(text)


def loads(data: bytes | str) -> object:
    """Strict JSON: Decimal for non-integers, no NaN/Infinity, integers of
    bounded length; 400 otherwise."""
    if not data.strip():
        raise ApiError(400, "The request body is empty; send a JSON object.")
    try:
        return json.loads(data, parse_float=Decimal, parse_int=_integer, parse_constant=_reject_constant)
    # ValueError covers JSONDecodeError, undecodable bytes and over-long
    # integers; RecursionError absurdly deep nesting.
    except (ValueError, RecursionError) as error:
        raise ApiError(400, f"Malformed JSON body: {error}.") from None


class RequestParser(FlaskParser):
    """The webargs parser behind ``@blp.arguments`` and pagination: strict
    JSON bodies, and unknown query parameters refused like unknown fields
    (a mistyped ``?pagesize=`` is a 422, not silently the default)."""

    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": ma.RAISE}

    def _get_schema(self, argmap, req: flask.Request) -> ma.Schema:
        # webargs makes a new instance of a schema class per request (≈0.1 ms,
        # fields deep-copied); loading keeps no state on the instance, so one serves all.
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            return _instance(argmap)
        return super()._get_schema(argmap, req)

    def load_json(self, req: flask.Request, schema: ma.Schema) -> object:
        if not is_json_request(req):
            raise ApiError(415, "Send the request body as application/json.")
        # get_data raises 413 past MAX_CONTENT_LENGTH.
        return loads(req.get_data(cache=True))


@functools.cache
def _instance(schema: type[ma.Schema]) -> ma.Schema:
    return schema()
