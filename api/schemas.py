"""Request and response bodies (marshmallow 4); the OpenAPI document is built from them.

Shapes and names are docs/api.md §4, §5 and §8. Bounds declared here mirror what the
domain validates again (``grader.Policy``, ``problems.parse_params``) so the
document tells clients the truth.
"""

from __future__ import annotations

import copy
import json
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, pre_dump, validate, validates_schema

from api.errors import answer_error
from grader import Policy
from grader.errors import InvalidPolicy
from grader.policy import FEEDBACK_MODES, SOLUTION_MODES
from grader.result import STATUSES
from problems import DEFAULT_DIFFICULTY, TEMPLATES, InvalidParams, Template, parse_params
from problems.sets import Item

MAX_SEED = 2**63 - 1  # stored as a 64-bit integer
MAX_STUDENT_ID = 128
DEFAULT_POLICY = Policy()
# A practice problem's policy when none is given: the contract's defaults, its
# solution open (practice problems stay readable by anyone, docs/api.md §12).
PRACTICE_POLICY = Policy(solution="always")
# What grader.Policy allows of a tolerance, a credit or a penalty, for the OpenAPI document.
UNIT_BOUNDS = {"minimum": 0, "maximum": 1}
# Part of the rules of _no_control_characters and _printable_student_id, for the OpenAPI document.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f-\x9f]*$"


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _is_number_or_string(value: object) -> bool:
    return _is_number(value) or isinstance(value, str)


def _no_control_characters(value: str) -> None:
    # Free text (titles) ends up in logs and the database, which cannot
    # store an unpaired surrogate (JSON's "\ud800").
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
        raise ValidationError("Must not contain control characters or unpaired surrogates.")


def _printable_student_id(value: str) -> None:
    # Student ids are the LMS's strings; they end up in URLs, logs and CSV files.
    if not value.isprintable():
        raise ValidationError("Must be printable characters only (no control or format characters).")
    if value.isspace():
        raise ValidationError("Must not be whitespace only.")


def valid_student_id(value: str) -> bool:
    return 1 <= len(value) <= MAX_STUDENT_ID and value.isprintable() and not value.isspace()


def StudentId(description: str = "The LMS's id: 1 to 128 printable characters.", **kwargs) -> fields.String:
    """A student id, the same rule wherever one is sent."""
    return fields.String(
        validate=[validate.Length(min=1, max=MAX_STUDENT_ID), _printable_student_id],
        # The pattern is the part of the rule a JSON schema can say.
        metadata={"description": description, "pattern": NO_CONTROL_CHARACTERS},
        **kwargs,
    )


class JsonFloat(fields.Float):
    """A float that must arrive as a JSON number (marshmallow also takes "0.1")."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not _is_number(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


NUMBER_OR_STRING = [{"type": "number"}, {"type": "string"}]


class NumberOrString(fields.Field):
    """A JSON number (read as Decimal, see api.jsonbody) or a string."""

    def __init__(self, **kwargs):
        oneof = copy.deepcopy(NUMBER_OR_STRING)
        super().__init__(metadata={"oneOf": oneof, **kwargs.pop("metadata", {})}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not _is_number_or_string(value):
            raise ValidationError("Must be a number or a string.")
        return value


class Answers(fields.Dict):
    """Answer key → a number or an expression string (docs/api.md §5, §7).

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
    """docs/api.md §6; defaults are the contract's. Loads as a ``grader.Policy``,
    whose rules are the ones that hold (the bounds here document them)."""

    abs_tol = JsonFloat(load_default=DEFAULT_POLICY.abs_tol, metadata=UNIT_BOUNDS)
    rel_tol = JsonFloat(load_default=DEFAULT_POLICY.rel_tol, metadata=UNIT_BOUNDS)
    follow_through_credit = JsonFloat(load_default=DEFAULT_POLICY.follow_through_credit, metadata=UNIT_BOUNDS)
    max_attempts = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(max=2**31 - 1),  # stored as a 32-bit integer
        load_default=DEFAULT_POLICY.max_attempts,
        metadata={"minimum": 1},
    )
    attempt_penalty = JsonFloat(load_default=DEFAULT_POLICY.attempt_penalty, metadata=UNIT_BOUNDS)
    feedback = fields.String(load_default=DEFAULT_POLICY.feedback, metadata={"enum": list(FEEDBACK_MODES)})
    solution = fields.String(
        load_default=PRACTICE_POLICY.solution,
        metadata={"enum": list(SOLUTION_MODES),
                  "description": "When a student token may see the solution (docs/api.md §12)."},
    )

    @post_load
    def _policy(self, data: dict, **kwargs) -> Policy:
        try:
            return Policy(**data)
        except InvalidPolicy as error:
            raise ValidationError({name: [message] for name, message in error.errors.items()}) from None


# Templates: what is registered when a request is read (or the document built), never a list
# frozen at import, so a template registered later needs no edit here.


class Registered(validate.Validator):
    """One of the choices the template registry offers now. apispec documents
    `choices` as the field's enum when it builds the OpenAPI document."""

    def __init__(self, choices: Callable[[], list[str]]) -> None:
        self._choices = choices

    @property
    def choices(self) -> list[str]:
        return self._choices()

    def __call__(self, value: str) -> str:
        return validate.OneOf(self.choices)(value)


def _template_ids() -> list[str]:
    return list(TEMPLATES)


def difficulties() -> list[str]:
    """Every registered template's difficulties, each once, in order."""
    return list(dict.fromkeys(difficulty for found in TEMPLATES.values() for difficulty in found.difficulties))


def _chosen_template(data: Mapping[str, Any]) -> Template[Any] | None:
    """The registered template the request names, if it names one (else its template field says why)."""
    chosen = data.get("template")
    return TEMPLATES.get(chosen) if isinstance(chosen, str) else None


def TemplateId(**kwargs) -> fields.String:
    """The id of a registered template."""
    return fields.String(validate=Registered(_template_ids), **kwargs)


class Difficulty(fields.String):
    """A difficulty the request's template offers (any registered template's, when it names none)."""

    def __init__(self, **kwargs):
        super().__init__(validate=Registered(difficulties), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        difficulty = super()._deserialize(value, attr, data, **kwargs)
        chosen = _chosen_template(data)
        if chosen is not None:
            validate.OneOf(chosen.difficulties)(difficulty)
        return difficulty


def _param_field(spec: Mapping[str, Any], required: bool) -> fields.Field:
    """The field for one property of a template's params schema, of the kinds templates use."""
    options: dict[str, Any] = {"required": required, "allow_none": spec.get("nullable", False)}
    if "default" in spec:
        options["load_default"] = spec["default"]
    if spec.get("oneOf") == NUMBER_OR_STRING:
        return NumberOrString(**options)
    if spec.get("type") == "integer":
        if "enum" in spec:
            options["validate"] = validate.OneOf(spec["enum"])
        return fields.Integer(strict=True, **options)
    raise TypeError(f"no field reads a param described as {spec}")


def params_schema(found: Template[Any]) -> Schema:
    """A schema that reads the template's params as its JSON schema describes them
    (unknown params refused); the template checks their values again."""
    described = found.params_schema
    required = set(described.get("required", ()))
    return Schema.from_dict(
        {name: _param_field(spec, name in required) for name, spec in described["properties"].items()}
    )()


class TemplateParams(fields.Field):
    """A template's params: read as the request's template describes them, written as stored.

    Documented as any registered template's params (see `template_params_property`)."""

    def _deserialize(self, value, attr, data, **kwargs):
        chosen = _chosen_template(data)
        if chosen is None:
            return value  # nothing to read them by; the template field is refused
        return params_schema(chosen).load(value)


# How apispec writes "or null" beside object schemas (as for a nullable nested schema).
_NULL_OBJECT = {"type": "object", "nullable": True, "enum": [None]}


def template_params_property(self, field: fields.Field, ret: dict, **kwargs) -> dict:
    """apispec attribute function: a TemplateParams field is any registered template's params."""
    if not isinstance(field, TemplateParams):
        return {}
    described: list[Mapping[str, Any]] = []
    for found in TEMPLATES.values():
        if found.params_schema not in described:  # templates may share their params
            described.append(found.params_schema)
    null = [_NULL_OBJECT] if field.allow_none else []
    return {"anyOf": [copy.deepcopy(dict(schema)) for schema in described] + null}


class ProblemCreateSchema(Schema):
    template = TemplateId(required=True)
    seed = fields.Integer(
        strict=True,
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=0, max=MAX_SEED),
        metadata={"description": "Omit for a seed picked by the service (returned)."},
    )
    difficulty = Difficulty(allow_none=True, load_default=None)
    params = TemplateParams(
        allow_none=True,
        load_default=None,
        metadata={"description": "An authored variant, as the template's params; needs an instructor key."},
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


class UndetectableSchema(Schema):
    mistake = fields.String(metadata={"description": "The code of a named mistake."})
    key = fields.String(metadata={"description": "The answer key it passes for correct on."})


def Undetectables() -> fields.List:
    return fields.List(
        fields.Nested(UndetectableSchema),
        metadata={"description": "Instructors only: the named mistakes the policy would grade correct."},
    )


class PartSchema(Schema):
    key = fields.String()
    prompt = fields.String()


class ProblemSchema(Schema):
    id = fields.UUID()
    template = fields.String()
    seed = fields.Integer(allow_none=True)
    difficulty = fields.String(allow_none=True)
    params = TemplateParams()
    statement = fields.String(metadata={"description": "Markdown with $TeX$."})
    parts = fields.List(fields.Nested(PartSchema))
    policy = fields.Nested(PolicySchema)
    created_at = fields.DateTime()
    undetectable = Undetectables()


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
    student_id = StudentId(
        "For instructor/LMS callers; a student token implies it. 1 to 128 printable characters.",
        allow_none=True,
        load_default=None,
    )


class PartResultSchema(Schema):
    key = fields.String()
    answer = fields.String(allow_none=True)
    value = fields.Float(allow_none=True)
    status = fields.String(validate=validate.OneOf(STATUSES))
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
    late = fields.Boolean(
        metadata={"description": "Made after the due date of the problem's set (always false for practice)."}
    )
    created_at = fields.DateTime()


class MistakeSchema(Schema):
    code = fields.String()
    keys = fields.List(fields.String(), metadata={"description": "The answer keys it can affect, in the asked order."})
    explanation = fields.String(metadata={"description": "What a student who makes it is told."})


class TemplateSchema(Schema):
    id = fields.String()
    title = fields.String()
    description = fields.String()
    answer_keys = fields.List(fields.String())
    difficulties = fields.List(fields.String())
    mistakes = fields.List(
        fields.Nested(MistakeSchema),
        metadata={"description": "The template's catalogue of named mistakes (docs/api.md §6, §16)."},
    )

    @pre_dump
    def _catalogue(self, template: Any, **kwargs) -> dict[str, Any]:
        # A mistake is listed with the keys of this template it can affect.
        asked = template.answer_keys
        return {
            **{name: getattr(template, name) for name in ("id", "title", "description", "answer_keys", "difficulties")},
            "mistakes": [
                {"code": mistake.code, "keys": [key for key in asked if key in mistake.keys],
                 "explanation": mistake.explanation}
                for mistake in template.mistakes.values()
                if mistake.keys & set(asked)
            ],
        }


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


# Problem sets (docs/api.md §8, issue 5) ---------------------------------------

MAX_ITEMS = 20
MAX_ROSTER = 5000
MAX_TITLE = 200


class StrictBoolean(fields.Boolean):
    """A JSON true or false (marshmallow also takes "yes", 1, ...)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class SetPolicySchema(PolicySchema):
    """A problem set's policy: docs/api.md §6, and whether late work counts."""

    count_late = StrictBoolean(
        load_default=False,
        metadata={"description": "Whether submissions after due_at count toward the grade book."},
    )
    solution = fields.String(
        load_default=DEFAULT_POLICY.solution,
        metadata={"enum": list(SOLUTION_MODES),
                  "description": "When a student token may see the solution (docs/api.md §12)."},
    )


def _unique(ids: list[str]) -> None:
    seen: set[str] = set()
    repeated: dict[str, None] = {}
    for student in ids:
        if student in seen:
            repeated[student] = None
        seen.add(student)
    if repeated:
        names = ", ".join(json.dumps(student) for student in repeated)
        raise ValidationError(f"Each student id may appear once; repeated: {names}.")


def Roster(min_size: int, **kwargs) -> fields.List:
    return fields.List(
        StudentId(),
        validate=[validate.Length(min=min_size, max=MAX_ROSTER), _unique],
        metadata={
            "description": f"Student ids, {min_size} to {MAX_ROSTER}, each once; the roster order is kept."
        },
        **kwargs,
    )


class ItemSchema(Schema):
    """A seeded item (a difficulty) or an authored one (params, the same for every student)."""

    template = TemplateId(required=True)
    difficulty = Difficulty(allow_none=True, load_default=None)
    params = TemplateParams(
        allow_none=True,
        load_default=None,
        metadata={"description": "An authored variant, given to every student; then no difficulty."},
    )

    @validates_schema
    def _authored_has_no_difficulty(self, data, **kwargs):
        if data.get("params") is not None and data.get("difficulty") is not None:
            raise ValidationError({"difficulty": ["An authored item (params) has no difficulty."]})

    @post_load
    def _item(self, data, **kwargs) -> Item:
        if data["params"] is None:
            return Item(data["template"], data["difficulty"] or DEFAULT_DIFFICULTY)
        try:
            return Item.authored(data["template"], parse_params(data["template"], data["params"]))
        except InvalidParams as error:
            raise ValidationError({"params": {name: [message] for name, message in error.errors.items()}}) from None


def _set_title(**options) -> fields.String:
    return fields.String(
        validate=[validate.Length(min=1, max=MAX_TITLE), _no_control_characters],
        metadata={"pattern": NO_CONTROL_CHARACTERS},
        **options,
    )


class UtcDateTime(fields.AwareDateTime):
    """An ISO 8601 moment with a UTC offset, read as UTC: a moment whose UTC
    time falls outside years 1 to 9999 (0001-01-01T00:00+00:01) cannot be
    stored, and is refused here rather than overflowing later."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError("Must fall within the years 1 to 9999 once converted to UTC.") from None


def _set_due_at(**options) -> fields.AwareDateTime:
    return UtcDateTime(
        allow_none=True,
        metadata={"description": "ISO 8601 with a UTC offset; later submissions are marked late."},
        **options,
    )


class ProblemSetCreateSchema(Schema):
    title = _set_title(required=True)
    seed = fields.Integer(
        strict=True,
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=0, max=MAX_SEED),
        metadata={"description": "Omit for a seed picked by the service (returned)."},
    )
    items = fields.List(
        fields.Nested(ItemSchema), required=True, validate=validate.Length(min=1, max=MAX_ITEMS)
    )
    students = Roster(0, load_default=list)
    policy = fields.Nested(SetPolicySchema, allow_none=True, load_default=None)
    due_at = _set_due_at(load_default=None)


class ProblemSetChangeSchema(Schema):
    """What may change in a set once made; a field left out stays as it is."""

    title = _set_title()
    due_at = _set_due_at()

    @validates_schema
    def _changes_something(self, data, **kwargs):
        if not data:
            raise ValidationError("Send title, due_at or both.")


class StudentsAddSchema(Schema):
    students = Roster(1, required=True)


class ProblemRefSchema(Schema):
    item = fields.Integer()
    problem_id = fields.UUID()


class IssuedStudentSchema(Schema):
    student_id = fields.String()
    access_token = fields.String(metadata={"description": "The student's Bearer token to this set."})
    problems = fields.List(fields.Nested(ProblemRefSchema))


class ItemOutSchema(Schema):
    template = fields.String()
    difficulty = fields.String(allow_none=True, metadata={"description": "null for an authored item."})
    params = TemplateParams(allow_none=True, metadata={"description": "An authored item's params; else null."})
    undetectable = Undetectables()


def _set_status() -> fields.String:
    return fields.String(
        validate=validate.OneOf(["making"]),
        metadata={"description": "\"making\" while a big roster's problems are made in the background "
                                 "(a creation or addition answered 202, and the set's view until then); "
                                 "absent once every student has theirs."},
    )


class ProblemSetCreatedSchema(Schema):
    id = fields.UUID()
    title = fields.String()
    seed = fields.Integer()
    items = fields.List(fields.Nested(ItemOutSchema))
    policy = fields.Nested(SetPolicySchema)
    due_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    status = _set_status()
    students = fields.List(
        fields.Nested(IssuedStudentSchema),
        metadata={"description": "In roster order; with status \"making\" their problems are not listed yet."},
    )


class StudentsAddedSchema(ProblemSetCreatedSchema):
    students = fields.List(
        fields.Nested(IssuedStudentSchema), metadata={"description": "The students added by this request."}
    )
    ignored = fields.List(
        fields.String(),
        metadata={"description": "Ids already on the roster: left as they were (variants, tokens)."},
    )


class ItemProgressSchema(ProblemRefSchema):
    best_score = fields.Float(
        allow_none=True, metadata={"description": "The best counted score; null if none counts."}
    )
    attempts = fields.Integer(metadata={"description": "Submissions made, late ones included."})
    attempts_left = fields.Integer(allow_none=True, metadata={"description": "null: no limit."})
    solution_open = fields.Boolean(metadata={"description": "Whether the solution is open to the student."})


class ProblemSetSchema(Schema):
    """An instructor's view (with seed and student_count) or a student's
    (with student_id and their problems)."""

    id = fields.UUID()
    title = fields.String()
    seed = fields.Integer(metadata={"description": "Instructors only."})
    items = fields.List(fields.Nested(ItemOutSchema))
    policy = fields.Nested(SetPolicySchema)
    due_at = fields.DateTime(
        allow_none=True,
        metadata={"description": "For a student token: that student's own due date, if they have one."},
    )
    created_at = fields.DateTime()
    student_count = fields.Integer(metadata={"description": "Instructors only: the roster's size."})
    status = _set_status()
    students_ready = fields.Integer(
        metadata={"description": "Instructors only, while status is \"making\": the students whose problems "
                                 "are made so far."}
    )
    student_id = fields.String(metadata={"description": "Student tokens only: whose view this is."})
    problems = fields.List(
        fields.Nested(ItemProgressSchema),
        metadata={"description": "Student tokens only: their problems, with their progress on each."},
    )


class RosterEntrySchema(IssuedStudentSchema):
    revoked = fields.Boolean()
    revoked_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(
        allow_none=True, metadata={"description": "The student's own due date; null: the set's."}
    )


class StudentChangeSchema(Schema):
    due_at = UtcDateTime(
        required=True,
        allow_none=True,
        metadata={"description": "ISO 8601 with a UTC offset: the student's own due date; null: the set's."},
    )


class RosterSchema(Schema):
    problem_set_id = fields.UUID()
    students = fields.List(fields.Nested(RosterEntrySchema))


class AnswerKeyProblemSchema(Schema):
    item = fields.Integer()
    problem_id = fields.UUID()
    template = fields.String()
    params = TemplateParams()
    answers = fields.Dict(keys=fields.String(), values=fields.Nested(ExactAnswerSchema))


class AnswerKeyStudentSchema(Schema):
    student_id = fields.String()
    problems = fields.List(fields.Nested(AnswerKeyProblemSchema))


class AnswerKeySchema(Schema):
    problem_set_id = fields.UUID()
    students = fields.List(fields.Nested(AnswerKeyStudentSchema))


class ItemGradeSchema(Schema):
    item = fields.Integer()
    best_score = fields.Float(
        allow_none=True, metadata={"description": "The best counted score; null if none counts."}
    )
    attempts = fields.Integer(metadata={"description": "Submissions made, late ones included."})
    last_submitted_at = fields.DateTime(allow_none=True)


class StudentGradesSchema(Schema):
    student_id = fields.String()
    due_at = fields.DateTime(
        allow_none=True,
        metadata={"description": "The due date that holds for the student: their own, or the set's."},
    )
    items = fields.List(fields.Nested(ItemGradeSchema))
    total = fields.Float(metadata={"description": "The sum of the best scores (an item without one: 0)."})


class GradesSchema(Schema):
    problem_set_id = fields.UUID()
    item_count = fields.Integer()
    max_total = fields.Float()
    count_late = fields.Boolean()
    students = fields.List(fields.Nested(StudentGradesSchema))


class GradesQuerySchema(Schema):
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(["json", "csv"]),
        metadata={"description": "csv: text/csv for a grade-book import, one row per student."},
    )


# Students per status of a key in their latest submission (contract §5 statuses).
StatusCountsSchema = Schema.from_dict(
    {status: fields.Integer(required=True) for status in STATUSES}, name="StatusCountsSchema"
)


class ItemAnalyticsSchema(Schema):
    item = fields.Integer()
    template = fields.String()
    attempted = fields.Integer(metadata={"description": "Students with at least one submission to the item."})
    mean_best_score = fields.Float(
        allow_none=True,
        metadata={"description": "The mean of their best counted scores; null if none counts."},
    )
    score_histogram = fields.List(
        fields.Integer(),
        metadata={"description": "Ten bins of the best counted scores: bin i holds i/10 ≤ s < (i+1)/10, "
                                 "and 1.0 the last."},
    )
    parts = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(StatusCountsSchema),
        metadata={"description": "Per key the template asks, in its order: students by the status of "
                                 "their latest submission."},
    )
    misconceptions = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Per mistake code shown: students who showed it in any submission."},
    )


class AnalyticsSchema(Schema):
    problem_set_id = fields.UUID()
    students = fields.Integer(metadata={"description": "The roster's size."})
    items = fields.List(fields.Nested(ItemAnalyticsSchema))
