"""flask-smorest, adapted: problem+json errors, strict JSON bodies, and an
OpenAPI document that says exactly what the service accepts and returns."""

from __future__ import annotations

from http import HTTPStatus

import flask_smorest
from apispec import BasePlugin
from flask_smorest.pagination import PaginationMetadataSchema

from api.errors import PROBLEM_JSON, problem_response
from api.jsonbody import RequestParser
from api.schemas import ProblemDetailsSchema, template_params_property

# apispec's OpenAPI 3.0 rendering of a nullable nested schema: "any object or null".
_ANY_OBJECT_OR_NULL = {"type": "object", "nullable": True}


class ProblemJsonResponses(BasePlugin):
    """Document the shared error responses as problem+json.

    flask-smorest registers one response component per status with its
    error schema; this apispec hook moves their content to the right type.
    """

    def response_helper(self, response, **kwargs):
        content = response.get("content", {})
        if "application/json" in content:
            response["content"] = {PROBLEM_JSON: content["application/json"]}
        return response


def _nested_or_null(self, field, ret, **kwargs) -> dict:
    """Narrow "any object or null" to "null" beside a nullable nested schema."""
    if not field.allow_none or _ANY_OBJECT_OR_NULL not in ret.get("anyOf", []):
        return {}
    only_null = {**_ANY_OBJECT_OR_NULL, "enum": [None]}
    return {"anyOf": [only_null if branch == _ANY_OBJECT_OR_NULL else branch for branch in ret["anyOf"]]}


class Api(flask_smorest.Api):
    # Documents the shared error responses, made problem+json by the plugin.
    ERROR_SCHEMA = ProblemDetailsSchema

    def __init__(self, app):
        super().__init__(app, spec_kwargs={"extra_plugins": [ProblemJsonResponses()]})
        self.ma_plugin.converter.add_attribute_function(_nested_or_null)
        self.ma_plugin.converter.add_attribute_function(template_params_property)

    def handle_http_exception(self, error):
        return problem_response(error)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = PAGINATION_ARGUMENTS_PARSER = RequestParser()

    def _document_pagination_metadata(self, spec, resp_doc):
        # The header carries JSON: say so (flask-smorest documents a bare
        # object schema, which means a comma-separated header value).
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = {
            "description": "Pagination metadata, as a JSON object.",
            "content": {"application/json": {"schema": PaginationMetadataSchema}},
        }

    def errors(self, *statuses: int):
        """Document the error statuses an operation answers (as problem+json)."""

        def decorator(func):
            for status in statuses:
                func = self.alt_response(status, response=HTTPStatus(status).name)(func)
            return func

        return decorator
