"""Grading a submission: read, match, follow through, diagnose, explain, score."""

from __future__ import annotations

from collections.abc import Mapping

from problems import Problem
from problems.registry import template as find_template

from .errors import AnswerError, UnknownAnswerKeys, UnreadableAnswers
from .feedback import Given, part_feedback
from .follow_through import carried_value
from .matching import matches
from .policy import Policy
from .reader import Reading, read_answer
from .result import CORRECT, FOLLOW_THROUGH, INCORRECT, UNANSWERED, GradeResult, PartResult, StepResult, attempt_score

DEFAULT_POLICY = Policy()


def _blank(raw: object) -> bool:
    """An LMS sends null or an empty box for a part left out: graded unanswered."""
    return raw is None or (isinstance(raw, str) and not raw.strip())


def read_answers(problem: Problem, answers: Mapping[str, object]) -> dict[str, Reading]:
    """Every non-blank answer read; UnknownAnswerKeys / UnreadableAnswers otherwise."""
    unknown = tuple(sorted(set(answers) - set(problem.answer_keys)))
    if unknown:
        raise UnknownAnswerKeys(unknown)
    readings: dict[str, Reading] = {}
    errors: dict[str, AnswerError] = {}
    for key in problem.answer_keys:
        if key in answers and not _blank(answers[key]):
            try:
                readings[key] = read_answer(answers[key])
            except AnswerError as error:
                errors[key] = error
    if errors:
        raise UnreadableAnswers(errors)
    return readings


def grade(problem: Problem, answers: Mapping[str, object], policy: Policy = DEFAULT_POLICY,
          attempt: int = 1) -> GradeResult:
    """Grade one submission against a problem's stored exact solution."""
    readings = read_answers(problem, answers)
    given = {key: float(reading.value) for key, reading in readings.items()}
    found = find_template(problem.template)
    inputs = found.inputs
    step_of = {key: step for step in problem.steps for key in step.keys}
    params = problem.params
    quantity = {key: found.quantity(key, params) for key in problem.answer_keys}

    statuses: dict[str, str] = {}
    for key in problem.answer_keys:
        if key not in given:
            statuses[key] = UNANSWERED
        elif matches(given[key], problem.answers[key].value, policy):
            statuses[key] = CORRECT
        else:
            carried = carried_value(found, key, params, given)
            followed = carried is not None and matches(given[key], carried, policy)
            statuses[key] = FOLLOW_THROUGH if followed else INCORRECT

    def own(names: list[str]) -> list[Given]:
        return [Given(quantity[name], readings[name].text) for name in names]

    credits = {CORRECT: 1.0, FOLLOW_THROUGH: policy.follow_through_credit, INCORRECT: 0.0, UNANSWERED: 0.0}
    parts = []
    for key in problem.answer_keys:
        status = statuses[key]
        misconceptions = _diagnose(problem, key, given[key], policy) if status == INCORRECT else ()
        own_inputs = [name for name in inputs.get(key, ()) if name in readings]
        note = found.follow_through_note(key, params, policy.hints_only) if status == FOLLOW_THROUGH else None
        earlier = _wrong_at_source(key, inputs, statuses, problem.answer_keys) if note else []
        parts.append(PartResult(
            key=key,
            answer=readings[key].text if key in readings else None,
            value=given.get(key),
            status=status,
            credit=credits[status],
            misconceptions=misconceptions,
            feedback=part_feedback(
                status=status, quantity=quantity[key], answer_text=readings[key].text if key in readings else None,
                exact=problem.answers[key], misconceptions=misconceptions, mistakes=found.mistakes,
                wrong_inputs=own([name for name in own_inputs if statuses[name] != CORRECT]),
                right_inputs=own([name for name in own_inputs if statuses[name] == CORRECT]),
                note=note, earlier=own(earlier),
                step_title=step_of[key].title, credit=credits[status], hints=policy.hints_only,
            ),
            expected=None if policy.hints_only else problem.answers[key].value,
        ))

    return GradeResult(score=attempt_score(tuple(parts), policy, attempt), attempt=attempt, parts=tuple(parts),
                       steps=_marked_steps(problem, statuses, policy))


def _wrong_at_source(key: str, inputs: Mapping[str, tuple[str, ...]], statuses: Mapping[str, str],
                     order: tuple[str, ...]) -> list[str]:
    """The answers a follow-through part goes back to that are wrong in themselves, in the template's order.

    An input that only follows through is traced to the answers it follows from.
    Every input of a follow-through part is answered, so each has a status.
    """
    found: set[str] = set()
    for name in inputs.get(key, ()):
        if statuses[name] != CORRECT:
            deeper = _wrong_at_source(name, inputs, statuses, order) if statuses[name] == FOLLOW_THROUGH else []
            found.update(deeper or [name])
    return sorted(found, key=order.index)


def _diagnose(problem: Problem, key: str, value: float, policy: Policy) -> tuple[str, ...]:
    """Every named mistake whose value for this key matches the answer."""
    return tuple(code for code, values in problem.mistakes.get(key, {}).items()
                 if any(matches(value, mistaken, policy) for mistaken in values))


def _step_status(statuses: list[str]) -> str:
    if all(status == CORRECT for status in statuses):
        return CORRECT
    if all(status in (CORRECT, FOLLOW_THROUGH) for status in statuses):
        return FOLLOW_THROUGH
    if all(status == UNANSWERED for status in statuses):
        return UNANSWERED
    return INCORRECT


def _marked_steps(problem: Problem, statuses: Mapping[str, str], policy: Policy) -> tuple[StepResult, ...]:
    marked = []
    wrong_seen = False
    for step in problem.steps:
        status = _step_status([statuses[key] for key in step.keys])
        first_wrong = not wrong_seen and any(statuses[key] == INCORRECT for key in step.keys)
        wrong_seen = wrong_seen or first_wrong
        marked.append(StepResult(step.title, step.keys, step.symbolic if policy.hints_only else step.lines,
                                 status, first_wrong))
    return tuple(marked)
