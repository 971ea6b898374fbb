"""Request and response bodies (marshmallow 4); the OpenAPI document is built from them.

Shapes and names are CONTRACT §4–§5. Bounds declared here mirror what the
domain validates again (``grader.Policy``, ``problems.parse_params``) so the
document tells clients the truth.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.errors import answer_error
from grader.policy import FEEDBACK_MODES
from problems import DIFFICULTIES, TEMPLATES

MAX_SEED = 2**63 - 1  # stored as a 64-bit integer
MAX_STUDENT_ID = 128
UNIT = validate.Range(min=0, max=1)
# The same rule as _no_control_characters, for the OpenAPI document.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f-\x9f]*$"


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _is_number_or_string(value: object) -> bool:
    return _is_number(value) or isinstance(value, str)


def _no_control_characters(value: str) -> None:
    # Student ids are the LMS's strings; they end up in logs and CSV files.
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise ValidationError("Must not contain control characters.")


class JsonFloat(fields.Float):
    """A float that must arrive as a JSON number (marshmallow also takes "0.1")."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not _is_number(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class NumberOrString(fields.Field):
    """A JSON number (read as Decimal, see api.jsonbody) or a string."""

    def __init__(self, **kwargs):
        oneof = [{"type": "number"}, {"type": "string"}]
        super().__init__(metadata={"oneOf": oneof, **kwargs.pop("metadata", {})}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not _is_number_or_string(value):
            raise ValidationError("Must be a number or a string.")
        return value


class Answers(fields.Dict):
    """Answer key → a number or an expression string (CONTRACT §5, §7).

    Type errors are reported like the reader's errors, under the key as
    ``{"message", "position"}``, so clients handle one shape.
    """

    def __init__(self, **kwargs):
        super().__init__(
            keys=fields.String(),
            values=NumberOrString(allow_none=True),
            metadata={
                "description": "Answer key → a JSON number, an expression string, or null (unanswered)."
            },
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("Must be an object of answer key → answer.")
        wrong = {
            key: answer_error("An answer is a JSON number, an expression string or null.")
            for key, answer in value.items()
            if not (answer is None or _is_number_or_string(answer))
        }
        if wrong:
            raise ValidationError(wrong)
        return dict(value)


class PolicySchema(Schema):
    """CONTRACT §6; defaults are the contract's."""

    abs_tol = JsonFloat(validate=UNIT, load_default=0.0005)
    rel_tol = JsonFloat(validate=UNIT, load_default=0.001)
    follow_through_credit = JsonFloat(validate=UNIT, load_default=1.0)
    max_attempts = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1), load_default=None
    )
    attempt_penalty = JsonFloat(validate=UNIT, load_default=0.0)
    feedback = fields.String(validate=validate.OneOf(FEEDBACK_MODES), load_default="full")


class ParamsInSchema(Schema):
    """An authored variant: all of CONTRACT §1 (``q_z1`` is null in tight-bound)."""

    p_z1 = NumberOrString(required=True)
    p_x1_given_z0 = NumberOrString(required=True)
    p_x1_given_z1 = NumberOrString(required=True)
    x = fields.Integer(required=True, strict=True, validate=validate.OneOf([0, 1]))
    q_z1 = NumberOrString(allow_none=True, load_default=None)


class ProblemCreateSchema(Schema):
    template = fields.String(required=True, validate=validate.OneOf(list(TEMPLATES)))
    seed = fields.Integer(
        strict=True,
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=0, max=MAX_SEED),
        metadata={"description": "Omit for a seed picked by the service (returned)."},
    )
    difficulty = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(DIFFICULTIES))
    params = fields.Nested(
        ParamsInSchema,
        allow_none=True,
        load_default=None,
        metadata={"description": "An authored variant; needs an instructor key."},
    )
    policy = fields.Nested(PolicySchema, allow_none=True, load_default=None)

    @validates_schema
    def _authored_has_no_seed(self, data, **kwargs):
        if data.get("params") is not None:
            given = [name for name in ("seed", "difficulty") if data.get(name) is not None]
            if given:
                raise ValidationError(
                    {name: ["An authored problem (params) has no seed or difficulty."] for name in given}
                )


class ParamsOutSchema(Schema):
    p_z1 = fields.String()
    p_x1_given_z0 = fields.String()
    p_x1_given_z1 = fields.String()
    x = fields.Integer()
    q_z1 = fields.String(allow_none=True)


class PartSchema(Schema):
    key = fields.String()
    prompt = fields.String()


class ProblemSchema(Schema):
    id = fields.UUID()
    template = fields.String()
    seed = fields.Integer(allow_none=True)
    difficulty = fields.String(allow_none=True)
    params = fields.Nested(ParamsOutSchema)
    statement = fields.String(metadata={"description": "Markdown with $TeX$."})
    parts = fields.List(fields.Nested(PartSchema))
    policy = fields.Nested(PolicySchema)
    created_at = fields.DateTime()


class StepSchema(Schema):
    title = fields.String()
    keys = fields.List(fields.String())
    lines = fields.List(fields.String())


class ExactAnswerSchema(Schema):
    exact = fields.String(metadata={"description": "Exact value, sympy syntax."})
    latex = fields.String()
    value = fields.Float()


class SolutionSchema(Schema):
    answers = fields.Dict(keys=fields.String(), values=fields.Nested(ExactAnswerSchema))
    steps = fields.List(fields.Nested(StepSchema))


class SubmissionCreateSchema(Schema):
    answers = Answers(required=True)
    student_id = fields.String(
        allow_none=True,
        load_default=None,
        validate=[validate.Length(min=1, max=MAX_STUDENT_ID), _no_control_characters],
        metadata={
            "description": "For instructor/LMS callers; a student token implies it.",
            "pattern": NO_CONTROL_CHARACTERS,
        },
    )


class PartResultSchema(Schema):
    key = fields.String()
    answer = fields.String(allow_none=True)
    value = fields.Float(allow_none=True)
    status = fields.String(validate=validate.OneOf(["correct", "follow_through", "incorrect", "unanswered"]))
    credit = fields.Float()
    misconceptions = fields.List(fields.String())
    feedback = fields.String()
    expected = fields.Float(metadata={"description": "Absent with feedback: hints."})


class StepResultSchema(StepSchema):
    status = fields.String()
    first_wrong = fields.Boolean()


class SubmissionSchema(Schema):
    id = fields.UUID()
    problem_id = fields.UUID()
    student_id = fields.String(allow_none=True)
    attempt = fields.Integer()
    score = fields.Float()
    parts = fields.List(fields.Nested(PartResultSchema))
    steps = fields.List(fields.Nested(StepResultSchema))
    created_at = fields.DateTime()


class TemplateSchema(Schema):
    id = fields.String()
    title = fields.String()
    description = fields.String()
    answer_keys = fields.List(fields.String())
    difficulties = fields.List(fields.String())


class HealthSchema(Schema):
    status = fields.String()


class ProblemDetailsSchema(Schema):
    """RFC 9457 problem details, as every error is answered."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict(
        metadata={"description": "422: field → messages; answers.<key> → {message, position}."}
    )
    request_id = fields.String(metadata={"description": "500: quote it when reporting the error."})
